/*
 * swap.c - the live swap transaction (see swap.h): checks, load beside,
 * verify, switch-over with interrupts off, transfer hooks, revert on any
 * failure, retirement and records; swap_modules() (which sends loads to
 * swap_load.c); rollbacks are in swap_rollback.c.
 */
#include "log.h"
#include "modcall.h"
#include "module_abi.h"
#include "swap_impl.h"

/* Index into the staged batch of the new module that depends on no other
 * not-yet-done one (dependencies first); falls back to any (cycles). */
static size_t next_in_order(struct loader_stage *st, const bool *done)
{
	size_t n = loader_stage_count(st), i, j, k, ne;

	for (i = 0; i < n; i++) {
		struct loader_edge *e;
		bool ready = true;
		if (done[i])
			continue;
		e = loader_edges_out(loader_stage_new(st, i), &ne);
		for (j = 0; j < ne && ready; j++)
			for (k = 0; k < n; k++)
				if (!done[k] && k != i && e[j].target == loader_stage_new(st, k))
					ready = false;
		if (ready)
			return i;
	}
	for (i = 0; i < n; i++)
		if (!done[i])
			return i;
	return n;
}

/* transfer(old) of each new module (or init if it has no transfer) inside
 * x's statedb transaction, committed once all succeeded (aborted by the
 * caller otherwise: every entry the hooks changed comes back), then fini of
 * each old one.  Interrupts are off. */
static int run_hooks(struct swap_txn *x, struct th_errbuf *eb)
{
	bool done[SWAP_MAX_ITEMS] = {false};
	size_t c, i;
	int err = swap_state_begin(x, eb);

	if (err)
		return err;

	for (c = 0; c < x->k; c++) {
		const struct th_module_info *ni, *oi;
		struct module *nm;
		int err = TH_OK;
		struct th_errbuf hb = { "" };

		i = next_in_order(x->st, done);
		done[i] = true;
		nm = loader_stage_new(x->st, i);
		ni = loader_module_info(nm);
		oi = loader_module_info(x->old[i]);
		err = loader_run_ctors(nm, &hb);
		x->failed_item = x->idx[i];   /* until it succeeds */
		if (err)
			return th_errf(eb, TH_EINIT, "%s %s: %s; swap rolled back", x->name[i],
				       loader_module_version(nm), hb.msg);
		if (ni->transfer)
			err = modcall_transfer(x->name[i], ni->transfer, oi, &hb);
		else if (ni->init)
			err = modcall_init(x->name[i], ni->init, &hb);
		if (err)
			return th_errf(eb, TH_EINIT, "%s %s: %s failed: %s (%d)%s%s; swap rolled back",
				       x->name[i], loader_module_version(nm),
				       ni->transfer ? "transfer" : "init", th_err_name(err), err,
				       hb.msg[0] ? ": " : "", hb.msg);
		x->failed_item = SIZE_MAX;
	}
	swap_state_end(x, true); /* nothing can fail from here on */
	for (i = x->k; i-- > 0;) {
		const struct th_module_info *oi = loader_module_info(x->old[i]);
		if (oi->fini)
			modcall_fini(x->name[i], loader_module_version(x->old[i]), oi->fini);
		loader_run_dtors(x->old[i]);
	}
	return TH_OK;
}

/* Validate the request, skip no-op items, compare-and-swap, take references
 * to the new objects. */
static int prepare(struct swap_txn *x, const struct swap_request *items, size_t n,
		   struct th_errbuf *eb)
{
	size_t i, j;
	int err;

	if (!items || n == 0 || n > SWAP_MAX_ITEMS)
		return th_errf(eb, TH_EINVAL, "swap of %zu modules (1..%d)", n, SWAP_MAX_ITEMS);
	for (i = 0; i < n; i++) {
		const struct swap_request *r = &items[i];
		struct swap_obj *o;
		struct module *m;

		swap_txn_item(x, i, r->name, "?", "?");
		if (!r->name || !r->data || !r->len)
			return th_errf(eb, TH_EINVAL, "swap item %zu: no module name or object", i);
		for (j = 0; j < i; j++)
			if (strcmp(items[j].name, r->name) == 0)
				return th_errf(eb, TH_EINVAL, "%s: twice in one swap", r->name);
		m = loader_find(r->name);
		if (!m)
			return th_errf(eb, TH_ENOENT, "%s: no such module loaded", r->name);
		swap_txn_item(x, i, r->name, loader_module_version(m), "?");
		err = swap_obj_get(r->data, r->len, r->sha256, &o);
		if (err)
			return th_errf(eb, err, "%s: no memory for a copy of the object (%zu bytes)",
				       r->name, r->len);
		/* The object it runs already: nothing to do, unless the module
		 * is quarantined (a swap by hand lifts that: a fresh copy). */
		if (x->h.kind != SWAP_KIND_RESTART && swap_track_runs(swap_track_find(r->name), o) &&
		    strcmp(modcall_state(r->name), "quarantined") != 0) {
			swap_obj_put(o);
			swap_txn_item(x, i, r->name, loader_module_version(m), loader_module_version(m));
			continue;
		}
		x->obj[x->k] = o; /* dropped by swap_txn_end unless the records take it */
		if (r->expect_version && strcmp(r->expect_version, loader_module_version(m)) != 0)
			return th_errf(eb, TH_ECONFLICT, "%s: runs version %s, request expects %s",
				       r->name, loader_module_version(m), r->expect_version);
		x->old[x->k] = m;
		x->name[x->k] = loader_module_name(m);
		x->idx[x->k] = i;
		x->k++;
	}
	return TH_OK;
}

/* After the commit: old versions retire, the records follow. */
static void commit_records(struct swap_txn *x, struct module *const *retired)
{
	size_t i;

	for (i = 0; i < x->k; i++) {
		struct module *now = loader_find(x->name[i]);
		struct swap_obj *o = x->obj[i];
		swap_retire_add(retired[i]);
		x->obj[i] = NULL; /* the record owns the reference now */
		if (swap_track_swapped(now, loader_module_serial(retired[i]), o,
				       x->h.kind == SWAP_KIND_ROLLBACK))
			log_warn("swap", "%s: no room to keep its object (rollback unavailable)",
				 x->name[i]);
	}
}

int swap_do_swap(struct swap_txn *x, const struct swap_request *items, size_t n,
		 struct th_errbuf *eb)
{
	struct loader_blob blobs[SWAP_MAX_ITEMS];
	struct module *retired[SWAP_MAX_ITEMS];
	uint64_t flags;
	size_t i;
	int err;

	err = prepare(x, items, n, eb);
	if (err || x->k == 0) {
		x->h.unchanged = !err;
		return err;
	}
	if (swap_retire_room() < x->k && (swap_reap(), swap_retire_room() < x->k))
		return th_errf(eb, TH_EBUSY, "%zu old versions still in use; try again",
			       swap_retiring_count());
	for (i = 0; i < x->k; i++)
		blobs[i] = (struct loader_blob){x->obj[i]->bytes, x->obj[i]->len, x->name[i], NULL};
	err = loader_stage_batch(blobs, x->old, x->k, &x->st, eb);
	swap_txn_stage(x, SWAP_STAGE_LOAD);
	if (err)
		return err;
	/* from -> to versions of the modules swapped, for the history. */
	for (i = 0; i < n && i < SWAP_HISTORY_NAMES; i++) {
		size_t j;
		for (j = 0; j < x->k; j++)
			if (strcmp(x->h.item[i].name, x->name[j]) == 0)
				swap_txn_item(x, i, x->name[j], loader_module_version(x->old[j]),
					      loader_module_version(loader_stage_new(x->st, j)));
	}
	err = loader_stage_verify(x->st, eb);
	swap_txn_stage(x, SWAP_STAGE_VERIFY);
	if (err) {
		loader_stage_end(x->st, NULL);
		return err;
	}
	flags = swap_plat_irq_save();
	err = loader_stage_commit(x->st, eb);
	x->h.sites = err ? 0 : loader_stage_sites(x->st);
	swap_txn_stage(x, SWAP_STAGE_RELINK);
	if (!err) {
		swap_generation_bump();
		err = run_hooks(x, eb);
		if (err) {
			swap_state_end(x, false); /* statedb as before the hooks */
			loader_stage_revert(x->st);
			swap_generation_bump();
			x->h.sites = 0;
		}
		swap_notify_subscribers(); /* the namespace changed (or changed back) */
	}
	swap_plat_irq_restore(flags);
	swap_txn_stage(x, SWAP_STAGE_TRANSFER);
	loader_stage_end(x->st, err ? NULL : retired);
	if (err)
		return err;
	commit_records(x, retired);
	swap_reap();
	swap_txn_stage(x, SWAP_STAGE_CLEANUP);
	return TH_OK;
}

/* A transaction that would both load new modules and swap loaded ones:
 * refused, naming a module of each kind, and every item named in the
 * history entry (what was asked, with the version each runs). */
static int refuse_mixed(struct swap_txn *x, const struct swap_request *items, size_t n,
			struct th_errbuf *eb)
{
	const char *load = NULL, *swap = NULL;

	for (size_t i = 0; i < n; i++) {
		const char *name = items[i].name ? items[i].name : "?";
		struct module *m = items[i].name ? loader_find(items[i].name) : NULL;
		bool is_load = items[i].expect_version && !items[i].expect_version[0];

		swap_txn_item(x, i, name, m ? loader_module_version(m) : is_load ? "" : "?", "?");
		if (is_load && !load)
			load = name;
		else if (!is_load && !swap)
			swap = name;
	}
	return th_errf(eb, TH_ENOTSUP, "one transaction cannot both load new modules (%s) and "
		       "swap loaded ones (%s): send the loads and the swaps apart",
		       load ? load : "?", swap ? swap : "?");
}

static int swap_modules_locked(const struct swap_request *items, size_t n, struct swap_result *res,
				 struct th_errbuf *eb)
{
	struct th_errbuf local;
	struct swap_txn *x;
	size_t i, loads = 0;

	if (!eb)
		eb = &local;
	for (i = 0; items && i < n; i++)
		loads += items[i].expect_version && !items[i].expect_version[0];
	x = swap_txn_begin(loads ? SWAP_KIND_LOAD : SWAP_KIND_SWAP, false, n, eb);
	if (!x)
		return TH_ENOMEM;
	if (loads && loads != n)
		return swap_txn_end(x, refuse_mixed(x, items, n, eb), res, eb);
	if (loads)
		return swap_txn_end(x, swap_do_load(x, items, n, eb), res, eb);
	return swap_txn_end(x, swap_do_swap(x, items, n, eb), res, eb);
}

static int swap_restart_locked(const char *name, struct swap_result *res, struct th_errbuf *eb)
{
	struct th_errbuf local;
	struct swap_track *t = swap_track_find(name);
	struct module *m = name ? loader_find(name) : NULL;
	struct swap_txn *x;

	if (!eb)
		eb = &local;
	x = swap_txn_begin(SWAP_KIND_RESTART, false, 1, eb);
	if (!x)
		return TH_ENOMEM;
	swap_txn_item(x, 0, name, m ? loader_module_version(m) : "?", "?");
	if (!m || !t || !t->n)
		return swap_txn_end(x, th_errf(eb, TH_ENOENT, "%s: not loaded through the engine",
					       name ? name : "?"), res, eb);
	struct swap_request r = {name, t->stack[t->n - 1]->bytes, t->stack[t->n - 1]->len, NULL,
				 swap_obj_known_sha(t->stack[t->n - 1]), NULL};
	return swap_txn_end(x, swap_do_swap(x, &r, 1, eb), res, eb);
}

static int swap_unload_locked(const char *name, struct swap_result *res, struct th_errbuf *eb)
{
	struct th_errbuf local;
	struct swap_txn *x;

	if (!eb)
		eb = &local;
	x = swap_txn_begin(SWAP_KIND_UNLOAD, false, 1, eb);
	if (!x)
		return TH_ENOMEM;
	return swap_txn_end(x, swap_do_unload(x, &name, 1, eb), res, eb);
}

/* The public entry points: one transaction at a time, whichever CPU or task
 * asks (swap_plat_engine_lock; recursive for a task: a fault's recovery may
 * run inside a transaction's hook). */

int swap_modules(const struct swap_request *items, size_t n, struct swap_result *res,
		 struct th_errbuf *eb)
{
	swap_plat_engine_lock();
	int err = swap_modules_locked(items, n, res, eb);
	swap_plat_engine_unlock();
	return err;
}

int swap_restart(const char *name, struct swap_result *res, struct th_errbuf *eb)
{
	swap_plat_engine_lock();
	int err = swap_restart_locked(name, res, eb);
	swap_plat_engine_unlock();
	return err;
}

int swap_unload(const char *name, struct swap_result *res, struct th_errbuf *eb)
{
	swap_plat_engine_lock();
	int err = swap_unload_locked(name, res, eb);
	swap_plat_engine_unlock();
	return err;
}

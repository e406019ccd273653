/*
 * swap.c - the live swap transaction (see swap.h): checks, load beside,
 * verify, switch-over with interrupts off, transfer hooks, revert on any
 * failure, retirement, timing and the history record; swap_rollback().
 */
#include "log.h"
#include "module_abi.h"
#include "swap_impl.h"

/* One transaction's working state. */
struct txn {
	size_t k;                                 /* items really swapped */
	struct module *old[SWAP_MAX_ITEMS];
	const char *name[SWAP_MAX_ITEMS];
	struct swap_obj obj[SWAP_MAX_ITEMS];      /* copies of the new objects */
	struct loader_stage *st;
	struct swap_history_entry h;
	uint64_t t;                               /* TSC at the start of the stage */
};

static void stage_done(struct txn *x, enum swap_stage s)
{
	uint64_t now = swap_plat_tsc();

	x->h.stage_ns[s] += swap_plat_tsc_ns(now - x->t);
	x->t = now;
}

/* Copy the request's bytes (8-byte aligned, as the loader wants). */
static int copy_obj(const struct swap_request *r, struct swap_obj *o)
{
	o->bytes = kmalloc(r->len);
	if (!o->bytes)
		return TH_ENOMEM;
	memcpy(o->bytes, r->data, r->len);
	o->len = r->len;
	o->fnv = swap_fnv64(r->data, r->len);
	if (r->sha256) {
		memcpy(o->sha, r->sha256, 32);
		o->has_sha = true;
	}
	return TH_OK;
}

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

/* transfer(old) of each new module (or init if it has no transfer), then
 * fini of each old one.  Interrupts are off.  On a hook error nothing of
 * this function's doing needs undoing (hooks must be re-runnable). */
static int run_hooks(struct txn *x, struct th_errbuf *eb)
{
	bool done[SWAP_MAX_ITEMS] = {false};
	size_t c, i;

	for (c = 0; c < x->k; c++) {
		const struct th_module_info *ni, *oi;
		struct module *nm;
		int err = TH_OK;

		i = next_in_order(x->st, done);
		done[i] = true;
		nm = loader_stage_new(x->st, i);
		ni = loader_module_info(nm);
		oi = loader_module_info(x->old[i]);
		if (ni->transfer)
			err = ni->transfer(oi);
		else if (ni->init)
			err = ni->init();
		if (err)
			return th_errf(eb, TH_EINIT, "%s %s: %s failed: %s (%d); swap rolled back",
				       x->name[i], loader_module_version(nm),
				       ni->transfer ? "transfer" : "init", th_err_name(err), err);
	}
	for (i = x->k; i-- > 0;) {
		const struct th_module_info *oi = loader_module_info(x->old[i]);
		if (oi->fini)
			oi->fini();
	}
	return TH_OK;
}

static void record(struct txn *x, int err, struct swap_result *res, struct th_errbuf *eb)
{
	size_t i;

	x->h.err = err;
	if (err && eb)
		snprintf(x->h.msg, sizeof x->h.msg, "%.95s", eb->msg);
	for (i = 0; i < SWAP_NSTAGES; i++)
		x->h.total_ns += x->h.stage_ns[i];
	swap_history_add(&x->h);
	if (res) {
		memset(res, 0, sizeof *res);
		res->err = err;
		res->unchanged = x->h.unchanged;
		res->swapped = err ? 0 : x->k;
		res->sites = x->h.sites;
		memcpy(res->stage_ns, x->h.stage_ns, sizeof res->stage_ns);
		res->total_ns = x->h.total_ns;
		res->seq = x->h.seq;
		res->retiring = swap_retiring_count();
	}
	if (err)
		log_warn("swap", "#%llu refused: %s", (unsigned long long)x->h.seq,
			 eb ? eb->msg : th_strerror(err));
}

static void set_item(struct txn *x, size_t j, const char *name, const char *from, const char *to)
{
	if (j >= SWAP_HISTORY_NAMES)
		return;
	snprintf(x->h.item[j].name, sizeof x->h.item[j].name, "%s", name ? name : "?");
	snprintf(x->h.item[j].from, sizeof x->h.item[j].from, "%s", from);
	snprintf(x->h.item[j].to, sizeof x->h.item[j].to, "%s", to);
}

/* Validate the request, skip no-op items, compare-and-swap, copy objects. */
static int prepare(struct txn *x, const struct swap_request *items, size_t n,
		   struct th_errbuf *eb)
{
	size_t i, j;
	int err;

	if (!items || n == 0 || n > SWAP_MAX_ITEMS)
		return th_errf(eb, TH_EINVAL, "swap of %zu modules (1..%d)", n, SWAP_MAX_ITEMS);
	for (i = 0; i < n; i++) {
		const struct swap_request *r = &items[i];
		struct module *m;

		set_item(x, i, r->name, "?", "?");
		if (!r->name || !r->data || !r->len)
			return th_errf(eb, TH_EINVAL, "swap item %zu: no module name or object", i);
		for (j = 0; j < i; j++)
			if (strcmp(items[j].name, r->name) == 0)
				return th_errf(eb, TH_EINVAL, "%s: twice in one swap", r->name);
		m = loader_find(r->name);
		if (!m)
			return th_errf(eb, TH_ENOENT, "%s: no such module loaded", r->name);
		set_item(x, i, r->name, loader_module_version(m), "?");
		if (swap_track_same(swap_track_find(r->name), r->data, r->len, r->sha256)) {
			set_item(x, i, r->name, loader_module_version(m), loader_module_version(m));
			continue;
		}
		if (r->expect_version && strcmp(r->expect_version, loader_module_version(m)) != 0)
			return th_errf(eb, TH_ECONFLICT, "%s: runs version %s, request expects %s",
				       r->name, loader_module_version(m), r->expect_version);
		err = copy_obj(r, &x->obj[x->k]);
		if (err)
			return th_errf(eb, err, "%s: no memory for a copy of the object (%zu bytes)",
				       r->name, r->len);
		x->old[x->k] = m;
		x->name[x->k] = loader_module_name(m);
		x->k++;
	}
	return TH_OK;
}

static int do_swap(struct txn *x, const struct swap_request *items, size_t n,
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
		blobs[i] = (struct loader_blob){x->obj[i].bytes, x->obj[i].len, x->name[i]};
	err = loader_stage_batch(blobs, x->old, x->k, &x->st, eb);
	stage_done(x, SWAP_STAGE_LOAD);
	if (err)
		return err;
	/* from -> to versions of the modules swapped, for the history. */
	for (i = 0; i < n && i < SWAP_HISTORY_NAMES; i++) {
		size_t j;
		for (j = 0; j < x->k; j++)
			if (strcmp(x->h.item[i].name, x->name[j]) == 0)
				set_item(x, i, x->name[j], loader_module_version(x->old[j]),
					 loader_module_version(loader_stage_new(x->st, j)));
	}
	err = loader_stage_verify(x->st, eb);
	stage_done(x, SWAP_STAGE_VERIFY);
	if (err) {
		loader_stage_end(x->st, NULL);
		return err;
	}
	flags = swap_plat_irq_save();
	err = loader_stage_commit(x->st, eb);
	x->h.sites = err ? 0 : loader_stage_sites(x->st);
	stage_done(x, SWAP_STAGE_RELINK);
	if (!err) {
		swap_generation_bump();
		err = run_hooks(x, eb);
		if (err) {
			loader_stage_revert(x->st);
			swap_generation_bump();
			x->h.sites = 0;
		}
		swap_notify_subscribers(); /* the namespace changed (or changed back) */
	}
	swap_plat_irq_restore(flags);
	stage_done(x, SWAP_STAGE_TRANSFER);
	loader_stage_end(x->st, err ? NULL : retired);
	if (err)
		return err;
	for (i = 0; i < x->k; i++) {
		swap_retire_add(retired[i]);
		if (swap_track_commit(x->name[i], loader_module_serial(retired[i]),
				      loader_module_serial(loader_find(x->name[i])), &x->obj[i]))
			log_warn("swap", "%s: no room to keep its object (rollback unavailable)",
				 x->name[i]);
	}
	swap_reap();
	stage_done(x, SWAP_STAGE_CLEANUP);
	return TH_OK;
}

static int run(const struct swap_request *items, size_t n, bool rollback, struct swap_result *res,
	       struct th_errbuf *eb)
{
	struct th_errbuf local;
	struct txn *x;
	size_t i;
	int err;

	if (!eb)
		eb = &local;
	eb->msg[0] = '\0';
	x = kcalloc(1, sizeof *x);
	if (!x)
		return th_errf(eb, TH_ENOMEM, "no memory for a swap");
	x->h.seq = swap_history_next_seq();
	x->h.when_ns = swap_plat_now_ns();
	x->h.rollback = rollback;
	x->h.n = n;
	x->t = swap_plat_tsc();
	err = do_swap(x, items, n, eb);
	for (i = 0; i < x->k; i++)
		swap_obj_free(&x->obj[i]); /* emptied by swap_track_commit on success */
	record(x, err, res, eb);
	if (!err && !x->h.unchanged)
		log_info("swap", "#%llu %s%s %s -> %s: %zu sites, %llu us", (unsigned long long)x->h.seq,
			 rollback ? "rollback " : "", x->h.item[0].name, x->h.item[0].from,
			 x->h.item[0].to, x->h.sites, (unsigned long long)(x->h.total_ns / 1000));
	kfree(x);
	return err;
}

int swap_modules(const struct swap_request *items, size_t n, struct swap_result *res,
		 struct th_errbuf *eb)
{
	return run(items, n, false, res, eb);
}

int swap_rollback(const char *name, struct swap_result *res, struct th_errbuf *eb)
{
	struct swap_track *t = swap_track_find(name);
	struct swap_request r;

	if (!t || !t->prev.bytes) {
		int err = th_errf(eb, TH_ENOENT, "%s: no previous object to roll back to",
				  name ? name : "?");
		struct txn x = {0};
		x.h.seq = swap_history_next_seq();
		x.h.when_ns = swap_plat_now_ns();
		x.h.rollback = true;
		x.h.n = 1;
		set_item(&x, 0, name, "?", "?");
		record(&x, err, res, eb);
		return err;
	}
	r.name = name;
	r.data = t->prev.bytes;
	r.len = t->prev.len;
	r.expect_version = NULL;
	r.sha256 = t->prev.has_sha ? t->prev.sha : NULL;
	/* The request points into t->prev, which the commit frees: swap copies
	 * the bytes first (copy_obj), and only the commit replaces t->prev. */
	return run(&r, 1, true, res, eb);
}

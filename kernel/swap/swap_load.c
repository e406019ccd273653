/*
 * swap_load.c - the engine's load and unload transactions, so that every
 * module that runs got there (and leaves) through the engine: boot modules,
 * swap= and network loads are loads; the rollback of a first load is an
 * unload.  Same history entries, stage times and records as a swap:
 *   load      load   the loader's batch load (map, link, seal, init hooks,
 *                    in a statedb transaction undone if the load fails)
 *             verify (each object declares the module it was loaded as: the
 *                    loader checks that while parsing, before init)
 *             transfer the namespace changed: weak references, subscribers
 *             cleanup  records
 *   unload    verify   no other module depends on it
 *             relink   with interrupts off: out of the namespace and the
 *                      module list (memory kept), subscribers told
 *             transfer its fini
 *             cleanup  retired like a swapped-out version (freed once no
 *                      task runs in it), records
 */
#include "log.h"
#include "module_abi.h"
#include "modcall.h"
#include "swap_impl.h"

/* Validate, skip modules that already run their object, refuse the ones
 * that run another (compare-and-swap on "not loaded"), take references. */
static int prepare_load(struct swap_txn *x, const struct swap_request *items, size_t n,
			struct th_errbuf *eb)
{
	size_t i, j;
	int err;

	if (!items || n == 0 || n > SWAP_MAX_LOAD)
		return th_errf(eb, TH_EINVAL, "load of %zu modules (1..%d)", n, SWAP_MAX_LOAD);
	for (i = 0; i < n; i++) {
		const struct swap_request *r = &items[i];
		const char *label = r->name ? r->name : r->label;
		struct module *m = r->name ? loader_find(r->name) : NULL;
		struct swap_obj *o;

		swap_txn_item(x, i, label, "", "?");
		if (!r->data || !r->len)
			return th_errf(eb, TH_EINVAL, "load item %zu: no object", i);
		for (j = 0; r->name && j < i; j++)
			if (items[j].name && strcmp(items[j].name, r->name) == 0)
				return th_errf(eb, TH_EINVAL, "%s: twice in one load", r->name);
		err = swap_obj_get(r->data, r->len, r->sha256, &o);
		if (err)
			return th_errf(eb, err, "%s: no memory for a copy of the object (%zu bytes)",
				       label ? label : "?", r->len);
		if (m && swap_track_runs(swap_track_find(r->name), o)) {
			swap_obj_put(o);
			swap_txn_item(x, i, r->name, loader_module_version(m), loader_module_version(m));
			continue;
		}
		x->obj[x->k] = o;
		if (m)
			return th_errf(eb, TH_ECONFLICT, "%s: expected no such module, but version %s runs",
				       r->name, loader_module_version(m));
		x->name[x->k] = r->name;
		x->label[x->k] = r->label ? r->label : r->name;
		x->idx[x->k] = i;
		x->k++;
	}
	return TH_OK;
}

/* A load that failed after its init hooks began: its modules were in the
 * namespace while the hooks ran, and a hook may have started a task in one
 * (a load's hooks run with interrupts on).  The subscribers are told (the
 * tasks of those modules are asked to stop, cached symbols dropped), and the
 * modules are freed like swapped-out versions, once no task runs in them. */
static void retire_failed_load(struct module *const *dead, size_t n)
{
	uint64_t flags;

	if (!n)
		return;
	flags = swap_plat_irq_save();
	swap_generation_bump();
	swap_notify_subscribers();
	swap_plat_irq_restore(flags);
	for (size_t i = 0; i < n; i++)
		swap_retire_add(dead[i]);
	swap_reap();
}

int swap_do_load(struct swap_txn *x, const struct swap_request *items, size_t n,
		 struct th_errbuf *eb)
{
	struct loader_blob blobs[SWAP_MAX_LOAD];
	struct module *mods[SWAP_MAX_LOAD], *dead[SWAP_MAX_LOAD];
	uint64_t flags;
	size_t i, ndead = 0;
	int err;

	err = prepare_load(x, items, n, eb);
	if (err || x->k == 0) {
		x->h.unchanged = !err;
		return err;
	}
	/* Room to retire them all, should the load fail once its hooks ran. */
	if (swap_retire_room() < x->k && (swap_reap(), swap_retire_room() < x->k))
		return th_errf(eb, TH_EBUSY, "%zu old versions still in use; try again",
			       swap_retiring_count());
	for (i = 0; i < x->k; i++)
		blobs[i] = (struct loader_blob){x->obj[i]->bytes, x->obj[i]->len, x->label[i],
						x->name[i]};
	/* The init hooks (and the finis of a batch that fails) run in a statedb
	 * transaction: a failed load leaves statedb as it was. */
	err = swap_state_begin(x, eb);
	if (!err) {
		size_t culprit;
		err = loader_load_batch_retire(blobs, x->k, mods, &culprit, dead, &ndead, eb);
		if (err && culprit < x->k)
			x->failed_item = x->idx[culprit];
	}
	swap_txn_stage(x, SWAP_STAGE_LOAD);
	if (err) {
		swap_state_end(x, false);
		retire_failed_load(dead, ndead);
		return err;
	}
	/* Each object declares the module it was asked for: the loader refused
	 * another while parsing it (blob.module), before any of its code ran. */
	for (i = 0; i < x->k; i++)
		x->name[i] = loader_module_name(mods[i]);
	swap_state_end(x, true);
	for (i = 0; i < x->k; i++)
		swap_txn_item(x, x->idx[i], x->name[i], "", loader_module_version(mods[i]));
	swap_txn_stage(x, SWAP_STAGE_VERIFY);
	flags = swap_plat_irq_save();
	swap_generation_bump();
	swap_notify_subscribers();
	swap_plat_irq_restore(flags);
	swap_txn_stage(x, SWAP_STAGE_TRANSFER);
	for (i = 0; i < x->k; i++) {
		struct swap_obj *o = x->obj[i];
		x->obj[i] = NULL; /* the record owns the reference now */
		if (swap_track_loaded(mods[i], o))
			log_warn("swap", "%s: no room to keep its object (rollback unavailable)",
				 x->name[i]);
	}
	swap_txn_stage(x, SWAP_STAGE_CLEANUP);
	return TH_OK;
}

/* Refusal of the unload of m (other modules depend on it), naming them; when
 * m depends on one of them too, no order of single unloads can work: say so
 * and name the set that must go together. */
static int refuse_busy(struct module *m, const char *deps, size_t nd, struct th_errbuf *eb)
{
	struct module *cl[SWAP_MAX_ITEMS + 1];
	const char *name = loader_module_name(m);
	char set[160];
	size_t n, i, pos = 0;
	bool cycle = false;

	n = swap_dependent_closure(m, cl, SWAP_MAX_ITEMS);
	for (i = 1; i < n && i <= SWAP_MAX_ITEMS && !cycle; i++)
		cycle = swap_depends_on(m, cl[i]);
	if (!cycle)
		return th_errf(eb, TH_EBUSY, "%s: %s depend%s on it", name, deps, nd > 1 ? "" : "s");
	if (n > SWAP_MAX_ITEMS)
		return th_errf(eb, TH_EBUSY, "%s: %s depend%s on it, and %s on them (a cycle of more "
			       "than %d modules: no rollback can take them out)", name, deps,
			       nd > 1 ? "" : "s", name, SWAP_MAX_ITEMS);
	for (i = 0; i < n; i++)
		th_appendf(set, sizeof set, &pos, " %s", loader_module_name(cl[i]));
	return th_errf(eb, TH_EBUSY, "%s: %s depend%s on it, and it on %s (a cycle): roll them "
		       "back together: rollback%s", name, deps, nd > 1 ? "" : "s",
		       nd > 1 ? "them" : deps, set);
}

int swap_do_unload(struct swap_txn *x, const char *const *names, size_t n,
		   struct th_errbuf *eb)
{
	struct module *mods[SWAP_MAX_ITEMS];
	const struct th_module_info *info;
	char deps[128];
	uint64_t flags;
	size_t nd, i, j;
	int err;

	if (n == 0 || n > SWAP_MAX_ITEMS)
		return th_errf(eb, TH_EINVAL, "unload of %zu modules (1..%d)", n, SWAP_MAX_ITEMS);
	for (i = 0; i < n; i++) {
		mods[i] = names[i] ? loader_find(names[i]) : NULL;
		swap_txn_item(x, i, names[i], mods[i] ? loader_module_version(mods[i]) : "?", "");
		if (!mods[i])
			return th_errf(eb, TH_ENOENT, "%s: no such module loaded",
				       names[i] ? names[i] : "?");
		for (j = 0; j < i; j++)
			if (mods[j] == mods[i])
				return th_errf(eb, TH_EINVAL, "%s: twice in one rollback", names[i]);
	}
	for (i = 0; i < n; i++) {
		nd = swap_dependents(mods[i], mods, n, deps, sizeof deps);
		if (nd && n == 1)
			return refuse_busy(mods[i], deps, nd, eb);
		if (nd)
			return th_errf(eb, TH_EBUSY, "%s: %s depend%s on it", names[i], deps,
				       nd > 1 ? "" : "s");
	}
	if (swap_retire_room() < n && (swap_reap(), swap_retire_room() < n))
		return th_errf(eb, TH_EBUSY, "%zu old versions still in use; try again",
			       swap_retiring_count());
	swap_txn_stage(x, SWAP_STAGE_VERIFY);
	flags = swap_plat_irq_save();
	err = loader_retire_set(mods, n, eb);
	if (!err) {
		swap_generation_bump();
		swap_notify_subscribers();
	}
	swap_txn_stage(x, SWAP_STAGE_RELINK);
	for (i = 0; !err && i < n; i++) { /* fini in reverse order of the request */
		struct module *m = mods[n - 1 - i];
		info = loader_module_info(m);
		if (info->fini)
			modcall_fini(loader_module_name(m), loader_module_version(m), info->fini);
		loader_run_dtors(m);
	}
	swap_plat_irq_restore(flags);
	swap_txn_stage(x, SWAP_STAGE_TRANSFER);
	if (err)
		return err;
	x->k = n;
	for (i = 0; i < n; i++) {
		swap_retire_add(mods[i]);
		swap_track_unloaded(names[i]);
	}
	swap_reap();
	swap_txn_stage(x, SWAP_STAGE_CLEANUP);
	return TH_OK;
}

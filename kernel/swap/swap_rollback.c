/*
 * swap_rollback.c - rollback: each named module back to the object it ran
 * before its last swap (a swap transaction of swap.c), or, when it runs the
 * object it was first loaded from, out of the kernel (an unload of
 * swap_load.c).  Several modules roll back as one transaction, all or
 * nothing: all swap back, or all are unloaded together, the way out of a
 * dependency cycle (each module of it depends on another, so none can be
 * unloaded alone); a mix of the two is refused.  The unload of first loads
 * happens only when asked for (may_unload; the endpoint's keep_first_load
 * false): otherwise there is "nothing to roll back" (TH_ENOENT, naming the
 * modules) and they stay loaded.
 */
#include "swap_impl.h"

/* The refusal of the rollback of modules that all run their first objects
 * when unloading them was not asked for. */
static int refuse_first_loads(const char *const *names, size_t n, struct th_errbuf *eb)
{
	char set[SWAP_MAX_ITEMS * (TH_MODULE_NAME_MAX + 2)];
	size_t pos = 0;

	set[0] = '\0';
	for (size_t i = 0; i < n; i++)
		th_appendf(set, sizeof set, &pos, "%s%s", i ? ", " : "", names[i]);
	if (n == 1)
		return th_errf(eb, TH_ENOENT, "%s: nothing to roll back: it runs the object it was "
			       "first loaded from (unloading it was not asked for)", set);
	return th_errf(eb, TH_ENOENT, "%s: nothing to roll back: they run the objects they were "
		       "first loaded from (unloading them was not asked for)", set);
}

static int rollback_locked(const char *const *names, size_t n, bool may_unload,
			   struct swap_result *res, struct th_errbuf *eb)
{
	struct th_errbuf local;
	struct swap_request r[SWAP_MAX_ITEMS];
	struct swap_track *t[SWAP_MAX_ITEMS];
	size_t i, j, nu = 0, ns = 0, first_u = 0, first_s = 0;
	bool ok = names && n >= 1 && n <= SWAP_MAX_ITEMS;
	struct swap_txn *x;

	if (!eb)
		eb = &local;
	for (i = 0; ok && i < n; i++) {
		struct module *m = names[i] ? loader_find(names[i]) : NULL;
		t[i] = names[i] ? swap_track_find(names[i]) : NULL;
		if (m && t[i] && t[i]->n == 1 && t[i]->first_load) {
			if (!nu++)
				first_u = i;
		} else if (!ns++) {
			first_s = i;
		}
	}
	x = swap_txn_begin(ok && nu == n && may_unload ? SWAP_KIND_UNLOAD : SWAP_KIND_ROLLBACK,
			   true, n, eb);
	if (!x)
		return TH_ENOMEM;
	if (!ok)
		return swap_txn_end(x, th_errf(eb, TH_EINVAL, "rollback of %zu modules (1..%d)", n,
					       SWAP_MAX_ITEMS), res, eb);
	for (i = 0; i < n; i++) {
		struct module *m = names[i] ? loader_find(names[i]) : NULL;
		swap_txn_item(x, i, names[i] ? names[i] : "?", m ? loader_module_version(m) : "?",
			      "?");
		if (!m)
			return swap_txn_end(x, th_errf(eb, TH_ENOENT, "%s: no such module loaded",
						       names[i] ? names[i] : "?"), res, eb);
		for (j = 0; j < i; j++)
			if (strcmp(names[j], names[i]) == 0)
				return swap_txn_end(x, th_errf(eb, TH_EINVAL, "%s: twice in one rollback",
							       names[i]), res, eb);
	}
	if (nu == n && !may_unload)
		return swap_txn_end(x, refuse_first_loads(names, n, eb), res, eb);
	if (nu == n)
		return swap_txn_end(x, swap_do_unload(x, names, n, eb), res, eb);
	if (nu)
		return swap_txn_end(x, th_errf(eb, TH_ENOTSUP, "%s runs the object it was first loaded "
					       "from (%s) but %s swaps back: one rollback does one or "
					       "the other; roll back %s alone first", names[first_u],
					       may_unload ? "its rollback unloads it" :
					       "nothing to roll back", names[first_s],
					       names[first_s]), res, eb);
	for (i = 0; i < n; i++) {
		if (!t[i] || t[i]->n < 2)
			return swap_txn_end(x, th_errf(eb, TH_ENOENT, "%s: no previous object to roll "
						       "back to%s", names[i],
						       t[i] ? " (older ones were dropped)" : ""), res, eb);
		/* The request points into an object the record holds a reference
		 * to: it stays valid through the transaction, which takes its own. */
		r[i] = (struct swap_request){names[i], t[i]->stack[t[i]->n - 2]->bytes,
					     t[i]->stack[t[i]->n - 2]->len, NULL,
					     swap_obj_known_sha(t[i]->stack[t[i]->n - 2]), NULL};
	}
	return swap_txn_end(x, swap_do_swap(x, r, n, eb), res, eb);
}

int swap_rollback(const char *name, struct swap_result *res, struct th_errbuf *eb)
{
	return swap_undo_set(&name, 1, true, res, eb);
}

int swap_undo(const char *name, bool may_unload, struct swap_result *res, struct th_errbuf *eb)
{
	return swap_undo_set(&name, 1, may_unload, res, eb);
}

int swap_rollback_set(const char *const *names, size_t n, struct swap_result *res,
		      struct th_errbuf *eb)
{
	return swap_undo_set(names, n, true, res, eb);
}

int swap_undo_set(const char *const *names, size_t n, bool may_unload,
		  struct swap_result *res, struct th_errbuf *eb)
{
	swap_plat_engine_lock();
	int err = rollback_locked(names, n, may_unload, res, eb);
	swap_plat_engine_unlock();
	return err;
}

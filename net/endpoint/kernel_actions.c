/*
 * kernel_actions.c - the endpoint's requests that change the kernel
 * (theseusctl swap, rollback, invoke): the action functions of struct
 * endpoint_ops over the swap engine and the loader's namespace.
 *
 * swap: loads (expected version "") and swaps alike are transactions of the
 * swap engine; staging has verified each object's SHA-256, which the engine
 * takes as the object's name without hashing it again.
 *
 * invoke: modcall_invoke (kernel/include/modcall.h): the function is looked
 * up by name at every call (a swap in between is always seen), must belong
 * to the module named and be declared with TH_INVOKE, and runs as a guarded
 * call: a fault is TH_EFAULT naming the culprit, and the module is recovered.
 */
#include "kernel_impl.h"

#include "klibc.h"
#include "loader.h"
#include "log.h"
#include "modcall.h"
#include "swap.h"

void kernel_copy_stages(const uint64_t *stage_ns, struct endpoint_stage_time *out, uint32_t *n)
{
	*n = SWAP_NSTAGES < ENDPOINT_MAX_STAGES ? SWAP_NSTAGES : ENDPOINT_MAX_STAGES;
	for (uint32_t s = 0; s < *n; s++) {
		snprintf(out[s].stage, sizeof out[s].stage, "%s", swap_stage_name((enum swap_stage)s));
		out[s].ns = stage_ns[s];
	}
}

static int op_swap(void *ctx, const struct endpoint_swap_item *items, size_t n,
		   struct endpoint_swap_report *report, struct th_errbuf *eb)
{
	/* The wire layer checked the form (1..PROTO_MAX_SWAP_ITEMS items, names,
	 * versions); the engine checks the meaning.  Here only an assertion. */
	_Static_assert(PROTO_MAX_SWAP_ITEMS <= SWAP_MAX_ITEMS, "wire limit above the engine's");
	struct swap_request req[SWAP_MAX_ITEMS] = { { 0 } };
	if (n > SWAP_MAX_ITEMS)
		return th_errf(eb, TH_EINVAL, "swap: %zu items (the engine takes %d)", n,
			       SWAP_MAX_ITEMS);
	for (size_t i = 0; i < n; i++)
		req[i] = (struct swap_request){ items[i].module, items[i].object, items[i].size,
						items[i].expected_version, items[i].sha256, NULL };
	struct swap_result res;
	int err = swap_modules(req, n, &res, eb);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		const struct module *m = loader_find(items[i].module);
		snprintf(report->new_version[i], sizeof report->new_version[i], "%s",
			 m ? loader_module_version(m) : "?");
	}
	kernel_copy_stages(res.stage_ns, report->stages, &report->n_stages);
	return TH_OK;
}

static int op_rollback(void *ctx, const char *module, bool may_unload,
		       struct endpoint_swap_report *report, struct th_errbuf *eb)
{
	struct swap_result res;
	if (!loader_find(module))
		return th_errf(eb, TH_ENOENT, "rollback: module %s is not loaded", module);
	int err = swap_undo(module, may_unload, &res, eb);
	if (err)
		return err;
	/* The rollback of a first load unloads: no version runs any more (""). */
	const struct module *m = loader_find(module);
	snprintf(report->new_version[0], sizeof report->new_version[0], "%s",
		 m ? loader_module_version(m) : "");
	kernel_copy_stages(res.stage_ns, report->stages, &report->n_stages);
	return TH_OK;
}

static int op_rollback_set(void *ctx, const char *const *modules, size_t n, bool may_unload,
			   struct endpoint_swap_report *report, struct th_errbuf *eb)
{
	struct swap_result res;
	if (n > PROTO_MAX_SWAP_ITEMS)
		return th_errf(eb, TH_EINVAL, "rollback: %zu modules (1..%d)", n, PROTO_MAX_SWAP_ITEMS);
	for (size_t i = 0; i < n; i++) /* as op_rollback says it (theseusctl points to ls) */
		if (!loader_find(modules[i]))
			return th_errf(eb, TH_ENOENT, "rollback: module %s is not loaded", modules[i]);
	int err = swap_undo_set(modules, n, may_unload, &res, eb);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) { /* "" once unloaded */
		const struct module *m = loader_find(modules[i]);
		snprintf(report->new_version[i], sizeof report->new_version[i], "%s",
			 m ? loader_module_version(m) : "");
	}
	kernel_copy_stages(res.stage_ns, report->stages, &report->n_stages);
	return TH_OK;
}

static int op_invoke(void *ctx, const char *module, const char *function, const uint8_t *in,
		     size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len, int *result,
		     struct th_errbuf *eb)
{
	/* modcall.h: by name at every call, TH_INVOKE only, guarded; a fault
	 * comes back as TH_EFAULT with the report in eb, the module recovered. */
	return modcall_invoke(module, function, in, in_len, out, out_cap, out_len, result, eb);
}

void kernel_fill_action_ops(struct endpoint_ops *ops)
{
	ops->swap = op_swap;
	ops->rollback = op_rollback;
	ops->rollback_set = op_rollback_set;
	ops->invoke = op_invoke;
}

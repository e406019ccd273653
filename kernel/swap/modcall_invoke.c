/*
 * modcall_invoke.c - invoke a module function by name (modcall.h): looked
 * up at every call (a swap in between is always seen), refused unless the
 * module declared it with TH_INVOKE, refused fast while the module is
 * quarantined, run as a guarded call; a fault or hang is reported and the
 * module recovered before the error goes back to the caller.
 *
 * The function works on private copies of its input and output (one heap
 * block with slack after each), so that a faulty module that writes
 * through its input pointer or past its output capacity (a bit flip, an
 * off-by-some) damages its own scratch, not the caller's request.
 */
#include "modcall_impl.h"
#include "swap_impl.h"

#define SCRATCH_SLACK 256

struct invoke_call {
	th_invoke_fn fn;
	const uint8_t *in;
	size_t in_len;
	uint8_t *out;
	size_t out_cap;
	size_t *out_len;
};

static int run_invoke(void *ctx)
{
	struct invoke_call *c = ctx;
	return c->fn(c->in, c->in_len, c->out, c->out_cap, c->out_len);
}

static int invoke(const char *module, const char *function, const uint8_t *in, size_t in_len,
		  uint8_t *out, size_t out_cap, size_t *out_len, int *result, struct th_errbuf *eb);

/* The lookup and the call under the swap engine's lock: no transaction on
 * another CPU changes the namespace or frees the code meanwhile (the
 * recovery of a fault takes the lock again, recursively). */
int modcall_invoke(const char *module, const char *function, const uint8_t *in, size_t in_len,
		   uint8_t *out, size_t out_cap, size_t *out_len, int *result,
		   struct th_errbuf *eb)
{
	swap_plat_engine_lock();
	int err = invoke(module, function, in, in_len, out, out_cap, out_len, result, eb);
	swap_plat_engine_unlock();
	return err;
}

static int invoke(const char *module, const char *function, const uint8_t *in, size_t in_len,
		  uint8_t *out, size_t out_cap, size_t *out_len, int *result, struct th_errbuf *eb)
{
	struct module *m = loader_find(module), *owner = NULL;
	uintptr_t addr;
	if (!m)
		return th_errf(eb, TH_ENOENT, "invoke: module %s is not loaded", module);
	if (loader_lookup_symbol(function, &addr, &owner) != TH_OK || owner != m)
		return th_errf(eb, TH_ENOENT, "invoke: module %s exports no function %s", module,
			       function);
	if (!loader_module_invocable(m, addr))
		return th_errf(eb, TH_EDENIED, "invoke: %s is not declared invocable (TH_INVOKE)",
			       function);
	if (modcall_quarantined(module)) {
		/* The way out: a swap by hand always; a rollback only when an
		 * earlier object is kept (a first load has none to go back to). */
		struct swap_module_record rec;
		bool back = !swap_describe(module, &rec) && rec.undo > 0;
		return th_errf(eb, TH_EFAULT, "invoke: %s %s is quarantined after repeated faults "
			       "(swap it by hand: a fixed object, or the same one for a fresh "
			       "copy%s)", module, loader_module_version(m),
			       back ? "; or roll it back" : "");
	}
	uint8_t *scratch = kmalloc(in_len + out_cap + 2 * SCRATCH_SLACK);
	if (!scratch)
		return th_errf(eb, TH_ENOMEM, "invoke: no memory for %zu bytes of input and output",
			       in_len + out_cap);
	uint8_t *in_copy = scratch, *out_copy = scratch + in_len + SCRATCH_SLACK;
	if (in_len)
		memcpy(in_copy, in, in_len);
	size_t len = 0;
	struct invoke_call c = { (th_invoke_fn)addr, in_copy, in_len, out_copy, out_cap, &len };
	struct guard g;
	*out_len = 0;
	int r = modcall_refs_call(module, &g, "invoke", GUARD_BUDGET_HOOK, run_invoke, &c);
	if (!g.tripped && len <= out_cap)
		memcpy(out, out_copy, len);
	kfree(scratch);
	*out_len = len;
	if (g.tripped) {
		*out_len = 0;
		char culprit[TH_MODULE_NAME_MAX]; /* the restart frees the module's name */
		snprintf(culprit, sizeof culprit, "%s", modcall_report(module, "invoke", &g, eb));
		modcall_recover(culprit, eb);
		return r;
	}
	if (len > out_cap) {
		*out_len = 0;
		return th_errf(eb, TH_EOVERFLOW, "invoke: %s.%s reported %zu output bytes, "
			       "capacity was %zu", module, function, len, out_cap);
	}
	*result = r;
	return TH_OK;
}

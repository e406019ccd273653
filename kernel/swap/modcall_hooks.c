/*
 * modcall_hooks.c - a module's init/transfer/fini hooks as guarded calls
 * (modcall.h).  A fault is reported (log, history "fault", eb) and returned
 * as TH_EFAULT / TH_ETIMEDOUT; the load or swap that ran the hook is undone
 * by its caller, which is the recovery (no restart here: the engine is busy).
 */
#include "modcall_impl.h"

struct hook_call {
	int (*init)(void);
	int (*transfer)(const struct th_module_info *);
	const struct th_module_info *old;
	void (*fini)(void);    /* also a constructor */
};

static int run_hook(void *ctx)
{
	struct hook_call *c = ctx;
	if (c->init)
		return c->init();
	if (c->transfer)
		return c->transfer(c->old);
	c->fini();
	return TH_OK;
}

static int guarded(const char *module, const char *version, const char *what,
		   struct hook_call *c, struct th_errbuf *eb)
{
	struct guard g;
	int err = modcall_refs_call(module, &g, what, GUARD_BUDGET_HOOK, run_hook, c);
	if (g.tripped && version && !modcall_culprit(&g))
		modcall_report_as(module, version, what, &g, eb); /* code no longer listed */
	else if (g.tripped)
		(void)modcall_report(module, what, &g, eb);
	return err;
}

int modcall_init(const char *module, int (*init)(void), struct th_errbuf *eb)
{
	struct hook_call c = { .init = init };
	return guarded(module, NULL, "init", &c, eb);
}

int modcall_transfer(const char *module, int (*transfer)(const struct th_module_info *),
		     const struct th_module_info *old, struct th_errbuf *eb)
{
	struct hook_call c = { .transfer = transfer, .old = old };
	return guarded(module, NULL, "transfer", &c, eb);
}

void modcall_fini(const char *module, const char *version, void (*fini)(void))
{
	struct hook_call c = { .fini = fini };
	struct th_errbuf eb = { "" };
	(void)guarded(module, version, "fini", &c, &eb); /* reported; the module goes anyway */
}

int modcall_ctor(const char *module, void (*ctor)(void), struct th_errbuf *eb)
{
	struct hook_call c = { .fini = ctor };
	return guarded(module, NULL, "constructor", &c, eb);
}

/*
 * modcall_subsys.c - fault reports and recovery for kernel subsystems that
 * call module code through their own guarded calls (modcall.h), such as the
 * NIC core calling driver modules and the UDP services: the guarded call
 * with its statedb references tracked, and the same report and the same
 * recovery (restart, rollback, quarantine) as a faulted invoke.
 */
#include "modcall_impl.h"

const char *modcall_fault_report(const char *module, const char *what, const struct guard *g,
				 struct th_errbuf *eb)
{
	return modcall_report(module, what, g, eb);
}

void modcall_fault_recover(const char *module, struct th_errbuf *eb)
{
	modcall_recover(module, eb);
}

int modcall_guarded(const char *module, struct guard *g, const char *what, int (*fn)(void *ctx),
		    void *ctx)
{
	return modcall_refs_call(module, g, what, GUARD_BUDGET_HOOK, fn, ctx);
}

/*
 * modcall_host.c - host builds of the module hook calls (modcall.h) for the
 * loader and swap engine tests and the fuzzer: direct calls, no guard (the
 * host has no trap frames to unwind).
 */
#include "modcall.h"

int modcall_init(const char *module, int (*init)(void), struct th_errbuf *eb)
{
	return init();
}

int modcall_transfer(const char *module, int (*transfer)(const struct th_module_info *),
		     const struct th_module_info *old, struct th_errbuf *eb)
{
	return transfer(old);
}

void modcall_fini(const char *module, const char *version, void (*fini)(void))
{
	fini();
}

int modcall_ctor(const char *module, void (*ctor)(void), struct th_errbuf *eb)
{
	ctor();
	return TH_OK;
}

/* No faults on the host: every module is healthy. */
const char *modcall_state(const char *name)
{
	(void)name;
	return "ok";
}

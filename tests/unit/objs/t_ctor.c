/*
 * t_ctor.c - test module "t_ctor": constructors (one with a priority, so in
 * its own .init_array.00101 section) run before init, in priority order;
 * destructors run after fini.  Each records itself (host_record_init).
 */
#include "theseus.h"

void host_record_init(const char *name);

__attribute__((constructor)) static void ctor_late(void)
{
	host_record_init("ctor");
}

__attribute__((constructor(101))) static void ctor_early(void)
{
	host_record_init("ctor101");
}

__attribute__((destructor)) static void dtor(void)
{
	host_record_init("dtor");
}

static int ctor_init(void)
{
	host_record_init("init");
	return TH_OK;
}

static void ctor_fini(void)
{
	host_record_init("fini");
}

TH_MODULE("t_ctor", "1.0", "constructor test", .init = ctor_init, .fini = ctor_fini);

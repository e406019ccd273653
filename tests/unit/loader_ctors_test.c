/*
 * loader_ctors_test.c - host tests of module constructors and destructors
 * (kernel/loader/ctors.c): .init_array runs before init, in priority order,
 * .fini_array after fini; a constructor pointing outside the module's code
 * is refused.  Objects: tests/unit/objs/t_ctor.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "loader.h"
#include "loader_hostenv.h"
#include "modmem.h"
#include "statedb.h"
#include "test_objs.h"

static void test_order(void)
{
	struct th_errbuf eb = {{0}};
	struct obj o = T("t_ctor");
	struct module *m = NULL;

	hostenv_init_log_reset();
	CHECK_EQ(loader_load(o.data, o.len, "t_ctor", &m, &eb), TH_OK);
	CHECK(strcmp(hostenv_init_log(), "ctor101,ctor,init") == 0);
	if (strcmp(hostenv_init_log(), "ctor101,ctor,init") != 0)
		fprintf(stderr, "  load ran: %s\n", hostenv_init_log());
	hostenv_init_log_reset();
	if (m)
		CHECK_EQ(loader_unload(m, &eb), TH_OK);
	CHECK(strcmp(hostenv_init_log(), "fini,dtor") == 0);
	free(o.data);
}

/* The .init_array entry's relocation made to point at a kernel export
 * (outside the module's code): refused, nothing runs. */
static void test_ctor_outside_code(void)
{
	struct th_errbuf eb = {{0}};
	struct obj o = T("t_ctor");
	const uint8_t *d = o.data;
	const uint64_t *eh = (const uint64_t *)(d + 0x28);      /* e_shoff */
	uint16_t shnum = *(const uint16_t *)(d + 0x3c), shstrndx = *(const uint16_t *)(d + 0x3e);
	const uint8_t *sh = d + *eh;
	const char *names = (const char *)d + *(const uint64_t *)(sh + 64 * shstrndx + 24);
	int patched = 0;

	for (uint16_t i = 0; i < shnum; i++) {
		const uint8_t *s = sh + 64 * i;
		const char *name = names + *(const uint32_t *)s;
		if (strcmp(name, ".rela.init_array") != 0)
			continue;
		/* Point the first entry at symbol "host_record_init" (undefined, kernel). */
		uint64_t *info = (uint64_t *)(d + *(const uint64_t *)(s + 24) + 8);
		uint32_t symtab = *(const uint32_t *)(s + 40);
		const uint8_t *st = sh + 64 * symtab;
		const uint8_t *syms = d + *(const uint64_t *)(st + 24);
		const char *str = (const char *)d +
			*(const uint64_t *)(sh + 64 * *(const uint32_t *)(st + 40) + 24);
		size_t nsym = *(const uint64_t *)(st + 32) / 24;
		for (size_t k = 1; k < nsym; k++)
			if (strcmp(str + *(const uint32_t *)(syms + 24 * k), "host_record_init") == 0) {
				*info = ((uint64_t)k << 32) | (uint32_t)*info;
				*(int64_t *)(info + 1) = 0;
				patched = 1;
			}
	}
	CHECK(patched);
	hostenv_init_log_reset();
	CHECK_EQ(loader_load(o.data, o.len, "t_ctor", NULL, &eb), TH_EBADELF);
	CHECK(strstr(eb.msg, "points outside the module's code") != NULL);
	CHECK(strcmp(hostenv_init_log(), "") == 0);
	free(o.data);
}

int main(void)
{
	void *arena = hostenv_loader_init();

	if (!arena)
		return 1;
	RUN(test_order);
	RUN(test_ctor_outside_code);
	CHECK_EQ(loader_module_count(), 0);
	CHECK_EQ(modmem_in_use(), 0);
	free(arena);
	return check_summary("loader_ctors");
}

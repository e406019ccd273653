/*
 * loader_exports_test.c - host tests of what a module exports (module API 2):
 * only TH_EXPORT / TH_INVOKE symbols enter the namespace, every other
 * global stays private (two modules bundle the same library without
 * EDUPSYM), weak definitions resolve as a linker would, and the refusals
 * name the cause (private import, __stack_chk_fail, static TH_EXPORT or
 * TH_INVOKE, a record naming a symbol without a name, an object built for
 * another module API).  Objects: tests/unit/objs/t_*.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "loader.h"
#include "loader_hostenv.h"
#include "loader_impl.h"
#include "modmem.h"
#include "module_abi.h"
#include "statedb.h"
#include "test_objs.h"

static int load(const char *name, struct th_errbuf *eb)
{
	struct obj o = T(name);
	int err = loader_load(o.data, o.len, name, NULL, eb);
	free(o.data);
	return err;
}

static void load_ok(const char *name)
{
	struct th_errbuf eb = {{0}};
	int err = load(name, &eb);
	CHECK_EQ(err, TH_OK);
	if (err)
		fprintf(stderr, "  load %s: %s\n", name, eb.msg);
}

static void unload_ok(const char *name)
{
	struct th_errbuf eb = {{0}};
	struct module *m = loader_find(name);
	CHECK(m != NULL);
	if (m)
		CHECK_EQ(loader_unload(m, &eb), TH_OK);
}

static void *sym(const char *name)
{
	uintptr_t a = 0;
	if (loader_lookup_symbol(name, &a, NULL))
		return NULL;
	return (void *)a;
}

static struct module *owner_of(const char *name)
{
	uintptr_t a;
	struct module *m = NULL;
	if (loader_lookup_symbol(name, &a, &m))
		return NULL;
	return m;
}

static void test_private_globals(void)
{
	struct th_errbuf eb = {{0}};
	size_t before = loader_symbol_count();

	load_ok("t_priv1");
	load_ok("t_priv2");
	/* Only the marked functions entered the namespace. */
	CHECK_EQ(loader_symbol_count(), before + 2);
	CHECK(sym("lib_shared") == NULL);
	int (*c1)(int) = (int (*)(int))sym("priv1_call");
	int (*c2)(int) = (int (*)(int))sym("priv2_call");
	CHECK(c1 && c2);
	if (c1 && c2) {
		CHECK_EQ(c1(10), 11); /* each module calls its own copy */
		CHECK_EQ(c2(10), 12);
	}
	CHECK_EQ(load("t_useprv", &eb), TH_ENOSYM);
	CHECK(strstr(eb.msg, "undefined symbol lib_shared") != NULL);
	CHECK(strstr(eb.msg, "TH_EXPORT") != NULL);
	unload_ok("t_priv2");
	unload_ok("t_priv1");
	CHECK_EQ(loader_symbol_count(), before);
}

static void test_weak_definitions(void)
{
	struct module *weak;
	int (*call)(void), (*has)(void);

	/* weak first: its own call binds to itself; a strong one then wins by name. */
	load_ok("t_weak");
	weak = loader_find("t_weak");
	load_ok("t_weak2"); /* a second weak definition: no EDUPSYM, the older stays */
	CHECK(owner_of("wk_value") == weak);
	load_ok("t_strong");
	CHECK(owner_of("wk_value") == loader_find("t_strong"));
	call = (int (*)(void))sym("wk_call");
	CHECK(call && call() == 1); /* linked before the strong one came */
	has = (int (*)(void))sym("wk_has_missing");
	CHECK(has && has() == 0);   /* undefined weak: 0 */
	unload_ok("t_strong");
	CHECK(owner_of("wk_value") == weak);
	unload_ok("t_weak2");
	unload_ok("t_weak");

	/* strong first: t_weak's own reference yields to it, as in a link. */
	load_ok("t_strong");
	load_ok("t_weak");
	CHECK(owner_of("wk_value") == loader_find("t_strong"));
	call = (int (*)(void))sym("wk_call");
	CHECK(call && call() == 2);
	{
		struct th_errbuf eb = {{0}};
		struct module *s = loader_find("t_strong");
		CHECK_EQ(loader_unload(s, &eb), TH_EDEPEND); /* t_weak links into it */
	}
	unload_ok("t_weak");
	unload_ok("t_strong");
}

static void test_refusals(void)
{
	struct th_errbuf eb = {{0}};
	size_t before = loader_symbol_count();

	CHECK_EQ(load("t_expstatic", &eb), TH_EBADELF);
	CHECK(strstr(eb.msg, "static") != NULL);
	CHECK_EQ(load("t_invstatic", &eb), TH_EBADELF);
	CHECK(strstr(eb.msg, "TH_INVOKE record 0 names a static symbol") != NULL);
	CHECK(strstr(eb.msg, "invoked by name (drop `static`)") != NULL);
	/* C++ runtime pieces: the hint names the real cause and fits the message. */
	CHECK_EQ(load("t_cxxdel", &eb), TH_ENOSYM);
	CHECK(strstr(eb.msg, "_ZdlPvm") && strstr(eb.msg, "virtual destructor") &&
	      strstr(eb.msg, "define operator delete(void *, size_t)") &&
	      strstr(eb.msg, "nothing calls delete"));
	if (!strstr(eb.msg, "nothing calls delete"))
		fprintf(stderr, "  message: %s\n", eb.msg);
	CHECK_EQ(load("t_cxxdtor", &eb), TH_ENOSYM);
	CHECK(strstr(eb.msg, "__cxa_atexit") && strstr(eb.msg, "make it trivial") &&
	      strstr(eb.msg, "destroy it in fini"));
	if (!strstr(eb.msg, "destroy it in fini"))
		fprintf(stderr, "  message: %s\n", eb.msg);
	CHECK_EQ(load("t_stackprot", &eb), TH_ENOSYM);
	CHECK(strstr(eb.msg, "__stack_chk_fail") && strstr(eb.msg, "-fno-stack-protector"));
	CHECK_EQ(load("t_oldapi", &eb), TH_EBADELF);
	{
		char want[80];
		snprintf(want, sizeof want, "built for module API 1, kernel has %d", TH_MODULE_API);
		CHECK(strstr(eb.msg, want) != NULL);
		if (!strstr(eb.msg, want))
			fprintf(stderr, "  message: %s\n", eb.msg);
	}
	CHECK_EQ(loader_symbol_count(), before);
	CHECK_EQ(loader_module_count(), 0);
}

/* A TH_INVOKE record naming a global symbol whose name is empty (its string
 * cut to "" in the string table) is refused, not loaded as a function that
 * invoke can never find. */
static void test_invoke_without_name(void)
{
	struct th_errbuf eb = {{0}};
	struct obj o = T("t_invoke");
	const struct elf64_ehdr *eh = o.data;
	const struct elf64_shdr *sh = (const struct elf64_shdr *)((char *)o.data + eh->shoff);
	size_t n = 0;

	load_ok("t_invoke");
	CHECK(sym("t_invoke_fn") != NULL);
	unload_ok("t_invoke");
	/* The symbol's name offset moved to the string table's last byte (its NUL). */
	for (size_t i = 1; i < eh->shnum; i++) {
		struct elf64_sym *y = (struct elf64_sym *)((char *)o.data + sh[i].offset);
		const char *str = (const char *)o.data + sh[sh[i].link].offset;
		if (sh[i].type != SHT_SYMTAB)
			continue;
		for (size_t k = 1; k < sh[i].size / sizeof *y; k++)
			if (strcmp(str + y[k].name, "t_invoke_fn") == 0) {
				y[k].name = (uint32_t)(sh[sh[i].link].size - 1);
				n++;
			}
	}
	CHECK_EQ(n, 1);
	CHECK_EQ(loader_load(o.data, o.len, "t_invoke", NULL, &eb), TH_EBADELF);
	CHECK(strstr(eb.msg, "TH_INVOKE record 0 names a symbol without a name") != NULL);
	CHECK_EQ(loader_module_count(), 0);
	free(o.data);
}

/* ---- lint gives the loader's verdict ------------------------------------------ */

static const struct kexport *lint_ex;
static size_t lint_nex;

static const char *host_lookup(void *ctx, const char *name)
{
	for (size_t i = 0; i < lint_nex; i++)
		if (strcmp(lint_ex[i].name, name) == 0)
			return "the kernel";
	return NULL;
}

static void quiet(void *ctx, const char *level, const char *text)
{
}

static void test_lint_agrees_with_loader(void)
{
	static const char *const objs[] = {
		"t_math", "t_priv1", "t_weak", "t_spill", "t_useprv", "t_stackprot",
		"t_expstatic", "t_invstatic", "t_oldapi", "t_undef", "t_far", "t_cxxdel", "t_cxxdtor",
	};
	struct loader_lint_target target = { host_lookup, NULL, NULL };

	lint_ex = hostenv_exports(&lint_nex);
	for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
		struct th_errbuf eb = {{0}};
		struct obj o = T(objs[i]);
		struct module *m = NULL;
		int lint = loader_lint(o.data, o.len, LOADER_SPILL_WARN, &target, quiet, NULL);
		int load = loader_load(o.data, o.len, objs[i], &m, &eb);
		if (lint != load && !(load == TH_EOVERFLOW && lint == TH_OK))
			fprintf(stderr, "  %s: lint %s, loader %s (%s)\n", objs[i], th_err_name(lint),
				th_err_name(load), eb.msg);
		/* Only what depends on load addresses (t_far's PC32 overflow) differs. */
		CHECK(lint == load || (load == TH_EOVERFLOW && lint == TH_OK));
		if (m)
			CHECK_EQ(loader_unload(m, &eb), TH_OK);
		free(o.data);
	}
}

int main(void)
{
	void *arena = hostenv_loader_init();

	if (!arena)
		return 1;
	RUN(test_private_globals);
	RUN(test_weak_definitions);
	RUN(test_refusals);
	RUN(test_invoke_without_name);
	RUN(test_lint_agrees_with_loader);
	CHECK_EQ(modmem_in_use(), 0);
	free(arena);
	return check_summary("loader_exports");
}

/*
 * swap_test.c - host tests of the live swap engine (kernel/swap) and the
 * loader's stage/commit/revert (kernel/loader/stage.c), with real execution:
 * test modules are loaded into MAP_32BIT memory and called before and after
 * swaps; failures must leave addresses, edges, namespace and memory exactly
 * as before; retirement and memory use are checked over many swaps.  Every
 * load and unload goes through the engine too: first loads, rollback down
 * to an unload (refused while a dependent is loaded), the records (version,
 * SHA-256), the undo depth, and the subscriber list.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/swap/swap_impl.h" /* swap_obj_count */
#include "check.h"
#include "loader.h"
#include "loader_hostenv.h"
#include "log.h"
#include "modmem.h"
#include "sha256.h"
#include "statedb.h"
#include "modmem_host.h"
#include "swap.h"
#include "swap_plat_host.h"
#include "test_objs.h"

/* A swap test object (SWAP_TEST_OBJDIR/name.o); a missing one ends the run. */
static struct obj svc_obj(const char *name)
{
	struct obj o = read_obj(SWAP_TEST_OBJDIR, name);
	if (!o.data || !o.len)
		exit(2);
	return o;
}

static struct obj svc1, svc2, svc3, cli1, cli2;

static uintptr_t sym(const char *name)
{
	uintptr_t a = 0;
	if (loader_lookup_symbol(name, &a, NULL))
		return 0;
	return a;
}

static int call_i(const char *name, int x)
{
	int (*f)(int) = (int (*)(int))sym(name);
	return f ? f(x) : -99999;
}

static int call_v(const char *name)
{
	int (*f)(void) = (int (*)(void))sym(name);
	return f ? f() : -99999;
}

static const char *version_of(const char *name)
{
	struct loader_module_desc d;
	struct module *m = loader_find(name);
	if (!m)
		return "(none)";
	loader_module_describe(m, &d);
	return d.version;
}

/* Everything a failed swap must leave as it was. */
struct state {
	size_t syms, mods, mem, svc_in, cli_out, retiring;
	uintptr_t svc_value, cli_call, svc_base;
	uint8_t cli_text[256];
};

static struct state state_now(void)
{
	struct state s;
	struct loader_module_desc d;
	memset(&s, 0, sizeof s);
	s.syms = loader_symbol_count();
	s.mods = loader_module_count();
	s.mem = modmem_in_use();
	s.retiring = swap_retiring_count();
	s.svc_value = sym("svc_value");
	s.cli_call = sym("cli_call");
	if (loader_find("t_svc")) {
		loader_module_describe(loader_find("t_svc"), &d);
		s.svc_in = d.edges_in;
		s.svc_base = d.base;
	}
	if (loader_find("t_cli")) {
		loader_module_describe(loader_find("t_cli"), &d);
		s.cli_out = d.edges_out;
		memcpy(s.cli_text, (void *)d.base, sizeof s.cli_text);
	}
	return s;
}

#define CHECK_STATE_SAME(a)                                                   \
	do {                                                                  \
		struct state b_ = state_now();                                \
		CHECK_EQ(b_.syms, (a).syms);                                  \
		CHECK_EQ(b_.mods, (a).mods);                                  \
		CHECK_EQ(b_.mem, (a).mem);                                    \
		CHECK_EQ(b_.svc_in, (a).svc_in);                              \
		CHECK_EQ(b_.cli_out, (a).cli_out);                            \
		CHECK_EQ(b_.retiring, (a).retiring);                          \
		CHECK_EQ(b_.svc_value, (a).svc_value);                        \
		CHECK_EQ(b_.cli_call, (a).cli_call);                          \
		CHECK_EQ(b_.svc_base, (a).svc_base);                          \
		CHECK(memcmp(b_.cli_text, (a).cli_text, sizeof b_.cli_text) == 0); \
	} while (0)

/* Load t_svc 1.0 + t_cli 1.0 as one load transaction of the engine. */
static void setup(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_request b[2] = {{NULL, svc1.data, svc1.len, "", NULL, "t_svc.o"},
				    {"t_cli", cli1.data, cli1.len, "", NULL, NULL}};
	int err = swap_modules(b, 2, NULL, &eb);
	CHECK_EQ(err, TH_OK);
	if (err)
		fprintf(stderr, "  setup: %s\n", eb.msg);
	hostenv_init_log_reset();
	hostenv_set_swap_flag(0);
}

/* Unload both through the engine (dependent first); everything is freed. */
static void teardown(void)
{
	struct th_errbuf eb = {{0}};
	swap_host_pretend_clear();
	CHECK_EQ(swap_reap(), 0);
	CHECK_EQ(swap_unload("t_cli", NULL, &eb), TH_OK);
	CHECK_EQ(swap_unload("t_svc", NULL, &eb), TH_OK);
	if (eb.msg[0])
		fprintf(stderr, "  teardown: %s\n", eb.msg);
	CHECK_EQ(swap_reap(), 0);
	CHECK_EQ(loader_module_count(), 0);
	CHECK_EQ(modmem_in_use(), 0);
	CHECK_EQ(swap_obj_count(), 0);
}

static int swap1(const char *name, struct obj o, const char *expect, struct swap_result *res,
		 struct th_errbuf *eb)
{
	struct swap_request r = {name, o.data, o.len, expect, NULL, NULL};
	return swap_modules(&r, 1, res, eb);
}

static void test_swap_relinks_dependents(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct loader_module_desc d;
	size_t in_before;
	int err;

	setup();
	CHECK_EQ(call_i("cli_call", 1), 2);
	CHECK_EQ(call_v("cli_other"), 1);
	CHECK_EQ(call_v("cli_tag"), 1);
	loader_module_describe(loader_find("t_svc"), &d);
	in_before = d.edges_in;
	CHECK(in_before >= 3);

	err = swap1("t_svc", svc2, "1.0", &res, &eb);
	CHECK_EQ(err, TH_OK);
	if (err)
		fprintf(stderr, "  swap: %s\n", eb.msg);
	CHECK_EQ(res.swapped, 1);
	CHECK_EQ(res.sites, in_before);
	CHECK(!res.unchanged);
	CHECK_STR(version_of("t_svc"), "2.0");
	CHECK_EQ(call_i("cli_call", 1), 101);
	CHECK_EQ(call_v("cli_other"), 2);
	CHECK_EQ(call_v("cli_tag"), 2);
	CHECK_EQ(call_i("svc_new", 2), 6);
	CHECK_STR(hostenv_init_log(), "t_svc2.transfer(1.0),t_svc1.fini");
	loader_module_describe(loader_find("t_svc"), &d);
	CHECK_EQ(d.edges_in, in_before);
	CHECK_EQ(swap_retiring_count(), 0); /* nothing ran in the old: freed at once */

	/* The same object again: nothing happens (retried request). */
	err = swap1("t_svc", svc2, "1.0", &res, &eb);
	CHECK_EQ(err, TH_OK);
	CHECK(res.unchanged);
	CHECK_EQ(res.swapped, 0);

	/* Roll back to 1.0 through the same path; 1.0 is t_svc's first load,
	 * whose rollback would unload it: refused while t_cli depends on it. */
	CHECK_EQ(swap_rollback("t_svc", &res, &eb), TH_OK);
	CHECK_EQ(res.kind, SWAP_KIND_ROLLBACK);
	CHECK_STR(version_of("t_svc"), "1.0");
	CHECK_EQ(call_i("cli_call", 1), 2);
	CHECK_EQ(call_v("cli_other"), 1);
	CHECK_EQ(swap_rollback("t_svc", &res, &eb), TH_EBUSY);
	CHECK_STR(eb.msg, "t_svc: t_cli depends on it");
	CHECK_STR(version_of("t_svc"), "1.0");
	CHECK_EQ(call_i("cli_call", 1), 2);
	teardown();
}

static void test_missing_symbol_refused(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct state before;
	int err;

	setup();
	before = state_now();
	err = swap1("t_svc", svc3, NULL, &res, &eb);
	CHECK_EQ(err, TH_ENOSYM);
	CHECK(strstr(eb.msg, "svc_other") && strstr(eb.msg, "t_cli") && strstr(eb.msg, "t_svc"));
	CHECK_EQ(res.err, TH_ENOSYM);
	CHECK_STATE_SAME(before);
	CHECK_STR(version_of("t_svc"), "1.0");
	CHECK_EQ(call_i("cli_call", 1), 2);
	CHECK_EQ(call_v("cli_other"), 1);
	teardown();
}

static void test_transfer_error_rolls_back(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct state before;
	int err;

	setup();
	before = state_now();
	hostenv_set_swap_flag(1);
	err = swap1("t_svc", svc2, NULL, &res, &eb);
	hostenv_set_swap_flag(0);
	CHECK_EQ(err, TH_EINIT);
	CHECK(strstr(eb.msg, "transfer") && strstr(eb.msg, "EIO"));
	CHECK_STR(hostenv_init_log(), "t_svc2.transfer(1.0)"); /* ran, failed; no fini of old */
	CHECK_STATE_SAME(before);
	CHECK_STR(version_of("t_svc"), "1.0");
	CHECK_EQ(call_i("cli_call", 5), 6);
	CHECK_EQ(call_v("cli_tag"), 1);
	/* It works once the hook succeeds. */
	CHECK_EQ(swap1("t_svc", svc2, NULL, &res, &eb), TH_OK);
	CHECK_EQ(call_i("cli_call", 5), 105);
	teardown();
}

static void test_request_checks(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct state before;
	struct obj trunc = {svc2.data, svc2.len / 2};

	setup();
	before = state_now();
	CHECK_EQ(swap1("t_svc", svc2, "9.9", &res, &eb), TH_ECONFLICT);
	CHECK(strstr(eb.msg, "1.0") && strstr(eb.msg, "9.9"));
	CHECK_EQ(swap1("nope", svc2, NULL, &res, &eb), TH_ENOENT);
	CHECK_EQ(swap1("t_svc", cli1, NULL, &res, &eb), TH_EINVAL); /* declares t_cli */
	CHECK_EQ(swap1("t_svc", trunc, NULL, &res, &eb), TH_EBADELF);
	CHECK_EQ(swap_modules(NULL, 0, &res, &eb), TH_EINVAL);
	CHECK_STATE_SAME(before);
	teardown();
	CHECK_EQ(swap_rollback("t_svc", &res, &eb), TH_ENOENT); /* not loaded */
}

static void test_two_module_transaction(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct state before;
	struct swap_request both[2] = {{"t_svc", svc2.data, svc2.len, "1.0", NULL, NULL},
				       {"t_cli", cli2.data, cli2.len, "1.0", NULL, NULL}};
	struct swap_request bad[2] = {{"t_svc", svc2.data, svc2.len, NULL, NULL, NULL},
				      {"t_cli", cli2.data, 40, NULL, NULL, NULL}};
	struct swap_request alone = {"t_cli", cli2.data, cli2.len, NULL, NULL, NULL};
	int err;

	setup();
	before = state_now();
	/* t_cli 2.0 alone needs svc_new, which t_svc 1.0 lacks. */
	CHECK_EQ(swap_modules(&alone, 1, &res, &eb), TH_ENOSYM);
	CHECK(strstr(eb.msg, "svc_new") != NULL);
	/* The second object is bad: neither is swapped. */
	CHECK_EQ(swap_modules(bad, 2, &res, &eb), TH_EBADELF);
	CHECK_STATE_SAME(before);
	CHECK_STR(version_of("t_svc"), "1.0");
	CHECK_STR(version_of("t_cli"), "1.0");
	CHECK_EQ(call_i("cli_call", 2), 3);
	/* Both together: t_cli 2.0 resolves svc_new to the new t_svc. */
	err = swap_modules(both, 2, &res, &eb);
	CHECK_EQ(err, TH_OK);
	if (err)
		fprintf(stderr, "  both: %s\n", eb.msg);
	CHECK_EQ(res.swapped, 2);
	CHECK_STR(version_of("t_svc"), "2.0");
	CHECK_STR(version_of("t_cli"), "2.0");
	CHECK_EQ(call_i("cli_call", 2), 6);
	CHECK_EQ(call_v("cli_other"), 20);
	CHECK_EQ(call_v("cli_tag"), 2);
	CHECK_EQ(loader_module_count(), before.mods);
	teardown();
}

static void test_retirement_waits_for_users(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	uintptr_t old_fn;
	size_t mem_before;
	int (*f)(int);

	setup();
	mem_before = modmem_in_use();
	old_fn = sym("svc_value");
	/* Pretend a task is executing in t_svc 1.0 (a return address into it). */
	swap_host_pretend_running(old_fn + 4);
	CHECK_EQ(swap1("t_svc", svc2, NULL, &res, &eb), TH_OK);
	CHECK_EQ(res.retiring, 1);
	CHECK_EQ(swap_retiring_count(), 1);
	CHECK(modmem_in_use() > mem_before); /* old still mapped */
	f = (int (*)(int))old_fn;            /* ... and its code still runs */
	if (swap_retiring_count() == 1)      /* (freed code would only crash) */
		CHECK_EQ(f(1), 2);
	CHECK_EQ(call_i("cli_call", 1), 101);
	CHECK_EQ(swap_reap(), 1);
	swap_host_pretend_clear();
	CHECK_EQ(swap_reap(), 0);
	CHECK_EQ(modmem_in_use(), mem_before);
	teardown();
}

static void test_memory_flat_over_200_swaps(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	size_t mem0 = 0, syms0 = 0, i;
	int bad = 0;

	setup();
	for (i = 0; i < 200; i++) {
		int err = swap1("t_svc", i % 2 ? svc1 : svc2, NULL, &res, &eb);
		if (err || call_i("cli_call", 1) != (i % 2 ? 2 : 101))
			bad++;
		if (i == 1) {
			mem0 = modmem_in_use();
			syms0 = loader_symbol_count();
		}
		if (i > 1 && i % 2 == 1) {
			if (modmem_in_use() != mem0 || loader_symbol_count() != syms0)
				bad++;
		}
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(swap_retiring_count(), 0);
	teardown();
}

static void test_history_and_symref(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct swap_symref r = {"svc_value", 0, 0};
	struct swap_history_entry e;
	uintptr_t a1 = 0, a2 = 0;
	static char buf[65536];
	size_t need, n;

	setup();
	CHECK_EQ(swap_symref_get(&r, &a1), TH_OK);
	CHECK_EQ(a1, sym("svc_value"));
	CHECK_EQ(swap1("t_svc", svc2, NULL, &res, &eb), TH_OK);
	CHECK_EQ(swap_symref_get(&r, &a2), TH_OK);
	CHECK(a2 != a1);
	CHECK_EQ(a2, sym("svc_value"));
	CHECK_EQ(swap1("t_svc", svc3, NULL, &res, &eb), TH_ENOSYM);
	n = swap_history_count();
	CHECK(n >= 2);
	CHECK(swap_history_get(n - 2, &e));
	CHECK_EQ(e.err, TH_OK);
	CHECK_STR(e.item[0].name, "t_svc");
	CHECK_STR(e.item[0].from, "1.0");
	CHECK_STR(e.item[0].to, "2.0");
	CHECK(swap_history_get(n - 1, &e));
	CHECK_EQ(e.err, TH_ENOSYM);
	CHECK(!swap_history_get(n, &e));
	need = swap_history_format(buf, sizeof buf);
	CHECK(need > 0);
	CHECK(strstr(buf, "t_svc 1.0->2.0 OK sites=") != NULL);
	CHECK(strstr(buf, "ENOSYM") != NULL);
	CHECK(strstr(buf, " load=") && strstr(buf, " relink=") && strstr(buf, " transfer="));
	CHECK_EQ(swap_history_format(NULL, 0), need);
	CHECK_EQ(swap_history_format(buf, 10), need);
	CHECK_EQ(strlen(buf), 9);
	teardown();
}

/* The last history entry. */
static struct swap_history_entry last_entry(void)
{
	struct swap_history_entry e;
	memset(&e, 0, sizeof e);
	if (swap_history_count())
		CHECK(swap_history_get(swap_history_count() - 1, &e));
	return e;
}

static int load1(const char *name, struct obj o, struct swap_result *res, struct th_errbuf *eb)
{
	struct swap_request r = {name, o.data, o.len, "", NULL, NULL};
	return swap_modules(&r, 1, res, eb);
}

static void test_first_load_rollback_unloads(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct swap_history_entry e;
	size_t mem0 = modmem_in_use();

	/* A module not loaded before: a load transaction with a history entry. */
	CHECK_EQ(load1("t_svc", svc1, &res, &eb), TH_OK);
	CHECK_EQ(res.kind, SWAP_KIND_LOAD);
	CHECK_EQ(res.swapped, 1);
	e = last_entry();
	CHECK_EQ(e.kind, SWAP_KIND_LOAD);
	CHECK_EQ(e.err, TH_OK);
	CHECK_STR(e.item[0].name, "t_svc");
	CHECK_STR(e.item[0].from, "");
	CHECK_STR(e.item[0].to, "1.0");
	CHECK(e.total_ns > 0);
	CHECK_EQ(call_i("svc_value", 1), 2);
	/* Loaded -> swapped -> rolled back -> rolled back again = unloaded. */
	CHECK_EQ(swap1("t_svc", svc2, "1.0", &res, &eb), TH_OK);
	CHECK_STR(version_of("t_svc"), "2.0");
	CHECK_EQ(swap_rollback("t_svc", &res, &eb), TH_OK);
	CHECK_STR(version_of("t_svc"), "1.0");
	e = last_entry();
	CHECK(e.kind == SWAP_KIND_ROLLBACK && e.rollback);
	/* Asked not to unload (a fleet-wide rollback): refused, still loaded. */
	CHECK_EQ(swap_undo("t_svc", false, &res, &eb), TH_ENOENT);
	CHECK(strstr(eb.msg, "t_svc: nothing to roll back") != NULL);
	CHECK_STR(version_of("t_svc"), "1.0");
	CHECK_EQ(call_i("svc_value", 1), 2);
	e = last_entry();
	CHECK(e.kind == SWAP_KIND_ROLLBACK && e.err == TH_ENOENT);
	/* Its message is longer than an entry keeps: cut with "..." at the
	 * end, not in the middle of a word as if it were whole. */
	CHECK(strlen(eb.msg) >= sizeof e.msg);
	CHECK_EQ(strlen(e.msg), sizeof e.msg - 1);
	CHECK(strncmp(e.msg, eb.msg, sizeof e.msg - 4) == 0);
	CHECK_STR(e.msg + sizeof e.msg - 4, "...");
	CHECK_EQ(swap_rollback("t_svc", &res, &eb), TH_OK);
	CHECK_EQ(res.kind, SWAP_KIND_UNLOAD);
	CHECK(loader_find("t_svc") == NULL);
	CHECK_EQ(sym("svc_value"), 0);
	e = last_entry();
	CHECK(e.kind == SWAP_KIND_UNLOAD && e.rollback && e.err == TH_OK);
	CHECK_STR(e.item[0].from, "1.0");
	CHECK_STR(e.item[0].to, "");
	CHECK_EQ(swap_reap(), 0);
	CHECK_EQ(modmem_in_use(), mem0);
	CHECK_EQ(swap_obj_count(), 0);
	/* Nothing left to roll back. */
	CHECK_EQ(swap_rollback("t_svc", &res, &eb), TH_ENOENT);
	CHECK(swap_history_format(NULL, 0) > 0);
}

static void test_unload_refused_while_depended_on(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct swap_history_entry e;

	CHECK_EQ(load1("t_svc", svc1, &res, &eb), TH_OK);
	CHECK_EQ(load1("t_cli", cli1, &res, &eb), TH_OK); /* links into t_svc */
	CHECK_EQ(swap_rollback("t_svc", &res, &eb), TH_EBUSY);
	CHECK_STR(eb.msg, "t_svc: t_cli depends on it");
	e = last_entry();
	CHECK(e.kind == SWAP_KIND_UNLOAD && e.err == TH_EBUSY);
	CHECK(strstr(e.msg, "t_cli depends on it") != NULL);
	CHECK_EQ(swap_unload("t_svc", &res, &eb), TH_EBUSY);
	CHECK(loader_find("t_svc") && call_i("cli_call", 1) == 2);
	/* The dependent's own first load rolls back, then the module's. */
	CHECK_EQ(swap_rollback("t_cli", &res, &eb), TH_OK);
	CHECK(loader_find("t_cli") == NULL);
	CHECK_EQ(swap_rollback("t_svc", &res, &eb), TH_OK);
	CHECK(loader_find("t_svc") == NULL);
	CHECK_EQ(swap_reap(), 0);
	CHECK_EQ(loader_module_count(), 0);
	CHECK_EQ(modmem_in_use(), 0);
}

static void test_load_checks(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct swap_request mixed[2] = {{"t_svc", svc2.data, svc2.len, "1.0", NULL, NULL},
					{"t_new", cli1.data, cli1.len, "", NULL, NULL}};

	hostenv_init_log_reset();
	CHECK_EQ(load1("t_other", svc1, &res, &eb), TH_EINVAL); /* declares t_svc */
	CHECK(strstr(eb.msg, "object for 't_other' declares module 't_svc'") != NULL);
	CHECK(loader_find("t_other") == NULL && loader_find("t_svc") == NULL);
	/* Refused while parsed: none of its code ran (its init could start a
	 * task; before, it was loaded, inited, then unloaded: its fini ran). */
	CHECK_STR(hostenv_init_log(), "");
	CHECK_EQ(load1("t_svc", svc1, &res, &eb), TH_OK);
	/* A retried load is harmless; a load over another object is stale. */
	CHECK_EQ(load1("t_svc", svc1, &res, &eb), TH_OK);
	CHECK(res.unchanged);
	CHECK_EQ(load1("t_svc", svc2, &res, &eb), TH_ECONFLICT);
	CHECK(strstr(eb.msg, "expected no such module, but version 1.0 runs") != NULL);
	CHECK_EQ(swap_modules(mixed, 2, &res, &eb), TH_ENOTSUP);
	CHECK(strstr(eb.msg, "load new modules (t_new) and swap loaded ones (t_svc)") != NULL);
	CHECK_STR(version_of("t_svc"), "1.0");
	/* The history entry names what was asked, not empty items. */
	struct swap_history_entry e = last_entry();
	CHECK(e.kind == SWAP_KIND_LOAD && e.err == TH_ENOTSUP && e.n == 2);
	CHECK_STR(e.item[0].name, "t_svc");
	CHECK_STR(e.item[0].from, "1.0");
	CHECK_STR(e.item[1].name, "t_new");
	CHECK_STR(e.item[1].from, "");
	CHECK_EQ(swap_unload("t_svc", &res, &eb), TH_OK);
	CHECK_EQ(swap_unload("t_svc", &res, &eb), TH_ENOENT);
	CHECK_EQ(swap_reap(), 0);
	CHECK_EQ(modmem_in_use(), 0);
}

static void test_records_and_hashes(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct swap_module_record rec;
	uint8_t h1[TH_SHA256_LEN], h2[TH_SHA256_LEN], given[TH_SHA256_LEN];
	struct swap_request r = {"t_svc", svc2.data, svc2.len, NULL, given, NULL};

	th_sha256(svc1.data, svc1.len, h1);
	th_sha256(svc2.data, svc2.len, h2);
	setup();
	/* Loaded without a hash: not hashed yet, told apart by its bytes (a
	 * restart and the same bytes loaded again reuse the one copy). */
	CHECK_EQ(swap_obj_count(), 2);
	CHECK_EQ(swap_restart("t_svc", &res, &eb), TH_OK);
	CHECK_EQ(swap_obj_count(), 2);
	CHECK_EQ(swap_describe("t_svc", &rec), TH_OK);
	CHECK_STR(rec.version, "1.0");
	CHECK(memcmp(rec.sha256, h1, sizeof h1) == 0); /* hashed when first asked */
	CHECK_EQ(swap_describe("t_svc", &rec), TH_OK);
	CHECK(memcmp(rec.sha256, h1, sizeof h1) == 0);
	CHECK_EQ(rec.len, svc1.len);
	CHECK(rec.first_load && rec.undo == 0);
	CHECK_EQ(swap_describe("nope", &rec), TH_ENOENT);
	/* A hash the caller verified (the staging area) is taken as given. */
	memcpy(given, h2, sizeof given);
	given[0] ^= 0xff;
	CHECK_EQ(swap_modules(&r, 1, &res, &eb), TH_OK);
	CHECK_EQ(swap_describe("t_svc", &rec), TH_OK);
	CHECK_STR(rec.version, "2.0");
	CHECK(memcmp(rec.sha256, given, sizeof given) == 0);
	CHECK(rec.first_load && rec.undo == 1);
	/* The same request again is a no-op: recognised by that hash. */
	CHECK_EQ(swap_modules(&r, 1, &res, &eb), TH_OK);
	CHECK(res.unchanged);
	CHECK_EQ(swap_rollback("t_svc", &res, &eb), TH_OK);
	CHECK_EQ(swap_describe("t_svc", &rec), TH_OK);
	CHECK(memcmp(rec.sha256, h1, sizeof h1) == 0 && rec.undo == 0);
	teardown();
}

static void test_undo_depth_and_shared_objects(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct swap_module_record rec;
	int i, ok = 0;

	setup();
	for (i = 0; i < 2 * SWAP_UNDO_DEPTH; i++)
		ok += swap1("t_svc", i % 2 ? svc1 : svc2, NULL, &res, &eb) == TH_OK;
	CHECK_EQ(ok, 2 * SWAP_UNDO_DEPTH);
	CHECK_EQ(swap_obj_count(), 3); /* svc1, svc2, cli1: one copy each */
	CHECK_EQ(swap_describe("t_svc", &rec), TH_OK);
	CHECK(!rec.first_load && rec.undo == SWAP_UNDO_DEPTH - 1);
	for (i = 0, ok = 0; i < SWAP_UNDO_DEPTH - 1; i++)
		ok += swap_rollback("t_svc", &res, &eb) == TH_OK;
	CHECK_EQ(ok, SWAP_UNDO_DEPTH - 1);
	CHECK_EQ(swap_rollback("t_svc", &res, &eb), TH_ENOENT); /* older ones dropped */
	CHECK(strstr(eb.msg, "no previous object") != NULL);
	CHECK(loader_find("t_svc") != NULL);
	teardown();
}

static int calls_a, calls_b, order_ok;

static void sub_a(void *ctx)
{
	calls_a++;
	(void)ctx;
}

static void sub_b(void *ctx)
{
	calls_b++;
	order_ok += calls_a == calls_b; /* a ran first */
	CHECK_EQ((long long)(uintptr_t)ctx, 42);
}

static void test_subscribers(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	static struct swap_subscriber a = {sub_a, NULL, NULL}, b = {sub_b, (void *)42, NULL},
				      none = {NULL, NULL, NULL};

	calls_a = calls_b = order_ok = 0;
	CHECK_EQ(swap_subscribe(&a), TH_OK);
	CHECK_EQ(swap_subscribe(&b), TH_OK); /* a second one does not replace the first */
	CHECK_EQ(swap_subscribe(&a), TH_EEXIST);
	CHECK_EQ(swap_subscribe(&none), TH_EINVAL);
	setup();                                   /* a load */
	CHECK_EQ(swap1("t_svc", svc2, NULL, &res, &eb), TH_OK); /* a swap */
	CHECK_EQ(swap1("t_svc", svc2, NULL, &res, &eb), TH_OK); /* a no-op: not told */
	CHECK_EQ(swap1("t_svc", svc3, NULL, &res, &eb), TH_ENOSYM); /* refused: not told */
	CHECK_EQ(calls_a, 2);
	CHECK_EQ(calls_b, 2);
	teardown();                                /* two unloads */
	CHECK_EQ(calls_a, 4);
	CHECK_EQ(calls_b, 4);
	CHECK_EQ(order_ok, 4);
	swap_unsubscribe(&a);
	setup();
	CHECK_EQ(calls_a, 4);
	CHECK_EQ(calls_b, 5);
	teardown();
	swap_unsubscribe(&b);
}

/* A load that fails once its init hooks ran (t_initfail's init fails after
 * t_svc's hooks ran): its modules were in the namespace while the hooks ran
 * and a hook may have started a task in one, so the subscribers are told
 * (the task layer asks those tasks to stop) and the modules retire like a
 * swapped-out version (freed at once here: nothing runs in them).  Before,
 * they were freed under any task a hook had started, with no word to it. */
static void test_failed_load_after_hooks_tells_subscribers(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	static struct swap_subscriber a = {sub_a, NULL, NULL};
	struct obj fail = svc_obj("t_initfail");
	struct swap_request both[2] = {{"t_svc", svc1.data, svc1.len, "", NULL, NULL},
				       {"t_initfail", fail.data, fail.len, "", NULL, NULL}};
	size_t mem = modmem_in_use(), syms = loader_symbol_count();

	calls_a = 0;
	CHECK_EQ(swap_subscribe(&a), TH_OK);
	hostenv_init_log_reset();
	CHECK_EQ(swap_modules(both, 2, &res, &eb), TH_EINIT);
	CHECK(strstr(eb.msg, "t_initfail: init failed: EIO") != NULL);
	CHECK_STR(hostenv_init_log(), "t_svc1.fini");
	CHECK_EQ(calls_a, 1);
	CHECK(loader_find("t_svc") == NULL && loader_find("t_initfail") == NULL);
	CHECK(sym("svc_value") == 0 && sym("tif_value") == 0);
	CHECK_EQ(loader_symbol_count(), syms);
	CHECK_EQ(swap_retiring_count(), 0);
	CHECK_EQ(modmem_in_use(), mem);
	/* A load refused before any hook ran changes nothing: not told. */
	CHECK_EQ(load1("t_other", svc1, &res, &eb), TH_EINVAL);
	CHECK_EQ(calls_a, 1);
	/* And the same modules load afterwards. */
	CHECK_EQ(load1("t_svc", svc1, &res, &eb), TH_OK);
	CHECK_EQ(call_i("svc_value", 1), 2);
	CHECK_EQ(swap_unload("t_svc", &res, &eb), TH_OK);
	CHECK_EQ(swap_reap(), 0);
	CHECK_EQ(modmem_in_use(), mem);
	swap_unsubscribe(&a);
	free(fail.data);
}

/* A subscriber that records a fault while the transaction runs, like a fault
 * in an init hook (modcall_fault.c) in the middle of a load. */
static void sub_fault(void *ctx)
{
	(void)ctx;
	swap_history_note(SWAP_KIND_FAULT, "t_svc", "2.0", "fault during the swap");
}

/* The history is in strictly increasing seq even when an entry is recorded
 * while a transaction runs (the transaction's own entry is recorded when it
 * ends); a batch larger than the names kept says how many more it had. */
static void test_history_order_and_batch_count(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct swap_history_entry e, prev;
	static struct swap_subscriber f = {sub_fault, NULL, NULL};
	struct swap_request six[6];
	static const char *const names[6] = {"m1", "m2", "m3", "m4", "m5", "m6"};
	static char buf[65536];
	size_t i, n;

	setup();
	CHECK_EQ(swap_subscribe(&f), TH_OK);
	CHECK_EQ(swap1("t_svc", svc2, NULL, &res, &eb), TH_OK);
	swap_unsubscribe(&f);
	n = swap_history_count();
	CHECK(n >= 3);
	CHECK(swap_history_get(n - 2, &e));
	CHECK_EQ(e.kind, SWAP_KIND_SWAP);
	CHECK_EQ(e.seq, res.seq);
	CHECK(swap_history_get(n - 1, &e));
	CHECK_EQ(e.kind, SWAP_KIND_FAULT);
	CHECK_EQ(e.seq, res.seq + 1);
	for (i = 1; i < n; i++) {
		CHECK(swap_history_get(i - 1, &prev) && swap_history_get(i, &e));
		CHECK(prev.seq < e.seq);
	}
	/* Six modules in one (failing) load: four named, "+2 more". */
	for (i = 0; i < 6; i++)
		six[i] = (struct swap_request){names[i], svc1.data, svc1.len, "", NULL, NULL};
	CHECK(swap_modules(six, 6, &res, &eb) != TH_OK);
	e = last_entry();
	CHECK_EQ(e.n, 6);
	CHECK_STR(e.item[3].name, "m4");
	swap_history_format(buf, sizeof buf);
	CHECK(strstr(buf, " +2 more ") != NULL);
	teardown();
}

/* Modules that depend on each other (t_cycb's strong cyc_knob overrides
 * t_cyca's weak one, t_cycb calls t_cyca): neither can be rolled back
 * (unloaded) alone, and the refusal names the cycle and the way out; both
 * in one rollback go together, and their memory is freed although each
 * links into the other. */
static void test_rollback_of_a_cycle(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct swap_history_entry e;
	struct obj a = svc_obj("t_cyca"), b = svc_obj("t_cycb");
	struct swap_request both[2] = {{"t_cyca", a.data, a.len, "", NULL, NULL},
				       {"t_cycb", b.data, b.len, "", NULL, NULL}};
	const char *ba[2] = {"t_cycb", "t_cyca"}, *twice[2] = {"t_cyca", "t_cyca"};
	const char *mixed[2] = {"t_svc", "t_cycb"}, *none[1] = {"t_nope"};
	size_t mem0 = modmem_in_use();

	CHECK_EQ(swap_modules(both, 2, &res, &eb), TH_OK);
	CHECK_EQ(call_v("cyca_knob"), 200); /* t_cyca links into t_cycb ... */
	CHECK_EQ(call_i("cycb_call", 1), 4); /* ... and t_cycb into t_cyca */
	CHECK_EQ(swap_rollback("t_cycb", &res, &eb), TH_EBUSY);
	CHECK_STR(eb.msg, "t_cycb: t_cyca depends on it, and it on t_cyca (a cycle): roll them "
		  "back together: rollback t_cycb t_cyca");
	CHECK_EQ(swap_rollback("t_cyca", &res, &eb), TH_EBUSY);
	CHECK(strstr(eb.msg, "(a cycle): roll them back together: rollback t_cyca t_cycb") != NULL);
	CHECK_EQ(swap_unload("t_cyca", &res, &eb), TH_EBUSY);
	CHECK(loader_find("t_cyca") && loader_find("t_cycb"));

	/* Refused as a whole: a name twice, none, a module not loaded, a mix of
	 * a swap back and an unload, a dependent outside the set. */
	CHECK_EQ(swap_rollback_set(twice, 2, &res, &eb), TH_EINVAL);
	CHECK_EQ(swap_rollback_set(ba, 0, &res, &eb), TH_EINVAL);
	CHECK_EQ(swap_rollback_set(none, 1, &res, &eb), TH_ENOENT);
	setup();
	CHECK_EQ(swap1("t_svc", svc2, NULL, &res, &eb), TH_OK);
	CHECK_EQ(swap_rollback_set(mixed, 2, &res, &eb), TH_ENOTSUP);
	CHECK(strstr(eb.msg, "roll back t_svc alone first") != NULL);
	CHECK_EQ(swap_rollback("t_svc", &res, &eb), TH_OK);
	mixed[1] = "t_cli";
	CHECK_EQ(swap_rollback_set(mixed, 1, &res, &eb), TH_EBUSY);
	CHECK_STR(eb.msg, "t_svc: t_cli depends on it");
	CHECK(loader_find("t_svc") && loader_find("t_cli") && loader_find("t_cycb"));

	/* Together: one unload transaction of both. */
	CHECK_EQ(swap_rollback_set(ba, 2, &res, &eb), TH_OK);
	CHECK_EQ(res.kind, SWAP_KIND_UNLOAD);
	CHECK_EQ(res.swapped, 2);
	CHECK(loader_find("t_cyca") == NULL && loader_find("t_cycb") == NULL);
	CHECK_EQ(sym("cyc_knob"), 0);
	e = last_entry();
	CHECK(e.kind == SWAP_KIND_UNLOAD && e.rollback && e.err == TH_OK && e.n == 2);
	CHECK_STR(e.item[0].name, "t_cycb");
	CHECK_STR(e.item[1].name, "t_cyca");
	CHECK_STR(e.item[1].from, "1.0");
	CHECK_STR(e.item[1].to, "");
	teardown(); /* frees everything, the cycle's memory too */
	CHECK_EQ(modmem_in_use(), mem0);
	free(a.data);
	free(b.data);
}

/* A cycle at its first objects is unloaded only when that is asked for
 * (may_unload; theseusctl rollback --unload): swap_undo_set without it
 * refuses with ENOENT "nothing to roll back" naming both and leaves them
 * loaded and linked (one refused rollback entry); with it both go as one
 * unload.  One module of it alone, not to be unloaded: "nothing to roll
 * back" too, before any cycle refusal. */
static void test_rollback_of_a_cycle_first_load(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct swap_history_entry e;
	struct obj a = svc_obj("t_cyca"), b = svc_obj("t_cycb");
	struct swap_request both[2] = {{"t_cyca", a.data, a.len, "", NULL, NULL},
				       {"t_cycb", b.data, b.len, "", NULL, NULL}};
	const char *ba[2] = {"t_cycb", "t_cyca"}, *one[1] = {"t_cycb"};

	setup();
	CHECK_EQ(swap_modules(both, 2, &res, &eb), TH_OK);
	CHECK_EQ(swap_undo("t_cycb", false, &res, &eb), TH_ENOENT);
	CHECK(strstr(eb.msg, "t_cycb: nothing to roll back") != NULL);
	CHECK_EQ(swap_undo_set(one, 1, false, &res, &eb), TH_ENOENT);
	CHECK(strstr(eb.msg, "t_cycb: nothing to roll back: it runs the object") != NULL);
	CHECK_EQ(swap_undo_set(ba, 2, false, &res, &eb), TH_ENOENT);
	CHECK_STR(eb.msg, "t_cycb, t_cyca: nothing to roll back: they run the objects they were "
		  "first loaded from (unloading them was not asked for)");
	CHECK(loader_find("t_cyca") && loader_find("t_cycb"));
	CHECK_EQ(call_v("cyca_knob"), 200);
	CHECK_EQ(call_i("cycb_call", 1), 4);
	e = last_entry();
	CHECK(e.kind == SWAP_KIND_ROLLBACK && e.rollback && e.err == TH_ENOENT && e.n == 2);

	CHECK_EQ(swap_undo_set(ba, 2, true, &res, &eb), TH_OK);
	CHECK_EQ(res.kind, SWAP_KIND_UNLOAD);
	CHECK_EQ(res.swapped, 2);
	CHECK(loader_find("t_cyca") == NULL && loader_find("t_cycb") == NULL);
	e = last_entry();
	CHECK(e.kind == SWAP_KIND_UNLOAD && e.rollback && e.err == TH_OK && e.n == 2);
	teardown(); /* frees everything, the cycle's memory too */
	free(a.data);
	free(b.data);
}

/* A two-module swap rolls back as one transaction: t_cli 2.0 needs t_svc
 * 2.0's svc_new, so t_svc alone cannot go back (ENOSYM), both together can. */
static void test_rollback_of_a_pair(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct swap_request pair[2] = {{"t_svc", svc2.data, svc2.len, "1.0", NULL, NULL},
				       {"t_cli", cli2.data, cli2.len, "1.0", NULL, NULL}};
	const char *names[2] = {"t_svc", "t_cli"};

	setup();
	CHECK_EQ(swap_modules(pair, 2, &res, &eb), TH_OK);
	CHECK_EQ(swap_rollback("t_svc", &res, &eb), TH_ENOSYM);
	CHECK_EQ(swap_rollback_set(names, 2, &res, &eb), TH_OK);
	CHECK_EQ(res.kind, SWAP_KIND_ROLLBACK);
	CHECK_EQ(res.swapped, 2);
	CHECK_STR(version_of("t_svc"), "1.0");
	CHECK_STR(version_of("t_cli"), "1.0");
	CHECK_EQ(call_i("cli_call", 1), 2);
	CHECK(last_entry().n == 2 && last_entry().rollback);
	teardown();
}

/* Compare-and-swap: an expected version above or below the running one is
 * refused with ECONFLICT naming both, and changes nothing; the equal one swaps. */
static void test_cas_above_and_below(void)
{
	static const char *const stale[] = {"0.9", "1.1", "2.0", "1.0.0", "1", "0"};
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct state before;
	size_t i;

	setup();
	before = state_now();
	for (i = 0; i < sizeof stale / sizeof stale[0]; i++) {
		eb.msg[0] = '\0';
		CHECK_EQ(swap1("t_svc", svc2, stale[i], &res, &eb), TH_ECONFLICT);
		CHECK(strstr(eb.msg, "runs version 1.0") && strstr(eb.msg, stale[i]));
		CHECK_EQ(res.swapped, 0);
		CHECK_STATE_SAME(before);
		CHECK_STR(version_of("t_svc"), "1.0");
	}
	CHECK_EQ(swap1("t_svc", svc2, "1.0", &res, &eb), TH_OK);
	CHECK_STR(version_of("t_svc"), "2.0");
	/* now 2.0 runs: 1.0 (below) and 2.1 (above) are stale */
	CHECK_EQ(swap1("t_svc", svc1, "1.0", &res, &eb), TH_ECONFLICT);
	CHECK_EQ(swap1("t_svc", svc1, "2.1", &res, &eb), TH_ECONFLICT);
	CHECK_STR(version_of("t_svc"), "2.0");
	CHECK_EQ(call_i("cli_call", 1), 101);
	teardown();
}

/* Old code pinned by an address at the first or the last byte of its memory
 * is kept until that address is gone; one byte past the end pins nothing. */
static void test_retire_pins_memory_edges(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct loader_module_desc d;
	size_t mem_before;
	int k;

	setup();
	mem_before = modmem_in_use();
	for (k = 0; k < 3; k++) {
		uintptr_t at;
		loader_module_describe(loader_find("t_svc"), &d);
		at = k == 0 ? d.base : k == 1 ? d.base + d.size - 1 : d.base + d.size;
		swap_host_pretend_running(at);
		CHECK_EQ(swap1("t_svc", k % 2 ? svc1 : svc2, NULL, &res, &eb), TH_OK);
		CHECK_EQ(res.retiring, k < 2 ? 1 : 0);
		CHECK_EQ(swap_retiring_count(), k < 2 ? 1 : 0);
		CHECK_EQ(swap_reap(), k < 2 ? 1 : 0);
		swap_host_pretend_clear();
		CHECK_EQ(swap_reap(), 0);
		CHECK_EQ(modmem_in_use(), mem_before);
	}
	teardown();
}

/* After a swap rewrote the dependents' sites, their code pages are R-X again
 * (W^X restored after the relink), and the new version is sealed too. */
static void test_wx_after_swap(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct loader_module_desc d;
	int i;

	setup();
	for (i = 0; i < 3; i++) {
		CHECK_EQ(swap1("t_svc", i % 2 ? svc1 : svc2, NULL, &res, &eb), TH_OK);
		CHECK(res.sites >= 3);
		loader_module_describe(loader_find("t_cli"), &d);
		CHECK(d.text > 0);
		CHECK_EQ(modmem_host_range_prot(d.base, d.text), VMM_R | VMM_X);
		loader_module_describe(loader_find("t_svc"), &d);
		CHECK_EQ(modmem_host_range_prot(d.base, d.text), VMM_R | VMM_X);
		if (d.rodata)
			CHECK_EQ(modmem_host_range_prot(d.base + ((d.text + 4095) & ~(size_t)4095),
							d.rodata), VMM_R);
	}
	if (modmem_host_range_prot(d.base, d.text) == (VMM_R | VMM_X))
		CHECK_EQ(call_i("cli_call", 1), 101);
	teardown();
}

/* ---- statedb changes of the hooks (swap_state.c) ----------------------- */

static struct obj mig1, mig2;

/* What a failed swap must leave of statedb: every entry, byte for byte. */
struct sdb_snap {
	size_t n;
	struct statedb_info in[16];
	uint8_t bytes[16][64];
	struct statedb_stats st;
};

static void sdb_snap(struct sdb_snap *s)
{
	uint32_t cursor = 0;
	memset(s, 0, sizeof *s);
	while (s->n < 16 && statedb_next(&cursor, &s->in[s->n]) == TH_OK) {
		struct statedb_info *in = &s->in[s->n];
		void *p;
		if (in->kind == STATEDB_KIND_NAMED && in->size <= 64 &&
		    statedb_get(in->ref, in->type, in->version, &p, NULL) == TH_OK) {
			memcpy(s->bytes[s->n], p, in->size);
			CHECK_EQ(statedb_put(in->ref), TH_OK);
		}
		s->n++;
	}
	CHECK_EQ(statedb_stats(&s->st), TH_OK);
}

static void check_sdb_same(const struct sdb_snap *a)
{
	struct sdb_snap b;
	sdb_snap(&b);
	CHECK_EQ(b.n, a->n);
	CHECK(memcmp(b.in, a->in, sizeof b.in) == 0); /* names, refs, types, versions, counts */
	CHECK(memcmp(b.bytes, a->bytes, sizeof b.bytes) == 0);
	CHECK_EQ(b.st.entries_used, a->st.entries_used);
	CHECK_EQ(b.st.data_used, a->st.data_used);
}

/* Bytes the live entries need: a commit left nothing else allocated. */
static uint64_t sdb_live_bytes(void)
{
	struct statedb_info in;
	uint32_t cursor = 0;
	uint64_t sum = 0;
	while (statedb_next(&cursor, &in) == TH_OK)
		sum += (in.size + STATEDB_ALIGN - 1) / STATEDB_ALIGN * STATEDB_ALIGN;
	return sum;
}

/* setup() plus t_mig 1.0 with a count of 3 and an entry its 2.0 deletes. */
static void mig_setup(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_request r = {NULL, mig1.data, mig1.len, "", NULL, "t_mig.o"};
	struct statedb_ref ref;
	const char old[8] = "old one";
	setup();
	CHECK_EQ(swap_modules(&r, 1, NULL, &eb), TH_OK);
	CHECK_EQ(call_i("mig_add", 10), 1);
	CHECK_EQ(call_i("mig_add", 20), 2);
	CHECK_EQ(call_i("mig_add", 30), 3);
	CHECK_EQ(statedb_create("t_mig.old", 7, 1, sizeof old, old, &ref, NULL), TH_OK);
}

static void mig_teardown(void)
{
	struct th_errbuf eb = {{0}};
	const char *names[] = {"t_mig.state", "t_mig.new", "t_mig.old"};
	CHECK_EQ(swap_unload("t_mig", NULL, &eb), TH_OK);
	teardown();
	for (size_t i = 0; i < 3; i++) {
		int err = statedb_delete(names[i], NULL);
		CHECK(err == TH_OK || err == TH_ENOENT);
	}
	CHECK_EQ(sdb_live_bytes(), 0);
	struct statedb_stats st;
	CHECK_EQ(statedb_stats(&st), TH_OK);
	CHECK_EQ(st.entries_used, 0);
	CHECK_EQ(st.data_used, 0);
}

/* The audit's case: t_mig's hook migrated layout 1 -> 2, then t_svc's hook
 * failed: the swap is undone and so is the migration (1.0 keeps working on
 * its entry, whose old refs still work); once both hooks succeed the swap
 * goes through and the old version's bytes are freed. */
static void test_statedb_second_hook_fails(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct sdb_snap before;
	struct statedb_ref ref;
	struct statedb_info in;
	struct swap_request both[2] = {{"t_mig", mig2.data, mig2.len, "1.0", NULL, NULL},
				       {"t_svc", svc2.data, svc2.len, "1.0", NULL, NULL}};

	mig_setup();
	sdb_snap(&before);
	hostenv_set_swap_flag(1); /* t_svc 2.0's transfer fails, t_mig's succeeds */
	CHECK_EQ(swap_modules(both, 2, &res, &eb), TH_EINIT);
	hostenv_set_swap_flag(0);
	CHECK(strstr(eb.msg, "t_svc") && strstr(eb.msg, "EIO"));
	CHECK_STR(version_of("t_mig"), "1.0");
	CHECK_STR(version_of("t_svc"), "1.0");
	check_sdb_same(&before);
	CHECK_EQ(statedb_lookup("t_mig.new", &ref, NULL), TH_ENOENT);
	CHECK_EQ(call_i("mig_add", 1), 4); /* not TH_ETYPE */
	/* Retried with hooks that succeed. */
	CHECK_EQ(swap_modules(both, 2, &res, &eb), TH_OK);
	CHECK_STR(version_of("t_mig"), "2.0");
	CHECK_EQ(call_i("mig_add", 1), 5);
	CHECK_EQ(statedb_lookup("t_mig.state", &ref, NULL), TH_OK);
	CHECK_EQ(statedb_inspect(ref, &in), TH_OK);
	CHECK_EQ(in.version, 2);
	CHECK_EQ(statedb_lookup("t_mig.old", &ref, NULL), TH_ENOENT);
	CHECK_EQ(statedb_lookup("t_mig.new", &ref, NULL), TH_OK);
	struct statedb_stats st;
	CHECK_EQ(statedb_stats(&st), TH_OK);
	CHECK_EQ(st.data_used, sdb_live_bytes()); /* v1 and t_mig.old freed */
	CHECK_EQ(st.entries_used, before.st.entries_used);
	mig_teardown();
}

/* One module whose hook migrates, then fails: the entry stays layout 1. */
static void test_statedb_hook_migrates_then_fails(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct sdb_snap before;

	mig_setup();
	sdb_snap(&before);
	hostenv_set_swap_flag(2);
	CHECK_EQ(swap1("t_mig", mig2, NULL, &res, &eb), TH_EINIT);
	hostenv_set_swap_flag(0);
	CHECK(strstr(eb.msg, "EIO") != NULL);
	CHECK_STR(version_of("t_mig"), "1.0");
	check_sdb_same(&before);
	CHECK_EQ(call_i("mig_add", 1), 4);
	/* A rollback after a good swap runs the same path (1.0 has no
	 * migration: the documented downgrade, statedb untouched by it). */
	CHECK_EQ(swap1("t_mig", mig2, NULL, &res, &eb), TH_OK);
	CHECK_EQ(call_i("mig_add", 1), 5);
	mig_teardown();
}

/* A hook whose changes overflow the journal gets TH_EFULL, fails, and
 * everything it made is gone again. */
static void test_statedb_journal_full_fails_hook(void)
{
	struct th_errbuf eb = {{0}};
	struct swap_result res;
	struct sdb_snap before;
	struct statedb_ref ref;

	mig_setup();
	sdb_snap(&before);
	hostenv_set_swap_flag(3);
	CHECK_EQ(swap1("t_mig", mig2, NULL, &res, &eb), TH_EINIT);
	hostenv_set_swap_flag(0);
	CHECK(strstr(eb.msg, "EFULL") != NULL);
	check_sdb_same(&before);
	CHECK_EQ(statedb_lookup("t_mig.n0", &ref, NULL), TH_ENOENT);
	CHECK_EQ(call_i("mig_add", 1), 4);
	mig_teardown();
}

int main(void)
{
	struct th_errbuf eb = {{0}};
	size_t n;
	const struct kexport *ex = hostenv_exports(&n);

	size_t arena_len = statedb_arena_size(64, 1 << 16);
	void *arena = malloc(arena_len);
	if (!arena || statedb_init(arena, arena_len, 64, &eb)) {
		fprintf(stderr, "statedb_init: %s\n", eb.msg);
		return 1;
	}
	if (!ex || loader_init(ex, n, &eb)) {
		fprintf(stderr, "loader_init: %s\n", eb.msg);
		return 1;
	}
	svc1 = svc_obj("t_svc");
	svc2 = svc_obj("t_svc2");
	svc3 = svc_obj("t_svc3");
	cli1 = svc_obj("t_cli");
	cli2 = svc_obj("t_cli2");
	mig1 = svc_obj("t_mig");
	mig2 = svc_obj("t_mig2");
	RUN(test_swap_relinks_dependents);
	RUN(test_missing_symbol_refused);
	RUN(test_transfer_error_rolls_back);
	RUN(test_request_checks);
	RUN(test_two_module_transaction);
	RUN(test_retirement_waits_for_users);
	RUN(test_memory_flat_over_200_swaps);
	RUN(test_history_and_symref);
	RUN(test_first_load_rollback_unloads);
	RUN(test_unload_refused_while_depended_on);
	RUN(test_load_checks);
	RUN(test_records_and_hashes);
	RUN(test_undo_depth_and_shared_objects);
	RUN(test_subscribers);
	RUN(test_failed_load_after_hooks_tells_subscribers);
	RUN(test_history_order_and_batch_count);
	RUN(test_rollback_of_a_cycle);
	RUN(test_rollback_of_a_cycle_first_load);
	RUN(test_rollback_of_a_pair);
	RUN(test_cas_above_and_below);
	RUN(test_retire_pins_memory_edges);
	RUN(test_wx_after_swap);
	RUN(test_statedb_second_hook_fails);
	RUN(test_statedb_hook_migrates_then_fails);
	RUN(test_statedb_journal_full_fails_hook);
	swap_forget_all();
	free(svc1.data);
	free(svc2.data);
	free(svc3.data);
	free(cli1.data);
	free(cli2.data);
	free(mig1.data);
	free(mig2.data);
	free(arena);
	return check_summary("swap");
}

/*
 * loader_elf_fuzz.c - libFuzzer target: arbitrary bytes as a module object.
 *
 * Each input is linted, then loaded (no init/fini: nothing of the object
 * runs) against a small fake export table, after a valid-looking module
 * "base" that exports one symbol the input may link to; a successful load is
 * unloaded.  After each input the namespace and module memory must be back
 * to where they were, or the target aborts.
 * Seeds: build/fuzz/loader_elf.corpus/ (test objects and modules, copied at
 * build time).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "log.h"
#include "modmem.h"

/* The loader logs; the fuzzer keeps quiet. */
void klog(enum log_level level, const char *component, const char *fmt, ...)
{
	(void)level;
	(void)component;
	(void)fmt;
}

static void fake_fn(void)
{
}

static void quiet(void *ctx, const char *level, const char *text)
{
	(void)ctx;
	(void)level;
	(void)text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int ready;
	static const struct kexport ex[] = {
		{"klog", (void *)fake_fn},          {"snprintf", (void *)fake_fn},
		{"memcpy", (void *)fake_fn},        {"strlen", (void *)fake_fn},
		{"host_record_init", (void *)fake_fn}, {"host_twice", (void *)fake_fn},
		{"statedb_open", (void *)fake_fn},  {"statedb_get", (void *)fake_fn},
		{"statedb_put", (void *)fake_fn},   {"statedb_close", (void *)fake_fn},
	};
	struct th_errbuf eb;
	struct module *m = NULL;
	size_t syms, mem;
	uint64_t *copy;
	int err;

	if (!ready) {
		if (loader_init(ex, sizeof ex / sizeof ex[0], &eb))
			abort();
		loader_set_run_hooks(false);
		ready = 1;
	}
	/* 8-byte aligned private copy (the loader requires alignment). */
	copy = malloc(len / 8 * 8 + 8);
	if (!copy)
		return 0;
	memcpy(copy, data, len);
	syms = loader_symbol_count();
	mem = modmem_in_use();
	err = loader_lint(copy, len, LOADER_SPILL_WARN, NULL, quiet, NULL);
	(void)err;
	err = loader_load(copy, len, "fuzz", &m, &eb);
	if (err == TH_OK) {
		if (loader_unload(m, &eb))
			abort();
	}
	if (loader_symbol_count() != syms || modmem_in_use() != mem || loader_module_count())
		abort();
	free(copy);
	return 0;
}

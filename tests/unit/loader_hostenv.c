/*
 * loader_hostenv.c - the loader tests' kernel export table: each host
 * function gets a stub "movabs $fn, %r11; jmp *%r11" in a page below 2 GiB
 * (r11 is scratch in the SysV ABI and carries no argument, so varargs and
 * all argument registers pass through untouched).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "loader_hostenv.h"
#include "log.h"
#include "statedb.h"

int host_far_var = 7;
static char init_log[256];
static int swap_flag;

int host_swap_flag(void)
{
	return swap_flag;
}

void hostenv_set_swap_flag(int v)
{
	swap_flag = v;
}

int host_twice(int x)
{
	return 2 * x;
}

void host_record_init(const char *name)
{
	size_t l = strlen(init_log);

	snprintf(init_log + l, sizeof init_log - l, "%s%s", l ? "," : "", name);
}

const char *hostenv_init_log(void)
{
	return init_log;
}

void hostenv_init_log_reset(void)
{
	init_log[0] = '\0';
}

static void *host_kmalloc(size_t n) { return malloc(n); }
static void *host_kcalloc(size_t n, size_t s) { return calloc(n, s); }
static void host_kfree(void *p) { free(p); }

#define FN(f) {#f, (void *)(f)}
static const struct kexport host_fns[] = {
	FN(klog), FN(kprintf), FN(snprintf), FN(vsnprintf), FN(memcpy), FN(memmove),
	FN(memset), FN(memcmp), FN(strlen), FN(strnlen), FN(strcmp), FN(strncmp),
	FN(th_errf), FN(th_err_name), FN(th_strerror),
	{"kmalloc", (void *)host_kmalloc}, {"kcalloc", (void *)host_kcalloc},
	{"kfree", (void *)host_kfree},
	FN(statedb_open), FN(statedb_get), FN(statedb_put), FN(statedb_close),
	FN(statedb_create), FN(statedb_lookup), FN(statedb_delete), FN(statedb_replace),
	FN(statedb_inspect),
	FN(host_twice), FN(host_record_init), FN(host_swap_flag),
};
#define NFNS (sizeof host_fns / sizeof host_fns[0])
#define STUB 16

static struct kexport table[NFNS + 1];

const struct kexport *hostenv_exports(size_t *n)
{
	static uint8_t *stubs;
	size_t i;

	if (!stubs) {
		stubs = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (stubs == MAP_FAILED) {
			stubs = NULL;
			*n = 0;
			return NULL;
		}
		for (i = 0; i < NFNS; i++) {
			uint8_t *s = stubs + i * STUB;
			uint64_t a = (uint64_t)(uintptr_t)host_fns[i].addr;
			s[0] = 0x49, s[1] = 0xbb; /* movabs $a, %r11 */
			memcpy(s + 2, &a, 8);
			s[10] = 0x41, s[11] = 0xff, s[12] = 0xe3; /* jmp *%r11 */
			table[i].name = host_fns[i].name;
			table[i].addr = s;
		}
		table[NFNS].name = "host_far_var";
		table[NFNS].addr = &host_far_var;
		if (mprotect(stubs, 4096, PROT_READ | PROT_EXEC)) {
			*n = 0;
			return NULL;
		}
	}
	*n = NFNS + 1;
	return table;
}

void *hostenv_loader_init(void)
{
	static struct th_errbuf eb;
	size_t n, arena_len = statedb_arena_size(64, 1 << 16);
	void *arena = malloc(arena_len);
	const struct kexport *ex = hostenv_exports(&n);

	if (!arena || statedb_init(arena, arena_len, 64, &eb) || loader_init(ex, n, &eb)) {
		fprintf(stderr, "init: %s\n", arena ? eb.msg : "out of memory");
		free(arena);
		return NULL;
	}
	return arena;
}

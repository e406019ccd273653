/*
 * swap_native_bench.c - the loader and the swap engine run natively on the
 * host (the same sources as the kernel, with the host platform shims of the
 * unit tests), on real module objects of several sizes: hello, kv, checksum
 * and two generated modules of about 3,000 and 5,000 relocations (big3k, big).  For each it loads
 * version 1, then swaps between two versions ROUNDS times and reports the
 * median of each swap stage and of the total, so the figure stands beside
 * the reference system's 29.1 ms live swap measured on hardware (native
 * against native).  As on the network path, each swap is handed the
 * object's SHA-256 that the staging area verified while the chunks arrived
 * (so the swap does not hash it again); that receipt hash is reported
 * apart (_receipt_hash_us), with the object's relocation count
 * (_relocations, for cost against relocations).  Prints "BENCH swap_native
 * ..." lines (tests/bench/run).
 *
 *   swap_native_bench MODDIR BENCHDIR
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "klibc.h"
#include "loader.h"
#include "loader_hostenv.h"
#include "log.h"
#include "sha256.h"
#include "statedb.h"
#include "swap.h"

#define ROUNDS 200

struct obj {
	void *data;
	size_t len;
	uint8_t sha[TH_SHA256_LEN];   /* as the staging area verified it */
};

static struct obj read_obj(const char *dir, const char *name)
{
	char path[512];
	struct obj o = { NULL, 0, { 0 } };
	snprintf(path, sizeof path, "%s/%s.o", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "swap_native_bench: cannot open %s\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	o.data = malloc(n > 0 ? (size_t)n : 1);
	if (!o.data || fread(o.data, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "swap_native_bench: cannot read %s\n", path);
		exit(2);
	}
	o.len = (size_t)n;
	fclose(f);
	th_sha256(o.data, o.len, o.sha);
	return o;
}

/* Another object of the same module and version: one byte of its .comment
 * section (the compiler's banner, never loaded) changed, so its SHA-256
 * differs and the engine really swaps (an identical object is a no-op). */
static struct obj variant(struct obj o)
{
	struct obj v = { malloc(o.len), o.len, { 0 } };
	if (!v.data)
		exit(2);
	memcpy(v.data, o.data, o.len);
	uint8_t *p = memmem(v.data, v.len, "GCC: (", 6);
	if (!p) {
		fprintf(stderr, "swap_native_bench: no .comment banner to vary\n");
		exit(2);
	}
	p[0] = 'g';
	th_sha256(v.data, v.len, v.sha);
	return v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_u64);
	return v[n / 2];
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Entries of the SHT_RELA sections that apply to loaded (SHF_ALLOC)
 * sections of an ELF64 relocatable, i.e. what the loader relocates (0 when
 * the headers do not fit the file: the loader would refuse it anyway). */
static size_t count_relocs(struct obj o)
{
	const Elf64_Ehdr *eh = o.data;
	if (o.len < sizeof *eh || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff > o.len || (o.len - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
		return 0;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)((const char *)o.data + eh->e_shoff);
	size_t n = 0;
	for (unsigned i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_type == SHT_RELA && sh[i].sh_entsize && sh[i].sh_info < eh->e_shnum &&
		    (sh[sh[i].sh_info].sh_flags & SHF_ALLOC))
			n += sh[i].sh_size / sh[i].sh_entsize;
	return n;
}

/* Load `a` as module `name`, swap a <-> b ROUNDS times, unload. */
static int bench(const char *label, const char *name, struct obj a, struct obj b)
{
	static uint64_t stage[SWAP_NSTAGES][ROUNDS], total[ROUNDS];
	struct th_errbuf eb = { "" };
	struct swap_result res;
	struct swap_request req = { name, a.data, a.len, "", a.sha, NULL };
	if (swap_modules(&req, 1, &res, &eb)) {
		fprintf(stderr, "swap_native_bench: load %s: %s\n", label, eb.msg);
		return 1;
	}
	const struct module *m = loader_find(name);
	struct loader_module_desc d;
	loader_module_describe(m, &d);
	for (int r = 0; r < ROUNDS; r++) {
		struct obj o = r % 2 ? a : b;
		req = (struct swap_request){ name, o.data, o.len, NULL, o.sha, NULL };
		if (swap_modules(&req, 1, &res, &eb)) {
			fprintf(stderr, "swap_native_bench: swap %s: %s\n", label, eb.msg);
			return 1;
		}
		for (int s = 0; s < SWAP_NSTAGES; s++)
			stage[s][r] = res.stage_ns[s];
		total[r] = res.total_ns;
		swap_reap();
	}
	if (swap_unload(name, &res, &eb)) {
		fprintf(stderr, "swap_native_bench: unload %s: %s\n", label, eb.msg);
		return 1;
	}
	swap_reap();
	uint64_t hash[21];
	for (int r = 0; r < 21; r++) {
		uint8_t h[TH_SHA256_LEN];
		uint64_t t0 = now_ns();
		th_sha256(a.data, a.len, h);
		hash[r] = now_ns() - t0;
	}
	printf("BENCH swap_native %s_object_bytes %zu bytes\n", label, a.len);
	printf("BENCH swap_native %s_relocations %zu relocations\n", label, count_relocs(a));
	printf("BENCH swap_native %s_receipt_hash_us %.1f us (SHA-256 of the object, done by "
	       "the staging area as chunks arrive)\n", label, median(hash, 21) / 1000.0);
	for (int s = 0; s < SWAP_NSTAGES; s++)
		printf("BENCH swap_native %s_%s_us %.1f us\n", label,
		       swap_stage_name((enum swap_stage)s), median(stage[s], ROUNDS) / 1000.0);
	uint64_t t = median(total, ROUNDS);
	printf("BENCH swap_native %s_total_us %.1f us (median of %d swaps, module %zu bytes)\n",
	       label, t / 1000.0, ROUNDS, d.size);
	printf("RATIO swap_native %s_vs_reference_29.1ms %.4f (native swap / Theseus's measured "
	       "29.1 ms)\n", label, t / 1e6 / 29.1);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: swap_native_bench MODDIR BENCHDIR\n");
		return 2;
	}
	struct th_errbuf eb = { "" };
	log_set_console_level(LOG_WARN);   /* every load and swap logs a line */
	size_t n, arena_len = statedb_arena_size(256, 1 << 20);
	const struct kexport *ex = hostenv_exports(&n);
	void *arena = malloc(arena_len);
	if (!arena || statedb_init(arena, arena_len, 256, &eb) || loader_init(ex, n, &eb)) {
		fprintf(stderr, "swap_native_bench: init: %s\n", eb.msg);
		return 1;
	}
	/* The dependencies of the modules measured stay loaded throughout. */
	struct obj deps[] = { read_obj(argv[1], "logfmt"), read_obj(argv[1], "checksum") };
	const char *dep_names[] = { "logfmt", "checksum" };
	for (size_t i = 0; i < 2; i++) {
		struct swap_request req = { dep_names[i], deps[i].data, deps[i].len, "", NULL, NULL };
		struct swap_result res;
		if (swap_modules(&req, 1, &res, &eb)) {
			fprintf(stderr, "swap_native_bench: load %s: %s\n", dep_names[i], eb.msg);
			return 1;
		}
	}
	int rc = 0;
	rc |= bench("hello", "hello", read_obj(argv[1], "hello"), read_obj(argv[1], "hello_v2"));
	rc |= bench("kv", "kv", read_obj(argv[1], "kv"), variant(read_obj(argv[1], "kv")));
	rc |= bench("big3k", "big3k", read_obj(argv[2], "big3k_v1"), read_obj(argv[2], "big3k_v2"));
	rc |= bench("big", "big", read_obj(argv[2], "big_v1"), read_obj(argv[2], "big_v2"));
	return rc;
}

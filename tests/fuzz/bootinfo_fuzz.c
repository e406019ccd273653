/*
 * bootinfo_fuzz.c - libFuzzer target for bootinfo_parse() (multiboot.c).
 *
 * Input: byte 0 chooses the protocol (bit 0 set: multiboot1, clear:
 * multiboot2; bit 1 set: a magic that is neither), bytes 1..3 are ignored,
 * the rest is physical memory starting at address 0, with the boot
 * information at address 0 (so multiboot1 pointers are offsets into the input).
 *
 * The map callback hands out a fresh exact-sized copy of every range it
 * approves, so a read even one byte beyond what the parser asked for is a
 * heap-buffer-overflow under ASan, not just a read past the input.
 * On success the result's invariants are checked (counts within bounds,
 * strings terminated, some usable RAM).  Seeds: tests/fuzz/bootinfo/
 * (mb2_grub: cmdline, loader, 2 modules, mmap; mb1_qemu: cmdline, loader,
 * 2 modules, mmap; mb2_meminfo: only basic meminfo).
 */
#include <stdlib.h>

#include "bootinfo.h"

struct fuzz_mem {
	const uint8_t *data;
	size_t size;
	void **copies;
	size_t ncopies, cap;
};

static const void *fuzz_map(uint64_t addr, uint64_t len, void *ctx)
{
	struct fuzz_mem *m = ctx;
	if (addr >= m->size || len > m->size - addr)
		return NULL;
	if (m->ncopies == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		void **n = realloc(m->copies, cap * sizeof *n);
		if (!n)
			abort();
		m->copies = n;
		m->cap = cap;
	}
	void *c = malloc(len ? len : 1);
	if (!c)
		abort();
	memcpy(c, m->data + addr, len);
	m->copies[m->ncopies++] = c;
	return c;
}

static void check_str(const char *s, size_t cap)
{
	if (!memchr(s, '\0', cap))
		__builtin_trap();
}

static void check_result(const struct boot_info *bi)
{
	if (bi->mmap_count > BOOT_MMAP_MAX || bi->module_count > BOOT_MODULES_MAX ||
	    bi->warning_count > BOOT_WARNINGS_MAX)
		__builtin_trap();
	if (bi->protocol != BOOT_MULTIBOOT1 && bi->protocol != BOOT_MULTIBOOT2)
		__builtin_trap();
	check_str(bi->loader_name, sizeof bi->loader_name);
	check_str(bi->cmdline_raw, sizeof bi->cmdline_raw);
	check_str(bi->cmdline, sizeof bi->cmdline);
	bool usable = false;
	for (size_t i = 0; i < bi->mmap_count; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];
		if (!e->len || e->base + e->len < e->base)
			__builtin_trap();
		usable |= e->type == BOOT_MEM_AVAILABLE;
	}
	if (!usable)
		__builtin_trap();
	for (size_t i = 0; i < bi->module_count; i++) {
		const struct boot_module *m = &bi->modules[i];
		check_str(m->name, sizeof m->name);
		check_str(m->cmdline, sizeof m->cmdline);
		if (!m->name[0] || m->len > BOOT_MODULE_MAX_BYTES)
			__builtin_trap();
	}
	for (size_t i = 0; i < bi->warning_count; i++)
		check_str(bi->warnings[i], sizeof bi->warnings[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	uint32_t magic = (data[0] & 2) ? 0xdeadbeefu : (data[0] & 1) ? MB1_BOOT_MAGIC : MB2_BOOT_MAGIC;
	struct fuzz_mem m = { data + 4, size - 4, NULL, 0, 0 };
	static struct boot_info bi;
	struct th_errbuf eb;
	memset(&eb, 0, sizeof eb);
	int err = bootinfo_parse(magic, 0, fuzz_map, &m, &bi, &eb);
	if (err == TH_OK)
		check_result(&bi);
	else if (err != TH_EINVAL || !eb.msg[0] || !memchr(eb.msg, '\0', sizeof eb.msg))
		__builtin_trap();
	for (size_t i = 0; i < m.ncopies; i++)
		free(m.copies[i]);
	free(m.copies);
	return 0;
}

/*
 * boot_test.c - host tests of the boot-information parser (multiboot.c) and
 * the kernel command line (cmdline.c).
 *
 * "Physical memory" is a 1 MiB buffer: physical address = offset into it,
 * and the map callback refuses any range that leaves the buffer, so every
 * read the parser makes is bounds-checked here too (ASan would catch the
 * rest).  Multiboot1 and multiboot2 structures are built field by field.
 */
#include "bootinfo.h"
#include "check.h"
#include "cmdline.h"

#define MEM_SIZE (1u << 20)
#define INFO_AT 0x10000u

static uint8_t mem[MEM_SIZE];
static struct boot_info bi;
static struct th_errbuf eb;

static const void *fake_map(uint64_t addr, uint64_t len, void *ctx)
{
	(void)ctx;
	if (addr >= MEM_SIZE || len > MEM_SIZE - addr)
		return NULL;
	return mem + addr;
}

static void w32(uint64_t at, uint32_t v) { memcpy(mem + at, &v, 4); }
static void w64(uint64_t at, uint64_t v) { memcpy(mem + at, &v, 8); }
static void wstr(uint64_t at, const char *s) { memcpy(mem + at, s, strlen(s) + 1); }

static void mem_reset(void)
{
	memset(mem, 0xAB, sizeof mem);
	memset(&bi, 0x5A, sizeof bi);
	memset(&eb, 0, sizeof eb);
}

static bool has_warning(const char *needle)
{
	for (size_t i = 0; i < bi.warning_count && i < BOOT_WARNINGS_MAX; i++)
		if (strstr(bi.warnings[i], needle))
			return true;
	return false;
}

static int parse(uint32_t magic)
{
	return bootinfo_parse(magic, INFO_AT, fake_map, NULL, &bi, &eb);
}

/* ---- multiboot2 builder -------------------------------------------------- */

static uint32_t mb2_off; /* next tag offset relative to INFO_AT */

static void mb2_begin(void)
{
	mem_reset();
	mb2_off = 8;
	w32(INFO_AT + 4, 0); /* reserved */
}

/* Starts a tag; returns its absolute address.  Size is fixed by mb2_tag_end. */
static uint64_t mb2_tag(uint32_t type, uint32_t size)
{
	uint64_t at = INFO_AT + mb2_off;
	w32(at, type);
	w32(at + 4, size);
	mb2_off += (size + 7u) & ~7u;
	return at;
}

static void mb2_str_tag(uint32_t type, const char *s)
{
	uint32_t size = 8 + (uint32_t)strlen(s) + 1;
	uint64_t at = mb2_tag(type, size);
	wstr(at + 8, s);
}

static void mb2_module(uint32_t start, uint32_t end, const char *s)
{
	uint32_t size = 16 + (uint32_t)strlen(s) + 1;
	uint64_t at = mb2_tag(3, size);
	w32(at + 8, start);
	w32(at + 12, end);
	wstr(at + 16, s);
}

struct mm { uint64_t base, len; uint32_t type; };

static void mb2_mmap(const struct mm *e, size_t n, uint32_t esz)
{
	uint64_t at = mb2_tag(6, 16 + (uint32_t)(n * esz));
	w32(at + 8, esz);
	w32(at + 12, 0);
	for (size_t i = 0; i < n; i++) {
		uint64_t ea = at + 16 + i * esz;
		memset(mem + ea, 0, esz);
		w64(ea, e[i].base);
		w64(ea + 8, e[i].len);
		w32(ea + 16, e[i].type);
	}
}

static void mb2_finish(void)
{
	mb2_tag(0, 8);
	w32(INFO_AT, mb2_off);
}

static const struct mm std_map[] = {
	{ 0, 0x9fc00, 1 },
	{ 0x9fc00, 0x400, 2 },
	{ 0x100000, 0x7ee0000, 1 },
	{ 0xfffc0000, 0x40000, 2 },
};

static void mb2_standard(const char *cmdline)
{
	mb2_begin();
	mb2_str_tag(1, cmdline);
	mb2_str_tag(2, "GRUB 2.06");
	mb2_module(0x20000, 0x21000, "/boot/modules/kv.o kv.o");
	mb2_module(0x30000, 0x30800, "tftp://x/hello_v2.o");
	mb2_tag(4, 16); /* basic meminfo */
	w32(INFO_AT + mb2_off - 16 + 8, 639);
	w32(INFO_AT + mb2_off - 16 + 12, 129920);
	mb2_mmap(std_map, 4, 24);
	mb2_tag(21, 12); /* an unknown tag (load base addr) is skipped */
	mb2_finish();
}

static void test_mb2_valid(void)
{
	mb2_standard("exit=ready loglevel=debug");
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.protocol, BOOT_MULTIBOOT2);
	CHECK_STR(bi.loader_name, "GRUB 2.06");
	CHECK_STR(bi.cmdline_raw, "exit=ready loglevel=debug");
	CHECK_STR(bi.cmdline, "exit=ready loglevel=debug");
	CHECK_EQ(bi.module_count, 2);
	CHECK_STR(bi.modules[0].name, "kv");
	CHECK_STR(bi.modules[0].cmdline, "/boot/modules/kv.o kv.o");
	CHECK_EQ(bi.modules[0].start, 0x20000);
	CHECK_EQ(bi.modules[0].len, 0x1000);
	CHECK_STR(bi.modules[1].name, "hello_v2");
	CHECK_EQ(bi.modules[1].start, 0x30000);
	CHECK_EQ(bi.modules[1].len, 0x800);
	CHECK_EQ(bi.mmap_count, 4);
	for (size_t i = 0; i < 4 && i < bi.mmap_count; i++) {
		CHECK_EQ(bi.mmap[i].base, std_map[i].base);
		CHECK_EQ(bi.mmap[i].len, std_map[i].len);
		CHECK_EQ(bi.mmap[i].type, std_map[i].type);
	}
	CHECK_EQ(bi.info_addr, INFO_AT);
	CHECK_EQ(bi.info_len, mb2_off);
	CHECK_EQ(bi.warning_count, 0);
}

static void test_mb2_strip_image(void)
{
	mb2_standard("build/theseus.elf exit=ready");
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_STR(bi.cmdline_raw, "build/theseus.elf exit=ready");
	CHECK_STR(bi.cmdline, "exit=ready");
	mb2_standard("tftp://10.0.2.2/theseus.elf ip=1.2.3.4/24");
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_STR(bi.cmdline, "ip=1.2.3.4/24");
	mb2_standard("");
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_STR(bi.cmdline, "");
}

/* Larger mmap entry size (future extension): entries are stepped by esz. */
static void test_mb2_mmap_entry_size_40(void)
{
	mb2_begin();
	mb2_mmap(std_map, 4, 40);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.mmap_count, 4);
	CHECK_EQ(bi.mmap[2].base, 0x100000);
	CHECK_EQ(bi.mmap[3].type, 2);
	CHECK_EQ(bi.module_count, 0);
	CHECK_STR(bi.cmdline, "");
	CHECK_STR(bi.loader_name, "");
}

static void test_mb2_no_mmap(void)
{
	mb2_begin();
	mb2_str_tag(1, "x=1");
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "memory map") != NULL);

	/* only reserved memory: also no usable RAM */
	static const struct mm reserved_only[] = { { 0, 0x100000, 2 } };
	mb2_begin();
	mb2_mmap(reserved_only, 1, 24);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "memory map") != NULL);
}

static void test_mb2_meminfo_fallback(void)
{
	mb2_begin();
	uint64_t at = mb2_tag(4, 16);
	w32(at + 8, 639);
	w32(at + 12, 65536);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.mmap_count, 1);
	CHECK_EQ(bi.mmap[0].base, 0x100000);
	CHECK_EQ(bi.mmap[0].len, 65536ull * 1024);
	CHECK(has_warning("meminfo"));
}

static void test_mb2_truncated(void)
{
	/* a tag whose size runs past total_size */
	mb2_standard("a=b");
	w32(INFO_AT + 8 + 4, 4000);
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "truncated") != NULL);

	/* tag size < 8 */
	mb2_standard("a=b");
	w32(INFO_AT + 8 + 4, 4);
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "size 4") != NULL);

	/* no end tag: total_size cut just before it */
	mb2_standard("a=b");
	w32(INFO_AT, mb2_off - 8);
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "no end tag") != NULL);

	/* end tag replaced by an unknown tag */
	mb2_standard("a=b");
	w32(INFO_AT + mb2_off - 8, 99);
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "no end tag") != NULL);
}

/* ACPI tags: the RSDP copy is kept (the 2.0 one wins, a long copy is cut,
 * a tag with no bytes gives no copy); acpi_madt.c checks its contents. */
static void test_mb2_acpi_rsdp(void)
{
	mb2_begin();
	mb2_str_tag(1, "");
	mb2_mmap(std_map, 4, 24);
	uint64_t at = mb2_tag(15, 8 + 40); /* new RSDP, longer than kept */
	memset(mem + at + 8, 0x22, 40);
	at = mb2_tag(14, 8 + 20);          /* old RSDP after it: ignored */
	memset(mem + at + 8, 0x11, 20);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.acpi_rsdp_len, BOOT_RSDP_MAX);
	CHECK_EQ(bi.acpi_rsdp[0], 0x22);
	mb2_begin();
	mb2_str_tag(1, "");
	mb2_mmap(std_map, 4, 24);
	at = mb2_tag(14, 8 + 20);
	memset(mem + at + 8, 0x11, 20);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.acpi_rsdp_len, 20);
	CHECK_EQ(bi.acpi_rsdp[19], 0x11);
	mb2_begin();
	mb2_str_tag(1, "");
	mb2_mmap(std_map, 4, 24);
	mb2_tag(14, 8);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.acpi_rsdp_len, 0);
}

static void test_mb2_total_size(void)
{
	mb2_standard("a=b");
	w32(INFO_AT, 0xffffffffu);
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "total_size") != NULL);

	mb2_standard("a=b");
	w32(INFO_AT, 8);
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "total_size") != NULL);

	/* plausible size but runs off the end of physical memory */
	mb2_standard("a=b");
	w32(MEM_SIZE - 64, 200);
	CHECK_EQ(bootinfo_parse(MB2_BOOT_MAGIC, MEM_SIZE - 64, fake_map, NULL, &bi, &eb),
		 TH_EINVAL);
	CHECK(strstr(eb.msg, "not readable") != NULL);

	/* info address entirely outside memory */
	CHECK_EQ(bootinfo_parse(MB2_BOOT_MAGIC, 0xfffffffffffffffcull, fake_map, NULL, &bi, &eb),
		 TH_EINVAL);
	CHECK(strstr(eb.msg, "not readable") != NULL);
}

static void test_mb2_unterminated_strings(void)
{
	/* command line tag whose string has no NUL inside the tag */
	mb2_begin();
	uint64_t at = mb2_tag(1, 8 + 5);
	memcpy(mem + at + 8, "abcde", 5);
	mem[at + 13] = 'X'; /* padding byte, not a terminator either */
	mem[at + 14] = 'X';
	mem[at + 15] = 'X';
	mb2_mmap(std_map, 4, 24);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "command line") != NULL);

	mb2_begin();
	at = mb2_tag(2, 8 + 3);
	memcpy(mem + at + 8, "abc", 3);
	mb2_mmap(std_map, 4, 24);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "loader name") != NULL);

	/* module tag too short for its string */
	mb2_begin();
	at = mb2_tag(3, 16);
	w32(at + 8, 0x1000);
	w32(at + 12, 0x2000);
	mb2_mmap(std_map, 4, 24);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "module") != NULL);
}

static void test_mb2_long_strings_truncated(void)
{
	char longcmd[CMDLINE_MAX + 200];
	memset(longcmd, 'a', sizeof longcmd - 1);
	longcmd[sizeof longcmd - 1] = '\0';
	char longmod[400];
	memset(longmod, 'm', sizeof longmod - 1);
	longmod[sizeof longmod - 1] = '\0';
	mb2_begin();
	mb2_str_tag(1, longcmd);
	mb2_str_tag(2, longmod);
	mb2_module(0x1000, 0x2000, longmod);
	mb2_mmap(std_map, 4, 24);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	/* one word too long: cut, so dropped whole, and said */
	CHECK_STR(bi.cmdline_raw, "");
	CHECK(has_warning("command line over 1023 bytes: the words from 'aaaaaaaaaaaaaaaa...' "
			  "(byte 0) on ignored"));
	CHECK_EQ(strlen(bi.loader_name), sizeof bi.loader_name - 1);
	CHECK_EQ(bi.module_count, 1);
	CHECK_EQ(strlen(bi.modules[0].cmdline), sizeof bi.modules[0].cmdline - 1);
	CHECK_EQ(strlen(bi.modules[0].name), BOOT_MODULE_NAME_MAX - 1);
}

static void test_mb2_mmap_entry_size(void)
{
	mb2_begin();
	mb2_mmap(std_map, 4, 24);
	w32(INFO_AT + 8 + 8, 0);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "entry size 0") != NULL);

	mb2_begin();
	mb2_mmap(std_map, 4, 24);
	w32(INFO_AT + 8 + 8, 0x80000000u);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "entry size") != NULL);

	/* mmap tag shorter than its header */
	mb2_begin();
	mb2_tag(6, 12);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "memory map") != NULL);

	/* zero-length and wrapping entries */
	static const struct mm odd[] = {
		{ 0x100000, 0, 1 },
		{ 0xfffffffffffff000ull, 0x10000, 1 },
		{ 0x200000, 0x100000, 1 },
		{ UINT64_MAX, 5, 1 }, /* clamps to length 0: dropped */
	};
	mb2_begin();
	mb2_mmap(odd, 4, 24);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.mmap_count, 2);
	CHECK(bi.mmap[0].base + bi.mmap[0].len >= bi.mmap[0].base); /* clamped, no wrap */
	CHECK_EQ(bi.mmap[1].base, 0x200000);
}

static void test_mb2_mmap_too_many(void)
{
	struct mm many[BOOT_MMAP_MAX + 5];
	for (size_t i = 0; i < BOOT_MMAP_MAX + 5; i++)
		many[i] = (struct mm){ 0x100000 + i * 0x1000, 0x1000, 1 };
	mb2_begin();
	mb2_mmap(many, BOOT_MMAP_MAX + 5, 24);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.mmap_count, BOOT_MMAP_MAX);
	CHECK(has_warning("memory map entry ignored"));
	CHECK(bi.warning_count <= BOOT_WARNINGS_MAX);
}

static void test_mb2_bad_modules(void)
{
	mb2_begin();
	mb2_module(0x5000, 0x4000, "backwards.o");          /* end < start */
	mb2_module(0x1000, 0x1000 + (65u << 20), "huge.o"); /* > BOOT_MODULE_MAX_BYTES */
	mb2_module(0x6000, 0x7000, "good.o");
	mb2_module(0x8000, 0x8000, "");                    /* empty string, empty module */
	mb2_mmap(std_map, 4, 24);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.module_count, 2);
	CHECK_STR(bi.modules[0].name, "good");
	CHECK_EQ(bi.modules[0].len, 0x1000);
	CHECK_STR(bi.modules[1].name, "module1");
	CHECK_EQ(bi.modules[1].len, 0);
	CHECK_EQ(bi.warning_count, 2);
	CHECK(has_warning("backwards.o"));
	CHECK(has_warning("huge.o"));
	CHECK(has_warning("absurd size"));
}

static void test_mb2_too_many_modules(void)
{
	mb2_begin();
	for (unsigned i = 0; i < BOOT_MODULES_MAX + 3; i++) {
		char s[32];
		snprintf(s, sizeof s, "/m/mod%u.o arg", i);
		mb2_module(0x1000 * (i + 1), 0x1000 * (i + 2), s);
	}
	mb2_mmap(std_map, 4, 24);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.module_count, BOOT_MODULES_MAX);
	CHECK_STR(bi.modules[0].name, "mod0");
	CHECK_STR(bi.modules[BOOT_MODULES_MAX - 1].name, "mod15");
	/* The dropped ones are counted and named (boot_modules.c logs them). */
	CHECK_EQ(bi.modules_dropped, 3);
	CHECK_STR(bi.dropped_names, "mod16, mod17, mod18");
	CHECK_EQ(bi.warning_count, 1);
	CHECK(has_warning("more than 16 boot modules: 'mod16'"));
}

/* So many dropped that their names do not fit: the list ends in "...". */
static void test_mb2_dropped_names_cut(void)
{
	mb2_begin();
	for (unsigned i = 0; i < BOOT_MODULES_MAX + 40; i++) {
		char s[48];
		snprintf(s, sizeof s, "/m/a_rather_long_module_name_%u.o", i);
		mb2_module(0x1000 * (i + 1), 0x1000 * (i + 2), s);
	}
	mb2_mmap(std_map, 4, 24);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.modules_dropped, 40);
	size_t l = strlen(bi.dropped_names);
	CHECK(l > 3 && l < sizeof bi.dropped_names);
	CHECK(strncmp(bi.dropped_names, "a_rather_long_module_name_16, ", 30) == 0);
	CHECK(l > 3 && strcmp(bi.dropped_names + l - 3, "...") == 0);
}

static void test_module_names(void)
{
	static const struct { const char *str, *name; } cases[] = {
		{ "/boot/modules/kv.o kv.o", "kv" },
		{ "tftp://x/hello_v2.o", "hello_v2" },
		{ "   plain", "plain" },
		{ "a.o", "a" },
		{ "dir/we ird.o", "we" },
		{ "x/b@d!.o", "b_d_" },
		{ "/boot/", "module0" },
		{ "", "module0" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mb2_begin();
		mb2_module(0x1000, 0x2000, cases[i].str);
		mb2_mmap(std_map, 4, 24);
		mb2_finish();
		CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
		CHECK_EQ(bi.module_count, 1);
		CHECK_STR(bi.modules[0].name, cases[i].name);
	}
}

/* ---- multiboot1 ---------------------------------------------------------- */

#define MB1_CMD 0x11000u
#define MB1_LOADER 0x11400u
#define MB1_MODS 0x11800u
#define MB1_MODSTR 0x11900u
#define MB1_MMAP 0x12000u

static uint32_t mb1_mmap_len;

static void mb1_mmap_entries(const struct mm *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t at = MB1_MMAP + i * 24;
		w32(at, 20);
		w64(at + 4, e[i].base);
		w64(at + 12, e[i].len);
		w32(at + 20, e[i].type);
	}
	mb1_mmap_len = (uint32_t)(n * 24);
	w32(INFO_AT + 44, mb1_mmap_len);
	w32(INFO_AT + 48, MB1_MMAP);
}

static void mb1_standard(const char *cmdline)
{
	mem_reset();
	memset(mem + INFO_AT, 0, 88);
	w32(INFO_AT, (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
	w32(INFO_AT + 4, 639);
	w32(INFO_AT + 8, 129920);
	wstr(MB1_CMD, cmdline);
	w32(INFO_AT + 16, MB1_CMD);
	wstr(MB1_LOADER, "qemu");
	w32(INFO_AT + 64, MB1_LOADER);
	w32(INFO_AT + 20, 2);
	w32(INFO_AT + 24, MB1_MODS);
	w32(MB1_MODS + 0, 0x20000);
	w32(MB1_MODS + 4, 0x21000);
	w32(MB1_MODS + 8, MB1_MODSTR);
	w32(MB1_MODS + 12, 0);
	wstr(MB1_MODSTR, "/boot/modules/kv.o kv.o");
	w32(MB1_MODS + 16, 0x30000);
	w32(MB1_MODS + 20, 0x30800);
	w32(MB1_MODS + 24, MB1_MODSTR + 0x80);
	w32(MB1_MODS + 28, 0);
	wstr(MB1_MODSTR + 0x80, "tftp://x/hello_v2.o");
	mb1_mmap_entries(std_map, 4);
}

static void test_mb1_valid(void)
{
	mb1_standard("build/theseus.elf exit=ready");
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.protocol, BOOT_MULTIBOOT1);
	CHECK_STR(bi.loader_name, "qemu");
	CHECK_STR(bi.cmdline_raw, "build/theseus.elf exit=ready");
	CHECK_STR(bi.cmdline, "exit=ready");
	CHECK_EQ(bi.module_count, 2);
	CHECK_STR(bi.modules[0].name, "kv");
	CHECK_STR(bi.modules[0].cmdline, "/boot/modules/kv.o kv.o");
	CHECK_EQ(bi.modules[0].start, 0x20000);
	CHECK_EQ(bi.modules[0].len, 0x1000);
	CHECK_STR(bi.modules[1].name, "hello_v2");
	CHECK_EQ(bi.modules[1].len, 0x800);
	CHECK_EQ(bi.mmap_count, 4);
	for (size_t i = 0; i < 4 && i < bi.mmap_count; i++) {
		CHECK_EQ(bi.mmap[i].base, std_map[i].base);
		CHECK_EQ(bi.mmap[i].len, std_map[i].len);
		CHECK_EQ(bi.mmap[i].type, std_map[i].type);
	}
	CHECK_EQ(bi.info_addr, INFO_AT);
	CHECK_EQ(bi.warning_count, 0);

	mb1_standard("tftp://10.0.2.2/theseus.elf ip=1.2.3.4/24");
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_STR(bi.cmdline, "ip=1.2.3.4/24");

	mb1_standard("exit=ready hz=250");
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_STR(bi.cmdline, "exit=ready hz=250");
}

/* A command line past CMDLINE_MAX - 1 bytes: the word the cut fell in is
 * dropped (ip=10.0.2.123 must not become ip=10.0.2.12) and a warning names
 * it by its key; a cut between words keeps them all. */
static void long_cmdline(char *buf, size_t pad, const char *tail)
{
	memcpy(buf, "exit=ready x=", 13);
	memset(buf + 13, 'p', pad);
	strcpy(buf + 13 + pad, tail);
}

static void test_mb2_long_cmdline_cut_at_a_word(void)
{
	char c[CMDLINE_MAX + 64];
	/* "exit=ready x=ppp... ip=10.0.2.12" is exactly CMDLINE_MAX - 1 bytes */
	size_t pad = CMDLINE_MAX - 1 - 13 - strlen(" ip=10.0.2.12");
	long_cmdline(c, pad, " ip=10.0.2.123/24 key=0011");
	mb2_standard(c);
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(strlen(bi.cmdline_raw), CMDLINE_MAX - 1 - strlen(" ip=10.0.2.12"));
	CHECK(strstr(bi.cmdline, "ip=") == NULL);
	CHECK(has_warning("the words from 'ip...' (byte 1011) on ignored"));
	/* the cut falls on the space after a whole word: nothing dropped */
	long_cmdline(c, pad, " ip=10.0.2.12 hz=250");
	mb2_standard(c);
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(strlen(bi.cmdline_raw), CMDLINE_MAX - 1);
	CHECK(strstr(bi.cmdline, " ip=10.0.2.12") != NULL);
	CHECK(has_warning("command line over 1023 bytes: the words after byte 1023 ignored"));
	/* exactly CMDLINE_MAX - 1 bytes: whole, no warning */
	long_cmdline(c, pad, " ip=10.0.2.12");
	mb2_standard(c);
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(strlen(bi.cmdline_raw), CMDLINE_MAX - 1);
	CHECK(!has_warning("command line"));
	/* the same through multiboot1 */
	long_cmdline(c, pad, " ip=10.0.2.123/24");
	mb1_standard("a=1");
	wstr(0x40000, c);
	w32(INFO_AT + 16, 0x40000);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(strlen(bi.cmdline_raw), CMDLINE_MAX - 1 - strlen(" ip=10.0.2.12"));
	CHECK(has_warning("the words from 'ip...' (byte 1011) on ignored"));
	long_cmdline(c, pad, " ip=10.0.2.12");
	mb1_standard("a=1");
	wstr(0x40000, c);
	w32(INFO_AT + 16, 0x40000);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(strlen(bi.cmdline_raw), CMDLINE_MAX - 1);
	CHECK(!has_warning("command line"));
}

/* A long module URI (iPXE gives the whole of it: a lab's per-machine
 * directory on an HTTP server): the name is still its file's, though the
 * string kept in boot_module.cmdline is cut (a name from a cut URI had
 * made sched_rr "sched_r", not loaded as the scheduler). */
static void test_long_module_uri_named(void)
{
	char uri[400];
	snprintf(uri, sizeof uri, "http://bootserver.example.org:8080/%0200d/sched_rr.o", 0);
	mb2_begin();
	mb2_module(0x1000, 0x2000, uri);
	mb2_mmap(std_map, 4, 24);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_STR(bi.modules[0].name, "sched_rr");
	CHECK_EQ(strlen(bi.modules[0].cmdline), sizeof bi.modules[0].cmdline - 1);
	mb1_standard("a=1");
	wstr(0x40000, uri);
	w32(MB1_MODS + 8, 0x40000);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_STR(bi.modules[0].name, "sched_rr");
}

static void test_mb1_mem_upper_only(void)
{
	mem_reset();
	memset(mem + INFO_AT, 0, 88);
	w32(INFO_AT, 1u << 0);
	w32(INFO_AT + 4, 639);
	w32(INFO_AT + 8, 130048);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.mmap_count, 1);
	CHECK_EQ(bi.mmap[0].base, 0x100000);
	CHECK_EQ(bi.mmap[0].len, 130048ull * 1024);
	CHECK_EQ(bi.mmap[0].type, BOOT_MEM_AVAILABLE);
	CHECK(has_warning("mem_upper"));
	CHECK_STR(bi.cmdline, "");
	CHECK_EQ(bi.module_count, 0);
}

static void test_mb1_no_mmap(void)
{
	mem_reset();
	memset(mem + INFO_AT, 0, 88);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "memory map") != NULL);
}

static void test_mb1_bad_pointers(void)
{
	mb1_standard("a=1");
	w32(INFO_AT + 16, 0xfff00000u); /* cmdline outside memory */
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "command line") != NULL);

	/* command line running into the end of memory without a NUL */
	mb1_standard("a=1");
	memset(mem + MEM_SIZE - 16, 'z', 16);
	w32(INFO_AT + 16, MEM_SIZE - 16);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "command line") != NULL);

	/* command line longer than CMDLINE_MAX: cut at a word, not an error */
	mb1_standard("a=1");
	memset(mem + 0x40000, 'c', 3000);
	mem[0x40000 + 3000] = 0;
	mem[0x40000 + 100] = ' ';
	w32(INFO_AT + 16, 0x40000);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(strlen(bi.cmdline_raw), 100);
	CHECK(has_warning("the words from 'cccccccccccccccc...' (byte 101) on ignored"));

	/* loader name unreadable: warning only */
	mb1_standard("a=1");
	w32(INFO_AT + 64, 0xfff00000u);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK(has_warning("loader name"));
	CHECK_STR(bi.loader_name, "");

	/* module list outside memory */
	mb1_standard("a=1");
	w32(INFO_AT + 24, 0xfff00000u);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "module list") != NULL);

	/* absurd module count */
	mb1_standard("a=1");
	w32(INFO_AT + 20, 0x10000000u);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "module count") != NULL);

	/* module string unreadable: module kept with a derived name, warning */
	mb1_standard("a=1");
	w32(MB1_MODS + 8, 0xfff00000u);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.module_count, 2);
	CHECK(has_warning("module string"));
	CHECK_STR(bi.modules[1].name, "hello_v2");

	/* memory map outside memory */
	mb1_standard("a=1");
	w32(INFO_AT + 48, 0xfff00000u);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "memory map") != NULL);

	/* absurd memory map length */
	mb1_standard("a=1");
	w32(INFO_AT + 44, 0xfffffff0u);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "memory map") != NULL);

	/* info structure itself outside memory */
	CHECK_EQ(bootinfo_parse(MB1_BOOT_MAGIC, MEM_SIZE - 40, fake_map, NULL, &bi, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "not readable") != NULL);
}

static void test_mb1_mmap_entries(void)
{
	/* entry size 0 */
	mb1_standard("a=1");
	w32(MB1_MMAP + 24, 0);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "memory map truncated") != NULL);

	/* huge entry size */
	mb1_standard("a=1");
	w32(MB1_MMAP + 24, 0xfffffff0u);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "memory map truncated") != NULL);

	/* entry size larger than 20 (extended entries): stepped by size+4 */
	mb1_standard("a=1");
	for (unsigned i = 0; i < 2; i++) {
		uint64_t at = MB1_MMAP + i * 32;
		w32(at, 28);
		w64(at + 4, 0x100000 * (i + 1));
		w64(at + 12, 0x80000);
		w32(at + 20, 1);
		w64(at + 24, 0);
	}
	w32(INFO_AT + 44, 64);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.mmap_count, 2);
	CHECK_EQ(bi.mmap[1].base, 0x200000);

	/* a trailing partial entry is ignored */
	mb1_standard("a=1");
	w32(INFO_AT + 44, mb1_mmap_len + 10);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.mmap_count, 4);
}

static void test_mb1_bad_modules(void)
{
	mb1_standard("a=1");
	w32(MB1_MODS + 4, 0x10000); /* end < start */
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.module_count, 1);
	CHECK_STR(bi.modules[0].name, "hello_v2");
	CHECK(has_warning("absurd size"));

	mb1_standard("a=1");
	w32(MB1_MODS + 20, 0xf0000000u); /* absurd size */
	w32(MB1_MODS + 8, 0);             /* and no string */
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.module_count, 1);
	CHECK_STR(bi.modules[0].name, "module0");
	CHECK(has_warning("absurd size"));
}

static void test_mb1_too_many_modules(void)
{
	mb1_standard("a=1");
	unsigned n = BOOT_MODULES_MAX + 2;
	w32(INFO_AT + 20, n);
	w32(INFO_AT + 24, 0x50000);
	for (unsigned i = 0; i < n; i++) {
		w32(0x50000 + i * 16, 0x1000 * i);
		w32(0x50000 + i * 16 + 4, 0x1000 * i + 0x100);
		w32(0x50000 + i * 16 + 8, 0);
		w32(0x50000 + i * 16 + 12, 0);
	}
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.module_count, BOOT_MODULES_MAX);
	CHECK_STR(bi.modules[3].name, "module3");
	CHECK(has_warning("more than"));
}

/* Tag lengths at their edge: a tag that exactly reaches total_size passes the
 * length check (the error is then the missing end tag); one byte more is
 * refused by the length check itself, naming the tag. */
static void test_mb2_tag_size_edge(void)
{
	/* the end tag exactly filling total_size (every valid parse) */
	mb2_standard("a=b");
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);

	/* a command-line tag of 15 bytes, the last thing in the info */
	mb2_begin();
	mb2_mmap(std_map, 4, 24);
	uint32_t off = mb2_off;
	uint64_t at = mb2_tag(1, 15);
	wstr(at + 8, "abcdef");
	w32(INFO_AT, off + 15);                 /* exactly fits */
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "no end tag") != NULL);
	w32(INFO_AT, off + 14);                 /* one byte over */
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "tag 1") && strstr(eb.msg, "has size 15") &&
	      strstr(eb.msg, "14 bytes left"));
}

/* The same one-byte-over tag with the info at the very end of memory: the
 * byte past it is outside the buffer (ASan would report a read of it). */
static void test_mb2_tag_over_end_of_memory(void)
{
	mb2_begin();
	mb2_mmap(std_map, 4, 24);
	uint32_t off = mb2_off;
	uint64_t at = mb2_tag(1, 15);
	wstr(at + 8, "abcdef");
	uint32_t total = off + 14;
	uint64_t base = MEM_SIZE - total;
	memmove(mem + base, mem + INFO_AT, total);
	w32(base, total);
	CHECK_EQ(bootinfo_parse(MB2_BOOT_MAGIC, base, fake_map, NULL, &bi, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "has size 15") != NULL);
}

/* Memory-map entries at the edge of their container: an entry exactly
 * filling the rest is parsed, one byte short of room is not. */
static void test_mmap_entry_edges(void)
{
	/* multiboot2: tag size 16 + 2*24 holds 2 entries; 16 + 2*24 - 1 holds 1 */
	static const struct mm two[] = { { 0x100000, 0x100000, 1 }, { 0x300000, 0x100000, 1 } };
	mb2_begin();
	uint64_t at = INFO_AT + mb2_off;
	mb2_mmap(two, 2, 24);
	mb2_finish();
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.mmap_count, 2);
	CHECK_EQ(bi.mmap[1].base, 0x300000);
	w32(at + 4, 16 + 2 * 24 - 1);
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.mmap_count, 1);

	/* multiboot1: the last entry (size 20 at offset 72 of 96) exactly fits;
	 * declaring it one byte longer runs past the map's length */
	mb1_standard("a=1");
	CHECK_EQ(mb1_mmap_len, 96);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.mmap_count, 4);
	mb1_standard("a=1");
	w32(MB1_MMAP + 72, 21);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "entry at 72 has size 21") != NULL);
	/* the same for the first entry: size 20 + 4 bytes of room is exact */
	mb1_standard("a=1");
	w32(INFO_AT + 44, 24);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.mmap_count, 1);
	w32(MB1_MMAP, 21);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_EINVAL);
	CHECK(strstr(eb.msg, "entry at 0 has size 21") != NULL);
}

static void test_unknown_magic(void)
{
	mb2_standard("a=b");
	CHECK_EQ(parse(0x12345678u), TH_EINVAL);
	CHECK(strstr(eb.msg, "magic") != NULL);
	CHECK_EQ(bootinfo_parse(MB2_BOOT_MAGIC, INFO_AT, NULL, NULL, &bi, &eb), TH_EINVAL);
	CHECK_EQ(bootinfo_parse(MB2_BOOT_MAGIC, INFO_AT, fake_map, NULL, NULL, &eb), TH_EINVAL);
	/* a NULL errbuf is fine */
	CHECK_EQ(bootinfo_parse(0, INFO_AT, fake_map, NULL, &bi, NULL), TH_EINVAL);
}

/* ---- command line -------------------------------------------------------- */

static void test_cmdline_strip(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "build/theseus.elf exit=ready", "exit=ready" },
		{ "tftp://10.0.2.2/theseus.elf ip=1.2.3.4/24", "ip=1.2.3.4/24" },
		{ "http://h:8080/k.elf", "" },
		{ "theseus.elf", "" },
		{ "  build/theseus.elf   a=1 b  ", "a=1 b" },
		{ "exit=ready loglevel=debug", "exit=ready loglevel=debug" },
		{ "ip=1.2.3.4/24 gw=1.2.3.1", "ip=1.2.3.4/24 gw=1.2.3.1" },
		{ "quiet exit=ready", "quiet exit=ready" },
		{ "", "" },
		{ "   ", "" },
		{ "\tkernel\t x=1\n", "kernel\t x=1" },
	};
	char out[CMDLINE_MAX];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cmdline_strip_image(cases[i].in, out, sizeof out);
		CHECK_STR(out, cases[i].out);
	}
	cmdline_strip_image(NULL, out, sizeof out);
	CHECK_STR(out, "");
	/* small destination: truncated, terminated */
	char small[6];
	cmdline_strip_image("k.elf abcdefghij", small, sizeof small);
	CHECK_STR(small, "abcde");
	/* cap 0 writes nothing */
	small[0] = 'Q';
	cmdline_strip_image("abc", small, 0);
	CHECK_EQ(small[0], 'Q');
}

static void test_cmdline_get(void)
{
	const char *c = "loglevel=debug hz=250 exit=ready quiet key= spill=warn hz=300 ipx=9 ip=1.2.3.4/24";
	char v[64];
	CHECK_EQ(cmdline_get(c, "loglevel", v, sizeof v), TH_OK);
	CHECK_STR(v, "debug");
	CHECK_EQ(cmdline_get(c, "hz", v, sizeof v), TH_OK);
	CHECK_STR(v, "300"); /* last occurrence wins */
	CHECK_EQ(cmdline_get(c, "ip", v, sizeof v), TH_OK);
	CHECK_STR(v, "1.2.3.4/24");
	CHECK_EQ(cmdline_get(c, "quiet", v, sizeof v), TH_EINVAL); /* bare flag */
	CHECK_EQ(cmdline_get(c, "key", v, sizeof v), TH_OK);
	CHECK_STR(v, "");
	CHECK_EQ(cmdline_get(c, "nic", v, sizeof v), TH_ENOENT);
	CHECK_STR(v, "");
	CHECK_EQ(cmdline_get(c, "log", v, sizeof v), TH_ENOENT);  /* prefix is not a match */
	CHECK_EQ(cmdline_get(c, "", v, sizeof v), TH_ENOENT);
	CHECK_EQ(cmdline_get(NULL, "hz", v, sizeof v), TH_ENOENT);
	CHECK_EQ(cmdline_get(c, "hz", NULL, 4), TH_EINVAL);
	CHECK_EQ(cmdline_get(c, "hz", v, 0), TH_EINVAL);
	/* value too long */
	char small[4];
	CHECK_EQ(cmdline_get(c, "loglevel", small, sizeof small), TH_ETOOBIG);
	CHECK_EQ(cmdline_get(c, "hz", small, sizeof small), TH_OK); /* "300" fits exactly */
	CHECK_STR(small, "300");
	/* flag later overridden by a value, and vice versa */
	CHECK_EQ(cmdline_get("a a=1", "a", v, sizeof v), TH_OK);
	CHECK_STR(v, "1");
	CHECK_EQ(cmdline_get("a=1 a", "a", v, sizeof v), TH_EINVAL);
	/* tabs and newlines separate words */
	CHECK_EQ(cmdline_get("x=1\ty=2\nz=3", "y", v, sizeof v), TH_OK);
	CHECK_STR(v, "2");
	/* value containing '=' */
	CHECK_EQ(cmdline_get("k=a=b", "k", v, sizeof v), TH_OK);
	CHECK_STR(v, "a=b");
}

static void test_cmdline_has(void)
{
	const char *c = "exit=ready quiet hz=100";
	CHECK(cmdline_has(c, "quiet"));
	CHECK(cmdline_has(c, "exit"));
	CHECK(cmdline_has(c, "hz"));
	CHECK(!cmdline_has(c, "qui"));
	CHECK(!cmdline_has(c, "quiet2"));
	CHECK(!cmdline_has(c, "ready"));
	CHECK(!cmdline_has(c, ""));
	CHECK(!cmdline_has(NULL, "x"));
	CHECK(!cmdline_has("", "x"));
}

static void test_cmdline_get_uint(void)
{
	uint64_t v = 7;
	CHECK_EQ(cmdline_get_uint("hz=250", "hz", 100, 10, 1000, &v), TH_OK);
	CHECK_EQ(v, 250);
	CHECK_EQ(cmdline_get_uint("x=1", "hz", 100, 10, 1000, &v), TH_OK);
	CHECK_EQ(v, 100); /* default */
	v = 7;
	CHECK_EQ(cmdline_get_uint("hz=5", "hz", 100, 10, 1000, &v), TH_ERANGE);
	CHECK_EQ(v, 7); /* untouched on error */
	CHECK_EQ(cmdline_get_uint("hz=1001", "hz", 100, 10, 1000, &v), TH_ERANGE);
	CHECK_EQ(cmdline_get_uint("hz=10", "hz", 100, 10, 1000, &v), TH_OK);
	CHECK_EQ(v, 10);
	CHECK_EQ(cmdline_get_uint("hz=1000", "hz", 100, 10, 1000, &v), TH_OK);
	CHECK_EQ(v, 1000);
	v = 7;
	CHECK_EQ(cmdline_get_uint("hz=12a", "hz", 100, 10, 1000, &v), TH_EINVAL);
	CHECK_EQ(cmdline_get_uint("hz=-5", "hz", 100, 10, 1000, &v), TH_EINVAL);
	CHECK_EQ(cmdline_get_uint("hz=+5", "hz", 100, 10, 1000, &v), TH_EINVAL);
	CHECK_EQ(cmdline_get_uint("hz=0x10", "hz", 100, 0, 1000, &v), TH_EINVAL);
	CHECK_EQ(cmdline_get_uint("hz=", "hz", 100, 10, 1000, &v), TH_EINVAL);
	CHECK_EQ(cmdline_get_uint("hz", "hz", 100, 10, 1000, &v), TH_EINVAL);
	CHECK_EQ(v, 7);
	CHECK_EQ(cmdline_get_uint("n=18446744073709551615", "n", 0, 0, UINT64_MAX, &v), TH_OK);
	CHECK(v == UINT64_MAX);
	CHECK_EQ(cmdline_get_uint("n=18446744073709551616", "n", 0, 0, UINT64_MAX, &v), TH_ERANGE);
	CHECK_EQ(cmdline_get_uint("n=99999999999999999999", "n", 0, 0, UINT64_MAX, &v), TH_ERANGE);
	CHECK_EQ(cmdline_get_uint("n=123456789012345678901234567890", "n", 0, 0, UINT64_MAX, &v),
		 TH_ERANGE);
	CHECK_EQ(cmdline_get_uint("n=0000000000000000000000000001", "n", 0, 0, 10, &v),
		 TH_ERANGE); /* too long for the buffer even though small */
	CHECK_EQ(cmdline_get_uint("n=007", "n", 0, 0, 10, &v), TH_OK);
	CHECK_EQ(v, 7);
	CHECK_EQ(cmdline_get_uint("n=1 n=2", "n", 0, 0, 10, &v), TH_OK);
	CHECK_EQ(v, 2);
}

/* cmdline_check(): every word the kernel would pass over in silence is named. */
static char reports[8][160];
static size_t nreports;

static void collect(void *ctx, const char *msg)
{
	(void)ctx;
	if (nreports < 8)
		snprintf(reports[nreports], sizeof reports[0], "%s", msg);
	nreports++;
}

static size_t check_line(const char *c)
{
	nreports = 0;
	memset(reports, 0, sizeof reports);
	size_t n = cmdline_check(c, cmdline_options, cmdline_option_count, collect, NULL);
	CHECK_EQ(n, nreports);
	return n;
}

static bool reported(const char *needle)
{
	for (size_t i = 0; i < nreports && i < 8; i++)
		if (strstr(reports[i], needle))
			return true;
	return false;
}

static void test_cmdline_check(void)
{
	/* every option of the README, well formed: nothing to say */
	CHECK_EQ(check_line("loglevel=debug console=both hz=250 cpus=2 acpi=off noapic "
			    "ip=10.0.2.15/24 gw=10.0.2.2 nic=e1000 drvwatch=off nicirq=msi"), 0);
	CHECK_EQ(check_line("key=00 port=7700 staging=4M hashcpu=off spill=reject sched=prio "
			    "tasks=show swap=hello:hello_v2 swapsrc=a,b exit=ready"), 0);
	CHECK_EQ(check_line("selftest=nx bootdelay_ms=10 watchdog=0 nmiwatchdog=off "
			    "fault_restarts=3"), 0);
	CHECK_EQ(check_line(""), 0);
	CHECK_EQ(check_line("   \t\n "), 0);
	CHECK_EQ(cmdline_check(NULL, cmdline_options, cmdline_option_count, collect, NULL), 0);

	/* an unknown option is named by its key, never its value */
	CHECK_EQ(check_line("stagging=8M exit=ready"), 1);
	CHECK(reported("unknown option 'stagging' ignored"));
	CHECK_EQ(check_line("kye=0123456789abcdef quiet"), 2);
	CHECK(reported("'kye'") && reported("'quiet'") && !reported("0123"));
	CHECK_EQ(check_line("=5"), 1);
	CHECK(reported("no option name"));
	CHECK_EQ(check_line("loglevel"), 1);          /* a prefix of no option is not loglevel= */
	CHECK_EQ(check_line("log=debug"), 1);
	CHECK(reported("'log'"));

	/* repeated: said once, at the second */
	CHECK_EQ(check_line("ip=10.0.0.2/8 ip=10.0.0.3/8 ip=10.0.0.4/8"), 1);
	CHECK(reported("ip given more than once: the last one counts"));
	CHECK_EQ(check_line("key=00 key=11"), 1);
	CHECK(!reported("00") && !reported("11"));

	/* values the options' users would ignore */
	CHECK_EQ(check_line("loglevel=bogus"), 1);
	CHECK(reported("loglevel=bogus: the value must be debug, info, warn or error; ignored"));
	CHECK_EQ(check_line("loglevel=debugx exit=readyy nmiwatchdog=of acpi=no hashcpu=0"), 5);
	CHECK(reported("exit=readyy: the value must be ready;"));
	CHECK(reported("nmiwatchdog=of:") && reported("acpi=no:") && reported("hashcpu=0:"));
	CHECK_EQ(check_line("exit"), 1);
	CHECK(reported("exit: the value must be ready"));
	CHECK_EQ(check_line("exit="), 1);
	CHECK_EQ(check_line("noapic=0"), 1);
	CHECK(reported("noapic=0: noapic takes no value; taken as noapic"));
	CHECK_EQ(check_line("spill swap swapsrc= selftest"), 4);
	CHECK(reported("spill needs a value"));
	/* values whose users check them are left to them */
	CHECK_EQ(check_line("hz=0x10 cpus=-1 port=99999 staging=0 nicirq=junk console=vga"), 0);

	/* long keys and values are cut in the message, not overrun */
	char longw[CMDLINE_MAX];
	memset(longw, 'z', sizeof longw - 1);
	longw[sizeof longw - 1] = '\0';
	CHECK_EQ(check_line(longw), 1);
	CHECK(strlen(reports[0]) < sizeof reports[0] - 1);
	memcpy(longw, "loglevel=", 9);
	CHECK_EQ(check_line(longw), 1);
	CHECK(reported("loglevel=zzz"));
}

/* cmdline_show(): what the console and the log (served without a key when
 * none is set, as after a mistyped key=) may show: no key, not even a
 * mistyped one, nor one pasted without key=. */
static void test_cmdline_show(void)
{
	char out[256];
	const char *k64 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	char c[300];
	snprintf(c, sizeof c, "ip=1.2.3.4/24 kye=%s  key=%s\tquiet %s hz=100", k64, k64, k64);
	cmdline_show(c, out, sizeof out, cmdline_options, cmdline_option_count);
	CHECK_STR(out, "ip=1.2.3.4/24 kye=<hidden>  key=<set> quiet <hidden> hz=100");
	/* one line, no terminal controls: a newline could forge a ready line */
	cmdline_show("exit=ready\ntheseus: ready:\r\x1b[2Jhz=1\x7f", out, sizeof out, cmdline_options,
		     cmdline_option_count);
	CHECK_STR(out, "exit=ready theseus: ready: ?[2Jhz=<hidden>");
	cmdline_show("hz=1\x7f\x01 \x1b[2J", out, sizeof out, cmdline_options, cmdline_option_count);
	CHECK_STR(out, "hz=1?? ?[2J");
	CHECK_EQ(check_line("\x1b[2J=1 loglevel=\x1b[1m"), 2);
	CHECK(reported("unknown option '?[2J'") && reported("loglevel=?[1m:"));
	cmdline_show("key monkey=1 =5 KEY=ab deadbeef", out, sizeof out, cmdline_options,
		     cmdline_option_count);
	CHECK_STR(out, "key monkey=<hidden> =<hidden> KEY=<hidden> deadbeef");
	cmdline_show("", out, sizeof out, cmdline_options, cmdline_option_count);
	CHECK_STR(out, "");
	cmdline_show(NULL, out, sizeof out, cmdline_options, cmdline_option_count);
	CHECK_STR(out, "");
	/* cut to cap, terminated; a cut never shows more of a value than whole */
	char small[12];
	cmdline_show("kye=0123456789abcdef", small, sizeof small, cmdline_options,
		     cmdline_option_count);
	CHECK_STR(small, "kye=<hidden");
	small[0] = 'Q';
	cmdline_show("hz=1", small, 0, cmdline_options, cmdline_option_count);
	CHECK_EQ(small[0], 'Q');
	/* and the check names such a word without quoting it */
	snprintf(c, sizeof c, "%s", k64);
	CHECK_EQ(check_line(c), 1);
	CHECK(reported("an unknown word of 64 hex digits ignored") && !reported("0011"));
}

static void test_cmdline_redact(void)
{
	char out[64];
	cmdline_redact("ip=1.2.3.4/24 key=00112233 port=7700", out, sizeof out);
	CHECK_STR(out, "ip=1.2.3.4/24 key=<set> port=7700");
	cmdline_redact("key=abc", out, sizeof out);
	CHECK_STR(out, "key=<set>");
	cmdline_redact("monkey=1 key=", out, sizeof out);
	CHECK_STR(out, "monkey=1 key=<set>");
	cmdline_redact("key=0123456789", out, 6);
	CHECK_STR(out, "key=<");
	cmdline_redact("", out, sizeof out);
	CHECK_STR(out, "");
}

/* ---- framebuffer (multiboot2 tag 8, multiboot1 flag 12) --------------------- */

/* A multiboot2 info with one framebuffer tag of `size` bytes (fields as given;
 * RGB colour bytes 16/8, 8/8, 0/8 when size >= 38). */
static void mb2_fb(uint32_t size, uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h,
		   uint8_t bpp, uint8_t type)
{
	mb2_begin();
	mb2_mmap(std_map, 4, 24);
	uint64_t at = mb2_tag(8, size);
	w64(at + 8, addr);
	w32(at + 16, pitch);
	w32(at + 20, w);
	w32(at + 24, h);
	mem[at + 28] = bpp;
	mem[at + 29] = type;
	mem[at + 30] = mem[at + 31] = 0;
	if (size >= 38) {
		const uint8_t color[6] = { 16, 8, 8, 8, 0, 8 };
		memcpy(mem + at + 32, color, 6);
	}
	mb2_finish();
}

static void test_fb_mb2_rgb(void)
{
	mb2_fb(38, 0x80000000, 3200, 800, 600, 32, 1);
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_RGB);
	CHECK_EQ(bi.fb.addr, 0x80000000);
	CHECK_EQ(bi.fb.pitch, 3200);
	CHECK_EQ(bi.fb.width, 800);
	CHECK_EQ(bi.fb.height, 600);
	CHECK_EQ(bi.fb.bpp, 32);
	CHECK_EQ(bi.fb.red_pos, 16);
	CHECK_EQ(bi.fb.green_pos, 8);
	CHECK_EQ(bi.fb.blue_pos, 0);
	CHECK_EQ(bi.fb.blue_size, 8);
	CHECK_EQ(bi.warning_count, 0);
	/* 24 bpp with the pitch exactly width * 3 is fine too. */
	mb2_fb(38, 0x80000000, 2400, 800, 600, 24, 1);
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_RGB);
}

static void test_fb_mb2_text(void)
{
	mb2_fb(32, 0xb8000, 160, 80, 25, 16, 2);
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_EGA_TEXT);
	CHECK_EQ(bi.fb.width, 80);
	CHECK_EQ(bi.fb.height, 25);
	CHECK_EQ(bi.fb.pitch, 160);
	/* One byte short of a cell row: refused. */
	mb2_fb(32, 0xb8000, 159, 80, 25, 16, 2);
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_NONE);
	CHECK(has_warning("unusable"));
}

static void test_fb_mb2_refused(void)
{
	/* Each is a screen the kernel must not draw on: the boot goes on without. */
	mb2_fb(31, 0x80000000, 3200, 800, 600, 32, 1);          /* tag one byte short */
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_NONE);
	CHECK(has_warning("framebuffer tag too short"));
	mb2_fb(37, 0x80000000, 3200, 800, 600, 32, 1);          /* RGB without colours */
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_NONE);
	mb2_fb(38, 0x80000000, 3199, 800, 600, 32, 1);          /* pitch below width * 4 */
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_NONE);
	mb2_fb(38, 0x80000000, 800, 800, 600, 8, 1);            /* 8 bpp "RGB" */
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_NONE);
	mb2_fb(38, 0x80000000, 800, 800, 600, 8, 0);            /* indexed colour */
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_NONE);
	CHECK(has_warning("not supported"));
	mb2_fb(38, 0x80000000, 65536, 16384, 4097, 32, 1);      /* 256 MiB + 64 KiB */
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_NONE);
	mb2_fb(38, 0x80000000, 65536, 16384, 4096, 32, 1);      /* exactly 256 MiB: taken */
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_RGB);
	mb2_fb(38, UINT64_MAX - 4096, 3200, 800, 600, 32, 1);   /* wraps the address space */
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_NONE);
	mb2_fb(38, 0x80000000, 3200, 0, 600, 32, 1);            /* no width */
	CHECK_EQ(parse(MB2_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_NONE);
}

static void test_fb_mb1(void)
{
	mb1_standard("x");
	w32(INFO_AT, (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9) | (1u << 12));
	w64(INFO_AT + 88, 0xfd000000);
	w32(INFO_AT + 96, 4096);
	w32(INFO_AT + 100, 1024);
	w32(INFO_AT + 104, 768);
	mem[INFO_AT + 108] = 32;
	mem[INFO_AT + 109] = 1;
	const uint8_t color[6] = { 16, 8, 8, 8, 0, 8 };
	memcpy(mem + INFO_AT + 110, color, 6);
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_RGB);
	CHECK_EQ(bi.fb.addr, 0xfd000000);
	CHECK_EQ(bi.fb.width, 1024);
	CHECK_EQ(bi.fb.height, 768);
	CHECK_EQ(bi.fb.red_pos, 16);
	/* Without flag 12 the same bytes are not a framebuffer. */
	w32(INFO_AT, (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
	CHECK_EQ(parse(MB1_BOOT_MAGIC), TH_OK);
	CHECK_EQ(bi.fb.type, BOOT_FB_NONE);
}

int main(void)
{
	RUN(test_mb2_valid);
	RUN(test_mb2_strip_image);
	RUN(test_mb2_mmap_entry_size_40);
	RUN(test_mb2_no_mmap);
	RUN(test_mb2_meminfo_fallback);
	RUN(test_mb2_truncated);
	RUN(test_mb2_total_size);
	RUN(test_mb2_acpi_rsdp);
	RUN(test_mb2_unterminated_strings);
	RUN(test_mb2_long_strings_truncated);
	RUN(test_mb2_long_cmdline_cut_at_a_word);
	RUN(test_long_module_uri_named);
	RUN(test_mb2_mmap_entry_size);
	RUN(test_mb2_mmap_too_many);
	RUN(test_mb2_bad_modules);
	RUN(test_mb2_too_many_modules);
	RUN(test_mb2_dropped_names_cut);
	RUN(test_module_names);
	RUN(test_mb1_valid);
	RUN(test_mb1_mem_upper_only);
	RUN(test_mb1_no_mmap);
	RUN(test_mb1_bad_pointers);
	RUN(test_mb1_mmap_entries);
	RUN(test_mb1_bad_modules);
	RUN(test_mb1_too_many_modules);
	RUN(test_mb2_tag_size_edge);
	RUN(test_mb2_tag_over_end_of_memory);
	RUN(test_mmap_entry_edges);
	RUN(test_unknown_magic);
	RUN(test_cmdline_strip);
	RUN(test_cmdline_get);
	RUN(test_cmdline_has);
	RUN(test_cmdline_get_uint);
	RUN(test_cmdline_check);
	RUN(test_cmdline_show);
	RUN(test_cmdline_redact);
	RUN(test_fb_mb2_rgb);
	RUN(test_fb_mb2_text);
	RUN(test_fb_mb2_refused);
	RUN(test_fb_mb1);
	return check_summary("boot_test");
}

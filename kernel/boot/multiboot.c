/*
 * multiboot.c - parse multiboot1 and multiboot2 boot information into a
 * struct boot_info (see bootinfo.h).  Every pointer the loader gave is
 * translated and bounds-checked through the map callback before use.
 */
#include "bootinfo.h"

/* multiboot1 info flags */
#define MB1_F_MEM (1u << 0)
#define MB1_F_CMDLINE (1u << 2)
#define MB1_F_MODS (1u << 3)
#define MB1_F_MMAP (1u << 6)
#define MB1_F_LOADER (1u << 9)
#define MB1_F_FB (1u << 12)

/* multiboot2 tag types */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER 2
#define MB2_TAG_MODULE 3
#define MB2_TAG_MEMINFO 4
#define MB2_TAG_MMAP 6
#define MB2_TAG_FB 8
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

__attribute__((format(printf, 2, 3))) static void warn(struct boot_info *bi, const char *fmt, ...)
{
	if (bi->warning_count < BOOT_WARNINGS_MAX) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(bi->warnings[bi->warning_count++], sizeof bi->warnings[0], fmt, ap);
		va_end(ap);
	}
}

/* Copy a string of at most `avail` bytes that must be NUL-terminated within it. */
static bool copy_str(char *dst, size_t cap, const uint8_t *src, size_t avail)
{
	size_t n = 0;
	while (n < avail && src[n])
		n++;
	if (n == avail)
		return false; /* no terminator inside the structure */
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

/* Read a NUL-terminated string at physical addr, up to cap-1 bytes, through map. */
static bool copy_phys_str(char *dst, size_t cap, uint64_t addr, boot_map_fn map, void *ctx)
{
	size_t n = 0;
	for (; n + 1 < cap; n++) {
		const uint8_t *c = map(addr + n, 1, ctx);
		if (!c)
			return false;
		if (!*c)
			break;
		dst[n] = (char)*c;
	}
	dst[n] = '\0';
	return true;
}

/* A command line that did not fit cmdline_raw (CMDLINE_MAX - 1 bytes) was
 * cut in the middle of a word, maybe of a value (ip=10.0.2.123 read as
 * ip=10.0.2.12): drop that word, unless the byte after the cut (`next`)
 * shows it was whole, and warn naming where the command line now ends
 * (by the dropped word's key only: it may be key=). */
static void cmdline_cut(struct boot_info *bi, char next)
{
	char *s = bi->cmdline_raw;
	size_t n = strlen(s);
	bool whole = next == ' ' || next == '\t' || next == '\n' || next == '\r';
	size_t cut = n;
	if (!whole)
		while (cut && s[cut - 1] != ' ' && s[cut - 1] != '\t' && s[cut - 1] != '\n' &&
		       s[cut - 1] != '\r')
			cut--;
	size_t klen = 0;
	while (cut + klen < n && s[cut + klen] != '=' && klen < 16)
		klen++;
	if (whole)
		warn(bi, "command line over %d bytes: the words after byte %zu ignored",
		     CMDLINE_MAX - 1, n);
	else
		warn(bi, "command line over %d bytes: the words from '%.*s...' (byte %zu) on ignored",
		     CMDLINE_MAX - 1, (int)klen, s + cut, cut);
	while (cut && (s[cut - 1] == ' ' || s[cut - 1] == '\t' || s[cut - 1] == '\n' ||
		       s[cut - 1] == '\r'))
		cut--;
	s[cut] = '\0';
}

/* A module's string as the loader gave it: the name comes from all of its
 * first word, which the cut copy in boot_module.cmdline may lack (iPXE
 * gives the module's whole URI: http://server/lab/machine-dir/NAME.o). */
static char module_str[BOOT_MODULE_STR_MAX];

static void module_name(struct boot_module *m, const char *s, size_t index)
{
	const char *w = s, *end;
	while (*w == ' ')
		w++;
	end = w;
	while (*end && *end != ' ')
		end++;
	const char *base = w;
	for (const char *p = w; p < end; p++)
		if (*p == '/')
			base = p + 1;
	size_t n = (size_t)(end - base);
	if (n > 2 && base[n - 2] == '.' && base[n - 1] == 'o')
		n -= 2;
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < sizeof m->name; i++) {
		char c = base[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
			  (c >= 'A' && c <= 'Z');
		m->name[o++] = ok ? c : '_';
	}
	m->name[o] = '\0';
	if (!o)
		snprintf(m->name, sizeof m->name, "module%zu", index);
}

/* A module beyond BOOT_MODULES_MAX: counted and named (boot_modules.c logs
 * them as an error); the list ends in "..." when it no longer fits. */
static void drop_module(struct boot_info *bi, const char *str)
{
	struct boot_module d;
	size_t used = strlen(bi->dropped_names), cap = sizeof bi->dropped_names;
	bool cut = used >= 3 && strcmp(bi->dropped_names + used - 3, "...") == 0;

	snprintf(d.cmdline, sizeof d.cmdline, "%s", str);
	module_name(&d, str, BOOT_MODULES_MAX + bi->modules_dropped);
	if (bi->modules_dropped++ == 0)
		warn(bi, "more than %d boot modules: '%s' and those after it are not loaded",
		     BOOT_MODULES_MAX, d.name);
	if (cut)
		return;
	if (used + 2 + strlen(d.name) + 4 < cap) /* room left for a later ", ..." */
		snprintf(bi->dropped_names + used, cap - used, "%s%s", used ? ", " : "", d.name);
	else
		snprintf(bi->dropped_names + used, cap - used, "%s...", used ? ", " : "");
}

static void add_module(struct boot_info *bi, uint64_t start, uint64_t end, const char *str)
{
	if (end < start || end - start > BOOT_MODULE_MAX_BYTES) {
		warn(bi, "boot module '%s' skipped: absurd size (end-start = %llu)", str,
		     (unsigned long long)(end - start));
		return;
	}
	if (bi->module_count == BOOT_MODULES_MAX) {
		drop_module(bi, str);
		return;
	}
	struct boot_module *m = &bi->modules[bi->module_count];
	memset(m, 0, sizeof *m);
	snprintf(m->cmdline, sizeof m->cmdline, "%s", str);
	m->start = start;
	m->len = end - start;
	module_name(m, str, bi->module_count);
	bi->module_count++;
}

static void add_mmap(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
	if (base + len < base)
		len = UINT64_MAX - base; /* clamp a wrapping range; may leave 0: dropped below */
	if (!len)
		return;
	if (bi->mmap_count == BOOT_MMAP_MAX) {
		warn(bi, "memory map entry ignored: more than %d entries", BOOT_MMAP_MAX);
		return;
	}
	bi->mmap[bi->mmap_count++] = (struct boot_mmap_entry){ base, len, type };
}

/*
 * Record the framebuffer the loader describes (raw: the fields from offset
 * `addr` of the multiboot1 info or of the multiboot2 tag, laid out alike:
 * addr u64, pitch, width, height u32, bpp u8, type u8, then for RGB the
 * colour fields) if it is one the kernel can draw on; a warning otherwise.
 * `color` points at the six colour bytes, NULL when they were not given.
 */
static void set_fb(struct boot_info *bi, const uint8_t *raw, const uint8_t *color)
{
	struct boot_fb fb = {
		.addr = rd64(raw), .pitch = rd32(raw + 8), .width = rd32(raw + 12),
		.height = rd32(raw + 16), .bpp = raw[20],
	};
	uint8_t type = raw[21];
	uint64_t bytes = (uint64_t)fb.pitch * fb.height;
	if (type == BOOT_FB_EGA_TEXT) {
		fb.type = BOOT_FB_EGA_TEXT;
		if (!fb.width || !fb.height || fb.pitch < (uint64_t)fb.width * 2)
			goto bad;
	} else if (type == BOOT_FB_RGB) {
		fb.type = BOOT_FB_RGB;
		if (!color || (fb.bpp != 16 && fb.bpp != 24 && fb.bpp != 32) || !fb.width ||
		    !fb.height || fb.pitch < (uint64_t)fb.width * (fb.bpp / 8))
			goto bad;
		fb.red_pos = color[0], fb.red_size = color[1];
		fb.green_pos = color[2], fb.green_size = color[3];
		fb.blue_pos = color[4], fb.blue_size = color[5];
		if (fb.red_size > 8 || fb.green_size > 8 || fb.blue_size > 8 ||
		    fb.red_pos + fb.red_size > fb.bpp || fb.green_pos + fb.green_size > fb.bpp ||
		    fb.blue_pos + fb.blue_size > fb.bpp)
			goto bad;
	} else {
		warn(bi, "framebuffer type %u (indexed colour?) not supported: no screen", type);
		return;
	}
	if (bytes > BOOT_FB_MAX_BYTES || fb.addr + bytes < fb.addr)
		goto bad;
	bi->fb = fb;
	return;
bad:
	warn(bi, "framebuffer type %u %ux%u, %u bpp, pitch %u at %#llx is unusable: no screen",
	     type, fb.width, fb.height, fb.bpp, fb.pitch, (unsigned long long)fb.addr);
}

static int parse_mb2(uint64_t addr, boot_map_fn map, void *ctx, struct boot_info *bi,
		     struct th_errbuf *eb)
{
	const uint8_t *hdr = map(addr, 8, ctx);
	if (!hdr)
		return th_errf(eb, TH_EINVAL, "multiboot2 info at %#llx is not readable",
			       (unsigned long long)addr);
	uint32_t total = rd32(hdr);
	if (total < 16 || total > BOOT_INFO_MAX_BYTES)
		return th_errf(eb, TH_EINVAL, "multiboot2 info: absurd total_size %u", total);
	const uint8_t *p = map(addr, total, ctx);
	if (!p)
		return th_errf(eb, TH_EINVAL, "multiboot2 info: %u bytes at %#llx not readable", total,
			       (unsigned long long)addr);
	bi->info_addr = addr;
	bi->info_len = total;
	bool saw_end = false;
	uint64_t mem_upper_kb = 0;
	bool saw_meminfo = false;
	for (uint32_t off = 8; off + 8 <= total;) {
		uint32_t type = rd32(p + off), size = rd32(p + off + 4);
		if (size < 8 || size > total - off)
			return th_errf(eb, TH_EINVAL,
				       "multiboot2 info truncated: tag %u at offset %u has size %u (%u bytes left)",
				       type, off, size, total - off);
		const uint8_t *t = p + off;
		switch (type) {
		case MB2_TAG_END:
			saw_end = true;
			break;
		case MB2_TAG_CMDLINE:
			if (!copy_str(bi->cmdline_raw, sizeof bi->cmdline_raw, t + 8, size - 8))
				return th_errf(eb, TH_EINVAL, "multiboot2 command line is not terminated");
			if (t[8 + strlen(bi->cmdline_raw)])  /* inside the tag: copy_str found its NUL */
				cmdline_cut(bi, (char)t[8 + strlen(bi->cmdline_raw)]);
			break;
		case MB2_TAG_LOADER:
			if (!copy_str(bi->loader_name, sizeof bi->loader_name, t + 8, size - 8))
				return th_errf(eb, TH_EINVAL, "multiboot2 loader name is not terminated");
			break;
		case MB2_TAG_MODULE: {
			char *str = module_str;
			if (size < 17 || !copy_str(str, sizeof module_str, t + 16, size - 16))
				return th_errf(eb, TH_EINVAL, "multiboot2 module tag at offset %u malformed",
					       off);
			add_module(bi, rd32(t + 8), rd32(t + 12), str);
			break;
		}
		case MB2_TAG_MEMINFO:
			if (size >= 16) {
				saw_meminfo = true;
				mem_upper_kb = rd32(t + 12);
			}
			break;
		case MB2_TAG_MMAP: {
			if (size < 16)
				return th_errf(eb, TH_EINVAL, "multiboot2 memory map tag too short");
			uint32_t esz = rd32(t + 8);
			if (esz < 24 || esz > 4096)
				return th_errf(eb, TH_EINVAL, "multiboot2 memory map entry size %u invalid",
					       esz);
			for (uint32_t e = 16; e + esz <= size; e += esz)
				add_mmap(bi, rd64(t + e), rd64(t + e + 8), rd32(t + e + 16));
			break;
		}
		case MB2_TAG_FB:
			/* 8 header + 22 fields + 2 reserved; RGB adds 6 colour bytes. */
			if (size < 32)
				warn(bi, "multiboot2 framebuffer tag too short (%u bytes)", size);
			else
				set_fb(bi, t + 8, size >= 38 ? t + 32 : NULL);
			break;
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			/* A copy of the RSDP; the ACPI 2.0 one wins.  acpi.h checks it. */
			if (type == MB2_TAG_ACPI_NEW || !bi->acpi_rsdp_len) {
				uint32_t n = size - 8 < BOOT_RSDP_MAX ? size - 8 : BOOT_RSDP_MAX;
				memcpy(bi->acpi_rsdp, t + 8, n);
				bi->acpi_rsdp_len = n;
			}
			break;
		default:
			break; /* ELF sections...: not needed */
		}
		if (saw_end)
			break;
		off += (size + 7u) & ~7u;
	}
	if (!saw_end)
		return th_errf(eb, TH_EINVAL, "multiboot2 info truncated: no end tag within %u bytes",
			       total);
	if (!bi->mmap_count && saw_meminfo) {
		warn(bi, "no memory map; using basic meminfo (%llu KiB upper)",
		     (unsigned long long)mem_upper_kb);
		add_mmap(bi, 0x100000, mem_upper_kb * 1024, BOOT_MEM_AVAILABLE);
	}
	return TH_OK;
}

static int parse_mb1(uint64_t addr, boot_map_fn map, void *ctx, struct boot_info *bi,
		     struct th_errbuf *eb)
{
	const uint8_t *p = map(addr, 88, ctx);
	if (!p)
		return th_errf(eb, TH_EINVAL, "multiboot1 info at %#llx is not readable",
			       (unsigned long long)addr);
	bi->info_addr = addr;
	bi->info_len = 88;
	uint32_t flags = rd32(p);
	if (flags & MB1_F_FB) {
		const uint8_t *f = map(addr, 116, ctx);   /* framebuffer fields: 88..115 */
		if (!f)
			warn(bi, "multiboot1 framebuffer fields not readable");
		else
			set_fb(bi, f + 88, f + 110);
	}
	if (flags & MB1_F_CMDLINE) {
		if (!copy_phys_str(bi->cmdline_raw, sizeof bi->cmdline_raw, rd32(p + 16), map, ctx))
			return th_errf(eb, TH_EINVAL, "multiboot1 command line at %#x not readable",
				       rd32(p + 16));
		size_t n = strlen(bi->cmdline_raw);
		const uint8_t *next = n == sizeof bi->cmdline_raw - 1 ?
				      map(rd32(p + 16) + (uint64_t)n, 1, ctx) : NULL;
		if (next && *next)
			cmdline_cut(bi, (char)*next);
	}
	if (flags & MB1_F_LOADER) {
		if (!copy_phys_str(bi->loader_name, sizeof bi->loader_name, rd32(p + 64), map, ctx))
			warn(bi, "loader name unreadable at %#x", rd32(p + 64));
	}
	if (flags & MB1_F_MODS) {
		uint32_t count = rd32(p + 20), maddr = rd32(p + 24);
		if (count > 1024)
			return th_errf(eb, TH_EINVAL, "multiboot1 module count %u is absurd", count);
		const uint8_t *mods = count ? map(maddr, (uint64_t)count * 16, ctx) : NULL;
		if (count && !mods)
			return th_errf(eb, TH_EINVAL, "multiboot1 module list at %#x not readable", maddr);
		for (uint32_t i = 0; i < count; i++) {
			char *str = module_str;
			uint32_t s = rd32(mods + i * 16 + 8);
			str[0] = '\0';
			if (s && !copy_phys_str(str, sizeof module_str, s, map, ctx))
				warn(bi, "module string unreadable at %#x", s);
			add_module(bi, rd32(mods + i * 16), rd32(mods + i * 16 + 4), str);
		}
	}
	if (flags & MB1_F_MMAP) {
		uint32_t len = rd32(p + 44), maddr = rd32(p + 48);
		if (len > BOOT_INFO_MAX_BYTES)
			return th_errf(eb, TH_EINVAL, "multiboot1 memory map length %u is absurd", len);
		const uint8_t *m = map(maddr, len, ctx);
		if (!m)
			return th_errf(eb, TH_EINVAL, "multiboot1 memory map at %#x not readable", maddr);
		for (uint32_t off = 0; off + 24 <= len;) {
			uint32_t sz = rd32(m + off);
			if (sz < 20 || sz > len - off - 4)
				return th_errf(eb, TH_EINVAL,
					       "multiboot1 memory map truncated: entry at %u has size %u",
					       off, sz);
			add_mmap(bi, rd64(m + off + 4), rd64(m + off + 12), rd32(m + off + 20));
			off += sz + 4;
		}
	}
	if (!bi->mmap_count && (flags & MB1_F_MEM)) {
		uint64_t upper = rd32(p + 8);
		warn(bi, "no memory map; using mem_upper (%llu KiB)", (unsigned long long)upper);
		add_mmap(bi, 0x100000, upper * 1024, BOOT_MEM_AVAILABLE);
	}
	return TH_OK;
}

int bootinfo_parse(uint32_t magic, uint64_t info_addr, boot_map_fn map, void *ctx,
		   struct boot_info *out, struct th_errbuf *eb)
{
	if (!map || !out)
		return th_errf(eb, TH_EINVAL, "bootinfo_parse: no map function or output");
	memset(out, 0, sizeof *out);
	int err;
	if (magic == MB2_BOOT_MAGIC) {
		out->protocol = BOOT_MULTIBOOT2;
		err = parse_mb2(info_addr, map, ctx, out, eb);
	} else if (magic == MB1_BOOT_MAGIC) {
		out->protocol = BOOT_MULTIBOOT1;
		err = parse_mb1(info_addr, map, ctx, out, eb);
	} else {
		return th_errf(eb, TH_EINVAL, "not started by a multiboot loader (magic %#x)", magic);
	}
	if (err)
		return err;
	bool usable = false;
	for (size_t i = 0; i < out->mmap_count; i++)
		usable |= out->mmap[i].type == BOOT_MEM_AVAILABLE;
	if (!usable)
		return th_errf(eb, TH_EINVAL, "the boot loader gave no memory map (no usable RAM known)");
	cmdline_strip_image(out->cmdline_raw, out->cmdline, sizeof out->cmdline);
	return TH_OK;
}

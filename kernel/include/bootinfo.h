/*
 * bootinfo.h - one description of what the boot loader handed over, parsed
 * from either multiboot2 (GRUB) or multiboot1 (QEMU -kernel, iPXE, GRUB
 * `multiboot`): command line, memory map, boot modules, loader name, and the
 * framebuffer or text screen the loader set up, and the ACPI RSDP (multiboot2).
 *
 * The parser reads loader memory only through a `map` callback that returns
 * a pointer for a physical range or NULL if the range is not readable, and
 * checks every length, count and offset first: a truncated tag list, a
 * missing memory map or an absurd module size give an error or a warning,
 * never a wild read.  Shared by the kernel and the host tests.
 */
#ifndef THESEUS_BOOTINFO_H
#define THESEUS_BOOTINFO_H

#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"
#include "err.h"
#include "klibc.h"

#define MB1_BOOT_MAGIC 0x2BADB002u
#define MB2_BOOT_MAGIC 0x36d76289u

#define BOOT_MMAP_MAX 64
#define BOOT_MODULES_MAX 16                 /* more are named in an error and dropped */
#define BOOT_WARNINGS_MAX 8
#define BOOT_INFO_MAX_BYTES (1u << 20)       /* a larger multiboot2 info is refused */
#define BOOT_MODULE_MAX_BYTES (64u << 20)    /* a larger boot module is skipped */
#define BOOT_MODULE_NAME_MAX 32
#define BOOT_MODULE_STR_MAX 512             /* of a module's string read for its name */
#define BOOT_RSDP_MAX 36                     /* ACPI 2.0 RSDP; a longer copy is cut */

enum boot_protocol { BOOT_MULTIBOOT1 = 1, BOOT_MULTIBOOT2 = 2 };
enum { BOOT_MEM_AVAILABLE = 1 };

struct boot_mmap_entry {
	uint64_t base, len;
	uint32_t type;      /* 1 = available RAM; anything else is reserved */
};

struct boot_module {
	char name[BOOT_MODULE_NAME_MAX];  /* basename of the first word, without ".o" */
	char cmdline[128];                /* the module's string as given */
	uint64_t start, len;              /* physical */
};

/* The display the loader set up, if it said so (multiboot2 framebuffer tag,
 * multiboot1 flag 12).  Indexed-colour modes are not described (type NONE). */
enum boot_fb_type { BOOT_FB_NONE = 0, BOOT_FB_RGB = 1, BOOT_FB_EGA_TEXT = 2 };
#define BOOT_FB_MAX_BYTES (256u << 20)       /* a larger framebuffer is ignored */
struct boot_fb {
	enum boot_fb_type type;
	uint64_t addr;                    /* physical */
	uint32_t pitch, width, height;    /* bytes per line; pixels (RGB) or characters (text) */
	uint8_t bpp;                      /* bits per pixel (16 per cell in text mode) */
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct boot_info {
	enum boot_protocol protocol;
	char loader_name[48];
	char cmdline_raw[CMDLINE_MAX];    /* as the loader gave it */
	char cmdline[CMDLINE_MAX];        /* without a leading image path/URI */
	size_t mmap_count;
	struct boot_mmap_entry mmap[BOOT_MMAP_MAX];
	size_t module_count;
	struct boot_module modules[BOOT_MODULES_MAX];
	size_t modules_dropped;           /* given beyond BOOT_MODULES_MAX: not loaded */
	char dropped_names[160];          /* their names, ", "-separated ("..." if cut) */
	struct boot_fb fb;                /* type NONE when the loader gave none */
	uint64_t info_addr, info_len;     /* the loader's structure itself */
	uint8_t acpi_rsdp[BOOT_RSDP_MAX]; /* multiboot2 ACPI tag: a copy of the RSDP */
	uint32_t acpi_rsdp_len;           /* 0: none given (search the BIOS area) */
	size_t warning_count;
	char warnings[BOOT_WARNINGS_MAX][96];
};

/* Returns a readable pointer for [addr, addr+len), or NULL. */
typedef const void *(*boot_map_fn)(uint64_t addr, uint64_t len, void *ctx);

/*
 * Parse the boot information at info_addr given the magic the loader left in
 * EAX.  TH_EINVAL (with eb naming the problem) for an unknown magic, an
 * unreadable or truncated structure, or no memory map at all.  Recoverable
 * oddities (a skipped module, a truncated command line) become warnings.
 */
int bootinfo_parse(uint32_t magic, uint64_t info_addr, boot_map_fn map, void *ctx,
		   struct boot_info *out, struct th_errbuf *eb) TH_MUST_CHECK;

#endif

/*
 * acpi.h - the firmware's description of the CPUs and interrupt controllers:
 * the ACPI MADT ("APIC" table), found through the RSDP and the RSDT/XSDT,
 * or, on firmware without it, the MultiProcessor Specification tables
 * (mptable.c) described in the same struct; and the ACPI PM timer from the
 * FADT (acpi_fadt.c), the TSC's reference on machines without a PIT.
 *
 * The RSDP comes from the multiboot2 ACPI tag (a copy in boot_info) or from
 * a scan of the BIOS area 0xE0000-0xFFFFF.  Every table is read through the
 * boot_map_fn callback of bootinfo.h, and every signature, checksum, length,
 * count and entry size is checked before use: a hostile or truncated table
 * gives an error naming what was wrong, never a wild read.  Shared by the
 * kernel (kernel/smp/) and the host tests (tests/unit/madt_test.c).
 */
#ifndef THESEUS_ACPI_H
#define THESEUS_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootinfo.h"
#include "err.h"

#define ACPI_CPUS_MAX 16          /* local APICs recorded; more are counted as ignored */
#define ACPI_IOAPICS_MAX 4
#define ACPI_OVERRIDES_MAX 16
#define ACPI_TABLES_MAX 64        /* RSDT/XSDT entries looked at */
#define ACPI_TABLE_MAX_BYTES (1u << 20) /* a larger table is refused */
#define ACPI_RSDP_V1_BYTES 20
#define ACPI_RSDP_V2_BYTES 36
#define ACPI_SCAN_START 0xE0000u  /* BIOS read-only area searched for the RSDP */
#define ACPI_SCAN_END 0x100000u
#define MP_SCAN_LOW_START 0x9FC00u /* the last KiB of 640 KiB base memory */
#define MP_SCAN_LOW_END 0xA0000u
#define MP_SCAN_BIOS_START 0xF0000u
#define MP_SCAN_BIOS_END 0x100000u

struct acpi_ioapic {
	uint8_t id;
	uint32_t addr;            /* physical */
	uint32_t gsi_base;        /* first global system interrupt it serves */
};

/* An ISA interrupt routed to another GSI (e.g. PIT IRQ 0 -> GSI 2). */
struct acpi_override {
	uint8_t source;           /* ISA IRQ */
	uint32_t gsi;
	uint16_t flags;           /* MPS INTI flags: polarity, trigger mode */
};

struct acpi_madt_info {
	bool from_mp;             /* described by the MP tables, not ACPI */
	uint64_t lapic_addr;      /* physical, after any 64-bit override */
	bool legacy_pics;         /* PCAT_COMPAT: 8259 PICs present too */
	size_t cpu_count;         /* enabled local APICs, firmware order */
	uint8_t apic_ids[ACPI_CPUS_MAX];
	size_t cpus_ignored;      /* enabled but past ACPI_CPUS_MAX, duplicate, or x2APIC-only */
	size_t ioapic_count;
	struct acpi_ioapic ioapics[ACPI_IOAPICS_MAX];
	size_t override_count;
	struct acpi_override overrides[ACPI_OVERRIDES_MAX];
};

/* Parse a MADT (the whole table, header included, len bytes). */
int acpi_madt_parse(const uint8_t *tbl, size_t len, struct acpi_madt_info *out,
		    struct th_errbuf *eb) TH_MUST_CHECK;

/* Given an RSDP (len bytes: 20 for ACPI 1.0, 36 or more for 2.0+), find the
 * table with signature sig through the XSDT (or RSDT): *tbl (mapped through
 * map, header, length and checksum checked) and its length *tlen.  TH_ENOENT
 * if there is none. */
int acpi_find_table(const uint8_t *rsdp, size_t len, const char sig[4], boot_map_fn map,
		    void *ctx, const uint8_t **tbl, uint32_t *tlen, struct th_errbuf *eb) TH_MUST_CHECK;

/* Given an RSDP, find the MADT and parse it.  TH_ENOENT if there is none. */
int acpi_madt_from_rsdp(const uint8_t *rsdp, size_t len, boot_map_fn map, void *ctx,
			struct acpi_madt_info *out, struct th_errbuf *eb) TH_MUST_CHECK;

/* Scan [ACPI_SCAN_START, ACPI_SCAN_END) on 16-byte boundaries for an RSDP
 * with a valid checksum; *addr its physical address.  TH_ENOENT if none. */
int acpi_rsdp_scan(boot_map_fn map, void *ctx, uint64_t *addr) TH_MUST_CHECK;

/* The MP tables: find the floating pointer ("_MP_", base memory or BIOS
 * area), check and parse its configuration table.  TH_ENOENT if none,
 * TH_ENOTSUP for a default configuration (no table). */
int mp_find_cpus(boot_map_fn map, void *ctx, struct acpi_madt_info *out,
		 struct th_errbuf *eb) TH_MUST_CHECK;
/* Parse an MP configuration table ("PCMP", header included, len bytes):
 * enabled processors (the boot processor first) and I/O APICs. */
int mp_parse_config(const uint8_t *tbl, size_t len, struct acpi_madt_info *out,
		    struct th_errbuf *eb) TH_MUST_CHECK;

/* Kernel only (acpi_locate.c): map firmware memory read-only for the
 * parsers above (NULL for page 0, above 4 GiB or unmappable), and find the
 * RSDP: the loader's copy in boot, else acpi_rsdp_scan.  TH_ENOENT if none. */
const void *acpi_map_firmware(uint64_t addr, uint64_t len, void *ctx);
/* acpi=off on the command line: no ACPI table is read (MP tables for the
 * CPUs, no PM timer). */
bool acpi_off(const char *cmdline);
int acpi_rsdp_locate(const struct boot_info *boot, const uint8_t **rsdp, size_t *len) TH_MUST_CHECK;

/* The ACPI power-management timer: a free-running up-counter at
 * ACPI_PM_TIMER_HZ read from an I/O port, 24 or 32 bits wide. */
#define ACPI_PM_TIMER_HZ 3579545u
struct acpi_pm_timer {
	uint16_t port;
	uint8_t bits;             /* 24 or 32 */
};

/* The PM timer a FADT ("FACP", header included, len bytes) names:
 * X_PM_TMR_BLK when it is set and in I/O space, else PM_TMR_BLK (with
 * PM_TMR_LEN 4); its width from the TMR_VAL_EXT flag.  TH_ENOENT when the
 * table names none (port 0, or hardware-reduced ACPI), TH_ENOTSUP for a
 * timer in memory space only, TH_EINVAL for a short or inconsistent table. */
int acpi_fadt_pm_timer(const uint8_t *tbl, size_t len, struct acpi_pm_timer *out,
		       struct th_errbuf *eb) TH_MUST_CHECK;
/* The same, with the FADT found through an RSDP (acpi_find_table). */
int acpi_pm_timer_from_rsdp(const uint8_t *rsdp, size_t len, boot_map_fn map, void *ctx,
			    struct acpi_pm_timer *out, struct th_errbuf *eb) TH_MUST_CHECK;

#endif

/*
 * madt_test.c - host tests of the ACPI MADT parser (kernel/smp/acpi_madt.c):
 * RSDP (v1 and v2), RSDT/XSDT, the MADT entries, the BIOS-area scan, and
 * hostile tables (truncated, lying lengths, zero-length entries, bad
 * checksums, pointers out of memory, random corruption); the same for the
 * MP tables (kernel/smp/mptable.c); the FADT's PM timer (kernel/smp/
 * acpi_fadt.c) found through the same RSDP.
 *
 * "Physical memory" is a 1 MiB buffer: the map callback refuses any range
 * that leaves it, so every read the parser makes is bounds-checked here too.
 */
#include "acpi.h"
#include "check.h"

#define MEM_SIZE (1u << 20)
#define RSDP_AT 0xF0000u
#define XSDT_AT 0x10000u
#define RSDT_AT 0x11000u
#define FACP_AT 0x12000u
#define MADT_AT 0x13000u

static uint8_t mem[MEM_SIZE];
static struct acpi_madt_info info;
static struct th_errbuf eb;
static uint32_t madt_len;

static const void *fake_map(uint64_t addr, uint64_t len, void *ctx)
{
	(void)ctx;
	if (addr >= MEM_SIZE || len > MEM_SIZE - addr)
		return NULL;
	return mem + addr;
}

/* A map that takes nothing over 2 KiB (the tables, but not the 64 and
 * 128 KiB BIOS areas): the scans' fallback, 16 bytes at a time. */
static const void *small_map(uint64_t addr, uint64_t len, void *ctx)
{
	return len > 2048 ? NULL : fake_map(addr, len, ctx);
}

static void w8(uint64_t at, uint8_t v) { mem[at] = v; }
static void w16(uint64_t at, uint16_t v) { memcpy(mem + at, &v, 2); }
static void w32(uint64_t at, uint32_t v) { memcpy(mem + at, &v, 4); }
static void w64(uint64_t at, uint64_t v) { memcpy(mem + at, &v, 8); }

static void fix_sum(uint64_t at, size_t len, size_t sum_at)
{
	mem[at + sum_at] = 0;
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + mem[at + i]);
	mem[at + sum_at] = (uint8_t)-s;
}

static void sdt_header(uint64_t at, const char *sig, uint32_t len)
{
	memcpy(mem + at, sig, 4);
	w32(at + 4, len);
	w8(at + 8, 1);
	memcpy(mem + at + 10, "THESUS", 6);
}

/* A MADT: local APIC 0xFEE00000, PCAT_COMPAT, then the entries added. */
static void madt_begin(void)
{
	madt_len = 44;
	memset(mem + MADT_AT, 0, 4096);
	w32(MADT_AT + 36, 0xFEE00000u);
	w32(MADT_AT + 40, 1);
}
static void madt_lapic(uint8_t acpi_id, uint8_t apic_id, uint32_t flags)
{
	uint64_t e = MADT_AT + madt_len;
	w8(e, 0), w8(e + 1, 8), w8(e + 2, acpi_id), w8(e + 3, apic_id), w32(e + 4, flags);
	madt_len += 8;
}
static void madt_ioapic(uint8_t id, uint32_t addr, uint32_t gsi)
{
	uint64_t e = MADT_AT + madt_len;
	w8(e, 1), w8(e + 1, 12), w8(e + 2, id), w8(e + 3, 0), w32(e + 4, addr), w32(e + 8, gsi);
	madt_len += 12;
}
static void madt_override(uint8_t irq, uint32_t gsi, uint16_t flags)
{
	uint64_t e = MADT_AT + madt_len;
	w8(e, 2), w8(e + 1, 10), w8(e + 2, 0), w8(e + 3, irq), w32(e + 4, gsi), w16(e + 8, flags);
	madt_len += 10;
}
static void madt_end(void)
{
	sdt_header(MADT_AT, "APIC", madt_len);
	fix_sum(MADT_AT, madt_len, 9);
}

/* Firmware of a 4-CPU PC: RSDP v2 -> XSDT (FACP, APIC) and RSDT (same). */
static void firmware(void)
{
	memset(mem, 0xAB, sizeof mem);
	memset(&eb, 0, sizeof eb);
	madt_begin();
	for (uint8_t i = 0; i < 4; i++)
		madt_lapic(i, i, 1);
	madt_ioapic(0, 0xFEC00000u, 0);
	madt_override(0, 2, 0);
	madt_override(9, 9, 0xD);
	madt_end();
	sdt_header(FACP_AT, "FACP", 36);
	fix_sum(FACP_AT, 36, 9);
	sdt_header(XSDT_AT, "XSDT", 36 + 16);
	w64(XSDT_AT + 36, FACP_AT);
	w64(XSDT_AT + 44, MADT_AT);
	fix_sum(XSDT_AT, 52, 9);
	sdt_header(RSDT_AT, "RSDT", 36 + 8);
	w32(RSDT_AT + 36, FACP_AT);
	w32(RSDT_AT + 40, MADT_AT);
	fix_sum(RSDT_AT, 44, 9);
	memset(mem + ACPI_SCAN_START, 0, ACPI_SCAN_END - ACPI_SCAN_START);
	memcpy(mem + RSDP_AT, "RSD PTR ", 8);
	w8(RSDP_AT + 15, 2);
	w32(RSDP_AT + 16, RSDT_AT);
	w32(RSDP_AT + 20, 36);
	w64(RSDP_AT + 24, XSDT_AT);
	fix_sum(RSDP_AT, 20, 8);
	fix_sum(RSDP_AT, 36, 32);
}

static int from_rsdp(size_t len)
{
	return acpi_madt_from_rsdp(mem + RSDP_AT, len, fake_map, NULL, &info, &eb);
}

/* Rewrite the FADT: len bytes, PM_TMR_BLK port, PM_TMR_LEN tmr_len, flags. */
static void facp(uint32_t len, uint32_t port, uint8_t tmr_len, uint32_t flags)
{
	memset(mem + FACP_AT, 0, 512);
	sdt_header(FACP_AT, "FACP", len);
	if (len >= 80)
		w32(FACP_AT + 76, port);
	if (len >= 92)
		w8(FACP_AT + 91, tmr_len);
	if (len >= 116)
		w32(FACP_AT + 112, flags);
	fix_sum(FACP_AT, len, 9);
}

/* X_PM_TMR_BLK (ACPI 2.0+ FADT of 244 bytes): space, address. */
static void facp_x(uint8_t space, uint64_t addr)
{
	w8(FACP_AT + 208, space);
	w8(FACP_AT + 209, 32);
	w64(FACP_AT + 212, addr);
	fix_sum(FACP_AT, 244, 9);
}

static struct acpi_pm_timer pm;

static int pm_timer(void)
{
	return acpi_pm_timer_from_rsdp(mem + RSDP_AT, 36, fake_map, NULL, &pm, &eb);
}

static int parse_madt(void)
{
	return acpi_madt_parse(mem + MADT_AT, madt_len, &info, &eb);
}

static void test_four_cpus_xsdt(void)
{
	firmware();
	CHECK_EQ(from_rsdp(36), TH_OK);
	CHECK_EQ(info.cpu_count, 4);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(info.apic_ids[i], i);
	CHECK_EQ(info.lapic_addr, 0xFEE00000u);
	CHECK(info.legacy_pics);
	CHECK_EQ(info.ioapic_count, 1);
	CHECK_EQ(info.ioapics[0].addr, 0xFEC00000u);
	CHECK_EQ(info.override_count, 2);
	CHECK_EQ(info.overrides[0].source, 0);
	CHECK_EQ(info.overrides[0].gsi, 2);
	CHECK_EQ(info.overrides[1].flags, 0xD);
}

static void test_v1_rsdp_uses_rsdt(void)
{
	firmware();
	w8(RSDP_AT + 15, 0);
	fix_sum(RSDP_AT, 20, 8);
	memset(mem + XSDT_AT, 0, 64); /* would fail if it were read */
	CHECK_EQ(from_rsdp(20), TH_OK);
	CHECK_EQ(info.cpu_count, 4);
}

static void test_bad_xsdt_checksum_falls_back_to_rsdt(void)
{
	firmware();
	w8(RSDP_AT + 33, 0x55); /* extended checksum now wrong: XSDT not trusted */
	CHECK_EQ(from_rsdp(36), TH_OK);
	CHECK_EQ(info.cpu_count, 4);
}

static void test_scan_finds_rsdp(void)
{
	firmware();
	uint64_t at = 0;
	CHECK_EQ(acpi_rsdp_scan(fake_map, NULL, &at), TH_OK);
	CHECK_EQ(at, RSDP_AT);
	at = 0;
	CHECK_EQ(acpi_rsdp_scan(small_map, NULL, &at), TH_OK);   /* 16 bytes at a time */
	CHECK_EQ(at, RSDP_AT);
	w8(RSDP_AT + 8, (uint8_t)(mem[RSDP_AT + 8] + 1)); /* checksum broken */
	CHECK_EQ(acpi_rsdp_scan(fake_map, NULL, &at), TH_ENOENT);
	CHECK_EQ(acpi_rsdp_scan(small_map, NULL, &at), TH_ENOENT);
}

static void test_disabled_duplicate_and_too_many(void)
{
	firmware();
	madt_begin();
	madt_lapic(0, 0, 1);
	madt_lapic(1, 1, 0);        /* disabled */
	madt_lapic(2, 0, 1);        /* duplicate id */
	madt_lapic(3, 0xFF, 1);     /* broadcast id: not a CPU we can start */
	for (uint8_t i = 0; i < ACPI_CPUS_MAX + 3; i++)
		madt_lapic(i, (uint8_t)(10 + i), 1);
	madt_end();
	CHECK_EQ(parse_madt(), TH_OK);
	CHECK_EQ(info.cpu_count, ACPI_CPUS_MAX);
	CHECK_EQ(info.apic_ids[0], 0);
	CHECK_EQ(info.apic_ids[1], 10);
	CHECK_EQ(info.cpus_ignored, 2 + 4);
}

static void test_x2apic_and_lapic_override(void)
{
	firmware();
	madt_begin();
	madt_lapic(0, 0, 1);
	uint64_t e = MADT_AT + madt_len;
	w8(e, 9), w8(e + 1, 16), w16(e + 2, 0), w32(e + 4, 5), w32(e + 8, 1), w32(e + 12, 1);
	madt_len += 16;
	e = MADT_AT + madt_len;
	w8(e, 9), w8(e + 1, 16), w16(e + 2, 0), w32(e + 4, 300), w32(e + 8, 1), w32(e + 12, 2);
	madt_len += 16;
	e = MADT_AT + madt_len;
	w8(e, 5), w8(e + 1, 12), w16(e + 2, 0), w64(e + 4, 0x1FEE00000ull);
	madt_len += 12;
	madt_end();
	CHECK_EQ(parse_madt(), TH_OK);
	CHECK_EQ(info.cpu_count, 2);
	CHECK_EQ(info.apic_ids[1], 5);
	CHECK_EQ(info.cpus_ignored, 1);
	CHECK_EQ(info.lapic_addr, 0x1FEE00000ull);
}

static void test_hostile_madt(void)
{
	firmware();
	/* shorter than the fixed part */
	CHECK_EQ(acpi_madt_parse(mem + MADT_AT, 43, &info, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "at least"));
	CHECK_EQ(acpi_madt_parse(NULL, 100, &info, &eb), TH_EINVAL);
	/* length field larger than the buffer given */
	CHECK_EQ(acpi_madt_parse(mem + MADT_AT, madt_len - 1, &info, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "length field"));
	/* wrong signature */
	firmware();
	w8(MADT_AT, 'X');
	fix_sum(MADT_AT, madt_len, 9);
	CHECK_EQ(parse_madt(), TH_EINVAL);
	CHECK(strstr(eb.msg, "signature"));
	/* checksum */
	firmware();
	w8(MADT_AT + 50, (uint8_t)(mem[MADT_AT + 50] ^ 1));
	CHECK_EQ(parse_madt(), TH_EINVAL);
	CHECK(strstr(eb.msg, "checksum"));
	/* a zero-length entry (would loop for ever) */
	firmware();
	w8(MADT_AT + 45, 0);
	fix_sum(MADT_AT, madt_len, 9);
	CHECK_EQ(parse_madt(), TH_EINVAL);
	CHECK(strstr(eb.msg, "length 0"));
	/* an entry running past the end */
	firmware();
	w8(MADT_AT + 44 + 3 * 8 + 1, 200);
	fix_sum(MADT_AT, madt_len, 9);
	CHECK_EQ(parse_madt(), TH_EINVAL);
	CHECK(strstr(eb.msg, "bytes left"));
	/* a local APIC entry too short for its fields */
	firmware();
	madt_begin();
	uint64_t e = MADT_AT + madt_len;
	w8(e, 0), w8(e + 1, 4), w8(e + 2, 0), w8(e + 3, 0);
	madt_len += 4;
	madt_end();
	CHECK_EQ(parse_madt(), TH_EINVAL);
	CHECK(strstr(eb.msg, "too short"));
	/* one byte of an entry header left */
	firmware();
	madt_begin();
	madt_lapic(0, 0, 1);
	w8(MADT_AT + madt_len, 0);
	madt_len += 1;
	madt_end();
	CHECK_EQ(parse_madt(), TH_EINVAL);
	CHECK(strstr(eb.msg, "cut"));
	/* no CPU, or no local APIC address */
	firmware();
	madt_begin();
	madt_ioapic(0, 0xFEC00000u, 0);
	madt_end();
	CHECK_EQ(parse_madt(), TH_EINVAL);
	CHECK(strstr(eb.msg, "no enabled CPU"));
	firmware();
	w32(MADT_AT + 36, 0);
	fix_sum(MADT_AT, madt_len, 9);
	CHECK_EQ(parse_madt(), TH_EINVAL);
	CHECK(strstr(eb.msg, "address"));
}

static void test_hostile_roots(void)
{
	firmware();
	CHECK_EQ(acpi_madt_from_rsdp(mem + RSDP_AT, 19, fake_map, NULL, &info, &eb), TH_EINVAL);
	CHECK_EQ(acpi_madt_from_rsdp(NULL, 36, fake_map, NULL, &info, &eb), TH_EINVAL);
	w8(RSDP_AT + 1, 'X');
	CHECK_EQ(from_rsdp(36), TH_EINVAL);
	CHECK(strstr(eb.msg, "signature"));
	firmware();
	w8(RSDP_AT + 16, 0x99); /* v1 checksum broken */
	CHECK_EQ(from_rsdp(36), TH_EINVAL);
	CHECK(strstr(eb.msg, "checksum"));
	/* XSDT outside memory */
	firmware();
	w64(RSDP_AT + 24, 0xFFFFFFFFFFFFF000ull);
	fix_sum(RSDP_AT, 36, 32);
	CHECK_EQ(from_rsdp(36), TH_EINVAL);
	CHECK(strstr(eb.msg, "XSDT"));
	/* XSDT claims a huge length */
	firmware();
	w32(XSDT_AT + 4, 0xFFFFFFF0u);
	CHECK_EQ(from_rsdp(36), TH_EINVAL);
	/* XSDT length less than a header */
	firmware();
	w32(XSDT_AT + 4, 10);
	CHECK_EQ(from_rsdp(36), TH_EINVAL);
	/* XSDT entry pointing out of memory, then no MADT */
	firmware();
	w64(XSDT_AT + 36, 0xFFFFFFFFull << 8);
	w64(XSDT_AT + 44, FACP_AT);
	fix_sum(XSDT_AT, 52, 9);
	CHECK_EQ(from_rsdp(36), TH_ENOENT);
	CHECK(strstr(eb.msg, "no MADT"));
	/* the MADT's own length lies past memory */
	firmware();
	w32(MADT_AT + 4, MEM_SIZE);
	CHECK_EQ(from_rsdp(36), TH_EINVAL);
	CHECK(strstr(eb.msg, "MADT"));
	/* the root table has the wrong signature */
	firmware();
	memcpy(mem + XSDT_AT, "RSDT", 4);
	fix_sum(XSDT_AT, 52, 9);
	CHECK_EQ(from_rsdp(36), TH_EINVAL);
	CHECK(strstr(eb.msg, "wrong signature"));
}

/* Random corruption of the MADT with a fixed-up checksum: never a crash or
 * an out-of-bounds read (ASan), always OK or a named error. */
static void test_random_corruption(void)
{
	uint32_t seed = 12345;
	for (int round = 0; round < 20000; round++) {
		firmware();
		int flips = 1 + (int)(seed % 4);
		for (int i = 0; i < flips; i++) {
			seed = seed * 1103515245u + 12345u;
			uint32_t at = 4 + (seed >> 8) % (madt_len - 4);
			seed = seed * 1103515245u + 12345u;
			mem[MADT_AT + at] = (uint8_t)(seed >> 16);
		}
		uint32_t len = madt_len;
		memcpy(&len, mem + MADT_AT + 4, 4);
		if (len <= 4096)
			fix_sum(MADT_AT, len, 9);
		int err = from_rsdp(36);
		CHECK(err == TH_OK || err == TH_EINVAL);
		if (err == TH_OK)
			CHECK(info.cpu_count >= 1 && info.cpu_count <= ACPI_CPUS_MAX);
		else
			CHECK(eb.msg[0] != '\0');
	}
}

/* ---- MP tables (mptable.c): the fallback without a MADT ------------------ */
#define MPC_AT 0x14000u
static uint32_t mpc_len;
static uint16_t mpc_count;

static void mp_begin(uint64_t fp_at)
{
	memset(mem, 0xAB, sizeof mem);
	memset(mem + ACPI_SCAN_START, 0, ACPI_SCAN_END - ACPI_SCAN_START);
	memset(mem + MP_SCAN_LOW_START, 0, MP_SCAN_LOW_END - MP_SCAN_LOW_START);
	memset(&eb, 0, sizeof eb);
	memcpy(mem + fp_at, "_MP_", 4);
	w32(fp_at + 4, MPC_AT);
	w8(fp_at + 8, 1);
	w8(fp_at + 9, 4);
	fix_sum(fp_at, 16, 10);
	memset(mem + MPC_AT, 0, 1024);
	memcpy(mem + MPC_AT, "PCMP", 4);
	w8(MPC_AT + 6, 4);
	w32(MPC_AT + 36, 0xFEE00000u);
	mpc_len = 44;
	mpc_count = 0;
}
static void mp_cpu(uint8_t id, uint8_t flags)
{
	uint64_t e = MPC_AT + mpc_len;
	w8(e, 0), w8(e + 1, id), w8(e + 2, 0x14), w8(e + 3, flags);
	mpc_len += 20, mpc_count++;
}
static void mp_small(uint8_t type, uint8_t id, uint8_t flags, uint32_t addr)
{
	uint64_t e = MPC_AT + mpc_len;
	w8(e, type), w8(e + 1, id), w8(e + 2, 0x11), w8(e + 3, flags), w32(e + 4, addr);
	mpc_len += 8, mpc_count++;
}
static void mp_end(void)
{
	w16(MPC_AT + 4, (uint16_t)mpc_len);
	w16(MPC_AT + 34, mpc_count);
	fix_sum(MPC_AT, mpc_len, 7);
}
static int mp_find(void) { return mp_find_cpus(fake_map, NULL, &info, &eb); }

static void test_mp_tables(void)
{
	mp_begin(0xF5A40);
	mp_cpu(1, 1);                /* an AP before the boot processor */
	mp_cpu(0, 3);                /* enabled, boot processor: listed first */
	mp_cpu(2, 0);                /* disabled */
	mp_cpu(3, 1);
	mp_small(1, 0, 0, 0);        /* a bus */
	mp_small(2, 4, 1, 0xFEC00000u);
	mp_small(3, 0, 0, 0);        /* an I/O interrupt */
	mp_end();
	CHECK_EQ(mp_find_cpus(small_map, NULL, &info, &eb), TH_OK);   /* scanned piecewise */
	CHECK_EQ(info.cpu_count, 3);
	CHECK_EQ(mp_find(), TH_OK);
	CHECK(info.from_mp);
	CHECK_EQ(info.cpu_count, 3);
	CHECK_EQ(info.apic_ids[0], 0);
	CHECK_EQ(info.apic_ids[1], 1);
	CHECK_EQ(info.apic_ids[2], 3);
	CHECK_EQ(info.ioapic_count, 1);
	CHECK_EQ(info.ioapics[0].addr, 0xFEC00000u);
	CHECK_EQ(info.lapic_addr, 0xFEE00000u);
	/* in the last KiB of base memory too */
	mp_begin(MP_SCAN_LOW_START + 0x30);
	mp_cpu(0, 3);
	mp_end();
	CHECK_EQ(mp_find(), TH_OK);
	CHECK_EQ(info.cpu_count, 1);
}

static void test_mp_hostile(void)
{
	/* none at all */
	mp_begin(0xF5A40);
	memset(mem + 0xF5A40, 0, 16);
	CHECK_EQ(mp_find(), TH_ENOENT);
	/* floating pointer checksum */
	mp_begin(0xF5A40);
	mp_cpu(0, 3);
	mp_end();
	w8(0xF5A40 + 4, 0x77);
	CHECK_EQ(mp_find(), TH_ENOENT);
	/* default configuration (no table) */
	mp_begin(0xF5A40);
	w8(0xF5A40 + 11, 5);
	fix_sum(0xF5A40, 16, 10);
	CHECK_EQ(mp_find(), TH_ENOTSUP);
	/* table outside memory */
	mp_begin(0xF5A40);
	w32(0xF5A40 + 4, 0xFFFFFF00u);
	fix_sum(0xF5A40, 16, 10);
	CHECK_EQ(mp_find(), TH_EINVAL);
	CHECK(strstr(eb.msg, "unreadable"));
	/* length shorter than the header, or past the buffer given */
	mp_begin(0xF5A40);
	mp_cpu(0, 3);
	mp_end();
	CHECK_EQ(mp_parse_config(mem + MPC_AT, 43, &info, &eb), TH_EINVAL);
	CHECK_EQ(mp_parse_config(mem + MPC_AT, mpc_len - 1, &info, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "length field"));
	CHECK_EQ(mp_parse_config(NULL, 64, &info, &eb), TH_EINVAL);
	/* bad signature, bad checksum */
	w8(MPC_AT, 'X');
	fix_sum(MPC_AT, mpc_len, 7);
	CHECK_EQ(mp_parse_config(mem + MPC_AT, mpc_len, &info, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "signature"));
	mp_begin(0xF5A40);
	mp_cpu(0, 3);
	mp_end();
	w8(MPC_AT + 45, 9);
	CHECK_EQ(mp_find(), TH_EINVAL);
	CHECK(strstr(eb.msg, "checksum"));
	/* more entries counted than bytes: the last one cut */
	mp_begin(0xF5A40);
	mp_cpu(0, 3);
	mp_small(2, 1, 1, 0xFEC00000u);
	mp_end();
	w16(MPC_AT + 4, (uint16_t)(mpc_len - 4));
	fix_sum(MPC_AT, mpc_len - 4, 7);
	CHECK_EQ(mp_find(), TH_EINVAL);
	CHECK(strstr(eb.msg, "cut"));
	mp_begin(0xF5A40);
	mp_cpu(0, 3);
	mp_end();
	w16(MPC_AT + 34, 2);
	fix_sum(MPC_AT, mpc_len, 7);
	CHECK_EQ(mp_find(), TH_EINVAL);
	CHECK(strstr(eb.msg, "past the end"));
	/* an unknown entry type: its size is unknown */
	mp_begin(0xF5A40);
	mp_small(9, 0, 0, 0);
	mp_end();
	CHECK_EQ(mp_find(), TH_EINVAL);
	CHECK(strstr(eb.msg, "unknown type"));
	/* no enabled processor; no local APIC address */
	mp_begin(0xF5A40);
	mp_cpu(0, 0);
	mp_end();
	CHECK_EQ(mp_find(), TH_EINVAL);
	CHECK(strstr(eb.msg, "no enabled CPU"));
	mp_begin(0xF5A40);
	mp_cpu(0, 3);
	w32(MPC_AT + 36, 0);
	mp_end();
	CHECK_EQ(mp_find(), TH_EINVAL);
	/* random corruption with a fixed-up checksum: OK or a named error */
	uint32_t seed = 99;
	for (int round = 0; round < 20000; round++) {
		mp_begin(0xF5A40);
		mp_cpu(0, 3);
		mp_cpu(1, 1);
		mp_small(2, 2, 1, 0xFEC00000u);
		mp_end();
		for (int k = 0; k < 3; k++) {
			seed = seed * 1103515245u + 12345u;
			mem[MPC_AT + 4 + (seed >> 8) % (mpc_len - 4)] = (uint8_t)(seed >> 20);
		}
		uint16_t l;
		memcpy(&l, mem + MPC_AT + 4, 2);
		if (l >= 8 && l <= 1024)
			fix_sum(MPC_AT, l, 7);
		int err = mp_find();
		CHECK(err == TH_OK || err == TH_EINVAL);
		if (err)
			CHECK(eb.msg[0]);
		else
			CHECK(info.cpu_count >= 1 && info.cpu_count <= ACPI_CPUS_MAX);
	}
}

static void test_fadt_pm_timer(void)
{
	firmware();
	/* The firmware's FADT of only a header: too short, named. */
	CHECK_EQ(pm_timer(), TH_EINVAL);
	CHECK(strstr(eb.msg, "FADT: 36 bytes"));
	/* ACPI 1.0's 116-byte FADT (QEMU's pc machine): port, 24 bits. */
	facp(116, 0x608, 4, 0);
	CHECK_EQ(pm_timer(), TH_OK);
	CHECK_EQ(pm.port, 0x608);
	CHECK_EQ(pm.bits, 24);
	facp(116, 0xB008, 4, 1u << 8);   /* TMR_VAL_EXT */
	CHECK_EQ(pm_timer(), TH_OK);
	CHECK_EQ(pm.port, 0xB008);
	CHECK_EQ(pm.bits, 32);
	/* A table that ends right after PM_TMR_BLK: no flags, no length byte. */
	facp(80, 0x408, 0, 0);
	CHECK_EQ(pm_timer(), TH_OK);
	CHECK_EQ(pm.port, 0x408);
	/* ACPI 2.0+: X_PM_TMR_BLK in I/O space wins over PM_TMR_BLK. */
	facp(244, 0x608, 4, 0);
	facp_x(1, 0x1808);
	CHECK_EQ(pm_timer(), TH_OK);
	CHECK_EQ(pm.port, 0x1808);
	/* In memory space: the 32-bit field still names the port... */
	facp_x(0, 0xFED00000u);
	CHECK_EQ(pm_timer(), TH_OK);
	CHECK_EQ(pm.port, 0x608);
	/* ...and without it there is no timer we can read. */
	facp(244, 0, 0, 0);
	facp_x(0, 0xFED00000u);
	CHECK_EQ(pm_timer(), TH_ENOTSUP);
	CHECK(strstr(eb.msg, "address space 0"));
	/* None: port 0, hardware-reduced ACPI. */
	facp(116, 0, 0, 0);
	CHECK_EQ(pm_timer(), TH_ENOENT);
	CHECK(strstr(eb.msg, "PM_TMR_BLK 0"));
	facp(116, 0x608, 4, 1u << 20);
	CHECK_EQ(pm_timer(), TH_ENOENT);
	CHECK(strstr(eb.msg, "hardware-reduced"));
	/* Inconsistent: a length other than 4, a port past 16 bits (both
	 * fields), a table whose checksum is wrong. */
	facp(116, 0x608, 3, 0);
	CHECK_EQ(pm_timer(), TH_EINVAL);
	CHECK(strstr(eb.msg, "PM_TMR_LEN 3"));
	facp(116, 0x10008, 4, 0);
	CHECK_EQ(pm_timer(), TH_EINVAL);
	CHECK(strstr(eb.msg, "not an I/O port"));
	facp(244, 0x608, 4, 0);
	facp_x(1, 0xFFFE);
	CHECK_EQ(pm_timer(), TH_EINVAL);
	facp(116, 0x608, 4, 0);
	mem[FACP_AT + 100] ^= 1;
	CHECK_EQ(pm_timer(), TH_EINVAL);
	CHECK(strstr(eb.msg, "FADT (FACP) at 0x12000 unreadable or corrupt"));
	/* No FADT at all; and the parser alone on a table that is not one. */
	firmware();
	memcpy(mem + FACP_AT, "FACQ", 4);
	fix_sum(FACP_AT, 36, 9);
	CHECK_EQ(pm_timer(), TH_ENOENT);
	CHECK(strstr(eb.msg, "no FADT (FACP) among 2 tables"));
	CHECK_EQ(acpi_fadt_pm_timer(mem + MADT_AT, 200, &pm, &eb), TH_EINVAL);
	CHECK_EQ(acpi_fadt_pm_timer(NULL, 200, &pm, &eb), TH_EINVAL);
	/* Every length of a good 244-byte table: never a read past it. */
	facp(244, 0x608, 4, 1u << 8);
	facp_x(1, 0x608);
	for (size_t n = 0; n <= 244; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, mem + FACP_AT, n);
		int err = acpi_fadt_pm_timer(copy, n, &pm, &eb);
		CHECK(n < 80 ? err == TH_EINVAL : err == TH_OK && pm.port == 0x608);
		free(copy);
	}
}

int main(void)
{
	RUN(test_four_cpus_xsdt);
	RUN(test_v1_rsdp_uses_rsdt);
	RUN(test_bad_xsdt_checksum_falls_back_to_rsdt);
	RUN(test_scan_finds_rsdp);
	RUN(test_disabled_duplicate_and_too_many);
	RUN(test_x2apic_and_lapic_override);
	RUN(test_hostile_madt);
	RUN(test_hostile_roots);
	RUN(test_random_corruption);
	RUN(test_mp_tables);
	RUN(test_mp_hostile);
	RUN(test_fadt_pm_timer);
	return check_summary("madt_test");
}

/*
 * mptable.c - the Intel MultiProcessor Specification tables (see acpi.h),
 * the fallback when the firmware has no ACPI MADT: the floating pointer
 * "_MP_" in the last KiB of base memory or the BIOS area 0xF0000-0xFFFFF,
 * then its configuration table "PCMP": processors (local APIC ids) and I/O
 * APICs.  Every signature, checksum, length and entry is checked first.
 */
#include "acpi.h"

#include "klibc.h"

#define MPF_BYTES 16
#define MPC_HEADER 44
#define MPC_PROCESSOR 0
#define MPC_BUS 1
#define MPC_IOAPIC 2
#define MPC_IOINT 3
#define MPC_LINT 4

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

int mp_parse_config(const uint8_t *t, size_t len, struct acpi_madt_info *out, struct th_errbuf *eb)
{
	memset(out, 0, sizeof *out);
	if (!t || len < MPC_HEADER)
		return th_errf(eb, TH_EINVAL, "MP table: %zu bytes, need at least %d", len, MPC_HEADER);
	if (memcmp(t, "PCMP", 4))
		return th_errf(eb, TH_EINVAL, "MP table: signature is not PCMP");
	uint16_t tlen = rd16(t + 4), count = rd16(t + 34);
	if (tlen < MPC_HEADER || tlen > len)
		return th_errf(eb, TH_EINVAL, "MP table: length field %u outside %d..%zu", tlen,
			       MPC_HEADER, len);
	if (sum(t, tlen))
		return th_errf(eb, TH_EINVAL, "MP table: bad checksum");
	out->lapic_addr = rd32(t + 36);
	out->legacy_pics = true; /* an MP system keeps the PIC-compatible mode */
	out->from_mp = true;
	uint32_t off = MPC_HEADER;
	for (uint16_t i = 0; i < count; i++) {
		if (off >= tlen)
			return th_errf(eb, TH_EINVAL, "MP table: entry %u of %u past the end", i, count);
		uint8_t type = t[off];
		uint32_t elen = type == MPC_PROCESSOR ? 20 : type <= MPC_LINT ? 8 : 0;
		if (!elen)
			return th_errf(eb, TH_EINVAL, "MP table: entry %u has unknown type %u", i, type);
		if (elen > tlen - off)
			return th_errf(eb, TH_EINVAL, "MP table: entry %u (type %u) cut at offset %u", i,
				       type, off);
		const uint8_t *e = t + off;
		if (type == MPC_PROCESSOR && (e[3] & 1)) {
			bool dup = false;
			for (size_t k = 0; k < out->cpu_count; k++)
				dup |= out->apic_ids[k] == e[1];
			if (dup || e[1] == 0xFF || out->cpu_count == ACPI_CPUS_MAX)
				out->cpus_ignored++;
			else if (e[3] & 2) { /* the boot processor first */
				memmove(out->apic_ids + 1, out->apic_ids, out->cpu_count);
				out->apic_ids[0] = e[1];
				out->cpu_count++;
			} else {
				out->apic_ids[out->cpu_count++] = e[1];
			}
		} else if (type == MPC_IOAPIC && (e[3] & 1) && out->ioapic_count < ACPI_IOAPICS_MAX) {
			out->ioapics[out->ioapic_count++] = (struct acpi_ioapic){ e[1], rd32(e + 4), 0 };
		}
		off += elen;
	}
	if (!out->lapic_addr || out->lapic_addr % 4096)
		return th_errf(eb, TH_EINVAL, "MP table: local APIC address %#llx invalid",
			       (unsigned long long)out->lapic_addr);
	if (!out->cpu_count)
		return th_errf(eb, TH_EINVAL, "MP table: no enabled CPU");
	return TH_OK;
}

/* A valid floating pointer in [start, end), 16-byte aligned; 0 if none.
 * The range is mapped at once when map allows it (as acpi_rsdp_scan). */
static uint64_t scan(uint64_t start, uint64_t end, boot_map_fn map, void *ctx)
{
	const uint8_t *area = end > start ? map(start, end - start, ctx) : NULL;
	for (uint64_t a = start; a + MPF_BYTES <= end; a += 16) {
		const uint8_t *p = area ? area + (a - start) : map(a, MPF_BYTES, ctx);
		if (p && p[0] == '_' && !memcmp(p, "_MP_", 4) && p[8] == 1 && !sum(p, MPF_BYTES))
			return a;
	}
	return 0;
}

int mp_find_cpus(boot_map_fn map, void *ctx, struct acpi_madt_info *out, struct th_errbuf *eb)
{
	memset(out, 0, sizeof *out);
	uint64_t at = scan(MP_SCAN_LOW_START, MP_SCAN_LOW_END, map, ctx);
	if (!at)
		at = scan(MP_SCAN_BIOS_START, MP_SCAN_BIOS_END, map, ctx);
	if (!at)
		return th_errf(eb, TH_ENOENT, "no MP floating pointer in base memory or the BIOS area");
	const uint8_t *f = map(at, MPF_BYTES, ctx);
	uint32_t cfg = rd32(f + 4);
	if (f[11]) /* a default configuration (no table): two CPUs, ids 0 and 1 */
		return th_errf(eb, TH_ENOTSUP, "MP default configuration %u: not supported", f[11]);
	const uint8_t *h = cfg ? map(cfg, MPC_HEADER, ctx) : NULL;
	if (!h)
		return th_errf(eb, TH_EINVAL, "MP table at %#x unreadable", cfg);
	uint16_t tlen = rd16(h + 4);
	const uint8_t *t = tlen >= MPC_HEADER ? map(cfg, tlen, ctx) : NULL;
	if (!t)
		return th_errf(eb, TH_EINVAL, "MP table at %#x: length %u unreadable", cfg, tlen);
	return mp_parse_config(t, tlen, out, eb);
}

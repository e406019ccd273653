/*
 * acpi_madt.c - find ACPI tables and parse the MADT (see acpi.h): RSDP ->
 * XSDT or RSDT -> a table by signature; the "APIC" table -> local APIC ids,
 * I/O APICs and ISA overrides.
 * Every read goes through the map callback or stays inside a length that
 * was checked first.
 */
#include "acpi.h"

#include "klibc.h"

#define SDT_HEADER 36             /* signature, length, revision, checksum, ids */
#define MADT_FIXED 44             /* header + local APIC address + flags */

#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_OVERRIDE 2
#define MADT_LAPIC_ADDR 5
#define MADT_X2APIC 9

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static void add_cpu(struct acpi_madt_info *out, uint32_t apic_id)
{
	if (apic_id > 0xFE) { /* only an x2APIC could reach it */
		out->cpus_ignored++;
		return;
	}
	for (size_t i = 0; i < out->cpu_count; i++)
		if (out->apic_ids[i] == apic_id) {
			out->cpus_ignored++; /* the same CPU twice */
			return;
		}
	if (out->cpu_count == ACPI_CPUS_MAX) {
		out->cpus_ignored++;
		return;
	}
	out->apic_ids[out->cpu_count++] = (uint8_t)apic_id;
}

int acpi_madt_parse(const uint8_t *tbl, size_t len, struct acpi_madt_info *out,
		    struct th_errbuf *eb)
{
	memset(out, 0, sizeof *out);
	if (!tbl || len < MADT_FIXED)
		return th_errf(eb, TH_EINVAL, "MADT: %zu bytes, need at least %d", len, MADT_FIXED);
	if (memcmp(tbl, "APIC", 4))
		return th_errf(eb, TH_EINVAL, "MADT: signature is not APIC");
	uint32_t tlen = rd32(tbl + 4);
	if (tlen < MADT_FIXED || tlen > len)
		return th_errf(eb, TH_EINVAL, "MADT: length field %u outside %d..%zu", tlen,
			       MADT_FIXED, len);
	if (sum(tbl, tlen))
		return th_errf(eb, TH_EINVAL, "MADT: bad checksum");
	out->lapic_addr = rd32(tbl + 36);
	out->legacy_pics = rd32(tbl + 40) & 1;
	for (uint32_t off = MADT_FIXED; off < tlen;) {
		if (tlen - off < 2)
			return th_errf(eb, TH_EINVAL, "MADT: entry header cut at offset %u", off);
		uint8_t type = tbl[off], elen = tbl[off + 1];
		if (elen < 2 || elen > tlen - off)
			return th_errf(eb, TH_EINVAL, "MADT: entry type %u at offset %u has length %u (%u bytes left)",
				       type, off, elen, tlen - off);
		const uint8_t *e = tbl + off;
		switch (type) {
		case MADT_LAPIC:
			if (elen < 8)
				return th_errf(eb, TH_EINVAL, "MADT: local APIC entry at offset %u too short (%u)", off, elen);
			if (rd32(e + 4) & 1) /* enabled */
				add_cpu(out, e[3]);
			break;
		case MADT_X2APIC:
			if (elen < 16)
				return th_errf(eb, TH_EINVAL, "MADT: x2APIC entry at offset %u too short (%u)", off, elen);
			if (rd32(e + 8) & 1)
				add_cpu(out, rd32(e + 4));
			break;
		case MADT_IOAPIC:
			if (elen < 12)
				return th_errf(eb, TH_EINVAL, "MADT: I/O APIC entry at offset %u too short (%u)", off, elen);
			if (out->ioapic_count < ACPI_IOAPICS_MAX)
				out->ioapics[out->ioapic_count++] =
					(struct acpi_ioapic){ e[2], rd32(e + 4), rd32(e + 8) };
			break;
		case MADT_OVERRIDE:
			if (elen < 10)
				return th_errf(eb, TH_EINVAL, "MADT: interrupt override at offset %u too short (%u)", off, elen);
			if (e[2] == 0 && out->override_count < ACPI_OVERRIDES_MAX) /* bus 0: ISA */
				out->overrides[out->override_count++] =
					(struct acpi_override){ e[3], rd32(e + 4), rd16(e + 8) };
			break;
		case MADT_LAPIC_ADDR:
			if (elen < 12)
				return th_errf(eb, TH_EINVAL, "MADT: local APIC address override at offset %u too short (%u)", off, elen);
			out->lapic_addr = rd64(e + 4);
			break;
		default:
			break; /* NMI sources, GIC...: not needed */
		}
		off += elen;
	}
	if (!out->lapic_addr || out->lapic_addr % 4096)
		return th_errf(eb, TH_EINVAL, "MADT: local APIC address %#llx invalid",
			       (unsigned long long)out->lapic_addr);
	if (!out->cpu_count)
		return th_errf(eb, TH_EINVAL, "MADT: no enabled CPU");
	return TH_OK;
}

/* Map a whole system description table at addr, checking its header, length
 * and checksum; *len its length. */
static const uint8_t *map_table(uint64_t addr, boot_map_fn map, void *ctx, uint32_t *len)
{
	const uint8_t *h = map(addr, SDT_HEADER, ctx);
	if (!h)
		return NULL;
	uint32_t n = rd32(h + 4);
	if (n < SDT_HEADER || n > ACPI_TABLE_MAX_BYTES)
		return NULL;
	const uint8_t *t = map(addr, n, ctx);
	if (!t || sum(t, n))
		return NULL;
	*len = n;
	return t;
}

/* What the specification calls a table, for messages. */
static const char *table_name(const char sig[4])
{
	return !memcmp(sig, "APIC", 4) ? "MADT (APIC)" : !memcmp(sig, "FACP", 4) ? "FADT (FACP)" : NULL;
}

int acpi_find_table(const uint8_t *rsdp, size_t len, const char sig[4], boot_map_fn map,
		    void *ctx, const uint8_t **tbl, uint32_t *tlen, struct th_errbuf *eb)
{
	*tbl = NULL;
	*tlen = 0;
	if (!rsdp || len < ACPI_RSDP_V1_BYTES || memcmp(rsdp, "RSD PTR ", 8))
		return th_errf(eb, TH_EINVAL, "ACPI: no RSDP signature (%zu bytes)", len);
	if (sum(rsdp, ACPI_RSDP_V1_BYTES))
		return th_errf(eb, TH_EINVAL, "ACPI: RSDP checksum wrong");
	uint64_t root = rd32(rsdp + 16);
	size_t esz = 4;
	if (rsdp[15] >= 2 && len >= ACPI_RSDP_V2_BYTES) {
		uint32_t xlen = rd32(rsdp + 20);
		if (xlen >= ACPI_RSDP_V2_BYTES && xlen <= len && !sum(rsdp, xlen) && rd64(rsdp + 24)) {
			root = rd64(rsdp + 24);
			esz = 8;
		}
	}
	uint32_t rlen;
	const uint8_t *rt = map_table(root, map, ctx, &rlen);
	if (!rt)
		return th_errf(eb, TH_EINVAL, "ACPI: %s at %#llx unreadable or corrupt",
			       esz == 8 ? "XSDT" : "RSDT", (unsigned long long)root);
	if (memcmp(rt, esz == 8 ? "XSDT" : "RSDT", 4))
		return th_errf(eb, TH_EINVAL, "ACPI: root table at %#llx has the wrong signature",
			       (unsigned long long)root);
	size_t n = (rlen - SDT_HEADER) / esz;
	if (n > ACPI_TABLES_MAX)
		n = ACPI_TABLES_MAX;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *ent = rt + SDT_HEADER + i * esz;
		uint64_t a = esz == 8 ? rd64(ent) : rd32(ent);
		const uint8_t *h = map(a, SDT_HEADER, ctx);
		if (!h || memcmp(h, sig, 4))
			continue;
		if (!(*tbl = map_table(a, map, ctx, tlen)))
			return th_errf(eb, TH_EINVAL, "ACPI: %s%.4s at %#llx unreadable or corrupt",
				       table_name(sig) ? table_name(sig) : "", table_name(sig) ? "" : sig,
				       (unsigned long long)a);
		return TH_OK;
	}
	return th_errf(eb, TH_ENOENT, "ACPI: no %s%.4s among %zu tables",
		       table_name(sig) ? table_name(sig) : "", table_name(sig) ? "" : sig, n);
}

int acpi_madt_from_rsdp(const uint8_t *rsdp, size_t len, boot_map_fn map, void *ctx,
			struct acpi_madt_info *out, struct th_errbuf *eb)
{
	const uint8_t *t;
	uint32_t tlen;
	memset(out, 0, sizeof *out);
	int err = acpi_find_table(rsdp, len, "APIC", map, ctx, &t, &tlen, eb);
	return err ? err : acpi_madt_parse(t, tlen, out, eb);
}

int acpi_rsdp_scan(boot_map_fn map, void *ctx, uint64_t *addr)
{
	/* The whole area mapped at once when map allows it, then read in
	 * place: mapping 16 bytes at a time (a page-table walk under a lock
	 * each) was most of the scan, itself a tenth of a TCG boot. */
	const uint8_t *area = map(ACPI_SCAN_START, ACPI_SCAN_END - ACPI_SCAN_START, ctx);
	for (uint64_t a = ACPI_SCAN_START; a + ACPI_RSDP_V1_BYTES <= ACPI_SCAN_END; a += 16) {
		const uint8_t *p = area ? area + (a - ACPI_SCAN_START) : map(a, ACPI_RSDP_V1_BYTES, ctx);
		if (p && p[0] == 'R' && !memcmp(p, "RSD PTR ", 8) && !sum(p, ACPI_RSDP_V1_BYTES)) {
			*addr = a;
			return TH_OK;
		}
	}
	return TH_ENOENT;
}

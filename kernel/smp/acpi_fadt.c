/*
 * acpi_fadt.c - the ACPI power-management timer from the FADT ("FACP"; see
 * acpi.h): a counter at 3.579545 MHz that the kernel calibrates the TSC
 * against on machines whose PIT does not count.  Only fields inside the
 * table's checked length are read.
 */
#include "acpi.h"

#include "klibc.h"

/* Offsets into the FADT (ACPI 6.5, table 5.9). */
#define FADT_PM_TMR_BLK 76        /* 4 bytes: I/O port of the timer, 0 if none */
#define FADT_PM_TMR_LEN 91        /* 1 byte: 4 when there is a timer */
#define FADT_FLAGS 112            /* 4 bytes */
#define FADT_X_PM_TMR_BLK 208     /* 12 bytes: Generic Address Structure */
#define FADT_FLAG_TMR_VAL_EXT (1u << 8)    /* the counter is 32 bits, not 24 */
#define FADT_FLAG_HW_REDUCED (1u << 20)    /* hardware-reduced ACPI: no PM timer */
#define GAS_SYSTEM_IO 1

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

int acpi_fadt_pm_timer(const uint8_t *tbl, size_t len, struct acpi_pm_timer *out,
		       struct th_errbuf *eb)
{
	memset(out, 0, sizeof *out);
	if (!tbl || len < FADT_PM_TMR_BLK + 4 || memcmp(tbl, "FACP", 4))
		return th_errf(eb, TH_EINVAL, "FADT: %zu bytes, no FACP table with a PM_TMR_BLK",
			       tbl ? len : 0);
	uint32_t flags = len >= FADT_FLAGS + 4 ? rd32(tbl + FADT_FLAGS) : 0;
	if (flags & FADT_FLAG_HW_REDUCED)
		return th_errf(eb, TH_ENOENT, "FADT: hardware-reduced ACPI, no PM timer");
	uint64_t port = rd32(tbl + FADT_PM_TMR_BLK);
	/* ACPI 2.0+: X_PM_TMR_BLK wins when it is set and names I/O space; a
	 * timer in memory space is not supported, the 32-bit field still may be. */
	if (len >= FADT_X_PM_TMR_BLK + 12) {
		const uint8_t *gas = tbl + FADT_X_PM_TMR_BLK;
		uint64_t addr = rd64(gas + 4);
		if (addr && gas[0] == GAS_SYSTEM_IO)
			port = addr;
		else if (addr && !port)
			return th_errf(eb, TH_ENOTSUP, "FADT: PM timer in address space %u at %#llx "
				       "(only I/O ports are supported)", gas[0],
				       (unsigned long long)addr);
	}
	if (!port)
		return th_errf(eb, TH_ENOENT, "FADT: no PM timer (PM_TMR_BLK 0)");
	if (port > 0xFFFFu - 3)
		return th_errf(eb, TH_EINVAL, "FADT: PM timer port %#llx is not an I/O port",
			       (unsigned long long)port);
	if (len > FADT_PM_TMR_LEN && tbl[FADT_PM_TMR_LEN] != 4 && port == rd32(tbl + FADT_PM_TMR_BLK))
		return th_errf(eb, TH_EINVAL, "FADT: PM_TMR_LEN %u, want 4", tbl[FADT_PM_TMR_LEN]);
	out->port = (uint16_t)port;
	out->bits = flags & FADT_FLAG_TMR_VAL_EXT ? 32 : 24;
	return TH_OK;
}

int acpi_pm_timer_from_rsdp(const uint8_t *rsdp, size_t len, boot_map_fn map, void *ctx,
			    struct acpi_pm_timer *out, struct th_errbuf *eb)
{
	const uint8_t *t;
	uint32_t tlen;
	memset(out, 0, sizeof *out);
	int err = acpi_find_table(rsdp, len, "FACP", map, ctx, &t, &tlen, eb);
	return err ? err : acpi_fadt_pm_timer(t, tlen, out, eb);
}

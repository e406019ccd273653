/*
 * firmware_tables_fuzz.c - libFuzzer target for the firmware's tables
 * (kernel/smp/acpi_madt.c, kernel/smp/mptable.c, kernel/smp/acpi_fadt.c).
 *
 * Input: byte 0 mod 7 chooses the entry point (0: acpi_madt_parse on the
 * rest, 1: mp_parse_config on the rest, 2: acpi_madt_from_rsdp with the RSDP
 * at the start of the rest, 3: mp_find_cpus, 4: acpi_fadt_pm_timer on the
 * rest, 5: acpi_pm_timer_from_rsdp as 2, 6: a PCI function's configuration
 * space, the rest zero-padded to 256 bytes: pci_cap_find for byte 1 and
 * pci_msi_layout, kernel/dev/pci_caps.c), bytes 1..3 are otherwise ignored, the rest
 * is the table or physical memory from address 0 (so table pointers are
 * offsets into the input; for mp_find_cpus the input is placed at the BIOS
 * area 0xF0000).  The map callback hands out a fresh exact-sized copy of
 * every range it approves, so any read beyond what the parser asked for is
 * a heap-buffer-overflow under ASan.  On success the result's invariants are
 * checked.  Seeds: written at build time by tests/fuzz/firmware_tables_seeds.py
 * (a 4-CPU MADT, its RSDP/XSDT/RSDT chain, an MP table and floating pointer,
 * a FADT and a chain with it).
 */
#include <stdlib.h>

#include "acpi.h"
#include "pci.h"

struct fuzz_mem {
	const uint8_t *data;
	size_t size;
	uint64_t base;
	void **copies;
	size_t ncopies, cap;
};

static const void *fuzz_map(uint64_t addr, uint64_t len, void *ctx)
{
	struct fuzz_mem *m = ctx;
	if (addr < m->base || addr - m->base >= m->size || len > m->size - (addr - m->base))
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
	memcpy(c, m->data + (addr - m->base), len);
	m->copies[m->ncopies++] = c;
	return c;
}

static void check_result(const struct acpi_madt_info *in)
{
	if (!in->cpu_count || in->cpu_count > ACPI_CPUS_MAX || in->ioapic_count > ACPI_IOAPICS_MAX ||
	    in->override_count > ACPI_OVERRIDES_MAX || !in->lapic_addr || in->lapic_addr % 4096)
		__builtin_trap();
	for (size_t i = 0; i < in->cpu_count; i++)
		for (size_t j = 0; j < i; j++)
			if (in->apic_ids[i] == in->apic_ids[j] || in->apic_ids[i] == 0xFF)
				__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t cfg_read(void *ctx, uint8_t off)
{
	return ((const uint8_t *)ctx)[off];   /* any uint8_t offset lies in the 256 bytes */
}

/* Mode 6: the capability walk and the MSI layout stay within the space. */
static void fuzz_pci_caps(uint8_t id, const uint8_t *rest, size_t n)
{
	uint8_t *space = calloc(1, 256);
	if (!space)
		abort();
	memcpy(space, rest, n < 256 ? n : 256);
	uint8_t at = pci_cap_find(cfg_read, space, id);
	for (unsigned n = 0; at; n++) {   /* every one of that id, in order */
		if (at < 0x40 || at % 4 || space[at] != id || n > 48)
			__builtin_trap();
		at = pci_cap_next(cfg_read, space, id, at);
	}
	struct pci_msi_layout l;
	if (pci_msi_layout(cfg_read, space, &l) == TH_OK &&
	    (l.cap < 0x40 || l.data < l.cap || (l.maskable ? l.mask + 8u : l.data + 2u) > 256u))
		__builtin_trap();
	free(space);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	if (data[0] % 7 == 6) {
		fuzz_pci_caps(data[1], data + 4, size - 4);
		return 0;
	}
	struct fuzz_mem m = { data + 4, size - 4, 0, NULL, 0, 0 };
	static struct acpi_madt_info info;
	struct th_errbuf eb;
	memset(&eb, 0, sizeof eb);
	/* the table itself, as an exact copy: a read past it is an overflow */
	const uint8_t *whole = fuzz_map(0, m.size, &m);
	struct acpi_pm_timer pm = { 0, 0 };
	int err;
	switch (data[0] % 7) {
	case 0:
		err = acpi_madt_parse(whole, m.size, &info, &eb);
		break;
	case 1:
		err = mp_parse_config(whole, m.size, &info, &eb);
		break;
	case 2:
		err = acpi_madt_from_rsdp(whole, m.size, fuzz_map, &m, &info, &eb);
		break;
	case 3:
		m.base = MP_SCAN_BIOS_START;
		err = mp_find_cpus(fuzz_map, &m, &info, &eb);
		break;
	case 4:
		err = acpi_fadt_pm_timer(whole, m.size, &pm, &eb);
		break;
	default:
		err = acpi_pm_timer_from_rsdp(whole, m.size, fuzz_map, &m, &pm, &eb);
		break;
	}
	if (err == TH_OK && data[0] % 7 >= 4) {
		if (!pm.port || pm.port > 0xFFFC || (pm.bits != 24 && pm.bits != 32))
			__builtin_trap();
	} else if (err == TH_OK) {
		check_result(&info);
	}
	if (err != TH_OK && (!eb.msg[0] || !memchr(eb.msg, '\0', sizeof eb.msg)))
		__builtin_trap();
	for (size_t i = 0; i < m.ncopies; i++)
		free(m.copies[i]);
	free(m.copies);
	return 0;
}

/*
 * pci_caps.c - a PCI function's capability list, read through a callback
 * (pci.h): the capabilities with a given id, in list order, and the layout
 * of the MSI capability.  Pure: the kernel reads configuration space through it
 * (pci.c, pci_msi.c), the host unit test (tests/unit/pci_caps_test.c) and
 * the fuzz target feed it made-up spaces.
 *
 * The list is device input: each pointer must lie in the capability area
 * (0x40-0xFF, 4-byte aligned, room for the entry), and a list that comes
 * back to an entry it visited is cut there (so one that loops is walked
 * once, and iterating over its entries of one id ends).
 */
#include "pci.h"

#define CAP_AREA 0x40u         /* capabilities start past the standard header */
#define CAPS_MAX 48            /* (256 - 64) / 4: more entries than fit means a loop */

uint8_t pci_cap_next(pci_cfg_read8_fn rd, void *ctx, uint8_t id, uint8_t after)
{
	if (!rd || !(rd(ctx, 0x06) & 0x10))   /* status: capabilities list */
		return 0;
	bool past = after == 0;
	uint64_t seen = 0;   /* bit (off - 0x40) / 4: a second visit means a loop */
	unsigned off = rd(ctx, 0x34) & 0xFCu;
	for (unsigned n = 0; n < CAPS_MAX && off >= CAP_AREA && off <= 0xFCu; n++) {
		uint64_t bit = 1ull << ((off - CAP_AREA) / 4);
		if (seen & bit)
			break;
		seen |= bit;
		if (past && rd(ctx, (uint8_t)off) == id)
			return (uint8_t)off;
		past = past || off == after;
		off = rd(ctx, (uint8_t)(off + 1)) & 0xFCu;
	}
	return 0;
}

uint8_t pci_cap_find(pci_cfg_read8_fn rd, void *ctx, uint8_t id)
{
	return pci_cap_next(rd, ctx, id, 0);
}

int pci_msi_layout(pci_cfg_read8_fn rd, void *ctx, struct pci_msi_layout *out)
{
	uint8_t cap = pci_cap_find(rd, ctx, PCI_CAP_MSI);
	if (!cap)
		return TH_ENOTSUP;
	uint16_t ctrl = (uint16_t)(rd(ctx, (uint8_t)(cap + 2)) | rd(ctx, (uint8_t)(cap + 3)) << 8);
	bool is_64 = (ctrl >> 7) & 1, maskable = (ctrl >> 8) & 1;
	unsigned data = cap + (is_64 ? 0x0Cu : 0x08u), mask = data + 4;
	/* The capability's last register (pending bits, or the data) must lie
	 * within configuration space. */
	if ((maskable ? mask + 8 : data + 2) > 0x100u)
		return TH_EINVAL;
	*out = (struct pci_msi_layout){ .cap = cap, .data = (uint8_t)data,
					.mask = maskable ? (uint8_t)mask : 0, .is_64 = is_64,
					.maskable = maskable };
	return TH_OK;
}

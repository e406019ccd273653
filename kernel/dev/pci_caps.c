/*
 * pci_caps.c - a PCI function's capability list, read through a callback
 * (pci.h): the capability with a given id, and the layout of the MSI
 * capability.  Pure: the kernel reads configuration space through it
 * (pci.c, pci_msi.c), the host unit test (tests/unit/pci_caps_test.c) and
 * the fuzz target feed it made-up spaces.
 *
 * The list is device input: each pointer must lie in the capability area
 * (0x40-0xFF, 4-byte aligned, room for the entry), and a list that loops or
 * runs on is cut after PCI_CAPS_MAX entries.
 */
#include "pci.h"

#define CAP_AREA 0x40u         /* capabilities start past the standard header */
#define CAPS_MAX 48            /* (256 - 64) / 4: more entries than fit means a loop */

uint8_t pci_cap_find(pci_cfg_read8_fn rd, void *ctx, uint8_t id)
{
	if (!rd || !(rd(ctx, 0x06) & 0x10))   /* status: capabilities list */
		return 0;
	unsigned off = rd(ctx, 0x34) & 0xFCu;
	for (unsigned n = 0; n < CAPS_MAX && off >= CAP_AREA && off <= 0xFCu; n++) {
		if (rd(ctx, (uint8_t)off) == id)
			return (uint8_t)off;
		off = rd(ctx, (uint8_t)(off + 1)) & 0xFCu;
	}
	return 0;
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

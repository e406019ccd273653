/*
 * pci_msi.c - message-signalled interrupts of a PCI function (pci.h): its
 * MSI capability programmed with one message (the address names the local
 * APIC, the data the vector; irq.h's irq_msi_alloc hands both out), and its
 * INTx line disabled meanwhile.  A device interrupting this way needs no
 * line: neither the firmware's routing (an Interrupt Line register of 0xFF,
 * or a line above 15 the I/O APIC would need ACPI's _PRT for) nor a shared
 * line's other devices matter.
 */
#include "pci.h"

#define CTRL_ENABLE 0x0001u
#define CTRL_MME 0x0070u          /* multiple message enable: 0 = one vector */
#define CMD_INTX_DISABLE 0x0400u

static int layout(const struct pci_dev *d, struct pci_msi_layout *l)
{
	return pci_msi_layout(pci_dev_cfg_read8, (void *)(uintptr_t)d, l);
}

bool pci_has_msi(const struct pci_dev *d)
{
	struct pci_msi_layout l;
	return d && layout(d, &l) == TH_OK;
}

int pci_msi_enable(const struct pci_dev *d, uint32_t address, uint16_t data)
{
	struct pci_msi_layout l;
	int err = d ? layout(d, &l) : TH_EINVAL;
	if (err)
		return err;
	uint16_t ctrl = pci_read16(d, (uint8_t)(l.cap + 2));
	/* Off while the message changes; one vector. */
	pci_write16(d, (uint8_t)(l.cap + 2), (uint16_t)(ctrl & ~(CTRL_ENABLE | CTRL_MME)));
	pci_write32(d, (uint8_t)(l.cap + 4), address);
	if (l.is_64)
		pci_write32(d, (uint8_t)(l.cap + 8), 0);
	pci_write16(d, l.data, data);
	if (l.maskable)
		pci_write32(d, l.mask, 0);   /* vector 0 unmasked */
	pci_write16(d, 0x04, (uint16_t)(pci_read16(d, 0x04) | CMD_INTX_DISABLE));
	pci_write16(d, (uint8_t)(l.cap + 2), (uint16_t)((ctrl & ~CTRL_MME) | CTRL_ENABLE));
	return TH_OK;
}

void pci_msi_disable(const struct pci_dev *d)
{
	struct pci_msi_layout l;
	if (!d || layout(d, &l))
		return;
	uint16_t ctrl = pci_read16(d, (uint8_t)(l.cap + 2));
	pci_write16(d, (uint8_t)(l.cap + 2), (uint16_t)(ctrl & ~CTRL_ENABLE));
	pci_write16(d, 0x04, (uint16_t)(pci_read16(d, 0x04) & ~CMD_INTX_DISABLE));
}

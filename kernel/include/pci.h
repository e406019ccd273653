/*
 * pci.h - PCI configuration space (mechanism #1, ports 0xCF8/0xCFC):
 * enumeration at boot, BAR sizing (at once, or when a driver binds a device
 * the firmware configured) and assignment when the firmware left them
 * unassigned (e.g. QEMU's qboot), and lookup for drivers.
 */
#ifndef THESEUS_PCI_H
#define THESEUS_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PCI_MAX_DEVICES 64

struct pci_bar {
	uint64_t addr;  /* physical (memory) or port number (I/O); 0 if none */
	uint64_t size;
	bool is_io;
	bool is_64;
	bool prefetch;
};

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class_code, subclass, prog_if, revision;
	uint16_t subsys_vendor, subsys_id;
	uint8_t irq_line;   /* legacy PIC line, 0xff if none */
	uint8_t irq_pin;
	struct pci_bar bar[6];
	bool bars_sized;    /* false: bar[].size unknown yet (see pci_size_bars) */
};

void pci_init(void);                      /* enumerate bus 0.., assign BARs, log */
size_t pci_count(void);
const struct pci_dev *pci_get(size_t i);  /* NULL past the end */
/* Sizes d's BARs if enumeration left them unsized (a device the firmware
 * configured is sized when a driver binds it: sizing turns its decoding off
 * for a moment, which costs a boot under QEMU 0.5-1.5 ms per device).
 * Call before the device is in use.  Returns d. */
const struct pci_dev *pci_size_bars(const struct pci_dev *d);
/* First device matching vendor and device id (0xffff = any device id), NULL if none. */
const struct pci_dev *pci_find(uint16_t vendor, uint16_t device);

uint32_t pci_read32(const struct pci_dev *d, uint8_t off);
uint16_t pci_read16(const struct pci_dev *d, uint8_t off);
uint8_t pci_read8(const struct pci_dev *d, uint8_t off);
void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v);
void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v);
void pci_write8(const struct pci_dev *d, uint8_t off, uint8_t v);
/* Enable memory/I/O decoding and bus mastering (DMA). */
void pci_enable(const struct pci_dev *d);

#endif

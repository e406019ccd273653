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

/* ---- capabilities (pci_caps.c: pure, host-tested) ---- */
#define PCI_CAP_MSI 0x05
#define PCI_CAP_MSIX 0x11
/* Reads one byte of a function's configuration space. */
typedef uint8_t (*pci_cfg_read8_fn)(void *ctx, uint8_t off);
/* The kernel's pci_cfg_read8_fn: ctx is a const struct pci_dev * (pci.c). */
uint8_t pci_dev_cfg_read8(void *dev, uint8_t off);
/* Offset of the first capability with this id, 0 if none (or no list; a
 * pointer outside 0x40-0xFC ends the walk, a loop is cut). */
uint8_t pci_cap_find(pci_cfg_read8_fn rd, void *ctx, uint8_t id);
/* The next one with this id after the capability at `after` (0: the
 * first), in list order; 0 if none (virtio devices list several). */
uint8_t pci_cap_next(pci_cfg_read8_fn rd, void *ctx, uint8_t id, uint8_t after);
/* Where the MSI capability's registers are. */
struct pci_msi_layout {
	uint8_t cap;        /* the capability (control at +2, address at +4) */
	uint8_t data;       /* message data (16 bits) */
	uint8_t mask;       /* mask bits (32 bits), 0 if not maskable */
	bool is_64;         /* 64-bit address (the upper half at +8) */
	bool maskable;
};
/* TH_ENOTSUP: no MSI capability; TH_EINVAL: one running past the space. */
int pci_msi_layout(pci_cfg_read8_fn rd, void *ctx, struct pci_msi_layout *out) TH_MUST_CHECK;

/* ---- message-signalled interrupts (pci_msi.c, kernel) ---- */
/* Program d's MSI capability to send `data` to `address` (one vector),
 * enable it and disable its INTx line.  TH_ENOTSUP if d has no MSI. */
int pci_msi_enable(const struct pci_dev *d, uint32_t address, uint16_t data) TH_MUST_CHECK;
/* Back to INTx (MSI off, INTx on). */
void pci_msi_disable(const struct pci_dev *d);
/* True if d has an MSI capability. */
bool pci_has_msi(const struct pci_dev *d);

#endif

/*
 * nic_driver.h - the interface between the NIC core (net/nic_core.c and
 * friends) and a NIC driver module (modules/e1000/, modules/virtio_net/,
 * modules/rtl8139/).  Modules get it through theseus.h.
 *
 * The driver keeps NO state of its own.  Everything that must outlive a
 * driver version belongs to the core and is passed in on every call as a
 * struct th_nic: the PCI identity, the mapped registers, the DMA memory
 * (rings and buffers, allocated through the core with th_nic_dma()), the
 * driver's device state words (ring indices, DMA addresses: nic->state),
 * the MAC address, and the counters.  The core also owns the binding to
 * lwIP, the link state it reports, and the interrupt (line or MSI).  So a new driver
 * version takes over the running device without a reset: its ops simply
 * start being called on the same struct th_nic.
 *
 * A driver module registers one constant table from its init hook and takes
 * it back in its fini hook:
 *
 *     static int e1k_init(void) { return th_nic_driver_register(&e1000_driver); }
 *     static void e1k_fini(void) { th_nic_driver_unregister(&e1000_driver); }
 *     TH_MODULE("e1000", "1.0", "Intel e1000 NIC driver", .init = e1k_init, .fini = e1k_fini);
 *
 * table.name must be the module's name, and the table and its ops the
 * module's own (else TH_EINVAL); one table per module (else TH_EEXIST).  A
 * table is used only while the module running under its name holds it:
 * one left behind by a version that no longer runs is dropped.  At boot the core binds, for the
 * NIC it uses, the registered driver whose id table lists the device and
 * calls attach(); other driver modules stay loaded and idle.  A live swap
 * of the module runs the new version's init (which registers the new table:
 * once the swap commits every call goes to the new code), then resume() once on the
 * running device; if the new table's state_layout differs from the one the
 * device's state was written with, the core calls attach() instead (a reset
 * that loses the frames in flight).  When the bound driver's module is
 * unloaded, another loaded driver module that lists the device takes it
 * over with attach() (its th_nic_dma regions then start zeroed).
 *
 * Every call from the core into a driver is a guarded call (guard.h): a
 * fault is contained, reported naming the driver, and the module recovered
 * by the fault machinery (restart, then rollback).  Calls come from the main
 * loop (attach, resume, tx, poll, link_up) with interrupts on, and irq()
 * from the interrupt handler with interrupts off.  Ops must not block for
 * long; they never call back into lwIP.  The core serialises them.
 */
#ifndef THESEUS_NIC_DRIVER_H
#define THESEUS_NIC_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TH_NIC_ABI 1
#define TH_NIC_FRAME_MAX 1518     /* Ethernet frame without FCS, VLAN slack */
#define TH_NIC_BUF_SIZE 2048      /* one DMA buffer per descriptor (convention) */
#define TH_NIC_STATE_WORDS 32     /* the driver's device state, kept by the core */
#define TH_NIC_DMA_REGIONS 8      /* DMA regions per device */
#define TH_NIC_DMA_MAX (16u << 20) /* DMA bytes per device, all regions together */

/* One supported device: PCI vendor and device id and a model name. */
struct th_nic_id {
	uint16_t vendor, device;
	const char *model;        /* "82540EM" */
	uint32_t data;            /* driver-defined (e.g. register layout variant) */
};

struct th_nic_bar {
	uint64_t addr;            /* physical (memory) or port number (I/O); 0 if none */
	uint64_t size;
	bool is_io;
};

/* Counters kept by the core: the core counts frames handed over (rx_* in
 * th_nic_rx, tx_* after a successful tx); drivers add their errors/drops. */
struct th_nic_counters {
	uint64_t rx_packets, rx_bytes, rx_drops, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_drops, tx_errors;
	uint64_t irqs;
};

/* One NIC as the core keeps it (the driver reads it and writes mac, model,
 * state and counters; everything else is the core's). */
struct th_nic {
	uint16_t vendor, device;
	uint8_t bus, dev, fn;
	uint8_t irq_line;         /* 0xff: none (the core polls); else the device
				   * may interrupt: its legacy line, or with MSI
				   * the vector the core gave it (nicirq=) */
	struct th_nic_bar bar[6];
	const struct th_nic_id *id;  /* the id table entry it was bound by */
	uint8_t mac[6];           /* filled by attach */
	uint32_t state_layout;    /* the layout nic->state was written with */
	uint64_t state[TH_NIC_STATE_WORDS]; /* the driver's device state (zero at attach) */
	struct th_nic_counters ctr;
};

/* What irq() found (bits). */
#define TH_NIC_IRQ_WORK 1u        /* frames or completions to poll */
#define TH_NIC_IRQ_LINK 2u        /* the link state may have changed */

struct th_nic_driver {
	uint32_t abi;             /* TH_NIC_ABI */
	const char *name;         /* the module's name: "e1000" */
	const struct th_nic_id *ids;  /* terminated by an entry with vendor 0 */
	uint32_t state_layout;    /* version of this driver's use of nic->state */
	/* Reset and set up the device: rings (th_nic_dma), MAC, interrupts on
	 * the device side.  TH_ENODEV/TH_EIO etc. leave the NIC unused.
	 * attach, resume and tx return TH_OK or a negative TH_E* code; the
	 * core names any other value (once) and takes it as TH_EIO. */
	int (*attach)(struct th_nic *nic);
	/* Optional: take over a device a previous version (same state_layout)
	 * set up, without a reset (check registers, log, adjust). */
	int (*resume)(struct th_nic *nic);
	/* Optional: acknowledge the device's interrupt; TH_NIC_IRQ_* bits, 0 if
	 * it was not this device.  Interrupts are off; touch registers only.
	 * Without it the NIC is polled: attach sees irq_line 0xff, and a
	 * version without it that takes over an interrupting NIC has the
	 * core turn the NIC's interrupts off. */
	unsigned (*irq)(struct th_nic *nic);
	/* Queue one frame (len <= TH_NIC_FRAME_MAX) for transmission: TH_OK, or
	 * TH_EFULL when the ring is full (the core drops and counts it). */
	int (*tx)(struct th_nic *nic, const void *frame, size_t len);
	/* Reclaim sent descriptors and hand up to budget received frames to
	 * th_nic_rx(); returns how many descriptors it consumed (0 = idle). */
	int (*poll)(struct th_nic *nic, int budget);
	/* Current link state from the device. */
	bool (*link_up)(struct th_nic *nic);
};

/* ---- the core's services for drivers (exported to modules) ---- */

/* Register / take back a driver table (from init / fini).  TH_EINVAL for a
 * malformed table (abi, name, ids, attach/tx/poll/link_up missing) or one
 * that is not the registering module's own; TH_EEXIST for a second table of
 * one module; TH_EFULL when 8 tables are registered. */
int th_nic_driver_register(const struct th_nic_driver *drv) TH_MUST_CHECK;
void th_nic_driver_unregister(const struct th_nic_driver *drv);

/* DMA memory region `index` (0..TH_NIC_DMA_REGIONS-1) of the NIC, at least
 * bytes long, physically contiguous, physical == virtual, owned by the core
 * (it survives driver versions).  The first call allocates and zeroes it;
 * later calls (another driver version, a re-attach) return the same region
 * without clearing it (after a move to another driver module: zeroed, and
 * allocated anew if too small).  A device's regions together, the ones kept
 * after a move to another driver module too, hold at most TH_NIC_DMA_MAX
 * bytes (rounded up to pages): one more is refused with TH_EFULL, named in the
 * log once per driver version, so a driver cannot take the machine's memory.
 * TH_ENOMEM, TH_EFULL, TH_ERANGE (bad index, bytes 0 or above TH_NIC_DMA_MAX,
 * or an existing region smaller than bytes). */
int th_nic_dma(struct th_nic *nic, unsigned index, size_t bytes, void **out) TH_MUST_CHECK;

/* Map memory BAR i (uncached); the same address for every caller. */
int th_nic_map_bar(struct th_nic *nic, unsigned i, volatile void **out) TH_MUST_CHECK;

/* Enable decoding and bus mastering of the device (the core does it before
 * attach; calling it again is harmless). */
void th_nic_pci_enable(struct th_nic *nic);

/* The device's PCI configuration space, read only: the offset of its next
 * capability with id `id` after the one at `after` (0: the first), 0 if
 * none (the list is walked with every pointer checked); and a 32-bit read
 * at a 4-byte aligned offset (0xffffffff for any other). */
uint8_t th_nic_pci_cap(struct th_nic *nic, uint8_t id, uint8_t after);
uint32_t th_nic_pci_read32(struct th_nic *nic, uint8_t off);

/* Hand one received frame (copied now) to the core, which delivers it to
 * lwIP after the driver call returns.  From poll only: from any other op
 * TH_EINVAL (counted in rx_errors, named in the log once).  TH_EINVAL (counted in rx_errors) for
 * an impossible length, TH_ENOMEM / TH_EFULL (more than the poll's budget;
 * counted in rx_drops).  The core counts every outcome, so a driver may
 * ignore the result (not TH_MUST_CHECK). */
int th_nic_rx(struct th_nic *nic, const void *frame, size_t len);

/* Busy-wait (a device reset); exported from the kernel's clock. */
void time_delay_us(uint64_t us);

/* ---- register access (inline: nothing to link) ---- */
static inline uint8_t th_inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint16_t th_inw(uint16_t p) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t th_inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline void th_outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(p)); }
static inline void th_outw(uint16_t p, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(p)); }
static inline void th_outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(p)); }
static inline uint32_t th_mmio_rd32(volatile void *base, uint32_t off)
{
	return *(volatile uint32_t *)((volatile uint8_t *)base + off);
}
static inline void th_mmio_wr32(volatile void *base, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)((volatile uint8_t *)base + off) = v;
}
static inline uint16_t th_mmio_rd16(volatile void *base, uint32_t off)
{
	return *(volatile uint16_t *)((volatile uint8_t *)base + off);
}
static inline void th_mmio_wr16(volatile void *base, uint32_t off, uint16_t v)
{
	*(volatile uint16_t *)((volatile uint8_t *)base + off) = v;
}
static inline uint8_t th_mmio_rd8(volatile void *base, uint32_t off)
{
	return *((volatile uint8_t *)base + off);
}
static inline void th_mmio_wr8(volatile void *base, uint32_t off, uint8_t v)
{
	*((volatile uint8_t *)base + off) = v;
}
/* Full barrier for descriptors shared with the device. */
static inline void th_mb(void) { __asm__ volatile("mfence" ::: "memory"); }
static inline void th_cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

#endif

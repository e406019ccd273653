/*
 * irq.h - hardware interrupt lines (legacy lines 0-15: the 8259 PIC's, or
 * the same lines through the I/O APIC, ioapic.h).
 *
 * A driver registers a handler for its PCI interrupt line; handlers run with
 * interrupts disabled and must only acknowledge the device and queue work
 * (never call lwIP or sleep).  The end-of-interrupt is sent by the core
 * after the handlers: a level-triggered line (PCI through the I/O APIC)
 * fires again at once if no handler quieted its device.
 */
#ifndef THESEUS_IRQ_H
#define THESEUS_IRQ_H

#include <stdint.h>

#include "err.h"

#define IRQ_LINES 16
typedef void (*irq_handler_fn)(void *ctx);

/* Several handlers may share a line (PCI INTx); each is called in turn. */
int irq_register(unsigned line, irq_handler_fn fn, void *ctx) TH_MUST_CHECK;
void irq_unregister(unsigned line, irq_handler_fn fn, void *ctx);

/* Counters of delivered interrupts per line (observability). */
unsigned long irq_count(unsigned line);

/* Message-signalled interrupts (irq_msi.c; PCI MSI: pci.h).  A vector of
 * its own (VEC_MSI_BASE.., trap.h) for one device's handler, on the boot
 * CPU: *address and *data are the message the device must send
 * (pci_msi_enable).  The handler runs as a line's does (interrupts off,
 * acknowledge the device), then the local APIC's end-of-interrupt.
 * TH_ENODEV: no local APIC to deliver to; TH_EFULL: every vector taken. */
#define IRQ_MSI_VECTORS 8
int irq_msi_alloc(irq_handler_fn fn, void *ctx, unsigned *vector, uint32_t *address,
		  uint16_t *data) TH_MUST_CHECK;
void irq_msi_free(unsigned vector);
unsigned long irq_msi_count(unsigned vector);
/* trap_dispatch's entry for the MSI vectors. */
void irq_msi_dispatch(unsigned vector);

#endif

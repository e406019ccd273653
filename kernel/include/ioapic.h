/*
 * ioapic.h - device interrupts through the I/O APIC (kernel/smp/ioapic.c).
 *
 * When the ACPI MADT describes an I/O APIC and `noapic` is not on the
 * command line, ioapic_init() routes the legacy lines 1-15 (ISA devices and
 * the PCI INTx lines the firmware wrote into config space) to the boot CPU's
 * local APIC on the same vectors the 8259 used (IRQ_BASE + line), and the
 * 8259 keeps only line 0, the PIT tick (the PIT's I/O APIC pin carries the
 * NMI watchdog, nmi_watchdog.c).  irq.h's interface does not change: pic.c
 * asks ioapic_owns() per line and masks, unmasks and acknowledges there.
 *
 * The routing of one line (ioapic_route.c) is pure and host-tested
 * (tests/unit/ioapic_test.c): the MADT's interrupt source override for the
 * line, if any, gives its GSI, polarity and trigger mode; without one, or
 * where the override's flags say "conforms to the bus", an ISA line is
 * edge-triggered and active-high and a PCI line level-triggered and
 * active-low.  The GSI picks the I/O APIC (the one with the greatest base
 * not above it) and its pin.
 */
#ifndef THESEUS_IOAPIC_H
#define THESEUS_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "acpi.h"
#include "err.h"

/* MPS INTI flags of a MADT interrupt source override. */
#define INTI_POLARITY_MASK 0x3u
#define INTI_POLARITY_HIGH 0x1u
#define INTI_POLARITY_LOW 0x3u
#define INTI_TRIGGER_MASK 0xCu
#define INTI_TRIGGER_EDGE 0x4u
#define INTI_TRIGGER_LEVEL 0xCu

/* Redirection entry bits (the low word; the destination is bits 56-63). */
#define IOAPIC_RTE_ACTIVE_LOW (1u << 13)
#define IOAPIC_RTE_LEVEL (1u << 15)
#define IOAPIC_RTE_MASKED (1u << 16)
#define IOAPIC_RTE_DELIVERY_MASK (7u << 8)
#define IOAPIC_RTE_DELIVERY_NMI (4u << 8)

/* A level-triggered line delivered faster than this (counted between two
 * PIT ticks: this / hz per tick) is a storm (its handler does not quiet the
 * device): the line is masked, with a warning, and its device is served by
 * polling.  A storm under TCG runs at some 500000 per second. */
#define IOAPIC_STORM_PER_SEC 100000u

struct ioapic_route {
	unsigned apic;      /* index into acpi_madt_info.ioapics */
	unsigned pin;       /* GSI - that I/O APIC's GSI base */
	uint32_t gsi;
	bool level;         /* level-triggered (else edge) */
	bool active_low;    /* (else active-high) */
	bool overridden;    /* an interrupt source override named the line */
};

/* Where legacy line `line` (0-15) arrives; pci: a PCI device uses it.
 * TH_EINVAL for a line past 15 or a reserved polarity/trigger value in the
 * override, TH_ENOENT if no I/O APIC serves its GSI. */
int ioapic_route_line(const struct acpi_madt_info *info, unsigned line, bool pci,
		      struct ioapic_route *out) TH_MUST_CHECK;

/* The 64-bit redirection entry: fixed delivery of `vector` to the local
 * APIC with id `dest` (physical destination mode). */
uint64_t ioapic_entry(uint8_t vector, const struct ioapic_route *r, bool masked, uint8_t dest);

/* Kernel only (ioapic.c). */
/* After pci_init(): take lines 1-15 from the 8259 if the firmware (ACPI
 * MADT) describes an I/O APIC and `noapic` is not on the command line; logs
 * which controller serves device interrupts.  Nothing changes otherwise. */
void ioapic_init(const struct acpi_madt_info *info, const char *cmdline);
/* true if `line` arrives through the I/O APIC. */
bool ioapic_owns(unsigned line);
bool ioapic_line_level(unsigned line);
void ioapic_set_masked(unsigned line, bool masked);
/* End of interrupt for a line the I/O APIC delivered (the local APIC's EOI;
 * for a level line, after its handlers quieted the device). */
void ioapic_eoi(void);

#endif

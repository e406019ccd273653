/*
 * ioapic.c - device interrupts through the I/O APIC (see ioapic.h): maps
 * each I/O APIC the MADT lists, reads its pin count, masks its pins (but
 * the NMI watchdog's), programs a redirection entry per legacy line 1-15
 * (routing from ioapic_route.c) to the boot CPU's local APIC, and hands the
 * lines over from the 8259 (pic.c).  pic.c then masks, unmasks and
 * acknowledges those lines here.
 */
#include "cmdline.h"
#include "cpu.h"
#include "ioapic.h"
#include "irq.h"
#include "klibc.h"
#include "lock.h"
#include "log.h"
#include "pci.h"
#include "pic.h"
#include "smp_impl.h"
#include "trap.h"
#include "vmm.h"

#define REG_SELECT 0       /* index into the 32-bit window: IOREGSEL */
#define REG_WINDOW 4       /* IOWIN */
#define IOAPIC_VER 1
#define IOREDTBL(pin) (0x10u + 2u * (pin))
#define PINS_MAX 240u

struct line_route {
	volatile uint32_t *mmio;
	unsigned pin;
	uint32_t lo;       /* the entry's low word, masked bit clear */
	bool level;
};

static struct line_route routes[IRQ_LINES];
static volatile uint16_t owned;
static struct spinlock ioapic_lock = SPINLOCK_INIT;

static uint32_t rd(volatile uint32_t *m, uint32_t reg)
{
	m[REG_SELECT] = reg;
	return m[REG_WINDOW];
}

static void wr(volatile uint32_t *m, uint32_t reg, uint32_t v)
{
	m[REG_SELECT] = reg;
	m[REG_WINDOW] = v;
}

bool ioapic_owns(unsigned line) { return line < IRQ_LINES && (owned & (1u << line)); }
bool ioapic_line_level(unsigned line) { return ioapic_owns(line) && routes[line].level; }
void ioapic_eoi(void) { lapic_eoi(); }

void ioapic_set_masked(unsigned line, bool masked)
{
	if (!ioapic_owns(line))
		return;
	const struct line_route *r = &routes[line];
	uint64_t flags = spin_lock_irqsave(&ioapic_lock);
	wr(r->mmio, IOREDTBL(r->pin), r->lo | (masked ? IOAPIC_RTE_MASKED : 0));
	spin_unlock_irqrestore(&ioapic_lock, flags);
}

/* Lines a PCI function's interrupt pin is routed to (config space). */
static uint16_t pci_lines(void)
{
	uint16_t m = 0;
	for (size_t i = 0; i < pci_count(); i++) {
		const struct pci_dev *d = pci_get(i);
		if (d && d->irq_pin && d->irq_line < IRQ_LINES)
			m |= (uint16_t)(1u << d->irq_line);
	}
	return m;
}

/* Map I/O APIC i and mask its pins but NMI ones; its pin count, 0 if none. */
static unsigned setup_apic(const struct acpi_ioapic *a, volatile uint32_t **out)
{
	volatile void *p;
	if (vmm_map_mmio(a->addr, 4096, &p)) {
		log_warn("irq", "I/O APIC %u at %#x cannot be mapped", a->id, a->addr);
		return 0;
	}
	volatile uint32_t *m = p;
	uint32_t ver = rd(m, IOAPIC_VER);
	if (ver == 0xffffffffu) {
		log_warn("irq", "I/O APIC %u at %#x does not answer", a->id, a->addr);
		return 0;
	}
	unsigned pins = ((ver >> 16) & 0xffu) + 1;
	if (pins > PINS_MAX)
		pins = PINS_MAX;
	for (unsigned pin = 0; pin < pins; pin++) {
		uint32_t lo = rd(m, IOREDTBL(pin));
		if ((lo & IOAPIC_RTE_DELIVERY_MASK) != IOAPIC_RTE_DELIVERY_NMI)
			wr(m, IOREDTBL(pin), lo | IOAPIC_RTE_MASKED);
	}
	*out = m;
	return pins;
}

/* Program line's entry (masked); false if it must stay on the 8259. */
static bool route_line(const struct acpi_madt_info *info, unsigned line, bool pci,
		       volatile uint32_t *const mmio[], const unsigned pins[],
		       uint64_t used[][PINS_MAX / 64 + 1], uint8_t dest)
{
	struct ioapic_route r;
	int err = ioapic_route_line(info, line, pci, &r);
	if (err) {
		log_warn("irq", "line %u stays on the 8259 PIC: %s", line,
			 err == TH_ENOENT ? "no I/O APIC serves its GSI" : "reserved override flags");
		return false;
	}
	if (r.pin >= pins[r.apic]) {
		log_warn("irq", "line %u stays on the 8259 PIC: GSI %u is past I/O APIC %u's %u pins",
			 line, r.gsi, info->ioapics[r.apic].id, pins[r.apic]);
		return false;
	}
	volatile uint32_t *m = mmio[r.apic];
	uint64_t bit = 1ull << (r.pin % 64);
	uint32_t cur = rd(m, IOREDTBL(r.pin));
	if ((used[r.apic][r.pin / 64] & bit) ||
	    (cur & IOAPIC_RTE_DELIVERY_MASK) == IOAPIC_RTE_DELIVERY_NMI) {
		log_warn("irq", "line %u stays on the 8259 PIC: pin %u is taken", line, r.pin);
		return false;
	}
	used[r.apic][r.pin / 64] |= bit;
	uint64_t e = ioapic_entry((uint8_t)(IRQ_BASE + line), &r, true, dest);
	wr(m, IOREDTBL(r.pin), (uint32_t)e); /* masked first */
	wr(m, IOREDTBL(r.pin) + 1, (uint32_t)(e >> 32));
	routes[line] = (struct line_route){ m, r.pin, (uint32_t)e & ~IOAPIC_RTE_MASKED, r.level };
	if (pci || r.overridden)
		log_info("irq", "line %u%s -> I/O APIC %u pin %u, %s-triggered, active-%s%s", line,
			 pci ? " (PCI)" : "", info->ioapics[r.apic].id, r.pin, r.level ? "level" : "edge",
			 r.active_low ? "low" : "high", r.overridden ? " (MADT override)" : "");
	return true;
}

void ioapic_init(const struct acpi_madt_info *info, const char *cmdline)
{
	const char *why = NULL;
	if (cmdline_has(cmdline, "noapic"))
		why = "noapic";
	else if (!info || !info->ioapic_count)
		why = "the firmware describes no I/O APIC";
	else if (info->from_mp)
		why = "MP tables only: their interrupt entries are not read";
	else if (lapic_map(info->lapic_addr))
		why = "the local APIC cannot be mapped";
	if (why) {
		log_info("irq", "device interrupts: 8259 PIC (%s)", why);
		return;
	}
	volatile uint32_t *mmio[ACPI_IOAPICS_MAX] = { 0 };
	unsigned pins[ACPI_IOAPICS_MAX] = { 0 }, total = 0;
	uint64_t used[ACPI_IOAPICS_MAX][PINS_MAX / 64 + 1];
	memset(used, 0, sizeof used);
	size_t n = info->ioapic_count < ACPI_IOAPICS_MAX ? info->ioapic_count : ACPI_IOAPICS_MAX;
	for (size_t i = 0; i < n; i++)
		total += pins[i] = setup_apic(&info->ioapics[i], &mmio[i]);
	if (!total) {
		log_info("irq", "device interrupts: 8259 PIC (no usable I/O APIC)");
		return;
	}
	lapic_enable_boot_cpu(); /* fixed interrupts need it enabled; LINT0 keeps the PIT tick */
	uint8_t dest = lapic_id();
	uint16_t pci = pci_lines(), lines = 0;
	for (unsigned line = 1; line < IRQ_LINES; line++) {
		if (line == 2) /* the cascade; ISA IRQ 0's GSI on PC machines */
			continue;
		if (route_line(info, line, (pci >> line) & 1, mmio, pins, used, dest))
			lines |= (uint16_t)(1u << line);
	}
	if (!lines) {
		log_info("irq", "device interrupts: 8259 PIC (no line could be routed)");
		return;
	}
	uint64_t f = irq_save(); /* no PIC interrupt sees the line half handed over */
	owned = lines;
	pic_hand_over(lines);
	irq_restore(f);
	log_info("irq", "device interrupts: I/O APIC (%zu, %u pins; lines %#x) to the boot CPU's "
		 "local APIC (id %u); the 8259 PIC keeps line 0, the PIT tick", n, total,
		 (unsigned)lines, dest);
}

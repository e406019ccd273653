/*
 * irq_selftest.c - selftest=irqstorm (boot with an e1000 and no driver
 * module): a level-triggered PCI line whose handler never quiets its device.
 * The test asks the unbound e1000 for an interrupt (its Interrupt Cause Set
 * register) and registers a handler that does not read the cause, so the
 * line stays asserted: the I/O APIC path must mask it as a storm (pic.c)
 * and the kernel must go on (the PIT tick keeps counting).  Then it quiets
 * the device and unregisters.
 */
#include "cpu.h"
#include "ioapic.h"
#include "irq.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "pci.h"
#include "selftest.h"
#include "shutdown.h"
#include "vmm.h"

#define E1000_ICR 0x00C0u   /* read: the causes, cleared by the read */
#define E1000_ICS 0x00C8u   /* write: set causes */
#define E1000_IMS 0x00D0u   /* write: enable causes */
#define E1000_IMC 0x00D8u   /* write: disable causes */
#define E1000_LSC 0x4u      /* link status change */
#define WAIT_TICKS 50

static volatile unsigned long deliveries;

static void deaf_handler(void *ctx)
{
	(void)ctx;
	deliveries++;
}

static void wait_ticks(uint64_t n)
{
	uint64_t until = time_ticks() + n;
	while (time_ticks() < until)
		__asm__ volatile("sti; hlt" ::: "memory");
}

__attribute__((noreturn)) static void finish(bool ok, const char *why)
{
	kprintf("selftest irqstorm: %s (%s)\n", ok ? "PASS" : "FAIL", why);
	shutdown(ok ? SHUTDOWN_SUCCESS : SHUTDOWN_FAILURE);
}

void irq_selftest_storm(void)
{
	const struct pci_dev *d = pci_find(0x8086, 0x100e);
	if (!d || d->bar[0].is_io || !d->bar[0].addr || d->irq_line >= IRQ_LINES)
		finish(false, "no e1000 with a memory BAR and an interrupt line");
	unsigned line = d->irq_line;
	if (!ioapic_line_level(line))
		finish(false, "the e1000's line is not level-triggered through the I/O APIC");
	volatile void *p;
	if (vmm_map_mmio(d->bar[0].addr, 0x20000, &p))
		finish(false, "cannot map the e1000's registers");
	volatile uint32_t *regs = p;
	pci_enable(d);
	if (irq_register(line, deaf_handler, NULL))
		finish(false, "cannot register a handler");
	uint64_t t0 = time_ticks();
	regs[E1000_IMS / 4] = E1000_LSC;
	regs[E1000_ICS / 4] = E1000_LSC; /* asserted until ICR is read: never, by the handler */
	wait_ticks(WAIT_TICKS);
	unsigned long stormed = deliveries;
	wait_ticks(WAIT_TICKS);
	unsigned long later = deliveries;
	uint64_t ticks = time_ticks() - t0;
	regs[E1000_IMC / 4] = 0xFFFFFFFFu;
	(void)regs[E1000_ICR / 4];
	irq_unregister(line, deaf_handler, NULL);
	log_info("selftest", "irqstorm: line %u: %lu deliveries, %lu after the first %d ticks, %llu ticks",
		 line, stormed, later - stormed, WAIT_TICKS, (unsigned long long)ticks);
	if (stormed <= IOAPIC_STORM_PER_SEC / time_tick_hz())
		finish(false, "the line did not storm");
	if (later != stormed)
		finish(false, "the line was not masked");
	finish(true, "masked, the kernel went on");
}

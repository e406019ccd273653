/*
 * nmi_watchdog.c - an NMI on every PIT tick, so that the guarded-call
 * watchdog (guard.h) can cut module code that hangs with interrupts off.
 * The PIT's line reaches the I/O APIC too (ISA IRQ 0 on pin 2 in PC
 * machines); its redirection entry is set to deliver an NMI to the boot CPU
 * while the 8259 PIC keeps delivering the ordinary tick.  The local APIC
 * accepts NMIs even when software-disabled, so nothing else is set up.
 * nmiwatchdog=off on the command line leaves the I/O APIC alone.  A
 * machine without a PIT has no such tick: with several CPUs each CPU's
 * local APIC tick sends the next CPU an NMI instead (smp_nmi_ring_start,
 * nmi_watchdog_without_pit); with one there is no NMI watchdog.
 */
#include "cmdline.h"
#include "guard.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "smp.h"
#include "vmm.h"

#define IOAPIC_PHYS 0xFEC00000ull
#define IOAPIC_PIT_PIN 2
#define IOREDTBL(pin) (0x10u + 2u * (pin))
#define DELIVERY_NMI (4u << 8)

static volatile uint32_t *ioapic;
static bool off;   /* nmiwatchdog=off, read once by nmi_watchdog_init */

static uint32_t ioapic_read(uint32_t reg)
{
	ioapic[0] = reg;
	return ioapic[4];
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	ioapic[0] = reg;
	ioapic[4] = v;
}

void nmi_watchdog_init(const char *cmdline)
{
	char v[8];
	if (!cmdline_get(cmdline, "nmiwatchdog", v, sizeof v) && !strcmp(v, "off")) {
		off = true;
		log_info("guard", "NMI watchdog off (nmiwatchdog=off): interrupts-off hangs are not cut");
		return;
	}
	if (!time_pit_ok())
		return;   /* nmi_watchdog_without_pit, once the other CPUs run */
	volatile void *p;
	if (vmm_map_mmio(IOAPIC_PHYS, 4096, &p)) {
		log_warn("guard", "no NMI watchdog: cannot map the I/O APIC");
		return;
	}
	ioapic = p;
	uint32_t ver = ioapic_read(1);
	if (ver == 0xffffffffu || ((ver >> 16) & 0xff) < IOAPIC_PIT_PIN) {
		log_warn("guard", "no NMI watchdog: no I/O APIC (version %#x)", ver);
		return;
	}
	ioapic_write(IOREDTBL(IOAPIC_PIT_PIN) + 1, 0);          /* destination: APIC 0 */
	ioapic_write(IOREDTBL(IOAPIC_PIT_PIN), DELIVERY_NMI);    /* edge, high, unmasked */
	guard_enable_nmi();
	log_info("guard", "NMI watchdog: PIT tick as NMI through the I/O APIC (pin %d)",
		 IOAPIC_PIT_PIN);
}

void nmi_watchdog_without_pit(void)
{
	if (time_pit_ok() || off)
		return;
	if (smp_nmi_ring_start()) {
		log_warn("guard", "no NMI watchdog: no PIT (its tick is the NMI) and one CPU; "
			 "interrupts-off hangs are not cut");
		return;
	}
	guard_enable_nmi();
	log_info("guard", "NMI watchdog: no PIT; each CPU's local APIC tick sends the next CPU an "
		 "NMI (%u CPUs)", smp_cpu_count());
}

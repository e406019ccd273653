/*
 * lapic.c - the local APIC (xAPIC, memory-mapped; see smp_impl.h): ids,
 * software enable, end-of-interrupt, inter-processor interrupts and the
 * periodic timer of the CPUs other than the boot CPU.  The boot CPU's local
 * APIC sends and takes IPIs and the I/O APIC's device interrupts (ioapic.c):
 * in virtual-wire mode its 8259 PIC interrupts and PIT tick arrive as before.
 */
#include "cpu.h"
#include "klibc.h"
#include "ktime.h"
#include "smp_impl.h"
#include "vmm.h"

#define REG_ID 0x20
#define REG_TPR 0x80
#define REG_EOI 0xB0
#define REG_SVR 0xF0
#define REG_LINT0 0x350
#define REG_LINT1 0x360
#define DM_EXTINT (7u << 8)
#define DM_NMI (4u << 8)
#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310
#define REG_LVT_TIMER 0x320
#define REG_TIMER_INIT 0x380
#define REG_TIMER_CUR 0x390
#define REG_TIMER_DIV 0x3E0
#define ICR_PENDING (1u << 12)
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define DIV_16 0x3u
#define CALIBRATE_US 1000u  /* the boot CPU waits for it (was 10 ms) */

static volatile uint32_t *lapic;
static uint64_t timer_hz; /* timer counts per second at divide-by-16 */

static uint32_t rd(unsigned reg) { return lapic[reg / 4]; }
static void wr(unsigned reg, uint32_t v) { lapic[reg / 4] = v; }

int lapic_map(uint64_t phys)
{
	if (lapic)
		return TH_OK; /* smp.c and ioapic.c both ask */
	volatile void *p;
	int err = vmm_map_mmio(phys, 4096, &p);
	if (!err)
		lapic = p;
	return err;
}

uint8_t lapic_id(void) { return (uint8_t)(rd(REG_ID) >> 24); }
void lapic_eoi(void) { wr(REG_EOI, 0); }

void lapic_enable(void)
{
	wr(REG_TPR, 0);
	wr(REG_SVR, 0x100u | VEC_SPURIOUS);
}

void lapic_enable_boot_cpu(void)
{
	wr(REG_LINT0, DM_EXTINT);
	wr(REG_LINT1, DM_NMI);
	lapic_enable();
}

int lapic_ipi(uint8_t dest, uint32_t icr)
{
	for (uint64_t spin = 0; rd(REG_ICR_LO) & ICR_PENDING; spin++) {
		if (spin > 10000000)
			return TH_ETIMEDOUT;
		cpu_relax();
	}
	mb(); /* what the target will read is written before it is woken */
	wr(REG_ICR_HI, (uint32_t)dest << 24);
	wr(REG_ICR_LO, icr);
	return TH_OK;
}

static bool idle_icr(void)
{
	for (uint64_t spin = 0; rd(REG_ICR_LO) & ICR_PENDING; spin++) {
		if (spin > 10000000)
			return false;
		cpu_relax();
	}
	return true;
}

int lapic_ipi_from_nmi(uint8_t dest, uint32_t icr)
{
	uint32_t hi = rd(REG_ICR_HI); /* an interrupted lapic_ipi() may have set it */
	int err = TH_ETIMEDOUT;
	if (idle_icr()) {
		wr(REG_ICR_HI, (uint32_t)dest << 24);
		wr(REG_ICR_LO, icr);
		if (idle_icr())
			err = TH_OK;
	}
	wr(REG_ICR_HI, hi);
	return err;
}

void lapic_timer_start(unsigned hz)
{
	wr(REG_TIMER_DIV, DIV_16);
	if (!timer_hz) { /* the first CPU measures it for all: one starts at a time */
		/* Counts against TSC cycles read right beside the start and the
		 * end, so a delay after the wait (an interrupt, the emulator)
		 * does not count: 1 ms gives ~6000 counts on hardware (a 100
		 * MHz bus), 62500 under QEMU, and the TSC is calibrated. */
		wr(REG_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
		uint64_t t0 = rdtsc();
		wr(REG_TIMER_INIT, 0xFFFFFFFFu);
		time_delay_us(CALIBRATE_US);
		uint64_t used = 0xFFFFFFFFu - rd(REG_TIMER_CUR);
		uint64_t cycles = rdtsc() - t0, tsc_hz = time_tsc_hz();
		if (cycles && tsc_hz && used < (1ull << 28) && tsc_hz < (1ull << 36))
			timer_hz = used * tsc_hz / cycles;   /* < 2^64 */
		else
			timer_hz = used * (1000000u / CALIBRATE_US);
		if (!timer_hz)
			timer_hz = 62500000u; /* QEMU's 1 GHz / 16 */
	}
	uint64_t count = hz ? timer_hz / hz : timer_hz / 100;
	wr(REG_LVT_TIMER, LVT_PERIODIC | VEC_LAPIC_TIMER);
	wr(REG_TIMER_INIT, count ? (uint32_t)(count > 0xFFFFFFFFu ? 0xFFFFFFFFu : count) : 1);
}

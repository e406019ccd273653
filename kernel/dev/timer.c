/*
 * timer.c - time (see ktime.h): the TSC calibrated against PIT channel 2,
 * and PIT channel 0 as the periodic tick on IRQ 0.
 */
#include "cpu.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "pic.h"
#include "trap.h"

#define PIT_HZ 1193182u

static uint64_t tsc_hz, tsc_boot, tsc_entry;
static struct ktime_mult tsc_ns;   /* ktime_scale's factor for tsc_hz */
static volatile uint64_t ticks;
static unsigned tick_hz;
static tick_hook_fn tick_hook;

uint64_t time_tsc_hz(void) { return tsc_hz; }
uint64_t time_ticks(void) { return ticks; }
unsigned time_tick_hz(void) { return tick_hz; }
void time_set_tick_hook(tick_hook_fn fn) { tick_hook = fn; }
void time_mark_entry(void) { tsc_entry = rdtsc(); }

uint64_t time_tsc_to_ns(uint64_t delta)
{
	if (!tsc_hz)
		return 0;
	return ktime_scale(delta, tsc_ns);
}

uint64_t time_ns(void)
{
	return tsc_hz ? time_tsc_to_ns(rdtsc() - tsc_boot) : 0;
}

void time_delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + us * (tsc_hz / 1000000 + 1);
	while (rdtsc() < end)
		cpu_relax();
}

/* TSC ticks during `ms` milliseconds of PIT channel 2 (one-shot, mode 0). */
static uint64_t measure(unsigned ms)
{
	uint32_t count = PIT_HZ * ms / 1000;
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) & ~0x01)); /* gate low, speaker off */
	outb(0x43, 0xB0);                                  /* ch2, lo/hi, mode 0 */
	outb(0x42, (uint8_t)count);
	outb(0x42, (uint8_t)(count >> 8));
	outb(0x61, (uint8_t)(inb(0x61) | 0x01));           /* gate high: start */
	uint64_t t0 = rdtsc();
	for (uint64_t spin = 0; !(inb(0x61) & 0x20); spin++)
		if (spin > 100000000)
			return 0; /* no PIT? */
	return rdtsc() - t0;
}

static struct trap_frame *on_tick(struct trap_frame *f)
{
	ticks++;
	return tick_hook ? tick_hook(f) : f;
}

void timer_init(unsigned hz)
{
	/* The least of up to five 2 ms windows (a preempted window only reads
	 * long), stopping as soon as two windows agree within 1/CAL_AGREE (a
	 * quiet machine: two windows, 4 ms): 3 x 10 ms were a quarter of the
	 * boot under TCG, five windows always a sixth.  Time counts from
	 * kernel entry (time_mark_entry), else from before the calibration. */
	enum { CAL_MS = 2, CAL_WINDOWS = 5, CAL_AGREE = 2000 };
	uint64_t best = 0, t_start = rdtsc();
	for (int i = 0; i < CAL_WINDOWS; i++) {
		uint64_t m = measure(CAL_MS);
		if (!m)
			continue;
		uint64_t lo = best && best < m ? best : m, hi = best && best > m ? best : m;
		bool agree = best && hi - lo <= lo / CAL_AGREE;
		best = lo;
		if (agree)
			break;
	}
	tsc_hz = best ? best * (1000 / CAL_MS) : 1000000000ull; /* fall back to 1 GHz, said below */
	tsc_ns = ktime_mult_for(tsc_hz);
	tsc_boot = tsc_entry && tsc_entry < t_start ? tsc_entry : t_start;
	if (!best)
		log_warn("time", "PIT calibration failed; assuming a 1 GHz TSC");
	tick_hz = hz;
	uint32_t div = PIT_HZ / hz;
	outb(0x43, 0x34); /* ch0, lo/hi, mode 2 rate generator */
	outb(0x40, (uint8_t)div);
	outb(0x40, (uint8_t)(div >> 8));
	pic_set_line0_hook(on_tick);
	pic_unmask_timer();
	log_info("time", "TSC %llu.%03llu MHz, tick %u Hz", (unsigned long long)(tsc_hz / 1000000),
		 (unsigned long long)(tsc_hz / 1000 % 1000), hz);
}

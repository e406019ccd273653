/*
 * ktime.h - time: a TSC clock calibrated against the PIT at boot, in
 * nanoseconds since boot, and the periodic timer tick.
 */
#ifndef THESEUS_KTIME_H
#define THESEUS_KTIME_H

#include <stdbool.h>
#include <stdint.h>

uint64_t time_ns(void);            /* nanoseconds since kernel entry (monotonic; 0 until calibrated) */
static inline uint64_t time_ms(void) { return time_ns() / 1000000; }
void time_delay_us(uint64_t us);   /* busy-wait */
uint64_t time_tsc_hz(void);        /* calibrated TSC frequency */
uint64_t time_tsc_to_ns(uint64_t tsc_delta);
uint64_t time_ticks(void);         /* timer interrupts since boot */
unsigned time_tick_hz(void);       /* configured tick rate (cmdline hz=) */

/* TSC ticks to nanoseconds without a division on every call (a 128-bit
 * division is a slow library routine): ns = delta * 10^9 / hz, as
 * delta * mult / 2^64 with mult = floor(10^9 * 2^64 / hz) held as two
 * 64-bit halves (ktime_mult).  Never above the exact value, and less than
 * 1 ns below it for any delta. */
struct ktime_mult {
	uint64_t hi, lo;
};
static inline struct ktime_mult ktime_mult_for(uint64_t hz)
{
	unsigned __int128 m = ((unsigned __int128)1000000000u << 64) / (hz ? hz : 1);
	return (struct ktime_mult){ (uint64_t)(m >> 64), (uint64_t)m };
}
static inline uint64_t ktime_scale(uint64_t delta, struct ktime_mult m)
{
	return delta * m.hi + (uint64_t)(((unsigned __int128)delta * m.lo) >> 64);
}

/* PIT counts elapsed on a one-shot channel loaded with 65536 (mode 0: it
 * counts down, wraps after 0, and its output goes high at the first 0),
 * from the latched count and the output, with the wraps told apart by an
 * estimate of the elapsed counts (from the TSC at the rough rate).  0 when
 * the estimate is too far from every candidate (the rough rate was off by
 * more than 8192 counts, or the channel was reprogrammed). */
static inline uint64_t ktime_pit_elapsed(uint16_t latched, int out_high, uint64_t estimate)
{
	uint64_t frac = (65536u - latched) % 65536u;
	if (!out_high)
		return frac;   /* before the first 0: no wrap yet */
	if (estimate < frac + 65536u / 2)
		return frac ? 0 : 65536u;   /* just at the first 0, or too far */
	uint64_t k = (estimate - frac + 65536u / 2) / 65536u;   /* nearest whole wraps */
	uint64_t e = k * 65536u + frac;
	if (!k || (e > estimate ? e - estimate : estimate - e) > 8192u)
		return 0;
	return e;
}

/* Counts elapsed on a free-running up-counter of `bits` bits (1..63) from
 * its difference (mod 2^bits, end - start) and an estimate of the true
 * count (from the TSC at the rough rate): the value congruent to the
 * difference nearest the estimate.  Right while the estimate is off by less
 * than half a wrap (2.3 s for a 24-bit PM timer). */
static inline uint64_t ktime_wrap_elapsed(uint64_t diff, unsigned bits, uint64_t estimate)
{
	uint64_t wrap = 1ull << bits, mask = wrap - 1;
	uint64_t e = (estimate & ~mask) | (diff & mask);
	if (e > estimate && e - estimate > wrap / 2 && e >= wrap)
		e -= wrap;
	else if (e < estimate && estimate - e > wrap / 2)
		e += wrap;
	return e;
}

struct trap_frame;
/* Called from the timer interrupt once per tick with the interrupted frame;
 * returns the frame to resume (the scheduler may return another task's). */
typedef struct trap_frame *(*tick_hook_fn)(struct trap_frame *f);
void time_set_tick_hook(tick_hook_fn fn);
/* Notes the TSC at kernel entry (first thing in kmain): time counts from
 * there, so the ready line's "boot N ms" includes everything before the
 * calibration too. */
void time_mark_entry(void);
/* Where a second reference clock is: an up-counter of pm->bits bits (24 or
 * 32) at TIME_PM_HZ read with inl from pm->port (the ACPI PM timer).  The
 * callback returns false when the machine has none. */
#define TIME_PM_HZ 3579545u
struct time_pm_ref {
	uint16_t port;
	uint8_t bits;
};
typedef bool (*time_pm_find_fn)(struct time_pm_ref *pm);
/* Calibrate the TSC roughly (two 1 ms PIT windows) and start the periodic
 * tick at hz (kernel boot only); PIT channel 2 keeps counting from there.
 * When the PIT does not count, find_pm is asked for the ACPI PM timer and
 * the TSC is calibrated against that (median of three 1 ms windows); only
 * without either does the rate come from CPUID or a guess. */
void timer_init(unsigned hz, time_pm_find_fn find_pm);
/* Whether the PIT answered the calibration: its channel 0 is the boot
 * CPU's tick and the NMI watchdog's source; without it the boot CPU ticks
 * on its local APIC timer (smp_boot_cpu_timer). */
bool time_pit_ok(void);
/* Once, later in the boot (tens of ms under an emulator): the rate from
 * TSC cycles over PIT (or PM timer) counts since timer_init replaces the
 * rough one; the clock goes on from the value it has (no jump).  Kernel
 * boot only. */
void time_refine(void);

#endif

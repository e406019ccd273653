/*
 * ktime.h - time: a TSC clock calibrated against the PIT at boot, in
 * nanoseconds since boot, and the periodic timer tick.
 */
#ifndef THESEUS_KTIME_H
#define THESEUS_KTIME_H

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

struct trap_frame;
/* Called from the timer interrupt once per tick with the interrupted frame;
 * returns the frame to resume (the scheduler may return another task's). */
typedef struct trap_frame *(*tick_hook_fn)(struct trap_frame *f);
void time_set_tick_hook(tick_hook_fn fn);
/* Notes the TSC at kernel entry (first thing in kmain): time counts from
 * there, so the ready line's "boot N ms" includes everything before the
 * calibration too. */
void time_mark_entry(void);
/* Calibrate the TSC and start the periodic tick at hz (kernel boot only). */
void timer_init(unsigned hz);

#endif

/*
 * timer.c - time (see ktime.h): the TSC calibrated against PIT channel 2
 * (or, on a machine whose PIT does not count, the ACPI PM timer), and PIT
 * channel 0 as the periodic tick on IRQ 0.
 *
 * The calibration has two steps.  timer_init: the lesser of two 1 ms
 * windows that agree within 1% (more are measured while they do not: a
 * preempted window reads long), after a short one thrown away (an emulator
 * translates the loop in it), good to about 0.1%, then channel 2 restarted
 * with its longest count.  time_refine, later in the boot: TSC cycles over the PIT counts
 * since then, tens of ms under QEMU (~0.005%).  Waiting for two 2 ms
 * windows that agree cost 4-5 ms of every boot.  A boot too long for the
 * rough rate to count the reference's wraps (or a rough rate too far off)
 * is refined over two fresh 10 ms windows instead.  The clock's parameters
 * live in two slots and change once, from slot 0 to 1: a reader (an NMI
 * too) takes the slot the index names and never sees a half-written one.
 * Without a PIT both steps use the ACPI PM timer instead (3.58 MHz, read
 * at a count edge: median of three 1 ms windows, then the count since).
 */
#include "cpu.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "pic.h"
#include "trap.h"

#define PIT_HZ 1193182u

static uint64_t tsc_hz, tsc_entry;
static struct clock_params {
	uint64_t base_tsc, base_ns;      /* the clock read base_ns at TSC base_tsc */
	struct ktime_mult mult;          /* ktime_scale's factor for the rate */
} clk[2];
static uint32_t clk_cur;             /* clk[clk_cur] is in use */
static uint64_t long_t0;             /* TSC when channel 2 started its long count */
static bool refined;
static struct time_pm_ref pm;        /* the ACPI PM timer, when it calibrated the TSC */
static uint64_t pm_t0;               /* TSC when pm_c0 was read: time_refine's start */
static uint32_t pm_c0;
static volatile uint64_t ticks;
static unsigned tick_hz;
static tick_hook_fn tick_hook;

uint64_t time_tsc_hz(void) { return tsc_hz; }
uint64_t time_ticks(void) { return ticks; }
unsigned time_tick_hz(void) { return tick_hz; }
void time_set_tick_hook(tick_hook_fn fn) { tick_hook = fn; }
void time_mark_entry(void) { tsc_entry = rdtsc(); }
bool time_pit_ok(void) { return long_t0 != 0; }
static uint32_t pm_mask(void) { return (uint32_t)((1ull << pm.bits) - 1); }
static uint32_t pm_read(void) { return inl(pm.port) & pm_mask(); }

static const struct clock_params *clock_now(void)
{
	return &clk[__atomic_load_n(&clk_cur, __ATOMIC_ACQUIRE)];
}

uint64_t time_tsc_to_ns(uint64_t delta)
{
	if (!tsc_hz)
		return 0;
	return ktime_scale(delta, clock_now()->mult);
}

static uint64_t clock_at(const struct clock_params *c, uint64_t tsc)
{
	return c->base_ns + ktime_scale(tsc > c->base_tsc ? tsc - c->base_tsc : 0, c->mult);
}

uint64_t time_ns(void)
{
	return tsc_hz ? clock_at(clock_now(), rdtsc()) : 0;
}

void tsc_wait_until(uint64_t end); /* kernel/arch/tsc_wait.S */

void time_delay_us(uint64_t us)
{
	uint64_t ticks, end;
	if (__builtin_mul_overflow(us, tsc_hz / 1000000 + 1, &ticks) ||
	    __builtin_add_overflow(rdtsc(), ticks, &end))
		end = UINT64_MAX;
	tsc_wait_until(end);
}

/* Starts PIT channel 2 counting down from count (one-shot, mode 0; 0 means
 * 65536); returns the TSC at the start. */
static uint64_t pit2_start(uint16_t count)
{
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) & ~0x01)); /* gate low, speaker off */
	outb(0x43, 0xB0);                                  /* ch2, lo/hi, mode 0 */
	outb(0x42, (uint8_t)count);
	outb(0x42, (uint8_t)(count >> 8));
	outb(0x61, (uint8_t)(inb(0x61) | 0x01));           /* gate high: start */
	return rdtsc();
}

static bool pit2_out(void) { return inb(0x61) & 0x20; }

/* TSC ticks during `count` PIT counts of channel 2; 0 if it never ends
 * (no PIT, or one clock-gated off as some firmware does: a port read takes
 * about a microsecond, so 1 ms of counts is a few thousand reads, and the
 * cap of 200000 gives up within a fraction of a second). */
static uint64_t measure(uint16_t count)
{
	uint64_t t0 = pit2_start(count);
	for (uint64_t spin = 0; !pit2_out(); spin++)
		if (spin > 200000)
			return 0;
	return rdtsc() - t0;
}

/* TSC ticks over at least `counts` PM-timer counts, from one count edge;
 * *got the counts that passed.  0 if the counter stands still (a read is
 * about a microsecond, so the caps give up within a second or two). */
static uint64_t pm_measure(uint32_t counts, uint32_t *got)
{
	uint32_t c = pm_read(), start, now;
	uint64_t spin = 0;
	while ((start = pm_read()) == c)
		if (++spin > 200000)
			return 0;
	uint64_t t0 = rdtsc();
	do {
		now = pm_read();
		if (++spin > 2000000)
			return 0;
	} while (((now - start) & pm_mask()) < counts);
	uint64_t t1 = rdtsc();
	*got = (now - start) & pm_mask();
	return t1 - t0;
}

/* The TSC rate over the PM timer: the median of three 1 ms windows (a
 * window that an emulator's host preempted reads long or short), 0 if the
 * timer does not count or gives a rate no TSC has. */
static uint64_t pm_calibrate(void)
{
	uint64_t r[3];
	for (int i = 0; i < 3; i++) {
		uint32_t got = 0;
		uint64_t cycles = pm_measure(TIME_PM_HZ / 1000, &got);
		if (!cycles || !got)
			return 0;
		r[i] = (uint64_t)((unsigned __int128)cycles * TIME_PM_HZ / got);
	}
	uint64_t lo = r[0] < r[1] ? r[0] : r[1], hi = r[0] < r[1] ? r[1] : r[0];
	uint64_t med = r[2] < lo ? lo : r[2] > hi ? hi : r[2];
	if (med < 100000000ull || med > 20000000000ull)
		return 0;
	uint64_t flags = irq_save();
	pm_t0 = rdtsc();
	pm_c0 = pm_read();
	irq_restore(flags);
	return med;
}

/* The TSC rate the CPU states (CPUID 0x15: crystal and ratio, else 0x16:
 * base MHz), 0 if it states none: for machines without a usable PIT. */
static uint64_t cpuid_tsc_hz(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	uint32_t max = r[0];
	if (max >= 0x15) {
		cpuid(0x15, 0, r);
		if (r[0] && r[1] && r[2])
			return (uint64_t)r[2] * r[1] / r[0];
	}
	if (max >= 0x16) {
		cpuid(0x16, 0, r);
		if (r[0] & 0xFFFF)
			return (uint64_t)(r[0] & 0xFFFF) * 1000000u;
	}
	return 0;
}

static void clock_set(unsigned slot, uint64_t base_tsc, uint64_t base_ns, uint64_t hz)
{
	clk[slot] = (struct clock_params){ base_tsc, base_ns, ktime_mult_for(hz) };
	__atomic_store_n(&clk_cur, slot, __ATOMIC_RELEASE);
	tsc_hz = hz;
}

static struct trap_frame *on_tick(struct trap_frame *f)
{
	ticks++;
	return tick_hook ? tick_hook(f) : f;
}

/* The rate without a PIT: the ACPI PM timer, else what the CPU states,
 * else a guess; *src names which, for the log. */
static uint64_t rate_without_pit(time_pm_find_fn find_pm, const char **src)
{
	uint64_t rate = 0;
	if (find_pm && find_pm(&pm)) {
		if ((rate = pm_calibrate())) {
			*src = "ACPI PM timer";
			log_warn("time", "PIT calibration failed (no PIT?); calibrated against the ACPI "
				 "PM timer (port %#x, %u bits)", pm.port, pm.bits);
			return rate;
		}
		log_warn("time", "the ACPI PM timer at port %#x does not count", pm.port);
		pm.port = 0;
	}
	if ((rate = cpuid_tsc_hz())) {
		*src = "CPUID";
		log_warn("time", "PIT calibration failed (no PIT?) and no ACPI PM timer; using the "
			 "TSC rate the CPU states (CPUID)");
		return rate;
	}
	*src = "assumed";
	log_warn("time", "PIT calibration failed (no PIT?), no ACPI PM timer, and the CPU states "
		 "no TSC rate; assuming 1 GHz: times and delays are off");
	return 1000000000ull;
}

/* TSC ticks of a 1 ms PIT window: the least of two that agree within 1%,
 * measuring more (up to CAL_WINDOWS_MAX) while the least two do not.  A
 * window the host preempted (or an SMI on hardware) reads long: on a busy
 * emulator host both of the first two can, and the rough rate was then
 * several percent high.  0 if the PIT does not count. */
#define CAL_WINDOWS_MAX 6
/* The least and second least of the windows measured so far: adds w,
 * true once the two agree within 1% (lo is then the answer). */
struct least_two {
	uint64_t lo, lo2;
};
static bool least_two_agree(struct least_two *t, uint64_t w)
{
	if (!t->lo || w < t->lo) {
		t->lo2 = t->lo;
		t->lo = w;
	} else if (!t->lo2 || w < t->lo2) {
		t->lo2 = w;
	}
	return t->lo2 && t->lo2 - t->lo <= t->lo / 100;
}

static uint64_t agreeing_windows(uint16_t counts)
{
	struct least_two t = { 0, 0 };
	for (int i = 0; i < CAL_WINDOWS_MAX; i++) {
		uint64_t w = measure(counts);
		if (!w)
			return 0;
		if (least_two_agree(&t, w))
			break;
	}
	return t.lo;
}

void timer_init(unsigned hz, time_pm_find_fn find_pm)
{
	enum { CAL_COUNTS = PIT_HZ / 1000, WARM_COUNTS = PIT_HZ / 10000 };
	uint64_t t_start = rdtsc();
	(void)measure(WARM_COUNTS);
	uint64_t best = agreeing_windows(CAL_COUNTS);
	/* A window that ends at once (QEMU without a PIT reads the output
	 * high) or never is no measurement: 100 MHz - 20 GHz are TSC rates. */
	if (best < 100000000ull / 1000 || best > 20000000000ull / 1000)
		best = 0;
	const char *src = "1 ms PIT windows";
	uint64_t rate = best ? best * PIT_HZ / CAL_COUNTS : rate_without_pit(find_pm, &src);
	if (best)
		long_t0 = pit2_start(0);   /* 65536 counts, time_refine reads it */
	clock_set(0, tsc_entry && tsc_entry < t_start ? tsc_entry : t_start, 0, rate);
	tick_hz = hz;
	uint32_t div = PIT_HZ / hz;
	outb(0x43, 0x34); /* ch0, lo/hi, mode 2 rate generator */
	outb(0x40, (uint8_t)div);
	outb(0x40, (uint8_t)(div >> 8));
	pic_set_line0_hook(on_tick);
	pic_unmask_timer();
	log_info("time", "TSC %llu.%03llu MHz (%s), tick %u Hz",
		 (unsigned long long)(tsc_hz / 1000000), (unsigned long long)(tsc_hz / 1000 % 1000),
		 src, hz);
}

/* The counts of the reference (PIT channel 2 or the PM timer) since its
 * long span started, given an estimate from the TSC; 0 if unsure.  Called
 * with interrupts off, right after the TSC the estimate is from was read. */
static uint64_t ref_elapsed(uint64_t est)
{
	if (long_t0) {
		outb(0x43, 0x80);                  /* latch channel 2 */
		uint8_t lo = inb(0x42);
		uint16_t latched = (uint16_t)(lo | (uint16_t)inb(0x42) << 8);
		/* Beyond ~5 s the rough rate's 0.1% could pick the wrong wrap. */
		return est < 80 * 65536ull ? ktime_pit_elapsed(latched, pit2_out(), est) : 0;
	}
	uint32_t diff = pm_read() - pm_c0;
	/* A few wraps of tolerance: the 1 ms windows are good to ~0.1%. */
	return est < 100ull << pm.bits ? ktime_wrap_elapsed(diff, pm.bits, est) : 0;
}

/* The TSC rate over fresh 10 ms windows of the reference (the least of two
 * that agree within 1%, as for the 1 ms ones), 0 if it does not count.  For
 * time_refine when the boot so far cannot be counted with the rough rate
 * (too long, or that rate too far off, as under some hypervisors whose
 * port reads are slow enough to skew 1 ms windows by 1%). */
static uint64_t window_rate(void)
{
	if (long_t0) {
		uint64_t cycles = agreeing_windows(PIT_HZ / 100);
		return cycles * 100;
	}
	struct least_two t = { 0, 0 };   /* as agreeing_windows, over the PM timer */
	for (int i = 0; i < CAL_WINDOWS_MAX; i++) {
		uint32_t got = 0;
		uint64_t cycles = pm_measure(TIME_PM_HZ / 100, &got);
		if (!cycles || !got)
			return 0;
		if (least_two_agree(&t, (uint64_t)((unsigned __int128)cycles * TIME_PM_HZ / got)))
			break;
	}
	return t.lo;
}

static bool near(uint64_t rate, uint64_t old)
{
	return rate > old - old / 20 && rate < old + old / 20;
}

void time_refine(void)
{
	if (refined || (!long_t0 && !pm_t0))
		return;
	refined = true;
	const char *name = long_t0 ? "PIT" : "ACPI PM timer";
	uint64_t ref_hz = long_t0 ? PIT_HZ : TIME_PM_HZ;
	uint64_t flags = irq_save();
	uint64_t t1 = rdtsc();
	uint64_t cycles = t1 - (long_t0 ? long_t0 : pm_t0), old = tsc_hz;
	uint64_t est = (uint64_t)((unsigned __int128)cycles * ref_hz / old);
	uint64_t counts = ref_elapsed(est);
	uint64_t rate = counts ? (uint64_t)((unsigned __int128)cycles * ref_hz / counts) : 0;
	bool ok = counts >= ref_hz / 1000 && near(rate, old);
	if (ok)
		clock_set(1, t1, clock_at(&clk[0], t1), rate);
	irq_restore(flags);
	if (!ok) {
		/* The span since calibration cannot be counted: measure afresh. */
		uint64_t fresh = window_rate();
		if (!fresh || !near(fresh, old)) {
			log_warn("time", "TSC refinement over %llu %s counts gave %llu Hz, two 10 ms "
				 "windows %llu Hz, beside %llu Hz: keeping the first rate",
				 (unsigned long long)counts, name, (unsigned long long)rate,
				 (unsigned long long)fresh, (unsigned long long)old);
			return;
		}
		flags = irq_save();
		t1 = rdtsc();
		clock_set(1, t1, clock_at(&clk[0], t1), fresh);
		irq_restore(flags);
		int64_t ppm = (int64_t)(fresh - old) * 1000000 / (int64_t)old;
		log_info("time", "TSC %llu.%03llu MHz over two 10 ms windows of %s (%s%lld ppm from "
			 "the 1 ms windows; the %llu ms since could not be counted with their rate)",
			 (unsigned long long)(fresh / 1000000),
			 (unsigned long long)(fresh / 1000 % 1000), name, ppm < 0 ? "" : "+",
			 (long long)ppm, (unsigned long long)(est * 1000 / ref_hz));
		return;
	}
	int64_t ppm = (int64_t)(rate - old) * 1000000 / (int64_t)old;
	log_info("time", "TSC %llu.%03llu MHz over %llu ms of %s (%s%lld ppm from the 1 ms windows)",
		 (unsigned long long)(rate / 1000000), (unsigned long long)(rate / 1000 % 1000),
		 (unsigned long long)(counts * 1000 / ref_hz), name, ppm < 0 ? "" : "+", (long long)ppm);
}

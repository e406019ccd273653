/*
 * stop.c - stop-machine (see smp.h): the CPU that changes code every CPU may
 * run (the swap engine's relink, retirement's stack walk) parks every other
 * CPU first.  It sends each a VEC_STOP IPI; the CPU acknowledges from its
 * interrupt handler, a safe point with interrupts off, records where it was
 * (cpu_local.stop_frame, for the stack walk) and spins there until
 * released, then flushes its TLB (the stopper may have changed page
 * tables; no global pages are used).  One CPU stops the others at a time:
 * a CPU that wants to stop while another does takes part in that stop
 * (parks) while it waits.
 * Nested stops by the same CPU are counted; the time from the first IPI to
 * the release is the stop-the-world pause, summed in smp_stop_pause_ns().
 */
#include "cpu.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "smp_impl.h"

#define STOP_WARN_NS 1000000000ull /* a CPU that takes longer is named in the log */

static volatile bool stop_active;
static volatile unsigned parked;
static volatile int owner = -1;      /* the CPU stopping the others */
static unsigned depth;               /* its nested stops */
static uint64_t t_start;
static volatile uint64_t pause_total_ns, stops, park_wait_ns;

uint64_t smp_stop_pause_ns(void) { return pause_total_ns; }
uint64_t smp_stop_count(void) { return stops; }
uint64_t smp_stop_park_wait_ns(void) { return park_wait_ns; }

/* Spin until the stop is over (interrupts off), visible as parked. */
static void park(struct trap_frame *f)
{
	struct cpu_local *me = smp_this_cpu();
	me->stop_frame = f; /* retirement walks the stack of the task it ran */
	__atomic_add_fetch(&parked, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&stop_active, __ATOMIC_ACQUIRE))
		cpu_relax();
	/* The stopper may have changed page tables (module code made writable
	 * and back, retired code unmapped): drop this CPU's cached translations. */
	write_cr3(read_cr3());
	me->stop_frame = NULL;
	__atomic_sub_fetch(&parked, 1, __ATOMIC_ACQ_REL);
}

/* A CPU's VEC_STOP handler. */
void smp_stop_park(struct trap_frame *f)
{
	lapic_eoi();
	if (__atomic_load_n(&stop_active, __ATOMIC_ACQUIRE) &&
	    __atomic_load_n(&owner, __ATOMIC_ACQUIRE) != (int)smp_cpu_index())
		park(f); /* else a late IPI of a stop already over */
}

void smp_stop_others(void)
{
	int me = (int)smp_cpu_index();
	if (__atomic_load_n(&owner, __ATOMIC_ACQUIRE) == me) {
		depth++;
		return;
	}
	for (;;) {
		int free = -1;
		if (__atomic_compare_exchange_n(&owner, &free, me, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		if (__atomic_load_n(&stop_active, __ATOMIC_ACQUIRE)) {
			/* Another CPU stops the world: be stopped, where we are. */
			struct trap_frame here = { .vector = VEC_STOP };
			here.rbp = (uint64_t)__builtin_frame_address(0);
			__asm__ volatile("leaq 0(%%rip), %0" : "=r"(here.rip));
			park(&here);
		}
		cpu_relax();
	}
	depth = 1;
	t_start = rdtsc();
	unsigned n = smp_cpu_count();
	if (n < 2)
		return;
	__atomic_store_n(&stop_active, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < n; i++) {
		struct cpu_local *c = smp_cpu(i);
		if ((int)i != me && c && lapic_ipi(c->apic_id, ICR_FIXED | VEC_STOP))
			log_error("smp", "stop: IPI to CPU %u not accepted", i);
	}
	bool warned = false;
	while (__atomic_load_n(&parked, __ATOMIC_ACQUIRE) < n - 1) {
		if (!warned && time_tsc_to_ns(rdtsc() - t_start) > STOP_WARN_NS) {
			/* Waiting on is the only safe choice: relinking under a CPU that
			 * still runs could pull code from under it. */
			log_warn("smp", "stop: %u of %u CPUs parked after 1 s; still waiting",
				 parked, n - 1);
			warned = true;
		}
		cpu_relax();
	}
	park_wait_ns += time_tsc_to_ns(rdtsc() - t_start);
}

void smp_resume_others(void)
{
	if (__atomic_load_n(&owner, __ATOMIC_ACQUIRE) != (int)smp_cpu_index() || --depth)
		return;
	__atomic_store_n(&stop_active, false, __ATOMIC_RELEASE);
	while (__atomic_load_n(&parked, __ATOMIC_ACQUIRE))
		cpu_relax(); /* all left: the next stop starts clean */
	pause_total_ns += time_tsc_to_ns(rdtsc() - t_start);
	stops++;
	__atomic_store_n(&owner, -1, __ATOMIC_RELEASE);
}

/*
 * profile.c - the sampling profiler's kernel half: the sample buffer that
 * every CPU's timer tick fills (profile_tick, called first thing in
 * sched_on_tick), start/stop, and the report over kernel and module
 * symbols (ksyms_resolve) that the endpoint pages out (`theseusctl
 * profile`, net/endpoint/kernel_queries.c).
 *
 * Lock-free: the tick reads the running flag, takes a slot with one atomic
 * fetch-add and publishes the sample with a release store of its valid
 * byte; slots past PROFILE_MAX_SAMPLES are not stored, only counted (lost).
 * Not running, a tick costs one load.  A tick that took its slot just
 * before a stop may still be writing it when the report reads the buffer:
 * the report skips slots not yet valid.
 *
 * The report (profile_report) is computed in the network poll context
 * only, on request, into one static table kept until the next refresh.
 */
#include "profile.h"

#include "klibc.h"
#include "ksyms.h"
#include "ktime.h"
#include "param.h"
#include "smp.h"
#include "trap.h"

_Static_assert(CPUS_MAX <= PROFILE_AGG_CPUS, "a report counts every CPU");

#define HLT_OPCODE 0xF4
#define STI_OPCODE 0xFB
#define PAGE_MASK 0xfffull

static struct profile_sample samples[PROFILE_MAX_SAMPLES];
static uint64_t next_slot;      /* slots taken since the start (atomic) */
static bool running;            /* atomic */
static uint64_t start_ns, stop_ns;
static struct profile_agg report;   /* profile_report's table */

/* Whether the instructions before rip are the idle halt "sti; hlt" (every
 * place a CPU waits for work; the other hlts end a CPU for good), reading
 * only rip's page.  A lone 0xF4 before rip is no proof: it also ends
 * instructions such as `mov %r14,%r12` (4d 89 f4), whose samples then
 * counted as idle in the busy code. */
static uint8_t halted_at(uint64_t rip)
{
	if ((rip & PAGE_MASK) < 2)
		return 0;   /* rip - 2 is on another page, maybe unmapped: not touched */
	const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)(rip - 2);
	return p[0] == STI_OPCODE && p[1] == HLT_OPCODE;
}

void profile_tick(const struct trap_frame *f)
{
	if (!__atomic_load_n(&running, __ATOMIC_RELAXED))
		return;
	uint64_t i = __atomic_fetch_add(&next_slot, 1, __ATOMIC_RELAXED);
	if (i >= PROFILE_MAX_SAMPLES)
		return;   /* counted as lost (next_slot - PROFILE_MAX_SAMPLES) */
	struct profile_sample *s = &samples[i];
	s->rip = f->rip;
	s->cpu = (uint16_t)smp_cpu_index();
	s->idle = halted_at(f->rip);
	__atomic_store_n(&s->valid, 1, __ATOMIC_RELEASE);
}

void profile_start(void)
{
	__atomic_store_n(&running, false, __ATOMIC_SEQ_CST);
	memset(samples, 0, sizeof samples);
	__atomic_store_n(&next_slot, 0, __ATOMIC_SEQ_CST);
	start_ns = time_ns();
	stop_ns = 0;
	memset(&report, 0, sizeof report);
	__atomic_store_n(&running, true, __ATOMIC_SEQ_CST);
}

void profile_stop(void)
{
	if (!__atomic_exchange_n(&running, false, __ATOMIC_SEQ_CST))
		return;   /* not running: the last run's stop time stays */
	stop_ns = time_ns();
}

void profile_status(struct profile_status *out)
{
	uint64_t taken = __atomic_load_n(&next_slot, __ATOMIC_RELAXED);
	out->running = __atomic_load_n(&running, __ATOMIC_RELAXED);
	out->samples = taken < PROFILE_MAX_SAMPLES ? taken : PROFILE_MAX_SAMPLES;
	out->lost = taken - out->samples;
	if (!start_ns)
		out->elapsed_ns = 0;
	else
		out->elapsed_ns = (out->running ? time_ns() : stop_ns) - start_ns;
}

const struct profile_sample *profile_samples(size_t *n)
{
	uint64_t taken = __atomic_load_n(&next_slot, __ATOMIC_ACQUIRE);
	*n = taken < PROFILE_MAX_SAMPLES ? (size_t)taken : PROFILE_MAX_SAMPLES;
	return samples;
}

static bool kernel_resolve(void *ctx, uint64_t rip, const char **function, const char **module)
{
	uint64_t off;
	*module = NULL;
	return ksyms_resolve(rip, function, &off, module);
}

const struct profile_agg *profile_report(bool refresh)
{
	if (refresh) {
		size_t n;
		const struct profile_sample *s = profile_samples(&n);
		if (profile_agg_run(&report, s, n, smp_cpu_count(), kernel_resolve, NULL) != TH_OK)
			memset(&report, 0, sizeof report);   /* cannot happen: arguments are set */
	}
	return &report;
}

/*
 * tasklist.c - task observability: per-task info (name, state, priority,
 * CPU time from the TSC, context switches) and the text list printed with
 * tasks=show at boot and served over the network.
 */
#include "cpu.h"
#include "klibc.h"
#include "ktime.h"
#include "task_impl.h"

static const char *const state_names[] = {
	[TASK_READY] = "ready", [TASK_RUNNING] = "running", [TASK_BLOCKED] = "blocked",
	[TASK_SLEEPING] = "sleeping", [TASK_EXITED] = "exited",
};

const char *task_state_name(enum task_state s)
{
	return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}

size_t task_count(void) { return sched.ntasks; }

/* sched.lock held. */
static void fill(const struct task *t, struct task_info *out)
{
	uint64_t tsc = t->cpu_tsc;
	if (t->state == TASK_RUNNING && t->cpu < CPUS_MAX && sched.cpu[t->cpu].current == t)
		tsc += rdtsc() - sched.cpu[t->cpu].switch_tsc; /* the slice in progress */
	out->id = t->id;
	memcpy(out->name, t->name, sizeof out->name);
	out->state = t->state;
	out->priority = t->se.priority;
	out->cpu_ns = time_tsc_to_ns(tsc);
	out->switches = t->switches;
	out->stack_lo = t->stack_lo;
	out->stack_hi = t->stack_hi;
	out->cpu = t->cpu;
}

int task_get_info(const struct task *t, struct task_info *out)
{
	if (!t || !out || t->magic != TASK_MAGIC)
		return TH_EINVAL;
	uint64_t fl = sched_lock();
	fill(t, out);
	sched_unlock(fl);
	return TH_OK;
}

size_t task_format_list(char *buf, size_t len)
{
	size_t at = 0;
	if (len)
		buf[0] = '\0';
	th_appendf(buf, len, &at, "%4s %-*s %-8s %4s %10s %9s %3s\n", "ID", TASK_NAME_MAX - 1, "NAME",
	    "STATE", "PRIO", "CPU_MS", "SWITCHES", "CPU");
	uint64_t fl = sched_lock();
	for (const struct task *t = sched.all; t; t = t->all_next) {
		struct task_info i;
		fill(t, &i);
		th_appendf(buf, len, &at, "%4u %-*s %-8s %4u %6llu.%03llu %9llu %3u\n", i.id,
		    TASK_NAME_MAX - 1, i.name, task_state_name(i.state), i.priority,
		    (unsigned long long)(i.cpu_ns / 1000000),
		    (unsigned long long)(i.cpu_ns / 1000 % 1000), (unsigned long long)i.switches, i.cpu);
	}
	th_appendf(buf, len, &at, "policy %s, %zu tasks, %llu switches\n", sched.policy_name,
	    sched.ntasks, (unsigned long long)sched.switches);
	sched_unlock(fl);
	return at;
}

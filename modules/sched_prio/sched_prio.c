/*
 * sched_prio.c - the priority scheduler policy (sched=prio): strict
 * priorities SCHED_PRIO_MIN (0) .. SCHED_PRIO_MAX (31), higher runs first;
 * tasks of equal priority share the CPU round-robin with slices of
 * SCHED_SLICE_TICKS ticks.  A task is preempted at the next tick when a
 * higher-priority task is ready.  Lower priorities wait while higher ones
 * are ready (no aging: that is the point of a strict priority policy).
 *
 * One FIFO per priority (rq->queues[p]) and a bitmap of non-empty queues,
 * all in the core's struct sched_rq (see sched_policy.h): this module is
 * stateless and can take over the queue of another policy.
 *
 * Several CPUs: a task joins the CPU where the fewest tasks of its priority
 * or higher are queued (so it runs soonest), then the least loaded; a CPU
 * takes a task from the busiest one when that one has 2 tasks more.
 */
#include "theseus.h"
#include "sched_policy.h"

static uint32_t prio_of(const struct sched_entity *e)
{
	return e->priority > SCHED_PRIO_MAX ? SCHED_PRIO_MAX : e->priority;
}

static void prio_enqueue(struct sched_rq *rq, struct sched_entity *e)
{
	sched_rq_push(rq, e, prio_of(e));
}

/* Highest priority with a queued entity; -1 if none. */
static int highest(const struct sched_rq *rq)
{
	return rq->nonempty ? 31 - __builtin_clz(rq->nonempty) : -1;
}

static struct sched_entity *prio_pick_next(struct sched_rq *rq)
{
	int q = highest(rq);
	return q < 0 ? NULL : sched_rq_pop(rq, (uint32_t)q);
}

static bool prio_tick(struct sched_rq *rq, struct sched_entity *cur)
{
	bool expired = sched_slice_tick(cur);
	int q = highest(rq);
	if (q < 0)
		return false;
	if ((uint32_t)q > prio_of(cur))
		return true;
	return expired && (uint32_t)q == prio_of(cur);
}

static unsigned prio_select_cpu(const struct sched_cpu_load *load, unsigned n,
				const struct sched_entity *e, unsigned prev)
{
	unsigned best = n;
	uint64_t best_score = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!load[i].online)
			continue;
		/* Waiting behind an equal or higher priority costs most. */
		uint64_t score = (load[i].top_priority >= prio_of(e) && load[i].nr_queued ? 1000u : 0u) +
				 sched_load_of(&load[i]) * 2u + (i != prev);
		if (best == n || score < best_score) {
			best = i;
			best_score = score;
		}
	}
	return best < n ? best : 0;
}

static int prio_balance(const struct sched_cpu_load *load, unsigned n, unsigned self)
{
	return sched_busiest(load, n, self, 2);
}

const struct sched_policy_ops sched_policy_ops = {
	.abi = SCHED_POLICY_ABI,
	.name = "prio",
	.enqueue = prio_enqueue,
	.dequeue = sched_rq_remove,
	.pick_next = prio_pick_next,
	.tick = prio_tick,
	.select_cpu = prio_select_cpu,
	.balance = prio_balance,
};
TH_EXPORT(sched_policy_ops);

TH_MODULE("sched", "prio-1.0", "priority scheduler policy, 0..31 (sched=prio)");

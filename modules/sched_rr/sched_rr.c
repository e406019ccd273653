/*
 * sched_rr.c - the round-robin scheduler policy (sched=rr, the default):
 * one FIFO of ready tasks (rq->queues[0]), every task gets a slice of
 * SCHED_SLICE_TICKS timer ticks, then goes to the back of the queue.
 * Priorities are kept (the core stores them) but ignored.  With several
 * CPUs a task joins the least loaded CPU, and a CPU with 2 tasks fewer
 * than the busiest takes one from it.
 *
 * Stateless: the queue lives in the core's struct sched_rq (see
 * sched_policy.h), so this module can be replaced while tasks run.
 */
#include "theseus.h"
#include "sched_policy.h"

static void rr_enqueue(struct sched_rq *rq, struct sched_entity *e)
{
	sched_rq_push(rq, e, 0);
}

static struct sched_entity *rr_pick_next(struct sched_rq *rq)
{
	return sched_rq_pop(rq, 0);
}

static bool rr_tick(struct sched_rq *rq, struct sched_entity *cur)
{
	return sched_slice_tick(cur) && rq->nr_queued > 0;
}

static unsigned rr_select_cpu(const struct sched_cpu_load *load, unsigned n,
			      const struct sched_entity *e, unsigned prev)
{
	(void)e;
	return sched_least_loaded(load, n, prev);
}

static int rr_balance(const struct sched_cpu_load *load, unsigned n, unsigned self)
{
	return sched_busiest(load, n, self, 2);
}

const struct sched_policy_ops sched_policy_ops = {
	.abi = SCHED_POLICY_ABI,
	.name = "rr",
	.enqueue = rr_enqueue,
	.dequeue = sched_rq_remove,
	.pick_next = rr_pick_next,
	.tick = rr_tick,
	.select_cpu = rr_select_cpu,
	.balance = rr_balance,
};
TH_EXPORT(sched_policy_ops);

TH_MODULE("sched", "rr-1.0", "round-robin scheduler policy (sched=rr)");

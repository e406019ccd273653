/*
 * sched_rr.c - the round-robin scheduler policy (sched=rr, the default):
 * one FIFO of ready tasks (rq->queues[0]), every task gets a slice of
 * SCHED_SLICE_TICKS timer ticks, then goes to the back of the queue.
 * Priorities are kept (the core stores them) but ignored.
 *
 * Stateless: the queue lives in the core's struct sched_rq (see
 * sched_policy.h), so this module can be replaced while tasks run.
 */
#include "theseus.h"
#include "sched_policy.h"

static void rr_enqueue(struct sched_rq *rq, struct sched_entity *e)
{
	if (e->queued)
		return;
	e->queue = 0;
	sched_list_add_tail(&rq->queues[0], &e->node);
	e->queued = 1;
	rq->nonempty |= 1u;
	rq->nr_queued++;
}

static void rr_dequeue(struct sched_rq *rq, struct sched_entity *e)
{
	if (!e->queued || e->queue >= SCHED_QUEUES)
		return;
	sched_list_del(&e->node);
	e->queued = 0;
	rq->nr_queued--;
	if (sched_list_empty(&rq->queues[e->queue]))
		rq->nonempty &= ~(1u << e->queue);
}

static struct sched_entity *rr_pick_next(struct sched_rq *rq)
{
	if (sched_list_empty(&rq->queues[0]))
		return NULL;
	struct sched_entity *e = SCHED_ENTITY_OF(rq->queues[0].next);
	rr_dequeue(rq, e);
	e->slice_left = SCHED_SLICE_TICKS;
	return e;
}

static bool rr_tick(struct sched_rq *rq, struct sched_entity *cur)
{
	if (cur->slice_left)
		cur->slice_left--;
	return cur->slice_left == 0 && rq->nr_queued > 0;
}

const struct sched_policy_ops sched_rr_ops = {
	.abi = SCHED_POLICY_ABI,
	.name = "rr",
	.enqueue = rr_enqueue,
	.dequeue = rr_dequeue,
	.pick_next = rr_pick_next,
	.tick = rr_tick,
};

TH_MODULE("sched_rr", "1.0", "round-robin scheduler policy (sched=rr)");

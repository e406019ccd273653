/*
 * sched_faulty.c - a TEST scheduler policy (sched=faulty): round robin
 * whose tick handler reads address 0 once tasks run.  The core must report
 * the fault and fall back to its built-in fifo, with every ready task kept
 * (tests/qemu/test_faults.py).  Variant 2 (build/modules/sched_badpick.o,
 * sched=badpick): pick_next returns an entity it leaves queued.
 */
#include "theseus.h"
#include "sched_policy.h"

#ifndef SCHED_FAULTY_VARIANT
#define SCHED_FAULTY_VARIANT 1
#endif

static void faulty_enqueue(struct sched_rq *rq, struct sched_entity *e)
{
	sched_rq_push(rq, e, 0);
}

#if SCHED_FAULTY_VARIANT == 2
/* sched_badpick: returns the first entity without taking it off the queue
 * (the bug of forgetting sched_rq_remove): the task would run while still
 * queued, and be picked again, on this CPU or another.  The core must
 * refuse the pick and fall back to its fifo. */
static struct sched_entity *faulty_pick_next(struct sched_rq *rq)
{
	return rq->nr_queued ? SCHED_ENTITY_OF(rq->queues[0].next) : NULL;
}

static bool faulty_tick(struct sched_rq *rq, struct sched_entity *cur)
{
	return sched_slice_tick(cur);
}
#define FAULTY_NAME "badpick"
#define FAULTY_WHAT "TEST scheduler policy: pick_next leaves its pick queued (sched=badpick)"
#else
static struct sched_entity *faulty_pick_next(struct sched_rq *rq)
{
	return sched_rq_pop(rq, 0);
}

static bool faulty_tick(struct sched_rq *rq, struct sched_entity *cur)
{
	const unsigned *volatile p = NULL;
	return *p != 0;
}
#define FAULTY_NAME "faulty"
#define FAULTY_WHAT "TEST scheduler policy: tick faults (sched=faulty)"
#endif

const struct sched_policy_ops sched_policy_ops = {
	.abi = SCHED_POLICY_ABI,
	.name = FAULTY_NAME,
	.enqueue = faulty_enqueue,
	.dequeue = sched_rq_remove,
	.pick_next = faulty_pick_next,
	.tick = faulty_tick,
};
TH_EXPORT(sched_policy_ops);

TH_MODULE("sched", FAULTY_NAME "-1.0", FAULTY_WHAT);

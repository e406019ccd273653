/*
 * sched_faulty.c - a TEST scheduler policy (sched=faulty): round robin
 * whose tick handler reads address 0 once tasks run.  The core must report
 * the fault and fall back to its built-in fifo, with every ready task kept
 * (tests/qemu/test_faults.py).
 */
#include "theseus.h"
#include "sched_policy.h"

static void faulty_enqueue(struct sched_rq *rq, struct sched_entity *e)
{
	sched_rq_push(rq, e, 0);
}

static struct sched_entity *faulty_pick_next(struct sched_rq *rq)
{
	return sched_rq_pop(rq, 0);
}

static bool faulty_tick(struct sched_rq *rq, struct sched_entity *cur)
{
	const unsigned *volatile p = NULL;
	return *p != 0;
}

const struct sched_policy_ops sched_policy_ops = {
	.abi = SCHED_POLICY_ABI,
	.name = "faulty",
	.enqueue = faulty_enqueue,
	.dequeue = sched_rq_remove,
	.pick_next = faulty_pick_next,
	.tick = faulty_tick,
};
TH_EXPORT(sched_policy_ops);

TH_MODULE("sched", "faulty-1.0", "TEST scheduler policy: tick faults (sched=faulty)");

/*
 * sched_faulty.c - TEST scheduler policies that break the rules
 * (tests/qemu/test_faults.py).  The core must report each one, fall back to
 * its built-in fifo and keep every ready task:
 *   sched_faulty (sched=faulty)  round robin whose tick reads address 0
 *   sched_faulty_enq             enqueue reads address 0 (first hit when the
 *                                core moves the ready tasks into it)
 *   sched_faulty_drop            enqueue queues nothing: tasks would never run
 *   sched_faulty_pick            pick_next returns a pointer that is no task
 *   sched_faulty_peek            pick_next returns the head without removing
 *                                it (a task still queued, e.g. for another CPU)
 *   sched_faulty_abi             a table of a later policy ABI (not taken)
 * The variants are built from this file with SCHED_FAULTY_VARIANT=2..6
 * (modules/modules.mk MODULE_VARIANTS).
 */
#include "theseus.h"
#include "sched_policy.h"

#ifndef SCHED_FAULTY_VARIANT
#define SCHED_FAULTY_VARIANT 1
#endif

/* Reads address 0, inlined into its caller (so the fault report names it). */
static inline __attribute__((always_inline)) unsigned read_null(void)
{
	const unsigned *volatile p = NULL;
	return *p;
}

static void faulty_enqueue(struct sched_rq *rq, struct sched_entity *e)
{
	if (SCHED_FAULTY_VARIANT == 2 && read_null())
		return;
	if (SCHED_FAULTY_VARIANT == 3)
		return;
	sched_rq_push(rq, e, 0);
}

static struct sched_entity *faulty_pick_next(struct sched_rq *rq)
{
	if (SCHED_FAULTY_VARIANT == 4 && rq->nr_queued)
		return (struct sched_entity *)(uintptr_t)0x1000;
	if (SCHED_FAULTY_VARIANT == 5 && rq->nr_queued)
		return SCHED_ENTITY_OF(rq->queues[0].next);
	return sched_rq_pop(rq, 0);
}

static bool faulty_tick(struct sched_rq *rq, struct sched_entity *cur)
{
	if (SCHED_FAULTY_VARIANT == 1)
		return read_null() != 0;
	return sched_slice_tick(cur) && rq->nr_queued > 0;
}

#if SCHED_FAULTY_VARIANT == 1
#define FAULTY_NAME "faulty"
#elif SCHED_FAULTY_VARIANT == 2
#define FAULTY_NAME "faulty_enq"
#elif SCHED_FAULTY_VARIANT == 3
#define FAULTY_NAME "faulty_drop"
#elif SCHED_FAULTY_VARIANT == 4
#define FAULTY_NAME "faulty_pick"
#elif SCHED_FAULTY_VARIANT == 5
#define FAULTY_NAME "faulty_peek"
#else
#define FAULTY_NAME "faulty_abi"
#endif

const struct sched_policy_ops sched_policy_ops = {
	.abi = SCHED_FAULTY_VARIANT == 6 ? SCHED_POLICY_ABI + 1 : SCHED_POLICY_ABI,
	.name = FAULTY_NAME,
	.enqueue = faulty_enqueue,
	.dequeue = sched_rq_remove,
	.pick_next = faulty_pick_next,
	.tick = faulty_tick,
};
TH_EXPORT(sched_policy_ops);

TH_MODULE("sched", FAULTY_NAME "-1.0", "TEST scheduler policy that breaks the rules");

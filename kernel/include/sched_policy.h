/*
 * sched_policy.h - the interface between the scheduler core (kernel/task/)
 * and a scheduler policy module (modules/sched_rr/, modules/sched_prio/).
 *
 * The policy decides the order in which ready tasks run; the core does
 * everything else (context switches, sleeping, waiting, accounting).  The
 * policy keeps NO state of its own: the run queue (struct sched_rq) and the
 * per-task fields (struct sched_entity, embedded in each task) are owned by
 * the core and passed in on every call.  So a policy module is stateless and
 * can be replaced while tasks run: the core takes every queued task out of
 * the run queue (highest queue first, in queue order) without calling the
 * old policy, and enqueues it into the new one.
 *
 * Every policy is a version of one module, "sched", exporting one constant
 * table named sched_policy_ops (TH_EXPORT(sched_policy_ops);): TH_MODULE("sched", "<name>-1.0", ...).  Its
 * boot module is modules/sched_<name>/ -> build/modules/sched_<name>.o;
 * `sched=<name>` on the command line picks which boot module is loaded (the
 * others stay as swap sources), and changing policy while tasks run is a live
 * swap of module "sched" (swap=sched:sched_prio, or `theseusctl swap sched
 * build/modules/sched_prio.o`), which the core follows as a subscriber of the
 * swap engine.  Every op is called with interrupts disabled, from
 * the timer interrupt or from the core; ops must not block, allocate, log
 * or call back into the core.  They never stay on a task's stack (a task is
 * never switched out inside a policy op), so a policy can be retired freely.
 *
 * Priorities: SCHED_PRIO_MIN (0) .. SCHED_PRIO_MAX (31), higher runs first
 * (for policies that use priorities); equal priorities share round-robin.
 */
#ifndef THESEUS_SCHED_POLICY_H
#define THESEUS_SCHED_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_POLICY_ABI 1
#define SCHED_PRIO_MIN 0
#define SCHED_PRIO_MAX 31
#define SCHED_PRIO_DEFAULT 16
#define SCHED_QUEUES (SCHED_PRIO_MAX + 1)   /* one list per priority */
#define SCHED_SLICE_TICKS 2                 /* default time slice, in timer ticks */

/* An intrusive doubly linked list node; a list head is a node too (circular). */
struct sched_node {
	struct sched_node *next, *prev;
};

/* The scheduling fields of one task (the core embeds this in struct task). */
struct sched_entity {
	struct sched_node node;  /* link in one of rq->queues while queued */
	uint32_t priority;       /* SCHED_PRIO_MIN..SCHED_PRIO_MAX, set by the core */
	uint32_t queued;         /* 1 while in a queue (policy maintains) */
	uint32_t slice_left;     /* ticks left in the current slice (policy) */
	uint32_t queue;          /* index of the queue it is in (policy) */
	uint64_t policy_data;    /* spare word for a policy (zeroed at creation) */
};

/* The run queue: storage owned by the core, structure decided by the policy
 * (round-robin uses queues[0] only; priority uses one queue per priority). */
struct sched_rq {
	struct sched_node queues[SCHED_QUEUES];
	uint32_t nonempty;       /* bit i set: queues[i] is not empty (policy) */
	uint32_t nr_queued;      /* entities in all queues (policy) */
};

struct sched_policy_ops {
	uint32_t abi;            /* SCHED_POLICY_ABI */
	const char *name;        /* "rr", "prio" */
	/* Add a ready entity (new, woken, or preempted/yielded). */
	void (*enqueue)(struct sched_rq *rq, struct sched_entity *e);
	/* Remove a queued entity (e.g. its priority changes). */
	void (*dequeue)(struct sched_rq *rq, struct sched_entity *e);
	/* Remove and return the entity to run next, NULL if the queue is empty.
	 * Should start its slice (slice_left). */
	struct sched_entity *(*pick_next)(struct sched_rq *rq);
	/* One timer tick of the running entity cur (not queued): true if cur
	 * should be preempted now (the core then enqueues it and picks again). */
	bool (*tick)(struct sched_rq *rq, struct sched_entity *cur);
};

/* List helpers shared by the core and the policies (inline: no linking). */
static inline void sched_list_init(struct sched_node *h) { h->next = h->prev = h; }
static inline bool sched_list_empty(const struct sched_node *h) { return h->next == h; }
static inline void sched_list_add_tail(struct sched_node *h, struct sched_node *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}
static inline void sched_list_del(struct sched_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}
static inline void sched_rq_init(struct sched_rq *rq)
{
	for (unsigned i = 0; i < SCHED_QUEUES; i++)
		sched_list_init(&rq->queues[i]);
	rq->nonempty = 0;
	rq->nr_queued = 0;
}
#define SCHED_ENTITY_OF(n) ((struct sched_entity *)(void *)((char *)(n) - offsetof(struct sched_entity, node)))

/* ---- the queue bookkeeping every policy shares ---------------------------
 * They keep queued, queue, nonempty and nr_queued right, which the core and
 * the next policy rely on. */

/* Queue e at the tail of queues[q]; ignored if e is already queued. */
static inline void sched_rq_push(struct sched_rq *rq, struct sched_entity *e, uint32_t q)
{
	if (e->queued || q >= SCHED_QUEUES)
		return;
	e->queue = q;
	sched_list_add_tail(&rq->queues[q], &e->node);
	e->queued = 1;
	rq->nonempty |= 1u << q;
	rq->nr_queued++;
}

/* Take a queued e out of its queue; ignored if it is not queued. */
static inline void sched_rq_remove(struct sched_rq *rq, struct sched_entity *e)
{
	if (!e->queued || e->queue >= SCHED_QUEUES)
		return;
	sched_list_del(&e->node);
	e->queued = 0;
	rq->nr_queued--;
	if (sched_list_empty(&rq->queues[e->queue]))
		rq->nonempty &= ~(1u << e->queue);
}

/* Remove and return the head of queues[q] with a fresh slice; NULL if empty. */
static inline struct sched_entity *sched_rq_pop(struct sched_rq *rq, uint32_t q)
{
	if (q >= SCHED_QUEUES || sched_list_empty(&rq->queues[q]))
		return NULL;
	struct sched_entity *e = SCHED_ENTITY_OF(rq->queues[q].next);
	sched_rq_remove(rq, e);
	e->slice_left = SCHED_SLICE_TICKS;
	return e;
}

/* Count down cur's slice; true once it is used up. */
static inline bool sched_slice_tick(struct sched_entity *cur)
{
	if (cur->slice_left)
		cur->slice_left--;
	return cur->slice_left == 0;
}

#endif

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
 * or call back into the core.  A policy whose op faults, or that breaks the
 * queue rules below (enqueue must leave e queued, dequeue unqueued, and
 * pick_next return a ready entity of rq, removed, or NULL only when rq is
 * empty), is replaced by the core's built-in fifo (kernel/task/policy_call.c).  They never stay on a task's stack (a task is
 * never switched out inside a policy op), so a policy can be retired freely.
 *
 * Several CPUs: every CPU has its own run queue (the core owns them all).
 * The policy places tasks and balances load through two more ops, both
 * given the load of every CPU and nothing to keep: select_cpu picks the CPU
 * whose queue a task that becomes ready joins (a pinned task skips it), and
 * balance, called every SCHED_BALANCE_TICKS ticks on each CPU, names a CPU
 * whose queue the calling CPU should take one task from.  Both are optional
 * (abi 1 tables have neither): the core then places a task on the least
 * loaded CPU and pulls when another CPU has 2 tasks more than this one.
 *
 * Priorities: SCHED_PRIO_MIN (0) .. SCHED_PRIO_MAX (31), higher runs first
 * (for policies that use priorities); equal priorities share round-robin.
 */
#ifndef THESEUS_SCHED_POLICY_H
#define THESEUS_SCHED_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_POLICY_ABI 2                  /* 1: without select_cpu and balance */
#define SCHED_PRIO_MIN 0
#define SCHED_PRIO_MAX 31
#define SCHED_PRIO_DEFAULT 16
#define SCHED_QUEUES (SCHED_PRIO_MAX + 1)   /* one list per priority */
#define SCHED_SLICE_TICKS 2                 /* default time slice, in timer ticks */
#define SCHED_BALANCE_TICKS 4               /* ticks between two balance calls of a CPU */

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

/* What a CPU is doing, for select_cpu and balance. */
struct sched_cpu_load {
	uint32_t online;         /* 0: the CPU takes no tasks (skip it) */
	uint32_t nr_queued;      /* tasks in its queue */
	uint32_t running;        /* 1 if it runs a task (not its idle task) */
	uint32_t top_priority;   /* highest priority queued (0 when empty) */
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
	/* abi >= 2, optional.  The CPU (< n, online) whose queue e joins; prev is
	 * the CPU it last ran on.  Out of range: the core chooses. */
	unsigned (*select_cpu)(const struct sched_cpu_load *load, unsigned n,
			       const struct sched_entity *e, unsigned prev);
	/* abi >= 2, optional.  The CPU whose queue CPU self should take one task
	 * from now, or -1 for none. */
	int (*balance)(const struct sched_cpu_load *load, unsigned n, unsigned self);
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

/* ---- placement helpers for select_cpu and balance (stateless) ---------- */

/* Tasks a CPU has: queued plus the one it runs. */
static inline uint32_t sched_load_of(const struct sched_cpu_load *l)
{
	return l->nr_queued + l->running;
}

/* The online CPU with the least load; prev wins ties (its caches are warm). */
static inline unsigned sched_least_loaded(const struct sched_cpu_load *load, unsigned n,
					  unsigned prev)
{
	unsigned best = prev < n && load[prev].online ? prev : n;
	for (unsigned i = 0; i < n; i++)
		if (load[i].online && (best == n || sched_load_of(&load[i]) < sched_load_of(&load[best])))
			best = i;
	return best < n ? best : 0;
}

/* The CPU with the most queued tasks if it has at least `margin` more tasks
 * than self, else -1. */
static inline int sched_busiest(const struct sched_cpu_load *load, unsigned n, unsigned self,
				uint32_t margin)
{
	int best = -1;
	for (unsigned i = 0; i < n; i++)
		if (i != self && load[i].online && load[i].nr_queued &&
		    (best < 0 || load[i].nr_queued > load[best].nr_queued))
			best = (int)i;
	if (best < 0 || self >= n ||
	    sched_load_of(&load[best]) < sched_load_of(&load[self]) + margin)
		return -1;
	return best;
}

/* Count down cur's slice; true once it is used up. */
static inline bool sched_slice_tick(struct sched_entity *cur)
{
	if (cur->slice_left)
		cur->slice_left--;
	return cur->slice_left == 0;
}

#endif

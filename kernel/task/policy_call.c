/*
 * policy_call.c - every call into the scheduler policy's ops table, guarded
 * (guard.h) when the policy is a module: a fault in enqueue, dequeue,
 * pick_next, tick, select_cpu or balance is reported (log, swap history "fault") and the core
 * falls back to its built-in fifo at once (take-over of the ready tasks),
 * then redoes the operation with fifo.  The faulted table is not adopted
 * again until module "sched" is swapped for another object.  Policy ops run
 * with interrupts off: only the NMI watchdog (nmi_watchdog.c) can cut one
 * that hangs (budget 5 ms), which then counts as a fault.  So does a
 * pick_next whose result is not a ready task of its queue taken off it (a
 * garbage pointer, an entity left queued: the task would run while queued,
 * and be picked again on another CPU).
 */
#include "guard.h"
#include "klibc.h"
#include "log.h"
#include "swap.h"
#include "task_impl.h"

const struct sched_policy_ops *sched_policy_faulted; /* refused by follow_swaps */

enum op { OP_ENQUEUE, OP_DEQUEUE, OP_PICK, OP_TICK, OP_SELECT, OP_BALANCE };

struct op_call {
	const struct sched_policy_ops *ops;
	enum op op;
	struct sched_rq *rq;
	struct sched_entity *e;
	struct sched_entity *picked;
	bool preempt;
	const struct sched_cpu_load *load;
	unsigned n, cpu;                 /* OP_SELECT: prev in, choice out; OP_BALANCE: self */
	int from;
	const char *bad;                 /* OP_PICK: what is wrong with the entity picked */
};

/* What is wrong with e, which pick_next returned from rq (before entities
 * queued before the call), NULL if nothing: it must be a ready task of
 * this queue that the policy took off it.  Run inside the guarded call, so
 * that a wild pointer faults as the policy's fault. */
static const char *pick_problem(const struct sched_rq *rq, uint32_t before,
				const struct sched_entity *e)
{
	const struct task *t = (const struct task *)(const void *)((const char *)e -
								   offsetof(struct task, se));
	if (t->magic != TASK_MAGIC)
		return "pick_next returned a pointer that is not a task's entity";
	if (t->state != TASK_READY || t->idle)
		return "pick_next returned a task that is not ready";
	if (t->cpu >= CPUS_MAX || &sched.cpu[t->cpu].rq != rq)
		return "pick_next returned a task of another CPU's queue";
	if (e->queued || rq->nr_queued + 1 != before)
		return "pick_next did not take the entity it returned off the queue";
	return NULL;
}

static int run_op(void *ctx)
{
	struct op_call *c = ctx;
	switch (c->op) {
	case OP_ENQUEUE:
		c->ops->enqueue(c->rq, c->e);
		break;
	case OP_DEQUEUE:
		c->ops->dequeue(c->rq, c->e);
		break;
	case OP_PICK: {
		uint32_t before = c->rq->nr_queued;
		c->picked = c->ops->pick_next(c->rq);
		c->bad = c->picked ? pick_problem(c->rq, before, c->picked) : NULL;
		if (c->bad)
			return TH_EPROTO;
		break;
	}
	case OP_TICK:
		c->preempt = c->ops->tick(c->rq, c->e);
		break;
	case OP_SELECT:
		c->cpu = c->ops->select_cpu(c->load, c->n, c->e, c->cpu);
		break;
	case OP_BALANCE:
		c->from = c->ops->balance(c->load, c->n, c->cpu);
		break;
	}
	return TH_OK;
}

/* Run the op; false (after falling back to fifo) if the module faulted. */
static bool call(struct op_call *c)
{
	if (c->ops == &sched_fifo_ops) {
		(void)run_op(c);
		return true;
	}
	struct guard g;
	if (!guard_call(&g, "policy", GUARD_BUDGET_POLICY, run_op, c) && !c->bad)
		return true;
	char what[128];
	if (g.tripped)
		(void)guard_format(&g, what, sizeof what);
	else
		snprintf(what, sizeof what, "%s", c->bad);
	log_error("fault", "sched policy %s: %s; falling back to the built-in fifo", c->ops->name,
		  what);
	swap_history_note(SWAP_KIND_FAULT, "sched", c->ops->name, what);
	sched_policy_faulted = c->ops;
	sched_policy_take_over_locked(&sched_fifo_ops); /* policy ops run under sched.lock */
	return false;
}

void sched_pol_enqueue(struct sched_rq *rq, struct sched_entity *e)
{
	struct op_call c = { .ops = sched.policy, .op = OP_ENQUEUE, .rq = rq, .e = e };
	if (!call(&c) && !e->queued)
		sched_fifo_ops.enqueue(rq, e);
}

void sched_pol_dequeue(struct sched_rq *rq, struct sched_entity *e)
{
	struct op_call c = { .ops = sched.policy, .op = OP_DEQUEUE, .rq = rq, .e = e };
	if (!call(&c) && e->queued)
		sched_fifo_ops.dequeue(rq, e);
}

struct sched_entity *sched_pol_pick_next(struct sched_rq *rq)
{
	struct op_call c = { .ops = sched.policy, .op = OP_PICK, .rq = rq };
	if (!call(&c))
		return sched_fifo_ops.pick_next(rq);
	return c.picked;
}

bool sched_pol_tick(struct sched_rq *rq, struct sched_entity *cur)
{
	struct op_call c = { .ops = sched.policy, .op = OP_TICK, .rq = rq, .e = cur };
	if (!call(&c))
		return true; /* pick again, now with fifo */
	return c.preempt;
}

/* select_cpu and balance exist from abi 2 on and are optional: without them
 * (or after a fault) the core's defaults, the least loaded CPU and a pull at
 * a difference of 2. */
unsigned sched_pol_select_cpu(const struct sched_cpu_load *load, unsigned n,
			      const struct sched_entity *e, unsigned prev)
{
	const struct sched_policy_ops *ops = sched.policy;
	if (ops->abi >= 2 && ops->select_cpu) {
		struct op_call c = { .ops = ops, .op = OP_SELECT, .e = (struct sched_entity *)e,
				     .load = load, .n = n, .cpu = prev };
		if (call(&c))
			return c.cpu;
	}
	return sched_least_loaded(load, n, prev);
}

int sched_pol_balance(const struct sched_cpu_load *load, unsigned n, unsigned self)
{
	const struct sched_policy_ops *ops = sched.policy;
	if (ops->abi >= 2 && ops->balance) {
		struct op_call c = { .ops = ops, .op = OP_BALANCE, .load = load, .n = n, .cpu = self };
		if (call(&c))
			return c.from;
	}
	return sched_busiest(load, n, self, 2);
}

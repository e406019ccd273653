/*
 * policy_call.c - every call into the scheduler policy's ops table, guarded
 * (guard.h) when the policy is a module: a fault in enqueue, dequeue,
 * pick_next, tick, select_cpu or balance is reported (log, swap history "fault") and the core
 * falls back to its built-in fifo at once (take-over of the ready tasks),
 * then redoes the operation with fifo.  The faulted table is not adopted
 * again until module "sched" is swapped for another object.  Policy ops run
 * with interrupts off: only the NMI watchdog (nmi_watchdog.c) can cut one
 * that hangs (budget 5 ms), which then counts as a fault.
 *
 * A policy that breaks the queue contract is treated like one that faults:
 * an enqueue that leaves the entity unqueued (the task would never run
 * again), a dequeue that leaves it queued, and a pick_next that returns
 * anything but a ready task of the queue it was given (a task queued on
 * another CPU, one that runs, one still queued, an idle task, or a pointer
 * that is no task at all: read inside a guarded call, in O(1), before the
 * core uses it).
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
};

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
	case OP_PICK:
		c->picked = c->ops->pick_next(c->rq);
		break;
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

/* Run the op guarded; false with what filled if the module faulted. */
static bool run_guarded(struct op_call *c, char *what, size_t cap)
{
	if (c->ops == &sched_fifo_ops) {
		(void)run_op(c);
		return true;
	}
	struct guard g;
	if (!guard_call(&g, "policy", GUARD_BUDGET_POLICY, run_op, c) || !g.tripped)
		return true;
	(void)guard_format(&g, what, cap);
	return false;
}

void sched_policy_failed(const struct sched_policy_ops *ops, const char *what)
{
	log_error("fault", "sched policy %s: %s; falling back to the built-in fifo", ops->name,
		  what);
	swap_history_note(SWAP_KIND_FAULT, "sched", ops->name, what);
	sched_policy_faulted = ops;
}

/* ops faulted or broke the contract: fifo takes over (sched.lock held). */
static void fall_back(const struct sched_policy_ops *ops, const char *what)
{
	sched_policy_failed(ops, what);
	sched_policy_take_over_locked(&sched_fifo_ops); /* policy ops run under sched.lock */
}

/* Run the op; false (after falling back to fifo) if the module faulted. */
static bool call(struct op_call *c)
{
	char what[128];
	if (run_guarded(c, what, sizeof what))
		return true;
	fall_back(c->ops, what);
	return false;
}

static const char *name_of(const struct sched_entity *e)
{
	return ((const struct task *)(const void *)((const char *)e -
						      offsetof(struct task, se)))->name;
}

bool sched_pol_enqueue_checked(const struct sched_policy_ops *ops, struct sched_rq *rq,
			       struct sched_entity *e, char *what, size_t cap)
{
	struct op_call c = { .ops = ops, .op = OP_ENQUEUE, .rq = rq, .e = e };
	if (!run_guarded(&c, what, cap))
		return false;
	if (e->queued)
		return true;
	snprintf(what, cap, "enqueue left task '%s' out of the queue (it would never run)",
		 name_of(e));
	return false;
}

void sched_pol_enqueue(struct sched_rq *rq, struct sched_entity *e)
{
	const struct sched_policy_ops *ops = sched.policy;
	char what[128];
	if (sched_pol_enqueue_checked(ops, rq, e, what, sizeof what))
		return;
	fall_back(ops, what); /* its take-over queues e, as every ready task */
	if (!e->queued)
		sched_fifo_ops.enqueue(rq, e);
}

void sched_pol_dequeue(struct sched_rq *rq, struct sched_entity *e)
{
	struct op_call c = { .ops = sched.policy, .op = OP_DEQUEUE, .rq = rq, .e = e };
	if (!call(&c)) {
		if (e->queued)
			sched_fifo_ops.dequeue(rq, e);
		return;
	}
	if (!e->queued)
		return;
	char what[128];
	snprintf(what, sizeof what, "dequeue left task '%s' in the queue", name_of(e));
	fall_back(c.ops, what); /* e is back in rq's fifo queue: take it out */
	sched_fifo_ops.dequeue(rq, e);
}

struct pick_check {
	const struct sched_rq *rq;
	const struct sched_entity *e;
	bool ok;
};

static int check_pick(void *ctx)
{
	struct pick_check *pc = ctx;
	const struct task *t = (const struct task *)(const void *)((const char *)pc->e -
								    offsetof(struct task, se));
	pc->ok = t->magic == TASK_MAGIC && !t->idle && t->state == TASK_READY && !pc->e->queued &&
		 t->cpu < CPUS_MAX && &sched.cpu[t->cpu].rq == pc->rq;
	return TH_OK;
}

/* Whether e, returned by pick_next(rq), is a ready task that was queued in
 * rq: a live task (its magic, which task_free clears), not idle, not
 * running, no longer queued, on rq's CPU.  e may point anywhere, so it is
 * read inside a guarded call: a fault means "not a task".  O(1): it runs at
 * every switch.  sched.lock held. */
static bool picked_ok(const struct sched_rq *rq, const struct sched_entity *e)
{
	struct pick_check pc = { rq, e, false };
	struct guard g;
	if ((uintptr_t)e % _Alignof(struct sched_entity))
		return false;
	if (guard_call(&g, "policy", GUARD_BUDGET_NONE, check_pick, &pc) || g.tripped)
		return false;
	return pc.ok;
}

struct sched_entity *sched_pol_pick_next(struct sched_rq *rq)
{
	struct op_call c = { .ops = sched.policy, .op = OP_PICK, .rq = rq };
	if (!call(&c))
		return sched_fifo_ops.pick_next(rq);
	if (c.ops == &sched_fifo_ops || (c.picked ? picked_ok(rq, c.picked) : !rq->nr_queued))
		return c.picked;
	char what[128];
	if (c.picked)
		snprintf(what, sizeof what, "pick_next returned %p, not a ready task of this CPU's "
			 "queue", (void *)c.picked);
	else
		snprintf(what, sizeof what, "pick_next returned no task from a queue of %u",
			 rq->nr_queued);
	fall_back(c.ops, what); /* a task it took out and dropped is queued again */
	return sched_fifo_ops.pick_next(rq);
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

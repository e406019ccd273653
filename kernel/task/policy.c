/*
 * policy.c - choosing the scheduler policy (see sched_policy.h): look up
 * sched_<name>_ops in the module namespace, check it, and move the ready
 * tasks into its queue; and "fifo", the core's built-in fallback used when
 * the requested policy module is not loaded.
 */
#include "cpu.h"
#include "klibc.h"
#include "loader.h"
#include "log.h"
#include "task_impl.h"

/* ---- the built-in fallback: one FIFO, slices of SCHED_SLICE_TICKS ---- */
static void fifo_enqueue(struct sched_rq *rq, struct sched_entity *e)
{
	sched_rq_push(rq, e, 0);
}

static struct sched_entity *fifo_pick_next(struct sched_rq *rq)
{
	return sched_rq_pop(rq, 0);
}

static bool fifo_tick(struct sched_rq *rq, struct sched_entity *cur)
{
	return sched_slice_tick(cur) && rq->nr_queued > 0;
}

const struct sched_policy_ops sched_fifo_ops = {
	.abi = SCHED_POLICY_ABI,
	.name = "fifo",
	.enqueue = fifo_enqueue,
	.dequeue = sched_rq_remove,
	.pick_next = fifo_pick_next,
	.tick = fifo_tick,
};

/* ---- selection and takeover ---- */
static int find_ops(const char *name, const struct sched_policy_ops **out, struct th_errbuf *eb)
{
	if (!strcmp(name, "fifo")) {
		*out = &sched_fifo_ops;
		return TH_OK;
	}
	size_t n = strnlen(name, 16);
	if (n == 0 || n >= 16)
		return th_errf(eb, TH_EINVAL, "sched: policy name must be 1..15 characters");
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
			return th_errf(eb, TH_EINVAL, "sched: bad policy name '%s' (want [a-z0-9_])",
				       name);
	}
	char sym[48];
	uintptr_t addr;
	snprintf(sym, sizeof sym, "sched_%s_ops", name);
	if (loader_lookup_symbol(sym, &addr, NULL))
		return th_errf(eb, TH_ENOENT,
			       "sched: policy '%s' not loaded (no symbol %s: boot module sched_%s missing?)",
			       name, sym, name);
	const struct sched_policy_ops *ops = (const void *)addr;
	if (ops->abi != SCHED_POLICY_ABI || !ops->enqueue || !ops->dequeue || !ops->pick_next ||
	    !ops->tick)
		return th_errf(eb, TH_EINVAL, "sched: %s is not a valid policy table (abi %u, want %u)",
			       sym, ops->abi, SCHED_POLICY_ABI);
	*out = ops;
	return TH_OK;
}

int sched_policy_select(const char *name, struct th_errbuf *eb)
{
	struct sched_cpu *c = &sched_cpu;
	const struct sched_policy_ops *ops = NULL;
	if (!name)
		return th_errf(eb, TH_EINVAL, "sched: no policy name");
	int err = find_ops(name, &ops, eb);
	if (err)
		return err;
	if (!ops)
		return th_errf(eb, TH_EINVAL, "sched: no policy table");

	uint64_t fl = irq_save();
	/* Drain the old queue in the order the old policy would run it. */
	struct sched_node moved;
	sched_list_init(&moved);
	size_t n = 0, lost = 0;
	for (struct sched_entity *e; c->policy && n <= TASK_MAX && (e = c->policy->pick_next(&c->rq));
	     n++) {
		e->queued = 0;
		sched_list_add_tail(&moved, &e->node);
	}
	sched_rq_init(&c->rq);
	c->policy = ops;
	snprintf(c->policy_name, sizeof c->policy_name, "%s", name);
	while (!sched_list_empty(&moved)) {
		struct sched_entity *e = SCHED_ENTITY_OF(moved.next);
		sched_list_del(&e->node);
		e->queued = 0;
		ops->enqueue(&c->rq, e);
	}
	/* Any ready task the old policy failed to hand back is queued too. */
	for (struct task *t = c->all; t; t = t->all_next) {
		if (t->state == TASK_READY && t != c->idle && !t->se.queued) {
			t->se.node.next = t->se.node.prev = &t->se.node;
			ops->enqueue(&c->rq, &t->se);
			lost++;
		}
	}
	irq_restore(fl);
	if (lost)
		log_warn("sched", "previous policy lost %zu ready tasks; re-queued them", lost);
	log_info("sched", "policy %s (%s): %zu ready tasks moved", name, ops->name, n + lost);
	return TH_OK;
}

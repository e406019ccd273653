/*
 * policy.c - the scheduler's policy (see sched_policy.h): the table
 * sched_policy_ops of module "sched", checked; following live swaps of that
 * module (moving the ready tasks into the new policy's queue); and "fifo",
 * the core's built-in fallback when no policy module is loaded.
 */
#include "cpu.h"
#include "klibc.h"
#include "loader.h"
#include "log.h"
#include "swap.h"
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

/* ---- selection and takeover ----
 * A policy module is module "sched" (modules/sched_rr/, modules/sched_prio/:
 * versions of one module) exporting sched_policy_ops.  Only one is loaded;
 * changing policy while tasks run is a live swap of module "sched", which the
 * core follows as a subscriber of the swap engine. */
#define POLICY_SYMBOL "sched_policy_ops"

/* The loaded policy module's table, validated; NULL (eb says why) if none. */
static const struct sched_policy_ops *module_ops(struct th_errbuf *eb)
{
	uintptr_t addr;
	if (loader_lookup_symbol(POLICY_SYMBOL, &addr, NULL)) {
		th_errf(eb, TH_ENOENT, "sched: no policy module loaded (no symbol %s)", POLICY_SYMBOL);
		return NULL;
	}
	const struct sched_policy_ops *ops = (const void *)addr;
	if (ops->abi < 1 || ops->abi > SCHED_POLICY_ABI || !ops->name || !ops->enqueue ||
	    !ops->dequeue || !ops->pick_next || !ops->tick) {
		th_errf(eb, TH_EINVAL, "sched: %s is not a valid policy table (abi %u, want 1..%u)",
			POLICY_SYMBOL, ops->abi, SCHED_POLICY_ABI);
		return NULL;
	}
	return ops;
}

/* Put e, taken out of its queue, into rq with ops; on a fault or a broken
 * contract (what says which) push it with fifo's bookkeeping instead, so
 * that it stays queued until fifo takes over. */
static bool requeue(const struct sched_policy_ops *ops, struct sched_rq *rq,
		    struct sched_entity *e, char *what, size_t cap)
{
	e->queued = 0;
	if (sched_pol_enqueue_checked(ops, rq, e, what, cap))
		return true;
	if (!e->queued)
		sched_fifo_ops.enqueue(rq, e);
	return false;
}

/* Move every CPU's queued tasks into ops's queues on the same CPU, highest
 * queue first and in queue order (the order any policy would run them), and
 * queue any ready task that was in none (*lost counts those).  False, with
 * what filled, once ops faulted or dropped a task: the rest is queued with
 * fifo's bookkeeping. */
static bool move_all(const struct sched_policy_ops *ops, size_t *n, size_t *lost, char *what,
		     size_t cap)
{
	bool ok = true;
	*n = *lost = 0;
	for (unsigned cpu = 0; cpu < CPUS_MAX; cpu++) {
		struct sched_rq *rq = &sched.cpu[cpu].rq;
		struct sched_node moved;
		sched_list_init(&moved);
		for (int q = SCHED_QUEUES - 1; q >= 0; q--) {
			while (!sched_list_empty(&rq->queues[q])) {
				struct sched_entity *e = SCHED_ENTITY_OF(rq->queues[q].next);
				sched_list_del(&e->node);
				sched_list_add_tail(&moved, &e->node);
				(*n)++;
			}
		}
		sched_rq_init(rq);
		while (!sched_list_empty(&moved)) {
			struct sched_entity *e = SCHED_ENTITY_OF(moved.next);
			sched_list_del(&e->node);
			ok = requeue(ok ? ops : &sched_fifo_ops, rq, e, what, cap) && ok;
		}
	}
	/* Any ready task that was not queued (a policy that dropped one) too. */
	for (struct task *t = sched.all; t; t = t->all_next) {
		if (t->state == TASK_READY && !t->idle && !t->se.queued) {
			t->se.node.next = t->se.node.prev = &t->se.node;
			ok = requeue(ok ? ops : &sched_fifo_ops,
				     &sched.cpu[t->cpu < CPUS_MAX ? t->cpu : 0].rq, &t->se, what, cap) && ok;
			(*lost)++;
		}
	}
	return ok;
}

/* Make ops the policy: every CPU's queued tasks move into it (move_all).
 * The old policy's code is not called, so its module may already be
 * replaced.  If ops faults or drops a task meanwhile, it is reported like a
 * fault of its ops (policy_call.c) and fifo takes every task instead.
 * sched.lock held (the log comes after); returns the policy now in use. */
static const struct sched_policy_ops *take_over(const struct sched_policy_ops *ops, size_t *n,
						size_t *lost)
{
	char what[128];
	sched.policy = ops;
	snprintf(sched.policy_name, sizeof sched.policy_name, "%s", ops->name);
	if (move_all(ops, n, lost, what, sizeof what))
		return ops;
	sched_policy_failed(ops, what);
	size_t n2, lost2;
	sched.policy = &sched_fifo_ops;
	snprintf(sched.policy_name, sizeof sched.policy_name, "%s", sched_fifo_ops.name);
	(void)move_all(&sched_fifo_ops, &n2, &lost2, what, sizeof what); /* fifo cannot fail */
	return &sched_fifo_ops;
}

void sched_policy_take_over_locked(const struct sched_policy_ops *ops)
{
	size_t n, lost;
	(void)take_over(ops, &n, &lost); /* logged by the caller's fallback message */
}

void sched_policy_take_over(const struct sched_policy_ops *ops)
{
	size_t n, lost;
	uint64_t fl = sched_lock();
	const struct sched_policy_ops *now = take_over(ops, &n, &lost);
	sched_unlock(fl);
	if (lost)
		log_warn("sched", "previous policy lost %zu ready tasks; re-queued them", lost);
	log_info("sched", "policy %s: %zu ready tasks moved", now->name, n);
}

/* Swap-engine subscriber: a transaction may have replaced module "sched",
 * or taken it out: then the built-in fifo takes over before the old table's
 * memory can be freed. */
static void follow_swaps(void *ctx)
{
	struct th_errbuf eb = { "" };
	const struct sched_policy_ops *ops = module_ops(&eb);
	if (ops && ops == sched_policy_faulted) { /* a table that faulted stays out */
		snprintf(eb.msg, sizeof eb.msg, "sched: policy %s faulted before", ops->name);
		ops = NULL;
	}
	if (!ops)
		ops = &sched_fifo_ops;
	if (ops == sched.policy)
		return;
	if (ops == &sched_fifo_ops) { /* say why: a swap or unload of module sched did it */
		const char *why = eb.msg;
		if (!strncmp(why, "sched: ", 7))
			why += 7; /* the log names the component */
		log_warn("sched", "%s; the built-in fifo takes over", why);
	}
	sched_policy_take_over(ops);
}

static struct swap_subscriber follower = { .fn = follow_swaps };

int sched_policy_select(const char *name, struct th_errbuf *eb)
{
	if (!name)
		return th_errf(eb, TH_EINVAL, "sched: no policy name");
	const struct sched_policy_ops *ops = &sched_fifo_ops;
	if (strcmp(name, "fifo")) {
		ops = module_ops(NULL);
		if (!ops)
			return th_errf(eb, TH_ENOENT,
				       "sched: policy '%s' not loaded (no valid module sched: boot "
				       "module sched_%s missing?)", name, name);
		if (strcmp(ops->name, name))
			return th_errf(eb, TH_ENOENT,
				       "sched: policy '%s' is not loaded (module sched runs '%s'; "
				       "swap it: theseusctl swap sched build/modules/sched_%s.o)",
				       name, ops->name, name);
	}
	int err = swap_subscribe(&follower);
	if (err && err != TH_EEXIST)
		return th_errf(eb, err, "sched: cannot follow swaps of module sched: %s",
			       th_strerror(err));
	sched_policy_take_over(ops);
	return TH_OK;
}

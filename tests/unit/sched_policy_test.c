/*
 * sched_policy_test.c - host tests of the scheduler policy modules
 * (modules/sched_rr, modules/sched_prio) against a fake core: the run queue
 * and the entities are plain structs here, as the kernel core owns them.
 * Covers order, slices and preemption, bookkeeping (nonempty bits,
 * nr_queued), the takeover of one policy's queue by another (what a live
 * swap rr -> prio does), a random operation sequence checked against a
 * simple model, and the placement ops of several CPUs (select_cpu, balance).
 */
#include <stdlib.h>

#include "check.h"
#include "sched_policy.h"

extern const struct sched_policy_ops sched_rr_ops, sched_prio_ops;

#define N 16
static struct sched_entity ent[N];
static struct sched_rq rq;

static void reset(void)
{
	sched_rq_init(&rq);
	for (int i = 0; i < N; i++) {
		ent[i] = (struct sched_entity){ 0 };
		ent[i].node.next = ent[i].node.prev = &ent[i].node;
		ent[i].priority = SCHED_PRIO_DEFAULT;
	}
}

static int idx(const struct sched_entity *e) { return e ? (int)(e - ent) : -1; }

/* Count entities in all queues and check the bookkeeping. */
static int check_rq(void)
{
	int total = 0;
	for (int q = 0; q < SCHED_QUEUES; q++) {
		int n = 0;
		for (struct sched_node *p = rq.queues[q].next; p != &rq.queues[q]; p = p->next) {
			CHECK(p->next->prev == p);
			CHECK(SCHED_ENTITY_OF(p)->queued == 1);
			CHECK(SCHED_ENTITY_OF(p)->queue == (uint32_t)q);
			n++;
			if (n > N)
				break;
		}
		CHECK(((rq.nonempty >> q) & 1u) == (n > 0));
		total += n;
	}
	CHECK_EQ(rq.nr_queued, total);
	return total;
}

static void test_rr_fifo_order(void)
{
	const struct sched_policy_ops *p = &sched_rr_ops;
	reset();
	CHECK(p->abi == SCHED_POLICY_ABI);
	CHECK_STR(p->name, "rr");
	CHECK(p->pick_next(&rq) == NULL);
	ent[2].priority = 31; /* ignored by rr */
	for (int i = 0; i < 4; i++)
		p->enqueue(&rq, &ent[i]);
	p->enqueue(&rq, &ent[1]); /* already queued: no effect */
	CHECK_EQ(check_rq(), 4);
	for (int i = 0; i < 4; i++) {
		struct sched_entity *e = p->pick_next(&rq);
		CHECK_EQ(idx(e), i);
		CHECK_EQ(e->queued, 0);
		CHECK_EQ(e->slice_left, SCHED_SLICE_TICKS);
	}
	CHECK(p->pick_next(&rq) == NULL);
	CHECK_EQ(check_rq(), 0);
}

static void test_rr_dequeue_middle(void)
{
	const struct sched_policy_ops *p = &sched_rr_ops;
	reset();
	for (int i = 0; i < 3; i++)
		p->enqueue(&rq, &ent[i]);
	p->dequeue(&rq, &ent[1]);
	p->dequeue(&rq, &ent[1]); /* not queued: no effect */
	CHECK_EQ(check_rq(), 2);
	CHECK_EQ(idx(p->pick_next(&rq)), 0);
	CHECK_EQ(idx(p->pick_next(&rq)), 2);
	CHECK_EQ(check_rq(), 0);
}

static void test_rr_tick_slices(void)
{
	const struct sched_policy_ops *p = &sched_rr_ops;
	reset();
	p->enqueue(&rq, &ent[0]);
	struct sched_entity *cur = p->pick_next(&rq);
	/* alone: never preempted, however long it runs */
	for (int i = 0; i < 10; i++)
		CHECK(!p->tick(&rq, cur));
	p->enqueue(&rq, &ent[1]);
	CHECK(p->tick(&rq, cur)); /* slice long used up */
	/* a fresh slice lasts SCHED_SLICE_TICKS ticks */
	p->enqueue(&rq, cur);
	cur = p->pick_next(&rq);
	CHECK_EQ(idx(cur), 1);
	for (int i = 0; i < SCHED_SLICE_TICKS - 1; i++)
		CHECK(!p->tick(&rq, cur));
	CHECK(p->tick(&rq, cur));
}

static void test_prio_highest_first_fifo_within(void)
{
	const struct sched_policy_ops *p = &sched_prio_ops;
	reset();
	CHECK_STR(p->name, "prio");
	unsigned prios[6] = { 5, 20, 5, 31, 0, 20 };
	for (int i = 0; i < 6; i++) {
		ent[i].priority = prios[i];
		p->enqueue(&rq, &ent[i]);
	}
	CHECK_EQ(check_rq(), 6);
	int want[6] = { 3, 1, 5, 0, 2, 4 };
	for (int i = 0; i < 6; i++) {
		CHECK_EQ(idx(p->pick_next(&rq)), want[i]);
		check_rq();
	}
	CHECK(p->pick_next(&rq) == NULL);
}

static void test_prio_out_of_range_clamps(void)
{
	const struct sched_policy_ops *p = &sched_prio_ops;
	reset();
	ent[0].priority = 1000;
	p->enqueue(&rq, &ent[0]);
	CHECK_EQ(ent[0].queue, SCHED_PRIO_MAX);
	CHECK_EQ(check_rq(), 1);
	p->dequeue(&rq, &ent[0]);
	CHECK_EQ(check_rq(), 0);
	CHECK_EQ(rq.nonempty, 0);
}

static void test_prio_tick(void)
{
	const struct sched_policy_ops *p = &sched_prio_ops;
	reset();
	ent[0].priority = 10;
	p->enqueue(&rq, &ent[0]);
	struct sched_entity *cur = p->pick_next(&rq);
	ent[1].priority = 5; /* lower: never preempts */
	p->enqueue(&rq, &ent[1]);
	for (int i = 0; i < 10; i++)
		CHECK(!p->tick(&rq, cur));
	ent[2].priority = 10; /* equal: preempts once the slice is used */
	p->enqueue(&rq, &ent[2]);
	CHECK(p->tick(&rq, cur));
	p->enqueue(&rq, cur);
	cur = p->pick_next(&rq);
	CHECK_EQ(idx(cur), 2); /* round-robin among equals */
	CHECK(!p->tick(&rq, cur)); /* fresh slice: keeps running for now */
	ent[3].priority = 11; /* higher: preempts at the next tick */
	p->enqueue(&rq, &ent[3]);
	CHECK(p->tick(&rq, cur));
}

/* What the core does in sched_policy_select(): drain with the old policy's
 * pick_next, re-initialise the queue, enqueue everything into the new one. */
static int takeover(const struct sched_policy_ops *from, const struct sched_policy_ops *to)
{
	struct sched_node moved;
	int n = 0;
	sched_list_init(&moved);
	for (struct sched_entity *e; (e = from->pick_next(&rq)); n++)
		sched_list_add_tail(&moved, &e->node);
	sched_rq_init(&rq);
	while (!sched_list_empty(&moved)) {
		struct sched_entity *e = SCHED_ENTITY_OF(moved.next);
		sched_list_del(&e->node);
		e->queued = 0;
		to->enqueue(&rq, e);
	}
	return n;
}

static void test_takeover_rr_to_prio_and_back(void)
{
	reset();
	unsigned prios[5] = { 3, 9, 3, 9, 1 };
	for (int i = 0; i < 5; i++) {
		ent[i].priority = prios[i];
		sched_rr_ops.enqueue(&rq, &ent[i]);
	}
	CHECK_EQ(takeover(&sched_rr_ops, &sched_prio_ops), 5);
	CHECK_EQ(check_rq(), 5);
	/* prio order; the rr order is kept among equal priorities */
	int want[5] = { 1, 3, 0, 2, 4 };
	for (int i = 0; i < 5; i++)
		CHECK_EQ(idx(sched_prio_ops.pick_next(&rq)), want[i]);

	reset();
	for (int i = 0; i < 5; i++) {
		ent[i].priority = prios[i];
		sched_prio_ops.enqueue(&rq, &ent[i]);
	}
	CHECK_EQ(takeover(&sched_prio_ops, &sched_rr_ops), 5);
	CHECK_EQ(check_rq(), 5);
	for (int i = 0; i < 5; i++) /* rr now runs them in the order prio would have */
		CHECK_EQ(idx(sched_rr_ops.pick_next(&rq)), want[i]);
}

/* Random enqueue/dequeue/pick against a model: the set of queued entities
 * and, for prio, that pick_next returns one of the highest priority. */
static void random_ops(const struct sched_policy_ops *p, bool by_prio)
{
	bool in[N] = { false };
	unsigned seed = 12345;
	reset();
	for (int step = 0; step < 20000; step++) {
		seed = seed * 1103515245u + 12345u;
		int i = (int)((seed >> 16) % N), op = (int)((seed >> 8) % 3);
		if (op == 0) {
			if (!in[i])
				ent[i].priority = (seed >> 4) % SCHED_QUEUES;
			p->enqueue(&rq, &ent[i]);
			in[i] = true;
		} else if (op == 1) {
			p->dequeue(&rq, &ent[i]);
			in[i] = false;
		} else {
			int best = -1, n = 0;
			for (int k = 0; k < N; k++)
				if (in[k] && (best < 0 || ent[k].priority > ent[best].priority))
					best = k;
			struct sched_entity *e = p->pick_next(&rq);
			if (best < 0) {
				CHECK(e == NULL);
			} else {
				CHECK(e != NULL);
				if (!e)
					return;
				CHECK(in[idx(e)]);
				if (by_prio)
					CHECK_EQ(e->priority, ent[best].priority);
				in[idx(e)] = false;
			}
			for (int k = 0; k < N; k++)
				n += in[k];
			CHECK_EQ(check_rq(), n);
		}
		if (check_failures_in_test_)
			return;
	}
}

static void test_rr_random_ops(void) { random_ops(&sched_rr_ops, false); }
static void test_prio_random_ops(void) { random_ops(&sched_prio_ops, true); }

/* ---- several CPUs: select_cpu and balance (stateless: loads in, CPU out) */
static void test_select_cpu_and_balance(void)
{
	const struct sched_policy_ops *pols[] = { &sched_rr_ops, &sched_prio_ops };
	for (int k = 0; k < 2; k++) {
		const struct sched_policy_ops *p = pols[k];
		CHECK(p->select_cpu && p->balance);
		reset();
		struct sched_cpu_load load[4] = {
			{ 1, 2, 1, 16 }, { 1, 0, 1, 0 }, { 1, 0, 0, 0 }, { 0, 0, 0, 0 },
		};
		/* the idle online CPU wins; an offline one never */
		CHECK_EQ(p->select_cpu(load, 4, &ent[0], 0), 2);
		load[2].online = 0;
		CHECK_EQ(p->select_cpu(load, 4, &ent[0], 0), 1);
		/* ties go to the CPU it ran on */
		load[2] = (struct sched_cpu_load){ 1, 0, 1, 0 };
		CHECK_EQ(p->select_cpu(load, 4, &ent[0], 2), 2);
		/* a single CPU: always 0 */
		CHECK_EQ(p->select_cpu(load, 1, &ent[0], 0), 0);
		/* balance: pull from the busiest when 2 or more ahead, never from self */
		struct sched_cpu_load b[3] = { { 1, 0, 1, 0 }, { 1, 3, 1, 16 }, { 1, 1, 1, 16 } };
		CHECK_EQ(p->balance(b, 3, 0), 1);
		CHECK_EQ(p->balance(b, 3, 1), -1);
		b[1].nr_queued = 1;
		CHECK_EQ(p->balance(b, 3, 0), -1); /* 2 vs 1: not worth a move */
		b[1].online = 0;
		b[1].nr_queued = 9;
		CHECK_EQ(p->balance(b, 3, 0), -1); /* never from an offline CPU */
		/* the stateless ops leave the queue alone */
		CHECK_EQ(check_rq(), 0);
	}
	/* prio: a high-priority task avoids the CPU whose queue holds its equals */
	struct sched_cpu_load l[2] = { { 1, 1, 1, 20 }, { 1, 2, 1, 5 } };
	ent[0].priority = 20;
	CHECK_EQ(sched_prio_ops.select_cpu(l, 2, &ent[0], 0), 1);
	ent[0].priority = 4;
	CHECK_EQ(sched_prio_ops.select_cpu(l, 2, &ent[0], 1), 0); /* fewer tasks, both ahead */
}

int main(void)
{
	RUN(test_rr_fifo_order);
	RUN(test_rr_dequeue_middle);
	RUN(test_rr_tick_slices);
	RUN(test_prio_highest_first_fifo_within);
	RUN(test_prio_out_of_range_clamps);
	RUN(test_prio_tick);
	RUN(test_takeover_rr_to_prio_and_back);
	RUN(test_rr_random_ops);
	RUN(test_prio_random_ops);
	RUN(test_select_cpu_and_balance);
	return check_summary("sched_policy");
}

/*
 * waitq.c - wait queues (see task.h): a FIFO of blocked tasks linked
 * through task->wait_next.  Waking may be done from interrupt handlers.
 */
#include "cpu.h"
#include "task_impl.h"

void waitq_init(struct waitq *wq)
{
	wq->head = wq->tail = NULL;
}

void waitq_wait(struct waitq *wq)
{
	struct sched_cpu *c = &sched_cpu;
	if (!c->running || c->current == c->idle)
		return; /* nothing to switch to: callers re-check their condition */
	uint64_t fl = irq_save();
	struct task *t = c->current;
	t->wait_next = NULL;
	if (wq->tail)
		wq->tail->wait_next = t;
	else
		wq->head = t;
	wq->tail = t;
	t->state = TASK_BLOCKED;
	sched_enter();
	irq_restore(fl);
}

/* Interrupts off. */
static struct task *pop(struct waitq *wq)
{
	struct task *t = wq->head;
	if (t) {
		wq->head = t->wait_next;
		if (!wq->head)
			wq->tail = NULL;
		t->wait_next = NULL;
	}
	return t;
}

bool waitq_wake_one(struct waitq *wq)
{
	uint64_t fl = irq_save();
	struct task *t = pop(wq);
	if (t && t->state == TASK_BLOCKED)
		sched_make_ready(t);
	irq_restore(fl);
	return t != NULL;
}

size_t waitq_wake_all(struct waitq *wq)
{
	size_t n = 0;
	uint64_t fl = irq_save();
	for (struct task *t; (t = pop(wq)); n++)
		if (t->state == TASK_BLOCKED)
			sched_make_ready(t);
	irq_restore(fl);
	return n;
}

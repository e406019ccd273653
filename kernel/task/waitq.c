/*
 * waitq.c - wait queues (see task.h): a FIFO of blocked tasks linked
 * through task->wait_next, under the scheduler's lock (waitq_lock), so that
 * checking a condition and waiting is atomic against a waker on any CPU.
 * Waking may be done from interrupt handlers.
 */
#include "cpu.h"
#include "task_impl.h"

void waitq_init(struct waitq *wq)
{
	wq->head = wq->tail = NULL;
}

uint64_t waitq_lock(void) { return sched_lock(); }
void waitq_unlock(uint64_t flags) { sched_unlock(flags); }

void waitq_wait(struct waitq *wq)
{
	struct sched_cpu *c = sched_this();
	if (!sched.running || c->current == c->idle) {
		/* nothing to switch to: let a waker in; callers re-check */
		spin_unlock_irqrestore(&sched.lock, 0);
		cpu_relax();
		(void)spin_lock_irqsave(&sched.lock);
		return;
	}
	struct task *t = c->current;
	t->wait_next = NULL;
	if (wq->tail)
		wq->tail->wait_next = t;
	else
		wq->head = t;
	wq->tail = t;
	t->state = TASK_BLOCKED;
	sched_enter();                         /* releases sched.lock */
	(void)spin_lock_irqsave(&sched.lock); /* interrupts are still off */
}

/* sched.lock held. */
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
	uint64_t fl = sched_lock();
	struct task *t = pop(wq);
	if (t && t->state == TASK_BLOCKED)
		sched_make_ready(t);
	sched_unlock(fl);
	return t != NULL;
}

size_t waitq_wake_all_locked(struct waitq *wq)
{
	size_t n = 0;
	for (struct task *t; (t = pop(wq)); n++)
		if (t->state == TASK_BLOCKED)
			sched_make_ready(t);
	return n;
}

size_t waitq_wake_all(struct waitq *wq)
{
	uint64_t fl = sched_lock();
	size_t n = waitq_wake_all_locked(wq);
	sched_unlock(fl);
	return n;
}

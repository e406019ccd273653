/*
 * task_module.h - the task API for modules (theseus.h; kernel/task/
 * task_module.c): a driver or a service starts its own tasks, sleeps,
 * yields, waits on wait queues and joins.
 *
 *     static int worker(void *arg)
 *     {
 *             while (!th_task_should_stop()) {
 *                     ... do one piece of work ...
 *                     if (th_task_sleep_ms(10))       TH_ESTALE: asked to stop
 *                             break;
 *             }
 *             return TH_OK;
 *     }
 *     static int my_init(void) { return th_task_create("worker", worker, NULL, NULL); }
 *
 * A module task's entry runs as a guarded call (guard.h): a fault in it
 * (#PF #GP #UD #DE ... , a stack overflow) ends the task with exit code
 * TH_EFAULT, and one that runs past the hook budget (watchdog=, 1 s) without
 * sleeping, yielding, waiting or joining ends with TH_ETIMEDOUT; its joiner
 * gets that code.  The fault is reported (log, history kind "fault") and the
 * module goes through the fault policy (restart, rollback, quarantine:
 * modcall.h) from the kernel's main loop.
 *
 * Swaps.  A task belongs to the loaded version of the module whose code its
 * entry function is.  When that version is replaced (swap, restart after a
 * fault, rollback) or unloaded, each of its tasks is asked to stop:
 * th_task_should_stop() becomes true and th_task_sleep_ms/th_waitq_wait
 * return TH_ESTALE at once (a sleep within 10 ms).  The task should then
 * return.  The old code stays mapped until every task running it has
 * returned (the swap engine's retirement), so stopping late is safe, only
 * wasteful.  A task asked to stop before it first ran does not run its
 * entry at all (its joiner gets TH_ESTALE).  The new version's init (or transfer) starts its own tasks;
 * both may run side by side for a moment, so shared state belongs in
 * statedb, as always.  A task that blocks again after it was told is
 * named in the log, and its sleeps then last their whole time (a wait
 * pauses 10 ms) before TH_ESTALE, so ignoring the stop cannot spin a CPU.
 *
 * Tasks created before the scheduler runs (a boot module's init) start
 * when it does.  Blocking calls are for task context; never from a
 * scheduler policy op; with interrupts off (a transfer hook, a driver's
 * irq op) they are refused with TH_EBUSY (th_task_yield does nothing).
 */
#ifndef THESEUS_TASK_MODULE_H
#define THESEUS_TASK_MODULE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct th_task;                      /* opaque: a task started by a module */
typedef int (*th_task_fn)(void *arg);

/* Start a task running fn(arg) (fn must be code of the calling module).
 * out != NULL: joinable, th_task_join it exactly once; out == NULL: detached,
 * freed when it returns.  name is copied (cut to 23 bytes).  TH_EINVAL (NULL
 * name or fn, fn not module code), TH_ENOMEM, TH_EFULL (TASK_MAX, 256 tasks
 * on the machine, the kernel's included: named in the log once per module
 * version), TH_EFAULT (the module is quarantined). */
int th_task_create(const char *name, th_task_fn fn, void *arg, struct th_task **out) TH_MUST_CHECK;
/* Wait until t has returned; *code (may be NULL) gets what fn returned, or
 * TH_EFAULT / TH_ETIMEDOUT if it faulted or hung.  Frees t.  TH_EINVAL (not
 * a joinable module task, or yourself), TH_EBUSY (another joiner, or t not
 * started yet because the scheduler is not running). */
int th_task_join(struct th_task *t, int *code) TH_MUST_CHECK;
/* Sleep ms milliseconds.  TH_ESTALE (early) when asked to stop. */
int th_task_sleep_ms(uint64_t ms) TH_MUST_CHECK;
void th_task_yield(void);
/* Whether the calling module task was asked to stop (see above); false
 * outside module tasks. */
bool th_task_should_stop(void);

/* Wait queues: a module keeps one in memory it owns (kmalloc, statedb). */
struct th_waitq {
	void *opaque[2];
};
void th_waitq_init(struct th_waitq *wq);
/* Block until ready(ctx) is true.  ready runs with interrupts off (so a
 * wake between its check and the block is not lost): keep it a quick test
 * of memory.  TH_OK once ready, TH_ESTALE when the task is asked to stop,
 * TH_EINVAL (NULL), TH_EBUSY (the scheduler is not running). */
int th_waitq_wait(struct th_waitq *wq, bool (*ready)(void *ctx), void *ctx) TH_MUST_CHECK;
/* Wake the first / every waiting task (they re-check ready); returns how
 * many were woken.  Safe from any context. */
unsigned th_waitq_wake_one(struct th_waitq *wq);
unsigned th_waitq_wake_all(struct th_waitq *wq);

#endif

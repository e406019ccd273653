/*
 * task.h - kernel tasks and the scheduler core (kernel/task/).
 *
 * A task is a kernel thread with its own 16 KiB stack (an unmapped guard page
 * below it catches overflows, reported as "hit the guard page of task 'x'").
 * Switching saves the interrupted struct trap_frame on the task's stack and
 * resumes another one: the timer tick preempts (time_tick_hz()), and
 * blocking calls enter the scheduler through vector 48 (sched_enter builds
 * the frame `int $48` would push).  The order of ready tasks is decided by a policy module
 * (sched_policy.h), selected with sched=rr|prio on the command line.
 *
 * Call order at boot (kmain):
 *     sched_init(cmdline);     after the boot modules are loaded: the boot
 *                              context becomes task "main", an idle task is
 *                              created, the policy is chosen, preemption on
 *     ...                      then in main's loop: net_poll(); task_poll_wait();
 *
 * Tasks:
 *     struct task *t;
 *     err = task_create("worker", fn, arg, SCHED_PRIO_DEFAULT, &t);
 *     ... err = task_join(t, &code);       waits for fn's return (or task_exit),
 *                                          then frees the stack and the task
 * A task must be joined exactly once, or detached (task_detach) so that its
 * memory is reclaimed when it exits.  Blocking calls (join, sleep, waitq_wait)
 * are for task context only, never for interrupt handlers.
 *
 * Several CPUs: each runs tasks from its own queue; a task that becomes
 * ready joins the CPU the policy selects, CPUs balance their queues, and
 * task_pin() keeps a task on one CPU.  Task "main" stays on the boot CPU.
 * Every call here is safe from any CPU (one scheduler lock, task_impl.h).
 */
#ifndef THESEUS_TASK_H
#define THESEUS_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "klibc.h"
#include "sched_policy.h"

#define TASK_NAME_MAX 24           /* name bytes, with the NUL */
#define TASK_STACK_BYTES (16 * 1024)
#define TASK_MAX 256               /* live tasks (incl. main and idle) */

struct task;                       /* opaque */
typedef int (*task_fn)(void *arg);

enum task_state {
	TASK_READY,      /* in the run queue */
	TASK_RUNNING,    /* on the CPU */
	TASK_BLOCKED,    /* on a wait queue (or joining) */
	TASK_SLEEPING,   /* until a time */
	TASK_EXITED,     /* waiting to be joined */
};

/* Set up the scheduler (see above).  Failures are logged and fatal at boot. */
void sched_init(const char *cmdline);
bool sched_running(void);

/* New ready task running fn(arg); priority SCHED_PRIO_MIN..MAX.  name is
 * copied (cut to TASK_NAME_MAX - 1).  TH_EINVAL (NULL fn/name, bad priority),
 * TH_ENOMEM (stack or struct), TH_EFULL (TASK_MAX tasks), TH_EBUSY (before
 * sched_init). */
int task_create(const char *name, task_fn fn, void *arg, unsigned priority,
		struct task **out) TH_MUST_CHECK;
/* The same, pinned to CPU cpu (-1: not pinned) from the start (task_pin).
 * TH_ERANGE if no such CPU schedules tasks. */
int task_create_on(const char *name, task_fn fn, void *arg, unsigned priority, int cpu,
		   struct task **out) TH_MUST_CHECK;
/* End the calling task with code (as if fn returned code). */
__attribute__((noreturn)) void task_exit(int code);
/* Wait until t has exited; *code (may be NULL) gets its exit code; frees t.
 * TH_EINVAL (NULL, self, main, idle, detached), TH_EBUSY (someone else joins). */
int task_join(struct task *t, int *code) TH_MUST_CHECK;
/* Let t be freed by the kernel when it exits; t must not be used afterwards. */
int task_detach(struct task *t) TH_MUST_CHECK;
void task_yield(void);
void task_sleep_ns(uint64_t ns);
static inline void task_sleep_ms(uint64_t ms) { task_sleep_ns(ms * 1000000ull); }
/* Main loop helper: yield if another task is ready, else halt until the next
 * interrupt; reclaims detached tasks that have exited. */
void task_poll_wait(void);

struct task *task_current(void);
const char *task_name(const struct task *t);
uint32_t task_id(const struct task *t);
/* Change a task's priority (re-queued if ready).  TH_EINVAL if out of range. */
int task_set_priority(struct task *t, unsigned priority) TH_MUST_CHECK;
/* Keep t on CPU cpu (an index of smp.h), or let it move again (cpu -1); a
 * task pinned elsewhere moves at its next switch (the caller itself at
 * once).  TH_EINVAL (NULL, main, an idle task), TH_ERANGE (no such CPU). */
int task_pin(struct task *t, int cpu) TH_MUST_CHECK;
/* The CPU t runs on or is queued on (its last one if blocked). */
unsigned task_cpu(const struct task *t);
/* CPUs that schedule tasks. */
unsigned sched_cpu_count(void);

/* Wait queues.  Pattern (the lock makes check + wait atomic on every CPU;
 * a waker sets cond, then calls waitq_wake_*, without holding the lock):
 *     uint64_t fl = waitq_lock(); while (!cond) waitq_wait(&wq); waitq_unlock(fl);
 * waitq_wait is called with the lock held and returns with it held. */
struct waitq {
	struct task *head, *tail;
};
#define WAITQ_INIT { NULL, NULL }
void waitq_init(struct waitq *wq);
uint64_t waitq_lock(void);                /* interrupts off, scheduler lock held */
void waitq_unlock(uint64_t flags);
void waitq_wait(struct waitq *wq);
bool waitq_wake_one(struct waitq *wq);   /* true if a task was woken */
size_t waitq_wake_all(struct waitq *wq); /* number woken; interrupt-safe */

/* Observability. */
struct task_info {
	uint32_t id;
	char name[TASK_NAME_MAX];
	enum task_state state;
	unsigned priority;
	uint64_t cpu_ns;          /* CPU time used (TSC) */
	uint64_t switches;        /* times switched onto the CPU */
	uintptr_t stack_lo, stack_hi;
	unsigned cpu;             /* the CPU it runs or is queued on (its last one if blocked) */
};
const char *task_state_name(enum task_state s);
int task_get_info(const struct task *t, struct task_info *out) TH_MUST_CHECK;
/* One line per task ("ID NAME STATE PRIO CPU_MS SWITCHES CPU") after a header line,
 * then the policy; snprintf-style: returns the length the whole text needs. */
size_t task_format_list(char *buf, size_t len);
/* Print text (e.g. the task list) on the console, line by line. */
void task_print_text(const char *text);
size_t task_count(void);
uint64_t sched_switch_count(void);

/* Call fn for every task (interrupts off during the walk: fn must be quick
 * and must not block); stops at and returns fn's first non-zero value. */
int task_foreach(int (*fn)(void *ctx, const struct task *t), void *ctx);
/* For every task, report the address it is executing at and every return
 * address on its stack (frame-pointer chain, bounded by its stack).  For a
 * preempted task the two words at its stack pointer are reported as well:
 * it may have been stopped in a prologue or epilogue, where the chain skips
 * its caller.  So the list can hold false positives, never misses a frame of
 * code built with frame pointers.  Runs with interrupts off; stops at and
 * returns fn's first non-zero value. */
int task_foreach_return_address(int (*fn)(void *ctx, const struct task *t, uintptr_t addr),
				void *ctx);

/* Use policy `name`: the loaded module "sched" if its table (sched_policy_ops)
 * is that policy, or "fifo", the core's built-in fallback; every ready task
 * moves into its queue.  TH_ENOENT names the module to load or swap in.  Also
 * subscribes the core to the swap engine, so that it follows later live swaps
 * of module "sched" (and falls back to fifo if the module is unloaded). */
int sched_policy_select(const char *name, struct th_errbuf *eb) TH_MUST_CHECK;
const char *sched_policy_name(void);

/* Start the module tasks created before the scheduler ran (task_module.h);
 * kmain, right after sched_init. */
void task_module_start(void);
/* Calls fn with the entry function and the argument of every module task
 * whose entry has not returned, started or not: the swap engine keeps a
 * module version while one of its tasks may still enter it (a stack walk
 * sees only the kernel's task start there).  Any context; takes a spinlock. */
void task_module_foreach_pending(void (*fn)(void *ctx, uintptr_t addr), void *ctx);


#endif

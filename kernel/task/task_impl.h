/*
 * task_impl.h - private to kernel/task/: the task structure and the per-CPU
 * scheduler state shared by task.c, sched.c, waitq.c, policy.c, stackwalk.c
 * and tasklist.c.
 *
 * Several CPUs: every CPU has its own run queue, current and idle task
 * (struct sched_cpu); everything the scheduler owns (all run queues, the
 * sleep list, the task list, every task's state) is guarded by one lock,
 * sched.lock, taken with interrupts off.  Entering the scheduler through
 * vector 48 (sched_enter) is done holding sched.lock; the handler releases
 * it once it has switched.  A task's stack is in use by at most one CPU:
 * stack_busy is set while a CPU runs on it and cleared by isr.S only after
 * that CPU has left it (smp.h, cpu_local.release), and a CPU about to
 * resume a task waits for it.
 *
 * Context switch state: kernel code is compiled with -mgeneral-regs-only (no
 * FPU/SSE/AVX instructions anywhere in the kernel or its modules), so a task's
 * whole CPU state is the general registers in its saved struct trap_frame;
 * there is no FPU/SSE state to save.  Tasks run in ring 0 and share the
 * address space, so no CR3 or TSS.rsp0 switch is needed either.
 */
#ifndef THESEUS_TASK_IMPL_H
#define THESEUS_TASK_IMPL_H

#include "lock.h"
#include "param.h"
#include "task.h"
#include "trap.h"

#define TASK_MAGIC 0x7461736bu /* "task" */
#define GUARD_BYTES 4096u
#define YIELD_VECTOR 48        /* IRQ_BASE + 16: the software "enter scheduler" */

struct task {
	uint32_t magic;
	uint32_t id;
	char name[TASK_NAME_MAX];
	enum task_state state;
	struct sched_entity se;          /* run-queue link and policy fields */
	struct trap_frame *frame;        /* saved state while not running */
	uintptr_t stack_lo, stack_hi;    /* usable stack [lo, hi) */
	uint64_t stack_phys;             /* frame_alloc run: guard page + stack; 0 = not ours */
	uint64_t wake_ns;                /* TASK_SLEEPING: when */
	int exit_code;
	bool detached, joining;
	struct waitq joiners;            /* the one task in task_join */
	struct task *wait_next;          /* link in a waitq or the sleep list */
	struct task *all_next, *all_prev;/* every task */
	uint64_t cpu_tsc, switches;
	struct guard *guards;            /* active guarded calls, innermost first (guard.h) */
	uint64_t off_ns;                 /* time_ns() when last switched out (0: never) */
	struct th_task *module_record;   /* task_module.c's record while a module task runs */
	unsigned cpu;                    /* CPU whose queue it is in, or that runs it */
	int pin;                         /* CPU it must run on, or -1 (task_pin) */
	bool idle;                       /* a CPU's idle task: never queued */
	volatile uint32_t stack_busy;    /* a CPU runs on its stack (see above) */
};

/* One CPU's scheduler state. */
struct sched_cpu {
	struct task *current;
	struct task *idle;
	struct sched_rq rq;                     /* owned here, structured by the policy */
	uint64_t switch_tsc;                    /* when current got the CPU */
	uint32_t balance_ticks;                 /* ticks until the next balance */
	bool online;                            /* this CPU schedules tasks */
};

/* The scheduler: per-CPU parts and what all CPUs share, under lock. */
struct sched_core {
	struct spinlock lock;
	struct sched_cpu cpu[CPUS_MAX];
	unsigned ncpus;                         /* CPUs 0..ncpus-1 may be online */
	struct task *main;
	const struct sched_policy_ops *policy;
	char policy_name[16];
	struct task *sleepers;                  /* sorted by wake_ns */
	struct task *all;                       /* every live task */
	struct task *zombies;                   /* detached and exited: to free */
	size_t ntasks;
	uint32_t next_id;
	uint64_t switches;
	bool running;
};

extern struct sched_core sched;
/* This CPU's part (interrupts off). */
struct sched_cpu *sched_this(void);
static inline uint64_t sched_lock(void) { return spin_lock_irqsave(&sched.lock); }
static inline void sched_unlock(uint64_t fl) { spin_unlock_irqrestore(&sched.lock, fl); }

/* sched.c */
void sched_enter(void);                     /* vector 48 (isr.S), sched.lock held: returns without it */
void sched_make_ready(struct task *t);      /* sched.lock held */
struct trap_frame *sched_on_tick(struct trap_frame *f);
struct trap_frame *sched_on_yield(struct trap_frame *f);
/* policy.c */
extern const struct sched_policy_ops sched_fifo_ops;
/* Make ops the policy, moving every CPU's ready tasks into its queue (the
 * _locked form with sched.lock held). */
void sched_policy_take_over(const struct sched_policy_ops *ops);
void sched_policy_take_over_locked(const struct sched_policy_ops *ops);
/* policy_call.c: the policy's ops, guarded when it is a module (interrupts
 * off); a fault falls back to fifo.  The table that faulted, not re-adopted: */
extern const struct sched_policy_ops *sched_policy_faulted;
/* Report that ops faulted or broke its contract (log, history "fault") and
 * keep its table out; the caller makes fifo take over. */
void sched_policy_failed(const struct sched_policy_ops *ops, const char *what);
/* ops->enqueue(rq, e) guarded, and e must then be queued; false with what
 * filled otherwise (nothing else done). */
bool sched_pol_enqueue_checked(const struct sched_policy_ops *ops, struct sched_rq *rq,
			       struct sched_entity *e, char *what, size_t cap);
void sched_pol_enqueue(struct sched_rq *rq, struct sched_entity *e);
void sched_pol_dequeue(struct sched_rq *rq, struct sched_entity *e);
struct sched_entity *sched_pol_pick_next(struct sched_rq *rq);
bool sched_pol_tick(struct sched_rq *rq, struct sched_entity *cur);
/* The CPU for a task that becomes ready, and the CPU this one should pull a
 * task from (-1: none); loads of CPUs 0..n-1. */
unsigned sched_pol_select_cpu(const struct sched_cpu_load *load, unsigned n,
			      const struct sched_entity *e, unsigned prev);
int sched_pol_balance(const struct sched_cpu_load *load, unsigned n, unsigned self);
/* waitq.c: waitq_wake_all with sched.lock held */
size_t waitq_wake_all_locked(struct waitq *wq);
/* task.c */
/* A new task with its stack and initial frame, linked into the task list but
 * not queued (task_create queues it; the idle task never is). */
int task_alloc(const char *name, task_fn fn, void *arg, unsigned priority,
	       struct task **out) TH_MUST_CHECK;
/* The boot context (kmain on the boot stack) as task "main". */
int task_adopt_boot_context(struct task **out) TH_MUST_CHECK;
/* The boot context of CPU cpu (halting in smp_ap_main, stack [lo, hi)) as
 * that CPU's idle task, running. */
int task_adopt_cpu_idle(unsigned cpu, uintptr_t lo, uintptr_t hi, struct task **out) TH_MUST_CHECK;
void task_free(struct task *t);
void task_reap_zombies(void);
/* task_module.c: the module task record of t (set by t itself) */
static inline struct th_task *task_module_record(const struct task *t) { return t->module_record; }
static inline void task_set_module_record(struct task *t, struct th_task *mt)
{
	t->module_record = mt;
}
/* stackwalk.c */
bool task_guard_lookup(uint64_t addr, char *who, size_t cap);

#endif

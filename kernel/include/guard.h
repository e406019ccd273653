/*
 * guard.h - guarded calls: run a function (module code) so that a CPU
 * exception in it, or a hang past its budget, becomes an error for the
 * caller instead of a dead kernel (kernel/core/guard.c, kernel/arch/guard.S).
 *
 *     struct guard g;
 *     int r = guard_call(&g, "invoke", GUARD_BUDGET_HOOK, fn, ctx);
 *     if (g.tripped)                   r is TH_EFAULT or TH_ETIMEDOUT;
 *         guard_format(&g, msg, cap);  "page fault at f+0x9 (address 0x0)"
 *
 * Each task has a stack of active guards (innermost on top; before the
 * scheduler runs, the boot context has one).  An exception (#DE #DB-less:
 * #DE #OF #BR #UD #SS #GP #PF #AC, #BP, and a #DF caused by a stack overflow
 * into a guard page or taken in module code, e.g. one that broke its stack
 * pointer) taken while the current task has an active guard, in
 * the same interrupt nesting level as the guarded call was entered, unwinds
 * to the innermost guard: the trap frame is edited so that iretq resumes in
 * guard_enter's saved context (RIP, RSP, RBX RBP R12-R15, RFLAGS: the
 * interrupt flag as at entry) and guard_call returns TH_EFAULT.
 *
 * What the unwind restores and what it does not:
 *   - interrupt state: as at entry (RFLAGS);
 *   - spinlocks (lock.h) taken since the guard's entry: released (held
 *     flags cleared, innermost first); the data they protect may be
 *     half-updated (a fault inside kmalloc can leave the heap inconsistent);
 *   - guards nested inside: dropped with it;
 *   - heap allocations made inside: leaked (not attributed);
 *   - statedb strong references (statedb_get without statedb_put) taken
 *     inside: put back by the module-call layer (modcall_refs.c: invoke,
 *     hooks, module tasks, and modcall_guarded for UDP services and NIC
 *     drivers), up to 16 distinct references per call;
 *     guard_call itself does not;
 *   - tasks created, waitq registrations, timers: not undone.
 * A fault with no active guard (nano_core code outside any guarded call)
 * still gets the full report and stops the kernel (idt.c).
 *
 * Watchdog: a guard's budget is checked on every timer tick taken while its
 * task runs the guarded call with interrupts on (the budget counts the time
 * the task runs: the scheduler moves the deadline on by the time a task
 * waited switched out, kernel/task/sched.c); past it, the interrupted
 * frame is unwound the same way and guard_call returns TH_ETIMEDOUT.  With
 * interrupts off, the NMI watchdog (kernel/dev/nmi_watchdog.c: the PIT tick
 * as an NMI through the I/O APIC) does the same, but only when the NMI
 * interrupted module code (guard_set_code_lookup) or the kernel's wait
 * loop (time_delay_us) that module code called, never other kernel code.
 */
#ifndef THESEUS_GUARD_H
#define THESEUS_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct trap_frame;

#define GUARD_BT_DEPTH 8

/* Budgets (ns; 0 = none).  watchdog=MS on the command line sets the hook
 * budget (default 1000 ms); policy ops run with interrupts off, so theirs is
 * only informative until an NMI watchdog exists. */
enum guard_budget {
	GUARD_BUDGET_HOOK,     /* invoke, init/transfer/fini: 1 s; a module task: 1 s between
	                        * two blocking calls (task_module.c pauses it while it blocks) */
	GUARD_BUDGET_POLICY,   /* scheduler policy ops: 5 ms */
	GUARD_BUDGET_NONE,     /* no watchdog */
};

struct guard_fault {
	unsigned vector;           /* exception vector; 32 = watchdog (timer) */
	uint64_t error, rip, cr2, rsp;
	bool stack_guard;          /* a #DF from a stack overflow into a guard page */
	uint64_t bt[GUARD_BT_DEPTH];  /* return addresses, innermost first */
	size_t nbt;
};

struct guard {
	uint64_t ctx[10];          /* guard_enter: rbx rbp r12 r13 r14 r15 rsp rflags,
				    * its return address and its caller's rbp */
	struct guard *prev;
	const char *what;          /* "invoke", "init", ... (messages) */
	uint64_t start_ns, deadline_ns;
	uint64_t late_ns;          /* when a watchdog check first found it past deadline_ns */
	unsigned locks;            /* lock_track_depth() at entry */
	unsigned irq_depth;        /* trap nesting at entry */
	bool tripped;              /* unwound by a fault or the watchdog */
	int err;                   /* TH_EFAULT or TH_ETIMEDOUT when tripped */
	void *tracker;             /* guard_call_tracked's record (NULL: none) */
	struct guard_fault fault;
};

/* The watchdog's verdict on a call whose deadline is d (0: none) at a check
 * at time now: true to cut it.  A call is cut once two checks at least
 * GUARD_RECHECK_NS apart both found it past its deadline (*late_ns: when the
 * first did; a deadline moved on since makes it stale).  One is not enough:
 * a virtual CPU that its host did not run for a while (TCG on a busy host
 * with more virtual CPUs than cores) takes the pending NMI when it runs
 * again and finds a 5 ms policy op past its budget at its first
 * instruction; the second check shows whether the call really runs on. */
#define GUARD_RECHECK_NS 2000000ull
static inline bool guard_watchdog_due(uint64_t now, uint64_t d, uint64_t *late_ns)
{
	if (!d || now < d)
		return false;
	if (*late_ns < d) {
		*late_ns = now;
		return false;
	}
	return now - *late_ns >= GUARD_RECHECK_NS;
}

typedef int (*guard_fn)(void *ctx);

/* Run fn(ctx) under g (see above); returns fn's result, or TH_EFAULT /
 * TH_ETIMEDOUT with g->tripped set. */
int guard_call(struct guard *g, const char *what, enum guard_budget budget, guard_fn fn,
	       void *ctx) TH_MUST_CHECK;

/* The same, with a record of the caller's layer kept with the call (the
 * module-call layer's statedb references, kernel/swap/modcall_refs.c):
 * guard_current_tracker finds it while the call runs.  The record lives as
 * long as the call: a guard dropped by an unwind takes its record with it. */
int guard_call_tracked(struct guard *g, const char *what, enum guard_budget budget, guard_fn fn,
		       void *ctx, void *tracker) TH_MUST_CHECK;
/* The record of the current task's innermost guarded call that has one and
 * was entered at the current interrupt level; NULL if there is none.  O(calls
 * open in this task), nothing shared: the caller must keep interrupts off
 * while it uses the record. */
void *guard_current_tracker(void);

/* Install the fault hook; read watchdog=MS from the command line. */
void guard_init(const char *cmdline);
/* Where the current task's guard stack lives (the task code installs it;
 * NULL before the scheduler: the boot context's). */
void guard_set_slot_fn(struct guard **(*fn)(void));
/* Whether the current task is inside a guarded call. */
bool guard_active(void);
uint64_t guard_budget_ns(enum guard_budget b);

/* "page fault at hello_greet+0x9 (address 0x0)", "divide error at f+0x4",
 * "watchdog: f+0x2 still running after 1000 ms"; snprintf-style. */
int guard_format(const struct guard *g, char *buf, size_t cap);
/* The backtrace as " <- a+0x1 <- b+0x2 ..." (kernel and module frames). */
int guard_format_backtrace(const struct guard *g, char *buf, size_t cap);

/* Whether addr is module code (the loader installs it; the NMI watchdog
 * cuts only module code). */
void guard_set_code_lookup(bool (*fn)(uintptr_t addr));
/* The NMI watchdog (kernel/dev/nmi_watchdog.c): init reads nmiwatchdog=off.
 * Without a PIT, nmi_watchdog_without_pit (after the other CPUs and the
 * boot CPU's local APIC tick are up) makes the CPUs' ticks the NMIs. */
void nmi_watchdog_init(const char *cmdline);
void nmi_watchdog_without_pit(void);
void guard_enable_nmi(void);
void guard_on_nmi(struct trap_frame *f);
/* NMIs seen (the watchdog's tick) */
uint64_t guard_nmi_count(void);

/* For idt.c: trap nesting, the fault hook, and the timer-tick watchdog. */
unsigned guard_irq_enter(void);
/* Interrupts being handled now (0 in task context). */
unsigned guard_irq_depth(void);
void guard_irq_exit(void);
struct trap_frame *guard_on_fault(struct trap_frame *f);
void guard_on_tick(struct trap_frame *f);

#endif

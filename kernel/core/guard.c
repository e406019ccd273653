/*
 * guard.c - guarded calls (guard.h): the per-task stack of guards, the fault
 * hook that unwinds an exception in a guarded call to its guard, the
 * timer-tick watchdog, and the one-line fault description for reports.
 * The interrupt nesting count is per CPU (a guard belongs to the task, so
 * it follows the task from CPU to CPU).
 */
#include "guard.h"

#include "cmdline.h"
#include "cpu.h"
#include "klibc.h"
#include "ksyms.h"
#include "ktime.h"
#include "lock.h"
#include "log.h"
#include "smp.h"
#include "trap.h"

#define WATCHDOG_VECTOR 32           /* guard_fault.vector of a watchdog cut */
#define POLICY_BUDGET_NS 5000000ull  /* 5 ms */

int guard_enter(struct guard *g, guard_fn fn, void *ctx);
extern char guard_resume[], guard_return[];
extern char tsc_wait_until[], tsc_wait_until_end[];  /* kernel/arch/tsc_wait.S */

static struct guard *boot_top;
static struct guard **(*slot_fn)(void);
static unsigned nestings[CPUS_MAX];        /* interrupts being handled now, per CPU */
#define nesting (nestings[smp_cpu_index() % CPUS_MAX])
static uint64_t hook_budget_ns = 1000000000ull;
static bool (*code_lookup)(uintptr_t addr);
static bool nmi_on;
static volatile uint64_t nmis;

/* Exceptions a guarded call survives: #DE #DB(module code) #BP #OF #BR #UD
 * #DF(overflow, module code) #SS #GP #PF #AC. */
static const uint32_t containable = (1u << 0) | (1u << 1) | (1u << 3) | (1u << 4) | (1u << 5) |
				    (1u << 6) | (1u << 8) | (1u << 12) | (1u << 13) |
				    (1u << 14) | (1u << 17);

void guard_set_slot_fn(struct guard **(*fn)(void)) { slot_fn = fn; }
void guard_set_code_lookup(bool (*fn)(uintptr_t addr)) { code_lookup = fn; }
void guard_enable_nmi(void) { nmi_on = true; }
uint64_t guard_nmi_count(void) { return nmis; }

/* The guards of the task running here; before the scheduler (or on a CPU
 * without a task yet) the boot context's, which is the boot CPU's alone. */
static struct guard **slot(void)
{
	static struct guard *no_task[CPUS_MAX];
	struct guard **s = slot_fn ? slot_fn() : NULL;
	unsigned cpu = smp_cpu_index();
	return s ? s : cpu == 0 ? &boot_top : &no_task[cpu % CPUS_MAX];
}

bool guard_active(void) { return *slot() != NULL; }
unsigned guard_irq_enter(void) { return nesting++; }
unsigned guard_irq_depth(void) { return nesting; }
void guard_irq_exit(void) { nesting--; }

uint64_t guard_budget_ns(enum guard_budget b)
{
	switch (b) {
	case GUARD_BUDGET_HOOK:
		return hook_budget_ns;
	case GUARD_BUDGET_POLICY:
		return POLICY_BUDGET_NS;
	default:
		return 0;
	}
}

void guard_init(const char *cmdline)
{
	uint64_t ms;
	if (cmdline_get_uint(cmdline, "watchdog", 1000, 0, 3600000, &ms))
		log_warn("guard", "watchdog= must be 0..3600000 ms; using 1000");
	else
		hook_budget_ns = ms * 1000000ull;
	log_info("guard", "guarded calls: budget %llu ms (watchdog=%s)",
		 (unsigned long long)(hook_budget_ns / 1000000), hook_budget_ns ? "on" : "off");
}

int guard_call(struct guard *g, const char *what, enum guard_budget budget, guard_fn fn,
	       void *ctx)
{
	return guard_call_tracked(g, what, budget, fn, ctx, NULL);
}

void *guard_current_tracker(void)
{
	unsigned depth = nesting;
	for (const struct guard *g = *slot(); g; g = g->prev)
		if (g->tracker && g->irq_depth == depth)
			return g->tracker;
	return NULL;
}

int guard_call_tracked(struct guard *g, const char *what, enum guard_budget budget, guard_fn fn,
		       void *ctx, void *tracker)
{
	struct guard **top = slot();
	memset(g, 0, sizeof *g);
	g->tracker = tracker;
	g->what = what;
	g->start_ns = time_ns();
	uint64_t b = guard_budget_ns(budget);
	g->deadline_ns = b ? g->start_ns + b : 0;
	g->locks = lock_track_depth();
	g->irq_depth = nesting;
	g->prev = *top;
	__atomic_store_n(top, g, __ATOMIC_SEQ_CST);
	int r = guard_enter(g, fn, ctx);
	__atomic_store_n(slot(), g->prev, __ATOMIC_SEQ_CST);
	return g->tripped ? g->err : r;
}

/* f interrupted tsc_wait_until (kernel/arch/tsc_wait.S), a leaf that pushes
 * nothing. */
static bool in_wait_loop(const struct trap_frame *f)
{
	return f->rip >= (uintptr_t)tsc_wait_until && f->rip < (uintptr_t)tsc_wait_until_end &&
	       !(f->rsp & 7);
}

static void record(struct guard *g, const struct trap_frame *f, unsigned vector)
{
	g->fault.vector = vector;
	g->fault.error = f->error;
	g->fault.rip = f->rip;
	g->fault.cr2 = (vector == 14 || vector == 8) ? read_cr2() : 0;
	g->fault.rsp = f->rsp;
	g->fault.stack_guard = vector == 8 && fault_hit_stack_guard(f);
	g->fault.nbt = 0;
	if (in_wait_loop(f)) /* frameless: its return address is at RSP */
		g->fault.bt[g->fault.nbt++] = *(const uint64_t *)(uintptr_t)f->rsp;
	g->fault.nbt += backtrace_collect(f->rbp, g->fault.bt + g->fault.nbt,
					  GUARD_BT_DEPTH - g->fault.nbt);
}

/* Make iretq resume g's guard_enter context, returning err from it. */
static void unwind(struct guard *g, struct trap_frame *f, int err)
{
	lock_track_unwind(g->locks);
	f->rbx = g->ctx[0];
	f->rbp = g->ctx[1];
	f->r12 = g->ctx[2];
	f->r13 = g->ctx[3];
	f->r14 = g->ctx[4];
	f->r15 = g->ctx[5];
	f->rsp = g->ctx[6];
	f->rflags = g->ctx[7];
	f->rip = (uint64_t)(uintptr_t)guard_resume;
	f->rax = (uint64_t)(int64_t)err;
	f->rdi = (uint64_t)(uintptr_t)g; /* guard_resume restores from g */
	f->cs = 0x08;
	f->ss = 0x10;
	g->tripped = true; /* disarmed: no second unwind before guard_call pops it */
	g->err = err;
	*slot() = g; /* guards nested inside are gone; guard_call pops g */
}

struct trap_frame *guard_on_fault(struct trap_frame *f)
{
	struct guard *g = *slot();
	if (!g || !g->ctx[6] || g->tripped || f->vector >= 32 || !(containable & (1u << f->vector)))
		return NULL;
	if (nesting != g->irq_depth)
		return NULL; /* an interrupt handler's own fault, not the guarded call's */
	/* A #DF is contained when a stack overflow into a guard page caused it, or
	 * when module code was running (a module that broke its stack pointer:
	 * the exception could not be delivered on it). */
	if (f->vector == 8 && !fault_hit_stack_guard(f) &&
	    !(code_lookup && code_lookup((uintptr_t)f->rip)))
		return NULL;
	/* A #DB is contained only in module code: one that set the trap flag
	 * (popf of a broken word: a bit flip) traps at its next instruction. */
	if (f->vector == 1 && !(code_lookup && code_lookup((uintptr_t)f->rip)))
		return NULL;
	record(g, f, (unsigned)f->vector);
	unwind(g, f, TH_EFAULT);
	return f;
}

void guard_on_tick(struct trap_frame *f)
{
	struct guard *g = *slot();
	if (!g || !g->ctx[6] || g->tripped || !g->deadline_ns || nesting != g->irq_depth)
		return;
	if (!guard_watchdog_due(time_ns(), __atomic_load_n(&g->deadline_ns, __ATOMIC_SEQ_CST),
				&g->late_ns))
		return;
	record(g, f, WATCHDOG_VECTOR);
	unwind(g, f, TH_ETIMEDOUT);
}

/* f interrupted module code, or the kernel's wait loop (time_delay_us's
 * tsc_wait_until) waiting for module code: a wait holds and changes
 * nothing, so cutting it is as safe as cutting the module's own code, and
 * a policy op or an interrupts-off call in time_delay_us(an hour) would
 * otherwise hold its CPU for the hour (an NMI would rarely land in the
 * module's few instructions around it).  tsc_wait_until pushes nothing:
 * the word at RSP is its return address, into time_delay_us (whose caller
 * is then found through the frame chain) or, tail-called, into its caller. */
static bool nmi_may_cut(const struct trap_frame *f)
{
	if (code_lookup((uintptr_t)f->rip))
		return true;
	if (!in_wait_loop(f))
		return false;
	uint64_t ret = *(const uint64_t *)(uintptr_t)f->rsp, bt[1];
	if (code_lookup((uintptr_t)ret))
		return true;
	const char *name;
	uint64_t off;
	if (!ksyms_lookup(ret, &name, &off) || strcmp(name, "time_delay_us"))
		return false;
	return backtrace_collect(f->rbp, bt, 1) == 1 && code_lookup((uintptr_t)bt[0]);
}

void guard_on_nmi(struct trap_frame *f)
{
	nmis++;
	struct guard *g = *slot();
	if (!nmi_on || !g || !g->ctx[6] || g->tripped || !g->deadline_ns || !code_lookup)
		return;
	if (!guard_watchdog_due(time_ns(), __atomic_load_n(&g->deadline_ns, __ATOMIC_SEQ_CST),
				&g->late_ns))
		return; /* first: the module walk below runs only past the budget */
	if (!nmi_may_cut(f))
		return; /* other kernel code (maybe mid-interrupt entry): never cut */
	record(g, f, WATCHDOG_VECTOR);
	unwind(g, f, TH_ETIMEDOUT);
}

/* "f+0x9" (module or kernel symbol) or "0x1234". */
static void sym(uint64_t addr, char *buf, size_t cap)
{
	const char *name, *mod;
	uint64_t off;
	if (ksyms_resolve(addr, &name, &off, &mod))
		snprintf(buf, cap, "%s+0x%llx", name, (unsigned long long)off);
	else
		snprintf(buf, cap, "%#llx", (unsigned long long)addr);
}

int guard_format(const struct guard *g, char *buf, size_t cap)
{
	char at[80];
	const struct guard_fault *x = &g->fault;
	sym(x->rip, at, sizeof at);
	if (x->vector == WATCHDOG_VECTOR)
		return snprintf(buf, cap, "watchdog: %s still running after %llu ms", at,
				(unsigned long long)((g->deadline_ns - g->start_ns) / 1000000));
	if (x->vector == 8 && x->stack_guard)
		return snprintf(buf, cap, "stack overflow at %s (address 0x%llx)", at,
				(unsigned long long)x->cr2);
	if (x->vector == 8) /* module code broke its stack pointer */
		return snprintf(buf, cap, "double fault at %s: bad stack pointer 0x%llx (address 0x%llx)",
				at, (unsigned long long)x->rsp, (unsigned long long)x->cr2);
	if (x->vector == 14)
		return snprintf(buf, cap, "page fault at %s (address 0x%llx)", at,
				(unsigned long long)x->cr2);
	return snprintf(buf, cap, "%s at %s", fault_vector_name(x->vector), at);
}

int guard_format_backtrace(const struct guard *g, char *buf, size_t cap)
{
	size_t pos = 0;
	char s[96];
	if (cap)
		buf[0] = 0;
	ksyms_format(g->fault.rip, s, sizeof s);
	th_appendf(buf, cap, &pos, "%s", s);
	for (size_t i = 0; i < g->fault.nbt; i++) {
		const char *name, *mod;
		uint64_t off;
		if (g->fault.bt[i] == (uint64_t)(uintptr_t)guard_return ||
		    g->fault.bt[i] == (uint64_t)(uintptr_t)guard_resume ||
		    (ksyms_resolve(g->fault.bt[i], &name, &off, &mod) && !mod &&
		     (!strcmp(name, "guard_call") || !strcmp(name, "guard_call_tracked"))))
			break; /* the guard's own frames: the caller is known */
		ksyms_format(g->fault.bt[i], s, sizeof s);
		th_appendf(buf, cap, &pos, " <- %s", s);
	}
	return (int)pos;
}

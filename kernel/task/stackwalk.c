/*
 * stackwalk.c - where every task is executing: the frame-pointer walk of
 * each task's stack (task_foreach_return_address, used by the swap engine to
 * tell whether any task is in, or will return into, a module) and the guard
 * page lookup that names the task in a stack-overflow fault report.
 *
 * A walk only reads aligned words inside the task's own stack bounds, so a
 * corrupt chain ends the walk instead of faulting.
 */
#include "cpu.h"
#include "klibc.h"
#include "smp.h"
#include "task_impl.h"

#define WALK_DEPTH_MAX 64

typedef int (*addr_fn)(void *ctx, const struct task *t, uintptr_t addr);

static bool on_stack(const struct task *t, uintptr_t a, size_t len)
{
	return a % 8 == 0 && a >= t->stack_lo && a < t->stack_hi && len <= t->stack_hi - a;
}

static int walk(const struct task *t, uintptr_t rip, uintptr_t rbp, uintptr_t rsp,
		bool preempted, addr_fn fn, void *ctx)
{
	int r = fn(ctx, t, rip);
	if (r)
		return r;
	/* Stopped in a prologue/epilogue, the caller's return address is at
	 * rsp or rsp+8 and not in the chain: report both words (conservative). */
	for (int i = 0; preempted && i < 2; i++) {
		uintptr_t a = rsp + 8 * (uintptr_t)i;
		if (on_stack(t, a, 8) && (r = fn(ctx, t, *(const uintptr_t *)a)))
			return r;
	}
	for (int depth = 0; depth < WALK_DEPTH_MAX && rbp && on_stack(t, rbp, 16); depth++) {
		uintptr_t next = ((const uintptr_t *)rbp)[0], ret = ((const uintptr_t *)rbp)[1];
		if (!ret)
			break;
		if ((r = fn(ctx, t, ret)))
			return r;
		if (next <= rbp)
			break; /* stacks grow down: the chain must go up */
		rbp = next;
	}
	return 0;
}

__attribute__((noinline)) int task_foreach_return_address(addr_fn fn, void *ctx)
{
	int r = 0;
	if (!fn)
		return TH_EINVAL;
	/* Every other CPU parked (stop-machine; nests inside the swap engine's):
	 * the tasks they run are walked from where they stopped. */
	uint64_t irq = irq_save();
	smp_stop_others();
	uint64_t fl = sched_lock();
	struct task *self = sched_this()->current;
	for (struct task *t = sched.all; t && !r; t = t->all_next) {
		if (t == self) {
			uintptr_t rip, rbp = (uintptr_t)__builtin_frame_address(0);
			__asm__ volatile("leaq 0(%%rip), %0" : "=r"(rip));
			r = walk(t, rip, rbp, 0, false, fn, ctx);
		} else if (t->state == TASK_RUNNING && t->stack_busy) {
			/* On another CPU: where it was parked by stop-machine (smp.h). */
			struct cpu_local *cl = smp_cpu(t->cpu);
			const struct trap_frame *f = cl ? cl->stop_frame : NULL;
			if (f)
				r = walk(t, f->rip, f->rbp, f->rsp, true, fn, ctx);
			else
				r = TH_EBUSY; /* running elsewhere, not stopped: not walkable */
		} else if (t->state != TASK_EXITED && t->frame) {
			const struct trap_frame *f = t->frame;
			/* Preempted by the timer (not by its own sched_enter, vector 48): any point. */
			bool preempted = f->vector != YIELD_VECTOR;
			r = walk(t, f->rip, f->rbp, f->rsp, preempted, fn, ctx);
		}
	}
	sched_unlock(fl);
	smp_resume_others();
	irq_restore(irq);
	return r;
}

int task_foreach(int (*fn)(void *ctx, const struct task *t), void *ctx)
{
	int r = 0;
	if (!fn)
		return TH_EINVAL;
	uint64_t fl = sched_lock();
	for (struct task *t = sched.all; t && !r; t = t->all_next)
		r = fn(ctx, t);
	sched_unlock(fl);
	return r;
}

/* Called from the fault report (maybe in a double fault): no locks. */
bool task_guard_lookup(uint64_t addr, char *who, size_t cap)
{
	for (struct task *t = sched.all; t; t = t->all_next) {
		if (t->stack_phys && addr - t->stack_phys < GUARD_BYTES) {
			snprintf(who, cap, "task '%s'", t->name);
			return true;
		}
	}
	return false;
}

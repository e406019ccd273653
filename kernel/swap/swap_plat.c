/*
 * swap_plat.c - the kernel side of the swap engine's platform hooks: TSC
 * timing (calibrated by ktime), the interrupt flag with every other CPU
 * stopped (stop-machine, smp.h) and the pause that costs, and where tasks are:
 * task_foreach_return_address() once the scheduler runs, before that the
 * current frame-pointer chain (kernel and modules are built with
 * -fno-omit-frame-pointer; boot.S ends the chain with 0); and the entry
 * and argument of every module task that has not returned (one made but not
 * run yet has only the kernel's task start on its stack).
 */
#include "cpu.h"
#include "ktime.h"
#include "smp.h"
#include "swap_impl.h"
#include "task.h"

#define WALK_DEPTH 64
#define WALK_MAX_FRAME (64u << 10) /* a larger gap between frames ends the walk */

uint64_t swap_plat_tsc(void)
{
	return rdtsc();
}

uint64_t swap_plat_tsc_ns(uint64_t delta)
{
	return time_tsc_to_ns(delta);
}

uint64_t swap_plat_now_ns(void)
{
	return time_ns();
}

uint64_t swap_plat_irq_save(void)
{
	uint64_t flags = irq_save();
	smp_stop_others();
	return flags;
}

void swap_plat_irq_restore(uint64_t flags)
{
	smp_resume_others();
	irq_restore(flags);
}

uint64_t swap_plat_pause_ns(void)
{
	return smp_stop_pause_ns();
}

unsigned swap_plat_cpus(void)
{
	return smp_cpu_count();
}

static struct task *volatile engine_owner;
static unsigned engine_depth;

void swap_plat_engine_lock(void)
{
	struct task *me = sched_running() ? task_current() : NULL;
	if (!me)
		return; /* before the scheduler: one context only */
	if (engine_owner == me) {
		engine_depth++;
		return;
	}
	for (;;) {
		struct task *none = NULL;
		if (__atomic_compare_exchange_n(&engine_owner, &none, me, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		task_yield(); /* another task's transaction: let it finish */
	}
	engine_depth = 1;
}

void swap_plat_engine_unlock(void)
{
	if (!sched_running() || engine_owner != task_current() || --engine_depth)
		return;
	__atomic_store_n(&engine_owner, NULL, __ATOMIC_RELEASE);
}

struct walk_ctx {
	swap_addr_fn fn;
	void *ctx;
};

static int task_addr(void *ctx, const struct task *t, uintptr_t addr)
{
	struct walk_ctx *w = ctx;

	(void)t;
	w->fn(w->ctx, addr);
	return 0;
}

void swap_plat_walk_current(swap_addr_fn fn, void *ctx)
{
	const uintptr_t *fp = __builtin_frame_address(0);
	struct walk_ctx w = {fn, ctx};
	int depth;

	task_module_foreach_pending(fn, ctx);
	if (sched_running() && task_foreach_return_address(task_addr, &w) == 0)
		return; /* every task, the current one included */

	for (depth = 0; fp && depth < WALK_DEPTH; depth++) {
		const uintptr_t *next = (const uintptr_t *)fp[0];
		fn(ctx, fp[1]);
		if ((uintptr_t)next % 8 || next <= fp || (uintptr_t)next - (uintptr_t)fp > WALK_MAX_FRAME)
			break;
		fp = next;
	}
}

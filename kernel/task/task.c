/*
 * task.c - task life cycle: create (stack with a guard page, a crafted
 * first trap frame), exit, join (frees stack and struct), detach, and the
 * reclaiming of detached tasks that have exited.
 *
 * A new task's stack:                        stack_hi
 *     [ 0 ]  fake return address: ends every backtrace   <- its first rsp
 *     [ trap frame ]  rip = task_start, rdi = fn, rsi = arg, IF set
 *     ... grows down ...
 *                                            stack_lo
 *     [ guard page, unmapped ]               stack_phys
 * The first switch to it "returns" from an interrupt into task_start(fn, arg),
 * which calls fn and hands its result to task_exit().
 */
#include "cpu.h"
#include "frame.h"
#include "klibc.h"
#include "log.h"
#include "smp.h"
#include "task_impl.h"
#include "vmm.h"

extern char boot_stack_bottom[], boot_stack_top[];

#define STACK_PAGES (TASK_STACK_BYTES / FRAME_SIZE)

__attribute__((noreturn)) static void task_start(task_fn fn, void *arg)
{
	task_exit(fn(arg));
}

/* sched.lock held. */
static void link_task(struct task *t)
{
	struct sched_core *c = &sched;
	t->all_prev = NULL;
	t->all_next = c->all;
	if (c->all)
		c->all->all_prev = t;
	c->all = t;
	c->ntasks++;
}

/* sched.lock held. */
static void unlink_task(struct task *t)
{
	struct sched_core *c = &sched;
	if (t->all_prev)
		t->all_prev->all_next = t->all_next;
	else
		c->all = t->all_next;
	if (t->all_next)
		t->all_next->all_prev = t->all_prev;
	t->all_next = t->all_prev = NULL;
	c->ntasks--;
}

static void init_common(struct task *t, const char *name, unsigned priority)
{
	t->magic = TASK_MAGIC;
	snprintf(t->name, sizeof t->name, "%s", name);
	t->se.priority = priority;
	t->se.node.next = t->se.node.prev = &t->se.node;
	t->pin = -1;
	waitq_init(&t->joiners);
}

int task_alloc(const char *name, task_fn fn, void *arg, unsigned priority, struct task **out)
{
	if (!name || !fn || !out || priority > SCHED_PRIO_MAX)
		return TH_EINVAL;
	if (sched.ntasks >= TASK_MAX)
		return TH_EFULL;
	struct task *t = kcalloc(1, sizeof *t);
	uint64_t phys;
	if (!t)
		return TH_ENOMEM;
	if (frame_alloc(STACK_PAGES + 1, &phys)) {
		kfree(t);
		return TH_ENOMEM;
	}
	if (vmm_protect((void *)(uintptr_t)phys, GUARD_BYTES, 0)) { /* the guard page */
		if (frame_free(phys, STACK_PAGES + 1))
			log_error("task", "cannot free the stack of '%s'", name);
		kfree(t);
		return TH_ENOMEM;
	}
	init_common(t, name, priority);
	t->stack_phys = phys;
	t->stack_lo = (uintptr_t)phys + GUARD_BYTES;
	t->stack_hi = t->stack_lo + TASK_STACK_BYTES;

	uint64_t *top = (uint64_t *)t->stack_hi;
	top[-1] = 0; /* task_start's "return address": the end of the chain */
	struct trap_frame *f =
		(struct trap_frame *)((t->stack_hi - 64 - sizeof *f) & ~(uintptr_t)15);
	memset(f, 0, sizeof *f);
	f->rip = (uint64_t)(uintptr_t)task_start;
	f->rdi = (uint64_t)(uintptr_t)fn;
	f->rsi = (uint64_t)(uintptr_t)arg;
	f->cs = 0x08;
	f->ss = 0x10;
	f->rflags = 0x202;            /* IF set, reserved bit 1 */
	f->rsp = t->stack_hi - 8;     /* as after a call: rsp % 16 == 8 */
	f->rbp = 0;
	t->frame = f;
	t->state = TASK_READY;

	uint64_t fl = sched_lock();
	if (sched.ntasks >= TASK_MAX) {
		sched_unlock(fl);
		task_free(t);
		return TH_EFULL;
	}
	t->id = sched.next_id++;
	link_task(t);
	sched_unlock(fl);
	*out = t;
	return TH_OK;
}

int task_adopt_boot_context(struct task **out)
{
	struct task *t = kcalloc(1, sizeof *t);
	if (!t)
		return TH_ENOMEM;
	init_common(t, "main", SCHED_PRIO_DEFAULT);
	t->stack_lo = (uintptr_t)boot_stack_bottom; /* guard: fault.c names "the boot stack" */
	t->stack_hi = (uintptr_t)boot_stack_top;
	t->state = TASK_RUNNING;
	t->stack_busy = 1; /* it runs */
	uint64_t fl = sched_lock();
	t->id = sched.next_id++;
	link_task(t);
	sched_unlock(fl);
	*out = t;
	return TH_OK;
}

int task_adopt_cpu_idle(unsigned cpu, uintptr_t lo, uintptr_t hi, struct task **out)
{
	struct task *t = kcalloc(1, sizeof *t);
	if (!t)
		return TH_ENOMEM;
	char name[TASK_NAME_MAX];
	snprintf(name, sizeof name, "idle%u", cpu);
	init_common(t, name, SCHED_PRIO_MIN);
	t->stack_lo = lo;
	t->stack_hi = hi;
	t->state = TASK_RUNNING;
	t->idle = true;
	t->pin = (int)cpu;
	t->cpu = cpu;
	t->stack_busy = 1;
	uint64_t fl = sched_lock();
	t->id = sched.next_id++;
	link_task(t);
	sched_unlock(fl);
	*out = t;
	return TH_OK;
}

int task_create(const char *name, task_fn fn, void *arg, unsigned priority, struct task **out)
{
	return task_create_on(name, fn, arg, priority, -1, out);
}

int task_create_on(const char *name, task_fn fn, void *arg, unsigned priority, int cpu,
		   struct task **out)
{
	struct task *t;
	if (!sched.running)
		return TH_EBUSY;
	if (cpu < -1 || cpu >= (int)sched.ncpus || (cpu >= 0 && !sched.cpu[cpu].online))
		return TH_ERANGE;
	task_reap_zombies();
	int err = task_alloc(name, fn, arg, priority, &t);
	if (err)
		return err;
	uint64_t fl = sched_lock();
	t->pin = cpu; /* before it is queued: it never runs anywhere else */
	sched_make_ready(t);
	sched_unlock(fl);
	*out = t;
	return TH_OK;
}

void task_exit(int code)
{
	(void)sched_lock(); /* held into sched_enter: never returns */
	struct sched_core *c = &sched;
	struct task *t = sched_this()->current;
	if (t == c->main || t->idle) {
		spin_unlock_irqrestore(&sched.lock, 0);
		log_error("task", "task '%s' may not exit; halting it", t->name);
		for (;;)
			task_sleep_ms(1000);
	}
	t->exit_code = code;
	t->state = TASK_EXITED;
	if (t->detached) {
		unlink_task(t);
		t->wait_next = c->zombies; /* freed by the next task_reap_zombies() */
		c->zombies = t;
	} else {
		(void)waitq_wake_all_locked(&t->joiners);
	}
	sched_enter(); /* never resumed */
	for (;;)
		cpu_halt();
}

void task_free(struct task *t)
{
	if (t->stack_phys) {
		if (vmm_protect((void *)(uintptr_t)t->stack_phys, GUARD_BYTES, VMM_R | VMM_W) ||
		    frame_free(t->stack_phys, STACK_PAGES + 1))
			log_error("task", "cannot free the stack of '%s' (leaked)", t->name);
	}
	t->magic = 0;
	kfree(t);
}

/* A task that has exited may still have the CPU that ran it on its stack,
 * for the few instructions of the switch: wait until that CPU left it. */
static void wait_off_stack(struct task *t)
{
	while (__atomic_load_n(&t->stack_busy, __ATOMIC_ACQUIRE))
		cpu_relax();
}

void task_reap_zombies(void)
{
	if (!sched.zombies)
		return;
	uint64_t fl = sched_lock();
	struct task *z = sched.zombies;
	sched.zombies = NULL;
	sched_unlock(fl);
	while (z) {
		struct task *next = z->wait_next;
		wait_off_stack(z);
		task_free(z);
		z = next;
	}
}

/* sched.lock held. */
static bool joinable(const struct task *t)
{
	return t && t->magic == TASK_MAGIC && t != sched_this()->current && t != sched.main &&
	       !t->idle && !t->detached;
}

int task_join(struct task *t, int *code)
{
	if (!sched.running)
		return TH_EINVAL;
	uint64_t fl = waitq_lock();
	if (!joinable(t)) {
		waitq_unlock(fl);
		return TH_EINVAL;
	}
	if (t->joining) {
		waitq_unlock(fl);
		return TH_EBUSY;
	}
	t->joining = true;
	while (t->state != TASK_EXITED)
		waitq_wait(&t->joiners);
	unlink_task(t);
	waitq_unlock(fl);
	if (code)
		*code = t->exit_code;
	wait_off_stack(t);
	task_free(t);
	return TH_OK;
}

int task_detach(struct task *t)
{
	if (!sched.running)
		return TH_EINVAL;
	uint64_t fl = sched_lock();
	if (!joinable(t)) {
		sched_unlock(fl);
		return TH_EINVAL;
	}
	if (t->joining) {
		sched_unlock(fl);
		return TH_EBUSY;
	}
	bool dead = t->state == TASK_EXITED;
	if (dead)
		unlink_task(t);
	else
		t->detached = true;
	sched_unlock(fl);
	if (dead) {
		wait_off_stack(t);
		task_free(t);
	}
	return TH_OK;
}

const char *task_name(const struct task *t) { return t ? t->name : "?"; }
uint32_t task_id(const struct task *t) { return t ? t->id : 0; }

int task_set_priority(struct task *t, unsigned priority)
{
	if (!t || t->magic != TASK_MAGIC || priority > SCHED_PRIO_MAX)
		return TH_EINVAL;
	uint64_t fl = sched_lock();
	bool requeue = t->se.queued && t->state == TASK_READY;
	if (requeue)
		sched_pol_dequeue(&sched.cpu[t->cpu].rq, &t->se);
	t->se.priority = priority;
	if (requeue)
		sched_pol_enqueue(&sched.cpu[t->cpu].rq, &t->se);
	sched_unlock(fl);
	return TH_OK;
}

int task_pin(struct task *t, int cpu)
{
	if (!t || t->magic != TASK_MAGIC || t->idle || t == sched.main || cpu < -1)
		return TH_EINVAL;
	uint64_t fl = sched_lock();
	if (cpu >= 0 && ((unsigned)cpu >= sched.ncpus || !sched.cpu[cpu].online)) {
		sched_unlock(fl);
		return TH_ERANGE;
	}
	t->pin = cpu;
	if (cpu >= 0 && t->state == TASK_READY && t->se.queued && t->cpu != (unsigned)cpu) {
		sched_pol_dequeue(&sched.cpu[t->cpu].rq, &t->se);
		t->cpu = (unsigned)cpu;
		sched_pol_enqueue(&sched.cpu[cpu].rq, &t->se);
	}
	bool move_self = t == sched_this()->current && cpu >= 0 && (unsigned)cpu != smp_cpu_index();
	sched_unlock(fl);
	if (move_self)
		task_yield(); /* the switch puts it in its CPU's queue */
	return TH_OK;
}

unsigned task_cpu(const struct task *t) { return t ? t->cpu : 0; }

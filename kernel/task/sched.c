/*
 * sched.c - the scheduler core: switching tasks by swapping trap frames.
 *
 * Every entry into the scheduler is an interrupt: the timer tick
 * (sched_on_tick, installed with time_set_tick_hook) and the software
 * interrupt `int $48` (sched_on_yield, installed with pic_set_soft_hook) that
 * blocking calls use.  Both get the interrupted task's struct trap_frame,
 * which lives on that task's own stack; the core stores it in the task and
 * returns the frame of the task to run next, which isr.S resumes.  Interrupt
 * gates clear IF, so all of this runs with interrupts off; task-context
 * callers disable interrupts around every run-queue operation.
 *
 * The order of ready tasks is the policy's (sched_policy.h, policy.c); the
 * idle task is never queued: it runs when the policy has nothing.
 */
#include "cmdline.h"
#include "cpu.h"
#include "guard.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "pic.h"
#include "task_impl.h"

struct sched_cpu sched_cpu;

void sched_enter(void)
{
	__asm__ volatile("int $48" ::: "memory");
}

bool sched_running(void) { return sched_cpu.running; }
struct task *task_current(void) { return sched_cpu.current; }
uint64_t sched_switch_count(void) { return sched_cpu.switches; }
const char *sched_policy_name(void) { return sched_cpu.policy_name; }

void sched_make_ready(struct task *t)
{
	t->state = TASK_READY;
	if (t != sched_cpu.idle)
		sched_pol_enqueue(&sched_cpu.rq, &t->se);
}

/* Move every sleeper whose time has come to the run queue. */
static void wake_sleepers(void)
{
	struct sched_cpu *c = &sched_cpu;
	if (!c->sleepers)
		return;
	uint64_t now = time_ns();
	while (c->sleepers && c->sleepers->wake_ns <= now) {
		struct task *t = c->sleepers;
		c->sleepers = t->wait_next;
		t->wait_next = NULL;
		sched_make_ready(t);
	}
}

/* Save f as the current task's state, pick the next task, return its frame. */
static struct trap_frame *switch_to_next(struct trap_frame *f)
{
	struct sched_cpu *c = &sched_cpu;
	struct task *cur = c->current, *next;
	uint64_t now = rdtsc();

	cur->frame = f;
	cur->cpu_tsc += now - c->switch_tsc;
	c->switch_tsc = now;
	if (cur->state == TASK_RUNNING)
		sched_make_ready(cur); /* preempted or yielding: back in the queue */
	struct sched_entity *e = sched_pol_pick_next(&c->rq);
	next = e ? (struct task *)(void *)((char *)e - offsetof(struct task, se)) : c->idle;
	next->state = TASK_RUNNING;
	if (next != cur) {
		next->switches++;
		c->switches++;
	}
	c->current = next;
	return next->frame;
}

struct trap_frame *sched_on_tick(struct trap_frame *f)
{
	struct sched_cpu *c = &sched_cpu;
	wake_sleepers();
	if (c->current == c->idle) /* anything is better than idling */
		return c->rq.nr_queued ? switch_to_next(f) : f;
	if (sched_pol_tick(&c->rq, &c->current->se))
		return switch_to_next(f);
	return f;
}

struct trap_frame *sched_on_yield(struct trap_frame *f)
{
	wake_sleepers();
	return switch_to_next(f);
}

void task_yield(void)
{
	if (!sched_cpu.running)
		return;
	uint64_t fl = irq_save();
	sched_enter();
	irq_restore(fl);
}

void task_sleep_ns(uint64_t ns)
{
	struct sched_cpu *c = &sched_cpu;
	if (!c->running || c->current == c->idle) {
		time_delay_us(ns / 1000);
		return;
	}
	uint64_t fl = irq_save();
	struct task *t = c->current, **pp = &c->sleepers;
	t->wake_ns = time_ns() + ns;
	while (*pp && (*pp)->wake_ns <= t->wake_ns)
		pp = &(*pp)->wait_next;
	t->wait_next = *pp;
	*pp = t;
	t->state = TASK_SLEEPING;
	sched_enter();
	irq_restore(fl);
}

void task_poll_wait(void)
{
	task_reap_zombies();
	uint64_t fl = irq_save();
	if (sched_cpu.running && sched_cpu.rq.nr_queued)
		sched_enter(); /* someone else is ready: let them run */
	else
		__asm__ volatile("sti; hlt; cli" ::: "memory"); /* sti's shadow: no lost wake-up */
	irq_restore(fl);
}

/* The idle task: halt until an interrupt; the tick hook switches away from
 * it as soon as anything is ready. */
static int idle_main(void *arg)
{
	(void)arg;
	for (;;)
		__asm__ volatile("sti; hlt" ::: "memory");
	return 0;
}

void task_print_text(const char *text)
{
	/* kprintf cuts long output: one line at a time */
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		kprintf("%.*s\n", n, p);
		p += n + (nl ? 1 : 0);
	}
}

/* The current task's guard stack (guard.h). */
static struct guard **current_guards(void)
{
	return sched_cpu.current ? &sched_cpu.current->guards : NULL;
}

void sched_init(const char *cmdline)
{
	struct sched_cpu *c = &sched_cpu;
	struct th_errbuf eb = { "" };
	struct task *main_task, *idle;

	sched_rq_init(&c->rq);
	c->policy = &sched_fifo_ops;
	snprintf(c->policy_name, sizeof c->policy_name, "fifo");
	c->next_id = 1;
	if (task_adopt_boot_context(&main_task) ||
	    task_alloc("idle", idle_main, NULL, SCHED_PRIO_MIN, &idle)) {
		log_error("sched", "cannot create the main and idle tasks: out of memory");
		return; /* tasks stay off; the kernel still runs its main loop */
	}
	c->main = main_task;
	c->idle = idle;
	idle->state = TASK_READY; /* never queued */
	c->current = main_task;
	c->switch_tsc = rdtsc();
	guard_set_slot_fn(current_guards);

	char want[16] = "rr", arg[16];
	int got = cmdline ? cmdline_get(cmdline, "sched", arg, sizeof arg) : TH_ENOENT;
	if (got == TH_OK)
		memcpy(want, arg, sizeof want);
	else if (got != TH_ENOENT)
		log_warn("sched", "sched= needs a policy name (rr, prio); using rr");
	if (sched_policy_select(want, &eb)) {
		log_warn("sched", "%s; falling back to the built-in fifo policy", eb.msg);
		if (sched_policy_select("fifo", &eb))
			log_error("sched", "%s", eb.msg);
	}
	fault_set_stack_guard_lookup(task_guard_lookup);
	uint64_t fl = irq_save();
	c->running = true;
	time_set_tick_hook(sched_on_tick);
	pic_set_soft_hook(sched_on_yield);
	irq_restore(fl);
	log_info("sched", "tasks on: policy %s, tick %u Hz, slice %d ticks, %u KiB stacks",
		 c->policy_name, time_tick_hz(), SCHED_SLICE_TICKS, TASK_STACK_BYTES / 1024);
	if (cmdline && cmdline_has(cmdline, "tasks")) {
		char list[1024];
		task_format_list(list, sizeof list);
		task_print_text(list);
	}
}

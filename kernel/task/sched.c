/*
 * sched.c - the scheduler core: switching tasks by swapping trap frames, on
 * every CPU.
 *
 * Every entry into the scheduler is an interrupt: the timer tick
 * (sched_on_tick: the PIT on the boot CPU, time_set_tick_hook; the local
 * APIC timer on the others, smp_set_tick_hook) and vector 48
 * (sched_on_yield, installed with pic_set_soft_hook) that blocking calls
 * enter through sched_enter (kernel/arch/isr.S: the frame `int $48` would
 * push, built without the instruction).  Both get the interrupted task's
 * struct trap_frame, which lives on that task's own stack; the core stores
 * it in the task and returns the frame of the task to run next, which
 * isr.S resumes.
 *
 * Each CPU has its own run queue; the policy (sched_policy.h, policy.c)
 * orders each queue, places tasks that become ready (select_cpu) and says
 * when a CPU should take a task from another (balance).  One lock,
 * sched.lock, guards all of it (task_impl.h explains the hand-over of the
 * lock through vector 48 and of a task's stack between CPUs).  Each CPU's
 * idle task is never queued: it runs when the CPU's queue is empty.  Task
 * "main" (the kernel's main loop: network, endpoint) is pinned to the boot
 * CPU.
 */
#include "cmdline.h"
#include "cpu.h"
#include "guard.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "pic.h"
#include "profile.h"
#include "smp.h"
#include "task_impl.h"

struct sched_core sched = { .lock = SPINLOCK_INIT };

struct sched_cpu *sched_this(void)
{
	return &sched.cpu[smp_cpu_index() % CPUS_MAX];
}

bool sched_running(void) { return sched.running; }
uint64_t sched_switch_count(void) { return sched.switches; }
const char *sched_policy_name(void) { return sched.policy_name; }
unsigned sched_cpu_count(void) { return sched.ncpus ? sched.ncpus : 1; }

struct task *task_current(void)
{
	uint64_t fl = irq_save(); /* no migration between reading the CPU and its task */
	struct task *t = sched_this()->current;
	irq_restore(fl);
	return t;
}

static struct task *task_of(struct sched_entity *e)
{
	return (struct task *)(void *)((char *)e - offsetof(struct task, se));
}

static bool cpu_ok(int cpu)
{
	return cpu >= 0 && (unsigned)cpu < sched.ncpus && sched.cpu[cpu].online;
}

/* Every CPU's load, for the policy (sched.lock held). */
static unsigned fill_loads(struct sched_cpu_load *load)
{
	for (unsigned i = 0; i < sched.ncpus; i++) {
		const struct sched_cpu *c = &sched.cpu[i];
		uint32_t top = 0;
		for (int q = SCHED_QUEUES - 1; q >= 0 && !top; q--)
			if (c->rq.nonempty & (1u << q))
				for (const struct sched_node *n = c->rq.queues[q].next;
				     n != &c->rq.queues[q]; n = n->next)
					if (SCHED_ENTITY_OF(n)->priority > top)
						top = SCHED_ENTITY_OF(n)->priority;
		load[i] = (struct sched_cpu_load){ c->online, c->rq.nr_queued,
						   c->current && c->current != c->idle, top };
	}
	return sched.ncpus;
}

/* The CPU whose queue t joins as it becomes ready. */
static unsigned place(struct task *t)
{
	if (cpu_ok(t->pin))
		return (unsigned)t->pin;
	if (sched.ncpus < 2)
		return 0;
	struct sched_cpu_load load[CPUS_MAX];
	unsigned n = fill_loads(load);
	unsigned cpu = sched_pol_select_cpu(load, n, &t->se, t->cpu < n ? t->cpu : 0);
	return cpu_ok((int)cpu) ? cpu : sched_least_loaded(load, n, t->cpu);
}

static void enqueue_on(struct task *t, unsigned cpu)
{
	t->cpu = cpu;
	sched_pol_enqueue(&sched.cpu[cpu].rq, &t->se);
}

void sched_make_ready(struct task *t)
{
	t->state = TASK_READY;
	if (t->idle)
		return;
	unsigned cpu = place(t);
	enqueue_on(t, cpu);
	struct sched_cpu *c = &sched.cpu[cpu];
	if (cpu != smp_cpu_index() && c->current == c->idle)
		smp_wake(cpu); /* not a whole tick later */
}

/* Move every sleeper whose time has come to a run queue. */
static void wake_sleepers(void)
{
	if (!sched.sleepers)
		return;
	uint64_t now = time_ns();
	while (sched.sleepers && sched.sleepers->wake_ns <= now) {
		struct task *t = sched.sleepers;
		sched.sleepers = t->wait_next;
		t->wait_next = NULL;
		sched_make_ready(t);
	}
}

/* Take one task from the queue of the CPU the policy names (pinned tasks stay). */
static void balance(unsigned me)
{
	struct sched_cpu_load load[CPUS_MAX];
	unsigned n = fill_loads(load);
	int from = sched_pol_balance(load, n, me);
	if (!cpu_ok(from) || (unsigned)from == me || !sched.cpu[from].rq.nr_queued)
		return;
	struct sched_rq *rq = &sched.cpu[from].rq;
	for (int q = SCHED_QUEUES - 1; q >= 0; q--) /* the first movable one, highest first */
		for (struct sched_node *nd = rq->queues[q].next; nd != &rq->queues[q]; nd = nd->next) {
			struct task *t = task_of(SCHED_ENTITY_OF(nd));
			if (t->pin >= 0)
				continue;
			sched_pol_dequeue(rq, &t->se);
			enqueue_on(t, me);
			return;
		}
}

/* A guarded call's budget (guard.h) counts the time its task runs, not the
 * time it waits in a run queue: a task switched back in has the deadlines
 * of its active guards moved on by the time it was switched out (a budget
 * paused while it blocked is 0 and stays so).  Else a task preempted behind
 * many others (32 tasks with 20 ms slices on one CPU wait 620 ms for their
 * turn) was cut as hung without running past its budget. */
static void guards_shift(struct task *t, uint64_t now_ns)
{
	if (!t->off_ns || now_ns <= t->off_ns)
		return;
	uint64_t away = now_ns - t->off_ns;
	for (struct guard *g = t->guards; g; g = g->prev) {
		uint64_t d = __atomic_load_n(&g->deadline_ns, __ATOMIC_SEQ_CST);
		if (d) {
			g->start_ns += away;
			__atomic_store_n(&g->deadline_ns, d + away, __ATOMIC_SEQ_CST);
		}
	}
}

/* Save f as the current task's state, pick the next task (sched.lock held). */
static struct task *switch_to_next(struct sched_cpu *c, unsigned me, struct trap_frame *f)
{
	struct task *cur = c->current, *next;
	uint64_t now = rdtsc();

	cur->frame = f;
	cur->cpu_tsc += now - c->switch_tsc;
	c->switch_tsc = now;
	if (cur->state == TASK_RUNNING) { /* preempted or yielding: back in a queue */
		cur->state = TASK_READY;
		if (!cur->idle)
			enqueue_on(cur, cpu_ok(cur->pin) ? (unsigned)cur->pin : me);
	}
	struct sched_entity *e = sched_pol_pick_next(&c->rq);
	next = e ? task_of(e) : c->idle;
	next->state = TASK_RUNNING;
	next->cpu = me;
	if (next != cur) {
		uint64_t now_ns = time_ns();
		cur->off_ns = now_ns;
		guards_shift(next, now_ns);
		next->switches++;
		sched.switches++;
		c->current = next;
		smp_this_cpu()->release = &cur->stack_busy; /* isr.S, once off its stack */
	}
	return next;
}

/* After sched.lock is released: the frame to resume.  A task another CPU
 * has just switched away from may still have that CPU on its stack. */
static struct trap_frame *resume(struct task *cur, struct task *next, struct trap_frame *f)
{
	if (next == cur)
		return f;
	while (__atomic_load_n(&next->stack_busy, __ATOMIC_ACQUIRE))
		cpu_relax();
	next->stack_busy = 1;
	smp_tlb_sync(); /* e.g. its guard page, unmapped by another CPU */
	return next->frame;
}

struct trap_frame *sched_on_tick(struct trap_frame *f)
{
	profile_tick(f);  /* every CPU's tick is a profiler sample (profile.h) */
	if (!sched.running)
		return f;
	uint64_t fl = sched_lock();
	unsigned me = smp_cpu_index();
	struct sched_cpu *c = &sched.cpu[me];
	struct task *cur = c->current, *next = cur;
	if (!c->online) {
		sched_unlock(fl);
		return f;
	}
	wake_sleepers();
	if (sched.ncpus > 1 && !--c->balance_ticks) {
		c->balance_ticks = SCHED_BALANCE_TICKS;
		balance(me);
	}
	if (cur == c->idle) { /* anything is better than idling */
		if (c->rq.nr_queued)
			next = switch_to_next(c, me, f);
	} else if (sched_pol_tick(&c->rq, &cur->se) || (cpu_ok(cur->pin) && (unsigned)cur->pin != me)) {
		next = switch_to_next(c, me, f);
	}
	sched_unlock(fl);
	return resume(cur, next, f);
}

/* VEC_WAKE on a CPU other than the boot CPU: run what was queued for it if
 * it idles (no tick accounting). */
static struct trap_frame *sched_on_wake(struct trap_frame *f)
{
	if (!sched.running)
		return f;
	uint64_t fl = sched_lock();
	unsigned me = smp_cpu_index();
	struct sched_cpu *c = &sched.cpu[me];
	struct task *cur = c->current, *next = cur;
	if (c->online && cur == c->idle && c->rq.nr_queued)
		next = switch_to_next(c, me, f);
	sched_unlock(fl);
	return resume(cur, next, f);
}

/* vector 48 (sched_enter): the caller holds sched.lock (sched_enter); released here. */
struct trap_frame *sched_on_yield(struct trap_frame *f)
{
	unsigned me = smp_cpu_index();
	struct sched_cpu *c = &sched.cpu[me];
	struct task *cur = c->current;
	wake_sleepers();
	struct task *next = switch_to_next(c, me, f);
	spin_unlock_irqrestore(&sched.lock, 0); /* interrupts stay off until the iretq */
	return resume(cur, next, f);
}

void task_yield(void)
{
	if (!sched.running)
		return;
	uint64_t fl = sched_lock();
	sched_enter();
	irq_restore(fl);
}

void task_sleep_ns(uint64_t ns)
{
	uint64_t fl = sched_lock();
	struct sched_cpu *c = sched_this();
	if (!sched.running || c->current == c->idle) {
		sched_unlock(fl);
		time_delay_us(ns / 1000);
		return;
	}
	struct task *t = c->current, **pp = &sched.sleepers;
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
	uint64_t fl = sched_lock();
	if (sched.running && sched_this()->rq.nr_queued) {
		sched_enter(); /* someone else is ready: let them run */
	} else {
		spin_unlock_irqrestore(&sched.lock, 0);
		__asm__ volatile("sti; hlt; cli" ::: "memory"); /* sti's shadow: no lost wake-up */
	}
	irq_restore(fl);
}

/* The boot CPU's idle task: halt until an interrupt; the tick hook switches
 * away from it as soon as anything is ready.  (The other CPUs' idle tasks
 * are their boot contexts, halting in smp_ap_main.) */
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
	struct task *t = sched_this()->current;
	return t ? &t->guards : NULL;
}

/* The CPUs other than the boot CPU join: each one's boot context becomes its
 * idle task (it halts in smp_ap_main), and its timer tick schedules. */
static void start_other_cpus(void)
{
	for (unsigned i = 1; i < sched.ncpus; i++) {
		struct cpu_local *cl = smp_cpu(i);
		struct task *idle;
		if (!cl || task_adopt_cpu_idle(i, cl->stack_lo, cl->stack_hi, &idle)) {
			log_error("sched", "CPU %u: no idle task (out of memory); it runs no tasks", i);
			continue;
		}
		uint64_t fl = sched_lock();
		struct sched_cpu *c = &sched.cpu[i];
		c->idle = c->current = idle;
		c->switch_tsc = rdtsc();
		c->online = true;
		sched_unlock(fl);
	}
	smp_set_wake_hook(sched_on_wake);
	smp_set_tick_hook(sched_on_tick);
}

void sched_init(const char *cmdline)
{
	struct th_errbuf eb = { "" };
	struct task *main_task, *idle;

	sched.ncpus = smp_cpu_count() < CPUS_MAX ? smp_cpu_count() : CPUS_MAX;
	for (unsigned i = 0; i < CPUS_MAX; i++) {
		sched_rq_init(&sched.cpu[i].rq);
		sched.cpu[i].balance_ticks = SCHED_BALANCE_TICKS;
	}
	sched.policy = &sched_fifo_ops;
	snprintf(sched.policy_name, sizeof sched.policy_name, "fifo");
	sched.next_id = 1;
	if (task_adopt_boot_context(&main_task) ||
	    task_alloc("idle", idle_main, NULL, SCHED_PRIO_MIN, &idle)) {
		log_error("sched", "cannot create the main and idle tasks: out of memory");
		return; /* tasks stay off; the kernel still runs its main loop */
	}
	struct sched_cpu *c = &sched.cpu[0];
	sched.main = main_task;
	main_task->pin = 0;     /* the main loop (network, endpoint) stays on the boot CPU */
	idle->idle = true;
	idle->pin = 0;
	idle->state = TASK_READY; /* never queued */
	c->idle = idle;
	c->current = main_task;
	c->switch_tsc = rdtsc();
	guard_set_slot_fn(current_guards);

	char want[16] = "rr", arg[16];
	int got = cmdline ? cmdline_get(cmdline, "sched", arg, sizeof arg) : TH_ENOENT;
	if (got == TH_OK && arg[0])
		memcpy(want, arg, sizeof want);
	else if (got != TH_ENOENT)   /* bare, empty or too long */
		log_warn("sched", "sched= needs a policy name (rr, prio); using rr");
	if (sched_policy_select(want, &eb)) {
		const char *why = strncmp(eb.msg, "sched: ", 7) ? eb.msg : eb.msg + 7; /* no "sched: sched:" */
		log_warn("sched", "%s; falling back to the built-in fifo policy", why);
		if (sched_policy_select("fifo", &eb))
			log_error("sched", "%s", eb.msg);
	}
	fault_set_stack_guard_lookup(task_guard_lookup);
	uint64_t fl = irq_save();
	c->online = true;
	sched.running = true;
	time_set_tick_hook(sched_on_tick);
	pic_set_soft_hook(sched_on_yield);
	irq_restore(fl);
	start_other_cpus();
	log_info("sched", "tasks on: policy %s, tick %u Hz, slice %d ticks, %u KiB stacks, %u CPU%s",
		 sched.policy_name, time_tick_hz(), SCHED_SLICE_TICKS, TASK_STACK_BYTES / 1024,
		 sched.ncpus, sched.ncpus == 1 ? "" : "s");
	if (cmdline && cmdline_has(cmdline, "tasks")) {
		char list[1024];
		task_format_list(list, sizeof list);
		task_print_text(list);
	}
}

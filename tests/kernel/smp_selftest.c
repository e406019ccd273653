/*
 * smp_selftest.c - the boot self-tests of several CPUs, selftest=smp_NAME
 * (test image only; dispatched from selftest.c; run in task "main" on the
 * boot CPU; boot with QEMU -smp 4).  Each prints "selftest smp_NAME:
 * PASS|FAIL" and powers off with SHUTDOWN_SUCCESS or SHUTDOWN_FAILURE:
 *   smp_tasks   a task pinned to each CPU runs there and only there; 8
 *               unpinned CPU-bound tasks spread over every CPU; wait queues
 *               and joins across CPUs; heap and frames flat over 5 rounds
 *   smp_switch  rr -> prio -> rr (rollback) -> prio -> rr by live swap while
 *               8 tasks spin on all CPUs: none lost, every CPU's queue
 *               carried over, all joined
 *   smp_fault   a task pinned to CPU 2 calls modules/faulty's faulty_null:
 *               TH_EFAULT on CPU 2, the module recovered (restarted); then
 *               faulty_spin_cli (a hang with interrupts off): TH_ETIMEDOUT
 *               by the NMI watchdog; faulty_ok answers again from CPU 2
 */
#include "frame.h"
#include "heap.h"
#include "klibc.h"
#include "log.h"
#include "modcall.h"
#include "selftest.h"
#include "shutdown.h"
#include "smp.h"
#include "swap.h"
#include "task.h"

static int failures;

#define EXPECT(cond, ...)                                                  \
	do {                                                               \
		if (!(cond)) {                                             \
			failures++;                                        \
			kprintf("selftest smp: FAIL %s:%d: %s: ", __func__, __LINE__, #cond); \
			kprintf(__VA_ARGS__);                              \
			kprintf("\n");                                     \
		}                                                          \
	} while (0)

static struct task *spawn(const char *name, task_fn fn, void *arg, unsigned prio, int pin)
{
	struct task *t = NULL;
	int err = task_create_on(name, fn, arg, prio, pin, &t);
	if (err) {
		kprintf("selftest smp: FAIL task_create/pin(%s): %s\n", name, th_err_name(err));
		shutdown(SHUTDOWN_FAILURE);
	}
	return t;
}

static int join(struct task *t)
{
	int code = -1, err = task_join(t, &code);
	EXPECT(err == TH_OK, "join: %s", th_err_name(err));
	return code;
}

/* ---- smp_tasks ---------------------------------------------------------- */
struct pinned {
	int cpu;
	volatile uint32_t seen;   /* bit per CPU it ran on */
	volatile uint64_t loops;
};

static int pinned_main(void *arg)
{
	struct pinned *p = arg;
	for (int i = 0; i < 20000; i++) {
		p->seen |= 1u << smp_cpu_index();
		p->loops++;
		if (i % 1000 == 0)
			task_yield();
	}
	return p->cpu;
}

struct spread {
	volatile bool *stop;
	volatile uint32_t seen;
	volatile uint64_t loops;
};

static int spread_main(void *arg)
{
	struct spread *s = arg;
	while (!*s->stop) {
		s->seen |= 1u << smp_cpu_index();
		s->loops++;
	}
	return 0;
}

struct relay {
	struct waitq wq;
	volatile int token;       /* passed 0 -> 1 -> ... across CPUs */
	volatile int done;
};

/* Task i waits for token == i (on its own CPU), passes it on. */
static int relay_main(void *arg)
{
	struct relay *r = (struct relay *)((uintptr_t)arg & ~(uintptr_t)7);
	int me = (int)((uintptr_t)arg & 7);
	for (int round = 0; round < 50; round++) {
		uint64_t fl = waitq_lock();
		while (r->token % 4 != me)
			waitq_wait(&r->wq);
		r->token++;
		waitq_unlock(fl);
		(void)waitq_wake_all(&r->wq);
	}
	__atomic_add_fetch(&r->done, 1, __ATOMIC_ACQ_REL);
	return 0;
}

static void tasks_round(unsigned ncpu, bool report)
{
	struct pinned p[CPUS_MAX];
	struct task *t[CPUS_MAX];
	for (unsigned i = 0; i < ncpu; i++) {
		p[i] = (struct pinned){ (int)i, 0, 0 };
		t[i] = spawn("pinned", pinned_main, &p[i], SCHED_PRIO_DEFAULT, (int)i);
	}
	for (unsigned i = 0; i < ncpu; i++) {
		EXPECT(join(t[i]) == (int)i, "pinned %u exit code", i);
		EXPECT(p[i].seen == 1u << i, "task pinned to CPU %u ran on CPUs %#x", i, p[i].seen);
	}
	volatile bool stop = false;
	struct spread s[8];
	struct task *u[8];
	for (int i = 0; i < 8; i++) {
		s[i] = (struct spread){ &stop, 0, 0 };
		u[i] = spawn("spread", spread_main, &s[i], SCHED_PRIO_DEFAULT, -1);
	}
	uint32_t all = (1u << ncpu) - 1, used = 0;
	for (int wait = 0; wait < 400 && (used & all) != all; wait++) {
		task_sleep_ms(5);
		used = 0;
		for (int i = 0; i < 8; i++)
			used |= s[i].seen;
	}
	stop = true;
	for (int i = 0; i < 8; i++)
		(void)join(u[i]);
	used = 0;
	for (int i = 0; i < 8; i++)
		used |= s[i].seen;
	EXPECT((used & all) == all, "8 unpinned tasks ran on CPUs %#x of %#x", used, all);
	struct relay r = { WAITQ_INIT, 0, 0 };
	struct task *w[4];
	for (uintptr_t i = 0; i < 4; i++)
		w[i] = spawn("relay", relay_main, (void *)((uintptr_t)&r | i), SCHED_PRIO_DEFAULT,
			     (int)(i % ncpu));
	for (int i = 0; i < 4; i++)
		(void)join(w[i]);
	EXPECT(r.token == 200 && r.done == 4, "relay: token %d, %d done", r.token, r.done);
	if (report)
		kprintf("selftest smp_tasks: %u pinned tasks each on its CPU; 8 unpinned ran on CPUs "
			"%#x; relay of 4 tasks over %u CPUs: %d hand-overs\n", ncpu, used,
			ncpu < 4 ? ncpu : 4, r.token);
}

/* A task pins itself elsewhere: it is there when task_pin returns. */
static int self_pin(void *arg)
{
	int target = (int)(intptr_t)arg;
	if (task_pin(task_current(), target))
		return -1;
	int here = (int)smp_cpu_index();
	for (int i = 0; i < 5; i++) {
		task_yield();
		if ((int)smp_cpu_index() != target)
			return -2;
	}
	return here;
}

static void test_tasks(void)
{
	unsigned ncpu = sched_cpu_count();
	EXPECT(ncpu >= 2, "only %u CPU schedules tasks", ncpu);
	struct task *t;
	EXPECT(task_create_on("x", pinned_main, NULL, 1, (int)ncpu, &t) == TH_ERANGE, "no such CPU");
	t = spawn("selfpin", self_pin, (void *)(intptr_t)(ncpu - 1), SCHED_PRIO_DEFAULT, -1);
	int code = join(t);
	EXPECT(code == (int)ncpu - 1, "a task pinned itself to CPU %u: ran on %d", ncpu - 1, code);
	EXPECT(task_pin(task_current(), 1) == TH_EINVAL, "main may not leave the boot CPU");
	tasks_round(ncpu, true); /* warm up: slabs and split page tables stay */
	struct heap_stats h0, h1;
	heap_get_stats(&h0);
	size_t f0 = frame_free_count(), tasks0 = task_count();
	for (int i = 0; i < 5; i++)
		tasks_round(ncpu, false);
	heap_get_stats(&h1);
	size_t f1 = frame_free_count();
	kprintf("selftest smp_tasks: 5 rounds: heap %zu -> %zu bytes, free frames %zu -> %zu, "
		"tasks %zu -> %zu\n", h0.bytes_in_use, h1.bytes_in_use, f0, f1, tasks0, task_count());
	EXPECT(h0.bytes_in_use == h1.bytes_in_use, "heap not flat");
	EXPECT(tasks0 == task_count(), "task count changed");
}

/* ---- smp_switch --------------------------------------------------------- */
static int swap_policy(const char *src, const char *from)
{
	struct th_errbuf eb = { "" };
	struct swap_result res;
	void *obj = NULL;
	size_t len = 0;
	int err = selftest_boot ? swap_boot_object(selftest_boot, src, &obj, &len) : TH_ENOENT;
	if (err) {
		EXPECT(false, "no boot module %s to swap in (%s)", src, th_err_name(err));
		return err;
	}
	struct swap_request req = { "sched", obj, len, from, NULL, NULL };
	err = swap_modules(&req, 1, &res, &eb);
	kfree(obj);
	EXPECT(err == TH_OK, "swap sched %s -> %s: %s", from, src, eb.msg);
	if (!err)
		kprintf("selftest smp_switch: live swap sched %s -> %s in %llu us\n", from,
			sched_policy_name(), (unsigned long long)(res.total_ns / 1000));
	return err;
}

static int rollback_policy(void)
{
	struct th_errbuf eb = { "" };
	struct swap_result res;
	char from[16];
	snprintf(from, sizeof from, "%s", sched_policy_name()); /* the name changes with it */
	int err = swap_rollback("sched", &res, &eb);
	EXPECT(err == TH_OK && !strcmp(sched_policy_name(), "rr"), "rollback sched from %s: %s", from,
	       eb.msg);
	if (!err)
		kprintf("selftest smp_switch: rollback sched %s -> %s in %llu us\n", from,
			sched_policy_name(), (unsigned long long)(res.total_ns / 1000));
	return err;
}

static void snap(const struct spread *s, uint64_t *out, uint32_t *cpus)
{
	*cpus = 0;
	for (int i = 0; i < 8; i++) {
		out[i] = s[i].loops;
		*cpus |= s[i].seen;
	}
}

static void test_switch(void)
{
	unsigned ncpu = sched_cpu_count();
	volatile bool stop = false;
	struct spread s[8];
	struct task *t[8];
	uint64_t a[8], b[8];
	uint32_t cpus;
	EXPECT(ncpu >= 2, "only %u CPU schedules tasks", ncpu);
	for (int i = 0; i < 8; i++) {
		s[i] = (struct spread){ &stop, 0, 0 };
		/* two per CPU, equal priority: prio runs them all */
		t[i] = spawn("spin", spread_main, &s[i], SCHED_PRIO_DEFAULT, i % (int)ncpu);
	}
	task_sleep_ms(100);
	snap(s, a, &cpus);
	/* swap to prio, roll back to rr, swap to prio, swap to rr */
	const char *steps[][2] = { { "sched_prio", "rr-1.0" }, { NULL, "prio-1.0" },
				   { "sched_prio", "rr-1.0" }, { "sched_rr", "prio-1.0" } };
	for (int step = 0; step < 4; step++) {
		size_t tasks0 = task_count();
		if (steps[step][0] ? swap_policy(steps[step][0], steps[step][1]) : rollback_policy())
			break;
		EXPECT(task_count() == tasks0, "tasks lost in the swap");
		snap(s, a, &cpus);
		for (int wait = 0; wait < 400; wait++) { /* every task moves again */
			task_sleep_ms(5);
			snap(s, b, &cpus);
			int moved = 0;
			for (int i = 0; i < 8; i++)
				moved += b[i] > a[i];
			if (moved == 8)
				break;
		}
		for (int i = 0; i < 8; i++)
			EXPECT(b[i] > a[i], "spinner %d lost under %s", i, sched_policy_name());
	}
	EXPECT(cpus == (1u << ncpu) - 1, "spinners ran on CPUs %#x", cpus);
	stop = true;
	for (int i = 0; i < 8; i++)
		(void)join(t[i]);
	kprintf("selftest smp_switch: rr -> prio -> rr (rollback) -> prio -> rr by live swap with tasks "
		"on CPUs %#x, 8 of 8 joined\n", cpus);
}

/* ---- smp_fault ---------------------------------------------------------- */
struct fault_call {
	int err_fault, err_hang, err_ok, result;
	unsigned cpu_fault, cpu_hang, cpu_ok;
	char msg_hang[160];
	char msg[160];
	char out[8];
};

static int fault_main(void *arg)
{
	struct fault_call *c = arg;
	struct th_errbuf eb = { "" };
	size_t out_len = 0;
	c->cpu_fault = smp_cpu_index();
	c->err_fault = modcall_invoke("faulty", "faulty_null", NULL, 0, (uint8_t *)c->out,
				      sizeof c->out, &out_len, &c->result, &eb);
	snprintf(c->msg, sizeof c->msg, "%s", eb.msg);
	for (int i = 0; i < 100 && strcmp(modcall_state("faulty"), "ok"); i++)
		task_sleep_ms(10); /* recovery may go on */
	/* A hang with interrupts off: only the NMI watchdog (the boot CPU's
	 * tick, forwarded to this CPU) can cut it. */
	eb.msg[0] = '\0';
	c->cpu_hang = smp_cpu_index();
	c->err_hang = modcall_invoke("faulty", "faulty_spin_cli", NULL, 0, (uint8_t *)c->out,
				     sizeof c->out, &out_len, &c->result, &eb);
	snprintf(c->msg_hang, sizeof c->msg_hang, "%s", eb.msg);
	for (int i = 0; i < 100 && strcmp(modcall_state("faulty"), "ok"); i++)
		task_sleep_ms(10);
	eb.msg[0] = '\0';
	c->cpu_ok = smp_cpu_index();
	c->err_ok = modcall_invoke("faulty", "faulty_ok", NULL, 0, (uint8_t *)c->out,
				   sizeof c->out - 1, &out_len, &c->result, &eb);
	c->out[out_len < sizeof c->out ? out_len : sizeof c->out - 1] = '\0';
	return 0;
}

static void test_fault(void)
{
	unsigned ncpu = sched_cpu_count();
	EXPECT(ncpu >= 3, "needs 3 CPUs, %u schedule tasks", ncpu);
	if (ncpu < 3)
		return;
	struct fault_call c = { 0 };
	struct task *t = spawn("faulter", fault_main, &c, SCHED_PRIO_DEFAULT, 2);
	(void)join(t);
	kprintf("selftest smp_fault: on CPU %u: %s (%s); then on CPU %u: %s '%s'; module %s\n",
		c.cpu_fault, th_err_name(c.err_fault), c.msg, c.cpu_ok, th_err_name(c.err_ok), c.out,
		modcall_state("faulty"));
	kprintf("selftest smp_fault: hang with interrupts off on CPU %u: %s (%s)\n", c.cpu_hang,
		th_err_name(c.err_hang), c.msg_hang);
	EXPECT(c.cpu_fault == 2 && c.cpu_hang == 2 && c.cpu_ok == 2, "ran on CPUs %u, %u, %u",
	       c.cpu_fault, c.cpu_hang, c.cpu_ok);
	EXPECT(c.err_fault == TH_EFAULT, "faulty_null gave %s", th_err_name(c.err_fault));
	EXPECT(c.err_hang == TH_ETIMEDOUT, "faulty_spin_cli gave %s", th_err_name(c.err_hang));
	EXPECT(c.err_ok == TH_OK && !strcmp(c.out, "ok"), "faulty_ok after recovery: %s '%s'",
	       th_err_name(c.err_ok), c.out);
}

void smp_selftest_run(const char *name)
{
	if (!strcmp(name, "smp_tasks")) {
		test_tasks();
	} else if (!strcmp(name, "smp_switch")) {
		test_switch();
	} else if (!strcmp(name, "smp_fault")) {
		test_fault();
	} else {
		kprintf("selftest %s: FAIL unknown (smp_tasks, smp_switch, smp_fault)\n", name);
		shutdown(SHUTDOWN_FAILURE);
	}
	kprintf("selftest %s: %s\n", name, failures ? "FAIL" : "PASS");
	shutdown(failures ? SHUTDOWN_FAILURE : SHUTDOWN_SUCCESS);
}

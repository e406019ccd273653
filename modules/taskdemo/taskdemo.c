/*
 * taskdemo.c - a TEST module (tests/qemu/test_module_tasks.py) for the task
 * API of modules (task_module.h): tasks that work, tasks that fault.
 *   init                 starts a detached task that logs "boot task ran"
 *                        (created before the scheduler at boot: started
 *                        when it runs)
 *   taskdemo_ok          output "ok"
 *   taskdemo_pingpong    a task and the task it starts pass 5 wake-ups
 *                        through a wait queue (the producer sleeps 20 ms
 *                        between them), join; logs "pingpong ok ..."
 *   taskdemo_fault KIND  starts a task that faults (KIND: null, div, ud,
 *                        spin, spin_cli, recurse; pin: takes a strong
 *                        reference to statedb entry taskdemo.pin, then reads
 *                        NULL) and a task that joins it and logs
 *                        "worker ended: <exit code name>"
 *   taskdemo_fault late  starts a task (td_late, logs "late task ran") and
 *                        then faults in the invoke itself: the restart
 *                        replaces this version before td_late first runs
 *   taskdemo_service     starts a task that sleeps in 20 ms steps until it
 *                        is asked to stop (its version replaced), then logs
 *                        "service VERSION stopping"
 *   taskdemo_busy start  starts BUSY_TASKS tasks that only yield (always
 *                        ready: the run queues stay full) until
 *   taskdemo_busy stop   (statedb taskdemo.busy counts the stops) or until
 *                        they are asked to stop; each logs "busy task done"
 *   taskdemo_crunch      starts CRUNCH_TASKS tasks that each compute (busy-
 *                        wait) CRUNCH_ROUNDS x 5 ms without a blocking call,
 *                        then log "crunch task done" (so many, on one CPU,
 *                        wait far longer for their turns than they run)
 *   taskdemo_bootfill.o  (TASKDEMO_VARIANT 2) its init, at boot, creates
 *                        tasks until one is refused (at most 400 tries) and
 *                        logs "boot fill: N tasks, then EFULL"
 *   taskdemo_fill        starts sleeping tasks until th_task_create fails
 *                        (TASK_MAX); output "N tasks, then EFULL"; they
 *                        stop when the version is replaced
 */
#include "theseus.h"

#ifndef TASKDEMO_VARIANT
#define TASKDEMO_VARIANT 1
#endif
#define TD_VERSION "1.0"
#define ROUNDS 5

#define INVOKE_FN(name) \
	int name(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)

enum kind { K_NULL, K_DIV, K_UD, K_SPIN, K_SPIN_CLI, K_RECURSE, K_PIN, K_ALLOCA };

static int recurse(volatile char *prev, unsigned depth)
{
	volatile char pad[256];
	pad[0] = (char)depth;
	pad[255] = prev ? prev[0] : 0;
	if (depth == 0xffffffffu) /* never: keeps the compiler from calling it endless */
		return 0;
	return recurse(pad, depth + 1) + pad[1];
}

static int worker(void *arg)
{
	enum kind k = (enum kind)(uintptr_t)arg;
	volatile int zero = 0, x = 42;
	const int *volatile p = NULL;
	switch (k) {
	case K_NULL:
		return *p;
	case K_DIV:
		return x / zero;
	case K_UD:
		__asm__ volatile("ud2");
		return TH_OK;
	case K_SPIN:
		for (volatile unsigned long i = 0;; i++)
			;
	case K_SPIN_CLI:
		__asm__ volatile("cli");
		for (volatile unsigned long i = 0;; i++)
			;
	case K_RECURSE:
		return recurse(NULL, 0);
	case K_ALLOCA: {
		/* 24 KiB, more than the task's 16 KiB stack, written lowest byte
		 * first: the kit's -fstack-clash-protection probes every page, so
		 * it faults in the guard page (without it, it jumped over). */
		size_t n = 24 * 1024 + (size_t)(x & 1);
		volatile char *a = __builtin_alloca(n);
		a[0] = 1;
		a[n - 1] = 2;
		return a[0] + a[n - 1] == 3 ? TH_OK : TH_EINVAL;
	}
	case K_PIN: {
		struct statedb_ref ref;
		uint64_t *word;
		int err = statedb_open("taskdemo.pin", 0x7464656du, 1, sizeof *word, &ref, NULL);
		if (!err)
			err = statedb_get(ref, 0x7464656du, 1, (void **)&word, NULL);
		if (err)
			return err;
		(*word)++;
		return *p;
	}
	}
	return TH_OK;
}

static int late_task(void *arg)
{
	(void)arg;
	log_info("taskdemo", "late task ran (version " TD_VERSION ", stop %s)",
		 th_task_should_stop() ? "asked" : "not asked");
	return TH_OK;
}

static int joiner(void *arg)
{
	int code = 0;
	int err = th_task_join(arg, &code);
	if (err)
		log_error("taskdemo", "join failed: %s", th_err_name(err));
	else
		log_info("taskdemo", "worker ended: %s", th_err_name(code));
	return err;
}

INVOKE_FN(taskdemo_fault)
{
	static const char *const names[] = { "null", "div", "ud", "spin", "spin_cli", "recurse",
					     "pin", "alloca" };
	struct th_task *w;
	size_t k;
	for (k = 0; k < sizeof names / sizeof names[0]; k++)
		if (strlen(names[k]) == in_len && !memcmp(names[k], in, in_len))
			break;
	if (k == sizeof names / sizeof names[0]) {
		if (in_len == 4 && !memcmp(in, "late", 4)) {
			const int *volatile p = NULL;
			int err = th_task_create("td_late", late_task, NULL, NULL);
			return err ? err : *p;
		}
		return TH_EINVAL;
	}
	int err = th_task_create("td_worker", worker, (void *)(uintptr_t)k, &w);
	if (err)
		return err;
	return th_task_create("td_joiner", joiner, w, NULL);
}
TH_INVOKE(taskdemo_fault);

struct pingpong {
	struct th_waitq wq;
	volatile unsigned value;
	unsigned seen;
};

static bool advanced(void *ctx)
{
	struct pingpong *pp = ctx;
	return pp->value != pp->seen;
}

static int consumer(void *arg)
{
	struct pingpong *pp = arg;
	unsigned wakes = 0;
	while (pp->seen < ROUNDS) {
		int err = th_waitq_wait(&pp->wq, advanced, pp);
		if (err)
			return err;
		pp->seen = pp->value;
		wakes++;
	}
	return (int)wakes;
}

static int producer(void *arg)
{
	struct pingpong *pp = kcalloc(1, sizeof *pp);
	struct th_task *c;
	int code = 0, err;
	(void)arg;
	if (!pp)
		return TH_ENOMEM;
	th_waitq_init(&pp->wq);
	err = th_task_create("td_consumer", consumer, pp, &c);
	if (err) {
		kfree(pp);
		return err;
	}
	for (unsigned i = 0; i < ROUNDS && !err; i++) {
		err = th_task_sleep_ms(20);
		pp->value++;
		(void)th_waitq_wake_one(&pp->wq);
		th_task_yield();
	}
	if (th_task_join(c, &code) == TH_OK && !err)
		log_info("taskdemo", "pingpong ok: consumer saw %u of %u values, exit %d",
			 pp->seen, ROUNDS, code);
	else
		log_error("taskdemo", "pingpong failed: %s", th_err_name(err));
	kfree(pp);
	return err;
}

INVOKE_FN(taskdemo_pingpong)
{
	return th_task_create("td_pingpong", producer, NULL, NULL);
}
TH_INVOKE(taskdemo_pingpong);

static int service(void *arg)
{
	unsigned long rounds = 0;
	(void)arg;
	log_info("taskdemo", "service " TD_VERSION " running");
	while (!th_task_should_stop()) {
		if (th_task_sleep_ms(20))
			break;
		rounds++;
	}
	log_info("taskdemo", "service " TD_VERSION " stopping after %lu rounds (asked: %s)",
		 rounds, th_task_should_stop() ? "yes" : "no");
	return TH_OK;
}

INVOKE_FN(taskdemo_service)
{
	return th_task_create("td_service", service, NULL, NULL);
}
TH_INVOKE(taskdemo_service);

/* A service whose way out faults (a buggy clean-up): asked to stop by a
 * swap, it reads NULL in the code of the version that was replaced. */
static int faulty_exit(void *arg)
{
	(void)arg;
	log_info("taskdemo", "faulty-exit service " TD_VERSION " running");
	while (!th_task_should_stop())
		if (th_task_sleep_ms(20))
			break;
	return *(volatile int *)0;
}

INVOKE_FN(taskdemo_service_faulty_exit)
{
	return th_task_create("td_faulty_exit", faulty_exit, NULL, NULL);
}
TH_INVOKE(taskdemo_service_faulty_exit);

#define BUSY_TASKS 4
#define BUSY_TYPE 0x62757379u /* "busy" */

/* The number of taskdemo_busy stops so far (+ add); 0 if unreadable. */
static uint64_t busy_stops(uint64_t add)
{
	struct statedb_ref ref;
	uint64_t *n, v = 0;
	if (statedb_open("taskdemo.busy", BUSY_TYPE, 1, sizeof *n, &ref, NULL))
		return 0;
	if (!statedb_get(ref, BUSY_TYPE, 1, (void **)&n, NULL)) {
		v = __atomic_add_fetch(n, add, __ATOMIC_SEQ_CST);
		if (statedb_put(ref))
			v = 0;
	}
	if (statedb_close(ref))
		v = 0;
	return v;
}

static int busy(void *arg)
{
	uint64_t stops = (uint64_t)(uintptr_t)arg;
	while (!th_task_should_stop() && busy_stops(0) == stops)
		th_task_yield();
	log_info("taskdemo", "busy task done");
	return TH_OK;
}

INVOKE_FN(taskdemo_busy)
{
	if (in_len == 4 && !memcmp(in, "stop", 4)) {
		(void)busy_stops(1);
		return TH_OK;
	}
	if (in_len != 5 || memcmp(in, "start", 5))
		return TH_EINVAL;
	uintptr_t stops = (uintptr_t)busy_stops(0);
	for (unsigned i = 0; i < BUSY_TASKS; i++) {
		int err = th_task_create("td_busy", busy, (void *)stops, NULL);
		if (err)
			return err;
	}
	return TH_OK;
}
TH_INVOKE(taskdemo_busy);

#define CRUNCH_TASKS 32
#define CRUNCH_ROUNDS 10

static int crunch(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < CRUNCH_ROUNDS; i++)
		time_delay_us(5000);
	log_info("taskdemo", "crunch task done");
	return TH_OK;
}

INVOKE_FN(taskdemo_crunch)
{
	for (unsigned i = 0; i < CRUNCH_TASKS; i++) {
		int err = th_task_create("td_crunch", crunch, NULL, NULL);
		if (err)
			return err;
	}
	return TH_OK;
}
TH_INVOKE(taskdemo_crunch);

/* Sleeps until asked to stop, quietly (taskdemo_fill starts hundreds). */
static int filler(void *arg)
{
	(void)arg;
	while (!th_task_should_stop())
		if (th_task_sleep_ms(50))
			break;
	return TH_OK;
}

INVOKE_FN(taskdemo_fill)
{
	unsigned n = 0;
	int err;
	while ((err = th_task_create("td_fill", filler, NULL, NULL)) == TH_OK)
		n++;
	int len = snprintf((char *)out, out_cap, "%u tasks, then %s", n, th_err_name(err));
	if (len < 0 || (size_t)len >= out_cap)
		return TH_ERANGE;
	*out_len = (size_t)len;
	return TH_OK;
}
TH_INVOKE(taskdemo_fill);

INVOKE_FN(taskdemo_ok)
{
	if (out_cap < 2)
		return TH_ERANGE;
	memcpy(out, "ok", 2);
	*out_len = 2;
	return TH_OK;
}
TH_INVOKE(taskdemo_ok);

#if TASKDEMO_VARIANT != 2
static int boot_task(void *arg)
{
	(void)arg;
	log_info("taskdemo", "boot task ran");
	return TH_OK;
}
#endif

static int taskdemo_init(void)
{
#if TASKDEMO_VARIANT == 2
	/* Before the scheduler runs: tasks until one is refused (at most 400
	 * tries), which must be at TASK_MAX, not when memory runs out. */
	unsigned n = 0;
	int err = TH_OK;
	while (n < 400 && (err = th_task_create("td_bootfill", filler, NULL, NULL)) == TH_OK)
		n++;
	log_info("taskdemo", "boot fill: %u tasks, then %s", n, th_err_name(err));
	return TH_OK;
#else
	return th_task_create("td_boot", boot_task, NULL, NULL);
#endif
}

TH_MODULE("taskdemo", TD_VERSION, "TEST module: module tasks (tests/qemu/test_module_tasks.py)",
	  .init = taskdemo_init);

/*
 * kernel_hasher.c - the task that hashes pushed objects on a CPU other than
 * the network's (kernel_impl.h: kernel_hasher_start).  With more than one
 * CPU the network CPU (the boot CPU, where task "main" polls the NIC) only
 * receives, checks the MAC and copies chunks in; task "hasher", pinned to
 * the last CPU, hashes the in-order prefix of staged objects as it grows.
 * It sleeps on a wait queue and is woken by the endpoint (staging.c) when a
 * chunk extends a prefix: `pending` is set before the wake-up and consumed
 * before the worker looks for work, so no wake-up is lost, and the network
 * CPU takes the scheduler lock only when the worker may be asleep.
 */
#include "kernel_impl.h"

#include "cmdline.h"
#include "klibc.h"
#include "log.h"
#include "task.h"

static struct {
	struct endpoint *ep;
	struct waitq wq;
	bool pending;   /* work may wait (atomic) */
} hasher = { .wq = WAITQ_INIT };

/* On the network CPU, from staging_put. */
static void hasher_wake(void *ctx)
{
	if (!__atomic_exchange_n(&hasher.pending, true, __ATOMIC_SEQ_CST))
		(void)waitq_wake_one(&hasher.wq);
}

static int hasher_main(void *arg)
{
	for (;;) {
		__atomic_store_n(&hasher.pending, false, __ATOMIC_SEQ_CST);
		while (endpoint_hash_work(hasher.ep))
			;
		uint64_t fl = waitq_lock();
		while (!__atomic_load_n(&hasher.pending, __ATOMIC_SEQ_CST))
			waitq_wait(&hasher.wq);
		waitq_unlock(fl);
	}
	return 0;
}

void kernel_hasher_start(struct endpoint *ep, const char *cmdline)
{
	unsigned cpus = sched_cpu_count();
	char opt[8];
	if (cmdline_get(cmdline, "hashcpu", opt, sizeof opt) == TH_OK && !strcmp(opt, "off")) {
		log_info("control", "hashcpu=off: pushed objects are hashed on the network CPU");
		return;
	}
	if (cpus < 2)
		return;   /* one CPU: hashed between datagrams (endpoint_background) */
	int cpu = (int)cpus - 1;   /* task "main", which polls the network, stays on CPU 0 */
	struct task *t;
	hasher.ep = ep;
	int err = task_create_on("hasher", hasher_main, NULL, SCHED_PRIO_DEFAULT, cpu, &t);
	if (!err)
		err = task_detach(t);
	if (err) {
		log_warn("control", "no hash task (%s): pushed objects are hashed on the network CPU",
			 th_strerror(err));
		return;
	}
	endpoint_set_hash_worker(ep, hasher_wake, NULL);
	log_info("control", "pushed objects are hashed on CPU %d (task hasher)", cpu);
}

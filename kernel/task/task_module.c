/*
 * task_module.c - the task API for modules (task_module.h): wrappers over
 * the kernel's tasks and wait queues that run a module task's entry as a
 * guarded call, hand its faults to the fault policy (modcall_task_fault),
 * and ask the tasks of a replaced module version to stop (a swap-engine
 * subscriber sets their stop flag and wakes them).
 *
 * The watchdog budget of a module task counts from its last sleep, yield,
 * wait or join: the budget is paused while it blocks in one of them.
 *
 * Every module task is on one list (all_lock): found by its kernel task
 * for th_task_should_stop(), checked by th_task_join (a stale or forged
 * handle is refused), walked after swaps.
 */
#include "task_module.h"

#include "cpu.h"
#include "guard.h"
#include "klibc.h"
#include "ktime.h"
#include "loader.h"
#include "lock.h"
#include "log.h"
#include "modcall.h"
#include "smp.h"
#include "swap.h"
#include "task.h"
#include "task_impl.h"

#define STOP_POLL_NS 10000000ull /* a sleeping task sees a stop request within 10 ms */

struct th_task {
	struct th_task *next;            /* every module task */
	struct task *t;                  /* NULL until started (created before the scheduler) */
	char name[TASK_NAME_MAX];
	char module[TH_MODULE_NAME_MAX]; /* whose code fn is ... */
	char version[TH_MODULE_VERSION_MAX];
	uint64_t serial;                 /* ... in which load of it */
	th_task_fn fn;
	void *arg;
	struct guard *guard;             /* the entry's guarded call while it runs */
	struct waitq *blocked_on;        /* th_waitq_wait: woken by a stop request */
	volatile bool stop;
	bool told_stop;                  /* warned: it went on blocking after the stop */
	bool detached;
	bool started;                    /* a kernel task was made for it (or tried) */
	bool returned;                   /* its entry is done (a joinable one waits) */
};

_Static_assert(sizeof(struct waitq) <= sizeof(struct th_waitq), "th_waitq too small");

static struct th_task *all;
static struct spinlock all_lock = SPINLOCK_INIT; /* all and the records' links */
static struct swap_subscriber follower;

static struct waitq *wq_of(struct th_waitq *wq)
{
	return (struct waitq *)(void *)wq->opaque;
}

/* all_lock held. */
static void unlink_mt(struct th_task *mt)
{
	for (struct th_task **pp = &all; *pp; pp = &(*pp)->next)
		if (*pp == mt) {
			*pp = mt->next;
			return;
		}
}

static bool listed(const struct th_task *mt)
{
	bool found = false;
	uint64_t fl = spin_lock_irqsave(&all_lock);
	for (struct th_task *p = all; p && !found; p = p->next)
		found = p == mt;
	spin_unlock_irqrestore(&all_lock, fl);
	return found;
}

/* The calling task's record, NULL if it is not a module task: O(1), from
 * its kernel task, which entry() links to it while the entry runs (only the
 * task itself reads and writes that link).  A walk of every module task
 * under all_lock, as before, made 250 module tasks that sleep 50 ms in a
 * loop spin on the lock past their budget. */
static struct th_task *self(void)
{
	struct task *cur = task_current();
	return cur ? task_module_record(cur) : NULL;
}

/* The budget stops while the task blocks, and starts again after. */
static void budget_pause(struct th_task *mt)
{
	if (mt && mt->guard)
		__atomic_store_n(&mt->guard->deadline_ns, 0, __ATOMIC_SEQ_CST);
}

static void budget_resume(struct th_task *mt)
{
	uint64_t b = guard_budget_ns(GUARD_BUDGET_HOOK);
	if (!mt || !mt->guard || !b)
		return;
	uint64_t now = time_ns();
	mt->guard->start_ns = now;
	__atomic_store_n(&mt->guard->deadline_ns, now + b, __ATOMIC_SEQ_CST);
}

static int run_entry(void *ctx)
{
	struct th_task *mt = ctx;
	return mt->fn(mt->arg);
}

/* Every module task starts here (a kernel task).  One asked to stop before
 * it ran (its version was replaced meanwhile) does not enter the old code. */
static int entry(void *arg)
{
	struct th_task *mt = arg;
	struct guard g = { 0 };
	mt->t = task_current();
	mt->guard = &g;
	task_set_module_record(mt->t, mt);
	int r = __atomic_load_n(&mt->stop, __ATOMIC_SEQ_CST)
			? TH_ESTALE : modcall_task_run(mt->module, &g, run_entry, mt);
	task_set_module_record(mt->t, NULL);
	uint64_t fl = spin_lock_irqsave(&all_lock);
	mt->guard = NULL;
	mt->blocked_on = NULL; /* a fault in ready() leaves it set */
	mt->returned = true;
	bool detached = mt->detached;
	if (detached)
		unlink_mt(mt);
	spin_unlock_irqrestore(&all_lock, fl);
	if (g.tripped)
		modcall_task_fault(mt->module, mt->version, mt->serial, mt->name,
				   &g); /* reported from the main loop */
	if (detached)
		kfree(mt);
	return r;
}

/* A kernel task for mt, made ready; detached if mt is.  A detached task may
 * run, return and free mt before task_create returns: mt is not touched
 * after it then (entry sets mt->t itself). */
static int start(struct th_task *mt)
{
	struct task *t;
	bool detached = mt->detached;
	int err = task_create(mt->name, entry, mt, SCHED_PRIO_DEFAULT, &t);
	if (err)
		return err;
	if (!detached)
		mt->t = t;
	else if (task_detach(t))
		log_error("task", "cannot detach a module task (%s)", th_strerror(TH_EINVAL));
	return TH_OK;
}

/* Tasks named one by one per swap; the rest are counted in one line, so a
 * version with hundreds of tasks does not flood the log ring. */
#define STOP_NAMED_MAX 8

/* Swap-engine subscriber (interrupts off): the tasks of a module version
 * that is no longer loaded are asked to stop. */
static void follow_swaps(void *ctx)
{
	(void)ctx;
	unsigned asked = 0;
	uint64_t fl = spin_lock_irqsave(&all_lock);
	for (struct th_task *mt = all; mt; mt = mt->next) {
		struct module *m = loader_find(mt->module);
		if (mt->stop || mt->returned || (m && loader_module_serial(m) == mt->serial))
			continue;
		__atomic_store_n(&mt->stop, true, __ATOMIC_SEQ_CST); /* pairs with th_waitq_wait */
		struct waitq *wq = __atomic_load_n(&mt->blocked_on, __ATOMIC_SEQ_CST);
		if (wq)
			(void)waitq_wake_all(wq);
		if (++asked <= STOP_NAMED_MAX)
			log_info("task", "module task '%s' of %s asked to stop (its version was "
				 "replaced or unloaded)", mt->name, mt->module);
	}
	if (asked > STOP_NAMED_MAX)
		log_info("task", "%u more module tasks asked to stop (their versions were replaced "
			 "or unloaded)", asked - STOP_NAMED_MAX);
	spin_unlock_irqrestore(&all_lock, fl);
}

void task_module_foreach_pending(void (*fn)(void *ctx, uintptr_t addr), void *ctx)
{
	uint64_t fl = spin_lock_irqsave(&all_lock);
	for (struct th_task *mt = all; mt; mt = mt->next) {
		if (mt->returned)
			continue;
		fn(ctx, (uintptr_t)mt->fn);
		fn(ctx, (uintptr_t)mt->arg);   /* often the module's own data */
	}
	spin_unlock_irqrestore(&all_lock, fl);
}

void task_module_start(void)
{
	size_t started = 0;
	for (;;) {
		/* One waiting record at a time, found afresh: a started task may
		 * return and free its record (and unlink it) at any moment. */
		struct th_task *mt;
		char name[TASK_NAME_MAX], module[TH_MODULE_NAME_MAX];
		uint64_t fl = spin_lock_irqsave(&all_lock);
		for (mt = all; mt && mt->started; mt = mt->next)
			;
		if (mt) {
			mt->started = true;
			snprintf(name, sizeof name, "%s", mt->name);
			snprintf(module, sizeof module, "%s", mt->module);
		}
		spin_unlock_irqrestore(&all_lock, fl);
		if (!mt)
			break;
		int err = start(mt);
		if (err)
			log_error("task", "cannot start module task '%s' of %s: %s (its record "
				  "stays until joined)", name, module, th_strerror(err));
		else
			started++;
	}
	if (started)
		log_info("task", "started %zu module tasks created at boot", started);
}

/* A refusal at TASK_MAX is named once per module version ("name version"
 * here), until a module task is created again (all_lock). */
static char full_named[80];

/* Records the outcome of creating mt (err) and names a refusal at TASK_MAX. */
static void note_result(const struct th_task *mt, int err)
{
	char who[sizeof full_named];
	snprintf(who, sizeof who, "%s %s", mt->module, mt->version);
	uint64_t fl = spin_lock_irqsave(&all_lock);
	bool name = err == TH_EFULL && strcmp(full_named, who);
	if (err == TH_EFULL)
		memcpy(full_named, who, sizeof who);
	else if (!err)
		full_named[0] = '\0';
	spin_unlock_irqrestore(&all_lock, fl);
	if (name)
		log_warn("task", "th_task_create('%s') of %s refused: %d tasks exist, the limit "
			 "(TASK_MAX): EFULL", mt->name, who, TASK_MAX);
}

/* Records created before the scheduler runs, waiting for task_module_start
 * (all_lock held). */
static size_t waiting_count(void)
{
	size_t n = 0;
	for (const struct th_task *o = all; o; o = o->next)
		n += !o->started;
	return n;
}

int th_task_create(const char *name, th_task_fn fn, void *arg, struct th_task **out)
{
	if (!name || !fn)
		return TH_EINVAL;
	struct module *m = loader_module_of_addr((uintptr_t)fn);
	if (!m) {
		log_error("task", "th_task_create('%s'): the entry function is not module code",
			  name);
		return TH_EINVAL;
	}
	if (!strcmp(modcall_state(loader_module_name(m)), "quarantined"))
		return TH_EFAULT;
	if (!follower.fn) {
		follower.fn = follow_swaps;
		int err = swap_subscribe(&follower);
		if (err && err != TH_EEXIST) {
			follower.fn = NULL;
			return err;
		}
	}
	struct th_task *mt = kcalloc(1, sizeof *mt);
	if (!mt)
		return TH_ENOMEM;
	snprintf(mt->name, sizeof mt->name, "%s", name);
	snprintf(mt->module, sizeof mt->module, "%s", loader_module_name(m));
	snprintf(mt->version, sizeof mt->version, "%s", loader_module_version(m));
	mt->serial = loader_module_serial(m);
	mt->fn = fn;
	mt->arg = arg;
	mt->detached = !out;
	mt->started = sched_running();
	uint64_t fl = spin_lock_irqsave(&all_lock);
	/* Before the scheduler runs, the records waiting to start count against
	 * TASK_MAX too (else a boot module's init could queue them until the
	 * memory ran out, and all but TASK_MAX would fail to start), and so do
	 * the tasks the scheduler makes when it starts: main and one idle task
	 * per CPU. */
	size_t kernel_tasks = task_count();
	if (kernel_tasks < 1 + (size_t)smp_cpu_count())
		kernel_tasks = 1 + (size_t)smp_cpu_count();
	if (!mt->started && kernel_tasks + waiting_count() >= TASK_MAX) {
		spin_unlock_irqrestore(&all_lock, fl);
		note_result(mt, TH_EFULL);
		kfree(mt);
		return TH_EFULL;
	}
	mt->next = all;
	all = mt;
	spin_unlock_irqrestore(&all_lock, fl);
	if (sched_running()) {
		int err = start(mt);
		note_result(mt, err);
		if (err) {
			fl = spin_lock_irqsave(&all_lock);
			unlink_mt(mt);
			spin_unlock_irqrestore(&all_lock, fl);
			kfree(mt);
			return err;
		}
	}
	if (out)
		*out = mt;
	return TH_OK;
}

/* Blocking with interrupts off (a swap's transfer hook, a driver's irq op)
 * would let other tasks and the old version run in the middle of what must
 * not be interrupted: refused, once logged. */
static bool may_block(const char *what)
{
	if (irq_enabled())
		return true;
	static bool said;
	if (!said) {
		said = true;
		log_warn("task", "%s with interrupts off (in a swap hook or an interrupt handler?): "
			 "refused with EBUSY", what);
	}
	return false;
}

/* A module task that blocks again after it was asked to stop (it ignored
 * ESTALE): said once, and its calls do not return at once any more, so
 * such a loop does not spin a CPU (the old version stays pinned until it
 * returns). */
static void went_on_after_stop(struct th_task *me)
{
	if (me->told_stop)
		return;
	me->told_stop = true;
	log_warn("task", "task %s of %s goes on blocking after it was asked to stop: its entry "
		 "must return (th_task_should_stop, or ESTALE from a blocking call); the old "
		 "version stays loaded until it does", me->name, me->module);
}

int th_task_join(struct th_task *t, int *code)
{
	struct th_task *me = self();
	if (!may_block("th_task_join"))
		return TH_EBUSY;
	if (!t || t == me || !listed(t) || t->detached)
		return TH_EINVAL;
	if (!t->t || !sched_running())
		return TH_EBUSY;
	int c = 0;
	budget_pause(me);
	int err = task_join(t->t, &c);
	budget_resume(me);
	if (err)
		return err;
	uint64_t fl = spin_lock_irqsave(&all_lock);
	unlink_mt(t);
	spin_unlock_irqrestore(&all_lock, fl);
	kfree(t);
	if (code)
		*code = c;
	return TH_OK;
}

int th_task_sleep_ms(uint64_t ms)
{
	struct th_task *me = self();
	if (!may_block("th_task_sleep_ms"))
		return TH_EBUSY;
	uint64_t until = time_ns() + ms * 1000000ull;
	int r = TH_OK;
	/* Asked to stop before this call: the whole sleep, then ESTALE. */
	bool stopped = me && me->stop;
	if (stopped)
		went_on_after_stop(me);
	budget_pause(me);
	for (;;) {
		if (me && me->stop && !stopped) {
			r = TH_ESTALE;
			break;
		}
		uint64_t now = time_ns();
		if (now >= until)
			break;
		uint64_t left = until - now;
		task_sleep_ns(me && left > STOP_POLL_NS ? STOP_POLL_NS : left);
	}
	budget_resume(me);
	return stopped ? TH_ESTALE : r;
}

void th_task_yield(void)
{
	struct th_task *me = self();
	if (!may_block("th_task_yield"))
		return;
	budget_pause(me);
	task_yield();
	budget_resume(me);
}

bool th_task_should_stop(void)
{
	struct th_task *me = self();
	return me && me->stop;
}

void th_waitq_init(struct th_waitq *wq)
{
	if (wq)
		waitq_init(wq_of(wq));
}

int th_waitq_wait(struct th_waitq *wq, bool (*ready)(void *ctx), void *ctx)
{
	if (!wq || !ready)
		return TH_EINVAL;
	if (!sched_running() || !may_block("th_waitq_wait"))
		return TH_EBUSY;
	struct th_task *me = self();
	int r = TH_OK;
	if (me && __atomic_load_n(&me->stop, __ATOMIC_SEQ_CST)) {
		/* Asked to stop before this call (it ignored ESTALE): a pause, so
		 * that a loop around it does not spin a CPU. */
		went_on_after_stop(me);
		task_sleep_ns(STOP_POLL_NS);
		return TH_ESTALE;
	}
	/* The scheduler lock makes check + wait atomic against waitq_wake_* on
	 * every CPU.  blocked_on is published before stop is read and
	 * follow_swaps sets stop before it reads blocked_on (both sequentially
	 * consistent), so a stop request is never missed by a task going to
	 * sleep on another CPU. */
	uint64_t fl = waitq_lock();
	while (!ready(ctx)) {
		if (me)
			__atomic_store_n(&me->blocked_on, wq_of(wq), __ATOMIC_SEQ_CST);
		if (me && __atomic_load_n(&me->stop, __ATOMIC_SEQ_CST)) {
			r = TH_ESTALE;
			break;
		}
		budget_pause(me); /* not around ready(): a hang in it is still cut */
		waitq_wait(wq_of(wq));
		budget_resume(me);
	}
	if (me)
		__atomic_store_n(&me->blocked_on, NULL, __ATOMIC_SEQ_CST);
	waitq_unlock(fl);
	return r;
}

unsigned th_waitq_wake_one(struct th_waitq *wq)
{
	return wq && waitq_wake_one(wq_of(wq)) ? 1 : 0;
}

unsigned th_waitq_wake_all(struct th_waitq *wq)
{
	return wq ? (unsigned)waitq_wake_all(wq_of(wq)) : 0;
}

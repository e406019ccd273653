/*
 * modcall_task.c - module tasks' entries (task_module.h): run guarded with
 * their statedb strong references tracked (modcall_task_run); the task that
 * faulted queues what happened (modcall_task_fault) and ends; the kernel's
 * main loop, the one control context besides the endpoint's requests that
 * it runs too, reports it and recovers the module (modcall_poll), exactly
 * as after a faulted invoke.  Doing it in the faulting task could run a
 * restart in the middle of a swap the main task was preempted in.  A task
 * whose load no longer runs by then (it faulted on its way out after a
 * swap or restart) is reported against its own version and recovers
 * nothing: the version running now did not fault.
 */
#include "modcall_impl.h"

#include "lock.h"
#include "log.h"

#define PENDING_MAX 8

struct pending {
	bool used;
	char module[TH_MODULE_NAME_MAX];
	char version[TH_MODULE_VERSION_MAX];
	uint64_t serial;            /* the load of module the task belonged to */
	char task[24];
	struct guard g;
};

static struct pending queue[PENDING_MAX];
static struct spinlock queue_lock = SPINLOCK_INIT;
static volatile unsigned queued;
static unsigned dropped;

int modcall_task_run(const char *module, struct guard *g, int (*fn)(void *ctx), void *ctx)
{
	return modcall_refs_call(module, g, "task", GUARD_BUDGET_HOOK, fn, ctx);
}

void modcall_task_fault(const char *module, const char *version, uint64_t serial,
			const char *task, const struct guard *g)
{
	uint64_t fl = spin_lock_irqsave(&queue_lock);
	struct pending *p = NULL;
	for (size_t i = 0; i < PENDING_MAX && !p; i++)
		if (!queue[i].used)
			p = &queue[i];
	if (p) {
		p->used = true;
		snprintf(p->module, sizeof p->module, "%s", module);
		snprintf(p->version, sizeof p->version, "%s", version);
		p->serial = serial;
		snprintf(p->task, sizeof p->task, "%s", task);
		p->g = *g;
		queued++;
	} else {
		dropped++;
	}
	spin_unlock_irqrestore(&queue_lock, fl);
	if (!p)
		log_error("fault", "task '%s' of %s faulted; too many faults waiting to be "
			  "reported: not reported or recovered", task, module);
}

void modcall_poll(void)
{
	while (queued) {
		struct pending p;
		bool got = false;
		uint64_t fl = spin_lock_irqsave(&queue_lock);
		for (size_t i = 0; i < PENDING_MAX && !got; i++)
			if (queue[i].used) {
				p = queue[i];
				queue[i].used = false;
				queued--;
				got = true;
			}
		spin_unlock_irqrestore(&queue_lock, fl);
		if (!got)
			return;
		struct th_errbuf eb = { "" };
		struct module *now = loader_find(p.module);
		if ((!now || loader_module_serial(now) != p.serial) && !modcall_culprit(&p.g)) {
			/* Its version was replaced (swapped, restarted, rolled back
			 * or unloaded) before it faulted in that version's code:
			 * the fault is that version's, and the one running now
			 * is not restarted for it. */
			modcall_report_as(p.module, p.version, "task", &p.g, &eb);
			log_warn("fault", "task '%s' ended (%s): %s; not recovered: the load of "
				 "%s %s it ran in was replaced since", p.task, th_err_name(p.g.err),
				 eb.msg, p.module, p.version);
			continue;
		}
		char culprit[TH_MODULE_NAME_MAX];
		snprintf(culprit, sizeof culprit, "%s", modcall_report(p.module, "task", &p.g, &eb));
		modcall_recover(culprit, &eb);
		log_warn("fault", "task '%s' ended (%s): %s", p.task, th_err_name(p.g.err), eb.msg);
	}
}

/*
 * workload.c - a TEST module: the workload of the fault campaign
 * (tests/bench/faultbench.py, README "Faults and recovery").  Its init
 * starts a module task, "workload", that calls faulty_tick() (module
 * faulty, the one the campaign injects faults into and restarts) in a loop,
 * every WORKLOAD_PERIOD_MS:
 *
 *     workload.calls += 1           (statedb, before the call)
 *     faulty_tick()                 faulty.ticks += 1 (statedb)
 *
 * so calls - ticks is the number of calls that did not complete (1 while
 * one is in flight), and faulty.ticks must never go backwards.  A failed
 * call (an error code) is counted in workload.errors.
 *   workload_status  output "calls=N ticks=N errors=N"
 * Both counters live in statedb, so they outlive restarts of either module.
 */
#include "theseus.h"
#include "faulty/faulty.h"

#define WORKLOAD_PERIOD_MS 2
#define COUNTER_TYPE 0x776b6c64u /* "wkld" */
#define TICKS_TYPE 0x7469636bu   /* faulty.ticks, as faulty.c writes it */

/* Add add to the statedb counter name of the given type; *n the new value. */
static int counter_add(const char *name, uint32_t type, uint64_t add, uint64_t *n)
{
	struct statedb_ref ref;
	uint64_t *v;
	int err = statedb_open(name, type, 1, sizeof *v, &ref, NULL);
	if (err)
		return err;
	err = statedb_get(ref, type, 1, (void **)&v, NULL);
	if (!err) {
		*n = __atomic_add_fetch(v, add, __ATOMIC_RELAXED);
		err = statedb_put(ref);
	}
	int cerr = statedb_close(ref);
	return err ? err : cerr;
}

static int loop(void *arg)
{
	(void)arg;
	while (!th_task_should_stop()) {
		uint64_t n;
		int err = counter_add("workload.calls", COUNTER_TYPE, 1, &n);
		if (!err)
			err = faulty_tick(&n);
		if (err && counter_add("workload.errors", COUNTER_TYPE, 1, &n))
			log_warn("workload", "cannot count an error (%s)", th_strerror(err));
		if (th_task_sleep_ms(WORKLOAD_PERIOD_MS))
			break; /* TH_ESTALE: asked to stop (a newer version runs) */
	}
	return TH_OK;
}

int workload_status(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
		    size_t *out_len)
{
	uint64_t calls, ticks, errors;
	if (!out || !out_len)
		return TH_EINVAL;
	int err = counter_add("workload.calls", COUNTER_TYPE, 0, &calls);
	if (!err)
		err = counter_add("faulty.ticks", TICKS_TYPE, 0, &ticks);
	if (!err)
		err = counter_add("workload.errors", COUNTER_TYPE, 0, &errors);
	if (err)
		return err;
	int k = snprintf((char *)out, out_cap, "calls=%llu ticks=%llu errors=%llu",
			 (unsigned long long)calls, (unsigned long long)ticks,
			 (unsigned long long)errors);
	if (k < 0 || (size_t)k >= out_cap)
		return TH_ERANGE;
	*out_len = (size_t)k;
	return TH_OK;
}
TH_INVOKE(workload_status);

static int workload_init(void)
{
	return th_task_create("workload", loop, NULL, NULL);
}

TH_MODULE("workload", "1.0", "fault campaign workload: a task calling faulty_tick in a loop",
	  .init = workload_init);

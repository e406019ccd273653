/*
 * taskdemo.c (taskdemo_v2) - TEST module: "taskdemo" 2.0, swapped in over
 * 1.0 by tests/qemu/test_module_tasks.py.  Its transfer hook starts its own
 * service task (the 1.0 one is asked to stop by the swap); taskdemo_ok
 * answers "ok v2".
 */
#include "theseus.h"

int taskdemo_ok(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	if (out_cap < 5)
		return TH_ERANGE;
	memcpy(out, "ok v2", 5);
	*out_len = 5;
	return TH_OK;
}
TH_INVOKE(taskdemo_ok);

static int service(void *arg)
{
	unsigned long rounds = 0;
	(void)arg;
	log_info("taskdemo", "service 2.0 running");
	while (!th_task_should_stop()) {
		if (th_task_sleep_ms(20))
			break;
		rounds++;
	}
	log_info("taskdemo", "service 2.0 stopping after %lu rounds", rounds);
	return TH_OK;
}

static int taskdemo_transfer(const struct th_module_info *old)
{
	log_info("taskdemo", "2.0 takes over from %s", old ? old->version : "?");
	return th_task_create("td_service", service, NULL, NULL);
}

TH_MODULE("taskdemo", "2.0", "TEST module: module tasks across a swap (test_module_tasks.py)",
	  .transfer = taskdemo_transfer);

/*
 * kernel_profile.c - the endpoint's profiler operations (theseusctl
 * profile) over the kernel's sampling profiler (profile.h): start/stop,
 * the report's summary (status, tick rate, per-CPU totals) and its
 * entries by rank.  The report itself is computed and kept by profile.c
 * (profile_report); this file only copies it out.  Network poll context.
 */
#include "kernel_impl.h"

#include "klibc.h"
#include "ktime.h"
#include "profile.h"

static const struct profile_agg *last;  /* the report the pages are read from */

static int op_profile_control(void *ctx, enum endpoint_profile_action action, bool refresh,
			      struct endpoint_profile *out, struct th_errbuf *eb)
{
	if (action == ENDPOINT_PROFILE_START)
		profile_start();
	else if (action == ENDPOINT_PROFILE_STOP)
		profile_stop();
	struct profile_status st;
	profile_status(&st);
	last = profile_report(refresh);
	out->running = st.running;
	out->elapsed_ms = st.elapsed_ns / 1000000u;
	out->hz = time_tick_hz();
	out->samples = last->samples;
	out->lost = st.lost;
	out->entries_total = last->n_entries;
	uint32_t nc = last->n_cpus < ENDPOINT_PROFILE_CPUS ? last->n_cpus : ENDPOINT_PROFILE_CPUS;
	for (uint32_t i = 0; i < nc; i++) {
		out->cpus[i].cpu = i;
		out->cpus[i].samples = last->cpu[i].samples;
		out->cpus[i].idle = last->cpu[i].idle;
	}
	out->n_cpus = nc;
	return TH_OK;
}

static int op_profile_entry(void *ctx, uint32_t index, struct endpoint_profile_entry *out)
{
	const struct profile_entry *e = last ? profile_agg_entry(last, index) : NULL;
	if (!e)
		return TH_ENOENT;
	_Static_assert(sizeof out->function >= sizeof e->function, "names fit");
	_Static_assert(sizeof out->module >= sizeof e->module, "names fit");
	snprintf(out->function, sizeof out->function, "%s", e->function);
	snprintf(out->module, sizeof out->module, "%s", e->module);
	out->samples = e->samples;
	out->idle = e->idle;
	return TH_OK;
}

void kernel_fill_profile_ops(struct endpoint_ops *ops)
{
	ops->profile_control = op_profile_control;
	ops->profile_entry = op_profile_entry;
}

/*
 * cmd_profile.c - `theseusctl profile [--top N] [SECONDS|start|stop|report]`:
 * where the kernel's CPU time goes, from its sampling profiler (every CPU's
 * timer tick is a sample; proto/theseus.proto, ProfileRequest).
 *
 *   profile [SECONDS]   start, wait SECONDS (default 3; decimals allowed,
 *                       more than 0, at most 3600), stop, print the report
 *   profile start       start (clears the last run's samples)
 *   profile stop        stop and print the report
 *   profile report      print the report without stopping
 *
 * The report's pages are fetched until --top N entries (default 25; 0 =
 * all) or its end.  Text: a summary line, one line per CPU (samples, share
 * idle), then a table SAMPLES, %, IDLE, FUNCTION, MODULE ("kernel" for the
 * kernel's own code, "-" unknown), and a line counting what --top left out.
 * JSON fields: "running", "elapsed_ms", "hz", "samples", "lost",
 * "entries_total", "cpus": [{"cpu","samples","idle"}],
 * "functions": [{"function","module","samples","idle"}] (module "" unknown).
 * A kernel without a profiler (ENOTSUP) is named as such.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "klibc.h"
#include "ctl.h"

#define USAGE "profile [--top N] [SECONDS|start|stop|report]"
#define DEFAULT_SECONDS 3.0
#define MAX_SECONDS 3600.0
#define DEFAULT_TOP 25u

struct prof_entry {
	char *function, *module;
	uint64_t samples, idle;
};

struct prof {
	Theseus__Reply *first;    /* the first page: summary and CPUs */
	struct prof_entry *v;
	size_t n, cap;
};

static void prof_free(struct prof *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].function);
		free(p->v[i].module);
	}
	free(p->v);
	if (p->first)
		theseus__reply__free_unpacked(p->first, NULL);
	memset(p, 0, sizeof *p);
}

static int prof_add(struct prof *p, const Theseus__ProfileEntry *e)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct prof_entry *v = realloc(p->v, cap * sizeof *v);
		if (!v)
			return TH_ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	struct prof_entry *x = &p->v[p->n];
	x->function = strdup(e->function ? e->function : "");
	x->module = strdup(e->module ? e->module : "");
	if (!x->function || !x->module) {
		free(x->function);
		free(x->module);
		return TH_ENOMEM;
	}
	x->samples = e->samples;
	x->idle = e->idle;
	p->n++;
	return TH_OK;
}

/* One profile request; failures reported (an older kernel by name). */
static int call(struct ctl_ctx *ctx, bool start, bool stop, uint32_t offset, Theseus__Reply **rep)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ProfileRequest pq = THESEUS__PROFILE_REQUEST__INIT;
	pq.start = start;
	pq.stop = stop;
	pq.offset = offset;
	req.kind_case = THESEUS__REQUEST__KIND_PROFILE;
	req.profile = &pq;
	*rep = NULL;
	int err = ctl_call(ctx, &req, rep);
	if (!err && (*rep)->payload_case != THESEUS__REPLY__PAYLOAD_PROFILE)
		err = TH_EPROTO;
	if (err) {
		ctl_report(ctx, err == TH_ENOTSUP ? "profile: this kernel has no profiler" : "profile",
			   err, *rep);
		if (*rep)
			theseus__reply__free_unpacked(*rep, NULL);
		*rep = NULL;
	}
	return err;
}

/* The report: first page from (start, stop), then pages until top entries
 * (0: all) or the end.  The kernel keeps one report, not one per client: a
 * page whose samples or entry count differ from the first page's comes
 * from a report another client had recomputed meanwhile, so the reading
 * starts again from offset 0 (the report as it stands, neither start nor
 * stop), at most PROFILE_REREADS times. */
#define PROFILE_REREADS 3
static int fetch(struct ctl_ctx *ctx, bool start, bool stop, uint32_t top, struct prof *p)
{
	int err = call(ctx, start, stop, 0, &p->first), rereads = 0;
	Theseus__Reply *rep = p->first;
	while (!err) {
		const Theseus__ProfileReply *r = rep->profile;
		const Theseus__ProfileReply *f = p->first->profile;
		if (rep != p->first && (r->samples != f->samples || r->entries_total != f->entries_total)) {
			theseus__reply__free_unpacked(rep, NULL);
			if (++rereads > PROFILE_REREADS) {
				ctl_fail(ctx, TH_EAGAIN, "%s: profile: the report changed while it was "
					 "read, %d times (another client reading it?); try again",
					 ctx->label, rereads);
				return TH_EAGAIN;
			}
			prof_free(p);
			err = call(ctx, false, false, 0, &p->first);
			rep = p->first;
			continue;
		}
		for (size_t i = 0; i < r->n_entries && (!top || p->n < top); i++)
			if (prof_add(p, r->entries[i])) {
				ctl_fail(ctx, TH_ENOMEM, "out of memory");
				err = TH_ENOMEM;
				break;
			}
		bool more = !err && r->n_entries > 0 && p->n < p->first->profile->entries_total &&
			    (!top || p->n < top);
		if (rep != p->first)
			theseus__reply__free_unpacked(rep, NULL);
		if (!more)
			break;
		err = call(ctx, false, false, (uint32_t)p->n, &rep);
	}
	return err;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void prof_json(struct ctl_ctx *ctx, const struct prof *p)
{
	const Theseus__ProfileReply *r = p->first->profile;
	struct ctl_json *j = &ctx->js;
	ctl_json_bool(j, "running", r->running);
	ctl_json_u64(j, "elapsed_ms", r->elapsed_ms);
	ctl_json_u64(j, "hz", r->hz);
	ctl_json_u64(j, "samples", r->samples);
	ctl_json_u64(j, "lost", r->lost);
	ctl_json_u64(j, "entries_total", r->entries_total);
	ctl_json_arr_begin(j, "cpus");
	for (size_t i = 0; i < r->n_cpus; i++) {
		ctl_json_obj_begin(j, NULL);
		ctl_json_u64(j, "cpu", r->cpus[i]->cpu);
		ctl_json_u64(j, "samples", r->cpus[i]->samples);
		ctl_json_u64(j, "idle", r->cpus[i]->idle);
		ctl_json_obj_end(j);
	}
	ctl_json_arr_end(j);
	ctl_json_arr_begin(j, "functions");
	for (size_t i = 0; i < p->n; i++) {
		ctl_json_obj_begin(j, NULL);
		ctl_json_str(j, "function", p->v[i].function);
		ctl_json_str(j, "module", p->v[i].module);
		ctl_json_u64(j, "samples", p->v[i].samples);
		ctl_json_u64(j, "idle", p->v[i].idle);
		ctl_json_obj_end(j);
	}
	ctl_json_arr_end(j);
}

static int prof_print(struct ctl_ctx *ctx, const struct prof *p)
{
	const Theseus__ProfileReply *r = p->first->profile;
	FILE *o = ctx->out;
	fprintf(o, "profile of %s: %llu samples in %.2f s at %u Hz, %zu CPU%s (%llu lost)%s\n",
		ctx->label, (unsigned long long)r->samples, (double)r->elapsed_ms / 1000.0, r->hz,
		r->n_cpus, r->n_cpus == 1 ? "" : "s", (unsigned long long)r->lost,
		r->running ? ", running" : "");
	for (size_t i = 0; i < r->n_cpus; i++)
		fprintf(o, "  cpu%-3u %8llu samples, %5.1f%% idle\n", r->cpus[i]->cpu,
			(unsigned long long)r->cpus[i]->samples,
			pct(r->cpus[i]->idle, r->cpus[i]->samples));
	if (!p->n)
		return CTL_EXIT_OK;
	static const char *const hdr[] = { "SAMPLES", "%", "IDLE", "FUNCTION", "MODULE" };
	struct ctl_table t;
	ctl_table_init(&t, 5, hdr);
	ctl_table_align_right(&t, 0);
	ctl_table_align_right(&t, 1);
	ctl_table_align_right(&t, 2);
	uint64_t shown = 0;
	for (size_t i = 0; i < p->n; i++) {
		char n[24], share[16], idle[24];
		snprintf(n, sizeof n, "%llu", (unsigned long long)p->v[i].samples);
		snprintf(share, sizeof share, "%.1f%%", pct(p->v[i].samples, r->samples));
		snprintf(idle, sizeof idle, "%llu", (unsigned long long)p->v[i].idle);
		const char *row[] = { n, share, idle, p->v[i].function,
				      p->v[i].module[0] ? p->v[i].module : "-" };
		shown += p->v[i].samples;
		if (ctl_table_row(&t, row) != TH_OK) {
			ctl_table_free(&t);
			ctl_fail(ctx, TH_ENOMEM, "out of memory");
			return CTL_EXIT_LOCAL;
		}
	}
	ctl_table_print(&t, o);
	ctl_table_free(&t);
	if (p->n < r->entries_total)
		fprintf(o, "(%zu more functions, %llu samples, not shown: --top %u for more, "
			"--top 0 for all)\n", r->entries_total - p->n,
			(unsigned long long)(r->samples > shown ? r->samples - shown : 0),
			r->entries_total);
	return CTL_EXIT_OK;
}

/* SECONDS: a decimal number, more than 0 and at most MAX_SECONDS. */
static bool parse_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > MAX_SECONDS)
		return false;
	*out = v;
	return true;
}

static void sleep_seconds(double s)
{
	time_t whole = (time_t)s;
	struct timespec ts = { whole, (long)((s - (double)whole) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int cmd_profile_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	uint32_t top = DEFAULT_TOP;
	double seconds = DEFAULT_SECONDS;
	const char *what = NULL;
	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--top") == 0 && a + 1 < argc) {
			char *end;
			errno = 0;
			unsigned long v = strtoul(argv[++a], &end, 10);
			if (errno || end == argv[a] || *end || argv[a][0] == '-' || v > UINT32_MAX) {
				ctl_fail(ctx, TH_EINVAL, "profile: --top %s: want a number of "
					 "entries (0 = all)", argv[a]);
				return CTL_EXIT_USAGE;
			}
			top = (uint32_t)v;
		} else if (!what && argv[a][0] != '-') {
			what = argv[a];
		} else {
			return ctl_usage_fail(ctx, USAGE);
		}
	}
	bool timed = !what || (strcmp(what, "start") && strcmp(what, "stop") &&
			       strcmp(what, "report"));
	if (timed && what && !parse_seconds(what, &seconds)) {
		ctl_fail(ctx, TH_EINVAL, "profile: %s: want SECONDS (more than 0, at most %.0f; "
			 "e.g. 0.5), start, stop or report", what, MAX_SECONDS);
		return CTL_EXIT_USAGE;
	}
	struct prof p = { 0 };
	int err;
	if (timed) {
		Theseus__Reply *rep = NULL;
		err = call(ctx, true, false, 0, &rep);
		if (rep)
			theseus__reply__free_unpacked(rep, NULL);
		if (!err) {
			sleep_seconds(seconds);
			err = fetch(ctx, false, true, top, &p);
		}
	} else if (!strcmp(what, "start")) {
		err = call(ctx, true, false, 0, &p.first);
	} else {
		err = fetch(ctx, false, !strcmp(what, "stop"), top, &p);
	}
	int ret = ctl_exit_status(ctx, err);
	if (!err) {
		prof_json(ctx, &p);
		if (ctl_human(ctx) && what && !strcmp(what, "start"))
			fprintf(ctx->out, "profiling %s: started at %u Hz on %zu CPU%s\n", ctx->label,
				p.first->profile->hz, p.first->profile->n_cpus,
				p.first->profile->n_cpus == 1 ? "" : "s");
		else if (ctl_human(ctx))
			ret = prof_print(ctx, &p);
	}
	prof_free(&p);
	return ret;
}

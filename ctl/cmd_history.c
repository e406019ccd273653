/*
 * cmd_history.c - `theseusctl history`: the kernel's swap history, oldest
 * first in strictly increasing sequence numbers (entries are sorted by seq
 * here too, for kernels that listed one recorded during a transaction before
 * it), with the time of every stage and the stop-the-world pause (with the
 * CPUs it stopped); fetched page by page.
 * JSON fields: "entries": [{"seq","when_ns","status","kind","rollback","unchanged",
 * "items": [{"module","old_version","new_version"}],"module_count","sites",
 * "stages": [{"stage","ns"}],"total_ns","pause_ns","cpus","message"}] (status: "OK" or "E...";
 * kind: "load", "swap", "rollback", "unload", "restart", "fault" or "quarantine";
 * items: the first modules (at most 4), module_count: all the entry covers;
 * a version "" = not loaded).
 */
#include "klibc.h"
#include "ctl.h"

/* What the entry did; kernels before the kind field only told rollbacks apart. */
static const char *entry_kind(const Theseus__HistoryEntry *e)
{
	if (e->kind && e->kind[0])
		return e->kind;
	return e->rollback ? "rollback" : "swap";
}

static void entry_json(struct ctl_json *j, const Theseus__HistoryEntry *e)
{
	ctl_json_obj_begin(j, NULL);
	ctl_json_u64(j, "seq", e->seq);
	ctl_json_u64(j, "when_ns", e->when_ns);
	ctl_json_str(j, "status", th_err_name(proto_status_from_wire(e->status)));
	ctl_json_str(j, "kind", entry_kind(e));
	ctl_json_bool(j, "rollback", e->rollback);
	ctl_json_bool(j, "unchanged", e->unchanged);
	ctl_json_arr_begin(j, "items");
	for (size_t i = 0; i < e->n_items; i++) {
		ctl_json_obj_begin(j, NULL);
		ctl_json_str(j, "module", e->items[i]->module);
		ctl_json_str(j, "old_version", e->items[i]->old_version);
		ctl_json_str(j, "new_version", e->items[i]->new_version);
		ctl_json_obj_end(j);
	}
	ctl_json_arr_end(j);
	ctl_json_u64(j, "module_count", ctl_history_module_count(e));
	ctl_json_u64(j, "sites", e->sites);
	ctl_json_arr_begin(j, "stages");
	for (size_t i = 0; i < e->n_stages; i++) {
		ctl_json_obj_begin(j, NULL);
		ctl_json_str(j, "stage", e->stages[i]->stage);
		ctl_json_u64(j, "ns", e->stages[i]->ns);
		ctl_json_obj_end(j);
	}
	ctl_json_arr_end(j);
	ctl_json_u64(j, "total_ns", e->total_ns);
	ctl_json_u64(j, "pause_ns", e->pause_ns);
	ctl_json_u64(j, "cpus", e->cpus);
	ctl_json_str(j, "message", e->message);
	ctl_json_obj_end(j);
}

size_t ctl_history_module_count(const Theseus__HistoryEntry *e)
{
	return e->module_count > e->n_items ? e->module_count : e->n_items;
}

void ctl_history_modules(const Theseus__HistoryEntry *e, char *buf, size_t len)
{
	size_t pos = 0, n = ctl_history_module_count(e);

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < e->n_items; i++) {
		const char *from = e->items[i]->old_version, *to = e->items[i]->new_version;
		th_appendf(buf, len, &pos, "%s%s %s->%s", i ? ", " : "", e->items[i]->module,
			   from[0] ? from : "none", to[0] ? to : "none");
	}
	if (n > e->n_items)
		th_appendf(buf, len, &pos, " +%zu more", n - e->n_items);
}

void ctl_history_stages(const Theseus__HistoryEntry *e, char *buf, size_t len)
{
	const char *kind = entry_kind(e);
	bool failed = proto_status_from_wire(e->status) != TH_OK;
	bool message = e->message && e->message[0];
	size_t pos = 0;
	if (len)
		buf[0] = '\0';
	if (!strcmp(kind, "fault") || !strcmp(kind, "quarantine")) {
		th_appendf(buf, len, &pos, "%s", message ? e->message : "-");
		return;
	}
	for (size_t i = 0; i < e->n_stages; i++)
		th_appendf(buf, len, &pos, "%s%s=%lluus", i ? " " : "", e->stages[i]->stage,
			   (unsigned long long)(e->stages[i]->ns / 1000));
	if (e->cpus) /* kernels with stop-machine: the stop-the-world pause */
		th_appendf(buf, len, &pos, "%spause=%lluus/%ucpu", pos ? " " : "",
			   (unsigned long long)(e->pause_ns / 1000), e->cpus);
	if (failed && message)
		th_appendf(buf, len, &pos, "%s(%s)", pos ? " " : "", e->message);
}

static int entry_row(struct ctl_table *t, const Theseus__HistoryEntry *e)
{
	char seq[24], when[32], what[256], stages[640], total[32], sites[16];
	snprintf(seq, sizeof seq, "%llu", (unsigned long long)e->seq);
	snprintf(when, sizeof when, "%.6f", (double)e->when_ns / 1e9);
	ctl_history_modules(e, what, sizeof what);
	ctl_history_stages(e, stages, sizeof stages);
	snprintf(total, sizeof total, "%lluus", (unsigned long long)(e->total_ns / 1000));
	snprintf(sites, sizeof sites, "%llu", (unsigned long long)e->sites);
	const char *status = th_err_name(proto_status_from_wire(e->status));
	const char *kind = e->unchanged ? "no-op" : entry_kind(e);
	const char *row[] = { seq, when, kind, what, status, sites, total, stages };
	return ctl_table_row(t, row);
}

static int by_seq(const void *a, const void *b)
{
	const Theseus__HistoryEntry *x = *(Theseus__HistoryEntry *const *)a;
	const Theseus__HistoryEntry *y = *(Theseus__HistoryEntry *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Every page of the history; *reps and *ents are the caller's to free. */
static int fetch_all(struct ctl_ctx *ctx, Theseus__Reply ***reps, size_t *nreps,
		     Theseus__HistoryEntry ***ents, size_t *nents)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__HistoryRequest hq = THESEUS__HISTORY_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_HISTORY;
	req.history = &hq;
	for (;;) {
		Theseus__Reply *rep = NULL, **nr;
		int err = ctl_call_expect(ctx, "history", &req, THESEUS__REPLY__PAYLOAD_HISTORY, &rep);
		if (err)
			return ctl_exit_status(ctx, err);
		const Theseus__HistoryReply *h = rep->history;
		Theseus__HistoryEntry **ne = realloc(*ents, (*nents + h->n_entries + 1) * sizeof *ne);
		if (ne)
			*ents = ne;
		nr = realloc(*reps, (*nreps + 1) * sizeof *nr);
		if (nr)
			*reps = nr;
		if (!ne || !nr) {
			theseus__reply__free_unpacked(rep, NULL);
			ctl_fail(ctx, TH_ENOMEM, "out of memory");
			return CTL_EXIT_LOCAL;
		}
		(*reps)[(*nreps)++] = rep;
		for (size_t i = 0; i < h->n_entries; i++)
			(*ents)[(*nents)++] = h->entries[i];
		hq.start += (uint32_t)h->n_entries;
		if (h->n_entries == 0 || hq.start >= h->total)
			return CTL_EXIT_OK;
	}
}

int cmd_history_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	if (argc != 1)
		return ctl_usage_fail(ctx, "history");
	static const char *const hdr[] = { "SEQ", "TIME_S", "KIND", "MODULES", "STATUS", "SITES",
					   "TOTAL", "STAGES" };
	Theseus__Reply **reps = NULL;
	Theseus__HistoryEntry **ents = NULL;
	size_t nreps = 0, nents = 0;
	struct ctl_table t;
	int ret;
	ctl_table_init(&t, 8, hdr);
	ctl_table_align_right(&t, 0);
	ctl_table_align_right(&t, 1);
	ctl_table_align_right(&t, 5);
	ctl_table_align_right(&t, 6);
	ret = fetch_all(ctx, &reps, &nreps, &ents, &nents);
	if (nents)
		qsort(ents, nents, sizeof *ents, by_seq);
	ctl_json_arr_begin(&ctx->js, "entries");
	for (size_t i = 0; ret == CTL_EXIT_OK && i < nents; i++) {
		if (i && ents[i]->seq == ents[i - 1]->seq)
			continue; /* listed twice: the history moved between two pages */
		entry_json(&ctx->js, ents[i]);
		if (entry_row(&t, ents[i])) {
			ctl_fail(ctx, TH_ENOMEM, "out of memory");
			ret = CTL_EXIT_LOCAL;
		}
	}
	ctl_json_arr_end(&ctx->js);
	if (ret == CTL_EXIT_OK && ctl_human(ctx)) {
		if (t.nrows)
			ctl_table_print(&t, ctx->out);
		else
			fprintf(ctx->out, "no swaps yet\n");
	}
	ctl_table_free(&t);
	for (size_t i = 0; i < nreps; i++)
		theseus__reply__free_unpacked(reps[i], NULL);
	free(reps);
	free(ents);
	return ret;
}

/*
 * cmd_history.c - `theseusctl history`: the kernel's swap history, oldest
 * first, with the time of every stage and the stop-the-world pause (with
 * the CPUs it stopped); fetched page by page.
 * JSON fields: "entries": [{"seq","when_ns","status","kind","rollback","unchanged",
 * "items": [{"module","old_version","new_version"}],"sites",
 * "stages": [{"stage","ns"}],"total_ns","pause_ns","cpus","message"}] (status: "OK" or "E...";
 * kind: "load", "swap", "rollback" or "unload"; a version "" = not loaded).
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

static int entry_row(struct ctl_table *t, const Theseus__HistoryEntry *e)
{
	char seq[24], when[32], what[256] = "", stages[256] = "", total[32], sites[16];
	snprintf(seq, sizeof seq, "%llu", (unsigned long long)e->seq);
	snprintf(when, sizeof when, "%.6f", (double)e->when_ns / 1e9);
	for (size_t i = 0; i < e->n_items; i++) {
		size_t l = strlen(what);
		const char *from = e->items[i]->old_version, *to = e->items[i]->new_version;
		snprintf(what + l, sizeof what - l, "%s%s %s->%s", i ? ", " : "",
			 e->items[i]->module, from[0] ? from : "none", to[0] ? to : "none");
	}
	for (size_t i = 0; i < e->n_stages; i++) {
		size_t l = strlen(stages);
		snprintf(stages + l, sizeof stages - l, "%s%s=%lluus", i ? " " : "",
			 e->stages[i]->stage, (unsigned long long)(e->stages[i]->ns / 1000));
	}
	if (e->cpus) { /* kernels with stop-machine: the stop-the-world pause */
		size_t l = strlen(stages);
		snprintf(stages + l, sizeof stages - l, "%spause=%lluus/%ucpu", l ? " " : "",
			 (unsigned long long)(e->pause_ns / 1000), e->cpus);
	}
	snprintf(total, sizeof total, "%lluus", (unsigned long long)(e->total_ns / 1000));
	snprintf(sites, sizeof sites, "%llu", (unsigned long long)e->sites);
	const char *status = th_err_name(proto_status_from_wire(e->status));
	const char *kind = e->unchanged ? "no-op" : entry_kind(e);
	const char *row[] = { seq, when, kind, what, status, sites, total, stages };
	return ctl_table_row(t, row);
}

int cmd_history_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	if (argc != 1)
		return ctl_usage_fail(ctx, "history");
	static const char *const hdr[] = { "SEQ", "TIME_S", "KIND", "MODULES", "STATUS", "SITES",
					   "TOTAL", "STAGES" };
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__HistoryRequest hq = THESEUS__HISTORY_REQUEST__INIT;
	struct ctl_table t;
	int ret = CTL_EXIT_OK;
	req.kind_case = THESEUS__REQUEST__KIND_HISTORY;
	req.history = &hq;
	ctl_table_init(&t, 8, hdr);
	ctl_table_align_right(&t, 0);
	ctl_table_align_right(&t, 1);
	ctl_table_align_right(&t, 5);
	ctl_table_align_right(&t, 6);
	ctl_json_arr_begin(&ctx->js, "entries");
	for (;;) {
		Theseus__Reply *rep = NULL;
		int err = ctl_call_expect(ctx, "history", &req, THESEUS__REPLY__PAYLOAD_HISTORY, &rep);
		if (err) {
			ret = ctl_exit_for(err);
			break;
		}
		const Theseus__HistoryReply *h = rep->history;
		for (size_t i = 0; i < h->n_entries; i++) {
			entry_json(&ctx->js, h->entries[i]);
			if (entry_row(&t, h->entries[i])) {
				ctl_fail(ctx, TH_ENOMEM, "out of memory");
				ret = CTL_EXIT_LOCAL;
			}
		}
		hq.start += (uint32_t)h->n_entries;
		bool more = h->n_entries > 0 && hq.start < h->total;
		theseus__reply__free_unpacked(rep, NULL);
		if (!more || ret)
			break;
	}
	ctl_json_arr_end(&ctx->js);
	if (ret == CTL_EXIT_OK && ctl_human(ctx)) {
		if (t.nrows)
			ctl_table_print(&t, ctx->out);
		else
			fprintf(ctx->out, "no swaps yet\n");
	}
	ctl_table_free(&t);
	return ret;
}

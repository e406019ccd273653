/*
 * rollout_report.c - what `theseusctl rollout` prints: a line per host after
 * its wave and per rollback, one JSON object per host (--json), and the
 * summary line on stderr.  Pure formatting of the hosts' records.
 */
#include "rollout.h"

static const char *short_hash(const char *hex, char out[13])
{
	if (!hex[0])
		return "-";
	snprintf(out, 13, "%.12s", hex);
	return out;
}

static const char *host_status(const struct rollout_host *h)
{
	if (!h->reached)
		return "not_reached";
	if (h->rolled_back)
		return "rolled_back";
	if (h->failed || h->rollback_failed)
		return "failed";
	return h->already ? "already" : "done";
}

void rollout_print_host(struct ctl_ctx *ctx, const struct rollout_obj *o, const struct rollout_host *h)
{
	char a[13], b[13];
	if (!ctl_human(ctx))
		return;
	if (h->failed && !h->new_version[0]) {
		fprintf(ctx->out, "wave %zu  %s  FAILED  %s\n", h->wave, h->label, h->error);
		return;
	}
	fprintf(ctx->out, "wave %zu  %s  %s %s (%s) -> %s (%s)%s  check %s  (update %ld ms, "
		"check %ld ms)\n", h->wave, h->label, o->module,
		h->already ? h->new_version : h->old_version[0] ? h->old_version : "(none)",
		short_hash(h->already ? h->new_hash : h->old_hash, a),
		h->new_version[0] ? h->new_version : "?", short_hash(h->new_hash, b),
		h->already ? " already" : "", h->check[0] ? h->check : "skipped", h->ms_update,
		h->ms_check);
}

void rollout_print_revert(struct ctl_ctx *ctx, const struct rollout_obj *o,
			  const struct rollout_host *h)
{
	char a[13];
	if (!ctl_human(ctx))
		return;
	if (h->rolled_back)
		fprintf(ctx->out, "rollback  %s  %s -> %s (%s) verified  (%ld ms)\n", h->label,
			o->module, h->old_hash[0] ? h->old_version : "(not loaded)",
			short_hash(h->old_hash, a), h->ms_rollback);
	else if (h->rollback_failed)
		fprintf(ctx->out, "rollback  %s  FAILED  %s\n", h->label, h->error);
}

void rollout_print_json(struct ctl_ctx *ctx, const struct rollout_obj *o, const struct rollout_host *h)
{
	struct ctl_json j = { 0 };
	ctl_json_obj_begin(&j, NULL);
	ctl_json_str(&j, "host", h->label);
	ctl_json_str(&j, "command", "rollout");
	ctl_json_str(&j, "module", o->module);
	ctl_json_u64(&j, "wave", h->reached ? h->wave : 0);
	ctl_json_str(&j, "status", host_status(h));
	ctl_json_str(&j, "old_version", h->already ? h->new_version : h->old_version);
	ctl_json_str(&j, "old_hash", h->already ? h->new_hash : h->old_hash);
	ctl_json_str(&j, "new_version", h->new_version);
	ctl_json_str(&j, "new_hash", h->new_hash);
	ctl_json_str(&j, "check", h->check[0] ? h->check : "skipped");
	ctl_json_obj_begin(&j, "timings");
	ctl_json_i64(&j, "update_ms", h->ms_update);
	ctl_json_i64(&j, "check_ms", h->ms_check);
	ctl_json_i64(&j, "rollback_ms", h->ms_rollback);
	ctl_json_obj_end(&j);
	ctl_json_bool(&j, "rolled_back", h->rolled_back);
	/* A failed host that could not be put back may run either object. */
	ctl_json_bool(&j, "rollback_failed", h->rollback_failed);
	ctl_json_str(&j, "error", h->error);
	ctl_json_obj_end(&j);
	fprintf(ctx->out, "%s\n", ctl_json_text(&j));
	ctl_json_free(&j);
}

void rollout_count(const struct rollout_host *hosts, size_t n, struct rollout_totals *t)
{
	t->n = n;
	t->rolled = t->rb_failed = t->updated = t->already = t->reached = 0;
	for (size_t i = 0; i < n; i++) {
		const struct rollout_host *h = &hosts[i];
		bool on_new = h->reached && !h->failed && !h->rolled_back;
		t->rolled += h->rolled_back;
		t->rb_failed += h->rollback_failed;
		t->reached += h->reached;
		t->already += on_new && h->already;
		t->updated += on_new && !h->already;
	}
}

void rollout_print_summary(struct ctl_ctx *ctx, const struct rollout_obj *o,
			   const struct rollout_host *hosts, const struct rollout_totals *t)
{
	bool complete = !t->stopped_wave;
	if (complete && !t->failed && !t->rb_failed && ctx->quiet)
		return;
	fprintf(ctx->err, "theseusctl: rollout %s %.12s: ", o->module, o->hex);
	if (complete)
		fprintf(ctx->err, "complete: %zu of %zu hosts run it (%zu updated, %zu already) in "
			"%zu wave%s, %zu failed (budget %zu), %ld ms", t->updated + t->already, t->n,
			t->updated, t->already, t->waves, t->waves == 1 ? "" : "s", t->failed,
			t->budget, t->ms);
	else
		fprintf(ctx->err, "STOPPED in wave %zu of %zu: %zu host%s failed (budget %zu); "
			"%zu rolled back (verified), %zu not reached, %ld ms", t->stopped_wave,
			t->waves, t->failed, t->failed == 1 ? "" : "s", t->budget, t->rolled,
			t->n - t->reached, t->ms);
	size_t listed = 0;
	for (size_t i = 0; i < t->n && listed < 16; i++)
		if (hosts[i].failed)
			fprintf(ctx->err, "%s %s", listed++ ? "," : "; failed:", hosts[i].label);
	if (listed < t->failed)
		fprintf(ctx->err, ", ...");
	if (t->rb_failed) {
		fprintf(ctx->err, "; ROLLBACK FAILED on %zu host%s:", t->rb_failed,
			t->rb_failed == 1 ? "" : "s");
		for (size_t i = 0, l = 0; i < t->n && l < 16; i++)
			if (hosts[i].rollback_failed)
				fprintf(ctx->err, "%s %s", l++ ? "," : "", hosts[i].label);
	}
	fprintf(ctx->err, "\n");
}

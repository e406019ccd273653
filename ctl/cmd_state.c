/*
 * cmd_state.c - `theseusctl state`: the statedb entries (the state that
 * lives outside the modules), walked page by page with a cursor.
 * JSON fields: "entries": [{"name","kind","type","version","size","strong",
 * "weak"}] (kind "named" or "shared").
 */
#include "klibc.h"
#include "ctl.h"

int cmd_state_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	if (argc != 1)
		return ctl_usage_fail(ctx, "state");
	static const char *const hdr[] = { "NAME", "KIND", "TYPE", "VERSION", "SIZE", "STRONG",
					   "WEAK" };
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__StateRequest sq = THESEUS__STATE_REQUEST__INIT;
	struct ctl_table t;
	int ret = CTL_EXIT_OK;
	req.kind_case = THESEUS__REQUEST__KIND_STATE;
	req.state = &sq;
	ctl_table_init(&t, 7, hdr);
	for (size_t c = 3; c < 7; c++)
		ctl_table_align_right(&t, c);
	ctl_json_arr_begin(&ctx->js, "entries");
	for (int pages = 0;; pages++) {
		Theseus__Reply *rep = NULL;
		int err = ctl_call_expect(ctx, "state", &req, THESEUS__REPLY__PAYLOAD_STATE, &rep);
		if (err) {
			ret = ctl_exit_status(ctx, err);
			break;
		}
		const Theseus__StateReply *s = rep->state;
		for (size_t i = 0; i < s->n_entries; i++) {
			const Theseus__StateEntry *e = s->entries[i];
			char type[16], ver[16], size[24], strong[16], weak[16];
			snprintf(type, sizeof type, "0x%08x", e->type);
			snprintf(ver, sizeof ver, "%u", e->version);
			snprintf(size, sizeof size, "%llu", (unsigned long long)e->size);
			snprintf(strong, sizeof strong, "%u", e->strong);
			snprintf(weak, sizeof weak, "%u", e->weak);
			ctl_json_obj_begin(&ctx->js, NULL);
			ctl_json_str(&ctx->js, "name", e->name);
			ctl_json_str(&ctx->js, "kind", e->kind);
			ctl_json_u64(&ctx->js, "type", e->type);
			ctl_json_u64(&ctx->js, "version", e->version);
			ctl_json_u64(&ctx->js, "size", e->size);
			ctl_json_u64(&ctx->js, "strong", e->strong);
			ctl_json_u64(&ctx->js, "weak", e->weak);
			ctl_json_obj_end(&ctx->js);
			const char *row[] = { e->name, e->kind, type, ver, size, strong, weak };
			if (ctl_table_row(&t, row)) {
				ctl_fail(ctx, TH_ENOMEM, "out of memory");
				ret = CTL_EXIT_LOCAL;
			}
		}
		/* A page that made no progress would loop forever: stop. */
		bool stuck = !s->done && s->n_entries == 0 && s->next == sq.cursor;
		bool done = s->done || stuck || pages > 100000;
		sq.cursor = s->next;
		theseus__reply__free_unpacked(rep, NULL);
		if (stuck) {
			ctl_fail(ctx, TH_EPROTO, "state: the kernel's cursor does not advance");
			ret = CTL_EXIT_REMOTE;
		}
		if (done || ret)
			break;
	}
	ctl_json_arr_end(&ctx->js);
	if (ret == CTL_EXIT_OK && ctl_human(ctx))
		ctl_table_print(&t, ctx->out);
	ctl_table_free(&t);
	return ret;
}

/*
 * cmd_rollback.c - `theseusctl rollback MODULE`: swap MODULE back to the
 * object it ran before its last swap (through the same swap path, so it is
 * as safe as a swap), or, when it runs the object it was first loaded from,
 * unload it (refused while other modules depend on it).  JSON fields:
 * "module", "old_version", "new_version" ("" once unloaded),
 * "stages": [{"stage","ns"}].
 */
#include "klibc.h"
#include "ctl.h"

int cmd_rollback_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	int a = argc > 1 && strcmp(argv[1], "--") == 0 ? 2 : 1;
	if (argc != a + 1 || (a == 1 && argv[1][0] == '-'))
		return ctl_usage_fail(ctx, "rollback [--] MODULE");
	argv += a - 1;
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__RollbackRequest rb = THESEUS__ROLLBACK_REQUEST__INIT;
	Theseus__Reply *rep = NULL;
	rb.module = argv[1];
	req.kind_case = THESEUS__REQUEST__KIND_ROLLBACK;
	req.rollback = &rb;
	int err = ctl_call_expect(ctx, "rollback", &req, THESEUS__REPLY__PAYLOAD_ROLLBACK, &rep);
	if (err) {
		if (err == TH_ENOENT && !ctx->json && strstr(ctx->errmsg, "not loaded"))
			fprintf(ctx->err, "theseusctl: `theseusctl ls` lists the loaded modules\n");
		else if (err == TH_ENOENT && !ctx->json)
			fprintf(ctx->err, "theseusctl: `theseusctl history` shows the swaps of %s\n",
				argv[1]);
		return ctl_exit_for(err);
	}
	const Theseus__RollbackReply *r = rep->rollback;
	ctl_json_str(&ctx->js, "module", r->module);
	ctl_json_str(&ctx->js, "old_version", r->old_version);
	ctl_json_str(&ctx->js, "new_version", r->new_version);
	ctl_json_arr_begin(&ctx->js, "stages");
	for (size_t i = 0; i < r->n_stages; i++) {
		ctl_json_obj_begin(&ctx->js, NULL);
		ctl_json_str(&ctx->js, "stage", r->stages[i]->stage);
		ctl_json_u64(&ctx->js, "ns", r->stages[i]->ns);
		ctl_json_obj_end(&ctx->js);
	}
	ctl_json_arr_end(&ctx->js);
	if (ctl_human(ctx)) {
		fprintf(ctx->out, "%s: %s -> %s (rolled back)\n", r->module, r->old_version,
			r->new_version[0] ? r->new_version : "(not loaded)");
		for (size_t i = 0; i < r->n_stages; i++)
			fprintf(ctx->out, "  %-10s %10.3f ms\n", r->stages[i]->stage,
				(double)r->stages[i]->ns / 1e6);
	}
	theseus__reply__free_unpacked(rep, NULL);
	return CTL_EXIT_OK;
}

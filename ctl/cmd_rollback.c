/*
 * cmd_rollback.c - `theseusctl rollback [--unload] MODULE`: swap MODULE back
 * to the object it ran before its last swap (through the same swap path, so
 * it is as safe as a swap).  When it runs the object it was first loaded
 * from there is nothing to roll back: refused with ENOENT, so a fleet-wide
 * rollback leaves hosts without a swap alone; with --unload it is unloaded
 * instead (refused while other modules depend on it).  JSON fields:
 * "module", "old_version", "new_version" ("" once unloaded),
 * "stages": [{"stage","ns"}].
 */
#include "klibc.h"
#include "ctl.h"

#define USAGE "rollback [--unload] [--] MODULE"

int cmd_rollback_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	const char *module = NULL;
	bool unload = false, operands = false;
	for (int a = 1; a < argc; a++) {
		if (!operands && strcmp(argv[a], "--") == 0)
			operands = true;
		else if (!operands && strcmp(argv[a], "--unload") == 0)
			unload = true;
		else if ((!operands && argv[a][0] == '-') || module)
			return ctl_usage_fail(ctx, USAGE);
		else
			module = argv[a];
	}
	if (!module)
		return ctl_usage_fail(ctx, USAGE);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__RollbackRequest rb = THESEUS__ROLLBACK_REQUEST__INIT;
	Theseus__Reply *rep = NULL;
	rb.module = (char *)module;
	rb.keep_first_load = !unload;
	req.kind_case = THESEUS__REQUEST__KIND_ROLLBACK;
	req.rollback = &rb;
	int err = ctl_call_expect(ctx, "rollback", &req, THESEUS__REPLY__PAYLOAD_ROLLBACK, &rep);
	if (err) {
		if (err == TH_ENOENT && !ctx->json && strstr(ctx->errmsg, "not loaded"))
			fprintf(ctx->err, "theseusctl: `theseusctl ls` lists the loaded modules\n");
		else if (err == TH_ENOENT && !ctx->json && strstr(ctx->errmsg, "nothing to roll back"))
			fprintf(ctx->err, "theseusctl: `theseusctl rollback --unload %s` unloads it\n",
				module);
		else if (err == TH_ENOENT && !ctx->json)
			fprintf(ctx->err, "theseusctl: `theseusctl history` shows the swaps of %s\n",
				module);
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

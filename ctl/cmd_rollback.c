/*
 * cmd_rollback.c - `theseusctl rollback [--unload] MODULE [MODULE...]`: swap
 * MODULE back to the object it ran before its last swap (through the same
 * swap path, so it is as safe as a swap).  When it runs the object it was
 * first loaded from there is nothing to roll back: refused with ENOENT, so a
 * fleet-wide rollback leaves hosts without a swap alone; with --unload it is
 * unloaded instead (refused while other modules depend on it).  Several
 * modules roll back as one transaction (RollbackSetRequest): all swap back,
 * or, when all run their first objects, all are unloaded together (the way
 * to take out modules that depend on each other), again only with --unload
 * (keep_first_load, as for one).  JSON fields: "module", "old_version",
 * "new_version" ("" once unloaded) of the first module, "stages":
 * [{"stage","ns"}], and with several modules "results": [{"module",
 * "old_version","new_version"}] for each.
 */
#include "klibc.h"
#include "ctl.h"

#define USAGE "rollback [--unload] [--] MODULE [MODULE...]"

static void print_one(struct ctl_ctx *ctx, const char *module, const char *from, const char *to)
{
	fprintf(ctx->out, "%s: %s -> %s (rolled back)\n", module, from, to[0] ? to : "(not loaded)");
}

/* "a b c": the modules, as the hints name them. */
static void print_modules(FILE *f, char *const *mods, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "", mods[i]);
}

int cmd_rollback_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	char *mods[PROTO_MAX_SWAP_ITEMS];
	size_t nmod = 0;
	bool unload = false, operands = false;
	for (int a = 1; a < argc; a++) {
		if (!operands && strcmp(argv[a], "--") == 0)
			operands = true;
		else if (!operands && strcmp(argv[a], "--unload") == 0)
			unload = true;
		else if ((!operands && argv[a][0] == '-') || nmod == PROTO_MAX_SWAP_ITEMS)
			return ctl_usage_fail(ctx, USAGE);
		else
			mods[nmod++] = argv[a];
	}
	if (!nmod)
		return ctl_usage_fail(ctx, USAGE);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__RollbackRequest rb = THESEUS__ROLLBACK_REQUEST__INIT;
	Theseus__RollbackSetRequest rs = THESEUS__ROLLBACK_SET_REQUEST__INIT;
	Theseus__Reply *rep = NULL;
	if (nmod == 1) { /* one module: the request every kernel knows */
		rb.module = mods[0];
		rb.keep_first_load = !unload;
		req.kind_case = THESEUS__REQUEST__KIND_ROLLBACK;
		req.rollback = &rb;
	} else {
		rs.modules = mods;
		rs.n_modules = nmod;
		rs.keep_first_load = !unload;
		req.kind_case = THESEUS__REQUEST__KIND_ROLLBACK_SET;
		req.rollback_set = &rs;
	}
	int err = ctl_call_expect(ctx, "rollback", &req, THESEUS__REPLY__PAYLOAD_ROLLBACK, &rep);
	if (err) {
		const char *cyc;
		if (err == TH_ENOENT && !ctx->json && strstr(ctx->errmsg, "not loaded")) {
			fprintf(ctx->err, "theseusctl: `theseusctl ls` lists the loaded modules\n");
		} else if (err == TH_ENOENT && !ctx->json && strstr(ctx->errmsg, "nothing to roll back")) {
			fprintf(ctx->err, "theseusctl: `theseusctl rollback --unload ");
			print_modules(ctx->err, mods, nmod);
			fprintf(ctx->err, "` unloads %s\n", nmod == 1 ? "it" : "them");
		} else if (err == TH_EBUSY && !ctx->json &&
			   (cyc = strstr(ctx->errmsg, "roll them back together: rollback "))) {
			/* the kernel names the set of a cycle; only --unload takes it out */
			cyc += strlen("roll them back together: rollback ");
			fprintf(ctx->err, "theseusctl: `theseusctl rollback --unload %.*s` takes them "
				"out as one transaction\n", (int)strcspn(cyc, "\n"), cyc);
		} else if (err == TH_ENOSYM) {
			ctl_hint_missing_export(ctx, true);
		} else if (err == TH_ENOENT && !ctx->json) {
			fprintf(ctx->err, "theseusctl: `theseusctl history` shows the swaps of ");
			print_modules(ctx->err, mods, nmod);
			fprintf(ctx->err, "\n");
		}
		return ctl_exit_status(ctx, err);
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
	if (nmod > 1) {
		ctl_json_arr_begin(&ctx->js, "results");
		for (size_t i = 0; i < r->n_results; i++) {
			ctl_json_obj_begin(&ctx->js, NULL);
			ctl_json_str(&ctx->js, "module", r->results[i]->module);
			ctl_json_str(&ctx->js, "old_version", r->results[i]->old_version);
			ctl_json_str(&ctx->js, "new_version", r->results[i]->new_version);
			ctl_json_obj_end(&ctx->js);
		}
		ctl_json_arr_end(&ctx->js);
	}
	if (ctl_human(ctx)) {
		if (nmod == 1 || !r->n_results)
			print_one(ctx, r->module, r->old_version, r->new_version);
		for (size_t i = 0; nmod > 1 && i < r->n_results; i++)
			print_one(ctx, r->results[i]->module, r->results[i]->old_version,
				  r->results[i]->new_version);
		for (size_t i = 0; i < r->n_stages; i++)
			fprintf(ctx->out, "  %-10s %10.3f ms\n", r->stages[i]->stage,
				(double)r->stages[i]->ns / 1e6);
	}
	theseus__reply__free_unpacked(rep, NULL);
	return CTL_EXIT_OK;
}

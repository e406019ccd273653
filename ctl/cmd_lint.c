/*
 * cmd_lint.c - `theseusctl lint [--spill=warn|reject] FILE...`: check module
 * objects on this machine exactly as the kernel's loader would before
 * pushing them (the loader's own validation code, kernel/loader/lint.c,
 * built for the host): ELF structure, metadata record, COMMON symbols,
 * relocation types, and state spill (writable .data/.bss: a warning, or an
 * error with --spill=reject).  No host needed.  Exit 1 if any file has an
 * error.  JSON fields: "files": [{"file","ok","status","findings":
 * [{"level","text"}]}].
 */
#include <stdlib.h>

#include "klibc.h"
#include "ctl.h"
#include "loader.h"

#define USAGE "lint [--spill=warn|reject] FILE..."

struct lint_ctx {
	struct ctl_ctx *ctx;
	const char *file;
};

static void finding(void *arg, const char *level, const char *text)
{
	struct lint_ctx *l = arg;
	ctl_json_obj_begin(&l->ctx->js, NULL);
	ctl_json_str(&l->ctx->js, "level", level);
	ctl_json_str(&l->ctx->js, "text", text);
	ctl_json_obj_end(&l->ctx->js);
	if (ctl_human(l->ctx) || (!l->ctx->json && strcmp(level, "error") == 0))
		fprintf(l->ctx->out, "%s: %s: %s\n", l->file, level, text);
}

int cmd_lint_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	enum loader_spill_policy policy = LOADER_SPILL_WARN;
	int a = 1, ret = CTL_EXIT_OK, bad = 0;
	if (a < argc && strncmp(argv[a], "--spill=", 8) == 0) {
		if (loader_parse_spill_policy(argv[a] + 8, &policy) != TH_OK)
			return ctl_usage_fail(ctx, USAGE);
		a++;
	}
	if (a >= argc)
		return ctl_usage_fail(ctx, USAGE);
	ctl_json_arr_begin(&ctx->js, "files");
	for (; a < argc; a++) {
		struct th_errbuf eb = { "" };
		uint8_t *data;
		size_t len;
		ctl_json_obj_begin(&ctx->js, NULL);
		ctl_json_str(&ctx->js, "file", argv[a]);
		if (ctl_read_file(argv[a], &data, &len, &eb) != TH_OK) {
			ctl_json_bool(&ctx->js, "ok", false);
			ctl_json_str(&ctx->js, "status", "ELOCAL");
			ctl_json_arr_begin(&ctx->js, "findings");
			ctl_json_arr_end(&ctx->js);
			ctl_json_obj_end(&ctx->js);
			ctl_fail(ctx, TH_EIO, "%s", eb.msg);
			ret = CTL_EXIT_LOCAL;
			continue;
		}
		struct lint_ctx l = { ctx, argv[a] };
		ctl_json_arr_begin(&ctx->js, "findings");
		int err = loader_lint(data, len, policy, finding, &l);
		ctl_json_arr_end(&ctx->js);
		ctl_json_bool(&ctx->js, "ok", err == TH_OK);
		ctl_json_str(&ctx->js, "status", th_err_name(err));
		ctl_json_obj_end(&ctx->js);
		free(data);
		if (err) {
			if (!bad++) {
				ctx->status = err;
				snprintf(ctx->errmsg, sizeof ctx->errmsg, "lint: %s: %s", argv[a],
					 th_strerror(err));
			}
			if (ret == CTL_EXIT_OK)
				ret = CTL_EXIT_REMOTE;
		} else if (ctl_human(ctx)) {
			fprintf(ctx->out, "%s: ok\n", argv[a]);
		}
	}
	ctl_json_arr_end(&ctx->js);
	return ret;
}

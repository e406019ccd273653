/*
 * cmd_exports.c - `theseusctl exports [--json]`: the running kernel's export
 * list, what a module loaded now links against (the list `lint --target`
 * uses): the module API version, then one row per symbol: SYMBOL, MODULE
 * (the loaded module exporting it; "kernel" for the kernel's own) and BIND
 * (strong or weak), the kernel's first, then each module's in load order.
 * JSON fields: "module_api", "total", "generation" (changes with every load,
 * swap and unload), "symbols": [{"name","module","weak"}]
 * ("module" is "" for the kernel's exports).
 */
#include <stdlib.h>

#include "klibc.h"
#include "ctl.h"

#define USAGE "exports [--json]"

int cmd_exports_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--json") != 0)
			return ctl_usage_fail(ctx, USAGE);
		ctx->json = true;
	}
	struct ctl_lint_syms syms = { 0 };
	int ret = ctl_exports_fetch(ctx, &syms);
	if (ret != CTL_EXIT_OK) {
		ctl_lint_free(&syms);
		return ret;
	}
	static const char *const hdr[] = { "SYMBOL", "MODULE", "BIND" };
	struct ctl_table tab;
	ctl_table_init(&tab, 3, hdr);
	ctl_json_u64(&ctx->js, "module_api", syms.api);
	ctl_json_u64(&ctx->js, "total", syms.n);
	ctl_json_u64(&ctx->js, "generation", syms.generation);
	ctl_json_arr_begin(&ctx->js, "symbols");
	for (size_t i = 0; i < syms.n; i++) {
		const struct ctl_lint_sym *s = &syms.v[i];
		bool kernel = strcmp(s->owner, "the kernel") == 0;  /* no module has a space */
		ctl_json_obj_begin(&ctx->js, NULL);
		ctl_json_str(&ctx->js, "name", s->name);
		ctl_json_str(&ctx->js, "module", kernel ? "" : s->owner);
		ctl_json_bool(&ctx->js, "weak", !s->strong);
		ctl_json_obj_end(&ctx->js);
		const char *row[] = { s->name, kernel ? "kernel" : s->owner,
				      s->strong ? "strong" : "weak" };
		if (ctl_human(ctx) && ctl_table_row(&tab, row) != TH_OK) {
			ctl_fail(ctx, TH_ENOMEM, "out of memory");
			ret = CTL_EXIT_LOCAL;
			break;
		}
	}
	ctl_json_arr_end(&ctx->js);
	if (ret == CTL_EXIT_OK && ctl_human(ctx)) {
		fprintf(ctx->out, "module API %u, %zu symbols\n", syms.api, syms.n);
		ctl_table_print(&tab, ctx->out);
	}
	ctl_table_free(&tab);
	ctl_lint_free(&syms);
	return ret;
}

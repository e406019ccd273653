/*
 * cmd_ls.c - `theseusctl ls`: the loaded modules as an aligned table,
 * fetched page by page (one datagram each) with ListModules requests.
 * JSON fields: "modules": [{"name","version","sha256","size","address",
 * "deps": [...]}] (sha256 in hex, address as "0x..." text).
 */
#include "klibc.h"
#include "ctl.h"

int cmd_ls_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	if (argc != 1)
		return ctl_usage_fail(ctx, "ls");
	static const char *const hdr[] = { "NAME", "VERSION", "SHA256", "SIZE", "ADDRESS",
					   "DEPENDS" };
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ListModulesRequest lr = THESEUS__LIST_MODULES_REQUEST__INIT;
	struct ctl_table t;
	int ret = CTL_EXIT_OK;
	req.kind_case = THESEUS__REQUEST__KIND_LIST_MODULES;
	req.list_modules = &lr;
	ctl_table_init(&t, 6, hdr);
	ctl_table_align_right(&t, 3);
	ctl_json_arr_begin(&ctx->js, "modules");
	for (;;) {
		Theseus__Reply *rep = NULL;
		int err = ctl_call_expect(ctx, "ls", &req, THESEUS__REPLY__PAYLOAD_MODULES, &rep);
		if (err) {
			ret = ctl_exit_for(err);
			break;
		}
		Theseus__ListModulesReply *m = rep->modules;
		for (size_t i = 0; i < m->n_modules; i++) {
			Theseus__ModuleInfo *mi = m->modules[i];
			char hex[65] = "-", size[24], addr[24], deps[512] = "";
			if (mi->sha256.len == PROTO_SHA256_LEN)
				ctl_hex(mi->sha256.data, PROTO_SHA256_LEN, hex);
			snprintf(size, sizeof size, "%llu", (unsigned long long)mi->size);
			snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)mi->load_address);
			ctl_json_obj_begin(&ctx->js, NULL);
			ctl_json_str(&ctx->js, "name", mi->name);
			ctl_json_str(&ctx->js, "version", mi->version);
			ctl_json_str(&ctx->js, "sha256", hex);
			ctl_json_u64(&ctx->js, "size", mi->size);
			ctl_json_str(&ctx->js, "address", addr);
			ctl_json_arr_begin(&ctx->js, "deps");
			for (size_t d = 0; d < mi->n_deps; d++) {
				ctl_json_str(&ctx->js, NULL, mi->deps[d]);
				size_t l = strlen(deps);
				snprintf(deps + l, sizeof deps - l, "%s%s", d ? "," : "", mi->deps[d]);
			}
			ctl_json_arr_end(&ctx->js);
			ctl_json_obj_end(&ctx->js);
			if (hex[0] != '-')
				hex[12] = 0;  /* the table shows a prefix */
			const char *row[] = { mi->name, mi->version, hex, size, addr,
					      deps[0] ? deps : "-" };
			if (ctl_table_row(&t, row)) {
				ctl_fail(ctx, TH_ENOMEM, "out of memory");
				ret = CTL_EXIT_LOCAL;
			}
		}
		lr.start += (uint32_t)m->n_modules;
		bool more = m->n_modules > 0 && lr.start < m->total;
		theseus__reply__free_unpacked(rep, NULL);
		if (!more || ret)
			break;
	}
	ctl_json_arr_end(&ctx->js);
	if (ret == CTL_EXIT_OK && ctl_human(ctx))
		ctl_table_print(&t, ctx->out);
	ctl_table_free(&t);
	return ret;
}

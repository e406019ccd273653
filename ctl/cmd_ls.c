/*
 * cmd_ls.c - `theseusctl ls`: the loaded modules as an aligned table, fetched
 * page by page (one datagram each) with ListModules requests.
 */
#include "klibc.h"
#include "ctl.h"

int cmd_ls_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	if (argc != 1) {
		fprintf(ctx->err, "usage: theseusctl ls\n");
		return CTL_EXIT_USAGE;
	}
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ListModulesRequest lr = THESEUS__LIST_MODULES_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_LIST_MODULES;
	req.list_modules = &lr;
	uint32_t start = 0;
	bool header = false;
	for (;;) {
		Theseus__Reply *rep = NULL;
		lr.start = start;
		int err = ctl_call(ctx, &req, &rep);
		if (err || rep->payload_case != THESEUS__REPLY__PAYLOAD_MODULES) {
			ctl_report(ctx, "ls", err ? err : TH_EPROTO, rep);
			if (rep)
				theseus__reply__free_unpacked(rep, NULL);
			return ctl_exit_for(err ? err : TH_EPROTO);
		}
		Theseus__ListModulesReply *m = rep->modules;
		if (!header && !ctx->quiet) {
			fprintf(ctx->out, "%-20s %-12s %-12s %8s %-18s %s\n", "NAME", "VERSION",
				"SHA256", "SIZE", "ADDRESS", "DEPENDS");
			header = true;
		}
		for (size_t i = 0; i < m->n_modules && !ctx->quiet; i++) {
			Theseus__ModuleInfo *mi = m->modules[i];
			char hex[65] = "-";
			if (mi->sha256.len == ENDPOINT_SHA256_LEN) {
				ctl_hex(mi->sha256.data, 6, hex);
			}
			fprintf(ctx->out, "%-20s %-12s %-12s %8llu 0x%016llx ", mi->name, mi->version,
				hex, (unsigned long long)mi->size,
				(unsigned long long)mi->load_address);
			for (size_t d = 0; d < mi->n_deps; d++)
				fprintf(ctx->out, "%s%s", d ? "," : "", mi->deps[d]);
			fprintf(ctx->out, "%s\n", mi->n_deps ? "" : "-");
		}
		start += (uint32_t)m->n_modules;
		bool more = m->n_modules > 0 && start < m->total;
		theseus__reply__free_unpacked(rep, NULL);
		if (!more)
			return CTL_EXIT_OK;
	}
}

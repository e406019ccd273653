/*
 * cmd_swap.c - `theseusctl swap [--expect VERSION] MODULE FILE`: push FILE,
 * then replace MODULE with it live.  The swap is a compare-and-swap on the
 * version MODULE runs now (asked with ls, or given with --expect; "" when the
 * module is not loaded yet), so it refuses to overwrite a change someone
 * else made in between, and retrying it is harmless.
 */
#include <getopt.h>

#include "klibc.h"
#include "ctl.h"

/* The running version of module, "" when not loaded. */
static int current_version(struct ctl_ctx *ctx, const char *module, char *out, size_t cap)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ListModulesRequest lr = THESEUS__LIST_MODULES_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_LIST_MODULES;
	req.list_modules = &lr;
	out[0] = 0;
	for (;;) {
		Theseus__Reply *rep = NULL;
		int err = ctl_call(ctx, &req, &rep);
		if (err || rep->payload_case != THESEUS__REPLY__PAYLOAD_MODULES) {
			ctl_report(ctx, "ls", err ? err : TH_EPROTO, rep);
			if (rep)
				theseus__reply__free_unpacked(rep, NULL);
			return err ? err : TH_EPROTO;
		}
		Theseus__ListModulesReply *m = rep->modules;
		bool found = false;
		for (size_t i = 0; i < m->n_modules; i++)
			if (strcmp(m->modules[i]->name, module) == 0) {
				snprintf(out, cap, "%s", m->modules[i]->version);
				found = true;
			}
		lr.start += (uint32_t)m->n_modules;
		bool more = !found && m->n_modules > 0 && lr.start < m->total;
		theseus__reply__free_unpacked(rep, NULL);
		if (!more)
			return TH_OK;
	}
}

int cmd_swap_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	static const struct option opts[] = {
		{ "expect", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *expect = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+e:", opts, NULL)) != -1) {
		if (c != 'e')
			goto usage;
		expect = optarg;
	}
	if (argc - optind != 2)
		goto usage;
	const char *module = argv[optind], *file = argv[optind + 1];

	struct th_errbuf eb = { "" };
	uint8_t *data, sha[ENDPOINT_SHA256_LEN];
	size_t len;
	if (ctl_read_file(file, &data, &len, &eb) != TH_OK) {
		fprintf(ctx->err, "theseusctl: %s\n", eb.msg);
		return CTL_EXIT_LOCAL;
	}
	endpoint_sha256(data, len, sha);
	char version[ENDPOINT_VERSION_MAX];
	int ret;
	if (expect) {
		snprintf(version, sizeof version, "%s", expect);
	} else {
		int err = current_version(ctx, module, version, sizeof version);
		if (err) {
			ret = ctl_exit_for(err);
			goto out;
		}
	}
	ret = ctl_push_object(ctx, file, data, len, sha);
	if (ret != CTL_EXIT_OK)
		goto out;

	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__SwapRequest sr = THESEUS__SWAP_REQUEST__INIT;
	Theseus__SwapItem it = THESEUS__SWAP_ITEM__INIT, *items[1] = { &it };
	Theseus__Reply *rep = NULL;
	it.module = (char *)module;
	it.expected_version = version;
	it.object_sha256.data = sha;
	it.object_sha256.len = sizeof sha;
	sr.n_items = 1;
	sr.items = items;
	req.kind_case = THESEUS__REQUEST__KIND_SWAP;
	req.swap = &sr;
	int err = ctl_call(ctx, &req, &rep);
	if (err) {
		ctl_report(ctx, "swap", err, rep);
		if (err == TH_ECONFLICT)
			fprintf(ctx->err, "theseusctl: the module changed since it was read; check "
				"with `theseusctl ls` and retry\n");
	} else if (!ctx->quiet && rep->payload_case == THESEUS__REPLY__PAYLOAD_SWAP) {
		Theseus__SwapReply *s = rep->swap;
		for (size_t i = 0; i < s->n_results; i++) {
			Theseus__SwapResult *r = s->results[i];
			if (r->already)
				fprintf(ctx->out, "%s: already running this object (version %s)\n",
					r->module, r->new_version);
			else
				fprintf(ctx->out, "%s: %s -> %s\n", r->module,
					r->old_version[0] ? r->old_version : "(not loaded)",
					r->new_version);
		}
		for (size_t i = 0; i < s->n_stages; i++)
			fprintf(ctx->out, "  %-10s %10.3f ms\n", s->stages[i]->stage,
				(double)s->stages[i]->ns / 1e6);
	}
	if (rep)
		theseus__reply__free_unpacked(rep, NULL);
	ret = ctl_exit_for(err);
out:
	free(data);
	return ret;
usage:
	fprintf(ctx->err, "usage: theseusctl swap [--expect VERSION] MODULE FILE\n");
	return CTL_EXIT_USAGE;
}

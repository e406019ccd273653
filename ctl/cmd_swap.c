/*
 * cmd_swap.c - `theseusctl swap [--expect [MODULE=]VERSION] MODULE FILE
 * [MODULE FILE ...]`: push every FILE, then replace the MODULEs with them
 * live, as one transaction (all or none).  Each item is a compare-and-swap
 * on the version the module runs now (read with ls, or given with --expect;
 * "" when the module is not loaded yet), so the swap refuses to overwrite a
 * change someone else made in between, and retrying it is harmless.
 * JSON fields: "results": [{"module","old_version","new_version","already"}],
 * "stages": [{"stage","ns"}].
 */
#include "klibc.h"
#include "ctl.h"

#define USAGE "swap [--expect [MODULE=]VERSION] MODULE FILE [MODULE FILE ...]"

struct item {
	const char *module, *file, *expect;
	uint8_t *data;
	size_t len;
	uint8_t sha[PROTO_SHA256_LEN];
	char version[PROTO_VERSION_MAX];
};

/* The kernel's staging area in bytes when its ObjectStatusReply tells it
 * (max_object_size below the PROTO_MAX_OBJECT an object may take is the
 * whole area), else 0: unknown (a larger area, or an older kernel). */
static int staging_bytes(struct ctl_ctx *ctx, const uint8_t *sha, uint64_t *bytes)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ObjectStatusRequest oq = THESEUS__OBJECT_STATUS_REQUEST__INIT;
	Theseus__Reply *rep = NULL;
	oq.object_sha256.data = (uint8_t *)sha;
	oq.object_sha256.len = PROTO_SHA256_LEN;
	req.kind_case = THESEUS__REQUEST__KIND_OBJECT_STATUS;
	req.object_status = &oq;
	int err = ctl_call_expect(ctx, "object status", &req, THESEUS__REPLY__PAYLOAD_OBJECT, &rep);
	if (err)
		return err;
	uint64_t max = rep->object->max_object_size;
	*bytes = max < PROTO_MAX_OBJECT ? max : 0;
	theseus__reply__free_unpacked(rep, NULL);
	return TH_OK;
}

/* The objects of one transaction must be staged together: refused before
 * anything is sent when they cannot be (each push would evict the one
 * before, and the swap would find an object gone). */
static int check_fit(struct ctl_ctx *ctx, const struct item *it, size_t n)
{
	uint64_t sum = 0, bytes = 0;
	for (size_t k = 0; k < n; k++)
		sum += it[k].len;
	if (n < 2)
		return CTL_EXIT_OK;
	int err = staging_bytes(ctx, it[0].sha, &bytes);
	if (err)
		return ctl_exit_status(ctx, err);
	if (bytes && sum > bytes) {
		ctl_fail(ctx, TH_ETOOBIG, "%s:%u: swap: the %zu objects take %llu bytes together, "
			 "more than the kernel's staging area of %llu bytes holds at once (boot it "
			 "with a larger staging=, or swap them in several transactions); not pushed",
			 ctx->host, ctx->port, n, (unsigned long long)sum,
			 (unsigned long long)bytes);
		return CTL_EXIT_LOCAL;
	}
	return CTL_EXIT_OK;
}

/* Fills version of every item without --expect from the module list. */
static int current_versions(struct ctl_ctx *ctx, struct item *it, size_t n)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ListModulesRequest lr = THESEUS__LIST_MODULES_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_LIST_MODULES;
	req.list_modules = &lr;
	for (;;) {
		Theseus__Reply *rep = NULL;
		int err = ctl_call_expect(ctx, "ls", &req, THESEUS__REPLY__PAYLOAD_MODULES, &rep);
		if (err)
			return err;
		Theseus__ListModulesReply *m = rep->modules;
		for (size_t i = 0; i < m->n_modules; i++)
			for (size_t k = 0; k < n; k++)
				if (!it[k].expect && strcmp(m->modules[i]->name, it[k].module) == 0)
					snprintf(it[k].version, sizeof it[k].version, "%s",
						 m->modules[i]->version);
		lr.start += (uint32_t)m->n_modules;
		bool more = m->n_modules > 0 && lr.start < m->total;
		theseus__reply__free_unpacked(rep, NULL);
		if (!more)
			return TH_OK;
	}
}

static void print_result(struct ctl_ctx *ctx, const Theseus__SwapReply *s)
{
	ctl_json_arr_begin(&ctx->js, "results");
	for (size_t i = 0; i < s->n_results; i++) {
		Theseus__SwapResult *r = s->results[i];
		ctl_json_obj_begin(&ctx->js, NULL);
		ctl_json_str(&ctx->js, "module", r->module);
		ctl_json_str(&ctx->js, "old_version", r->old_version);
		ctl_json_str(&ctx->js, "new_version", r->new_version);
		ctl_json_bool(&ctx->js, "already", r->already);
		ctl_json_obj_end(&ctx->js);
		if (!ctl_human(ctx))
			continue;
		if (r->already)
			fprintf(ctx->out, "%s: already running this object (version %s)\n",
				r->module, r->new_version);
		else
			fprintf(ctx->out, "%s: %s -> %s\n", r->module,
				r->old_version[0] ? r->old_version : "(not loaded)", r->new_version);
	}
	ctl_json_arr_end(&ctx->js);
	ctl_json_arr_begin(&ctx->js, "stages");
	for (size_t i = 0; i < s->n_stages; i++) {
		ctl_json_obj_begin(&ctx->js, NULL);
		ctl_json_str(&ctx->js, "stage", s->stages[i]->stage);
		ctl_json_u64(&ctx->js, "ns", s->stages[i]->ns);
		ctl_json_obj_end(&ctx->js);
		if (ctl_human(ctx))
			fprintf(ctx->out, "  %-10s %10.3f ms\n", s->stages[i]->stage,
				(double)s->stages[i]->ns / 1e6);
	}
	ctl_json_arr_end(&ctx->js);
}

int cmd_swap_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	struct item it[PROTO_MAX_SWAP_ITEMS];
	const char *expects[PROTO_MAX_SWAP_ITEMS];
	size_t n = 0, ne = 0;
	int ret = CTL_EXIT_OK;
	bool operands = false;   /* after "--" */
	memset(it, 0, sizeof it);
	for (int a = 1; a < argc; a++) {
		if (!operands && strcmp(argv[a], "--") == 0) {
			operands = true;
		} else if (operands) {
			if (a + 1 >= argc || n == PROTO_MAX_SWAP_ITEMS)
				return ctl_usage_fail(ctx, USAGE);
			it[n].module = argv[a];
			it[n++].file = argv[++a];
		} else if (strcmp(argv[a], "--expect") == 0 || strcmp(argv[a], "-e") == 0) {
			if (a + 1 >= argc || ne == PROTO_MAX_SWAP_ITEMS)
				return ctl_usage_fail(ctx, USAGE);
			expects[ne++] = argv[++a];
		} else if (strncmp(argv[a], "--expect=", 9) == 0) {
			if (ne == PROTO_MAX_SWAP_ITEMS)
				return ctl_usage_fail(ctx, USAGE);
			expects[ne++] = argv[a] + 9;
		} else {
			if (a + 1 >= argc || n == PROTO_MAX_SWAP_ITEMS || argv[a][0] == '-')
				return ctl_usage_fail(ctx, USAGE);
			it[n].module = argv[a];
			it[n++].file = argv[++a];
		}
	}
	if (n == 0)
		return ctl_usage_fail(ctx, USAGE);
	/* --expect VERSION (one item) or --expect MODULE=VERSION (any). */
	for (size_t e = 0; e < ne; e++) {
		const char *eq = strchr(expects[e], '=');
		size_t k;
		if (!eq) {
			if (n != 1) {
				ctl_fail(ctx, TH_EINVAL, "swap: with several modules, write "
					 "--expect MODULE=VERSION");
				return CTL_EXIT_USAGE;
			}
			it[0].expect = expects[e];
			continue;
		}
		for (k = 0; k < n; k++)
			if (strlen(it[k].module) == (size_t)(eq - expects[e]) &&
			    strncmp(it[k].module, expects[e], (size_t)(eq - expects[e])) == 0)
				break;
		if (k == n) {
			ctl_fail(ctx, TH_EINVAL, "swap: --expect %s names no module of this swap",
				 expects[e]);
			return CTL_EXIT_USAGE;
		}
		it[k].expect = eq + 1;
	}

	struct th_errbuf eb = { "" };
	bool need_ls = false;
	for (size_t k = 0; k < n; k++) {
		int rerr = ctl_read_file(it[k].file, &it[k].data, &it[k].len, &eb);
		if (rerr != TH_OK) {
			ctl_fail(ctx, rerr, "%s", eb.msg);
			ret = CTL_EXIT_LOCAL;
			goto out;
		}
		proto_sha256(it[k].data, it[k].len, it[k].sha);
		if (it[k].expect)
			snprintf(it[k].version, sizeof it[k].version, "%s", it[k].expect);
		else
			need_ls = true;
	}
	if (need_ls) {
		int err = current_versions(ctx, it, n);
		if (err) {
			ret = ctl_exit_status(ctx, err);
			goto out;
		}
	}
	ret = check_fit(ctx, it, n);
	if (ret != CTL_EXIT_OK)
		goto out;
	for (size_t k = 0; k < n; k++) {
		ret = ctl_push_object(ctx, it[k].file, it[k].data, it[k].len, it[k].sha);
		if (ret != CTL_EXIT_OK)
			goto out;
	}

	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__SwapRequest sr = THESEUS__SWAP_REQUEST__INIT;
	Theseus__SwapItem si[PROTO_MAX_SWAP_ITEMS], *items[PROTO_MAX_SWAP_ITEMS];
	Theseus__Reply *rep = NULL;
	for (size_t k = 0; k < n; k++) {
		theseus__swap_item__init(&si[k]);
		si[k].module = (char *)it[k].module;
		si[k].expected_version = it[k].version;
		si[k].object_sha256.data = it[k].sha;
		si[k].object_sha256.len = PROTO_SHA256_LEN;
		items[k] = &si[k];
	}
	sr.n_items = n;
	sr.items = items;
	req.kind_case = THESEUS__REQUEST__KIND_SWAP;
	req.swap = &sr;
	int err = ctl_call_expect(ctx, "swap", &req, THESEUS__REPLY__PAYLOAD_SWAP, &rep);
	if (err) {
		if (err == TH_ECONFLICT && !ctx->json)
			fprintf(ctx->err, ne ? "theseusctl: a module does not run the version "
				"--expect names; `theseusctl ls` shows what runs\n" :
				"theseusctl: a module changed since it was read; check with "
				"`theseusctl ls` and retry\n");
		if (err == TH_ENOSYM)
			ctl_hint_missing_export(ctx, false);
		if (err == TH_ENOENT && !ctx->json && strstr(ctx->errmsg, "is not staged"))
			fprintf(ctx->err, "theseusctl: an object pushed for this swap was evicted "
				"from the kernel's staging area before the swap (another client's "
				"push needed the room?); run the swap again\n");
		ret = ctl_exit_status(ctx, err);
		goto out;
	}
	print_result(ctx, rep->swap);
	theseus__reply__free_unpacked(rep, NULL);
	ret = CTL_EXIT_OK;
out:
	for (size_t k = 0; k < n; k++)
		free(it[k].data);
	return ret;
}

/*
 * cmd_lint.c - `theseusctl lint [--spill=warn|reject] [--exports FILE |
 * --no-exports | --target HOST[:PORT]] [--with OBJ]... FILE...` (also
 * installed as theseus-lint): check module objects on this machine with the
 * verdict the kernel's loader will give (its own validation code,
 * kernel/loader/lint.c, built for the host): ELF structure, module record
 * and API version, COMMON symbols, the kit's flags in every file,
 * relocation types, TH_EXPORT records, state spill (a warning, or an error
 * with --spill=reject), and linking: every import must be exported by the
 * target kernel (its export list: the kit's installed exports.txt by
 * default, --exports FILE, or with --target the list of that running
 * kernel, fetched over the network (exports_fetch.c): its exports and
 * those of the modules loaded there) or by a module loaded with it (--with
 * OBJ, and the FILEs linted together, as one batch), and no export may
 * clash with a strong one there.  No host needed but with --target.  Exit 1
 * if any file has an error (3 when the --target does not answer).  JSON
 * fields: "exports" (the list used: its file, HOST:PORT with --target, ""
 * if none), "files": [{"file","ok","status","findings": [{"level","text"}]}].
 */
#include <stdlib.h>

#include "klibc.h"
#include "ctl.h"
#include "loader.h"

#define USAGE "lint [--spill=warn|reject] [--exports FILE | --no-exports | --target HOST[:PORT]] " \
	"[--with OBJ]... FILE..."
#define MAX_WITH 64

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

/* "--opt=VALUE" or "--opt VALUE": the value, advancing *a; NULL if not opt. */
static const char *opt_value(int argc, char **argv, int *a, const char *opt)
{
	size_t l = strlen(opt);
	if (strncmp(argv[*a], opt, l) != 0)
		return NULL;
	if (argv[*a][l] == '=')
		return argv[(*a)++] + l + 1;
	if (argv[*a][l] == '\0' && *a + 1 < argc) {
		*a += 2;
		return argv[*a - 1];
	}
	return NULL;
}

/* The export list of the running kernel at spec (HOST[:PORT], the port
 * defaulting to the first -H host's: --port or 7700 by default), through a
 * transport opened for it. */
static int fetch_running(struct ctl_ctx *ctx, struct ctl_lint_syms *t, const char *spec)
{
	struct th_errbuf eb = { "" };
	int perr = ctl_parse_hostport(spec, ctx->host, sizeof ctx->host, &ctx->port);
	if (perr != TH_OK) {
		fprintf(ctx->err, "theseusctl: lint: bad --target %s: %s\n", spec,
			ctl_hostport_why(perr));
		return ctl_usage_fail(ctx, USAGE);
	}
	char where[sizeof ctx->label];   /* ctx->label stays "local": lint's JSON as ever */
	snprintf(where, sizeof where, "%s:%u", ctx->host, ctx->port);
	ctl_json_str(&ctx->js, "exports", where);
	/* lint needs no host, so main() left the key alone: load it here. */
	if (!ctx->have_key && ctx->key_file[0]) {
		if (ctl_key_load(ctx->key_file, ctx->key, &eb, ctx->err) != TH_OK) {
			ctl_fail(ctx, TH_EAUTH, "%s (check --key-file / THESEUS_KEY_FILE)", eb.msg);
			return CTL_EXIT_AUTH;
		}
		ctx->have_key = true;
	}
	if (ctl_tx_open(ctx, &eb) != TH_OK) {
		ctl_fail(ctx, TH_ENODEV, "lint --target %s: %s", where, eb.msg);
		return CTL_EXIT_UNREACHABLE;
	}
	int ret = ctl_exports_fetch(ctx, t);
	ctl_tx_close(ctx);
	ctx->fd = -1;
	if (ret == CTL_EXIT_OK && t->api != loader_module_api()) {
		ctl_fail(ctx, TH_EINVAL, "the kernel at %s loads module API %u; this lint checks "
			 "module API %u (use the kit of the target kernel)", where, t->api,
			 loader_module_api());
		ret = CTL_EXIT_LOCAL;
	}
	return ret;
}

/* The target: the export list and the objects loaded with the linted ones. */
static int load_target(struct ctl_ctx *ctx, struct ctl_lint_syms *t, const char *exports,
		       bool no_exports, const char *running, char **with, int nwith,
		       char **files, int nfiles)
{
	struct th_errbuf eb = { "" };
	char buf[4096];
	if (running) {
		int ret = fetch_running(ctx, t, running);
		if (ret != CTL_EXIT_OK)
			return ret;
	} else if (!no_exports && !exports)
		exports = ctl_lint_default_exports(buf, sizeof buf);
	if (!running)
		ctl_json_str(&ctx->js, "exports", exports ? exports : "");
	if (!running && !no_exports && !exports && ctl_human(ctx))
		fprintf(ctx->out, "lint: warning: no export list found beside this program: imports "
			"are not checked (give --exports FILE)\n");
	if (exports) {
		if (ctl_lint_load_exports(t, exports, &eb) != TH_OK) {
			ctl_fail(ctx, TH_EINVAL, "%s", eb.msg);
			return CTL_EXIT_LOCAL;
		}
		if (t->api != loader_module_api()) {
			ctl_fail(ctx, TH_EINVAL, "%s is the export list of module API %u; this lint "
				 "checks module API %u (use the kit of the target kernel)", exports,
				 t->api, loader_module_api());
			return CTL_EXIT_LOCAL;
		}
	}
	for (int i = 0; i < nwith + nfiles; i++) {
		const char *path = i < nwith ? with[i] : files[i - nwith];
		uint8_t *data;
		size_t len;
		if (ctl_read_file(path, &data, &len, &eb) != TH_OK) {
			if (i < nwith) {
				ctl_fail(ctx, TH_EIO, "%s", eb.msg);
				return CTL_EXIT_LOCAL;
			}
			continue; /* reported when the file itself is linted */
		}
		int err = ctl_lint_add_object(t, data, len, path, &eb);
		free(data);
		if (err && i < nwith) {
			ctl_fail(ctx, err, "--with %s", eb.msg);
			return CTL_EXIT_LOCAL;
		}
	}
	return CTL_EXIT_OK;
}

int cmd_lint_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	enum loader_spill_policy policy = LOADER_SPILL_WARN;
	struct ctl_lint_syms syms = { 0 };
	char *with[MAX_WITH];
	const char *exports = NULL, *running = NULL, *v;
	int a = 1, ret = CTL_EXIT_OK, bad = 0, nwith = 0;
	bool no_exports = false;
	while (a < argc && strncmp(argv[a], "--", 2) == 0) {
		if (strcmp(argv[a], "--") == 0) {   /* the rest are FILEs */
			a++;
			break;
		}
		if (strncmp(argv[a], "--spill=", 8) == 0) {
			if (loader_parse_spill_policy(argv[a++] + 8, &policy) != TH_OK)
				return ctl_usage_fail(ctx, USAGE);
		} else if (strcmp(argv[a], "--no-exports") == 0) {
			no_exports = true;
			a++;
		} else if ((v = opt_value(argc, argv, &a, "--exports"))) {
			exports = v;
		} else if ((v = opt_value(argc, argv, &a, "--target"))) {
			running = v;
		} else if ((v = opt_value(argc, argv, &a, "--with")) && nwith < MAX_WITH) {
			with[nwith++] = (char *)v;
		} else {
			return ctl_usage_fail(ctx, USAGE);
		}
	}
	if (a >= argc || (no_exports + !!exports + !!running) > 1)
		return ctl_usage_fail(ctx, USAGE);
	ret = load_target(ctx, &syms, exports, no_exports, running, with, nwith, argv + a,
			  argc - a);
	if (ret != CTL_EXIT_OK) {
		ctl_lint_free(&syms);
		return ret;
	}
	struct loader_lint_target target = { ctl_lint_lookup, ctl_lint_strong, &syms };
	bool check_links = !no_exports && syms.api;
	ctl_json_arr_begin(&ctx->js, "files");
	for (; a < argc; a++) {
		struct th_errbuf eb = { "" };
		uint8_t *data;
		size_t len;
		ctl_json_obj_begin(&ctx->js, NULL);
		ctl_json_str(&ctx->js, "file", argv[a]);
		int rerr = ctl_read_file(argv[a], &data, &len, &eb);
		if (rerr != TH_OK) {
			ctl_json_bool(&ctx->js, "ok", false);
			ctl_json_str(&ctx->js, "status", "ELOCAL");
			ctl_json_arr_begin(&ctx->js, "findings");
			ctl_json_arr_end(&ctx->js);
			ctl_json_obj_end(&ctx->js);
			ctl_fail(ctx, rerr, "%s", eb.msg);
			ret = CTL_EXIT_LOCAL;
			continue;
		}
		struct lint_ctx l = { ctx, argv[a] };
		ctl_json_arr_begin(&ctx->js, "findings");
		int err = loader_lint(data, len, policy, check_links ? &target : NULL, finding, &l);
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
	ctl_lint_free(&syms);
	return ret;
}

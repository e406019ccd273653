/*
 * cmd_rollout.c - `theseusctl rollout MODULE FILE`: a staged fleet rollout.
 * The hosts (-H, --hosts; in the order given) are taken in waves
 * (--waves, cumulative counts or percentages, default one canary then the
 * rest).  In each wave every host is read (ls: old version and hash), gets
 * the object pushed and swapped in with compare-and-swap on that version
 * (a host already running the object counts as done, no second swap); after
 * --soak seconds the health checks run on every updated host (--check
 * FUNCTION invoked, --check-cmd CMD run locally with THESEUS_HOST and
 * THESEUS_KEY_FILE (the run's key, absolute), no
 * fault entry for the module in its history since the swap, and, last, ls
 * still showing the new object's hash).  A failed host
 * (unreachable, swap refused, check failed) is returned to its old object at
 * once; when more than --max-fail hosts failed the rollout stops and every
 * host it updated goes back to the exact object it ran before (rollback,
 * verified by hash), hosts not reached are left alone.  --state FILE
 * records the waves, every host in order, each host's progress and old hash
 * before its swap, and a stop; running again with the same FILE (or
 * --resume) continues, with the same hosts and waves only, and not after a
 * stop unless --retry; one run at a time per FILE (FILE.lock).  Per-host
 * lines (--json: one object per host), a summary on stderr; exit 0 only
 * when complete.
 * Waves and budgets: rollout_plan.c; the steps on a host: rollout_host.c.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "rollout.h"

#define USAGE "rollout [--waves LIST] [--check FUNCTION] [--check-cmd CMD] [--soak SECONDS] " \
	"[--max-fail N|N%] [--no-fault-check] [--state FILE [--resume] [--retry]] [--] MODULE FILE"
#define SOAK_MAX 86400

struct rollout {
	struct ctl_ctx *ctx;
	struct rollout_obj obj;
	struct rollout_checks checks;
	struct rollout_host *hosts;
	size_t n;
	const char *state_path;
	struct rollout_state st;
	pthread_mutex_t lock;        /* st and the save */
	bool state_err;
	char state_msg[200];
};

static long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Records host k's state (and old hash) and rewrites the state file. */
static void record(struct rollout *r, const struct rollout_host *h, enum rollout_host_state s)
{
	if (!r->state_path)
		return;
	pthread_mutex_lock(&r->lock);
	struct rollout_state_host *sh = rollout_state_host(&r->st, h->label);
	struct th_errbuf eb = { "" };
	int err = TH_ENOMEM;
	if (sh) {
		sh->st = s;
		snprintf(sh->old_version, sizeof sh->old_version, "%s", h->old_version);
		snprintf(sh->old_hash, sizeof sh->old_hash, "%s", h->old_hash);
		err = rollout_state_save(r->state_path, &r->st, &eb);
	} else {
		snprintf(eb.msg, sizeof eb.msg, "%s: out of memory", r->state_path);
	}
	if (err && !r->state_err) {
		r->state_err = true;
		snprintf(r->state_msg, sizeof r->state_msg, "%s", eb.msg);
	}
	pthread_mutex_unlock(&r->lock);
}

static void before_swap(struct rollout_host *h, void *arg)
{
	record(arg, h, RH_SWAPPING);
}

static void fail_host(struct rollout_host *h, const struct ctl_ctx *ctx, const char *fallback)
{
	h->failed = true;
	if (!h->error[0])
		snprintf(h->error, sizeof h->error, "%s", ctx->errmsg[0] ? ctx->errmsg : fallback);
}

static void step_update(struct ctl_ctx *ctx, size_t k, void *arg)
{
	struct rollout *r = arg;
	struct rollout_host *h = &r->hosts[k];
	if (ctx->fd < 0) {
		fail_host(h, ctx, "cannot open a socket");
		return;
	}
	if (rollout_host_update(ctx, &r->obj, h, before_swap, r) != TH_OK) {
		fail_host(h, ctx, "update failed");
		record(r, h, RH_FAILED);
	}
}

static void step_check(struct ctl_ctx *ctx, size_t k, void *arg)
{
	struct rollout *r = arg;
	struct rollout_host *h = &r->hosts[k];
	if (ctx->fd < 0) {
		snprintf(h->check, sizeof h->check, "failed: no socket");
		fail_host(h, ctx, "cannot open a socket");
	} else if (rollout_host_check(ctx, &r->obj, &r->checks, h) != TH_OK) {
		fail_host(h, ctx, h->check);
	} else {
		record(r, h, RH_DONE);
		return;
	}
	record(r, h, RH_FAILED);
}

static void step_revert(struct ctl_ctx *ctx, size_t k, void *arg)
{
	struct rollout *r = arg;
	struct rollout_host *h = &r->hosts[k];
	if (ctx->fd < 0) {
		h->rollback_failed = true;
		snprintf(h->error, sizeof h->error, "rollback: %s", ctx->errmsg);
	} else if (rollout_host_revert(ctx, &r->obj, h) == TH_OK && h->rolled_back) {
		record(r, h, RH_ROLLED_BACK);
	}
	/* Not put back: the record must not keep saying "done" (healthy on the
	 * new object); failed with its old hash = it may run either object. */
	if (h->rollback_failed)
		record(r, h, RH_FAILED);
}

/* Runs step over the hosts pos[0..n) (indices of the targets and hosts). */
static void run_step(struct rollout *r, const size_t *pos, size_t n,
		     void (*step)(struct ctl_ctx *, size_t, void *))
{
	if (n)
		ctl_fleet_map(r->ctx, pos, n, step, r);
}

/* Reverts every host in pos[0..n) that may run the new object because of
 * this rollout (once: a host whose rollback failed is not tried, nor
 * reported, again); returns how many were rolled back. */
static size_t revert(struct rollout *r, size_t *pos, size_t n)
{
	size_t m = 0, done = 0;
	for (size_t i = 0; i < n; i++) {
		struct rollout_host *h = &r->hosts[pos[i]];
		if ((h->attempted || h->swapped) && !h->already && !h->rolled_back &&
		    !h->rollback_failed)
			pos[m++] = pos[i];
	}
	run_step(r, pos, m, step_revert);
	for (size_t i = 0; i < m; i++) {
		rollout_print_revert(r->ctx, &r->obj, &r->hosts[pos[i]]);
		done += r->hosts[pos[i]].rolled_back;
	}
	return done;
}

/* An existing state file: the rollout it records must be this one, over the
 * same hosts (in the same order) and waves (*waves_spec becomes the file's
 * when --waves was not given), and not one that stopped, unless --retry. */
static int check_recorded(struct rollout *r, bool waves_given, const char **waves_spec,
			  bool retry, struct th_errbuf *eb)
{
	const char **labels = calloc(r->n, sizeof *labels);
	if (!labels)
		return th_errf(eb, TH_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->n; i++)
		labels[i] = r->hosts[i].label;
	int err = rollout_state_same_hosts(&r->st, r->state_path, labels, r->n, eb);
	free(labels);
	if (err)
		return err;
	if (r->st.waves[0]) {
		if (waves_given && strcmp(*waves_spec, r->st.waves) != 0)
			return th_errf(eb, TH_ECONFLICT, "%s records a rollout with --waves %s, not "
				       "%s (leave --waves out, or use another --state file)",
				       r->state_path, r->st.waves, *waves_spec);
		*waves_spec = r->st.waves;
	}
	if (r->st.stopped_wave && !retry)
		return th_errf(eb, TH_ECONFLICT, "%s records a rollout that STOPPED in wave %zu "
			       "(its updated hosts were rolled back): not resumed; --retry starts "
			       "it again, the hosts that failed included", r->state_path,
			       r->st.stopped_wave);
	r->st.stopped_wave = 0;
	return TH_OK;
}

/* The state's hosts in the order of the targets, each one there (pending
 * when not reached yet): what a version-2 file records. */
static int order_state(struct rollout *r, struct th_errbuf *eb)
{
	struct rollout_state o = r->st;
	o.hosts = NULL;
	o.n = o.cap = 0;
	o.version = 2;
	for (size_t i = 0; i < r->n; i++) {
		struct rollout_state_host *h = rollout_state_host(&o, r->hosts[i].label);
		const struct rollout_state_host *old = rollout_state_find(&r->st, r->hosts[i].label);
		if (!h) {
			rollout_state_free(&o);
			return th_errf(eb, TH_ENOMEM, "%s: out of memory", r->state_path);
		}
		if (old)
			*h = *old;
	}
	rollout_state_free(&r->st);
	r->st = o;
	return TH_OK;
}

/* Option value: "--opt VALUE" or "--opt=VALUE". */
static bool opt(int argc, char **argv, int *a, const char *name, const char **val)
{
	size_t l = strlen(name);
	if (strncmp(argv[*a], name, l) != 0)
		return false;
	if (argv[*a][l] == '=') {
		*val = argv[*a] + l + 1;
		return true;
	}
	if (argv[*a][l] != 0)
		return false;
	*val = *a + 1 < argc ? argv[++*a] : NULL;
	return true;
}

static int parse_soak(const char *s, int *out)
{
	char *end;
	if (!s || !*s || *s == '-' || strlen(s) > 6)
		return TH_EINVAL;
	long v = strtol(s, &end, 10);
	if (*end || v < 0 || v > SOAK_MAX)
		return TH_EINVAL;
	*out = (int)v;
	return TH_OK;
}

int cmd_rollout_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	const char *waves_spec = ROLLOUT_DEFAULT_WAVES, *budget_spec = "0", *val;
	const char *module = NULL, *file = NULL;
	struct rollout r;
	struct th_errbuf eb = { "" };
	struct rollout_waves waves;
	struct rollout_amount budget_amt;
	size_t ends[ROLLOUT_MAX_WAVES + 1], n_waves = 0;
	int soak = 0, ret = CTL_EXIT_OK, lock_fd = -1;
	bool resume = false, retry = false, waves_given = false;
	struct ctl_target single;

	memset(&r, 0, sizeof r);
	r.ctx = ctx;
	r.checks.faults = true;
	bool operands = false;   /* after "--" */
	for (int a = 1; a < argc; a++) {
		if (operands || argv[a][0] != '-' || !argv[a][1]) {
			if (!module)
				module = argv[a];
			else if (!file)
				file = argv[a];
			else
				return ctl_usage_fail(ctx, USAGE);
		} else if (strcmp(argv[a], "--") == 0) {
			operands = true;
		} else if (opt(argc, argv, &a, "--waves", &val)) {
			if (!val)
				return ctl_usage_fail(ctx, USAGE);
			waves_spec = val;
			waves_given = true;
		} else if (opt(argc, argv, &a, "--check-cmd", &val)) {
			if (!val || !*val)
				return ctl_usage_fail(ctx, USAGE);
			r.checks.cmd = val;
		} else if (opt(argc, argv, &a, "--check", &val)) {
			if (!val || !*val || strlen(val) >= PROTO_NAME_MAX)
				return ctl_usage_fail(ctx, USAGE);
			r.checks.function = val;
		} else if (opt(argc, argv, &a, "--soak", &val)) {
			if (parse_soak(val, &soak) != TH_OK) {
				ctl_fail(ctx, TH_EINVAL, "rollout: --soak %s: want whole seconds, 0..%d",
					 val ? val : "(missing)", SOAK_MAX);
				return CTL_EXIT_USAGE;
			}
		} else if (opt(argc, argv, &a, "--max-fail", &val)) {
			if (!val)
				return ctl_usage_fail(ctx, USAGE);
			budget_spec = val;
		} else if (opt(argc, argv, &a, "--state", &val)) {
			if (!val || !*val)
				return ctl_usage_fail(ctx, USAGE);
			r.state_path = val;
		} else if (strcmp(argv[a], "--resume") == 0) {
			resume = true;
		} else if (strcmp(argv[a], "--retry") == 0) {
			retry = true;
		} else if (strcmp(argv[a], "--no-fault-check") == 0) {
			r.checks.faults = false;
		} else {
			ctl_fail(ctx, TH_EINVAL, "rollout: unknown option %s", argv[a]);
			return ctl_usage_fail(ctx, USAGE);
		}
	}
	if (!module || !file)
		return ctl_usage_fail(ctx, USAGE);
	/* --check-cmd's theseusctl uses this run's key (--key-file or the
	 * environment's), by absolute path: the command may change directory. */
	char key_abs[PATH_MAX];
	if (r.checks.cmd && ctx->have_key) {
		if (!realpath(ctx->key_file, key_abs)) {
			ctl_fail(ctx, TH_EIO, "rollout: key file %s: %s", ctx->key_file,
				 strerror(errno));
			return CTL_EXIT_LOCAL;
		}
		r.checks.key_file = key_abs;
	}
	/* Names every kernel refuses are refused here, before any host is
	 * touched: a bad name would fail every host's swap (or check). */
	if (strlen(module) >= PROTO_NAME_MAX) {
		ctl_fail(ctx, TH_EINVAL, "rollout: module name longer than %d bytes",
			 PROTO_NAME_MAX - 1);
		return CTL_EXIT_USAGE;
	}
	const char *bad_what = NULL, *bad = NULL;
	if (!proto_name_ok(module, PROTO_NAME_MAX)) {
		bad_what = "module";
		bad = module;
	} else if (r.checks.function && !proto_name_ok(r.checks.function, PROTO_NAME_MAX)) {
		bad_what = "--check function";
		bad = r.checks.function;
	}
	if (bad) {
		ctl_fail(ctx, TH_EINVAL, "rollout: %s name \"%s\" is not 1-%d characters of "
			 "[A-Za-z0-9_.-]", bad_what, bad, PROTO_NAME_MAX - 1);
		return CTL_EXIT_USAGE;
	}
	if ((resume || retry) && !r.state_path) {
		ctl_fail(ctx, TH_EINVAL, "rollout: %s needs --state FILE (the file the "
			 "earlier run wrote)", resume ? "--resume" : "--retry");
		return CTL_EXIT_USAGE;
	}
	if (rollout_waves_parse(waves_spec, &waves, &eb) != TH_OK ||
	    rollout_budget_parse(budget_spec, &budget_amt, &eb) != TH_OK) {
		ctl_fail(ctx, TH_EINVAL, "rollout: %s", eb.msg);
		return CTL_EXIT_USAGE;
	}
	/* The hosts: the targets, or the one default host. */
	if (ctx->n_targets == 0) {
		memset(&single, 0, sizeof single);
		snprintf(single.host, sizeof single.host, "%s", ctx->host);
		single.port = ctx->port;
		ctx->targets = &single;
		ctx->n_targets = 1;
	}
	r.n = ctx->n_targets;
	if (rollout_waves_resolve(&waves, r.n, ends, &n_waves, &eb) != TH_OK) {
		ctl_fail(ctx, TH_EINVAL, "rollout: %s", eb.msg);
		ret = CTL_EXIT_USAGE;
		goto out_targets;
	}
	size_t budget = rollout_budget_resolve(&budget_amt, r.n);

	r.obj.module = module;
	r.obj.file = file;
	int rerr = ctl_read_file(file, &r.obj.data, &r.obj.len, &eb);
	if (rerr != TH_OK) {
		ctl_fail(ctx, rerr, "%s", eb.msg);
		ret = CTL_EXIT_LOCAL;
		goto out_targets;
	}
	proto_sha256(r.obj.data, r.obj.len, r.obj.sha);
	ctl_hex(r.obj.sha, PROTO_SHA256_LEN, r.obj.hex);

	r.hosts = calloc(r.n, sizeof *r.hosts);
	size_t *pos = calloc(r.n, sizeof *pos);
	if (!r.hosts || !pos) {
		free(pos);
		ctl_fail(ctx, TH_ENOMEM, "out of memory");
		ret = CTL_EXIT_LOCAL;
		goto out_obj;
	}
	for (size_t i = 0; i < r.n; i++)
		snprintf(r.hosts[i].label, sizeof r.hosts[i].label, "%s:%u", ctx->targets[i].host,
			 ctx->targets[i].port);
	pthread_mutex_init(&r.lock, NULL);

	/* The state file: continue what it records, or start one; only one run
	 * at a time may hold it (a second would overwrite what the first records). */
	if (r.state_path) {
		int err = rollout_state_lock(r.state_path, &lock_fd, &eb);
		if (err) {
			ctl_fail(ctx, err, "rollout: %s", eb.msg);
			ret = CTL_EXIT_LOCAL;
			goto out_state;
		}
		err = rollout_state_load(r.state_path, &r.st, &eb);
		bool fresh = err == TH_ENOENT && !resume;
		int usage_err = TH_OK;   /* refused as not this rollout: exit 2, not 5 */
		if (fresh) {
			memset(&r.st, 0, sizeof r.st);
			snprintf(r.st.module, sizeof r.st.module, "%s", module);
			snprintf(r.st.new_hash, sizeof r.st.new_hash, "%s", r.obj.hex);
			snprintf(r.st.waves, sizeof r.st.waves, "%s", waves_spec);
			err = TH_OK;
		} else if (err == TH_ENOENT) {
			snprintf(eb.msg, sizeof eb.msg, "--resume: %s does not exist: nothing to resume",
				 r.state_path);
		} else if (!err && (strcmp(r.st.module, module) != 0 ||
				    strcmp(r.st.new_hash, r.obj.hex) != 0)) {
			err = th_errf(&eb, TH_ECONFLICT, "%s records the rollout of %s %.12s, not of "
				      "%s %.12s (%s): use another --state file", r.state_path,
				      r.st.module, r.st.new_hash, module, r.obj.hex, file);
		}
		if (err == TH_ENOENT || err == TH_ECONFLICT)
			usage_err = err;
		if (!err && !fresh)
			err = usage_err = check_recorded(&r, waves_given, &waves_spec, retry, &eb);
		if (!err && !fresh && !waves_given &&
		    (rollout_waves_parse(waves_spec, &waves, &eb) != TH_OK ||
		     rollout_waves_resolve(&waves, r.n, ends, &n_waves, &eb) != TH_OK))
			err = usage_err = TH_EINVAL;   /* the file's waves, for this fleet */
		if (!err)
			err = order_state(&r, &eb);   /* every host, in order (pending ones too) */
		if (!err)
			err = rollout_state_save(r.state_path, &r.st, &eb);
		if (err) {
			ctl_fail(ctx, err, "rollout: %s", eb.msg);
			ret = usage_err ? CTL_EXIT_USAGE : CTL_EXIT_LOCAL;
			goto out_state;
		}
		for (size_t i = 0; i < r.n; i++) {
			const struct rollout_state_host *sh = rollout_state_find(&r.st, r.hosts[i].label);
			/* Swapping, done, or failed with an old hash (its swap may have
			 * gone through and its rollback not): if it runs the new object,
			 * that is this rollout's doing.  Rolled back: tried afresh.  Old
			 * hash = the new object: it ran it before this rollout (already),
			 * never this rollout's to undo. */
			if (!sh || sh->st == RH_PENDING || sh->st == RH_ROLLED_BACK ||
			    (sh->st == RH_FAILED && !sh->old_hash[0]) ||
			    strcmp(sh->old_hash, r.obj.hex) == 0)
				continue;
			struct rollout_host *h = &r.hosts[i];
			h->swapped = true;
			snprintf(h->old_version, sizeof h->old_version, "%s", sh->old_version);
			snprintf(h->old_hash, sizeof h->old_hash, "%s", sh->old_hash);
		}
	}

	long t0 = mono_ms();
	size_t failed = 0, stopped_wave = 0, start = 0;
	for (size_t w = 0; w < n_waves && !stopped_wave; w++) {
		size_t n = 0;
		for (size_t i = start; i < ends[w]; i++) {
			r.hosts[i].wave = w + 1;
			r.hosts[i].reached = true;
			pos[n++] = i;
		}
		start = ends[w];
		run_step(&r, pos, n, step_update);
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			if (r.hosts[pos[i]].failed)
				failed++;
			else
				pos[m++] = pos[i];   /* updated (or already): to check */
		}
		if (failed <= budget) {
			if (soak > 0 && m > 0) {
				struct timespec ts = { .tv_sec = soak };
				while (nanosleep(&ts, &ts) != 0)
					;
			}
			run_step(&r, pos, m, step_check);
			for (size_t i = 0; i < m; i++)
				failed += r.hosts[pos[i]].failed;
		}
		for (size_t i = start - n; i < start; i++)
			rollout_print_host(ctx, &r.obj, &r.hosts[i]);
		/* Failed hosts of this wave go back to their old object at once. */
		m = 0;
		for (size_t i = start - n; i < start; i++)
			if (r.hosts[i].failed)
				pos[m++] = i;
		revert(&r, pos, m);
		if (failed > budget)
			stopped_wave = w + 1;
	}
	if (stopped_wave) {
		size_t m = 0;
		for (size_t i = 0; i < r.n; i++)
			pos[m++] = i;
		revert(&r, pos, m);
		if (r.state_path) {   /* a resume must not start it over unasked */
			pthread_mutex_lock(&r.lock);
			r.st.stopped_wave = stopped_wave;
			if (rollout_state_save(r.state_path, &r.st, &eb) != TH_OK && !r.state_err) {
				r.state_err = true;
				snprintf(r.state_msg, sizeof r.state_msg, "%s", eb.msg);
			}
			pthread_mutex_unlock(&r.lock);
		}
	}
	struct rollout_totals tot = { .waves = n_waves, .stopped_wave = stopped_wave,
				      .failed = failed, .budget = budget, .ms = mono_ms() - t0 };
	rollout_count(r.hosts, r.n, &tot);
	if (ctx->json)
		for (size_t i = 0; i < r.n; i++)
			rollout_print_json(ctx, &r.obj, &r.hosts[i]);
	fflush(ctx->out);
	rollout_print_summary(ctx, &r.obj, r.hosts, &tot);
	bool complete = !stopped_wave, rb_failed = tot.rb_failed > 0;
	if (r.state_err) {
		fprintf(ctx->err, "theseusctl: rollout: state file not written: %s\n", r.state_msg);
		if (complete && !rb_failed)
			ret = CTL_EXIT_LOCAL;
	}
	if (!complete || rb_failed)
		ret = CTL_EXIT_REMOTE;
	if (ret == CTL_EXIT_REMOTE) {
		ctx->status = TH_EAGAIN;
		snprintf(ctx->errmsg, sizeof ctx->errmsg, "rollout did not complete");
	}
out_state:
	rollout_state_unlock(lock_fd);
	rollout_state_free(&r.st);
	pthread_mutex_destroy(&r.lock);
	free(pos);
	free(r.hosts);
out_obj:
	free(r.obj.data);
out_targets:
	if (ctx->targets == &single) {
		ctx->targets = NULL;
		ctx->n_targets = 0;
	}
	return ret;
}

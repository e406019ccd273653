/*
 * fleet.c - running a subcommand against many hosts: a pool of at most -j
 * worker threads takes the targets in order; each host gets its own copy of
 * the context (own socket, counter, client id) and private output buffers,
 * printed in one piece when the host is done (so tables never interleave),
 * or line by line, prefixed with the host, for commands that run until
 * stopped (log -f).  With --json every host yields one JSON object line:
 *   {"host":"h:p","command":"ls","ok":true,"status":"OK","exit":0,"error":"",...}
 * A slow or dead host only holds its own worker: the others go on.
 * Subcommands must not use getopt (not thread-safe); they parse by hand.
 */
#include <pthread.h>
#include <stdlib.h>

#include "klibc.h"
#include "ctl.h"

struct job;

/* A FILE whose bytes go to a job's buffer (and, when streaming, out as
 * complete lines at once). */
struct sink {
	struct job *job;
	bool is_err;
	char *buf;
	size_t len, cap, emitted;
};

struct fleet {
	const struct ctl_cmd *cmd;
	int argc;
	char **argv;
	struct ctl_ctx *base;
	pthread_mutex_t lock;   /* next, and printing */
	size_t next, n;
	struct job *jobs;
	bool headers;           /* "==> host:port <==" before each block */
};

struct job {
	struct fleet *f;
	struct ctl_ctx ctx;
	struct sink out, err;
	int exit;
};

const char *ctl_status_name(int status, int exit_code)
{
	/* A usage or local error is "EUSAGE" / "ELOCAL" whatever code the
	 * failure had (the code's name goes into "error"). */
	switch (exit_code) {
	case CTL_EXIT_OK:
		return "OK";
	case CTL_EXIT_USAGE:
		return "EUSAGE";
	case CTL_EXIT_LOCAL:
		return "ELOCAL";
	}
	if (status)
		return th_err_name(status);
	switch (exit_code) {
	case CTL_EXIT_AUTH:
		return "EAUTH";
	case CTL_EXIT_UNREACHABLE:
		return "ETIMEDOUT";
	default:
		return "EREMOTE";
	}
}

void ctl_json_emit(struct ctl_ctx *ctx, int exit_code)
{
	struct ctl_json j = { 0 };
	ctl_json_obj_begin(&j, NULL);
	ctl_json_str(&j, "host", ctx->label);
	ctl_json_str(&j, "command", ctx->command);
	ctl_json_bool(&j, "ok", exit_code == CTL_EXIT_OK);
	ctl_json_str(&j, "status", ctl_status_name(ctx->status, exit_code));
	ctl_json_i64(&j, "exit", exit_code);
	char err[sizeof ctx->errmsg + 32] = "";
	if (exit_code != CTL_EXIT_OK) {
		const char *name = ctl_status_name(ctx->status, exit_code);
		if (ctx->status && strcmp(name, th_err_name(ctx->status)) != 0)
			snprintf(err, sizeof err, "%s: %s", th_err_name(ctx->status), ctx->errmsg);
		else
			snprintf(err, sizeof err, "%s", ctx->errmsg);
	}
	ctl_json_str(&j, "error", err);
	const char *fields = ctl_json_text(&ctx->js);
	fprintf(ctx->out, "%s%s%s}\n", ctl_json_text(&j), fields[0] ? "," : "", fields);
	fflush(ctx->out);
	ctl_json_free(&j);
	ctl_json_reset(&ctx->js);
}

/* A line that names the host already: "theseusctl: host:port: ..." (the
 * messages of ctl_report) gets no second prefix. */
static bool names_host(const char *line, size_t n, const char *label)
{
	static const char pre[] = "theseusctl: ";
	size_t pl = sizeof pre - 1, ll = strlen(label);
	return n > pl + ll && memcmp(line, pre, pl) == 0 && memcmp(line + pl, label, ll) == 0 &&
	       line[pl + ll] == ':';
}

/* Writes the lines of s from s->emitted up to its last newline (or all of
 * it when final), with the host prefix in human mode.  Caller holds lock. */
static void sink_emit(struct sink *s, bool final)
{
	FILE *to = s->is_err ? stderr : stdout;
	struct ctl_ctx *ctx = &s->job->ctx;
	while (s->emitted < s->len) {
		char *start = s->buf + s->emitted;
		char *nl = memchr(start, '\n', s->len - s->emitted);
		if (!nl && !final)
			break;
		size_t n = nl ? (size_t)(nl - start) + 1 : s->len - s->emitted;
		if (!ctx->json && !names_host(start, n, ctx->label))
			fprintf(to, "%s: ", ctx->label);
		if (ctl_term_write(start, n, to) != TH_OK)
			fputs("(out of memory)", to);
		if (!nl)
			fputc('\n', to);
		s->emitted += n;
	}
	fflush(to);
}

static ssize_t sink_write(void *cookie, const char *data, size_t n)
{
	struct sink *s = cookie;
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n)
			cap *= 2;
		char *nb = realloc(s->buf, cap);
		if (!nb)
			return -1;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	if (s->job->f->cmd->streams) {
		pthread_mutex_lock(&s->job->f->lock);
		sink_emit(s, false);
		pthread_mutex_unlock(&s->job->f->lock);
	}
	return (ssize_t)n;
}

static FILE *sink_open(struct sink *s, struct job *j, bool is_err)
{
	cookie_io_functions_t io = { .write = sink_write };
	memset(s, 0, sizeof *s);
	s->job = j;
	s->is_err = is_err;
	FILE *f = fopencookie(s, "w", io);
	if (f)
		setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

/* Runs the command for ctx (host already set); returns its exit code. */
static int run_one(const struct ctl_cmd *cmd, int argc, char **argv, struct ctl_ctx *ctx)
{
	struct th_errbuf eb = { "" };
	int ret;
	ctx->command = cmd->name;
	ctx->status = 0;
	ctx->status_remote = false;
	ctx->errmsg[0] = 0;
	ctl_json_reset(&ctx->js);
	if (cmd->needs_host) {
		snprintf(ctx->label, sizeof ctx->label, "%s:%u", ctx->host, ctx->port);
		if (ctl_tx_open(ctx, &eb) != TH_OK) {
			ctl_fail(ctx, TH_ENODEV, "%s", eb.msg);
			ret = CTL_EXIT_UNREACHABLE;
			goto out;
		}
	}
	ret = cmd->main(argc, argv, ctx);
	ctl_tx_close(ctx);
out:
	if (ctx->json)   /* -q does not silence --json: one object per host, always */
		ctl_json_emit(ctx, ret);
	return ret;
}

static void *worker(void *arg)
{
	struct fleet *f = arg;
	for (;;) {
		pthread_mutex_lock(&f->lock);
		size_t i = f->next++;
		pthread_mutex_unlock(&f->lock);
		if (i >= f->n)
			return NULL;
		struct job *j = &f->jobs[i];
		FILE *out = sink_open(&j->out, j, false), *err = sink_open(&j->err, j, true);
		if (!out || !err) {
			j->exit = CTL_EXIT_LOCAL;
			j->ctx.status = TH_ENOMEM;
			snprintf(j->ctx.errmsg, sizeof j->ctx.errmsg, "out of memory");
		} else {
			j->ctx.out = out;
			j->ctx.err = err;
			j->exit = run_one(f->cmd, f->argc, f->argv, &j->ctx);
			fflush(out);
			fflush(err);
		}
		pthread_mutex_lock(&f->lock);
		if (f->headers && !j->ctx.json && !f->cmd->streams && j->out.len) {
			fflush(stderr);
			printf("==> %s <==\n", j->ctx.label);
		}
		if (f->cmd->streams) {
			sink_emit(&j->out, true);
			sink_emit(&j->err, true);
		} else {
			if (ctl_term_write(j->out.buf ? j->out.buf : "", j->out.len, stdout) != TH_OK)
				fputs("theseusctl: out of memory\n", stderr);
			fflush(stdout);
			if (ctl_term_write(j->err.buf ? j->err.buf : "", j->err.len, stderr) != TH_OK)
				fputs("theseusctl: out of memory\n", stderr);
			fflush(stderr);
		}
		pthread_mutex_unlock(&f->lock);
		if (out)
			fclose(out);
		if (err)
			fclose(err);
		free(j->out.buf);
		free(j->err.buf);
		ctl_json_free(&j->ctx.js);
	}
}

static void summary(struct fleet *f, int *ret)
{
	size_t failed = 0;
	*ret = CTL_EXIT_OK;
	for (size_t i = 0; i < f->n; i++)
		if (f->jobs[i].exit != CTL_EXIT_OK) {
			if (!failed)
				*ret = f->jobs[i].exit;
			failed++;
		}
	if (!failed && (f->base->quiet || f->base->json))
		return;
	fprintf(stderr, "theseusctl: %s: %zu of %zu hosts succeeded", f->cmd->name,
		f->n - failed, f->n);
	size_t listed = 0;
	for (size_t i = 0; i < f->n && listed < 16; i++) {
		struct job *j = &f->jobs[i];
		if (j->exit == CTL_EXIT_OK)
			continue;
		fprintf(stderr, "%s %s (%s)", listed ? "," : "; failed:", j->ctx.label,
			ctl_status_name(j->ctx.status, j->exit));
		listed++;
	}
	fprintf(stderr, "%s\n", failed > listed ? ", ..." : "");
}

struct fleet_map {
	struct ctl_ctx *base;
	const size_t *idx;
	size_t n, next;
	pthread_mutex_t lock;
	void (*fn)(struct ctl_ctx *ctx, size_t k, void *arg);
	void *arg;
};

static void *map_worker(void *arg)
{
	struct fleet_map *m = arg;
	for (;;) {
		pthread_mutex_lock(&m->lock);
		size_t k = m->next++;
		pthread_mutex_unlock(&m->lock);
		if (k >= m->n)
			return NULL;
		const struct ctl_target *t = &m->base->targets[m->idx[k]];
		struct ctl_ctx ctx = *m->base;
		struct th_errbuf eb = { "" };
		ctx.targets = NULL;
		ctx.n_targets = 0;
		ctx.fd = -1;
		ctx.fleet = true;
		ctx.json = true;
		ctx.status = 0;
		ctx.status_remote = false;
		ctx.errmsg[0] = 0;
		memset(&ctx.js, 0, sizeof ctx.js);
		snprintf(ctx.host, sizeof ctx.host, "%s", t->host);
		ctx.port = t->port;
		snprintf(ctx.label, sizeof ctx.label, "%s:%u", ctx.host, ctx.port);
		if (ctl_tx_open(&ctx, &eb) != TH_OK) {
			ctx.status = TH_ENODEV;
			snprintf(ctx.errmsg, sizeof ctx.errmsg, "%s", eb.msg);
		}
		m->fn(&ctx, m->idx[k], m->arg);
		ctl_tx_close(&ctx);
		ctl_json_free(&ctx.js);
	}
}

void ctl_fleet_map(struct ctl_ctx *base, const size_t *idx, size_t n,
		   void (*fn)(struct ctl_ctx *ctx, size_t k, void *arg), void *arg)
{
	struct fleet_map m = { .base = base, .idx = idx, .n = n, .fn = fn, .arg = arg };
	pthread_t th[256];
	size_t nthreads = base->jobs < 1 ? 1 : (size_t)base->jobs, started = 0;
	if (nthreads > n)
		nthreads = n;
	if (nthreads > sizeof th / sizeof th[0])
		nthreads = sizeof th / sizeof th[0];
	pthread_mutex_init(&m.lock, NULL);
	for (; started < nthreads; started++)
		if (pthread_create(&th[started], NULL, map_worker, &m) != 0)
			break;
	if (started == 0)
		map_worker(&m);   /* no threads: one by one here */
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&m.lock);
}

static int fleet_run(const struct ctl_cmd *cmd, int argc, char **argv, struct ctl_ctx *base)
{
	if (cmd->drives_fleet) {
		/* It prints its own per-host lines; a failure before any host was
		 * asked (usage, a local file) still gets one JSON object. */
		base->command = cmd->name;
		base->status = 0;
		base->status_remote = false;
		base->errmsg[0] = 0;
		snprintf(base->label, sizeof base->label, "local");
		int ret = cmd->main(argc, argv, base);
		if (base->json && ret != CTL_EXIT_OK && ret != CTL_EXIT_REMOTE)
			ctl_json_emit(base, ret);
		ctl_json_free(&base->js);
		return ret;
	}
	if (!cmd->needs_host) {
		snprintf(base->label, sizeof base->label, "local");
		return run_one(cmd, argc, argv, base);
	}
	if (base->n_targets <= 1) {
		if (base->n_targets == 1) {
			snprintf(base->host, sizeof base->host, "%s", base->targets[0].host);
			base->port = base->targets[0].port;
		}
		int ret = run_one(cmd, argc, argv, base);
		ctl_json_free(&base->js);
		return ret;
	}
	struct fleet f = { .cmd = cmd, .argc = argc, .argv = argv, .base = base,
			   .n = base->n_targets, .headers = true };
	pthread_mutex_init(&f.lock, NULL);
	f.jobs = calloc(f.n, sizeof *f.jobs);
	size_t nthreads = base->jobs < 1 ? 1 : (size_t)base->jobs;
	if (nthreads > f.n)
		nthreads = f.n;
	pthread_t *th = calloc(nthreads, sizeof *th);
	if (!f.jobs || !th) {
		free(f.jobs);
		free(th);
		fprintf(stderr, "theseusctl: out of memory\n");
		return CTL_EXIT_LOCAL;
	}
	for (size_t i = 0; i < f.n; i++) {
		struct job *j = &f.jobs[i];
		j->f = &f;
		j->ctx = *base;
		j->ctx.targets = NULL;
		j->ctx.n_targets = 0;
		j->ctx.fd = -1;
		j->ctx.fleet = true;
		j->ctx.out_raw = NULL;
		j->ctx.err_raw = NULL;
		memset(&j->ctx.js, 0, sizeof j->ctx.js);
		snprintf(j->ctx.host, sizeof j->ctx.host, "%s", base->targets[i].host);
		j->ctx.port = base->targets[i].port;
		snprintf(j->ctx.label, sizeof j->ctx.label, "%s:%u", j->ctx.host, j->ctx.port);
	}
	size_t started = 0;
	for (; started < nthreads; started++)
		if (pthread_create(&th[started], NULL, worker, &f) != 0)
			break;
	if (started == 0)
		worker(&f);  /* no threads at all: serve them one by one here */
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	int ret;
	summary(&f, &ret);
	pthread_mutex_destroy(&f.lock);
	free(th);
	free(f.jobs);
	return ret;
}

/* Runs the command with its output escaped for a terminal (ctl/term_text.c):
 * what one host or a local command prints goes through ctl_term_open, each
 * host of a fleet is escaped as it is printed (worker, sink_emit). */
int ctl_fleet_run(const struct ctl_cmd *cmd, int argc, char **argv, struct ctl_ctx *base)
{
	FILE *out = base->out, *err = base->err;
	FILE *eout = ctl_term_open(out), *eerr = ctl_term_open(err);
	if (!eout || !eerr) {
		if (eout)
			fclose(eout);
		if (eerr)
			fclose(eerr);
		fprintf(stderr, "theseusctl: out of memory\n");
		return CTL_EXIT_LOCAL;
	}
	base->out = eout;
	base->err = eerr;
	base->out_raw = out;
	base->err_raw = err;
	int ret = fleet_run(cmd, argc, argv, base);
	fclose(eout);
	fclose(eerr);
	base->out = out;
	base->err = err;
	base->out_raw = NULL;
	base->err_raw = NULL;
	return ret;
}

int ctl_usage_fail(struct ctl_ctx *ctx, const char *usage)
{
	ctx->status = 0;
	ctx->status_remote = false;
	snprintf(ctx->errmsg, sizeof ctx->errmsg, "usage: theseusctl %s", usage);
	if (!ctx->json)
		fprintf(ctx->err, "usage: theseusctl %s\n", usage);
	return CTL_EXIT_USAGE;
}

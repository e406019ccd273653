/*
 * options.c - theseusctl's global options, environment defaults, host:port
 * and key-file parsing, and the mapping of error codes to exit codes.
 * Pure functions of their inputs (unit-tested in tests/unit/ctl_args.c).
 */
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "klibc.h"
#include "ctl.h"

void ctl_ctx_init(struct ctl_ctx *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	snprintf(ctx->host, sizeof ctx->host, "127.0.0.1");
	ctx->port = PROTO_DEFAULT_PORT;
	ctx->timeout_ms = CTL_DEFAULT_TIMEOUT_MS;
	ctx->retries = CTL_DEFAULT_RETRIES;
	ctx->fd = -1;
	ctx->jobs = CTL_DEFAULT_JOBS;
	ctx->out = stdout;
	ctx->err = stderr;
	/* A bad THESEUS_HOST / THESEUS_PORT is a usage error once it would be
	 * used (ctl_parse_global): no -H/--hosts, no --port. */
	const char *h = getenv("THESEUS_HOST");
	int err;
	if (h && *h && (err = ctl_parse_hostport(h, ctx->host, sizeof ctx->host, &ctx->port)))
		snprintf(ctx->env_host_err, sizeof ctx->env_host_err, "bad THESEUS_HOST=%.200s: %s",
			 h, ctl_hostport_why(err));
	const char *p = getenv("THESEUS_PORT");
	if (p && *p) {
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (!errno && !*end && v > 0 && v < 65536)
			ctx->port = (uint16_t)v;
		else
			snprintf(ctx->env_port_err, sizeof ctx->env_port_err,
				 "bad THESEUS_PORT=%.200s: %s", p, ctl_hostport_why(TH_ERANGE));
	}
	const char *t = getenv("THESEUSCTL_TRACE");
	ctx->trace = t && *t && strcmp(t, "0") != 0;
	const char *k = getenv("THESEUS_KEY_FILE");
	if (k && *k)
		snprintf(ctx->key_file, sizeof ctx->key_file, "%s", k);
}

const char *ctl_hostport_why(int err)
{
	switch (err) {
	case TH_ENOTSUP:
		return "IPv6 addresses are not supported: give an IPv4 address or a host name";
	case TH_ERANGE:
		return "the port must be a number, 1-65535";
	case TH_EFULL:
		return "more hosts than theseusctl takes (4096)";
	default:
		return "want host or host:port (one ':', no blanks)";
	}
}

/* An IPv6 literal, bare or in brackets ("::1", "[::1]:7700"). */
static bool looks_ipv6(const char *s)
{
	if (s[0] == '[')
		return true;
	const char *c = strchr(s, ':');
	if (!c || !strchr(c + 1, ':'))
		return false;   /* at most one ':': host:port */
	struct in6_addr a;
	char buf[64];   /* the longest address (45) and ":65535" fit */
	if (strlen(s) >= sizeof buf)
		return false;
	snprintf(buf, sizeof buf, "%s", s);
	if (inet_pton(AF_INET6, buf, &a) == 1)
		return true;
	char *last = strrchr(buf, ':');   /* "fe80::1:7700": address, then port? */
	*last = 0;
	return inet_pton(AF_INET6, buf, &a) == 1;
}

int ctl_parse_hostport(const char *s, char *host, size_t host_cap, uint16_t *port)
{
	if (looks_ipv6(s))
		return TH_ENOTSUP;
	const char *colon = strchr(s, ':');
	size_t hl = colon ? (size_t)(colon - s) : strlen(s);
	if (hl == 0 || hl >= host_cap)
		return TH_EINVAL;
	for (size_t i = 0; i < hl; i++)
		if (s[i] == ' ' || s[i] == '\t' || s[i] == ',')
			return TH_EINVAL;
	if (colon) {
		char *end;
		errno = 0;
		long v = strtol(colon + 1, &end, 10);
		if (strchr(colon + 1, ':'))
			return TH_EINVAL;   /* "host:P:5" */
		if (errno || end == colon + 1 || *end || v <= 0 || v > 65535 || colon[1] == '-' ||
		    colon[1] == '+' || colon[1] == ' ')
			return TH_ERANGE;
		*port = (uint16_t)v;
	}
	memcpy(host, s, hl);
	host[hl] = 0;
	return TH_OK;
}

int ctl_targets_add(struct ctl_ctx *ctx, const char *spec)
{
	const char *p = spec;
	if (!*p)
		return TH_EINVAL;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char one[300];
		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof one)
			return TH_EINVAL;
		memcpy(one, p, n);
		one[n] = 0;
		if (ctx->n_targets >= CTL_MAX_HOSTS)
			return TH_EFULL;
		struct ctl_target t = { .port = 0 };
		if (strchr(one, ':')) {
			int err = ctl_parse_hostport(one, t.host, sizeof t.host, &t.port);
			if (err)
				return err;
			t.port_given = true;
		} else {
			int err = ctl_parse_hostport(one, t.host, sizeof t.host, &t.port);
			if (err)
				return err;
		}
		struct ctl_target *nt = realloc(ctx->targets, (ctx->n_targets + 1) * sizeof *nt);
		if (!nt)
			return TH_ENOMEM;
		ctx->targets = nt;
		ctx->targets[ctx->n_targets++] = t;
		p += (end ? (size_t)(end - p) + 1 : strlen(p));
		if (end && !*p)
			return TH_EINVAL;  /* trailing comma */
	}
	return TH_OK;
}

int ctl_targets_parse(struct ctl_ctx *ctx, const char *name, const char *text, size_t len,
		      struct th_errbuf *eb)
{
	size_t before = ctx->n_targets, at = 0;
	int lineno = 0;
	while (at < len) {
		const char *b = text + at;
		const char *nl = memchr(b, '\n', len - at);
		size_t ll = nl ? (size_t)(nl - b) : len - at;
		at += ll + (nl ? 1 : 0);
		lineno++;
		if (memchr(b, 0, ll))
			return th_errf(eb, TH_EINVAL, "hosts file %s:%d: NUL byte", name, lineno);
		const char *e = memchr(b, '#', ll);   /* a comment, of any length */
		if (!e)
			e = b + ll;
		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (b == e)
			continue;
		if ((size_t)(e - b) > CTL_HOSTS_LINE_MAX)
			return th_errf(eb, TH_EINVAL, "hosts file %s:%d: a host of more than %d bytes",
				       name, lineno, CTL_HOSTS_LINE_MAX);
		char line[CTL_HOSTS_LINE_MAX + 1];
		memcpy(line, b, (size_t)(e - b));
		line[e - b] = 0;
		int aerr = strchr(line, ',') ? TH_EINVAL : ctl_targets_add(ctx, line);
		if (aerr)
			return th_errf(eb, aerr == TH_EFULL ? TH_EFULL : TH_EINVAL,
				       "hosts file %s:%d: bad host '%s': %s%s", name, lineno, line,
				       ctl_hostport_why(aerr), aerr == TH_EINVAL ? ", one per line" : "");
	}
	if (ctx->n_targets == before)
		return th_errf(eb, TH_EINVAL, "--hosts %s lists no hosts", name);
	return TH_OK;
}

int ctl_targets_load(struct ctl_ctx *ctx, const char *path, struct th_errbuf *eb)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return th_errf(eb, TH_ENOENT, "hosts file %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return th_errf(eb, TH_EINVAL, "hosts file %s: is a directory", path);
	}
	size_t cap = CTL_HOSTS_FILE_MAX + 1;
	char *buf = malloc(cap);
	if (!buf) {
		fclose(f);
		return th_errf(eb, TH_ENOMEM, "hosts file %s: out of memory", path);
	}
	size_t n = fread(buf, 1, cap, f);
	int rerr = ferror(f);
	fclose(f);
	int err;
	if (rerr)
		err = th_errf(eb, TH_ENOENT, "hosts file %s: read error", path);
	else if (n == cap)
		err = th_errf(eb, TH_EINVAL, "hosts file %s: larger than %zu bytes", path, cap - 1);
	else
		err = ctl_targets_parse(ctx, path, buf, n, eb);
	free(buf);
	return err;
}

void ctl_targets_free(struct ctl_ctx *ctx)
{
	free(ctx->targets);
	ctx->targets = NULL;
	ctx->n_targets = 0;
}

int ctl_key_load(const char *path, uint8_t key[PROTO_KEY_LEN], struct th_errbuf *eb, FILE *warn)
{
	char buf[256];
	FILE *f = fopen(path, "r");
	if (!f)
		return th_errf(eb, TH_ENOENT, "key file %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return th_errf(eb, TH_EINVAL, "key file %s: is a directory", path);
	}
	/* Like ssh, but a warning: keygen makes 0600 files. */
	if (warn && S_ISREG(st.st_mode) && (st.st_mode & 077))
		fprintf(warn, "theseusctl: warning: key file %s can be read by %s (mode %04o): "
			"chmod 600 %s\n", path, (st.st_mode & 007) ? "others" : "its group",
			(unsigned)(st.st_mode & 07777), path);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	int rerr = ferror(f), rd_errno = errno;
	fclose(f);
	if (rerr)
		return th_errf(eb, TH_EIO, "key file %s: read error: %s", path, strerror(rd_errno));
	buf[n] = 0;
	if (proto_key_parse(buf, key, NULL) != TH_OK)
		return th_errf(eb, TH_EINVAL,
			       "key file %s: must hold exactly 64 hex digits (make one with "
			       "`theseusctl keygen FILE`)", path);
	return TH_OK;
}

int ctl_exit_for(int err)
{
	switch (err) {
	case TH_OK:
		return CTL_EXIT_OK;
	case TH_ETIMEDOUT:
	case TH_ENODEV:
		return CTL_EXIT_UNREACHABLE;
	case TH_EAUTH:
		return CTL_EXIT_AUTH;
	default:
		return CTL_EXIT_REMOTE;
	}
}

int ctl_exit_status(const struct ctl_ctx *ctx, int err)
{
	if (err && ctx->status_remote && err == ctx->status && err != TH_EAUTH)
		return CTL_EXIT_REMOTE;
	return ctl_exit_for(err);
}

enum { OPT_KEY_FILE = 256, OPT_TIMEOUT, OPT_RETRIES, OPT_PORT, OPT_HOSTS, OPT_JSON, OPT_MAC,
	OPT_NO_SESSION_CACHE };

int ctl_parse_mac(const char *s, enum ctl_mac_mode *out)
{
	if (strcmp(s, "auto") == 0)
		*out = CTL_MAC_AUTO;
	else if (strcmp(s, "hmac") == 0)
		*out = CTL_MAC_HMAC;
	else if (strcmp(s, "poly1305") == 0)
		*out = CTL_MAC_POLY;
	else
		return TH_EINVAL;
	return TH_OK;
}

/* A bad command line: recorded for --json (ctx->errmsg) and said on ctx->err. */
static void opt_fail(struct ctl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
	va_end(ap);
	fprintf(ctx->err, "theseusctl: %s\n", ctx->errmsg);
}

int ctl_parse_global(struct ctl_ctx *ctx, int argc, char **argv, int *cmd_at)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "key-file", required_argument, NULL, OPT_KEY_FILE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "hosts", required_argument, NULL, OPT_HOSTS },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "mac", required_argument, NULL, OPT_MAC },
		{ "no-session-cache", no_argument, NULL, OPT_NO_SESSION_CACHE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	optind = 0;   /* glibc: start over, also inside a cluster (-qX) a previous call left */
	opterr = 0;
	*cmd_at = argc;
	for (;;) {
		/* '+': stop at the first non-option, the subcommand. */
		int c = getopt_long(argc, argv, "+H:j:qh", opts, NULL);
		if (c == -1)
			break;
		char *end;
		long v;
		switch (c) {
		case 'H':
		{
			int err = ctl_targets_add(ctx, optarg);
			if (err) {
				opt_fail(ctx, "bad -H %s: %s%s", optarg, ctl_hostport_why(err),
					 err == TH_EINVAL ? ", or a comma-separated list of them" : "");
				return CTL_EXIT_USAGE;
			}
			break;
		}
		case OPT_HOSTS: {
			struct th_errbuf eb = { "" };
			snprintf(ctx->hosts_file, sizeof ctx->hosts_file, "%s", optarg);
			int err = ctl_targets_load(ctx, optarg, &eb);
			if (err) {
				/* unreadable: a local error; bad or empty: usage */
				opt_fail(ctx, "%s", eb.msg);
				return err == TH_ENOENT ? CTL_EXIT_LOCAL : CTL_EXIT_USAGE;
			}
			break;
		}
		case 'j':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 1024) {
				opt_fail(ctx, "bad -j %s: hosts at once, 1-1024", optarg);
				return CTL_EXIT_USAGE;
			}
			ctx->jobs = (int)v;
			break;
		case OPT_JSON:
			ctx->json = true;
			break;
		case OPT_NO_SESSION_CACHE:
			ctx->no_session_cache = true;
			break;
		case OPT_MAC:
			if (ctl_parse_mac(optarg, &ctx->mac_mode) != TH_OK) {
				opt_fail(ctx, "bad --mac %s: want auto, hmac or "
					"poly1305", optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		case OPT_PORT:
			v = strtol(optarg, &end, 10);
			if (*end || v <= 0 || v > 65535) {
				opt_fail(ctx, "bad --port %s", optarg);
				return CTL_EXIT_USAGE;
			}
			ctx->port = (uint16_t)v;
			ctx->env_port_err[0] = 0;   /* --port overrides THESEUS_PORT */
			break;
		case OPT_KEY_FILE:
			if (!*optarg) {
				opt_fail(ctx, "--key-file \"\": want a FILE (leave the option out "
					 "for no key)");
				return CTL_EXIT_USAGE;
			}
			snprintf(ctx->key_file, sizeof ctx->key_file, "%s", optarg);
			break;
		case OPT_TIMEOUT:
			v = strtol(optarg, &end, 10);
			if (*end || v < 10 || v > 600000) {
				opt_fail(ctx, "bad --timeout %s: milliseconds, "
					"10-600000", optarg);
				return CTL_EXIT_USAGE;
			}
			ctx->timeout_ms = (int)v;
			break;
		case OPT_RETRIES:
			v = strtol(optarg, &end, 10);
			if (*end || v < 0 || v > 100) {
				opt_fail(ctx, "bad --retries %s: 0-100", optarg);
				return CTL_EXIT_USAGE;
			}
			ctx->retries = (int)v;
			break;
		case 'q':
			ctx->quiet = true;
			break;
		case 'h':
			*cmd_at = -1;  /* help requested */
			return CTL_EXIT_OK;
		default:
			opt_fail(ctx, "unknown or incomplete option %s",
				argv[optind - 1]);
			return CTL_EXIT_USAGE;
		}
	}
	*cmd_at = optind;
	if (ctx->env_port_err[0]) {
		opt_fail(ctx, "%s", ctx->env_port_err);
		return CTL_EXIT_USAGE;
	}
	if (ctx->n_targets == 0 && ctx->env_host_err[0]) {
		opt_fail(ctx, "%s", ctx->env_host_err);
		return CTL_EXIT_USAGE;
	}
	/* No -H / --hosts: the one default host.  Hosts without a port get
	 * --port (or THESEUS_PORT, or 7700), whatever the option order. */
	if (ctx->n_targets == 0) {
		struct ctl_target *t = calloc(1, sizeof *t);
		if (!t) {
			opt_fail(ctx, "out of memory");
			return CTL_EXIT_LOCAL;
		}
		snprintf(t->host, sizeof t->host, "%s", ctx->host);
		t->port = ctx->port;
		t->port_given = true;
		ctx->targets = t;
		ctx->n_targets = 1;
	}
	for (size_t i = 0; i < ctx->n_targets; i++)
		if (!ctx->targets[i].port_given)
			ctx->targets[i].port = ctx->port;
	snprintf(ctx->host, sizeof ctx->host, "%s", ctx->targets[0].host);
	ctx->port = ctx->targets[0].port;
	return CTL_EXIT_OK;
}

/*
 * ctl_args.c - host unit tests of theseusctl's argument handling: global
 * options, host:port, key files, exit-code mapping, the command table.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "klibc.h"
#include "ctl.h"

static FILE *devnull;

static struct ctl_target *last_targets;  /* freed by the next parse */

static int parse(struct ctl_ctx *ctx, int argc, char **argv, int *at)
{
	free(last_targets);
	ctl_ctx_init(ctx);
	ctx->err = devnull;
	int ret = ctl_parse_global(ctx, argc, argv, at);
	last_targets = ctx->targets;
	return ret;
}

static void test_defaults_env(void)
{
	struct ctl_ctx ctx;
	unsetenv("THESEUS_HOST");
	unsetenv("THESEUS_PORT");
	unsetenv("THESEUS_KEY_FILE");
	ctl_ctx_init(&ctx);
	CHECK_STR(ctx.host, "127.0.0.1");
	CHECK_EQ(ctx.port, 7700);
	CHECK_EQ(ctx.timeout_ms, CTL_DEFAULT_TIMEOUT_MS);
	setenv("THESEUS_HOST", "lab1:9000", 1);
	setenv("THESEUS_KEY_FILE", "/k", 1);
	ctl_ctx_init(&ctx);
	CHECK_STR(ctx.host, "lab1");
	CHECK_EQ(ctx.port, 9000);
	CHECK_STR(ctx.key_file, "/k");
	setenv("THESEUS_PORT", "7711", 1);
	ctl_ctx_init(&ctx);
	CHECK_EQ(ctx.port, 7711);
	unsetenv("THESEUS_HOST");
	unsetenv("THESEUS_PORT");
	unsetenv("THESEUS_KEY_FILE");
}

static void test_global_options(void)
{
	struct ctl_ctx ctx;
	int at;
	char *a1[] = { "theseusctl", "-H", "10.0.0.5:7800", "--key-file", "k.hex", "--timeout",
		       "250", "--retries", "3", "-q", "swap", "-x", "hello", "f.o", NULL };
	CHECK_EQ(parse(&ctx, 14, a1, &at), CTL_EXIT_OK);
	CHECK_EQ(at, 10);
	CHECK_STR(ctx.host, "10.0.0.5");
	CHECK_EQ(ctx.port, 7800);
	CHECK_STR(ctx.key_file, "k.hex");
	CHECK_EQ(ctx.timeout_ms, 250);
	CHECK_EQ(ctx.retries, 3);
	CHECK(ctx.quiet);
	char *a2[] = { "theseusctl", "-H", "host:0", "ping", NULL };
	CHECK_EQ(parse(&ctx, 4, a2, &at), CTL_EXIT_USAGE);
	char *a3[] = { "theseusctl", "--timeout", "abc", "ping", NULL };
	CHECK_EQ(parse(&ctx, 4, a3, &at), CTL_EXIT_USAGE);
	char *a4[] = { "theseusctl", "--bogus", "ping", NULL };
	CHECK_EQ(parse(&ctx, 3, a4, &at), CTL_EXIT_USAGE);
	char *a5[] = { "theseusctl", "--help", NULL };
	CHECK_EQ(parse(&ctx, 2, a5, &at), CTL_EXIT_OK);
	CHECK_EQ(at, -1);
	char *a6[] = { "theseusctl", NULL };
	CHECK_EQ(parse(&ctx, 1, a6, &at), CTL_EXIT_OK);
	CHECK_EQ(at, 1);
	char *a7[] = { "theseusctl", "-H", NULL };
	CHECK_EQ(parse(&ctx, 2, a7, &at), CTL_EXIT_USAGE);
	char *a8[] = { "theseusctl", "--port", "70000", "ls", NULL };
	CHECK_EQ(parse(&ctx, 4, a8, &at), CTL_EXIT_USAGE);
}

static void test_mac_option(void)
{
	struct ctl_ctx ctx;
	int at;
	char *a1[] = { "theseusctl", "--mac", "hmac", "push", "f.o", NULL };
	CHECK_EQ(parse(&ctx, 5, a1, &at), CTL_EXIT_OK);
	CHECK_EQ(ctx.mac_mode, CTL_MAC_HMAC);
	CHECK_EQ(at, 3);
	char *a2[] = { "theseusctl", "--mac", "poly1305", "ping", NULL };
	CHECK_EQ(parse(&ctx, 4, a2, &at), CTL_EXIT_OK);
	CHECK_EQ(ctx.mac_mode, CTL_MAC_POLY);
	char *a3[] = { "theseusctl", "--mac", "auto", "ping", NULL };
	CHECK_EQ(parse(&ctx, 4, a3, &at), CTL_EXIT_OK);
	CHECK_EQ(ctx.mac_mode, CTL_MAC_AUTO);
	char *a4[] = { "theseusctl", "ping", NULL };
	CHECK_EQ(parse(&ctx, 2, a4, &at), CTL_EXIT_OK);
	CHECK_EQ(ctx.mac_mode, CTL_MAC_AUTO);
	char *a5[] = { "theseusctl", "--mac", "sha1", "ping", NULL };
	CHECK_EQ(parse(&ctx, 4, a5, &at), CTL_EXIT_USAGE);
	char *a6[] = { "theseusctl", "--mac", NULL };
	CHECK_EQ(parse(&ctx, 2, a6, &at), CTL_EXIT_USAGE);
	/* which kind goes out: none without a key; else per --mac and the kernel */
	ctl_ctx_init(&ctx);
	CHECK_EQ(ctl_mac_kind(&ctx), PROTO_MAC_KIND_HMAC);
	ctx.mac_mode = CTL_MAC_POLY;
	CHECK_EQ(ctl_mac_kind(&ctx), PROTO_MAC_KIND_HMAC);
	ctx.have_key = true;
	CHECK_EQ(ctl_mac_kind(&ctx), PROTO_MAC_KIND_POLY);
	ctx.mac_mode = CTL_MAC_AUTO;
	CHECK_EQ(ctl_mac_kind(&ctx), PROTO_MAC_KIND_HMAC);
	ctx.mac_kinds = PROTO_MAC_KINDS;
	CHECK_EQ(ctl_mac_kind(&ctx), PROTO_MAC_KIND_POLY);
	ctx.mac_mode = CTL_MAC_HMAC;
	CHECK_EQ(ctl_mac_kind(&ctx), PROTO_MAC_KIND_HMAC);
}

static void test_session_cache_option(void)
{
	struct ctl_ctx ctx;
	int at;
	char *a1[] = { "theseusctl", "--no-session-cache", "ping", NULL };
	CHECK_EQ(parse(&ctx, 3, a1, &at), CTL_EXIT_OK);
	CHECK(ctx.no_session_cache);
	CHECK_EQ(at, 2);
	char *a2[] = { "theseusctl", "ping", NULL };
	CHECK_EQ(parse(&ctx, 2, a2, &at), CTL_EXIT_OK);
	CHECK(!ctx.no_session_cache);
	CHECK(ctx.sc == NULL);   /* opened by main() only, for keyed commands */
	char *a3[] = { "theseusctl", "--no-session-cache=yes", "ping", NULL };
	CHECK_EQ(parse(&ctx, 3, a3, &at), CTL_EXIT_USAGE);
}

static void test_hostport(void)
{
	char h[16];
	uint16_t p = 1;
	CHECK_EQ(ctl_parse_hostport("a.b", h, sizeof h, &p), TH_OK);
	CHECK_STR(h, "a.b");
	CHECK_EQ(p, 1);
	CHECK_EQ(ctl_parse_hostport("a.b:65535", h, sizeof h, &p), TH_OK);
	CHECK_EQ(p, 65535);
	CHECK_EQ(ctl_parse_hostport(":80", h, sizeof h, &p), TH_EINVAL);
	CHECK_EQ(ctl_parse_hostport("x:", h, sizeof h, &p), TH_ERANGE);
	CHECK_EQ(ctl_parse_hostport("x:65536", h, sizeof h, &p), TH_ERANGE);
	CHECK_EQ(ctl_parse_hostport("x:12a", h, sizeof h, &p), TH_ERANGE);
	CHECK_EQ(ctl_parse_hostport("a-very-long-host-name", h, sizeof h, &p), TH_EINVAL);
	/* one ':' at most, no blanks; IPv6 said to be unsupported */
	CHECK_EQ(ctl_parse_hostport("1.2.3.4:P:5", h, sizeof h, &p), TH_EINVAL);
	CHECK_EQ(ctl_parse_hostport("a:1 b:2", h, sizeof h, &p), TH_EINVAL);
	CHECK_EQ(ctl_parse_hostport("a b", h, sizeof h, &p), TH_EINVAL);
	CHECK_EQ(ctl_parse_hostport("x:-5", h, sizeof h, &p), TH_ERANGE);
	CHECK_EQ(ctl_parse_hostport("[::1]", h, sizeof h, &p), TH_ENOTSUP);
	CHECK_EQ(ctl_parse_hostport("[::1]:7700", h, sizeof h, &p), TH_ENOTSUP);
	CHECK_EQ(ctl_parse_hostport("::1", h, sizeof h, &p), TH_ENOTSUP);
	CHECK_EQ(ctl_parse_hostport("fe80::1:7700", h, sizeof h, &p), TH_ENOTSUP);
	CHECK_EQ(ctl_parse_hostport("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255:65535", h,
				    sizeof h, &p), TH_ENOTSUP);   /* the longest, with a port */
	/* Two ':' past the first 63 bytes: refused, not a crash (it was). */
	char longer[90];
	memset(longer, 'x', 70);
	memcpy(longer + 70, "::1", 4);
	CHECK_EQ(ctl_parse_hostport(longer, h, sizeof h, &p), TH_EINVAL);
	CHECK(strstr(ctl_hostport_why(TH_ENOTSUP), "IPv6 addresses are not supported") != NULL);
}

/* THESEUS_HOST / THESEUS_PORT are checked like -H / --port: a bad one is a
 * usage error when it would be used. */
static void test_env_errors(void)
{
	struct ctl_ctx ctx;
	int at;
	char *a1[] = { "theseusctl", "ping", NULL };
	char *a2[] = { "theseusctl", "-H", "x:1", "ping", NULL };
	char *a3[] = { "theseusctl", "--port", "9", "ping", NULL };
	setenv("THESEUS_HOST", "127.0.0.1:abc", 1);
	CHECK_EQ(parse(&ctx, 2, a1, &at), CTL_EXIT_USAGE);
	CHECK(strstr(ctx.errmsg, "bad THESEUS_HOST=127.0.0.1:abc") != NULL);
	CHECK_EQ(parse(&ctx, 4, a2, &at), CTL_EXIT_OK);   /* not used */
	setenv("THESEUS_HOST", "[::1]:7700", 1);
	CHECK_EQ(parse(&ctx, 2, a1, &at), CTL_EXIT_USAGE);
	CHECK(strstr(ctx.errmsg, "IPv6") != NULL);
	unsetenv("THESEUS_HOST");
	setenv("THESEUS_PORT", "abc", 1);
	CHECK_EQ(parse(&ctx, 2, a1, &at), CTL_EXIT_USAGE);
	CHECK(strstr(ctx.errmsg, "bad THESEUS_PORT=abc") != NULL);
	CHECK_EQ(parse(&ctx, 4, a3, &at), CTL_EXIT_OK);   /* --port overrides it */
	CHECK_EQ(ctx.targets[0].port, 9);
	unsetenv("THESEUS_PORT");
}

/* Duplicates: the same address and port once, the first in its place. */
static void test_dedup(void)
{
	struct ctl_ctx ctx;
	int at;
	char *a1[] = { "theseusctl", "-H", "127.0.0.1:5,127.0.0.2:5,127.0.0.1:5", "-H",
		       "127.0.0.1:6,127.0.0.2", "--port", "5", "ping", NULL };
	CHECK_EQ(parse(&ctx, 8, a1, &at), CTL_EXIT_OK);
	CHECK_EQ(ctx.n_targets, 5);
	CHECK_EQ(ctl_targets_dedup(&ctx, NULL), 2);
	CHECK_EQ(ctx.n_targets, 3);
	CHECK_STR(ctx.targets[0].host, "127.0.0.1");
	CHECK_EQ(ctx.targets[0].port, 5);
	CHECK_STR(ctx.targets[1].host, "127.0.0.2");
	CHECK_EQ(ctx.targets[2].port, 6);
	char *a2[] = { "theseusctl", "-H", "nosuch.invalid:1,NOSUCH.invalid:1,nosuch.invalid:2",
		       "ping", NULL };
	CHECK_EQ(parse(&ctx, 4, a2, &at), CTL_EXIT_OK);
	CHECK_EQ(ctl_targets_dedup(&ctx, NULL), 1);
	CHECK_EQ(ctx.n_targets, 2);
}

static void test_key(void)
{
	uint8_t k[32];
	const char *good = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F\n";
	CHECK_EQ(proto_key_parse(good, k, NULL), TH_OK);
	CHECK_EQ(k[0], 0);
	CHECK_EQ(k[31], 0x1f);
	CHECK_EQ(proto_key_parse("  00010203", k, NULL), TH_EINVAL);
	struct th_errbuf eb = { "" };
	CHECK_EQ(proto_key_parse("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fff",
				 k, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "got 66 characters") != NULL);
	CHECK_EQ(proto_key_parse("g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
				 k, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "non-hex character at position 1") != NULL);
	CHECK_EQ(proto_key_parse("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f x",
				 k, &eb), TH_EINVAL);   /* a second word */
	CHECK_EQ(k[31], 0x1f);   /* a refused key leaves the old one alone */
	char path[] = "/tmp/ctl_args_keyXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(good, f);
	fclose(f);
	CHECK_EQ(ctl_key_load(path, k, &eb, NULL), TH_OK);
	CHECK_EQ(k[16], 0x10);
	/* readable by others: loaded, with a warning; 0600: none */
	char wbuf[512] = "";
	CHECK_EQ(chmod(path, 0644), 0);
	FILE *w = fmemopen(wbuf, sizeof wbuf - 1, "w");
	CHECK_EQ(ctl_key_load(path, k, &eb, w), TH_OK);
	fclose(w);
	CHECK(strstr(wbuf, "warning: key file") && strstr(wbuf, "can be read by others (mode 0644)"));
	CHECK_EQ(chmod(path, 0640), 0);
	w = fmemopen(wbuf, sizeof wbuf - 1, "w");
	CHECK_EQ(ctl_key_load(path, k, &eb, w), TH_OK);
	fclose(w);
	CHECK(strstr(wbuf, "can be read by its group (mode 0640)") != NULL);
	CHECK_EQ(chmod(path, 0600), 0);
	wbuf[0] = 0;
	w = fmemopen(wbuf, sizeof wbuf - 1, "w");
	CHECK_EQ(ctl_key_load(path, k, &eb, w), TH_OK);
	fclose(w);
	CHECK_STR(wbuf, "");
	/* --key-file "" is an error, not "no key" */
	struct ctl_ctx ctx;
	int at;
	char *a1[] = { "theseusctl", "--key-file", "", "ping", NULL };
	CHECK_EQ(parse(&ctx, 4, a1, &at), CTL_EXIT_USAGE);
	unlink(path);
	CHECK_EQ(ctl_key_load(path, k, &eb, NULL), TH_ENOENT);
	CHECK(strstr(eb.msg, path) != NULL);
}

static void test_exit_codes_and_table(void)
{
	CHECK_EQ(ctl_exit_for(TH_OK), CTL_EXIT_OK);
	CHECK_EQ(ctl_exit_for(TH_ETIMEDOUT), CTL_EXIT_UNREACHABLE);
	CHECK_EQ(ctl_exit_for(TH_EAUTH), CTL_EXIT_AUTH);
	CHECK_EQ(ctl_exit_for(TH_ECONFLICT), CTL_EXIT_REMOTE);
	CHECK(ctl_cmd_find("ping") != NULL);
	CHECK(ctl_cmd_find("swap") != NULL);
	CHECK(ctl_cmd_find("keygen") && !ctl_cmd_find("keygen")->needs_host);
	CHECK(ctl_cmd_find("nope") == NULL);
	static char buf[16384];
	FILE *f = fmemopen(buf, sizeof buf - 1, "w");
	ctl_usage(f);
	fclose(f);
	CHECK(strstr(buf, "push FILE") != NULL);
	CHECK(strstr(buf, "exit status") != NULL);
}

static void test_fleet_options(void)
{
	struct ctl_ctx ctx;
	int at;
	char *a1[] = { "theseusctl", "-H", "a,b:9", "-H", " c ", "--port", "7000", "-j", "3",
		       "--json", "ls", NULL };
	CHECK_EQ(parse(&ctx, 11, a1, &at), CTL_EXIT_OK);
	CHECK_EQ(at, 10);
	CHECK_EQ(ctx.n_targets, 3);
	CHECK_STR(ctx.targets[0].host, "a");
	CHECK_EQ(ctx.targets[0].port, 7000);   /* --port after -H still applies */
	CHECK_STR(ctx.targets[1].host, "b");
	CHECK_EQ(ctx.targets[1].port, 9);
	CHECK_STR(ctx.targets[2].host, "c");
	CHECK_EQ(ctx.targets[2].port, 7000);
	CHECK_STR(ctx.host, "a");
	CHECK_EQ(ctx.jobs, 3);
	CHECK(ctx.json);
	char *a2[] = { "theseusctl", "-H", "a,", "ls", NULL };
	CHECK_EQ(parse(&ctx, 4, a2, &at), CTL_EXIT_USAGE);
	char *a3[] = { "theseusctl", "-H", "a,,b", "ls", NULL };
	CHECK_EQ(parse(&ctx, 4, a3, &at), CTL_EXIT_USAGE);
	char *a4[] = { "theseusctl", "-j", "0", "ls", NULL };
	CHECK_EQ(parse(&ctx, 4, a4, &at), CTL_EXIT_USAGE);
	char *a5[] = { "theseusctl", "ls", NULL };
	CHECK_EQ(parse(&ctx, 2, a5, &at), CTL_EXIT_OK);
	CHECK_EQ(ctx.n_targets, 1);          /* the default host */
	CHECK_STR(ctx.targets[0].host, "127.0.0.1");
	CHECK_EQ(ctx.jobs, CTL_DEFAULT_JOBS);
	CHECK(!ctx.json);

	char path[] = "/tmp/ctl_args_hostsXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("# lab machines\n\nlab1:7701\n  lab2   # no port: --port\n\t\nlab3:7703\r\n", f);
	fclose(f);
	char *a6[] = { "theseusctl", "-H", "first", "--hosts", path, "ping", NULL };
	CHECK_EQ(parse(&ctx, 6, a6, &at), CTL_EXIT_OK);
	CHECK_EQ(ctx.n_targets, 4);
	CHECK_STR(ctx.targets[1].host, "lab1");
	CHECK_EQ(ctx.targets[1].port, 7701);
	CHECK_STR(ctx.targets[2].host, "lab2");
	CHECK_EQ(ctx.targets[2].port, 7700);
	CHECK_EQ(ctx.targets[3].port, 7703);
	f = fopen(path, "w");
	fputs("ok:1\nbad:99999\n", f);
	fclose(f);
	struct th_errbuf eb = { "" };
	struct ctl_ctx c2;
	ctl_ctx_init(&c2);
	CHECK_EQ(ctl_targets_load(&c2, path, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, ":2: bad host 'bad:99999'") != NULL);
	ctl_targets_free(&c2);
	unlink(path);
	CHECK_EQ(ctl_targets_load(&c2, path, &eb), TH_ENOENT);
	char *a7[] = { "theseusctl", "--hosts", "/nonexistent/hosts", "ls", NULL };
	CHECK_EQ(parse(&ctx, 4, a7, &at), CTL_EXIT_LOCAL);   /* unreadable: a local error */
	/* A file with only comments lists no host: an error, not the default host. */
	f = fopen(path, "w");
	fputs("# nothing yet\n\n   # still nothing\n", f);
	fclose(f);
	char *a8[] = { "theseusctl", "--hosts", path, "ls", NULL };
	CHECK_EQ(parse(&ctx, 4, a8, &at), CTL_EXIT_USAGE);
	CHECK(strstr(ctx.errmsg, "lists no hosts") != NULL);
	/* Two hosts on one line are refused, not taken as one name. */
	f = fopen(path, "w");
	fputs("a:1 b:2\n", f);
	fclose(f);
	CHECK_EQ(parse(&ctx, 4, a8, &at), CTL_EXIT_USAGE);
	CHECK(strstr(ctx.errmsg, ":1: bad host 'a:1 b:2'") != NULL);
	/* A comment longer than a line buffer stays a comment: its tail is
	 * never read as a host (it was, past 511 bytes). */
	f = fopen(path, "w");
	fputs("lab0:7700\n#", f);
	for (int i = 0; i < 600; i++)
		fputc('x', f);
	fputs(" evil:7700\n", f);
	fclose(f);
	ctl_targets_free(&ctx);
	ctl_ctx_init(&ctx);
	CHECK_EQ(parse(&ctx, 4, a8, &at), CTL_EXIT_OK);
	CHECK_EQ(ctx.n_targets, 1);
	CHECK_STR(ctx.targets[0].host, "lab0");
	unlink(path);
	/* The text parser: NUL bytes, an over-long host, CRLF lines. */
	struct ctl_ctx c3;
	ctl_ctx_init(&c3);
	CHECK_EQ(ctl_targets_parse(&c3, "t", "a:1\r\n\0b:2\n", 10, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "t:2: NUL byte") != NULL);
	ctl_targets_free(&c3);
	char big[700];
	memset(big, 'h', sizeof big);
	CHECK_EQ(ctl_targets_parse(&c3, "t", big, sizeof big, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "t:1: a host of more than 511 bytes") != NULL);
	ctl_targets_free(&c3);
	CHECK_EQ(ctl_targets_parse(&c3, "t", "a:1\r\n  b:2 # two\r\n", 18, &eb), TH_OK);
	CHECK_EQ(c3.n_targets, 2);
	CHECK_STR(c3.targets[0].host, "a");
	CHECK_EQ(c3.targets[1].port, 2);
	ctl_targets_free(&c3);
}

static void test_command_table(void)
{
	static const char *const all[] = { "ping", "info", "ls", "push", "swap", "rollback",
					   "history", "state", "log", "invoke", "graph", "tasks",
					   "lint", "keygen" };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		const struct ctl_cmd *c = ctl_cmd_find(all[i]);
		CHECK(c != NULL);
		if (c)
			CHECK_EQ(c->needs_host, strcmp(all[i], "lint") && strcmp(all[i], "keygen"));
	}
	CHECK(ctl_cmd_find("log")->streams);
	CHECK(!ctl_cmd_find("ls")->streams);
	static char buf[16384];
	FILE *f = fmemopen(buf, sizeof buf - 1, "w");
	ctl_usage(f);
	fclose(f);
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		char want[32];
		snprintf(want, sizeof want, "\n  %s ", all[i]);
		CHECK(strstr(buf, want) != NULL);
	}
	CHECK(strstr(buf, "--json") != NULL);
	CHECK(strstr(buf, "--hosts FILE") != NULL);
	/* --timeout as the man page has it; JSON order said */
	CHECK(strstr(buf, "the longest retransmission timeout") != NULL);
	CHECK(strstr(buf, "order hosts finish") != NULL);
	/* every command's own --help: usage line, options listed */
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		const struct ctl_cmd *c = ctl_cmd_find(all[i]);
		CHECK(c && c->options != NULL);
	}
	f = fmemopen(buf, sizeof buf - 1, "w");
	ctl_cmd_usage(ctl_cmd_find("log"), f);
	fclose(f);
	CHECK(strncmp(buf, "usage: theseusctl [options] log [-f] [--from POS] [--interval MS]\n", 66) == 0);
	CHECK(strstr(buf, "--interval MS") && strstr(buf, "\"--\" ends the options"));
}

int main(void)
{
	devnull = fopen("/dev/null", "w");
	RUN(test_defaults_env);
	RUN(test_global_options);
	RUN(test_mac_option);
	RUN(test_session_cache_option);
	RUN(test_hostport);
	RUN(test_env_errors);
	RUN(test_dedup);
	RUN(test_key);
	RUN(test_exit_codes_and_table);
	RUN(test_fleet_options);
	RUN(test_command_table);
	free(last_targets);
	return check_summary("ctl_args");
}

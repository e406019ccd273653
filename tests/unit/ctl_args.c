/*
 * ctl_args.c - host unit tests of theseusctl's argument handling: global
 * options, host:port, key files, exit-code mapping, the command table.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "klibc.h"
#include "ctl.h"

static FILE *devnull;

static int parse(struct ctl_ctx *ctx, int argc, char **argv, int *at)
{
	ctl_ctx_init(ctx);
	ctx->err = devnull;
	return ctl_parse_global(ctx, argc, argv, at);
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
}

static void test_key(void)
{
	uint8_t k[32];
	const char *good = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F\n";
	CHECK_EQ(ctl_key_parse(good, k), TH_OK);
	CHECK_EQ(k[0], 0);
	CHECK_EQ(k[31], 0x1f);
	CHECK_EQ(ctl_key_parse("  00010203", k), TH_EINVAL);
	CHECK_EQ(ctl_key_parse("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fff",
			       k), TH_EINVAL);
	CHECK_EQ(ctl_key_parse("g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
			       k), TH_EINVAL);
	char path[] = "/tmp/ctl_args_keyXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(good, f);
	fclose(f);
	struct th_errbuf eb = { "" };
	CHECK_EQ(ctl_key_load(path, k, &eb), TH_OK);
	CHECK_EQ(k[16], 0x10);
	unlink(path);
	CHECK_EQ(ctl_key_load(path, k, &eb), TH_ENOENT);
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
	char buf[4096] = "";
	FILE *f = fmemopen(buf, sizeof buf - 1, "w");
	ctl_usage(f);
	fclose(f);
	CHECK(strstr(buf, "push FILE") != NULL);
	CHECK(strstr(buf, "exit status") != NULL);
}

int main(void)
{
	devnull = fopen("/dev/null", "w");
	RUN(test_defaults_env);
	RUN(test_global_options);
	RUN(test_hostport);
	RUN(test_key);
	RUN(test_exit_codes_and_table);
	return check_summary("ctl_args");
}

/*
 * ctl_input_fuzz.c - libFuzzer target: what theseusctl parses from its user
 * rather than from the network: the command line (global options), a
 * --hosts file, a rollout --state file, a key and a host:port.
 *
 * Input byte 0 selects the mode (the rest is the input):
 *   0  rollout state file (ctl/rollout_state.c): parse; what parses must
 *      hold only well-formed hosts and survive format -> parse unchanged;
 *   1  hosts file text (ctl_targets_parse): every target a non-empty host
 *      with no blank, comma or second ':', at most CTL_MAX_HOSTS;
 *   2  a command line, arguments split at NUL bytes (ctl_parse_global):
 *      accepted means at least one target, each with a port; arguments
 *      holding '/' are skipped so that no file outside the scratch
 *      directory is opened (--hosts NAME reads ./NAME there: none exists);
 *   3  a key text (proto_key_parse, checked against "64 hex digits,
 *      blanks around") and a host:port (ctl_parse_hostport);
 *   4  a rollout --waves and --max-fail spec for a fleet of 1..256 hosts
 *      (the next byte): the waves' ends strictly increase and end with
 *      the fleet, the budget is at most the fleet.
 * Besides crashes and sanitizer reports, a broken invariant aborts.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rollout.h"

static void fuzz_plan(const char *text, size_t len)
{
	if (len < 1)
		return;
	size_t n_hosts = (size_t)(uint8_t)text[0] + 1;
	char *s = malloc(len);
	if (!s)
		abort();
	memcpy(s, text + 1, len - 1);
	s[len - 1] = 0;
	struct rollout_waves w;
	size_t ends[ROLLOUT_MAX_WAVES + 1], n = 0;
	if (rollout_waves_parse(s, &w, NULL) == TH_OK) {
		if (w.n < 1 || w.n > ROLLOUT_MAX_WAVES)
			abort();
		if (rollout_waves_resolve(&w, n_hosts, ends, &n, NULL) == TH_OK) {
			if (n < 1 || n > ROLLOUT_MAX_WAVES + 1 || ends[n - 1] != n_hosts)
				abort();
			for (size_t i = 0; i < n; i++)
				if (ends[i] < 1 || (i && ends[i] <= ends[i - 1]))
					abort();
		}
	}
	struct rollout_amount b;
	if (rollout_budget_parse(s, &b, NULL) == TH_OK && rollout_budget_resolve(&b, n_hosts) > n_hosts &&
	    !(!b.pct && b.value > n_hosts))
		abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

static void setup_once(void)
{
	if (devnull)
		return;
	devnull = fopen("/dev/null", "w");
	char dir[] = "/tmp/ctl_input_fuzz.XXXXXX";
	if (!devnull || !mkdtemp(dir) || chdir(dir) != 0)
		abort();
	unsetenv("THESEUS_HOST");
	unsetenv("THESEUS_PORT");
	unsetenv("THESEUS_KEY_FILE");
	unsetenv("THESEUSCTL_TRACE");
}

static bool hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static void check_host(const char *h)
{
	if (!h[0] || strpbrk(h, " \t,") || (strchr(h, ':') != NULL))
		abort();
}

static void fuzz_state(const char *text, size_t len)
{
	struct rollout_state s, t;
	if (rollout_state_parse("f", text, len, &s, NULL) != TH_OK)
		return;
	if ((s.version != 1 && s.version != 2) || !s.module[0] || !hex64(s.new_hash))
		abort();
	for (size_t i = 0; i < s.n; i++) {
		const struct rollout_state_host *h = &s.hosts[i];
		if (!strchr(h->label, ':') || strpbrk(h->label, " \t\n") ||
		    (h->old_hash[0] && !hex64(h->old_hash)) ||
		    strcmp(rollout_state_name(h->st), "?") == 0)
			abort();
	}
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	if (!f)
		abort();
	rollout_state_format(f, &s);
	fclose(f);
	if (rollout_state_parse("g", buf, blen, &t, NULL) != TH_OK || t.version != 2 ||
	    strcmp(s.module, t.module) || strcmp(s.new_hash, t.new_hash) ||
	    strcmp(s.waves, t.waves) || s.stopped_wave != t.stopped_wave || s.n != t.n)
		abort();
	for (size_t i = 0; i < s.n; i++)
		if (strcmp(s.hosts[i].label, t.hosts[i].label) || s.hosts[i].st != t.hosts[i].st ||
		    strcmp(s.hosts[i].old_version, t.hosts[i].old_version) ||
		    strcmp(s.hosts[i].old_hash, t.hosts[i].old_hash))
			abort();
	free(buf);
	rollout_state_free(&s);
	rollout_state_free(&t);
}

static void fuzz_hosts(const char *text, size_t len)
{
	struct ctl_ctx ctx;
	ctl_ctx_init(&ctx);
	if (ctl_targets_parse(&ctx, "f", text, len, NULL) == TH_OK) {
		if (ctx.n_targets == 0 || ctx.n_targets > CTL_MAX_HOSTS)
			abort();
		for (size_t i = 0; i < ctx.n_targets; i++) {
			check_host(ctx.targets[i].host);
			if (ctx.targets[i].port_given && !ctx.targets[i].port)
				abort();
		}
	}
	ctl_targets_free(&ctx);
}

static void fuzz_argv(const char *text, size_t len)
{
	char *copy = malloc(len + 1), *argv[34];
	int argc = 0;
	if (!copy)
		abort();
	memcpy(copy, text, len);
	copy[len] = 0;
	argv[argc++] = "theseusctl";
	for (size_t at = 0; at <= len && argc < 33;) {
		char *a = copy + at;
		size_t l = strlen(a);
		if (strchr(a, '/'))
			goto out;
		argv[argc++] = a;
		at += l + 1;
	}
	argv[argc] = NULL;
	struct ctl_ctx ctx;
	ctl_ctx_init(&ctx);
	ctx.out = ctx.err = devnull;
	int cmd_at = 0;
	int rc = ctl_parse_global(&ctx, argc, argv, &cmd_at);
	if (rc == CTL_EXIT_OK && cmd_at >= 0) {
		if (ctx.n_targets == 0 || cmd_at > argc)
			abort();
		for (size_t i = 0; i < ctx.n_targets; i++) {
			check_host(ctx.targets[i].host);
			if (!ctx.targets[i].port)
				abort();
		}
		if (ctx.timeout_ms < 10 || ctx.retries < 0 || ctx.jobs < 1)
			abort();
	}
	ctl_targets_free(&ctx);
out:
	free(copy);
}

/* "64 hex digits, with blanks (space, tab, CR, LF) around" by hand. */
static bool key_text_ok(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	size_t n = 0;
	while (isxdigit((unsigned char)s[n]))
		n++;
	if (n != 64)
		return false;
	for (s += n; *s; s++)
		if (!(*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
			return false;
	return true;
}

static void fuzz_key_hostport(const char *text, size_t len)
{
	char *s = malloc(len + 1);
	if (!s)
		abort();
	memcpy(s, text, len);
	s[len] = 0;
	uint8_t key[PROTO_KEY_LEN];
	bool ok = proto_key_parse(s, key, NULL) == TH_OK;
	if (strlen(s) == len && ok != key_text_ok(s))
		abort();
	if (ok) {   /* the digits, decoded */
		const char *d = s + strspn(s, " \t\r\n");
		for (size_t i = 0; i < PROTO_KEY_LEN; i++) {
			char hx[3] = {d[2 * i], d[2 * i + 1], 0};
			if (key[i] != (uint8_t)strtoul(hx, NULL, 16))
				abort();
		}
	}
	char host[256];
	uint16_t port = 0;
	if (ctl_parse_hostport(s, host, sizeof host, &port) == TH_OK) {
		check_host(host);
		if (strchr(s, ':') && !port)
			abort();
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup_once();
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 5) {
	case 0:
		fuzz_state(text, len);
		break;
	case 1:
		fuzz_hosts(text, len);
		break;
	case 2:
		fuzz_argv(text, len);
		break;
	case 3:
		fuzz_key_hostport(text, len);
		break;
	default:
		fuzz_plan(text, len);
		break;
	}
	return 0;
}

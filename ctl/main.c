/*
 * main.c - theseusctl: the command-line tool that talks to Theseus-C
 * kernels over the control protocol (UDP, proto/theseus.proto).
 *
 * main() parses the global options, loads the key, finds the subcommand in
 * the table below (which also produces --help), opens the transport when the
 * subcommand needs a host, and returns the subcommand's exit code.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "klibc.h"
#include "ctl.h"

static const struct ctl_cmd cmds[] = {
	{ "ping", "", "check that the kernel answers, print the round-trip time", true,
	  cmd_ping_main },
	{ "ls", "", "list the loaded modules", true, cmd_ls_main },
	{ "push", "FILE", "upload an object into the kernel's staging area", true,
	  cmd_push_main },
	{ "swap", "[--expect VERSION] MODULE FILE",
	  "push FILE and swap it in live for MODULE (compare-and-swap)", true, cmd_swap_main },
	{ "keygen", "[FILE]", "make a new 32-byte key (64 hex digits) for key= and --key-file",
	  false, cmd_keygen_main },
};

const struct ctl_cmd *ctl_cmd_find(const char *name)
{
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

void ctl_usage(FILE *f)
{
	fprintf(f, "usage: theseusctl [options] COMMAND [args]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		char left[64];
		snprintf(left, sizeof left, "%s %s", cmds[i].name, cmds[i].args);
		fprintf(f, "  %-36s %s\n", left, cmds[i].help);
	}
	fprintf(f,
		"\noptions:\n"
		"  -H, --host HOST[:PORT]   kernel to talk to (default 127.0.0.1:%d, env THESEUS_HOST)\n"
		"      --port PORT          UDP port (env THESEUS_PORT)\n"
		"      --key-file FILE      key, 64 hex digits (env THESEUS_KEY_FILE); without a key\n"
		"                           only read-only requests work, if the kernel has no key\n"
		"      --timeout MS         first reply timeout, doubled on each retry (default %d)\n"
		"      --retries N          retries before giving up (default %d)\n"
		"  -q, --quiet              no output on success\n"
		"  -h, --help               this text\n"
		"\nexit status:\n"
		"  0 success   1 the kernel reported an error   2 usage error\n"
		"  3 no answer (timeout) or unknown host   4 unauthenticated (key)\n"
		"  5 local error (file unreadable, ...)\n",
		ENDPOINT_DEFAULT_PORT, CTL_DEFAULT_TIMEOUT_MS, CTL_DEFAULT_RETRIES);
}

int main(int argc, char **argv)
{
	struct ctl_ctx ctx;
	struct th_errbuf eb = { "" };
	int cmd_at, ret;

	ctl_ctx_init(&ctx);
	ret = ctl_parse_global(&ctx, argc, argv, &cmd_at);
	if (ret != CTL_EXIT_OK) {
		fprintf(stderr, "Try 'theseusctl --help'.\n");
		return ret;
	}
	if (cmd_at < 0) {
		ctl_usage(stdout);
		return CTL_EXIT_OK;
	}
	if (cmd_at >= argc) {
		ctl_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	const struct ctl_cmd *cmd = ctl_cmd_find(argv[cmd_at]);
	if (!cmd) {
		fprintf(stderr, "theseusctl: unknown command '%s'\n", argv[cmd_at]);
		ctl_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (cmd->needs_host) {
		if (ctx.key_file[0]) {
			if (ctl_key_load(ctx.key_file, ctx.key, &eb) != TH_OK) {
				fprintf(stderr, "theseusctl: %s\n", eb.msg);
				return CTL_EXIT_AUTH;
			}
			ctx.have_key = true;
		}
		if (ctl_tx_open(&ctx, &eb) != TH_OK) {
			fprintf(stderr, "theseusctl: %s\n", eb.msg);
			return CTL_EXIT_UNREACHABLE;
		}
	}
	optind = 1;
	ret = cmd->main(argc - cmd_at, argv + cmd_at, &ctx);
	ctl_tx_close(&ctx);
	return ret;
}

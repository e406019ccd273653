/*
 * main.c - theseusctl: the command-line tool that talks to Theseus-C
 * kernels over the control protocol (UDP, proto/theseus.proto).
 *
 * main() parses the global options, loads the key, finds the subcommand in
 * the table below (which also produces --help), and runs it through the
 * fleet runner (ctl/fleet.c): once per target host, concurrently, or once
 * for local commands (lint, keygen).  Returns the exit code.
 */
#include <stdlib.h>
#include <string.h>

#include "klibc.h"
#include "ctl.h"

static const struct ctl_cmd cmds[] = {
	{ "ping", "", "check that the kernel answers; print the round-trip time", true,
	  cmd_ping_main, false, false, "" },
	{ "info", "", "kernel version, uptime, address, memory, endpoint counters", true,
	  cmd_info_main, false, false, "" },
	{ "ls", "", "list the loaded modules (version, hash, size, address, dependencies)",
	  true, cmd_ls_main, false, false, "" },
	{ "push", "FILE", "upload an object into the kernel's staging area", true,
	  cmd_push_main, false, false, "" },
	{ "swap", "[--expect [MODULE=]VERSION] MODULE FILE [MODULE FILE ...]",
	  "push FILEs and swap them in live, all as one transaction (compare-and-swap)", true,
	  cmd_swap_main, false, false,
	  "  -e, --expect [MODULE=]VERSION  the version MODULE must run now (default: as ls\n"
	  "                           reads it; \"\" for a module not loaded yet)\n" },
	{ "rollback", "[--unload] MODULE [MODULE...]",
	  "swap MODULE back to the object it ran before its last swap (--unload: unload a "
	  "first load); several: one transaction", true, cmd_rollback_main, false, false,
	  "      --unload             when MODULE runs the object it was first loaded from,\n"
	  "                           unload it (without: refused, \"nothing to roll back\");\n"
	  "                           several modules at their first objects (a dependency\n"
	  "                           cycle) are unloaded together\n" },
	{ "history", "", "swap history: loads, swaps, rollbacks, unloads, faults, timed", true,
	  cmd_history_main, false, false, "" },
	{ "state", "", "statedb entries: name, kind, type, version, size, references", true,
	  cmd_state_main, false, false, "" },
	{ "log", "[-f] [--from POS] [--interval MS]",
	  "print the kernel log ring; -f follows it", true, cmd_log_main, true, false,
	  "  -f, --follow             keep polling until interrupted\n"
	  "      --from POS           start at byte position POS (default 0: the oldest kept)\n"
	  "      --interval MS        with -f: poll every MS ms, 10-60000 (default 500)\n" },
	{ "invoke", "[--hex] MODULE FUNCTION [INPUT|-]",
	  "call an exported function of a module, bytes in and out (- = stdin)", true,
	  cmd_invoke_main, false, false,
	  "      --hex                print the output as hex digits (the input is taken\n"
	  "                           as given, not decoded)\n" },
	{ "graph", "", "the module dependency graph as Graphviz DOT", true, cmd_graph_main,
	  false, false, "" },
	{ "tasks", "", "the kernel's tasks", true, cmd_tasks_main, false, false, "" },
	{ "exports", "[--json]",
	  "the running kernel's export list: its symbols and the loaded modules' (lint --target)",
	  true, cmd_exports_main, false, false, "" },
	{ "profile", "[--top N] [SECONDS|start|stop|report]",
	  "sample where the kernel's CPUs spend their time (default 3 s) and list the top "
	  "functions", true, cmd_profile_main, false, false,
	  "      --top N              functions shown (default 25, 0 = all)\n" },
	{ "rollout", "[OPTIONS] MODULE FILE",
	  "swap FILE in on the hosts in waves (--waves), with health checks (--check, "
	  "--check-cmd, --soak), a failure budget (--max-fail), automatic rollback and "
	  "--state/--resume", false, cmd_rollout_main, false, true,
	  "      --waves LIST         cumulative host counts or percentages (default 1,100%)\n"
	  "      --check FUNCTION     invoke MODULE's FUNCTION on each updated host: must be OK\n"
	  "      --check-cmd CMD      sh -c CMD per updated host with THESEUS_HOST (and\n"
	  "                           THESEUS_KEY_FILE) set; exit 0 is healthy\n"
	  "      --no-fault-check     do not check the history for fault entries\n"
	  "      --soak SECONDS       wait before checking a wave (default 0)\n"
	  "      --max-fail N|N%      failures allowed before it stops (default 0)\n"
	  "      --state FILE         record progress; the same FILE again continues\n"
	  "      --resume             continue the rollout FILE records (must exist)\n"
	  "      --retry              start a rollout FILE records as STOPPED over\n" },
	{ "lint", "[--spill=warn|reject] [--exports FILE|--no-exports|--target HOST[:PORT]] "
	  "[--with OBJ]... FILE...",
	  "check module objects locally as the loader would (spill, ELF, relocations, imports "
	  "against exports.txt or --target's running kernel)", false,
	  cmd_lint_main, false, false,
	  "      --spill=warn|reject  writable data in a module: a warning (default) or an error\n"
	  "      --exports FILE       the kernel's export list (default: the kit's exports.txt)\n"
	  "      --no-exports         do not check imports\n"
	  "      --target HOST[:PORT] the export list of that running kernel\n"
	  "      --with OBJ           a module loaded with them (repeat it)\n" },
	{ "keygen", "[FILE]", "make a new 32-byte key (64 hex digits) for key= and --key-file",
	  false, cmd_keygen_main, false, false, "" },
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
		/* A usage wider than its column gets a line of its own, whole. */
		int w = (int)(strlen(cmds[i].name) + 1 + strlen(cmds[i].args));
		if (w > 36)
			fprintf(f, "  %s %s\n  %-36s %s\n", cmds[i].name, cmds[i].args, "",
				cmds[i].help);
		else
			fprintf(f, "  %s %-*s %s\n", cmds[i].name, 36 - (int)strlen(cmds[i].name) - 1,
				cmds[i].args, cmds[i].help);
	}
	fprintf(f,
		"\noptions:\n"
		"  -H, --host HOST[:PORT]   kernel to talk to (default 127.0.0.1:%d, env THESEUS_HOST);\n"
		"                           repeat it or give a comma list for a fleet; a name\n"
		"                           or IPv4 address; a host given twice is asked once\n"
		"      --hosts FILE         more hosts, one HOST[:PORT] per line, # comments\n"
		"                           (a FILE that lists none is an error)\n"
		"  -j, --jobs N             hosts served at once (default %d)\n"
		"      --port PORT          UDP port of hosts given without one (env THESEUS_PORT)\n"
		"      --key-file FILE      key, 64 hex digits (env THESEUS_KEY_FILE); without a key\n"
		"                           only read-only requests work, if the kernel has no key\n"
		"      --timeout MS         the longest retransmission timeout (default %d; the\n"
		"                           first follows measured round trips and doubles per\n"
		"                           expiry); a call gives up after MS * (N + 1) at least\n"
		"      --retries N          retransmissions before giving up (default %d)\n"
		"      --mac auto|hmac|poly1305  request MAC: auto (default) = the cheap\n"
		"                           ChaCha20-Poly1305 tag once the kernel says it takes\n"
		"                           it, else HMAC-SHA256; hmac = always HMAC-SHA256\n"
		"      --no-session-cache   do not read or write the session cache (the kernels'\n"
		"                           epochs learned from sealed replies; env\n"
		"                           THESEUS_SESSION_CACHE=FILE, or off; default\n"
		"                           $XDG_CACHE_HOME or ~/.cache/theseusctl/sessions)\n"
		"      --json               one JSON object per host and line on stdout, in the\n"
		"                           order hosts finish: {\"host\",\"command\",\"ok\",\"status\",\n"
		"                           \"exit\",\"error\",...} (rollout: its own fields, in host order)\n"
		"  -q, --quiet              no output on success (--json objects still come)\n"
		"  -h, --help               this text\n"
		"\nexit status:\n"
		"  0 success   1 the kernel reported an error   2 usage error\n"
		"  3 no answer (timeout) or unknown host   4 unauthenticated (key)\n"
		"  5 local error (file unreadable, ...)\n"
		"  with several hosts: 0 if all succeeded, else the status of the first\n"
		"  failed host; a summary line on stderr names the failed hosts\n"
		"\nSee theseusctl(1) for the JSON fields of every command.\n",
		PROTO_DEFAULT_PORT, CTL_DEFAULT_JOBS, CTL_DEFAULT_TIMEOUT_MS, CTL_DEFAULT_RETRIES);
}

void ctl_cmd_usage(const struct ctl_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: theseusctl [options] %s%s%s\n\n%s\n", cmd->name, cmd->args[0] ? " " : "",
		cmd->args, cmd->help);
	if (cmd->options && cmd->options[0])
		fprintf(f, "\n%s", cmd->options);
	fprintf(f, "\n\"--\" ends the options: what follows are operands, even if they start\n"
		"with '-'.  `theseusctl --help` lists the global options; theseusctl(1) has\n"
		"the details.\n");
}

/* build/theseus-lint is this program under another name: `theseusctl lint`
 * (one lint front end).  Rewrites argv to "theseusctl lint ARGS" (a leading
 * --json stays a global option: "theseusctl --json lint ARGS"). */
static char **as_lint(int *argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	if (strcmp(base, "theseus-lint") != 0)
		return argv;
	char **v = calloc((size_t)*argc + 2, sizeof *v);
	if (!v)
		return argv;
	int k = 1, i = 1;
	v[0] = argv[0];
	if (*argc > 1 && strcmp(argv[1], "--json") == 0)
		v[k++] = argv[i++];
	v[k++] = (char *)"lint";
	while (i < *argc)
		v[k++] = argv[i++];
	(*argc)++;
	return v;
}

/* --json anywhere on the command line: a run that fails before its options
 * are all read still answers with one JSON object. */
static bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			return true;
	return false;
}

/* A failure before any host was asked: said on stderr and, with --json, as
 * one JSON object for "local" (status from the exit code: EUSAGE, ELOCAL,
 * EAUTH).  Returns exit_code. */
static int local_fail(struct ctl_ctx *ctx, const char *command, int exit_code,
		      const char *msg)
{
	if (msg) {
		fprintf(stderr, "theseusctl: %s\n", msg);
		if (msg != ctx->errmsg)
			snprintf(ctx->errmsg, sizeof ctx->errmsg, "%s", msg);
	}
	if (ctx->json) {
		ctx->status = 0;
		ctx->status_remote = false;
		ctx->command = command;
		ctx->out = stdout;
		snprintf(ctx->label, sizeof ctx->label, "local");
		ctl_json_emit(ctx, exit_code);
		ctl_json_free(&ctx->js);
	}
	return exit_code;
}

int main(int argc, char **argv)
{
	struct ctl_ctx ctx;
	struct th_errbuf eb = { "" };
	int cmd_at, ret;

	argv = as_lint(&argc, argv);
	ctl_ctx_init(&ctx);
	ret = ctl_parse_global(&ctx, argc, argv, &cmd_at);
	if (ret != CTL_EXIT_OK) {
		fprintf(stderr, "Try 'theseusctl --help'.\n");
		ctx.json = ctx.json || wants_json(argc, argv);
		ret = local_fail(&ctx, "", ret, NULL);
		ctl_targets_free(&ctx);
		return ret;
	}
	if (cmd_at < 0 || cmd_at >= argc) {
		ctl_usage(cmd_at < 0 ? stdout : stderr);
		if (cmd_at >= argc) {
			snprintf(ctx.errmsg, sizeof ctx.errmsg, "no command given");
			local_fail(&ctx, "", CTL_EXIT_USAGE, NULL);
		}
		ctl_targets_free(&ctx);
		return cmd_at < 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	}
	const struct ctl_cmd *cmd = ctl_cmd_find(argv[cmd_at]);
	if (!cmd) {
		ctl_usage(stderr);
		snprintf(ctx.errmsg, sizeof ctx.errmsg, "unknown command '%s'", argv[cmd_at]);
		ret = local_fail(&ctx, argv[cmd_at], CTL_EXIT_USAGE, ctx.errmsg);
		ctl_targets_free(&ctx);
		return ret;
	}
	/* COMMAND --help (before a "--"): its usage, nothing sent. */
	for (int a = cmd_at + 1; a < argc && strcmp(argv[a], "--") != 0; a++)
		if (strcmp(argv[a], "--help") == 0) {
			ctl_cmd_usage(cmd, stdout);
			ctl_targets_free(&ctx);
			return CTL_EXIT_OK;
		}
	if ((cmd->needs_host || cmd->drives_fleet) && ctx.key_file[0]) {
		if (ctl_key_load(ctx.key_file, ctx.key, &eb, stderr) != TH_OK) {
			snprintf(ctx.errmsg, sizeof ctx.errmsg,
				 "%s (check --key-file / THESEUS_KEY_FILE)", eb.msg);
			ret = local_fail(&ctx, cmd->name, CTL_EXIT_AUTH, ctx.errmsg);
			ctl_targets_free(&ctx);
			return ret;
		}
		ctx.have_key = true;
	}
	/* A host given twice (or under two names) is asked once. */
	if (cmd->needs_host || cmd->drives_fleet)
		ctl_targets_dedup(&ctx, stderr);
	/* The session cache: epochs learned earlier, for keyed commands. */
	char sc_path[4096];
	if (ctx.have_key && !ctx.no_session_cache && ctl_sc_path(sc_path, sizeof sc_path)) {
		ctx.sc = ctl_sc_open(sc_path, ctx.trace);
		ctl_sc_fingerprint(ctx.key, ctx.key_fp);
	}
	ret = ctl_fleet_run(cmd, argc - cmd_at, argv + cmd_at, &ctx);
	ctl_sc_close(ctx.sc);
	ctl_targets_free(&ctx);
	return ret;
}

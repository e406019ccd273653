/*
 * ctl_fmt.c - host unit tests of theseusctl's output formatting: JSON
 * escaping and the JSON writer (nesting, commas, numbers, bytes), aligned
 * tables, the per-host JSON object (ctl_json_emit), status names, byte
 * counts in human units (ctl_fmt_bytes) and history's MODULES cell; text
 * for a terminal (ctl/term_text.c): module authors' strings with escape
 * sequences, control bytes, malformed UTF-8 and bidi overrides come out
 * escaped in tables, in one host's output and in a fleet's.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "klibc.h"
#include "ctl.h"

static void test_escape(void)
{
	char out[64];
	CHECK_EQ(ctl_json_escape("plain", 5, out, sizeof out), 5);
	CHECK_STR(out, "plain");
	ctl_json_escape("a\"b\\c\n\t\r", 8, out, sizeof out);
	CHECK_STR(out, "a\\\"b\\\\c\\n\\t\\r");
	const char bin[] = { 1, 0x1f, 0x7f, (char)0x80, (char)0xff, 0 };
	CHECK_EQ(ctl_json_escape(bin, 6, out, sizeof out), 36);
	CHECK_STR(out, "\\u0001\\u001f\\u007f\\u0080\\u00ff\\u0000");
	/* Cut short when full, still NUL-terminated; the return says how much. */
	CHECK_EQ(ctl_json_escape("abcdef", 6, out, 4), 6);
	CHECK_STR(out, "abc");
	CHECK_EQ(ctl_json_escape("\"\"", 2, NULL, 0), 4);
}

static void test_writer(void)
{
	struct ctl_json j = { 0 };
	CHECK_STR(ctl_json_text(&j), "");
	ctl_json_str(&j, "name", "kv");
	ctl_json_u64(&j, "size", 18446744073709551615ull);
	ctl_json_i64(&j, "result", -3);
	ctl_json_bool(&j, "ok", false);
	ctl_json_arr_begin(&j, "deps");
	ctl_json_str(&j, NULL, "hello");
	ctl_json_str(&j, NULL, "log\"fmt");
	ctl_json_arr_end(&j);
	ctl_json_arr_begin(&j, "empty");
	ctl_json_arr_end(&j);
	ctl_json_obj_begin(&j, "o");
	ctl_json_bytes(&j, "b", "x\0y", 3);
	ctl_json_str(&j, "n", NULL);
	ctl_json_obj_end(&j);
	CHECK_STR(ctl_json_text(&j),
		  "\"name\":\"kv\",\"size\":18446744073709551615,\"result\":-3,\"ok\":false,"
		  "\"deps\":[\"hello\",\"log\\\"fmt\"],\"empty\":[],"
		  "\"o\":{\"b\":\"x\\u0000y\",\"n\":\"\"}");
	ctl_json_reset(&j);
	CHECK_STR(ctl_json_text(&j), "");
	ctl_json_double(&j, "ms", 0.25);
	CHECK_STR(ctl_json_text(&j), "\"ms\":0.25");
	/* Deep nesting fails cleanly instead of overflowing. */
	ctl_json_reset(&j);
	for (int i = 0; i < 40; i++)
		ctl_json_arr_begin(&j, NULL);
	CHECK_STR(ctl_json_text(&j), "");
	ctl_json_free(&j);
}

static void test_table(void)
{
	static const char *const hdr[] = { "NAME", "SIZE", "DEPENDS" };
	struct ctl_table t;
	char buf[512] = "";
	ctl_table_init(&t, 3, hdr);
	ctl_table_align_right(&t, 1);
	const char *r1[] = { "hello", "4096", "-" };
	const char *r2[] = { "kv", "12", "hello,logfmt" };
	const char *r3[] = { "a_long_module", NULL, "" };
	CHECK_EQ(ctl_table_row(&t, r1), TH_OK);
	CHECK_EQ(ctl_table_row(&t, r2), TH_OK);
	CHECK_EQ(ctl_table_row(&t, r3), TH_OK);
	FILE *f = fmemopen(buf, sizeof buf - 1, "w");
	ctl_table_print(&t, f);
	fclose(f);
	CHECK_STR(buf,
		  "NAME           SIZE  DEPENDS\n"
		  "hello          4096  -\n"
		  "kv               12  hello,logfmt\n"
		  "a_long_module     -\n");
	ctl_table_free(&t);
	/* Many rows (growth). */
	ctl_table_init(&t, 3, hdr);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(ctl_table_row(&t, r1), TH_OK);
	CHECK_EQ(t.nrows, 100);
	ctl_table_free(&t);
}

static void test_emit_and_status(void)
{
	struct ctl_ctx ctx;
	char buf[1024] = "";
	ctl_ctx_init(&ctx);
	ctx.out = fmemopen(buf, sizeof buf - 1, "w");
	ctx.command = "swap";
	snprintf(ctx.label, sizeof ctx.label, "10.0.0.5:7700");
	ctl_json_str(&ctx.js, "module", "hello");
	ctl_json_emit(&ctx, CTL_EXIT_OK);
	ctx.status = TH_ECONFLICT;
	snprintf(ctx.errmsg, sizeof ctx.errmsg, "swap: hello runs \"1.1\"");
	ctl_json_emit(&ctx, CTL_EXIT_REMOTE);
	ctx.status = TH_ETOOBIG;   /* a local error: ELOCAL, the code kept in "error" */
	snprintf(ctx.errmsg, sizeof ctx.errmsg, "f.o: too big");
	ctl_json_emit(&ctx, CTL_EXIT_LOCAL);
	fclose(ctx.out);
	CHECK_STR(buf,
		  "{\"host\":\"10.0.0.5:7700\",\"command\":\"swap\",\"ok\":true,\"status\":\"OK\","
		  "\"exit\":0,\"error\":\"\",\"module\":\"hello\"}\n"
		  "{\"host\":\"10.0.0.5:7700\",\"command\":\"swap\",\"ok\":false,"
		  "\"status\":\"ECONFLICT\",\"exit\":1,\"error\":\"swap: hello runs \\\"1.1\\\"\"}\n"
		  "{\"host\":\"10.0.0.5:7700\",\"command\":\"swap\",\"ok\":false,"
		  "\"status\":\"ELOCAL\",\"exit\":5,\"error\":\"ETOOBIG: f.o: too big\"}\n");
	ctl_json_free(&ctx.js);
	CHECK_STR(ctl_status_name(0, CTL_EXIT_OK), "OK");
	CHECK_STR(ctl_status_name(TH_ETIMEDOUT, CTL_EXIT_UNREACHABLE), "ETIMEDOUT");
	CHECK_STR(ctl_status_name(0, CTL_EXIT_USAGE), "EUSAGE");
	CHECK_STR(ctl_status_name(0, CTL_EXIT_LOCAL), "ELOCAL");
	/* local errors are EUSAGE / ELOCAL whatever their code (man page) */
	CHECK_STR(ctl_status_name(TH_EIO, CTL_EXIT_LOCAL), "ELOCAL");
	CHECK_STR(ctl_status_name(TH_ETOOBIG, CTL_EXIT_LOCAL), "ELOCAL");
	CHECK_STR(ctl_status_name(TH_EINVAL, CTL_EXIT_USAGE), "EUSAGE");
	CHECK_STR(ctl_status_name(TH_ECONFLICT, CTL_EXIT_REMOTE), "ECONFLICT");
	/* ctl_report records status and message; --json keeps stderr quiet. */
	char ebuf[256] = "";
	ctx.err = fmemopen(ebuf, sizeof ebuf - 1, "w");
	ctx.json = true;
	ctl_report(&ctx, "ping", TH_EAUTH, NULL);
	fclose(ctx.err);
	CHECK_STR(ebuf, "");
	CHECK_EQ(ctx.status, TH_EAUTH);
	CHECK_STR(ctx.errmsg, "ping: unauthenticated");
	ctx.err = fmemopen(ebuf, sizeof ebuf - 1, "w");
	ctx.json = false;
	ctx.have_key = true;
	ctl_report(&ctx, "ping", TH_EAUTH, NULL);
	fclose(ctx.err);
	CHECK(strstr(ebuf, "wrong key? check --key-file / THESEUS_KEY_FILE") != NULL);
}

/* ctl_report: a kernel message that starts with the request's name gets it
 * once; the "older kernel" hint only when the request kind is unsupported. */
/* The kernel's refusal of a swap or rollback that would take an export
 * away from a module that uses it gets the way out named after it. */
static void test_missing_export_hint(void)
{
	struct ctl_missing_export m;
	struct ctl_ctx ctx;
	char ebuf[512];
	const char *kmsg = "clb uses mlib_mul of module mlib; the new mlib 2.0 does not export it";

	CHECK_EQ(ctl_parse_missing_export(kmsg, &m), TH_OK);
	CHECK_STR(m.dependent, "clb");
	CHECK_STR(m.symbol, "mlib_mul");
	CHECK_STR(m.module, "mlib");
	CHECK_EQ(ctl_parse_missing_export("mlib: no such module loaded", &m), TH_EINVAL);
	CHECK_EQ(ctl_parse_missing_export(NULL, &m), TH_EINVAL);
	ctl_ctx_init(&ctx);
	snprintf(ctx.host, sizeof ctx.host, "h");
	ctx.port = 1;
	Theseus__Reply rep = THESEUS__REPLY__INIT;
	rep.message = (char *)kmsg;
	ctx.err = fmemopen(ebuf, sizeof ebuf - 1, "w");
	ctl_report(&ctx, "rollback", TH_ENOSYM, &rep);
	ctl_hint_missing_export(&ctx, true);
	fclose(ctx.err);
	CHECK(strstr(ebuf, "rollback: ENOSYM: clb uses mlib_mul of module mlib") != NULL);
	CHECK(strstr(ebuf, "\ntheseusctl: clb links to mlib_mul, which mlib's previous version "
		     "does not export: take clb back first (`theseusctl rollback [--unload] clb`), "
		     "or roll both back as one transaction (`theseusctl rollback mlib clb`)\n")
	      != NULL);
	ctx.err = fmemopen(ebuf, sizeof ebuf - 1, "w");
	ctl_report(&ctx, "swap", TH_ENOSYM, &rep);
	ctl_hint_missing_export(&ctx, false);
	fclose(ctx.err);
	CHECK(strstr(ebuf, "\ntheseusctl: clb links to mlib_mul: export it from the new mlib too, "
		     "or swap clb in the same transaction to a version that does not use it "
		     "(`theseusctl swap mlib NEW.o clb OTHER.o`)\n") != NULL);
	/* another ENOSYM (a load's unresolved import): no hint */
	rep.message = "kimp: undefined symbol loader_find (used in .rela.text)";
	ctx.err = fmemopen(ebuf, sizeof ebuf - 1, "w");
	ctl_report(&ctx, "swap", TH_ENOSYM, &rep);
	ctl_hint_missing_export(&ctx, false);
	fclose(ctx.err);
	CHECK(strstr(ebuf, "links to") == NULL);
}

static void test_report_messages(void)
{
	struct ctl_ctx ctx;
	char ebuf[512];
	ctl_ctx_init(&ctx);
	snprintf(ctx.host, sizeof ctx.host, "h");
	ctx.port = 1;
	Theseus__Reply rep = THESEUS__REPLY__INIT;
	rep.message = "rollback: module hello is not loaded";
	ctx.err = fmemopen(ebuf, sizeof ebuf - 1, "w");
	ctl_report(&ctx, "rollback", TH_ENOENT, &rep);
	fclose(ctx.err);
	CHECK_STR(ebuf, "theseusctl: h:1: rollback: ENOENT: module hello is not loaded\n");
	CHECK_STR(ctx.errmsg, "rollback: module hello is not loaded");
	rep.message = "symbol x is COMMON: compile with -fno-common";
	ctx.err = fmemopen(ebuf, sizeof ebuf - 1, "w");
	ctl_report(&ctx, "swap", TH_ENOTSUP, &rep);
	fclose(ctx.err);
	CHECK_STR(ebuf, "theseusctl: h:1: swap: ENOTSUP: symbol x is COMMON: compile with "
		  "-fno-common\n");
	rep.message = "profile: not supported by this kernel";
	ctx.err = fmemopen(ebuf, sizeof ebuf - 1, "w");
	ctl_report(&ctx, "profile", TH_ENOTSUP, &rep);
	fclose(ctx.err);
	CHECK(strstr(ebuf, "profile: ENOTSUP: not supported by this kernel (this kernel does not "
		     "offer it; is it older than theseusctl?)") != NULL);
	/* ETIMEDOUT in the kernel's reply is module code cut by its watchdog:
	 * no "no answer" hint, and exit 1 (the kernel reported an error), not 3. */
	rep.message = "oops 1.0: watchdog: oops_spin+0x2 still running after 1000 ms";
	ctx.err = fmemopen(ebuf, sizeof ebuf - 1, "w");
	ctl_report(&ctx, "invoke", TH_ETIMEDOUT, &rep);
	fclose(ctx.err);
	CHECK_STR(ebuf, "theseusctl: h:1: invoke: ETIMEDOUT: oops 1.0: watchdog: oops_spin+0x2 "
		  "still running after 1000 ms\n");
	CHECK_EQ(ctl_exit_status(&ctx, TH_ETIMEDOUT), CTL_EXIT_REMOTE);
	/* our own timeout (no reply): the hint and exit 3, as before */
	ctx.err = fmemopen(ebuf, sizeof ebuf - 1, "w");
	ctl_report(&ctx, "invoke", TH_ETIMEDOUT, NULL);
	fclose(ctx.err);
	CHECK(strstr(ebuf, "(no answer: is the kernel running") != NULL);
	CHECK_EQ(ctl_exit_status(&ctx, TH_ETIMEDOUT), CTL_EXIT_UNREACHABLE);
	/* a kernel's EAUTH stays exit 4 */
	rep.message = "unauthenticated";
	ctx.err = fmemopen(ebuf, sizeof ebuf - 1, "w");
	ctl_report(&ctx, "swap", TH_EAUTH, &rep);
	fclose(ctx.err);
	CHECK_EQ(ctl_exit_status(&ctx, TH_EAUTH), CTL_EXIT_AUTH);
	ctx.json = true;   /* ctl_fail prints nothing then */
	ctl_fail(&ctx, TH_ETIMEDOUT, "local");
	CHECK_EQ(ctl_exit_status(&ctx, TH_ETIMEDOUT), CTL_EXIT_UNREACHABLE);
}

static void test_fmt_bytes(void)
{
	char out[32];
	static const struct { uint64_t n; const char *want; } cases[] = {
		{ 0, "0 B" }, { 999, "999 B" }, { 1000, "1.0 kB" }, { 1234567, "1.2 MB" },
		{ 90000, "90.0 kB" }, { 999949, "999.9 kB" }, { 999950, "1.0 MB" },
		{ 1000000000ull, "1.0 GB" }, { UINT64_MAX, "18.4 EB" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ctl_fmt_bytes(cases[i].n, out, sizeof out);
		CHECK_STR(out, cases[i].want);
	}
	ctl_fmt_bytes(1234567, out, 4);   /* cut short, still a string */
	CHECK_STR(out, "1.2");
}

/* history's MODULES cell: every item listed, then "+N more" when the entry
 * covers more modules than it lists (a batch load of the boot modules). */
static void test_history_modules(void)
{
	Theseus__SwapResult r[4];
	Theseus__SwapResult *items[4] = { &r[0], &r[1], &r[2], &r[3] };
	static const char *const names[4] = { "checksum", "logfmt", "kv", "hello" };
	Theseus__HistoryEntry e = THESEUS__HISTORY_ENTRY__INIT;
	char buf[256];
	for (int i = 0; i < 4; i++) {
		theseus__swap_result__init(&r[i]);
		r[i].module = (char *)names[i];
		r[i].old_version = "";
		r[i].new_version = "1.0";
	}
	e.items = items;
	e.n_items = 4;
	e.module_count = 15;
	ctl_history_modules(&e, buf, sizeof buf);
	CHECK_STR(buf, "checksum none->1.0, logfmt none->1.0, kv none->1.0, hello none->1.0 +11 more");
	CHECK_EQ(ctl_history_module_count(&e), 15);
	/* All listed; an older kernel's 0 = its items. */
	e.module_count = 4;
	ctl_history_modules(&e, buf, sizeof buf);
	CHECK(strstr(buf, "more") == NULL);
	e.n_items = 1;
	e.module_count = 0;
	r[0].old_version = "1.0";
	r[0].new_version = "";
	ctl_history_modules(&e, buf, sizeof buf);
	CHECK_STR(buf, "checksum 1.0->none");
	CHECK_EQ(ctl_history_module_count(&e), 1);
	ctl_history_modules(&e, buf, 5); /* cut short, terminated */
	CHECK_STR(buf, "chec");
}

/* history's STAGES cell: a fault entry says what happened (before, only
 * its all-zero stage times: `theseusctl history` never named the fault);
 * a failed transaction adds its message; a good one only its times. */
static void test_history_stages(void)
{
	Theseus__HistoryEntry e = THESEUS__HISTORY_ENTRY__INIT;
	Theseus__StageTime st = THESEUS__STAGE_TIME__INIT, *stages[1] = { &st };
	char buf[256];
	st.stage = "load";
	st.ns = 12000;
	e.stages = stages;
	e.n_stages = 1;
	e.kind = "fault";
	e.status = proto_status_to_wire(TH_EFAULT);
	e.message = "page fault at oops_null+0x0 (address 0x0)";
	ctl_history_stages(&e, buf, sizeof buf);
	CHECK_STR(buf, "page fault at oops_null+0x0 (address 0x0)");
	e.kind = "quarantine";
	e.message = "";
	ctl_history_stages(&e, buf, sizeof buf);
	CHECK_STR(buf, "-");
	e.kind = "swap";
	e.status = proto_status_to_wire(TH_EINIT);
	e.message = "oops 4.0: transfer failed";
	e.cpus = 2;
	e.pause_ns = 7000;
	ctl_history_stages(&e, buf, sizeof buf);
	CHECK_STR(buf, "load=12us pause=7us/2cpu (oops 4.0: transfer failed)");
	e.status = proto_status_to_wire(TH_OK);
	ctl_history_stages(&e, buf, sizeof buf);
	CHECK_STR(buf, "load=12us pause=7us/2cpu");
	ctl_history_stages(&e, buf, 5); /* cut short, terminated */
	CHECK_STR(buf, "load");
}


/* What a module author can put in a version, description, task name or log
 * line (README "theseusctl", man page OUTPUT). */
static const char hostile[] = "v\x1b[2J\x1b]52;c;cHduZWQ=\x07\x1b]0;T\x07" "CR\rBS\bDEL\x7f"
			      "\xff\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80" "\xc2\x9b" "\xe2\x80\xae"
			      "caf\xc3\xa9 \xe2\x82\xac q\"b\\ \xe2\x80";
static const char hostile_esc[] = "v\\x1b[2J\\x1b]52;c;cHduZWQ=\\x07\\x1b]0;T\\x07"
				  "CR\\x0dBS\\x08DEL\\x7f"
				  "\\xff\\xc0\\xaf\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80" "\\u009b" "\\u202e"
				  "caf\xc3\xa9 \xe2\x82\xac q\"b\\ \\xe2\\x80";

static void test_term_escape(void)
{
	char out[512];
	CHECK_EQ(ctl_term_escape("plain\ttext\n", 11, out, sizeof out), 11);
	CHECK_STR(out, "plain\ttext\n");
	size_t need = ctl_term_escape(hostile, sizeof hostile - 1, out, sizeof out);
	CHECK_EQ(need, strlen(hostile_esc));
	CHECK_STR(out, hostile_esc);
	/* NUL inside the bytes (invoke output, log text) is escaped too. */
	CHECK_EQ(ctl_term_escape("a\0b", 3, out, sizeof out), 6);
	CHECK_STR(out, "a\\x00b");
	/* Every bidi formatting character, and U+061C. */
	ctl_term_escape("\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9", 17,
			out, sizeof out);
	CHECK_STR(out, "\\u061c\\u200e\\u200f\\u202a\\u2066\\u2069");
	/* 4-byte UTF-8 passes; escaping twice changes nothing. */
	CHECK_EQ(ctl_term_escape("\xf0\x9f\x99\x82", 4, out, sizeof out), 4);
	char twice[512];
	ctl_term_escape(hostile, sizeof hostile - 1, out, sizeof out);
	ctl_term_escape(out, strlen(out), twice, sizeof twice);
	CHECK_STR(twice, out);
	/* Cut short when full, still NUL-terminated. */
	CHECK_EQ(ctl_term_escape("\x1b" "abc", 4, out, 3), 7);
	CHECK_STR(out, "\\x");
	char *d = ctl_term_dup("\x1b");
	CHECK(d && strcmp(d, "\\x1b") == 0);
	free(d);
}

static void test_term_table(void)
{
	static const char *const hdr[] = { "NAME", "VERSION", "STATE" };
	struct ctl_table t;
	char buf[1024] = "";
	ctl_table_init(&t, 3, hdr);
	const char *r1[] = { "hostile", "1\x1b[2J", "ok" };
	const char *r2[] = { "caf\xc3\xa9", "\xe2\x82\xac" "1", "ok" };
	CHECK_EQ(ctl_table_row(&t, r1), TH_OK);
	CHECK_EQ(ctl_table_row(&t, r2), TH_OK);
	FILE *f = fmemopen(buf, sizeof buf - 1, "w");
	ctl_table_print(&t, f);
	fclose(f);
	/* Escaped, and aligned by characters, not bytes. */
	CHECK_STR(buf,
		  "NAME     VERSION   STATE\n"
		  "hostile  1\\x1b[2J  ok\n"
		  "caf\xc3\xa9     \xe2\x82\xac" "1        ok\n");
	ctl_table_free(&t);
}

/* A command whose output is a module author's strings, as ls, tasks, log,
 * history and a kernel's refusal print them. */
static int hostile_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	(void)argc;
	(void)argv;
	fprintf(ctx->out, "out %s\n", hostile);
	fprintf(ctx->err, "err %s\n", hostile);
	fprintf(ctx->out, "%s", "no newline \x1b[0m");
	return CTL_EXIT_OK;
}

/* Runs cmd through ctl_fleet_run with stdout and stderr in files; returns
 * what each got. */
static void run_captured(const struct ctl_cmd *cmd, struct ctl_ctx *ctx, char *out,
			 char *err, size_t cap)
{
	FILE *fo = tmpfile(), *fe = tmpfile();
	int so = dup(1), se = dup(2);
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	char *argv[] = { (char *)cmd->name, NULL };
	CHECK_EQ(ctl_fleet_run(cmd, 1, argv, ctx), CTL_EXIT_OK);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	FILE *fs[2] = { fo, fe };
	char *bufs[2] = { out, err };
	for (int i = 0; i < 2; i++) {
		rewind(fs[i]);
		size_t n = fread(bufs[i], 1, cap - 1, fs[i]);
		bufs[i][n] = 0;
		fclose(fs[i]);
	}
}

/* A line longer than the filter holds back, in pieces that cut its UTF-8
 * sequences anywhere: it comes out whole, nothing escaped. */
static void test_term_long_line(void)
{
	static char text[3 * 4000 + 1], got[sizeof text];
	for (size_t i = 0; i < 4000; i++)   /* U+20AC, 3 bytes each */
		memcpy(text + 3 * i, "\xe2\x82\xac", 3);
	FILE *to = tmpfile();
	FILE *f = ctl_term_open(to);
	CHECK(f != NULL);
	setvbuf(f, NULL, _IONBF, 0);    /* every write reaches the filter */
	for (size_t at = 0, step = 1; at < sizeof text - 1; at += step, step = step % 7 + 1) {
		size_t n = sizeof text - 1 - at < step ? sizeof text - 1 - at : step;
		CHECK_EQ(fwrite(text + at, 1, n, f), n);
	}
	fclose(f);
	rewind(to);
	size_t n = fread(got, 1, sizeof got - 1, to);
	fclose(to);
	got[n] = 0;
	CHECK_EQ(n, sizeof text - 1);
	CHECK(strcmp(got, text) == 0);
}

static void test_term_output(void)
{
	static char out[4096], err[4096], want[4096];
	/* One host or a local command: ctx->out and ctx->err are escaped. */
	struct ctl_cmd local = { .name = "hostile", .main = hostile_main };
	struct ctl_ctx ctx;
	ctl_ctx_init(&ctx);
	run_captured(&local, &ctx, out, err, sizeof out);
	snprintf(want, sizeof want, "out %s\nno newline \\x1b[0m", hostile_esc);
	CHECK_STR(out, want);
	snprintf(want, sizeof want, "err %s\n", hostile_esc);
	CHECK_STR(err, want);
	CHECK(ctx.out == stdout && ctx.err == stderr);
	/* A fleet: each host's block is escaped as it is printed. */
	struct ctl_cmd remote = { .name = "hostile", .main = hostile_main, .needs_host = true };
	struct ctl_target tg[2] = { { .host = "127.0.0.1", .port = 9 },
				    { .host = "127.0.0.2", .port = 9 } };
	ctl_ctx_init(&ctx);
	ctx.targets = tg;
	ctx.n_targets = 2;
	ctx.jobs = 1;
	run_captured(&remote, &ctx, out, err, sizeof out);
	CHECK(strchr(out, '\x1b') == NULL && strchr(err, '\x1b') == NULL);
	CHECK(strchr(out, '\r') == NULL && strstr(out, "\xe2\x80\xae") == NULL);
	snprintf(want, sizeof want, "==> 127.0.0.1:9 <==\nout %s\nno newline \\x1b[0m", hostile_esc);
	CHECK(strncmp(out, want, strlen(want)) == 0);
	/* A streaming command (log -f) is escaped line by line. */
	remote.streams = true;
	run_captured(&remote, &ctx, out, err, sizeof out);
	snprintf(want, sizeof want, "127.0.0.1:9: out %s\n", hostile_esc);
	CHECK(strncmp(out, want, strlen(want)) == 0);
	CHECK(strchr(out, '\x1b') == NULL && strchr(err, '\x1b') == NULL);
}

int main(void)
{
	RUN(test_escape);
	RUN(test_writer);
	RUN(test_table);
	RUN(test_emit_and_status);
	RUN(test_report_messages);
	RUN(test_missing_export_hint);
	RUN(test_fmt_bytes);
	RUN(test_history_modules);
	RUN(test_history_stages);
	RUN(test_term_escape);
	RUN(test_term_table);
	RUN(test_term_output);
	RUN(test_term_long_line);
	return check_summary("ctl_fmt");
}

/*
 * ctl.h - theseusctl's one header: the context every subcommand gets, the
 * dispatch table entry, exit codes, global option parsing, the key file,
 * and the UDP transport (ctl/transport.c).
 *
 * A subcommand is one file ctl/cmd_<name>.c with
 *     int cmd_<name>_main(int argc, char **argv, struct ctl_ctx *ctx);
 * where argv[0] is the subcommand name; it returns an exit code (below) and
 * is listed in the table in ctl/main.c, which also generates --help.
 *
 * Fleet: main() runs a subcommand that needs a host once per target host
 * (ctl/fleet.c), concurrently, each with its own ctl_ctx copy whose out/err
 * are private buffers.  Subcommands print human output only when
 * ctl_human(ctx) and put their result fields into ctx->js (ctl/json.c); the
 * runner wraps them into one JSON object per host with --json.
 */
#ifndef THESEUS_CTL_H
#define THESEUS_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#include "err.h"
#include "wire.h"
#include "theseus.pb-c.h"
#include "session_cache.h"

/* Exit codes (documented in the usage text). */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_REMOTE = 1,      /* the kernel answered with an error */
	CTL_EXIT_USAGE = 2,       /* bad command line */
	CTL_EXIT_UNREACHABLE = 3, /* no answer (timeout), host unknown */
	CTL_EXIT_AUTH = 4,        /* refused as unauthenticated / key problem */
	CTL_EXIT_LOCAL = 5,       /* local problem: file unreadable, ... */
};

/* --mac: which request MAC theseusctl sends (proto/theseus.proto, 2a). */
enum ctl_mac_mode {
	CTL_MAC_AUTO = 0,   /* kind 1 once a sealed reply says the kernel takes it */
	CTL_MAC_HMAC,       /* HMAC-SHA256 (kind 0) always */
	CTL_MAC_POLY,       /* kind 1 always, from the first request */
};

#define CTL_DEFAULT_TIMEOUT_MS 1000
#define CTL_DEFAULT_RETRIES 5
#define CTL_PUSH_WINDOW_START 8
#define CTL_PUSH_WINDOW_MIN 8     /* a loss never shrinks the window below this */
#define CTL_PUSH_WINDOW_CLEAN 32  /* slow start's ceiling on a link without loss */
#define CTL_PUSH_WINDOW_LOSSY 128 /* held through losses while answers show progress */
#define CTL_PUSH_WINDOW_MAX 256   /* datagrams in flight at most (320 KB of chunks) */
#define CTL_PUSH_COPIES_MAX 4     /* extra copies of one chunk in flight (lossy only) */
#define CTL_PUSH_LOSSY_PCT 50     /* held window and copies: more of the push's datagrams lost */
#define CTL_PUSH_LOSSY_MIN_SENDS 16 /* ... out of at least this many sent */
#define CTL_PUSH_HOLD_RTOS 4      /* progress this recent holds the window on a loss */
#define CTL_PUSH_COLLAPSE_RTOS 4  /* no answer for this long: back to the minimum */
#define CTL_PUSH_ACK_EVERY 8      /* a push asks for a reply every 8th chunk (no loss) */
#define CTL_CALL_COPIES 4         /* datagrams per resend of a request that expired */
#define CTL_DEFAULT_JOBS 8        /* hosts served at once (-j) */
#define CTL_MAX_HOSTS 4096

/* ---- JSON output (ctl/json.c) --------------------------------------------- */

struct ctl_json {
	char *buf;
	size_t len, cap;
	int depth;
	bool comma[16];    /* per nesting level: a value was written already */
	bool oom;
};

/* Escapes n bytes as the inside of a JSON string (", \, control bytes and
 * bytes >= 0x80 as \u00XX) into out (cap bytes, NUL-terminated, cut short
 * when full); returns the length the whole escape needs. */
size_t ctl_json_escape(const char *s, size_t n, char *out, size_t cap);
void ctl_json_reset(struct ctl_json *j);
void ctl_json_free(struct ctl_json *j);
/* key is NULL inside arrays. */
void ctl_json_str(struct ctl_json *j, const char *key, const char *s);
void ctl_json_bytes(struct ctl_json *j, const char *key, const void *s, size_t n);
void ctl_json_u64(struct ctl_json *j, const char *key, uint64_t v);
void ctl_json_i64(struct ctl_json *j, const char *key, int64_t v);
void ctl_json_bool(struct ctl_json *j, const char *key, bool v);
void ctl_json_double(struct ctl_json *j, const char *key, double v);
void ctl_json_obj_begin(struct ctl_json *j, const char *key);
void ctl_json_obj_end(struct ctl_json *j);
void ctl_json_arr_begin(struct ctl_json *j, const char *key);
void ctl_json_arr_end(struct ctl_json *j);
/* The text so far ("" when empty). */
const char *ctl_json_text(const struct ctl_json *j);

/* ---- text for a terminal (ctl/term_text.c) --------------------------------- */

/* Escapes n bytes for a terminal: printable ASCII, newline, tab and
 * well-formed UTF-8 of printable characters unchanged; other control bytes
 * and bytes of malformed UTF-8 as \xNN; C1 controls and bidirectional
 * formatting characters as \uXXXX.  Into out (cap bytes, NUL-terminated,
 * cut short when full); returns the length the whole escape needs. */
size_t ctl_term_escape(const char *s, size_t n, char *out, size_t cap);
/* The escape of a NUL-terminated string, malloc'd (NULL: out of memory). */
char *ctl_term_dup(const char *s);
/* Writes the escape of n bytes to a FILE: TH_OK, TH_ENOMEM or TH_EIO. */
TH_MUST_CHECK int ctl_term_write(const char *s, size_t n, FILE *to);
/* A FILE whose lines are written escaped to `to` (the rest at fclose). */
FILE *ctl_term_open(FILE *to);

/* ---- aligned tables (ctl/table.c) ------------------------------------------ */

#define CTL_TABLE_MAX_COLS 12
struct ctl_table {
	size_t ncols, nrows, cap;
	const char *hdr[CTL_TABLE_MAX_COLS];
	bool right[CTL_TABLE_MAX_COLS];   /* right-align (numbers) */
	char **cells;                     /* nrows * ncols copies */
};
void ctl_table_init(struct ctl_table *t, size_t ncols, const char *const *headers);
void ctl_table_align_right(struct ctl_table *t, size_t col);
/* Adds a row of ncols strings (copied; NULL prints "-"). */
TH_MUST_CHECK int ctl_table_row(struct ctl_table *t, const char *const *cells);
/* Header and rows, columns padded to their widest cell, two spaces apart,
 * no trailing blanks. */
void ctl_table_print(const struct ctl_table *t, FILE *f);
void ctl_table_free(struct ctl_table *t);

/* ---- human-readable quantities (ctl/units.c) ------------------------------- */

/* n bytes in decimal units, one decimal from 1000 on: "999 B", "1.0 kB",
 * "12.3 MB", ... "18.4 EB"; always NUL-terminated (cut short if cap is). */
void ctl_fmt_bytes(uint64_t n, char *out, size_t cap);

/* One host to talk to. */
struct ctl_target {
	char host[256];
	uint16_t port;
	bool port_given;   /* else the --port / THESEUS_PORT / default port */
};

/* Retransmission timer (ctl/rto.c), microseconds: base = srtt + 4 * rttvar
 * from round trips of requests answered without a retransmission (before
 * any: CTL_RTO_INITIAL_US), between CTL_RTO_MIN_US and --timeout; rto =
 * base doubled per expiry (at most CTL_RTO_BACKOFF_MAX times, at most
 * --timeout), back to base on a new sample or on progress. */
struct ctl_rto {
	int64_t srtt, rttvar, base, rto, min, max;
	int backoff;        /* expiries since the last sample or progress */
	bool have_sample;
};
#define CTL_RTO_MIN_US 5000
#define CTL_RTO_INITIAL_US 20000  /* before the first sample (capped by --timeout) */
#define CTL_RTO_BACKOFF_MAX 1     /* rto at most base * 2 */
void ctl_rto_init(struct ctl_rto *r, int timeout_ms);
void ctl_rto_sample(struct ctl_rto *r, int64_t rtt_us);
void ctl_rto_backoff(struct ctl_rto *r);
void ctl_rto_backoff_full(struct ctl_rto *r);
void ctl_rto_progress(struct ctl_rto *r);
uint64_t ctl_mono_us(void);

/* A push's window and acknowledgement pace (ctl/push_window.c). */
struct ctl_push_window {
	double window, ssthresh;   /* below ssthresh the window grows by 1 per ack */
	uint32_t ask_every;        /* every ask_every-th chunk sent asks for a reply */
	uint64_t last_decrease_us;
	uint64_t last_answer_us;   /* the last sealed answer (or the push's start) */
	uint64_t last_progress_us; /* the last answer that acknowledged new chunks */
	bool decreased, progressed;
	bool lossy;                /* losses while answers show progress: hold the window */
	/* The undo of the last halving (see ctl_pw_spurious). */
	uint32_t episode;          /* halvings so far: the current episode */
	uint32_t ep_expired, ep_spurious;   /* chunks expired / shown spurious in it */
	bool undo_ok;              /* no sign of a real loss in it yet */
	double undo_window, undo_ssthresh;
	uint32_t undo_ask_every;
	uint32_t losses, decreases, holds, collapses, undos;   /* for THESEUSCTL_TRACE */
};
void ctl_pw_init(struct ctl_push_window *w, uint64_t now_us);
/* Datagrams (chunks and their copies) that may be in flight. */
uint32_t ctl_pw_slots(const struct ctl_push_window *w);
/* One more chunk acknowledged: the window grows. */
void ctl_pw_acked(struct ctl_push_window *w);
/* A sealed answer came at now_us; progress: it acknowledged new chunks
 * (ask for replies less often again). */
void ctl_pw_answer(struct ctl_push_window *w, uint64_t now_us, bool progress);
/* A chunk's timer expired at now_us (or an answer showed one missing):
 * ask for every reply.  heavy: most of the push's datagrams are lost (a
 * flood).  With heavy loss and progress within CTL_PUSH_HOLD_RTOS RTOs
 * the window is held at least at CTL_PUSH_WINDOW_LOSSY (lossy mode); with
 * no answer at all for CTL_PUSH_COLLAPSE_RTOS it collapses to the
 * minimum; otherwise it halves (at most once per rto_us).  True when it
 * shrank: the caller backs off. */
bool ctl_pw_lost(struct ctl_push_window *w, uint64_t now_us, int64_t rto_us, bool heavy);
/* n chunks' timers expired (after ctl_pw_lost for them): they join the
 * current episode, whose number is returned (remember it per chunk). */
uint32_t ctl_pw_expired(struct ctl_push_window *w, uint32_t n);
/* The receiver showed a chunk missing: a real loss, no undo this episode
 * (call it after the ctl_pw_lost for that loss, which may open one). */
void ctl_pw_missing(struct ctl_push_window *w);
/* A chunk that expired in `episode` was acknowledged without being sent
 * again.  When that was every chunk expired in the current episode, the
 * halving that opened it is undone (window, threshold, reply pace): true. */
bool ctl_pw_spurious(struct ctl_push_window *w, uint32_t episode);

struct ctl_ctx {
	/* options */
	char host[256];     /* this context's host (the first target before fan-out) */
	uint16_t port;
	struct ctl_target *targets;   /* -H (repeated, comma lists) and --hosts */
	size_t n_targets;
	char hosts_file[512];
	int jobs;           /* -j: hosts served at once */
	bool json;          /* --json: one JSON object per host on stdout */
	char key_file[512];
	bool have_key;
	char env_host_err[300], env_port_err[300];   /* bad THESEUS_HOST / _PORT */
	uint8_t key[PROTO_KEY_LEN];
	int timeout_ms;
	int retries;
	bool quiet;
	enum ctl_mac_mode mac_mode;   /* --mac */
	bool trace;         /* THESEUSCTL_TRACE set: per-call and per-push figures on stderr */
	bool no_session_cache;        /* --no-session-cache */
	struct ctl_sc *sc;  /* the session cache (one per process, NULL = none) */
	char key_fp[CTL_SC_FP_LEN + 1];   /* the key's name in it */
	/* transport state */
	int fd;
	struct sockaddr_in addr;
	uint64_t client_id; /* this session's (a new one after an ESTALE refusal) */
	uint64_t counter;   /* last counter used */
	uint64_t epoch;     /* the kernel's epoch as learned (0 = not yet) */
	uint32_t mac_kinds; /* Reply.mac_kinds of the last sealed reply (0 = HMAC only) */
	bool kinds_cached;  /* mac_kinds names kind 1 from the session cache, no sealed
			     * reply of this process said so yet: a refusal falls back */
	bool ks_valid;      /* ks is K_s of session (ks_epoch, ks_client_id) */
	uint64_t ks_epoch, ks_client_id;
	uint8_t ks[PROTO_SESSION_KEY_LEN];
	struct ctl_rto rto; /* retransmission timer from measured round trips */
	uint64_t replies_unauth;   /* replies dropped: no or a bad seal (key given) */
	uint64_t replies_unsealed_ok; /* of those: answers (status OK) with no seal at
				       * all, as a kernel booted without key= sends */
	uint64_t replies_unmatched;/* replies dropped: no request of ours waits for them */
	uint64_t stale_refusals;   /* ESTALE answers (epoch re-learned / new session) */
	FILE *out, *err;    /* stdout / stderr (tests redirect them) */
	FILE *out_raw;      /* stdout unescaped, for invoke's bytes (NULL: use out) */
	FILE *err_raw;      /* stderr unescaped, for push's progress bar (NULL: none) */
	/* result of this run, for --json and the fleet summary */
	const char *command;
	char label[280];    /* "host:port" */
	int status;         /* TH_E* of the failure ctl_report saw, 0 = none */
	bool status_remote; /* status came in the kernel's reply (its code, not our timeout) */
	char errmsg[512];
	struct ctl_json js; /* the command's result fields */
	bool fleet;         /* one of several hosts (output is buffered) */
};

struct ctl_cmd {
	const char *name;
	const char *args;   /* usage of the arguments */
	const char *help;   /* one line */
	bool needs_host;    /* opens the transport before running (once per host) */
	int (*main)(int argc, char **argv, struct ctl_ctx *ctx);
	bool streams;       /* runs until stopped (log -f): fleet output per line */
	bool drives_fleet;  /* runs once and talks to the targets itself (rollout) */
	const char *options;   /* its options, one per line, for `COMMAND --help` ("" none) */
};

/* Human output wanted: not --json, not -q. */
static inline bool ctl_human(const struct ctl_ctx *ctx) { return !ctx->json && !ctx->quiet; }

int cmd_ping_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_ls_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_push_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_swap_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_keygen_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_info_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_rollback_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_history_main(int argc, char **argv, struct ctl_ctx *ctx);
/* history's MODULES cell: "kv 1.0->2.0, hello none->1.0" ("none" = not
 * loaded), then " +N more" when the entry covers more modules than it lists. */
void ctl_history_modules(const Theseus__HistoryEntry *e, char *buf, size_t len);
/* The modules a history entry covers (module_count, or its items from older kernels). */
size_t ctl_history_module_count(const Theseus__HistoryEntry *e);
/* history's STAGES cell: the stage times and the pause of a transaction,
 * then " (message)" when it failed; a fault or quarantine entry (no
 * transaction: its times are all zero) shows its message instead, which
 * says what happened ("page fault at f+0x14 (address 0x0)"). */
void ctl_history_stages(const Theseus__HistoryEntry *e, char *buf, size_t len);
int cmd_state_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_log_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_invoke_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_lint_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_graph_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_tasks_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_rollout_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_exports_main(int argc, char **argv, struct ctl_ctx *ctx);
int cmd_profile_main(int argc, char **argv, struct ctl_ctx *ctx);

/* ---- options (ctl/options.c) -------------------------------------------- */

/* Defaults, then THESEUS_HOST / THESEUS_PORT / THESEUS_KEY_FILE. */
void ctl_ctx_init(struct ctl_ctx *ctx);
/* Parses global options up to the subcommand; *cmd_at = its index in argv
 * (argc when none).  Returns CTL_EXIT_OK or CTL_EXIT_USAGE (message on ctx->err). */
int ctl_parse_global(struct ctl_ctx *ctx, int argc, char **argv, int *cmd_at);
/* Adds the hosts of spec ("host[:port]" or a comma list of them) to the
 * targets.  TH_EINVAL / TH_ERANGE naming nothing (the caller reports spec). */
TH_MUST_CHECK int ctl_targets_add(struct ctl_ctx *ctx, const char *spec);
/* Adds the hosts listed in path: one host[:port] per line, blank lines and
 * '#' comments ignored.  Errors go to eb naming file and line: TH_ENOENT
 * when it cannot be read, TH_EINVAL for a bad line or a file that lists no
 * host. */
TH_MUST_CHECK int ctl_targets_load(struct ctl_ctx *ctx, const char *path, struct th_errbuf *eb);
/* The text of a hosts file (len bytes, name for messages), as
 * ctl_targets_load checks it: no NUL byte, comments of any length, a host
 * entry of at most CTL_HOSTS_LINE_MAX bytes; TH_EFULL past CTL_MAX_HOSTS
 * hosts.  A file is read whole, up to CTL_HOSTS_FILE_MAX bytes. */
#define CTL_HOSTS_LINE_MAX 511
#define CTL_HOSTS_FILE_MAX (4u << 20)
TH_MUST_CHECK int ctl_targets_parse(struct ctl_ctx *ctx, const char *name, const char *text,
				    size_t len, struct th_errbuf *eb);
void ctl_targets_free(struct ctl_ctx *ctx);
/* Drops every target that is an earlier one again (same IPv4 address after
 * resolution and same port; an unresolvable name: same name and port), with
 * a note on note (NULL: none) naming both; returns how many were dropped
 * (ctl/targets_dedup.c). */
size_t ctl_targets_dedup(struct ctl_ctx *ctx, FILE *note);
/* "host" or "host:port" (port 1..65535): a host name or IPv4 address
 * without blanks, commas or a second ':'.  TH_EINVAL (form), TH_ERANGE
 * (port), TH_ENOTSUP (an IPv6 address: not supported). */
TH_MUST_CHECK int ctl_parse_hostport(const char *s, char *host, size_t host_cap, uint16_t *port);
/* What is wrong, for an error of ctl_parse_hostport / ctl_targets_add. */
const char *ctl_hostport_why(int err);
/* Reads 64 hex digits (whitespace around is fine) from path; a key file
 * that its group or others may read gets a warning on warn (NULL: none). */
TH_MUST_CHECK int ctl_key_load(const char *path, uint8_t key[PROTO_KEY_LEN],
			       struct th_errbuf *eb, FILE *warn);
/* --mac VALUE: "auto", "hmac" or "poly1305"; TH_EINVAL for anything else. */
TH_MUST_CHECK int ctl_parse_mac(const char *s, enum ctl_mac_mode *out);
/* The MAC kind the next datagram of ctx carries (PROTO_MAC_KIND_*), from
 * --mac and the kinds the kernel named (ctl/transport.c). */
uint32_t ctl_mac_kind(const struct ctl_ctx *ctx);
/* Exit code for a protocol status or local error code. */
int ctl_exit_for(int err);
/* Exit code for err as ctx's last report saw it: a code the kernel answered
 * with is CTL_EXIT_REMOTE even when it is ETIMEDOUT (module code cut by the
 * watchdog) or ENODEV, which from theseusctl itself mean "no answer". */
int ctl_exit_status(const struct ctl_ctx *ctx, int err);
const struct ctl_cmd *ctl_cmd_find(const char *name);
void ctl_usage(FILE *f);
/* `theseusctl COMMAND --help`: the command's usage, what it does, its options. */
void ctl_cmd_usage(const struct ctl_cmd *cmd, FILE *f);

/* ---- transport (ctl/transport.c) ---------------------------------------- */

TH_MUST_CHECK int ctl_tx_open(struct ctl_ctx *ctx, struct th_errbuf *eb);
void ctl_tx_close(struct ctl_ctx *ctx);
/* Sends req with the next counter in the current session and epoch; *b =
 * what the datagram is bound to (its reply must be sealed for exactly that). */
TH_MUST_CHECK int ctl_tx_send(struct ctl_ctx *ctx, const Theseus__Request *req,
			      struct proto_binding *b);
/* Which of our requests a reply names: returns the binding the reply must
 * be sealed for, or NULL when none of ours waits for (client_id, counter). */
typedef const struct proto_binding *(*ctl_match_fn)(void *arg, uint64_t client_id,
						     uint64_t counter);
/* Waits up to timeout_ms for a reply that match() accepts and, when we have
 * a key, whose seal is valid for the binding match() named; every other
 * datagram is dropped and counted (replies_unauth, replies_unmatched) and
 * the wait goes on.  TH_OK with *rep (free with theseus__reply__free_unpacked)
 * and *bound = the binding, or TH_ETIMEDOUT.  A sealed reply's epoch and
 * mac_kinds go into the session cache.  TH_EAUTH (no reply) when a request
 * sent with a kind-1 MAC that only the cache vouched for was refused
 * unsealed: the kernel may not take kind 1; ctx is back to HMAC, resend. */
TH_MUST_CHECK int ctl_tx_recv(struct ctl_ctx *ctx, int timeout_ms, ctl_match_fn match,
			      void *arg, Theseus__Reply **rep, const struct proto_binding **bound);
/* After an authenticated ESTALE reply to request b: re-learns the epoch (a
 * reply naming another epoch than b's), or starts a new session (new client
 * id, counter above the floor the kernel named).  Then resend. */
void ctl_tx_stale(struct ctl_ctx *ctx, const Theseus__Reply *rep, const struct proto_binding *b);
/* Falls back to HMAC when ctx->kinds_cached (a request with the cached
 * kind-1 MAC was refused unsealed or went unanswered); true if it did. */
bool ctl_tx_kind_fallback(struct ctl_ctx *ctx);
/* Writes the session cache if a sealed reply taught it something. */
void ctl_tx_cache_flush(struct ctl_ctx *ctx);
/* One request, waiting for its reply: retransmitted after the RTO (doubled
 * each time; max(--timeout, 1 s) for the non-idempotent rollback and invoke), each
 * retry a fresh datagram; a late answer to any earlier
 * attempt counts; ESTALE refusals are handled (ctl_tx_stale) and resent at
 * once, and so is a refusal of the cached kind-1 MAC (ctl_tx_kind_fallback).  Gives up after --retries retransmissions and at least --timeout *
 * (--retries + 1): TH_ETIMEDOUT, or TH_EAUTH when only unauthenticated
 * replies came (wrong key).  Returns the reply's status otherwise; *rep is
 * the reply when one came.  Never returns an unauthenticated reply when a
 * key is given. */
TH_MUST_CHECK int ctl_call(struct ctl_ctx *ctx, const Theseus__Request *req,
			   Theseus__Reply **rep);
/* What to check after error err of a call (rep: its reply, NULL when none
 * came), " (...)" or "": a wrong or missing key, no answer, ... */
const char *ctl_err_hint(const struct ctl_ctx *ctx, int err, const Theseus__Reply *rep);
/* Records a failed call (ctx->status, ctx->errmsg) and, unless --json,
 * prints "theseusctl: host:port: what: ENAME: message (what to do next)". */
void ctl_report(struct ctl_ctx *ctx, const char *what, int err, const Theseus__Reply *rep);
/* Records and prints a local failure (file unreadable, ...) the same way. */
void ctl_fail(struct ctl_ctx *ctx, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* One call that must return payload `want`: reports and returns an error
 * otherwise (*rep is freed then). */
TH_MUST_CHECK int ctl_call_expect(struct ctl_ctx *ctx, const char *what,
				  const Theseus__Request *req, int want, Theseus__Reply **rep);

/* ---- fleet (ctl/fleet.c) ------------------------------------------------------ */

/* Runs cmd (argv[0] = its name) against every target, at most ctx->jobs at
 * once; prints each host's output as it completes, one JSON object per host
 * with --json, and a summary on stderr when several hosts were asked and
 * any failed.  Returns 0 if all succeeded, else the exit code of the first
 * failed host (in target order).  For commands without a host: runs once. */
int ctl_fleet_run(const struct ctl_cmd *cmd, int argc, char **argv, struct ctl_ctx *base);
/* Calls fn(ctx, idx[k], arg) for k = 0..n-1, at most base->jobs at once, each
 * with a private copy of base for the target base->targets[idx[k]] with its own
 * socket; ctx->json is set so that failures are recorded (ctx->status,
 * ctx->errmsg), not printed.  When the socket cannot be opened, fn still
 * runs, with ctx->fd < 0 and the reason in ctx->errmsg. */
void ctl_fleet_map(struct ctl_ctx *base, const size_t *idx, size_t n,
		   void (*fn)(struct ctl_ctx *ctx, size_t target, void *arg), void *arg);
/* Prints the JSON object of ctx's result so far (host, command, ok, status,
 * error, then ctx->js) and clears ctx->js: log -f uses it per chunk. */
void ctl_json_emit(struct ctl_ctx *ctx, int exit_code);
/* Records and prints "usage: theseusctl <usage>"; returns CTL_EXIT_USAGE. */
int ctl_usage_fail(struct ctl_ctx *ctx, const char *usage);
/* Status name of a result: "OK", a TH_E* name, or "EUSAGE"/"ELOCAL". */
const char *ctl_status_name(int status, int exit_code);

/* ---- push (ctl/push.c), used by push and swap ----------------------------- */

TH_MUST_CHECK int ctl_read_file(const char *path, uint8_t **data, size_t *len,
				struct th_errbuf *eb);
/* Pushes an object with a window of chunks in flight; returns the exit code. */
int ctl_push_object(struct ctl_ctx *ctx, const char *label, const uint8_t *data, size_t len,
		    const uint8_t sha[PROTO_SHA256_LEN]);
void ctl_hex(const uint8_t *b, size_t n, char *out);  /* out: 2n+1 bytes */

/* hint_export.c: the kernel's ENOSYM refusal of a swap or rollback that
 * would take away an export a loaded module uses ("DEP uses SYM of module
 * MOD; ..."), parsed (TH_EINVAL for another message), and the hint printed
 * after it (nothing with --json or another message). */
struct ctl_missing_export {
	char dependent[32], symbol[128], module[32];
};
int ctl_parse_missing_export(const char *msg, struct ctl_missing_export *out);
void ctl_hint_missing_export(struct ctl_ctx *ctx, bool rollback);

/* ---- what lint resolves against (ctl/lint_target.c) ------------------------ */

struct ctl_lint_sym {
	char *name, *owner;     /* owner: "the kernel" or a module name */
	bool strong;
};
struct ctl_lint_syms {
	struct ctl_lint_sym *v;
	size_t n, cap;
	unsigned api;           /* module API of the export list (0: none read) */
	uint64_t generation;    /* of a running kernel's list (exports_fetch.c) */
};
/* Adds one symbol (name and owner copied). */
TH_MUST_CHECK int ctl_lint_add_sym(struct ctl_lint_syms *t, const char *name, const char *owner,
				   bool strong);
/* Reads an exports.txt ("module-api N", then one name a line; # comments). */
TH_MUST_CHECK int ctl_lint_load_exports(struct ctl_lint_syms *t, const char *path,
					struct th_errbuf *eb);
/* Adds the exports of a module object (TH_EXPORT / TH_INVOKE symbols). */
TH_MUST_CHECK int ctl_lint_add_object(struct ctl_lint_syms *t, const uint8_t *data, size_t len,
				      const char *path, struct th_errbuf *eb);
/* The installed export list beside this program (PREFIX/share/theseus/ or
 * the build tree's build/kit/), written into buf; NULL if there is none. */
const char *ctl_lint_default_exports(char *buf, size_t cap);
/* struct loader_lint_target callbacks over a struct ctl_lint_syms. */
const char *ctl_lint_lookup(void *ctx, const char *name);
bool ctl_lint_strong(void *ctx, const char *name);
void ctl_lint_free(struct ctl_lint_syms *t);

/* ---- the running kernel's export list (ctl/exports_fetch.c) --------------- */

/* Reads it through ctx's open transport into t (emptied first): the kernel's
 * exports with owner "the kernel", loaded modules' with their module (weak
 * ones not strong), t->api = its module API, t->generation its generation
 * (changes with every load, swap, unload).  Re-read from the start when it
 * changes between pages.  Returns an exit code (failures reported). */
int ctl_exports_fetch(struct ctl_ctx *ctx, struct ctl_lint_syms *t);

#endif

/*
 * rollout.h - staged fleet rollouts (`theseusctl rollout`): the wave and
 * failure-budget arithmetic (ctl/rollout_plan.c, pure), the state file
 * (ctl/rollout_state.c) and its lock (ctl/rollout_lock.c), the per-host steps (ctl/rollout_host.c), the
 * output (ctl/rollout_report.c) and the orchestration (ctl/cmd_rollout.c).
 */
#ifndef THESEUS_CTL_ROLLOUT_H
#define THESEUS_CTL_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "klibc.h"
#include "ctl.h"

/* ---- waves and budgets (ctl/rollout_plan.c) -------------------------------- */

#define ROLLOUT_MAX_WAVES 32
#define ROLLOUT_SPEC_MAX 256         /* characters of a --waves / --max-fail spec */
#define ROLLOUT_ITEM_MAX 12          /* characters of one item ("100%", "4096") */
#define ROLLOUT_COUNT_MAX 1000000    /* a count item above this is a typo */
#define ROLLOUT_DEFAULT_WAVES "1,100%"

/* One item of --waves: a host count, or a percentage of the fleet. */
struct rollout_amount {
	bool pct;
	uint32_t value;   /* count 1..ROLLOUT_COUNT_MAX, or percent 1..100 */
};

struct rollout_waves {
	uint32_t n;
	struct rollout_amount item[ROLLOUT_MAX_WAVES];
};

/* Parses "1,10%,100%": comma-separated counts or percentages (integers, no
 * blanks), cumulative.  TH_EINVAL / TH_ERANGE with a message naming the item. */
TH_MUST_CHECK int rollout_waves_parse(const char *spec, struct rollout_waves *out,
				      struct th_errbuf *eb);
/* Cumulative host counts of the waves for a fleet of n_hosts (>= 1): a count
 * is capped at the fleet, a percentage rounds up (at least one host); waves
 * that add no host are dropped; when the list stops short of the fleet a last
 * wave takes the rest.  ends[0..*n_waves) is strictly increasing and ends
 * with n_hosts.  TH_EINVAL when a target is below an earlier one. */
TH_MUST_CHECK int rollout_waves_resolve(const struct rollout_waves *w, size_t n_hosts,
					size_t ends[ROLLOUT_MAX_WAVES + 1], size_t *n_waves,
					struct th_errbuf *eb);
/* --max-fail N or N% (N% of the fleet, rounded down). */
TH_MUST_CHECK int rollout_budget_parse(const char *spec, struct rollout_amount *out,
				       struct th_errbuf *eb);
size_t rollout_budget_resolve(const struct rollout_amount *b, size_t n_hosts);

/* ---- state file (ctl/rollout_state.c) -------------------------------------- */

enum rollout_host_state {
	RH_PENDING = 0,    /* not reached yet */
	RH_SWAPPING,       /* swap sent: the host may run either object */
	RH_DONE,           /* runs the new object, healthy */
	RH_FAILED,         /* unreachable, refused or unhealthy */
	RH_ROLLED_BACK,    /* back on its old object (verified) */
};

struct rollout_state_host {
	char label[280];                       /* host:port */
	enum rollout_host_state st;
	char old_version[PROTO_VERSION_MAX];
	char old_hash[2 * PROTO_SHA256_LEN + 1];   /* hex, "" when unknown */
};

struct rollout_state {
	unsigned version;                      /* of the file read: 1 (no hosts list) or 2 */
	char module[PROTO_NAME_MAX];
	char new_hash[2 * PROTO_SHA256_LEN + 1];
	char waves[ROLLOUT_SPEC_MAX + 1];      /* --waves of the rollout ("" unknown: v1) */
	size_t stopped_wave;                   /* it STOPPED in this wave (1-based), 0 = not */
	size_t n, cap;
	struct rollout_state_host *hosts;      /* v2: every host of the rollout, in order */
};

#define ROLLOUT_STATE_LINE_MAX 512
const char *rollout_state_name(enum rollout_host_state st);
/* Reads a state file (version 1 or 2); TH_ENOENT when it does not exist,
 * TH_EINVAL naming the file and line for anything malformed. */
TH_MUST_CHECK int rollout_state_load(const char *path, struct rollout_state *s,
				     struct th_errbuf *eb);
/* Parses the text of a state file (len bytes; name is for messages). */
TH_MUST_CHECK int rollout_state_parse(const char *name, const char *text, size_t len,
				      struct rollout_state *s, struct th_errbuf *eb);
/* Writes the whole file atomically (path.tmp, then rename), as version 2:
 * waves, stopped wave, every host in order (pending ones too). */
TH_MUST_CHECK int rollout_state_save(const char *path, const struct rollout_state *s,
				     struct th_errbuf *eb);
/* The text rollout_state_save writes, on f (which rollout_state_parse reads
 * back to the same state, as version 2). */
void rollout_state_format(FILE *f, const struct rollout_state *s);
/* The entry of label, created (pending) when absent; NULL when out of memory. */
struct rollout_state_host *rollout_state_host(struct rollout_state *s, const char *label);
const struct rollout_state_host *rollout_state_find(const struct rollout_state *s,
						    const char *label);
void rollout_state_free(struct rollout_state *s);
/* Whether the rollout s records is the one of the hosts labels[0..n) (in
 * this order; a version-1 file, which lists only the hosts it reached:
 * each of them among labels).  Else TH_ECONFLICT, eb naming the hosts
 * that differ. */
TH_MUST_CHECK int rollout_state_same_hosts(const struct rollout_state *s, const char *path,
					   const char *const *labels, size_t n, struct th_errbuf *eb);

/* One run per state file (ctl/rollout_lock.c): an exclusive flock on
 * path.lock (created beside it, kept) until rollout_state_unlock(fd).
 * TH_EBUSY naming path (and the holder's pid) when another run holds it;
 * TH_EIO when the lock file cannot be opened. */
TH_MUST_CHECK int rollout_state_lock(const char *path, int *fd, struct th_errbuf *eb);
void rollout_state_unlock(int fd);

/* ---- per-host steps (ctl/rollout_host.c) ----------------------------------- */

struct rollout_obj {
	const char *module, *file;
	uint8_t *data;
	size_t len;
	uint8_t sha[PROTO_SHA256_LEN];
	char hex[2 * PROTO_SHA256_LEN + 1];
};

struct rollout_checks {
	const char *function;      /* --check: invoke MODULE FUNCTION, must be OK */
	const char *cmd;           /* --check-cmd: sh -c CMD with THESEUS_HOST */
	const char *key_file;      /* exported to CMD as THESEUS_KEY_FILE (absolute; NULL: none) */
	bool faults;               /* no fault entry for MODULE in the history */
};

/* What the rollout knows and did on one host. */
struct rollout_host {
	char label[280];
	size_t wave;                 /* 1-based */
	bool reached;                /* a wave took it */
	bool attempted;              /* a swap was sent: the host may run the new object */
	bool swapped;                /* this run (or a recorded one) put the new object on it */
	bool already;                /* ran the new object before this run touched it */
	bool failed;
	bool rolled_back;
	bool rollback_failed;
	char old_version[PROTO_VERSION_MAX], old_hash[2 * PROTO_SHA256_LEN + 1];
	char new_version[PROTO_VERSION_MAX], new_hash[2 * PROTO_SHA256_LEN + 1];
	char check[160];             /* "ok", "skipped", "failed: ..." */
	char error[600];
	uint64_t swap_seq;           /* history seq of the swap (0 = unknown) */
	bool have_swap_seq;
	long ms_update, ms_check, ms_rollback;
};

/* ls: the module's version and hash ("" and "" when it is not loaded). */
TH_MUST_CHECK int rollout_host_read(struct ctl_ctx *ctx, const char *module,
				    char version[PROTO_VERSION_MAX],
				    char hash[2 * PROTO_SHA256_LEN + 1]);
/* Reads the module, pushes the object and swaps it in with compare-and-swap
 * on the version just read (nothing when it runs the object already);
 * before_swap(h, arg) runs just before the swap is sent (to record it). */
TH_MUST_CHECK int rollout_host_update(struct ctl_ctx *ctx, const struct rollout_obj *o,
				      struct rollout_host *h,
				      void (*before_swap)(struct rollout_host *h, void *arg),
				      void *arg);
/* Health checks (--check, the history's faults, --check-cmd, then ls: the host
 * must still run the new object); fills h->check.  TH_OK when healthy. */
TH_MUST_CHECK int rollout_host_check(struct ctl_ctx *ctx, const struct rollout_obj *o,
				     const struct rollout_checks *c, struct rollout_host *h);
/* Back to h->old_hash: a rollback request when the host runs the new object
 * (unloading it when h->old_hash is "": the swap was its first load), then
 * ls to verify the hash (or that it is gone).  Nothing when it runs the old
 * object. */
TH_MUST_CHECK int rollout_host_revert(struct ctl_ctx *ctx, const struct rollout_obj *o,
				      struct rollout_host *h);

/* ---- output (ctl/rollout_report.c) ---------------------------------------- */

struct rollout_totals {
	size_t n, waves, stopped_wave;   /* stopped_wave: 1-based, 0 = complete */
	size_t failed, budget;
	size_t rolled, rb_failed, updated, already, reached;   /* rollout_count() */
	long ms;
};

void rollout_count(const struct rollout_host *hosts, size_t n, struct rollout_totals *t);
/* "wave 1  host:port  hello 1.0 (2cf24dba5fb0) -> 1.1 (...)  check ok  (...)" */
void rollout_print_host(struct ctl_ctx *ctx, const struct rollout_obj *o,
			const struct rollout_host *h);
/* "rollback  host:port  hello -> 1.0 (2cf24dba5fb0) verified  (3 ms)" */
void rollout_print_revert(struct ctl_ctx *ctx, const struct rollout_obj *o,
			  const struct rollout_host *h);
/* One JSON object line: host, command, module, wave, status, old_version,
 * old_hash, new_version, new_hash, check, timings{...}, rolled_back,
 * rollback_failed, error. */
void rollout_print_json(struct ctl_ctx *ctx, const struct rollout_obj *o,
			const struct rollout_host *h);
/* The summary on stderr (nothing with -q after a clean complete run). */
void rollout_print_summary(struct ctl_ctx *ctx, const struct rollout_obj *o,
			   const struct rollout_host *hosts, const struct rollout_totals *t);

#endif

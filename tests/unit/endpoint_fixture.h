/*
 * endpoint_fixture.h - an in-memory kernel backend for the endpoint core
 * (modules table, swap with compare-and-swap, a settable clock) and helpers
 * to build request datagrams.  Used by the unit tests, the host UDP server
 * endpoint_udpd and the fuzzer.
 */
#ifndef THESEUS_ENDPOINT_FIXTURE_H
#define THESEUS_ENDPOINT_FIXTURE_H

#include "klibc.h"
#include "endpoint.h"
#include "module_abi.h"
#include "theseus.pb-c.h"

#define FX_MAX_MODULES 16

#define FX_MAX_HISTORY 32
#define FX_LOG_RING 4096          /* log ring bytes (small: tests wrap it) */
#define FX_KV_SLOTS 8
#define FX_MODULE_API TH_MODULE_API /* the module API its export list names */

struct fx_module {
	struct endpoint_module m;
	uint64_t swaps;           /* times replaced */
	bool has_prev;            /* what a rollback returns to */
	char prev_version[PROTO_VERSION_MAX];
	uint8_t prev_sha[PROTO_SHA256_LEN];
	uint64_t prev_size;
};

struct fx_backend {
	uint64_t now_ms;          /* the clock; tests move it */
	bool real_clock;          /* use CLOCK_MONOTONIC instead */
	uint32_t n;
	struct fx_module mods[FX_MAX_MODULES];
	int fail_swap;            /* nonzero: the next swap fails with this */
	uint64_t swap_calls;
	/* history of swaps and rollbacks, oldest first */
	uint32_t n_hist;
	struct endpoint_history hist[FX_MAX_HISTORY];
	/* log ring: absolute positions like the kernel's */
	char log[FX_LOG_RING];
	uint64_t log_head;
	/* statedb: three fixed entries plus extra_state generated ones */
	uint32_t extra_state;
	/* tasks: main and idle, extra_tasks generated lines, the policy line */
	uint32_t tasks_shrink;          /* tasks that end after each listing (churn) */
	uint32_t extra_tasks;
	/* exports: three kernel ones, extra_exports generated, hello's and kv's */
	uint32_t extra_exports;
	uint64_t exports_generation;   /* what the list's generation reads */
	uint32_t exports_reads;        /* export_count calls so far */
	uint32_t exports_bump_at;      /* that call (1-based) changes the generation */
	bool exports_bump_always;      /* every call does (a list always changing) */
	/* kv (invoke kv.kv_invoke_put / kv_invoke_get) and hello's counter */
	char kv_key[FX_KV_SLOTS][32], kv_val[FX_KV_SLOTS][64];
	uint64_t hello_calls;
	/* info: a NIC (8086:100e 82540EM, driver e1000 1.0) with these
	 * counters when has_nic; none (no counters sent) otherwise */
	bool has_nic;
	struct endpoint_nic_counters nic;
	/* info: the tables' use (InfoReply.usage) when has_usage; not sent otherwise */
	bool has_usage;
	struct endpoint_usage usage;
	/* profile: a fixed report of 4 entries plus profile_extra generated
	 * ones (1 sample each; 63-byte names with profile_long_names) once
	 * started; empty right after a start */
	bool profile_running, profile_started, profile_has_data, profile_long_names;
	uint32_t profile_extra;
	uint64_t profile_lost;
	uint32_t profile_refreshes;    /* reports recomputed (refresh) */
	/* the next profile_churn page reads (offset > 0) find the report
	 * recomputed meanwhile, as by another client: one more sample each */
	uint32_t profile_churn, profile_gen;
	/* random_u64: xorshift from this state (deterministic unless seeded) */
	uint64_t rng;
};

/* Appends text to the fixture's log ring. */
void fx_log(struct fx_backend *fx, const char *text);

/* Appends an entry to the history ring (and a line to the log). */
void fx_history_add(struct fx_backend *fx, bool rollback, int err, const char *name,
		    const char *from, const char *to, const char *msg);

/* Backend with modules "hello" 1.0 and "kv" 2.3 (hashes of their names). */
void fx_backend_init(struct fx_backend *fx);
struct endpoint_ops fx_ops(struct fx_backend *fx);
/* New version string of an object: text after "VERSION=" up to a newline
 * when the object starts with it, else "v-<first 8 hex digits of sha>". */
void fx_object_version(const uint8_t *obj, size_t len, const uint8_t *sha, char out[32]);

/* The epoch fx_datagram binds requests to (tests set it from
 * endpoint_epoch(), or to another value to test refusals). */
extern uint64_t fx_epoch;

/* Packs req into a datagram bound to fx_epoch (key NULL: no MAC). */
size_t fx_datagram(const uint8_t *key, uint32_t version, uint64_t client, uint64_t counter,
		   const Theseus__Request *req, uint8_t *out, size_t cap);
/* Packs req bound to b (key NULL: no MAC). */
size_t fx_datagram_bound(const uint8_t *key, uint32_t version, const struct proto_binding *b,
			 const Theseus__Request *req, uint8_t *out, size_t cap);

/* A compare-and-swap of one module as a Request, in storage the caller keeps
 * (fx_swap_request fills s and returns &s->req). */
struct fx_swap_req {
	Theseus__Request req;
	Theseus__SwapRequest sr;
	Theseus__SwapItem it, *items[1];
};
Theseus__Request *fx_swap_request(struct fx_swap_req *s, const char *module,
				  const char *expected_version, const uint8_t sha[32]);

#endif

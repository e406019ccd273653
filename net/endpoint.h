/*
 * endpoint.h - the control endpoint's request-handling core (pure logic, no
 * sockets), plus the envelope/MAC helpers that theseusctl shares with it.
 *
 * The kernel owns the UDP socket; for every datagram received on the
 * endpoint port it calls endpoint_handle() and, when that returns TH_OK,
 * sends the reply bytes back to the sender.  The core decodes the envelope
 * (protobuf-c, proto/theseus.proto), checks the protocol version,
 * authenticates (HMAC-SHA256 under a 32-byte key, replay window per client),
 * keeps the bounded staging area of pushed objects, and calls the kernel
 * through struct endpoint_ops for everything else (module list, swap).
 *
 * Call order:  endpoint_create() -> endpoint_handle()* -> endpoint_destroy().
 * Not thread-safe: call from one context (the network poll loop), except
 * endpoint_hash_work (a hash worker on another CPU, below).
 * Builds for the kernel (THESEUS_KERNEL) and the host (tests, udpd, ctl).
 *
 * Guarantees (also in the README; the client's rules: proto/theseus.proto):
 *  - Every boot (and every epoch change) has a fresh random epoch; a request
 *    with a valid MAC but another epoch, a replayed counter, or a counter not
 *    above the floor changes nothing and gets ESTALE naming the current epoch
 *    (and floor), in a sealed reply.
 *  - A datagram with a bad or missing MAC (key configured) changes nothing
 *    and gets at most status EAUTH "unauthenticated", never more bytes than
 *    it had (else no reply).
 *  - Every reply to a request whose MAC was valid is sealed (wire.h): MAC'd
 *    and bound to the request's epoch, client id and counter.
 *  - With no key configured only read-only requests (ping, info, ls, object
 *    status, history, state, log, graph, tasks, exports) are served; the others
 *    (push, swap, rollback, invoke, profile) get EAUTH "no key configured ...".
 *  - Chunks are idempotent; an object is usable only once complete and its
 *    SHA-256 verified; the staging area is bounded and makes room for a new
 *    object by evicting anything not pinned by a running swap (taken objects
 *    first, then incomplete ones least recently progressed, then complete
 *    ones), so no client can wedge it; objects of a failed swap are freed.
 *  - Swaps are compare-and-swap on module versions; retrying a swap that
 *    already took effect reports success ("already").
 */
#ifndef THESEUS_ENDPOINT_H
#define THESEUS_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "wire.h"   /* the protocol's limits, status mapping, MAC (proto/) */

struct th_errbuf;   /* klibc.h */

#define ENDPOINT_REPLAY_WINDOW 64      /* counters remembered per client */
#define ENDPOINT_MAX_CLIENTS 32        /* clients tracked (LRU) */
#define ENDPOINT_MAX_DEPS 8            /* dependencies listed per module */
#define ENDPOINT_MAX_STAGES 8          /* stage times per swap report */
#define ENDPOINT_DEFAULT_STAGING_OBJECTS 16
#define ENDPOINT_DEFAULT_STAGING_BYTES (16u << 20) /* kernel: staging=SIZE */
#define ENDPOINT_MIN_STAGING_BYTES (64u << 10)
#define ENDPOINT_MAX_STAGING_BYTES (1u << 30)
#define ENDPOINT_DEFAULT_STALE_MS 30000 /* idle object becomes evictable */
/* reply_cap below this is refused: every reply the protocol allows (up to
 * PROTO_MAX_DATAGRAM bytes, sealed) must fit; pages are cut to it. */
#define ENDPOINT_MIN_REPLY_CAP PROTO_MAX_DATAGRAM
#define ENDPOINT_LOG_CHUNK 1024        /* log bytes per reply */
#define ENDPOINT_MAX_EDGES 16          /* dependency targets per graph node */
#define ENDPOINT_HISTORY_ITEMS 4       /* modules listed per history entry */
#define ENDPOINT_TASKS_TEXT 24576      /* task listing bytes served: TASK_MAX lines fit
                                        * (kernel_queries.c checks); a longer one is cut
                                        * at a line, with a line saying so */
#define ENDPOINT_SYMBOL_MAX 256        /* exported symbol name incl. NUL */
#define ENDPOINT_PROFILE_NAME 64       /* profile function/module name incl. NUL (63 bytes) */
#define ENDPOINT_PROFILE_CPUS 16       /* CPUs a profile report lists at most */


/* ---- what the kernel supplies ------------------------------------------- */

/* The NIC core's counters of the NIC in use (InfoReply.nic_counters in
 * proto/theseus.proto says what each counts). */
struct endpoint_nic_counters {
	uint64_t rx_packets, rx_bytes, rx_drops, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_drops, tx_errors;
	uint64_t irqs;
};

struct endpoint_info {
	char kernel_version[64];
	uint64_t uptime_ms;
	char address[48];          /* e.g. "10.0.2.15:7700" */
	uint64_t mem_total, mem_used;
	uint32_t cpus;                  /* CPUs running */
	char nic_pci_id[16];       /* "8086:100e", "" without a NIC */
	char nic_model[32];        /* "82540EM" */
	char nic_driver[32];       /* the bound driver module, "e1000" */
	char nic_driver_version[16];
	bool has_nic_counters;     /* nic_counters filled (false: no NIC, not sent) */
	struct endpoint_nic_counters nic_counters;
	bool has_usage;            /* usage filled (false: not sent) */
	struct endpoint_usage {
		uint32_t statedb_entries, statedb_entries_max;
		uint64_t statedb_bytes, statedb_bytes_max, statedb_largest_free;
		uint32_t tasks, tasks_max;
	} usage;
};

struct endpoint_module {
	char name[PROTO_NAME_MAX];
	char version[PROTO_VERSION_MAX];
	uint8_t sha256[PROTO_SHA256_LEN]; /* of the object it was loaded from */
	uint64_t size;
	uint64_t load_address;
	uint32_t n_deps;
	char deps[ENDPOINT_MAX_DEPS][PROTO_NAME_MAX];
	bool quarantined;   /* refused calls after repeated faults: a swap of the
			     * object it runs is not "already done" but a fresh copy */
};

/* One module to replace; object/size point into the staging area and are
 * valid only during the swap call (the kernel copies what it keeps).
 * sha256 is the object's hash as the staging area verified it: the kernel
 * takes it as given and does not hash the object again. */
struct endpoint_swap_item {
	const char *module;
	const char *expected_version;  /* "" = module must not be loaded yet */
	const uint8_t *sha256;
	const uint8_t *object;
	size_t size;
};

struct endpoint_stage_time {
	char stage[16];
	uint64_t ns;
};

/* Filled by ops->swap on success (zeroed before the call). */
struct endpoint_swap_report {
	char new_version[PROTO_MAX_SWAP_ITEMS][PROTO_VERSION_MAX]; /* per item */
	uint32_t n_stages;
	struct endpoint_stage_time stages[ENDPOINT_MAX_STAGES];
};

/* One swap history entry (ops->history_get). */
struct endpoint_history {
	uint64_t seq, when_ns;
	int err;
	char kind[16];             /* "load", "swap", "rollback", "unload", "restart",
				    * "fault", "quarantine" (proto: HistoryEntry.kind);
				    * "" = unknown */
	bool rollback, unchanged;
	uint32_t n_modules;        /* modules the entry covers (0 = n_items) */
	uint32_t n_items;          /* listed in item[], at most ENDPOINT_HISTORY_ITEMS */
	struct {
		char name[PROTO_NAME_MAX];
		char from[PROTO_VERSION_MAX], to[PROTO_VERSION_MAX];
	} item[ENDPOINT_HISTORY_ITEMS];
	uint64_t sites;
	uint32_t n_stages;
	struct endpoint_stage_time stages[ENDPOINT_MAX_STAGES];
	uint64_t total_ns;
	uint64_t pause_ns;         /* stop-the-world: every CPU stopped */
	uint32_t cpus;             /* CPUs running during the swap */
	char msg[128];
};

/* One statedb entry (ops->state_next). */
struct endpoint_state {
	char name[PROTO_NAME_MAX];
	bool shared;               /* a multi-client blob (else a named entry) */
	uint32_t type, version, strong, weak;
	uint64_t size;
};

/* The modules one module depends on (ops->graph_get). */
struct endpoint_graph_node {
	char name[PROTO_NAME_MAX];
	uint32_t n_edges;          /* listed, at most ENDPOINT_MAX_EDGES */
	struct {
		char target[PROTO_NAME_MAX];
		uint32_t sites;        /* relocations into target */
	} edges[ENDPOINT_MAX_EDGES];
};

/* One symbol of the kernel's namespace (ops->export_get). */
struct endpoint_export {
	char name[ENDPOINT_SYMBOL_MAX];
	char module[PROTO_NAME_MAX];   /* the module exporting it; "" = the kernel */
	bool weak;
};

/* The profiler (ops->profile_control): what to do before reporting. */
enum endpoint_profile_action {
	ENDPOINT_PROFILE_REPORT = 0,   /* nothing: the report as it stands */
	ENDPOINT_PROFILE_START,        /* clear the samples and start sampling */
	ENDPOINT_PROFILE_STOP,         /* stop sampling */
};

/* A profile report's summary (ProfileReply in proto/theseus.proto). */
struct endpoint_profile {
	bool running;
	uint64_t elapsed_ms;
	uint32_t hz;                   /* samples per second per CPU */
	uint64_t samples, lost;
	uint32_t n_cpus;               /* listed in cpus[], at most ENDPOINT_PROFILE_CPUS */
	struct {
		uint32_t cpu;
		uint64_t samples, idle;
	} cpus[ENDPOINT_PROFILE_CPUS];
	uint32_t entries_total;        /* (function, module) groups in the report */
};

/* One (function, module) group of a profile report (ops->profile_entry). */
struct endpoint_profile_entry {
	char function[ENDPOINT_PROFILE_NAME];  /* "?" unknown, "(other)" the rest */
	char module[ENDPOINT_PROFILE_NAME];    /* "kernel", a module, "" unknown */
	uint64_t samples, idle;
};

/*
 * The invoke ABI: the uniform way to reach any entity by name.  An exported
 * function of a module with this signature can be called remotely with
 * `theseusctl invoke MODULE FUNCTION [INPUT]`; it reads in[0..in_len), writes
 * at most out_cap bytes to out, sets *out_len, and returns 0 or a negative
 * TH_E* code.  It must not keep pointers to in/out after returning.
 */
typedef int (*endpoint_invoke_fn)(const uint8_t *in, size_t in_len, uint8_t *out,
				  size_t out_cap, size_t *out_len);

struct endpoint_ops {
	void *ctx;  /* passed to every call */
	/* Monotonic milliseconds (required). */
	uint64_t (*now_ms)(void *ctx);
	/* 64 unpredictable bits (required): each epoch's number. */
	uint64_t (*random_u64)(void *ctx);
	/* Optional: kernel facts for `info` (zeroed before the call). */
	int (*info)(void *ctx, struct endpoint_info *out);
	/* Number of loaded modules, and module number index (0-based) of them;
	 * TH_ENOENT past the end.  Optional (then `ls` lists nothing). */
	uint32_t (*module_count)(void *ctx);
	int (*module_get)(void *ctx, uint32_t index, struct endpoint_module *out);
	/* Module by name; TH_ENOENT when not loaded.  Required for swap. */
	int (*module_find)(void *ctx, const char *name, struct endpoint_module *out);
	/* Swap items[0..n) as one transaction.  Must check each item's
	 * expected_version against the running version (TH_ECONFLICT with a
	 * message naming module, expected and actual version when stale), and on
	 * any failure leave the old set running.  Required for swap. */
	int (*swap)(void *ctx, const struct endpoint_swap_item *items, size_t n,
		    struct endpoint_swap_report *report, struct th_errbuf *eb);

	/* ---- optional inspection and control (NULL: the request gets ENOTSUP) */
	/* Swap module back to its previous object, or, when it runs the object
	 * of its first load, unload it if may_unload (else TH_ENOENT "nothing to
	 * roll back"); report->new_version[0] = the version now running (""
	 * after an unload).  TH_ENOENT when there is nothing to roll back to,
	 * TH_EBUSY when an unload is refused (others depend on it). */
	int (*rollback)(void *ctx, const char *module, bool may_unload,
			struct endpoint_swap_report *report, struct th_errbuf *eb);
	/* Roll modules[n] back as one transaction (swap_undo_set): all swap
	 * back, or, when all run their first objects, all are unloaded together
	 * if may_unload (else TH_ENOENT "nothing to roll back" naming them);
	 * report->new_version[i] per module ("" = unloaded). */
	int (*rollback_set)(void *ctx, const char *const *modules, size_t n, bool may_unload,
			    struct endpoint_swap_report *report, struct th_errbuf *eb);
	/* Swap history, oldest first: entry index; TH_ENOENT past the end. */
	uint32_t (*history_count)(void *ctx);
	int (*history_get)(void *ctx, uint32_t index, struct endpoint_history *out);
	/* statedb entries: start with *cursor = 0; TH_ENOENT when done. */
	int (*state_next)(void *ctx, uint32_t *cursor, struct endpoint_state *out);
	/* The log ring from absolute position *pos (moved up to the oldest byte
	 * kept when older, down to the end of the log when beyond it), advancing
	 * *pos; returns the bytes copied. */
	size_t (*log_read)(void *ctx, uint64_t *pos, char *buf, size_t len);
	/* Calls the exported function `function` of module `module` with the
	 * invoke ABI; *result = its return value.  Returns TH_ENOENT (no such
	 * module / symbol, or the symbol belongs to another module), or TH_OK
	 * when the call was made. */
	int (*invoke)(void *ctx, const char *module, const char *function, const uint8_t *in,
		      size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len, int *result,
		      struct th_errbuf *eb);
	/* Dependencies of module number index (as module_get); TH_ENOENT past the end. */
	int (*graph_get)(void *ctx, uint32_t index, struct endpoint_graph_node *out);
	/* The task listing text, snprintf-style (returns the length needed). */
	size_t (*tasks_format)(void *ctx, char *buf, size_t len);
	/* The export list modules link against: the number of symbols,
	 * (*module_api) the module API version of the loader and
	 * (*generation) a number that changes whenever the list does; then
	 * symbol number index: the kernel's exports first, then each loaded
	 * module's in load order.  TH_ENOENT past the end; TH_ERANGE for a
	 * name that does not fit struct endpoint_export. */
	uint32_t (*export_count)(void *ctx, uint32_t *module_api, uint64_t *generation);
	int (*export_get)(void *ctx, uint32_t index, struct endpoint_export *out);
	/* The profiler: does action, then fills *out with the summary of the
	 * report, which is recomputed from the samples when refresh (the
	 * first page of a report) and otherwise the one computed last (its
	 * later pages).  Then profile_entry reads rank index (0 = most
	 * samples) of that report; TH_ENOENT past the end. */
	int (*profile_control)(void *ctx, enum endpoint_profile_action action, bool refresh,
			       struct endpoint_profile *out, struct th_errbuf *eb);
	int (*profile_entry)(void *ctx, uint32_t index, struct endpoint_profile_entry *out);
};

struct endpoint_config {
	const uint8_t *key;           /* PROTO_KEY_LEN bytes, or NULL: read-only mode */
	uint32_t staging_max_objects; /* 0 = ENDPOINT_DEFAULT_STAGING_OBJECTS */
	uint64_t staging_max_bytes;   /* 0 = ENDPOINT_DEFAULT_STAGING_BYTES */
	uint64_t stale_ms;            /* 0 = ENDPOINT_DEFAULT_STALE_MS */
	/* Counters <= this are refused from clients not seen yet in the first
	 * epoch (tests; the epoch already keeps other boots' datagrams out). */
	uint64_t counter_floor;
};

struct endpoint_counters {
	uint64_t requests, replies, auth_failures, replays, malformed, bad_version;
	uint64_t chunks, swaps;
	uint64_t rollbacks, invokes;
	uint64_t stale;          /* valid MAC refused with ESTALE (epoch, replay, floor) */
	uint64_t epoch_changes;  /* epochs started after the first */
	uint64_t unanswered;     /* unauthenticated datagrams left without a reply */
	uint64_t resent;         /* resent swap/rollback/invoke answered from the reply cache */
	uint64_t unauth_replies; /* refusals sent to unauthenticated datagrams */
	uint64_t rate_limited;   /* unauthenticated datagrams left unanswered by the rate limit */
};

struct endpoint;

/* Allocates the endpoint (heap) and its staging area.  ops is copied. */
TH_MUST_CHECK int endpoint_create(const struct endpoint_config *cfg,
				  const struct endpoint_ops *ops,
				  struct endpoint **out, struct th_errbuf *eb);
void endpoint_destroy(struct endpoint *ep);  /* NULL is fine */

/* Handles one received datagram.  Returns TH_OK when a reply of *reply_len
 * bytes was written to reply (send it to the datagram's source when
 * *reply_len > 0; 0 = no answer; the request's own outcome is the reply's
 * status), or a negative code when no reply can be
 * produced (bad arguments, reply_cap < ENDPOINT_MIN_REPLY_CAP). */
TH_MUST_CHECK int endpoint_handle(struct endpoint *ep, const uint8_t *dgram, size_t len,
				  uint8_t *reply, size_t reply_cap, size_t *reply_len);

/* Background work between datagrams: hashes a few received chunks of
 * incomplete objects (staging.c).  Returns true while more is left. */
bool endpoint_background(struct endpoint *ep);

/* Hash pushed objects on another CPU (hash_worker.c).  Call once, before
 * the first datagram: from then on the handling context only copies chunks
 * in and calls wake(ctx) when received chunks wait to be hashed (and hashes
 * the rest itself when an object's last chunk arrives, before answering);
 * endpoint_background no longer hashes.  The worker, one task on another
 * CPU, calls endpoint_hash_work until it returns false, then waits for the
 * next wake; endpoint_hash_work is the one call that is safe alongside the
 * handling context (the endpoint must outlive the worker). */
void endpoint_set_hash_worker(struct endpoint *ep, void (*wake)(void *ctx), void *ctx);
/* Hashes up to STAGING_WORKER_CHUNKS waiting chunks of one object; false
 * when none waited. */
bool endpoint_hash_work(struct endpoint *ep);

void endpoint_get_counters(const struct endpoint *ep, struct endpoint_counters *out);
/* The current epoch (never 0). */
uint64_t endpoint_epoch(const struct endpoint *ep);
bool endpoint_has_key(const struct endpoint *ep);
/* Whether the last datagram endpoint_handle() took carried a valid MAC for
 * this boot (the NIC core's dead man's switch takes it as proof of life). */
bool endpoint_last_authenticated(const struct endpoint *ep);

#endif

/*
 * endpoint_impl.h - private declarations shared by the files of the endpoint
 * core (the .c files in net/endpoint/): the endpoint object, the bounded arena that
 * protobuf-c decodes into, the replay window, the staging area, and the
 * request handlers.  Not for use outside net/endpoint/.
 */
#ifndef THESEUS_ENDPOINT_IMPL_H
#define THESEUS_ENDPOINT_IMPL_H

#include "klibc.h"
#include "lock.h"
#include "endpoint.h"
#include "theseus.pb-c.h"

/* ---- arena.c: bump allocator for one request -------------------------- */

#define EP_ARENA_BYTES (96u * 1024)  /* worst case of a 1400-byte datagram fits */

struct ep_arena {
	uint8_t *base;
	size_t size, used;
	ProtobufCAllocator pbc;   /* protobuf-c allocator backed by this arena */
};

TH_MUST_CHECK int ep_arena_init(struct ep_arena *a, size_t size);
void ep_arena_fini(struct ep_arena *a);
void ep_arena_reset(struct ep_arena *a);
void *ep_arena_alloc(struct ep_arena *a, size_t n);  /* zeroed; NULL when full */

/* ---- auth.c: per-client replay windows -------------------------------- */

struct ep_client {
	uint64_t id;
	uint64_t max;       /* highest counter accepted */
	uint64_t seen;      /* bit i: counter max - i accepted */
	uint64_t last_ms;   /* for LRU replacement */
	bool used;
	/* This session's last change, so that a resend of it (a new datagram
	 * after a lost reply) is not repeated; replaced by the next change:
	 * its kind and the digest of what it named (swap_request.c): a
	 * rollback, or a set of them, is not idempotent (a repeat undoes one
	 * more swap), and a swap resent after the kernel rolled it back by
	 * itself (a NIC driver that failed its dead man's switch) must not
	 * swap it in again. */
	enum ep_change { EP_CHANGE_NONE, EP_CHANGE_SWAP, EP_CHANGE_ROLLBACK,
			 EP_CHANGE_ROLLBACK_SET } last_change;
	uint8_t last_digest[PROTO_SHA256_LEN];
};

struct ep_replay {
	struct ep_client clients[ENDPOINT_MAX_CLIENTS];
	uint64_t floor;     /* unknown clients need a counter above this */
};

#define EP_FLOOR_LIMIT ((uint64_t)1 << 63)  /* floors stay below this (auth.c) */

/* The session ep_replay_check accepted last (NULL: none / no key). */
struct ep_client *ep_replay_session(struct ep_replay *r, uint64_t client_id);

/* Accepts counter for client_id and records it.  State unchanged on error:
 * TH_EAUTH when it was seen before or is older than the window; TH_ERANGE
 * for a new client whose counter is not above r->floor; TH_ESTALE when the
 * table is full and evicting would raise the floor to EP_FLOOR_LIMIT or
 * more (the caller starts a new epoch then). */
TH_MUST_CHECK int ep_replay_check(struct ep_replay *r, uint64_t client_id, uint64_t counter,
				  uint64_t now_ms);

/* ---- staging.c: the bounded, content-addressed object store ----------- */

struct staging_obj {
	bool used;
	uint8_t sha[PROTO_SHA256_LEN];
	uint64_t total;
	uint8_t *data;
	uint8_t *bitmap;
	uint32_t chunks_total, chunks_have;
	uint32_t chunk_size;  /* bytes per chunk (the last one: the rest) */
	uint32_t chunks_contig;          /* chunks [0, chunks_contig) received (atomic) */
	uint32_t chunks_hashed;          /* chunks [0, chunks_hashed) are in hash */
	struct proto_sha256_ctx hash;    /* of the chunks hashed so far, in order */
	bool complete;      /* all chunks received and hash verified */
	bool net_hashing;   /* the receiving side hashes it (lag, last chunk): no claims */
	bool swapped;       /* taken by a successful swap: evictable */
	uint32_t pins;      /* > 0 while a swap uses it: never evicted */
	uint64_t last_ms;   /* incomplete: last progress (a new chunk); else last use */
};

/*
 * A hash worker on another CPU (staging_set_worker): the receiving side
 * (staging_put and every other call here but the three below) stays on one
 * CPU; the worker takes a claim on the next received chunks of an object
 * (staging_hash_claim, under st->lock), hashes them into its own copy of the
 * object's hash state without the lock (staging_claim_hash), and commits it
 * (staging_hash_commit, under the lock).  At most one claim at a time.  The
 * receiving side never waits for a claim: when it completes the object it
 * voids the claim and hashes the rest itself; when it discards the object
 * the claim is voided and the worker frees the data it still reads.
 */
struct staging {
	struct staging_obj *objs;
	uint32_t max_objects;
	uint64_t max_bytes, used_bytes, stale_ms;
	/* What a worker on another CPU reads or writes is changed under lock:
	 * the table (used, data, complete, net_hashing), chunks_hashed, hash,
	 * and the claim below; chunks_contig is published without it (release
	 * after the chunk's bytes, staging.c). */
	struct spinlock lock;
	void (*wake)(void *ctx);    /* non-NULL: a worker hashes (staging_set_worker) */
	void *wake_ctx;
	struct staging_obj *claimed;  /* the object of the worker's claim, NULL: none */
	uint8_t *claimed_data;        /* its data, which the claim reads */
	bool claim_void;              /* the claim's result is not wanted */
	bool claim_orphan;            /* the object went: the committer frees claimed_data */
};

/* A worker's claim: chunks [first, first + chunks) of obj, bytes data[0, len). */
struct staging_claim {
	struct staging_obj *obj;
	const uint8_t *data;
	size_t len;
	uint32_t first, chunks;
	struct proto_sha256_ctx hash;    /* obj's hash state, extended by the claim */
};

TH_MUST_CHECK int staging_init(struct staging *st, uint32_t max_objects, uint64_t max_bytes,
			       uint64_t stale_ms);
void staging_fini(struct staging *st);
/* Stores one chunk (chunk_size 0 = PROTO_CHUNK_SIZE); *out = the object
 * (NULL if discarded on hash mismatch). */
TH_MUST_CHECK int staging_put(struct staging *st, uint64_t now_ms,
			      const uint8_t sha[PROTO_SHA256_LEN], uint64_t total,
			      uint32_t chunk_size, uint64_t offset, const uint8_t *data,
			      size_t len, struct staging_obj **out, struct th_errbuf *eb);
struct staging_obj *staging_find(struct staging *st, const uint8_t sha[PROTO_SHA256_LEN]);
/* Hashes up to max_chunks received chunks that extend the in-order prefix
 * of incomplete objects; true while such chunks remain. */
bool staging_hash_step(struct staging *st, uint32_t max_chunks);
#define EP_BACKGROUND_HASH_CHUNKS 4   /* per endpoint_background() call */
/* Hash on another CPU from now on (before the first chunk): wake(ctx) is
 * called on the receiving CPU when received chunks wait for the worker.
 * The receiving side then hashes only what the worker has not when an
 * object's last chunk arrives, and staging_hash_step does nothing. */
void staging_set_worker(struct staging *st, void (*wake)(void *ctx), void *ctx);
/* Worker: claim up to max_chunks received chunks extending the in-order
 * prefix of an incomplete object; false when there are none (or a claim is
 * outstanding).  Then staging_claim_hash (no lock held: the SHA-256 work),
 * then staging_hash_commit, which publishes it unless the claim was voided. */
TH_MUST_CHECK bool staging_hash_claim(struct staging *st, uint32_t max_chunks,
				      struct staging_claim *c);
void staging_claim_hash(struct staging_claim *c);
void staging_hash_commit(struct staging *st, struct staging_claim *c);
#define STAGING_WORKER_CHUNKS 8  /* chunks per claim: what completion may redo */
/* The worker is woken once this many received in-order chunks wait. */
#define STAGING_WORKER_WAKE 16
/* Chunks received but not hashed with a worker: beyond it the receiving side
 * hashes down to half of it itself (a worker whose CPU is starved). */
#define STAGING_WORKER_LAG 64
/* Chunks received but not hashed an object may hold; beyond it a chunk is
 * hashed as it arrives, so the last chunk waits for at most this many. */
#define STAGING_HASH_LAG 32
/* Frees an object at once (not while pinned): the objects of a failed swap. */
void staging_release(struct staging *st, struct staging_obj *o);
uint32_t staging_count(const struct staging *st);
/* "1a2b3c4d" (first 4 bytes) for messages; buf of at least 9 bytes. */
const char *ep_hex8(const uint8_t *sha, char buf[9]);

/* ---- reply_cache.c: replies to resent non-repeatable requests --------- */

#define EP_REPLY_CACHE_SLOTS 16     /* the last 16 swaps, rollbacks, invokes */
#define EP_REPLY_CACHE_BYTES 1536   /* a reply datagram (NET_UDP_PAYLOAD_MAX fits) */

struct ep_cached_reply {
	struct proto_binding bind;      /* the request's epoch, client id, counter */
	uint8_t mac[PROTO_MAC_LEN];     /* and its MAC (so its body) */
	size_t len;                     /* 0 = free */
	uint8_t reply[EP_REPLY_CACHE_BYTES];  /* sealed, as sent */
};

struct ep_reply_cache {
	struct ep_cached_reply *slots;  /* EP_REPLY_CACHE_SLOTS (heap) */
	size_t next;                    /* the slot the next put takes (oldest) */
};

TH_MUST_CHECK int ep_reply_cache_init(struct ep_reply_cache *c);
void ep_reply_cache_fini(struct ep_reply_cache *c);
void ep_reply_cache_clear(struct ep_reply_cache *c);
/* The reply to the request with this binding and MAC, NULL if not kept. */
const struct ep_cached_reply *ep_reply_cache_find(const struct ep_reply_cache *c,
						  const struct proto_binding *b,
						  const uint8_t mac[PROTO_MAC_LEN]);
/* Keep reply (len bytes, sealed) for that request, in place of the oldest. */
void ep_reply_cache_put(struct ep_reply_cache *c, const struct proto_binding *b,
			const uint8_t mac[PROTO_MAC_LEN], const uint8_t *reply, size_t len);

/* ---- mac_check.c: the request MAC, both kinds ------------------------- */

#define EP_SESSION_KEYS 8   /* kind-1 session keys kept (sessions that verified) */

struct ep_session_key {
	bool used;
	uint64_t epoch, client_id;
	uint8_t ks[PROTO_SESSION_KEY_LEN];
};

struct ep_session_keys {
	struct ep_session_key slot[EP_SESSION_KEYS];
	size_t next;            /* the slot the next put takes (oldest) */
};

struct endpoint;
void ep_session_keys_clear(struct ep_session_keys *c);
/* TH_OK when env's MAC (of its mac_kind) is valid for binding b, with id =
 * the MAC as the reply cache keys it (a 16-byte tag padded with zeros);
 * else TH_EAUTH (wrong MAC, length or kind), nothing changed. */
TH_MUST_CHECK int ep_mac_check(struct endpoint *ep, const Theseus__Envelope *env,
			       const struct proto_binding *b, uint8_t id[PROTO_MAC_LEN]);
/* ---- unauth_limit.c: replies to unauthenticated datagrams ------------- */

/* A token bucket: at most EP_UNAUTH_REPLIES_PER_S refusals a second after a
 * burst of EP_UNAUTH_REPLY_BURST (proto/theseus.proto, 6). */
#define EP_UNAUTH_REPLIES_PER_S 200u
#define EP_UNAUTH_REPLY_BURST 20u

struct ep_limit {
	uint32_t per_s, burst;
	uint64_t milli;     /* tokens in thousandths, at most burst * 1000 */
	uint64_t last_ms;   /* when milli was last refilled */
	bool started;
};

/* A full bucket of burst tokens refilled at per_s a second. */
void ep_limit_init(struct ep_limit *l, uint32_t per_s, uint32_t burst);
/* Takes a token at time now_ms (refilling first): true when there was one. */
bool ep_limit_take(struct ep_limit *l, uint64_t now_ms);

/* ---- the endpoint ------------------------------------------------------ */

struct endpoint {
	struct endpoint_ops ops;
	bool has_key;
	bool last_authenticated;  /* the last datagram handled carried a valid MAC */
	uint8_t key[PROTO_KEY_LEN];
	struct proto_mac_key mac_key;   /* key prepared for HMAC (wire.h) */
	struct ep_session_keys skeys;   /* kind-1 session keys (mac_check.c) */
	uint64_t epoch;         /* this epoch's number, never 0 (endpoint.c) */
	struct ep_arena arena;
	struct ep_replay replay;
	struct ep_reply_cache replies;  /* resent swaps, rollbacks, invokes */
	struct staging staging;
	struct ep_client *session;  /* of the request being handled (NULL: no key) */
	bool quiet;             /* the handler asks for no reply (a quiet chunk) */
	struct ep_limit unauth_limit;   /* replies to unauthenticated datagrams */
	struct endpoint_counters counters;
	struct endpoint_module mod_scratch;     /* big structs kept off the stack */
	struct endpoint_swap_report swap_report;
	struct endpoint_swap_item swap_items[PROTO_MAX_SWAP_ITEMS];
	struct staging_obj *swap_objs[PROTO_MAX_SWAP_ITEMS];
};

/* handlers.c / swap.c: one function per request kind.  Each validates its
 * request, may set rep->payload_case and the payload (allocated from the
 * arena), and returns the status; eb gets the message. */
typedef int (*ep_handler_fn)(struct endpoint *ep, const Theseus__Request *req,
			     Theseus__Reply *rep, size_t reply_cap, struct th_errbuf *eb);

/* reply.c: common refusals, the stage times of a transaction, and the byte
 * budget of a paged listing's payload (ls, history, state, exports): the
 * datagram limit minus room for the status, counter, seal and a message. */
size_t ep_page_limit(size_t reply_cap);
int ep_no_memory(struct th_errbuf *eb);
int ep_not_supported(const char *what, struct th_errbuf *eb);
int ep_stages_msg(struct endpoint *ep, struct endpoint_stage_time *stages, uint32_t n_stages,
		  Theseus__StageTime ***out, size_t *n);

int ep_handle_ping(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		   size_t reply_cap, struct th_errbuf *eb);
int ep_handle_info(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		   size_t reply_cap, struct th_errbuf *eb);
int ep_handle_list(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		   size_t reply_cap, struct th_errbuf *eb);
int ep_handle_chunk(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		    size_t reply_cap, struct th_errbuf *eb);
int ep_handle_object_status(struct endpoint *ep, const Theseus__Request *req,
			    Theseus__Reply *rep, size_t reply_cap, struct th_errbuf *eb);
int ep_handle_swap(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		   size_t reply_cap, struct th_errbuf *eb);

/* inspect.c: rollback, history, state, log, invoke, graph, tasks. */
int ep_handle_rollback(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		       size_t reply_cap, struct th_errbuf *eb);
int ep_handle_rollback_set(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
			   size_t reply_cap, struct th_errbuf *eb);
int ep_handle_history(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		      size_t reply_cap, struct th_errbuf *eb);
int ep_handle_state(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		    size_t reply_cap, struct th_errbuf *eb);
int ep_handle_log(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		  size_t reply_cap, struct th_errbuf *eb);
int ep_handle_invoke(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		     size_t reply_cap, struct th_errbuf *eb);
int ep_handle_graph(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		    size_t reply_cap, struct th_errbuf *eb);
int ep_handle_tasks(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		    size_t reply_cap, struct th_errbuf *eb);
/* exports_request.c: the export list (theseusctl exports, lint --target). */
int ep_handle_exports(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		      size_t reply_cap, struct th_errbuf *eb);
/* profile_request.c: the sampling profiler (theseusctl profile). */
int ep_handle_profile(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		      size_t reply_cap, struct th_errbuf *eb);
/* Module and symbol names: 1..max-1 characters of [A-Za-z0-9_.-] (swap.c). */

/* Copies a NUL-terminated string into the arena ("" when NULL or no room). */
char *ep_arena_strdup(struct ep_arena *a, const char *s);

#endif

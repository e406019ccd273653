/*
 * statedb_impl.h - statedb's private structures and the helpers its files
 * share.  Not for use outside statedb/.
 *
 * Arena layout (set by statedb_init):
 *   [slot table: nslots x struct statedb_slot][hash buckets: uint32 each]
 *   [allocation bitmap: one bit per granule][data: ngran granules]
 * Allocator metadata lives outside the data area, so a module that writes
 * past its entry damages a neighbour's bytes at worst, never the tables.
 *
 * Every helper here expects the caller to hold statedb_g.lock.
 */
#ifndef THESEUS_STATEDB_IMPL_H
#define THESEUS_STATEDB_IMPL_H

#include "klibc.h"
#include "lock.h"
#include "statedb.h"

#define STATEDB_NONE UINT32_MAX   /* "no slot" in chains and lists */
#define STATEDB_KIND_FREE 0
/* Deleted (or a shared blob freed) while a transaction is open: out of the
 * namespace, refs stale, but slot and bytes kept until the outermost commit
 * (an abort brings it back).  statedb_resolve and the cursor skip it. */
#define STATEDB_KIND_HELD 3

struct statedb_slot {
	char name[STATEDB_NAME_MAX + 1];
	uint32_t hash;      /* of name (named entries) */
	uint32_t gen;       /* current generation, never 0 */
	uint32_t gen_top;   /* highest generation handed out (an abort restores an
			     * older gen; the next bump goes past this one) */
	uint32_t type;
	uint32_t version;
	uint32_t strong;
	uint32_t weak;
	uint32_t next;      /* hash chain (named) or free list (free) */
	uint32_t first;     /* first data granule */
	uint32_t granules;  /* data granules held */
	uint32_t kind;      /* STATEDB_KIND_FREE/NAMED/SHARED */
	uint64_t size;      /* bytes */
};

/* One journal record (statedb_journal.c). */
enum statedb_jop {
	STATEDB_J_CREATE = 1,  /* idx was created: undo frees it */
	STATEDB_J_REPLACE,     /* idx was replaced: `before` holds the old version,
				* whose bytes stay allocated until commit */
	STATEDB_J_FREE,        /* idx was deleted / freed: it is HELD until commit */
	STATEDB_J_WEAK,        /* net handles opened (+) / closed (-) on idx */
	STATEDB_J_OWNERS,      /* net owners retained (+) / released (-) on idx */
};

struct statedb_jrec {
	uint32_t op;                 /* enum statedb_jop */
	uint32_t idx;
	int64_t delta;               /* J_WEAK, J_OWNERS */
	struct statedb_slot before;  /* J_REPLACE, J_FREE */
};

struct statedb {
	struct spinlock lock;
	int ready;
	uint32_t epoch;             /* counts inits; seeds generations */
	struct statedb_slot *slots;
	uint32_t nslots;
	uint32_t used;              /* live slots */
	uint32_t free_head;         /* free slot list */
	uint32_t *buckets;          /* heads of hash chains */
	uint32_t bucket_mask;       /* bucket count - 1 (a power of two) */
	uint64_t *bitmap;           /* 1 = granule allocated */
	uint8_t *data;              /* granule 0 */
	uint32_t ngran;
	uint32_t gran_used;
	/* The transaction journal (statedb_txn_*): open while depth > 0. */
	uint32_t jdepth;            /* nested begins not yet ended */
	uint32_t jn;                /* records in use */
	uint32_t jmark[STATEDB_TXN_DEPTH]; /* records before each open level */
	struct statedb_jrec journal[STATEDB_TXN_RECORDS];
};

/* The one database (statedb_init.c). */
extern struct statedb statedb_g;

/* Granules for size bytes (size <= STATEDB_SIZE_MAX). */
static inline uint32_t statedb_granules(uint64_t size)
{
	return (uint32_t)((size + STATEDB_ALIGN - 1) / STATEDB_ALIGN);
}

/* statedb_arena.c: first-fit runs of granules in the bitmap. */
int statedb_arena_alloc(struct statedb *db, uint32_t n, uint32_t *first) TH_MUST_CHECK;
void statedb_arena_free(struct statedb *db, uint32_t first, uint32_t n);
uint32_t statedb_arena_largest(const struct statedb *db);

/* statedb_names.c: name rules and the name hash table. */
int statedb_name_check(const char *name, size_t *len, struct th_errbuf *eb) TH_MUST_CHECK;
uint32_t statedb_name_hash(const char *name, size_t len);
uint32_t statedb_name_find(const struct statedb *db, const char *name, size_t len,
			   uint32_t hash);
void statedb_name_insert(struct statedb *db, uint32_t idx);
void statedb_name_remove(struct statedb *db, uint32_t idx);

/* statedb_slots.c: slots, refs, entry bytes. */
int statedb_size_check(size_t size, struct th_errbuf *eb) TH_MUST_CHECK;
struct statedb_slot *statedb_resolve(struct statedb *db, struct statedb_ref ref);
struct statedb_ref statedb_ref_of(const struct statedb *db, const struct statedb_slot *s);
void *statedb_bytes(const struct statedb *db, const struct statedb_slot *s);
int statedb_slot_new(struct statedb *db, const char *name, size_t len, uint32_t kind,
		     uint32_t type, uint32_t version, size_t size, const void *bytes,
		     uint32_t *idx, struct th_errbuf *eb) TH_MUST_CHECK;
void statedb_slot_free(struct statedb *db, uint32_t idx);
void statedb_gen_bump(struct statedb_slot *s);
/* Take idx out of the namespace, refs stale, but keep slot and bytes (an
 * open transaction may bring it back: kind HELD). */
void statedb_slot_hold(struct statedb *db, uint32_t idx);
void statedb_info_fill(const struct statedb *db, const struct statedb_slot *s,
		       struct statedb_info *out);

/* statedb_journal.c: recording changes while a transaction is open.  With
 * none open both are no-ops.  statedb_j_room: TH_EFULL when recording op on
 * idx would need a record and the journal is full (the caller then changes
 * nothing).  statedb_j_log: record it (after statedb_j_room said yes);
 * `before` is the slot as it was (J_REPLACE, J_FREE). */
int statedb_j_room(const struct statedb *db, uint32_t idx, uint32_t op) TH_MUST_CHECK;
void statedb_j_log(struct statedb *db, uint32_t idx, uint32_t op, int64_t delta,
		   const struct statedb_slot *before);
/* Undo records [mark, jn) newest first; returns the entries abandoned
 * (pinned new bytes left allocated).  Finish: free what records keep. */
uint32_t statedb_j_undo(struct statedb *db, uint32_t mark);
void statedb_j_finish(struct statedb *db);

#endif

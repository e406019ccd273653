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

struct statedb_slot {
	char name[STATEDB_NAME_MAX + 1];
	uint32_t hash;      /* of name (named entries) */
	uint32_t gen;       /* current generation, never 0 */
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
void statedb_info_fill(const struct statedb *db, const struct statedb_slot *s,
		       struct statedb_info *out);

#endif

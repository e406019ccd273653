/*
 * statedb_slots.c - the slot table: taking and freeing slots together with
 * their bytes, generations, and turning a weak reference back into a slot
 * (O(1): index check plus generation compare).  Callers hold the lock.
 */
#include "statedb_impl.h"

int statedb_size_check(size_t size, struct th_errbuf *eb)
{
	if (size == 0)
		return th_errf(eb, TH_EINVAL, "statedb: size 0");
	if (size > STATEDB_SIZE_MAX)
		return th_errf(eb, TH_ETOOBIG, "statedb: size over the %u-byte limit",
			       (unsigned)STATEDB_SIZE_MAX);
	return TH_OK;
}

struct statedb_slot *statedb_resolve(struct statedb *db, struct statedb_ref ref)
{
	struct statedb_slot *s;

	if (ref.slot >= db->nslots)
		return NULL;
	s = &db->slots[ref.slot];
	if ((s->kind != STATEDB_KIND_NAMED && s->kind != STATEDB_KIND_SHARED) ||
	    s->gen != ref.gen)
		return NULL;
	return s;
}

struct statedb_ref statedb_ref_of(const struct statedb *db, const struct statedb_slot *s)
{
	struct statedb_ref r = {(uint32_t)(s - db->slots), s->gen};
	return r;
}

void *statedb_bytes(const struct statedb *db, const struct statedb_slot *s)
{
	return db->data + (size_t)s->first * STATEDB_ALIGN;
}

/* Past every generation the slot handed out, even when an aborted
 * transaction restored an older one (no ref from inside it comes back). */
void statedb_gen_bump(struct statedb_slot *s)
{
	s->gen_top++;
	if (s->gen_top == 0)
		s->gen_top = 1;
	s->gen = s->gen_top;
}

void statedb_slot_hold(struct statedb *db, uint32_t idx)
{
	struct statedb_slot *s = &db->slots[idx];

	if (s->kind == STATEDB_KIND_NAMED)
		statedb_name_remove(db, idx);
	statedb_gen_bump(s);
	s->kind = STATEDB_KIND_HELD;
}

/*
 * Take a free slot and a run of granules, fill in the entry (bytes copied
 * from `bytes`, or zeroed when NULL) and link a named entry into the hash
 * table; an open transaction records it.  Nothing changes on error.
 */
int statedb_slot_new(struct statedb *db, const char *name, size_t len, uint32_t kind,
		     uint32_t type, uint32_t version, size_t size, const void *bytes,
		     uint32_t *idx, struct th_errbuf *eb)
{
	uint32_t n = statedb_granules(size), first, i;
	struct statedb_slot *s;

	if (n > db->ngran)
		return th_errf(eb, TH_ETOOBIG,
			       "statedb: \"%s\": %zu bytes exceed the %llu-byte data area",
			       name, size, (unsigned long long)db->ngran * STATEDB_ALIGN);
	if (db->free_head == STATEDB_NONE)
		return th_errf(eb, TH_EFULL, "statedb: \"%s\": all %u entries in use",
			       name, (unsigned)db->nslots);
	if (statedb_j_room(db, db->free_head, STATEDB_J_CREATE))
		return th_errf(eb, TH_EFULL, "statedb: \"%s\": the open transaction's journal "
			       "is full (%u records)", name, (unsigned)STATEDB_TXN_RECORDS);
	if (statedb_arena_alloc(db, n, &first) != TH_OK)
		return th_errf(eb, TH_EFULL,
			       "statedb: \"%s\": no free run of %llu bytes (%llu of %llu in use)",
			       name, (unsigned long long)n * STATEDB_ALIGN,
			       (unsigned long long)db->gran_used * STATEDB_ALIGN,
			       (unsigned long long)db->ngran * STATEDB_ALIGN);
	i = db->free_head;
	s = &db->slots[i];
	db->free_head = s->next;
	db->used++;

	memcpy(s->name, name, len);
	memset(s->name + len, 0, sizeof s->name - len);
	s->hash = statedb_name_hash(name, len);
	s->type = type;
	s->version = version;
	s->strong = 0;
	s->weak = 0;
	s->next = STATEDB_NONE;
	s->first = first;
	s->granules = n;
	s->kind = kind;
	s->size = size;
	if (bytes)
		memmove(statedb_bytes(db, s), bytes, size);
	else
		memset(statedb_bytes(db, s), 0, size);
	if (kind == STATEDB_KIND_NAMED)
		statedb_name_insert(db, i);
	statedb_j_log(db, i, STATEDB_J_CREATE, 0, NULL);
	*idx = i;
	return TH_OK;
}

/* Unlink, free the bytes, bump the generation (all refs go stale). */
void statedb_slot_free(struct statedb *db, uint32_t idx)
{
	struct statedb_slot *s = &db->slots[idx];

	if (s->kind == STATEDB_KIND_NAMED)
		statedb_name_remove(db, idx);
	statedb_arena_free(db, s->first, s->granules);
	statedb_gen_bump(s);
	s->kind = STATEDB_KIND_FREE;
	s->strong = 0;
	s->weak = 0;
	s->granules = 0;
	s->size = 0;
	s->next = db->free_head;
	db->free_head = idx;
	db->used--;
}

void statedb_info_fill(const struct statedb *db, const struct statedb_slot *s,
		       struct statedb_info *out)
{
	memcpy(out->name, s->name, sizeof out->name);
	out->ref = statedb_ref_of(db, s);
	out->kind = s->kind;
	out->type = s->type;
	out->version = s->version;
	out->strong = s->strong;
	out->weak = s->weak;
	out->size = s->size;
}

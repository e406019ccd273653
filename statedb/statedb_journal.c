/*
 * statedb_journal.c - the undo journal behind statedb transactions
 * (statedb_txn.c): what each change records while a transaction is open,
 * undoing records newest first, and freeing what they keep at the
 * outermost commit.  Bounded (STATEDB_TXN_RECORDS); callers hold the lock.
 *
 *   J_CREATE   undo: the entry goes (a shared blob loses the creator's
 *              ownership and goes when no one else holds it)
 *   J_REPLACE  the old version's bytes stay allocated; undo puts the old
 *              version back (same slot, old generation), frees the new bytes
 *   J_FREE     the slot is HELD (bytes kept, out of the namespace); undo
 *              brings it back
 *   J_WEAK, J_OWNERS   net count changes, one record per entry and counter
 *              (coalesced); a weak record is not needed after a structural
 *              record of the same entry, whose undo restores the count
 */
#include "statedb_impl.h"

static int structural(uint32_t op)
{
	return op == STATEDB_J_CREATE || op == STATEDB_J_REPLACE || op == STATEDB_J_FREE;
}

/* For a count record: the index of the record to add to (>= 0), -1 when a
 * new record is needed, -2 when none is (a weak count a structural record
 * of this transaction restores anyway).  Only the innermost level's records
 * count: an inner abort must undo all of its own changes. */
static long count_record(const struct statedb *db, uint32_t idx, uint32_t op)
{
	uint32_t i = db->jn, low = db->jmark[db->jdepth - 1];

	while (i-- > low) {
		const struct statedb_jrec *r = &db->journal[i];
		if (r->idx != idx)
			continue;
		if (r->op == op)
			return (long)i;
		if (structural(r->op))
			return op == STATEDB_J_WEAK ? -2 : -1;
	}
	return -1;
}

int statedb_j_room(const struct statedb *db, uint32_t idx, uint32_t op)
{
	if (!db->jdepth || db->jn < STATEDB_TXN_RECORDS)
		return TH_OK;
	if (!structural(op) && count_record(db, idx, op) != -1)
		return TH_OK;
	return TH_EFULL;
}

void statedb_j_log(struct statedb *db, uint32_t idx, uint32_t op, int64_t delta,
		   const struct statedb_slot *before)
{
	struct statedb_jrec *r;

	if (!db->jdepth)
		return;
	if (!structural(op)) {
		long at = count_record(db, idx, op);
		if (at == -2)
			return;
		if (at >= 0) {
			db->journal[at].delta += delta;
			return;
		}
	}
	if (db->jn >= STATEDB_TXN_RECORDS)
		return; /* statedb_j_room said no: the caller did not get here */
	r = &db->journal[db->jn++];
	memset(r, 0, sizeof *r);
	r->op = op;
	r->idx = idx;
	r->delta = delta;
	if (before)
		r->before = *before;
}

/* count - delta, kept within 0..UINT32_MAX. */
static uint32_t count_undo(uint32_t count, int64_t delta)
{
	int64_t v = (int64_t)count - delta;

	if (v < 0)
		return 0;
	return v > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* Put the version `b` recorded back into slot s (bytes at b->first are
 * still allocated); the slot's hash chain and gen_top stay its own. */
static void restore(struct statedb_slot *s, const struct statedb_slot *b)
{
	s->type = b->type;
	s->version = b->version;
	s->size = b->size;
	s->first = b->first;
	s->granules = b->granules;
	s->weak = b->weak;
	s->strong = b->strong;
	s->gen = b->gen;
}

/* Free slot idx now; if it is pinned, leave its bytes allocated. */
static uint32_t drop_slot(struct statedb *db, uint32_t idx, int pinned)
{
	if (pinned)
		db->slots[idx].granules = 0; /* abandoned: never reused under a pointer */
	statedb_slot_free(db, idx);
	return pinned ? 1 : 0;
}

static uint32_t undo_one(struct statedb *db, const struct statedb_jrec *r)
{
	struct statedb_slot *s = &db->slots[r->idx];

	switch (r->op) {
	case STATEDB_J_CREATE:
		if (s->kind == STATEDB_KIND_SHARED) {
			if (s->strong)
				s->strong--; /* the creator's ownership */
			if (!s->strong)
				statedb_slot_free(db, r->idx);
			return 0; /* else: pinned, freed by its last put */
		}
		return drop_slot(db, r->idx, s->strong != 0);
	case STATEDB_J_REPLACE: {
		uint32_t abandoned = s->strong ? 1 : 0;
		if (!abandoned)
			statedb_arena_free(db, s->first, s->granules);
		restore(s, &r->before);
		return abandoned;
	}
	case STATEDB_J_FREE:
		restore(s, &r->before);
		s->kind = r->before.kind;
		if (s->kind == STATEDB_KIND_NAMED)
			statedb_name_insert(db, r->idx);
		return 0;
	case STATEDB_J_WEAK:
		s->weak = count_undo(s->weak, r->delta);
		return 0;
	case STATEDB_J_OWNERS:
		s->strong = count_undo(s->strong, r->delta);
		return 0;
	}
	return 0;
}

uint32_t statedb_j_undo(struct statedb *db, uint32_t mark)
{
	uint32_t abandoned = 0, i;

	for (i = db->jn; i-- > mark;)
		abandoned += undo_one(db, &db->journal[i]);
	/* A shared blob brought back by undoing a put that freed it, with no
	 * owner given back, is freed now as it was then. */
	for (i = mark; i < db->jn; i++) {
		struct statedb_slot *s = &db->slots[db->journal[i].idx];
		if (db->journal[i].op == STATEDB_J_FREE && s->kind == STATEDB_KIND_SHARED &&
		    !s->strong)
			statedb_slot_free(db, db->journal[i].idx);
	}
	db->jn = mark;
	return abandoned;
}

void statedb_j_finish(struct statedb *db)
{
	uint32_t i;

	for (i = 0; i < db->jn; i++) {
		const struct statedb_jrec *r = &db->journal[i];
		if (r->op == STATEDB_J_REPLACE)
			statedb_arena_free(db, r->before.first, r->before.granules);
		else if (r->op == STATEDB_J_FREE && db->slots[r->idx].kind == STATEDB_KIND_HELD)
			statedb_slot_free(db, r->idx);
	}
	db->jn = 0;
}

/*
 * statedb_ref.c - strong references: upgrading a weak reference to a
 * pointer (statedb_get) and dropping it (statedb_put), and the multi-client
 * shared blobs whose strong references are their owners.  All O(1) (an
 * open transaction journals owners and frees, statedb_journal.c).
 */
#include "statedb_impl.h"

static void (*strong_observer)(struct statedb_ref ref, int delta);

void statedb_set_strong_observer(void (*fn)(struct statedb_ref ref, int delta))
{
	strong_observer = fn;
}

int statedb_get(struct statedb_ref ref, uint32_t type, uint32_t version, void **data,
		size_t *size)
{
	struct statedb *db = &statedb_g;
	struct statedb_slot *s;
	uint64_t flags;
	int err = TH_OK;

	if (!data)
		return TH_EINVAL;
	flags = spin_lock_irqsave(&db->lock);
	if (!db->ready) {
		err = TH_EINVAL;
	} else if (!(s = statedb_resolve(db, ref))) {
		err = TH_ESTALE;
	} else if (s->type != type || s->version != version) {
		err = TH_ETYPE;
	} else if (s->strong >= UINT32_MAX - 1) {
		err = TH_EOVERFLOW;
	} else {
		s->strong++;
		*data = statedb_bytes(db, s);
		if (size)
			*size = (size_t)s->size;
	}
	spin_unlock_irqrestore(&db->lock, flags);
	if (!err && strong_observer)
		strong_observer(ref, +1);
	return err;
}

/* Drop one strong reference; `kind` 0 accepts either kind. */
static int drop(struct statedb_ref ref, uint32_t kind)
{
	struct statedb *db = &statedb_g;
	struct statedb_slot *s;
	uint64_t flags;
	int err = TH_OK;

	flags = spin_lock_irqsave(&db->lock);
	if (!db->ready) {
		err = TH_EINVAL;
	} else if (!(s = statedb_resolve(db, ref))) {
		err = TH_ESTALE;
	} else if ((kind && s->kind != kind) || s->strong == 0) {
		err = TH_EINVAL;
	} else if (s->kind != STATEDB_KIND_SHARED) {
		s->strong--; /* a pin: not journaled */
	} else if (s->strong == 1) {
		/* The last reference: freed, or HELD by an open transaction (the
		 * owner a release gives back comes back with an abort, a pin not). */
		if (!db->jdepth) {
			statedb_slot_free(db, ref.slot);
		} else if (statedb_j_room(db, ref.slot, STATEDB_J_FREE)) {
			err = TH_EFULL;
		} else {
			struct statedb_slot before = *s;
			before.strong = kind ? 1 : 0;
			statedb_j_log(db, ref.slot, STATEDB_J_FREE, 0, &before);
			s->strong = 0;
			statedb_slot_hold(db, ref.slot);
		}
	} else if (kind && statedb_j_room(db, ref.slot, STATEDB_J_OWNERS)) {
		err = TH_EFULL;
	} else {
		s->strong--;
		if (kind)
			statedb_j_log(db, ref.slot, STATEDB_J_OWNERS, -1, NULL);
	}
	spin_unlock_irqrestore(&db->lock, flags);
	return err;
}

int statedb_put(struct statedb_ref ref)
{
	int err = drop(ref, 0);
	if (!err && strong_observer)
		strong_observer(ref, -1);
	return err;
}

int statedb_shared_create(const char *label, uint32_t type, uint32_t version, size_t size,
			  struct statedb_ref *ref, struct th_errbuf *eb)
{
	struct statedb *db = &statedb_g;
	size_t len;
	uint32_t idx;
	uint64_t flags;
	int err;

	if (!ref)
		return th_errf(eb, TH_EINVAL, "statedb: ref is NULL");
	err = statedb_name_check(label, &len, eb);
	if (!err)
		err = statedb_size_check(size, eb);
	if (err)
		return err;
	flags = spin_lock_irqsave(&db->lock);
	if (!db->ready)
		err = th_errf(eb, TH_EINVAL, "statedb: not initialized");
	else
		err = statedb_slot_new(db, label, len, STATEDB_KIND_SHARED, type, version,
				       size, NULL, &idx, eb);
	if (!err) {
		db->slots[idx].strong = 1;
		*ref = statedb_ref_of(db, &db->slots[idx]);
	}
	spin_unlock_irqrestore(&db->lock, flags);
	return err;
}

int statedb_shared_retain(struct statedb_ref ref)
{
	struct statedb *db = &statedb_g;
	struct statedb_slot *s;
	uint64_t flags;
	int err = TH_OK;

	flags = spin_lock_irqsave(&db->lock);
	if (!db->ready)
		err = TH_EINVAL;
	else if (!(s = statedb_resolve(db, ref)))
		err = TH_ESTALE;
	else if (s->kind != STATEDB_KIND_SHARED)
		err = TH_EINVAL;
	else if (s->strong >= UINT32_MAX - 1)
		err = TH_EOVERFLOW;
	else if (statedb_j_room(db, ref.slot, STATEDB_J_OWNERS))
		err = TH_EFULL;
	else {
		s->strong++;
		statedb_j_log(db, ref.slot, STATEDB_J_OWNERS, 1, NULL);
	}
	spin_unlock_irqrestore(&db->lock, flags);
	return err;
}

int statedb_shared_release(struct statedb_ref ref)
{
	return drop(ref, STATEDB_KIND_SHARED);
}

/*
 * statedb_entry.c - the named entries: create, open-or-create, look up,
 * replace, delete, and closing a handle.  Arguments are checked before the
 * lock is taken; each operation is then one critical section, journaled
 * when a transaction is open (statedb_journal.c).
 */
#include "statedb_impl.h"

/* Checks shared by create/open/replace: ref, name and size. */
static int check_args(const char *name, size_t size, const struct statedb_ref *ref,
		      size_t *len, struct th_errbuf *eb)
{
	int err;

	if (!ref)
		return th_errf(eb, TH_EINVAL, "statedb: ref is NULL");
	err = statedb_name_check(name, len, eb);
	if (err)
		return err;
	return statedb_size_check(size, eb);
}

static uint32_t find(struct statedb *db, const char *name, size_t len)
{
	return statedb_name_find(db, name, len, statedb_name_hash(name, len));
}

int statedb_create(const char *name, uint32_t type, uint32_t version, size_t size,
		   const void *bytes, struct statedb_ref *ref, struct th_errbuf *eb)
{
	struct statedb *db = &statedb_g;
	size_t len;
	uint32_t idx;
	uint64_t flags;
	int err = check_args(name, size, ref, &len, eb);

	if (err)
		return err;
	flags = spin_lock_irqsave(&db->lock);
	if (!db->ready)
		err = th_errf(eb, TH_EINVAL, "statedb: not initialized");
	else if (find(db, name, len) != STATEDB_NONE)
		err = th_errf(eb, TH_EEXIST, "statedb: \"%s\" already exists", name);
	else
		err = statedb_slot_new(db, name, len, STATEDB_KIND_NAMED, type, version,
				       size, bytes, &idx, eb);
	if (!err) {
		db->slots[idx].weak = 1;
		*ref = statedb_ref_of(db, &db->slots[idx]);
	}
	spin_unlock_irqrestore(&db->lock, flags);
	return err;
}

int statedb_open(const char *name, uint32_t type, uint32_t version, size_t size,
		 struct statedb_ref *ref, struct th_errbuf *eb)
{
	struct statedb *db = &statedb_g;
	struct statedb_slot *s;
	size_t len;
	uint32_t idx;
	uint64_t flags;
	int err = check_args(name, size, ref, &len, eb);

	if (err)
		return err;
	flags = spin_lock_irqsave(&db->lock);
	if (!db->ready) {
		err = th_errf(eb, TH_EINVAL, "statedb: not initialized");
		goto out;
	}
	idx = find(db, name, len);
	if (idx == STATEDB_NONE) {
		err = statedb_slot_new(db, name, len, STATEDB_KIND_NAMED, type, version,
				       size, NULL, &idx, eb);
		if (err)
			goto out;
	}
	s = &db->slots[idx];
	if (s->type != type || s->version != version || s->size != size) {
		err = th_errf(eb, TH_ETYPE,
			      "statedb: \"%s\" is type 0x%x version %u size %llu, "
			      "wanted type 0x%x version %u size %zu",
			      name, (unsigned)s->type, (unsigned)s->version,
			      (unsigned long long)s->size, (unsigned)type,
			      (unsigned)version, size);
		goto out;
	}
	if (statedb_j_room(db, idx, STATEDB_J_WEAK)) {
		err = th_errf(eb, TH_EFULL, "statedb: \"%s\": the open transaction's journal is full "
			      "(%u records)", name, (unsigned)STATEDB_TXN_RECORDS);
		goto out;
	}
	if (s->weak < UINT32_MAX) {
		s->weak++;
		statedb_j_log(db, idx, STATEDB_J_WEAK, 1, NULL);
	}
	*ref = statedb_ref_of(db, s);
out:
	spin_unlock_irqrestore(&db->lock, flags);
	return err;
}

int statedb_lookup(const char *name, struct statedb_ref *ref, struct th_errbuf *eb)
{
	struct statedb *db = &statedb_g;
	size_t len;
	uint32_t idx;
	uint64_t flags;
	int err;

	if (!ref)
		return th_errf(eb, TH_EINVAL, "statedb: ref is NULL");
	err = statedb_name_check(name, &len, eb);
	if (err)
		return err;
	flags = spin_lock_irqsave(&db->lock);
	if (!db->ready) {
		err = th_errf(eb, TH_EINVAL, "statedb: not initialized");
	} else {
		idx = find(db, name, len);
		if (idx == STATEDB_NONE)
			err = th_errf(eb, TH_ENOENT, "statedb: no entry \"%s\"", name);
		else
			*ref = statedb_ref_of(db, &db->slots[idx]);
	}
	spin_unlock_irqrestore(&db->lock, flags);
	return err;
}

int statedb_replace(const char *name, uint32_t type, uint32_t version, size_t size,
		    const void *bytes, struct statedb_ref *ref, struct th_errbuf *eb)
{
	struct statedb *db = &statedb_g;
	struct statedb_slot *s;
	size_t len;
	uint32_t idx, n, first;
	uint8_t *dst;
	uint64_t flags;
	int err = check_args(name, size, ref, &len, eb);

	if (err)
		return err;
	flags = spin_lock_irqsave(&db->lock);
	if (!db->ready) {
		err = th_errf(eb, TH_EINVAL, "statedb: not initialized");
		goto out;
	}
	idx = find(db, name, len);
	if (idx == STATEDB_NONE) {
		err = th_errf(eb, TH_ENOENT, "statedb: no entry \"%s\" to replace", name);
		goto out;
	}
	s = &db->slots[idx];
	if (s->strong) {
		err = th_errf(eb, TH_EBUSY, "statedb: \"%s\" has %u strong references",
			      name, (unsigned)s->strong);
		goto out;
	}
	n = statedb_granules(size);
	if (n > db->ngran) {
		err = th_errf(eb, TH_ETOOBIG,
			      "statedb: \"%s\": %zu bytes exceed the %llu-byte data area",
			      name, size, (unsigned long long)db->ngran * STATEDB_ALIGN);
		goto out;
	}
	if (statedb_j_room(db, idx, STATEDB_J_REPLACE)) {
		err = th_errf(eb, TH_EFULL, "statedb: \"%s\": the open transaction's journal is full "
			      "(%u records)", name, (unsigned)STATEDB_TXN_RECORDS);
		goto out;
	}
	if (statedb_arena_alloc(db, n, &first) != TH_OK) {
		err = th_errf(eb, TH_EFULL,
			      "statedb: \"%s\": no free run of %llu bytes for the new version%s",
			      name, (unsigned long long)n * STATEDB_ALIGN,
			      db->jdepth ? " (a transaction keeps the old versions until it commits)" : "");
		goto out;
	}
	/* New bytes first (they may come from the old ones), then free the old. */
	dst = db->data + (size_t)first * STATEDB_ALIGN;
	if (bytes) {
		memmove(dst, bytes, size);
	} else {
		size_t keep = s->size < size ? (size_t)s->size : size;

		memcpy(dst, statedb_bytes(db, s), keep);
		memset(dst + keep, 0, size - keep);
	}
	/* In a transaction the old bytes stay until the commit (an abort puts
	 * them back); else they go now. */
	if (db->jdepth)
		statedb_j_log(db, idx, STATEDB_J_REPLACE, 0, s);
	else
		statedb_arena_free(db, s->first, s->granules);
	s->first = first;
	s->granules = n;
	s->size = size;
	s->type = type;
	s->version = version;
	s->weak = 1;
	statedb_gen_bump(s);
	*ref = statedb_ref_of(db, s);
out:
	spin_unlock_irqrestore(&db->lock, flags);
	return err;
}

int statedb_delete(const char *name, struct th_errbuf *eb)
{
	struct statedb *db = &statedb_g;
	size_t len;
	uint32_t idx;
	uint64_t flags;
	int err = statedb_name_check(name, &len, eb);

	if (err)
		return err;
	flags = spin_lock_irqsave(&db->lock);
	if (!db->ready) {
		err = th_errf(eb, TH_EINVAL, "statedb: not initialized");
	} else if ((idx = find(db, name, len)) == STATEDB_NONE) {
		err = th_errf(eb, TH_ENOENT, "statedb: no entry \"%s\" to delete", name);
	} else if (db->slots[idx].strong) {
		err = th_errf(eb, TH_EBUSY, "statedb: \"%s\" has %u strong references",
			      name, (unsigned)db->slots[idx].strong);
	} else if (statedb_j_room(db, idx, STATEDB_J_FREE)) {
		err = th_errf(eb, TH_EFULL, "statedb: \"%s\": the open transaction's journal is full "
			      "(%u records)", name, (unsigned)STATEDB_TXN_RECORDS);
	} else if (db->jdepth) {
		statedb_j_log(db, idx, STATEDB_J_FREE, 0, &db->slots[idx]);
		statedb_slot_hold(db, idx);
	} else {
		statedb_slot_free(db, idx);
	}
	spin_unlock_irqrestore(&db->lock, flags);
	return err;
}

int statedb_close(struct statedb_ref ref)
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
	else if (s->kind != STATEDB_KIND_NAMED || s->weak == 0)
		err = TH_EINVAL;
	else if (statedb_j_room(db, ref.slot, STATEDB_J_WEAK))
		err = TH_EFULL;
	else {
		s->weak--;
		statedb_j_log(db, ref.slot, STATEDB_J_WEAK, -1, NULL);
	}
	spin_unlock_irqrestore(&db->lock, flags);
	return err;
}

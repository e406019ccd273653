/*
 * statedb_inspect.c - read-only views for tools such as the network "state"
 * command: what one ref names, and a cursor over all entries.  Each call
 * copies a struct statedb_info out under the lock; nothing is called back
 * with the lock held.
 */
#include "statedb_impl.h"

int statedb_inspect(struct statedb_ref ref, struct statedb_info *out)
{
	struct statedb *db = &statedb_g;
	struct statedb_slot *s;
	uint64_t flags;
	int err = TH_OK;

	if (!out)
		return TH_EINVAL;
	flags = spin_lock_irqsave(&db->lock);
	if (!db->ready)
		err = TH_EINVAL;
	else if (!(s = statedb_resolve(db, ref)))
		err = TH_ESTALE;
	else
		statedb_info_fill(db, s, out);
	spin_unlock_irqrestore(&db->lock, flags);
	return err;
}

int statedb_next(uint32_t *cursor, struct statedb_info *out)
{
	struct statedb *db = &statedb_g;
	uint64_t flags;
	uint32_t i;
	int err = TH_ENOENT;

	if (!cursor || !out)
		return TH_EINVAL;
	flags = spin_lock_irqsave(&db->lock);
	if (!db->ready) {
		err = TH_EINVAL;
	} else {
		for (i = *cursor; i < db->nslots; i++) {
			if (db->slots[i].kind == STATEDB_KIND_NAMED ||
			    db->slots[i].kind == STATEDB_KIND_SHARED) {
				statedb_info_fill(db, &db->slots[i], out);
				*cursor = i + 1;
				err = TH_OK;
				break;
			}
		}
		if (err)
			*cursor = db->nslots;
	}
	spin_unlock_irqrestore(&db->lock, flags);
	return err;
}

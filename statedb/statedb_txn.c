/*
 * statedb_txn.c - transactions over statedb (statedb.h "transactions"):
 * begin opens a savepoint in the undo journal (statedb_journal.c), commit
 * keeps the changes (the outermost frees what replaced and deleted entries
 * still held), abort undoes the changes since its begin.  The swap engine
 * brackets module hooks with them.
 */
#include "statedb_impl.h"

int statedb_txn_begin(struct statedb_txn *t)
{
	struct statedb *db = &statedb_g;
	uint64_t flags;
	int err = TH_OK;

	if (!t)
		return TH_EINVAL;
	flags = spin_lock_irqsave(&db->lock);
	if (!db->ready) {
		err = TH_EINVAL;
	} else if (db->jdepth >= STATEDB_TXN_DEPTH) {
		err = TH_EBUSY;
	} else {
		db->jmark[db->jdepth] = db->jn;
		t->depth = ++db->jdepth;
		t->mark = db->jn;
		t->epoch = db->epoch;
	}
	spin_unlock_irqrestore(&db->lock, flags);
	return err;
}

/* Is t the innermost open transaction?  (lock held) */
static int innermost(const struct statedb *db, const struct statedb_txn *t)
{
	return t && db->ready && t->epoch == db->epoch && t->depth && t->depth == db->jdepth &&
	       t->mark <= db->jn;
}

int statedb_txn_commit(struct statedb_txn *t)
{
	struct statedb *db = &statedb_g;
	uint64_t flags;
	int err = TH_OK;

	flags = spin_lock_irqsave(&db->lock);
	if (!innermost(db, t)) {
		err = TH_EINVAL;
	} else {
		db->jdepth--;
		if (!db->jdepth)
			statedb_j_finish(db); /* else the outer one keeps the records */
		t->depth = 0;
	}
	spin_unlock_irqrestore(&db->lock, flags);
	return err;
}

int statedb_txn_abort(struct statedb_txn *t, uint32_t *abandoned)
{
	struct statedb *db = &statedb_g;
	uint64_t flags;
	uint32_t n = 0;
	int err = TH_OK;

	flags = spin_lock_irqsave(&db->lock);
	if (!innermost(db, t)) {
		err = TH_EINVAL;
	} else {
		n = statedb_j_undo(db, t->mark);
		db->jdepth--;
		if (!db->jdepth)
			statedb_j_finish(db); /* nothing left to keep: jn is 0 */
		t->depth = 0;
	}
	spin_unlock_irqrestore(&db->lock, flags);
	if (abandoned)
		*abandoned = n;
	return err;
}

/*
 * swap_state.c - the statedb side of a transaction: module code that runs
 * while a load or swap can still fail (constructors, init and transfer
 * hooks, and the fini a failed batch load runs) does so inside a statedb
 * transaction (statedb.h "transactions"), so that a failure puts every
 * entry its hooks created, replaced or deleted back exactly and a success
 * frees what the old versions used.  Nested engine transactions (a fault's
 * recovery inside a hook) nest as savepoints.
 */
#include "log.h"
#include "statedb.h"
#include "swap_impl.h"

int swap_state_begin(struct swap_txn *x, struct th_errbuf *eb)
{
	int err = statedb_txn_begin(&x->sdb);

	if (err)
		return th_errf(eb, err, "statedb: cannot open a transaction for the hooks (%s)",
			       err == TH_EBUSY ? "swaps nested too deep" : "not initialized");
	x->sdb_open = true;
	return TH_OK;
}

void swap_state_end(struct swap_txn *x, bool commit)
{
	uint32_t abandoned = 0;
	int err;

	if (!x->sdb_open)
		return;
	x->sdb_open = false;
	err = commit ? statedb_txn_commit(&x->sdb) : statedb_txn_abort(&x->sdb, &abandoned);
	if (err)
		log_error("swap", "#%llu: statedb transaction not the innermost: %s",
			  (unsigned long long)x->h.seq, th_err_name(err));
	else if (!commit)
		log_info("swap", "#%llu: statedb changes of the hooks undone",
			 (unsigned long long)x->h.seq);
	if (abandoned)
		log_warn("swap", "#%llu: %u statedb entries made by the hooks were still pinned: "
			 "removed, their bytes left allocated", (unsigned long long)x->h.seq,
			 (unsigned)abandoned);
}

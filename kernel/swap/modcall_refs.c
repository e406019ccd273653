/*
 * modcall_refs.c - the statedb strong references a guarded module call
 * takes (statedb_get) and has not put back yet, so that a call that faults
 * does not leave entries pinned for ever: on a fault each one is put back.
 *
 * The record of a call lives in modcall_refs_call's frame and rides on the
 * call's guard (guard_call_tracked): the statedb observer finds the record
 * of the running task's innermost open call at the current interrupt level
 * through the task's own guard stack, so nothing is shared between tasks or
 * CPUs, and there is no limit on the calls open at once (every module task
 * sits in one for its whole life).  A call that faulted inside another
 * takes its record with its guard (the unwind drops inner guards).  Up to
 * MODCALL_REFS_MAX distinct references per call; more are counted as
 * untracked and stay pinned (logged).
 */
#include "modcall_impl.h"

#include "cpu.h"
#include "log.h"
#include "statedb.h"

struct refs_record {
	size_t n;
	unsigned untracked;
	struct {
		struct statedb_ref ref;
		unsigned count;
	} e[MODCALL_REFS_MAX];
};

/* Runs in the task that took or put the reference, interrupts off so that
 * no guard is pushed or unwound under the walk. */
static void observe(struct statedb_ref ref, int delta)
{
	uint64_t fl = irq_save();
	struct refs_record *r = guard_current_tracker();
	size_t i;
	if (!r)
		goto out;
	for (i = 0; i < r->n; i++)
		if (r->e[i].ref.slot == ref.slot && r->e[i].ref.gen == ref.gen)
			break;
	if (delta > 0) {
		if (i == r->n) {
			if (r->n == MODCALL_REFS_MAX) {
				r->untracked++;
				goto out;
			}
			r->e[r->n].ref = ref;
			r->e[r->n++].count = 0;
		}
		r->e[i].count++;
	} else if (i < r->n && r->e[i].count) {
		r->e[i].count--; /* a put of a reference got before the call: not ours */
	}
out:
	irq_restore(fl);
}

/* After a faulted call: put back what the record still holds. */
static void put_back(struct refs_record *r, const char *module)
{
	unsigned dropped = 0, failed = 0;
	for (size_t i = 0; i < r->n; i++) {
		while (r->e[i].count) {
			r->e[i].count--;
			if (statedb_put(r->e[i].ref))
				failed++; /* deleted or replaced meanwhile */
			else
				dropped++;
		}
	}
	if (dropped || failed || r->untracked)
		log_warn("fault", "%s: put back %u statedb references the faulted call held%s",
			 module, dropped, r->untracked ? " (more were not tracked: still pinned)" : "");
}

int modcall_refs_call(const char *module, struct guard *g, const char *what,
		      enum guard_budget budget, guard_fn fn, void *ctx)
{
	static bool installed;
	if (!installed) {
		statedb_set_strong_observer(observe);
		installed = true;
	}
	struct refs_record rec = { 0 };
	int r = guard_call_tracked(g, what, budget, fn, ctx, &rec);
	if (g->tripped)
		put_back(&rec, module);
	return r;
}

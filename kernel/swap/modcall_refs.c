/*
 * modcall_refs.c - the statedb strong references a guarded module call
 * takes (statedb_get) and has not put back yet, so that a call that faults
 * does not leave entries pinned for ever: on a fault each one is put back.
 * Kept per call (nested calls chain; the innermost records), only for the
 * task that made the call at the interrupt level it was made at.  Up to
 * MODCALL_REFS_MAX distinct references per call; more are counted as
 * untracked and stay pinned (logged).
 */
#include "modcall_impl.h"

#include "log.h"
#include "statedb.h"
#include "task.h"

static struct modcall_refs *cur;

static void observe(struct statedb_ref ref, int delta)
{
	struct modcall_refs *r = cur;
	size_t i;
	if (!r || task_current() != r->task || guard_irq_depth() != r->irq_depth)
		return;
	for (i = 0; i < r->n; i++)
		if (r->e[i].ref.slot == ref.slot && r->e[i].ref.gen == ref.gen)
			break;
	if (delta > 0) {
		if (i == r->n) {
			if (r->n == MODCALL_REFS_MAX) {
				r->untracked++;
				return;
			}
			r->e[r->n].ref = ref;
			r->e[r->n++].count = 0;
		}
		r->e[i].count++;
	} else if (i < r->n && r->e[i].count) {
		r->e[i].count--; /* a put of a reference got before the call: not ours */
	}
}

void modcall_refs_begin(struct modcall_refs *r)
{
	static bool installed;
	if (!installed) {
		statedb_set_strong_observer(observe);
		installed = true;
	}
	memset(r, 0, sizeof *r);
	r->prev = cur;
	r->task = task_current();
	r->irq_depth = guard_irq_depth();
	cur = r;
}

void modcall_refs_end(struct modcall_refs *r, bool faulted, const char *module)
{
	unsigned dropped = 0, failed = 0;
	cur = r->prev; /* also drops calls nested inside that a fault skipped */
	if (!faulted)
		return;
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

/*
 * modcall_refs.c - the statedb strong references a guarded module call
 * takes (statedb_get) and has not put back yet, so that a call that faults
 * does not leave entries pinned for ever: on a fault each one is put back.
 *
 * Kept per call, only for the task that made the call at the interrupt
 * level it was made at; the innermost open call of that task records.
 * Calls of different tasks interleave (a module task sleeping in its entry
 * while the main task runs invokes), so the open calls live in one table,
 * searched by task, not on a stack: ending a call also closes the calls of
 * the same task opened inside it (a fault skipped their ends), without
 * touching the unwound stack frames they were made from.  Up to
 * MODCALL_REFS_MAX distinct references per call and REFS_SLOTS open calls;
 * more are counted as untracked and stay pinned (logged).
 */
#include "modcall_impl.h"

#include "lock.h"
#include "log.h"
#include "statedb.h"
#include "task.h"

#define REFS_SLOTS 32   /* open guarded calls at once (tasks x nesting) */

struct refs_slot {
	bool used;
	const struct task *task;
	unsigned irq_depth;
	uint64_t seq;         /* opening order */
	size_t n;
	unsigned untracked;
	struct {
		struct statedb_ref ref;
		unsigned count;
	} e[MODCALL_REFS_MAX];
};

static struct refs_slot slots[REFS_SLOTS];
static struct spinlock refs_lock = SPINLOCK_INIT;
static uint64_t next_seq = 1;

/* refs_lock held: the current task's innermost open call at this level. */
static struct refs_slot *innermost(void)
{
	const struct task *t = task_current();
	unsigned depth = guard_irq_depth();
	struct refs_slot *best = NULL;
	for (size_t i = 0; i < REFS_SLOTS; i++) {
		struct refs_slot *s = &slots[i];
		if (s->used && s->task == t && s->irq_depth == depth && (!best || s->seq > best->seq))
			best = s;
	}
	return best;
}

static void observe(struct statedb_ref ref, int delta)
{
	uint64_t fl = spin_lock_irqsave(&refs_lock);
	struct refs_slot *r = innermost();
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
	spin_unlock_irqrestore(&refs_lock, fl);
}

void modcall_refs_begin(struct modcall_refs *r)
{
	static bool installed;
	if (!installed) {
		statedb_set_strong_observer(observe);
		installed = true;
	}
	r->slot = -1;
	r->seq = 0;
	uint64_t fl = spin_lock_irqsave(&refs_lock);
	for (size_t i = 0; i < REFS_SLOTS; i++) {
		struct refs_slot *s = &slots[i];
		if (s->used)
			continue;
		memset(s, 0, sizeof *s);
		s->used = true;
		s->task = task_current();
		s->irq_depth = guard_irq_depth();
		s->seq = next_seq++;
		r->slot = (int)i;
		r->seq = s->seq;
		break;
	}
	spin_unlock_irqrestore(&refs_lock, fl);
}

void modcall_refs_end(struct modcall_refs *r, bool faulted, const char *module)
{
	unsigned dropped = 0, failed = 0;
	struct refs_slot mine;
	bool have = false;
	uint64_t fl = spin_lock_irqsave(&refs_lock);
	if (r->slot >= 0 && r->slot < REFS_SLOTS && slots[r->slot].used &&
	    slots[r->slot].seq == r->seq) {
		struct refs_slot *s = &slots[r->slot];
		mine = *s;
		have = true;
		/* Close it and the same task's calls opened inside it. */
		for (size_t i = 0; i < REFS_SLOTS; i++)
			if (slots[i].used && slots[i].task == mine.task &&
			    slots[i].irq_depth >= mine.irq_depth && slots[i].seq >= mine.seq)
				slots[i].used = false;
	}
	spin_unlock_irqrestore(&refs_lock, fl);
	if (!have) {
		if (faulted)
			log_warn("fault", "%s: too many open module calls: the statedb references "
				 "the faulted call held were not tracked (still pinned)", module);
		return;
	}
	if (!faulted)
		return;
	for (size_t i = 0; i < mine.n; i++) {
		while (mine.e[i].count) {
			mine.e[i].count--;
			if (statedb_put(mine.e[i].ref))
				failed++; /* deleted or replaced meanwhile */
			else
				dropped++;
		}
	}
	if (dropped || failed || mine.untracked)
		log_warn("fault", "%s: put back %u statedb references the faulted call held%s",
			 module, dropped, mine.untracked ? " (more were not tracked: still pinned)" : "");
}

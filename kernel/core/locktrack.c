/*
 * locktrack.c - which spinlocks (lock.h) each CPU holds now, so that a
 * guarded call that faults can release the ones taken inside it (guard.c).
 * Every lock disables interrupts, so one stack per CPU is exact; releases
 * may come out of order (searched from the top).  Past LOCK_TRACK_MAX
 * nested locks the extra ones are counted but not recorded (never in
 * practice).
 */
#include "lock.h"
#include "smp.h"

#define LOCK_TRACK_MAX 32

struct track {
	struct spinlock *held[LOCK_TRACK_MAX];
	unsigned depth;
};

static struct track tracks[CPUS_MAX];

static struct track *mine(void)
{
	unsigned i = smp_cpu_index();
	return &tracks[i < CPUS_MAX ? i : 0];
}

void lock_track_acquire(struct spinlock *l)
{
	struct track *t = mine();
	if (t->depth < LOCK_TRACK_MAX)
		t->held[t->depth] = l;
	t->depth++;
}

void lock_track_release(struct spinlock *l)
{
	struct track *t = mine();
	if (!t->depth)
		return;
	unsigned top = t->depth < LOCK_TRACK_MAX ? t->depth : LOCK_TRACK_MAX;
	for (unsigned i = top; i-- > 0;) {
		if (t->held[i] == l) {
			for (unsigned j = i; j + 1 < top; j++)
				t->held[j] = t->held[j + 1];
			break;
		}
	}
	t->depth--;
}

unsigned lock_track_depth(void)
{
	return mine()->depth;
}

void lock_track_unwind(unsigned to)
{
	struct track *t = mine();
	while (t->depth > to) {
		t->depth--;
		if (t->depth < LOCK_TRACK_MAX && t->held[t->depth])
			__atomic_store_n(&t->held[t->depth]->held, 0, __ATOMIC_RELEASE);
	}
}

/*
 * locktrack.c - which spinlocks (lock.h) are held now, so that a guarded
 * call that faults can release the ones taken inside it (guard.c).  One CPU
 * and every lock disables interrupts, so one stack is exact; releases may
 * come out of order (searched from the top).  Past LOCK_TRACK_MAX nested
 * locks the extra ones are counted but not recorded (never in practice).
 */
#include "lock.h"

#define LOCK_TRACK_MAX 32

static struct spinlock *held[LOCK_TRACK_MAX];
static unsigned depth;

void lock_track_acquire(struct spinlock *l)
{
	if (depth < LOCK_TRACK_MAX)
		held[depth] = l;
	depth++;
}

void lock_track_release(struct spinlock *l)
{
	if (!depth)
		return;
	unsigned top = depth < LOCK_TRACK_MAX ? depth : LOCK_TRACK_MAX;
	for (unsigned i = top; i-- > 0;) {
		if (held[i] == l) {
			for (unsigned j = i; j + 1 < top; j++)
				held[j] = held[j + 1];
			break;
		}
	}
	depth--;
}

unsigned lock_track_depth(void)
{
	return depth;
}

void lock_track_unwind(unsigned to)
{
	while (depth > to) {
		depth--;
		if (depth < LOCK_TRACK_MAX && held[depth])
			__atomic_store_n(&held[depth]->held, 0, __ATOMIC_RELEASE);
	}
}

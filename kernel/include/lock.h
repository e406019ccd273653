/*
 * lock.h - the kernel's lock: an interrupt-disabling spinlock.
 *
 * Taking the lock disables interrupts on this CPU, then spins on a flag
 * until no other CPU holds it.  Usable from tasks and interrupt handlers.
 * Host builds (unit tests) get a plain flag with the same interface.
 *
 * The kernel tracks the locks each CPU holds (kernel/core/locktrack.c):
 * interrupts are off while any is held, so one stack per CPU is exact.  A guarded call
 * (guard.h) that faults releases the locks taken since its entry.
 */
#ifndef THESEUS_LOCK_H
#define THESEUS_LOCK_H

#include <stdint.h>

struct spinlock {
	volatile int held;
};
#define SPINLOCK_INIT { 0 }

#ifdef THESEUS_KERNEL
/* Held-lock tracking: record l as held / not held (interrupts are off). */
void lock_track_acquire(struct spinlock *l);
void lock_track_release(struct spinlock *l);
/* Locks held now; release every lock above depth (a guard's unwind). */
unsigned lock_track_depth(void);
void lock_track_unwind(unsigned depth);

static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
	while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
	lock_track_acquire(l);
	return flags;
}
static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	lock_track_release(l);
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
	if (flags & (1u << 9))
		__asm__ volatile("sti" ::: "memory");
}
#else
static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE))
		;
	return 0;
}
static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	(void)flags;
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}
#endif

#endif

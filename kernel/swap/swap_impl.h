/*
 * swap_impl.h - private to kernel/swap: the platform hooks (TSC, interrupt
 * flag, current stack) that swap_plat.c provides in the kernel and the host
 * tests provide in tests/unit/swap_plat_host.c, and the engine's internal
 * bookkeeping (object records, retiring list, history, subscribers).
 */
#ifndef THESEUS_SWAP_IMPL_H
#define THESEUS_SWAP_IMPL_H

#include "klibc.h"
#include "loader.h"
#include "swap.h"

/* ---- platform (swap_plat.c / host) --------------------------------------- */
uint64_t swap_plat_tsc(void);
uint64_t swap_plat_tsc_ns(uint64_t delta);
uint64_t swap_plat_now_ns(void);
uint64_t swap_plat_irq_save(void);
void swap_plat_irq_restore(uint64_t flags);
/* Every address a task may execute at or return to (kernel: all tasks via
 * task_foreach_return_address, or the current frame-pointer chain before
 * the scheduler runs; host: what the test pretends). */
void swap_plat_walk_current(swap_addr_fn fn, void *ctx);

/* ---- object records (swap_track.c) ---------------------------------------- */
struct swap_obj {
	void *bytes;                 /* kmalloc'ed copy, NULL if unknown */
	size_t len;
	uint64_t fnv;                /* FNV-1a 64 of the bytes */
	uint8_t sha[32];
	bool has_sha;
};
struct swap_track {
	char name[32];
	uint64_t serial;             /* loader_module_serial of the module cur is for */
	struct swap_obj cur, prev;
};
/* The record of the loaded module called name (NULL if none or stale:
 * describing an earlier load of that name). */
struct swap_track *swap_track_find(const char *name);
/* Whether t's current object is exactly (data, len[, sha]). */
bool swap_track_same(const struct swap_track *t, const void *data, size_t len, const uint8_t *sha);
/* After a committed swap from load old_serial to load new_serial: cur
 * becomes prev (if it described old_serial), obj (owned now) becomes cur. */
int swap_track_commit(const char *name, uint64_t old_serial, uint64_t new_serial,
		      struct swap_obj *obj) TH_MUST_CHECK;
uint64_t swap_fnv64(const void *data, size_t len);
void swap_obj_free(struct swap_obj *o);

/* ---- what others see (swap_notify.c) -------------------------------------------- */
/* The namespace changed: weak references go stale. */
void swap_generation_bump(void);
/* Call every subscriber (interrupts off). */
void swap_notify_subscribers(void);

/* ---- retiring list (swap_retire.c) ------------------------------------------ */
size_t swap_retire_room(void);
/* Append (cannot fail when room was checked). */
void swap_retire_add(struct module *m);

/* ---- history (swap_history.c) ------------------------------------------------ */
/* Next sequence number (1, 2, ...) */
uint64_t swap_history_next_seq(void);
void swap_history_add(const struct swap_history_entry *e);

#endif

/*
 * swap_impl.h - private to kernel/swap: the platform hooks (TSC, interrupt
 * flag, current stack) that swap_plat.c provides in the kernel and the host
 * tests provide in tests/unit/swap_plat_host.c, and the engine's internal
 * bookkeeping (kept objects, per-module records, transactions, retiring
 * list, history, subscribers).
 */
#ifndef THESEUS_SWAP_IMPL_H
#define THESEUS_SWAP_IMPL_H

#include "klibc.h"
#include "loader.h"
#include "module_abi.h"
#include "statedb.h"
#include "swap.h"

/* ---- platform (swap_plat.c / host) --------------------------------------- */
uint64_t swap_plat_tsc(void);
uint64_t swap_plat_tsc_ns(uint64_t delta);
uint64_t swap_plat_now_ns(void);
/* The engine's critical sections: interrupts off on this CPU and every other
 * CPU parked at a safe point (stop-machine, smp.h) until the restore. */
uint64_t swap_plat_irq_save(void);
void swap_plat_irq_restore(uint64_t flags);
/* Stop-the-world time summed over every critical section so far (ns), and
 * the CPUs running (whose pause it is). */
uint64_t swap_plat_pause_ns(void);
unsigned swap_plat_cpus(void);
/* One transaction (and reap) at a time on all CPUs: a lock owned by the
 * calling task, recursive, waited for by yielding (kernel), nothing (host). */
void swap_plat_engine_lock(void);
void swap_plat_engine_unlock(void);
/* Every address a task may execute at or return to (kernel: all tasks via
 * task_foreach_return_address, or the current frame-pointer chain before
 * the scheduler runs; host: what the test pretends). */
void swap_plat_walk_current(swap_addr_fn fn, void *ctx);

/* ---- objects (swap_obj.c): content-addressed, reference-counted copies ---- */
struct swap_obj {
	uint8_t sha[SWAP_SHA256_LEN]; /* valid once hashed (swap_obj_sha) */
	bool hashed;
	void *bytes;                 /* kmalloc'ed copy (8-byte aligned, as the loader wants) */
	size_t len;
	unsigned refs;
	struct swap_obj *next;       /* all kept objects */
};
/* A reference to the object with these bytes: the one kept with the same
 * SHA-256 (or the same bytes, for one not hashed yet), or a new copy.  sha
 * is the caller's verified hash (trusted), or NULL: the object is hashed
 * when its hash is first asked for (a boot module's, by `ls`, not during
 * the boot).  TH_ENOMEM, TH_EINVAL (no bytes). */
int swap_obj_get(const void *data, size_t len, const uint8_t *sha, struct swap_obj **out)
	TH_MUST_CHECK;
/* The object's SHA-256, computed on the first call. */
const uint8_t *swap_obj_sha(struct swap_obj *o);
/* Its SHA-256 if known already, else NULL (for swap_obj_get). */
const uint8_t *swap_obj_known_sha(const struct swap_obj *o);
struct swap_obj *swap_obj_ref(struct swap_obj *o);
void swap_obj_put(struct swap_obj *o);  /* NULL is fine; frees with the last reference */
size_t swap_obj_count(void);

/* ---- per-module records (swap_track.c) ---------------------------------------- */
struct swap_track {
	char name[TH_MODULE_NAME_MAX];
	char version[TH_MODULE_VERSION_MAX];  /* of the object it runs */
	uint64_t serial;                      /* loader_module_serial of the load it describes */
	struct swap_obj *stack[SWAP_UNDO_DEPTH]; /* stack[n - 1] runs now, older below */
	size_t n;
	bool first_load;                      /* stack[0] is the module's first object */
};
/* The record of the loaded module called name (NULL if none, or stale:
 * describing an earlier load of that name). */
struct swap_track *swap_track_find(const char *name);
/* Whether t's module runs object o. */
bool swap_track_runs(const struct swap_track *t, const struct swap_obj *o);
/* Module m was just loaded from o: a new record (takes over the reference). */
int swap_track_loaded(const struct module *m, struct swap_obj *o) TH_MUST_CHECK;
/* Module m replaced the load old_serial of its name, from o (the reference
 * is taken over): o is pushed, or for a rollback to the object below the
 * top, the top is popped. */
int swap_track_swapped(const struct module *m, uint64_t old_serial, struct swap_obj *o,
		       bool rollback) TH_MUST_CHECK;
/* Module name is gone: its record and references are dropped. */
void swap_track_unloaded(const char *name);

/* ---- one transaction (swap_txn.c) ----------------------------------------------- */
struct swap_txn {
	size_t k;                                 /* modules really loaded/swapped */
	struct module *old[SWAP_MAX_LOAD];
	const char *name[SWAP_MAX_LOAD];          /* NULL: a load of whatever the object declares */
	const char *label[SWAP_MAX_LOAD];         /* for the loader's messages */
	size_t idx[SWAP_MAX_LOAD];                /* the request item of each */
	size_t failed_item;                       /* swap_result.failed_item */
	struct swap_obj *obj[SWAP_MAX_LOAD];      /* references to the new objects */
	struct loader_stage *st;
	struct swap_history_entry h;
	uint64_t t;                               /* TSC at the start of the stage */
	uint64_t pause0;                          /* swap_plat_pause_ns() at the start */
	struct statedb_txn sdb;                   /* around the hooks (swap_state.c) */
	bool sdb_open;
};
/* NULL when out of memory (eb says so; nothing recorded). */
struct swap_txn *swap_txn_begin(enum swap_kind kind, bool rollback, size_t n,
				struct th_errbuf *eb);
/* The time since the last call (or begin) goes to stage s. */
void swap_txn_stage(struct swap_txn *x, enum swap_stage s);
/* History item j: module name, versions from and to ("" = not loaded). */
void swap_txn_item(struct swap_txn *x, size_t j, const char *name, const char *from,
		   const char *to);
/* Records the outcome (history, result, log), drops x's object references,
 * frees x; returns err. */
int swap_txn_end(struct swap_txn *x, int err, struct swap_result *res, struct th_errbuf *eb)
	TH_MUST_CHECK;

/* ---- statedb changes of the hooks (swap_state.c) -------------------------------- */
/* Open x's statedb transaction (TH_EBUSY nested too deep, TH_EINVAL no
 * statedb; eb says so). */
int swap_state_begin(struct swap_txn *x, struct th_errbuf *eb) TH_MUST_CHECK;
/* Commit or abort it (logged); nothing if none is open. */
void swap_state_end(struct swap_txn *x, bool commit);

/* ---- what others see (swap_notify.c) -------------------------------------------- */
/* The namespace changed: weak references go stale. */
void swap_generation_bump(void);
/* Call every subscriber (interrupts off). */
void swap_notify_subscribers(void);

/* ---- transactions (swap.c: swap, rollback; swap_load.c: load, unload) ------------ */
int swap_do_swap(struct swap_txn *x, const struct swap_request *items, size_t n,
		 struct th_errbuf *eb) TH_MUST_CHECK;
int swap_do_load(struct swap_txn *x, const struct swap_request *items, size_t n,
		 struct th_errbuf *eb) TH_MUST_CHECK;
/* Unload names[n] together (they may depend on each other; nothing else may
 * depend on them). */
int swap_do_unload(struct swap_txn *x, const char *const *names, size_t n,
		   struct th_errbuf *eb) TH_MUST_CHECK;

/* ---- dependencies among loaded modules (swap_deps.c) ------------------------ */
#define SWAP_DEPS_MAX 64  /* modules one search visits at most */
/* "kv, swapcaller" into buf: the live modules with an edge into m, other
 * than those in set[nset]; returns how many. */
size_t swap_dependents(struct module *m, struct module *const *set, size_t nset, char *buf,
		       size_t len);
/* m and every live module that depends on it, directly or not, into out
 * (m first); max + 1 when there are more than max. */
size_t swap_dependent_closure(struct module *m, struct module **out, size_t max);
/* Whether from links into to, directly or through other live modules. */
bool swap_depends_on(struct module *from, struct module *to);

/* ---- retiring list (swap_retire.c) ------------------------------------------ */
size_t swap_retire_room(void);
/* Append (cannot fail when room was checked). */
void swap_retire_add(struct module *m);

/* ---- history (swap_history.c) ------------------------------------------------ */
/* Next sequence number (1, 2, ...) */
uint64_t swap_history_next_seq(void);
/* Record e at its place by e->seq (after every entry with a lower one). */
void swap_history_add(const struct swap_history_entry *e);
/* msg into an entry's message: whole, or cut with "..." at its end when it
 * does not fit (so a cut message never reads as a whole one). */
void swap_history_set_msg(struct swap_history_entry *e, const char *msg);

#endif

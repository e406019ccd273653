/*
 * statedb.h - the clientless-state database: named, typed, versioned blobs
 * that live outside the modules, so that modules stay stateless and can be
 * swapped at any moment.  The one public header of statedb/.
 *
 * Model
 *   An entry has a name, a type tag, a layout version, a size and its bytes.
 *   Bytes live in place in a fixed arena (aligned to STATEDB_ALIGN).
 *   - A weak reference (struct statedb_ref) is a handle: slot index plus
 *     generation.  It costs nothing to keep, never keeps anything alive, and
 *     once the entry is deleted or replaced every use of it fails with
 *     TH_ESTALE.  Modules keep weak references.
 *   - A strong reference pins the entry's bytes in place: statedb_get()
 *     upgrades a weak reference into a pointer (strong count + 1) and
 *     statedb_put() drops it.  Strong references are counted, not named.
 *   - Named entries live in the namespace until statedb_delete().  Delete and
 *     replace are REFUSED with TH_EBUSY while strong references are held
 *     (never deferred): a pointer from statedb_get() stays valid until put.
 *   - Shared (multi-client) blobs are anonymous (their label is for
 *     inspection only, not looked up, not unique): each strong reference is
 *     one owning client, and the blob is freed when the last one releases it.
 *
 * Typical stateless module, per call:
 *
 *     struct statedb_ref ref; struct kv_table *t;
 *     int err = statedb_open("kv.table", KV_TYPE, KV_V1, sizeof *t, &ref, eb);
 *     if (!err) err = statedb_get(ref, KV_TYPE, KV_V1, (void **)&t, NULL);
 *     if (err) return err;
 *     ... use t ...
 *     return statedb_put(ref);
 *
 *   (statedb_open() finds the entry in O(1) or creates it zeroed; a caller
 *   that already holds a ref may call statedb_get() directly, which is O(1)
 *   and fails with TH_ESTALE when the ref must be refreshed by opening again.)
 *
 * Limits (all checked, all fail with an error, none with a crash)
 *   - names: 1..STATEDB_NAME_MAX bytes of [A-Za-z0-9_./-]           TH_EINVAL
 *   - sizes: 1..STATEDB_SIZE_MAX bytes                    TH_EINVAL/TH_ETOOBIG
 *     (also TH_ETOOBIG when larger than the whole data area)
 *   - entries (named + shared): max_entries given to statedb_init  TH_EFULL
 *   - bytes: the data area of the arena, first fit in STATEDB_ALIGN
 *     granules; fragmentation can refuse a size that the free total would
 *     hold; statedb_stats() reports the largest free run           TH_EFULL
 *   - counts: strong references up to UINT32_MAX - 1            TH_EOVERFLOW
 *
 * Transactions (kernel only, statedb_txn_*): while one is open, create,
 * open, replace, delete, close and the shared-blob calls are journaled so
 * that an abort undoes them exactly; they may then also fail with TH_EFULL
 * (journal full).  The swap engine opens one around module hooks.
 *
 * Concurrency: every call takes one spinlock (lock.h; interrupts disabled in
 * the kernel), so every function may be called from tasks and interrupt
 * handlers.  create/open/replace copy or zero the entry's bytes with the lock
 * held, so interrupts stay off for that copy: keep hot entries small.
 *
 * Errors common to all: TH_EINVAL for NULL arguments and before statedb_init.
 * Builds for the kernel (THESEUS_KERNEL) and the host from the same sources.
 */
#ifndef THESEUS_STATEDB_H
#define THESEUS_STATEDB_H

#include <stddef.h>
#include <stdint.h>

#include "klibc.h"

#define STATEDB_NAME_MAX 47           /* longest name, without the NUL */
#define STATEDB_SIZE_MAX (1u << 30)   /* largest entry, bytes */
#define STATEDB_ALIGN 16              /* alignment and granule of entry bytes */
#define STATEDB_ENTRIES_MAX 65536     /* largest max_entries of statedb_init */
#define STATEDB_TXN_RECORDS 64        /* journal records of an open transaction */
#define STATEDB_TXN_DEPTH 8           /* nested statedb_txn_begin at most */

/* A weak reference.  Plain data: copy it, store it anywhere, compare it.
 * It does not survive statedb_init(). */
struct statedb_ref {
	uint32_t slot;
	uint32_t gen;
};
/* A ref that names nothing (every use gives TH_ESTALE). */
#define STATEDB_REF_NONE ((struct statedb_ref){UINT32_MAX, 0})

enum statedb_kind {
	STATEDB_KIND_NAMED = 1,   /* in the namespace, lives until deleted */
	STATEDB_KIND_SHARED = 2,  /* multi-client, lives while owned */
};

/* What inspection sees of one entry (a copy, taken under the lock). */
struct statedb_info {
	char name[STATEDB_NAME_MAX + 1];  /* name, or a shared blob's label */
	struct statedb_ref ref;           /* its current weak reference */
	uint32_t kind;                    /* enum statedb_kind */
	uint32_t type;
	uint32_t version;
	uint32_t strong;   /* pins (named) or owning clients (shared) */
	uint32_t weak;     /* handles handed out by create/open/replace, not closed */
	uint64_t size;     /* bytes */
};

struct statedb_stats {
	uint32_t entries_max;   /* max_entries given to statedb_init */
	uint32_t entries_used;  /* named + shared */
	uint64_t data_bytes;    /* size of the data area */
	uint64_t data_used;     /* bytes allocated (sizes rounded to STATEDB_ALIGN) */
	uint64_t largest_free;  /* the largest entry a create could get now */
};

/* ---- set-up ---------------------------------------------------------- */
#ifndef THESEUS_MODULE_VIEW /* kernel only: not exported to modules */

/*
 * Take `arena` (bytes long, any alignment) as the whole store: the slot
 * table and name hash for max_entries (1..STATEDB_ENTRIES_MAX) and the
 * allocation bitmap are carved from it, the rest holds entry bytes.  Size it
 * with statedb_arena_size(); the kernel gives e.g. 1024 entries and 1 MiB.
 * Calling it again discards every entry and makes every ref stale (tests).
 * Errors: TH_EINVAL (NULL arena, max_entries out of range, arena too small
 * to hold the tables and one granule of data).
 */
int statedb_init(void *arena, size_t bytes, uint32_t max_entries,
		 struct th_errbuf *eb) TH_MUST_CHECK;

/* Arena bytes that hold max_entries entries and at least data_bytes of entry
 * bytes, at any arena alignment (about 100 bytes per entry plus
 * data_bytes * 129/128).  0 when an argument is out of range. */
size_t statedb_arena_size(uint32_t max_entries, size_t data_bytes);
#endif

/* ---- named entries --------------------------------------------------- */

/*
 * Create entry `name` with a copy of `bytes` (NULL: zeroed).  *ref gets its
 * weak reference (counted as one handle, see statedb_close).
 * Errors: TH_EINVAL (bad name, size 0), TH_ETOOBIG (size), TH_EEXIST,
 * TH_EFULL (no free slot or no free run of bytes).
 */
int statedb_create(const char *name, uint32_t type, uint32_t version,
		   size_t size, const void *bytes, struct statedb_ref *ref,
		   struct th_errbuf *eb) TH_MUST_CHECK;

/*
 * Open-or-create: if `name` exists with this type, version and size, *ref
 * gets its weak reference; if it does not exist it is created zeroed.
 * Counts one handle.  Errors: those of statedb_create except TH_EEXIST, and
 * TH_ETYPE when the entry exists with another type, version or size.
 */
int statedb_open(const char *name, uint32_t type, uint32_t version,
		 size_t size, struct statedb_ref *ref,
		 struct th_errbuf *eb) TH_MUST_CHECK;

/* The current weak reference of `name` (not counted as a handle).
 * Errors: TH_EINVAL (bad name), TH_ENOENT. */
int statedb_lookup(const char *name, struct statedb_ref *ref,
		   struct th_errbuf *eb) TH_MUST_CHECK;

/*
 * Install new bytes under an existing name, possibly with a new type,
 * version and size; bumps the generation so every older ref goes stale.
 * `bytes` NULL keeps the old bytes as a prefix (min of the two sizes) and
 * zeroes the rest: the way to grow a layout.  The new bytes are allocated
 * before the old are freed, so replacing needs room for both.  *ref gets the
 * new weak reference, the handle count restarts at 1.  On error nothing
 * changes.  Errors: TH_EINVAL, TH_ETOOBIG, TH_ENOENT, TH_EBUSY (strong
 * references held), TH_EFULL.
 */
int statedb_replace(const char *name, uint32_t type, uint32_t version,
		    size_t size, const void *bytes, struct statedb_ref *ref,
		    struct th_errbuf *eb) TH_MUST_CHECK;

/* Delete `name`; its refs go stale.  Errors: TH_EINVAL, TH_ENOENT,
 * TH_EBUSY (strong references held: refused, nothing changes). */
int statedb_delete(const char *name, struct th_errbuf *eb) TH_MUST_CHECK;

/* Give back a handle from create/open/replace (only the inspection count
 * changes).  Errors: TH_ESTALE, TH_EINVAL (shared blob, or none open). */
int statedb_close(struct statedb_ref ref) TH_MUST_CHECK;

/* ---- strong references (named entries and shared blobs) -------------- */

/*
 * Upgrade: check that ref is live and of this type and version, pin it and
 * set *data to its bytes (and *size, if size is not NULL).  The pointer is
 * valid until the matching statedb_put().  O(1).
 * Errors: TH_EINVAL (data NULL), TH_ESTALE (deleted, replaced, released or
 * never valid), TH_ETYPE (other type or version), TH_EOVERFLOW.
 */
int statedb_get(struct statedb_ref ref, uint32_t type, uint32_t version,
		void **data, size_t *size) TH_MUST_CHECK;

/* Drop one strong reference (a shared blob dropping to zero is freed).
 * Errors: TH_ESTALE, TH_EINVAL (no strong reference held: double release),
 * TH_EFULL (freeing a shared blob in a transaction whose journal is full). */
int statedb_put(struct statedb_ref ref) TH_MUST_CHECK;

#ifndef THESEUS_MODULE_VIEW /* kernel only: not exported to modules */
/* An observer of strong references: fn(ref, +1) after every successful
 * statedb_get, fn(ref, -1) after every successful statedb_put, called
 * outside the lock.  The kernel uses it to drop the references a faulting
 * module call took and never put (README "Faults and recovery").  NULL
 * removes it. */
void statedb_set_strong_observer(void (*fn)(struct statedb_ref ref, int delta));
#endif

#ifndef THESEUS_MODULE_VIEW /* kernel only: not exported to modules */
/* ---- transactions (the swap engine around module hooks) --------------- */

/*
 * While a transaction is open every change to statedb is journaled, whoever
 * makes it, so that an abort puts back exactly what was there at begin:
 *   - an entry created (create, open, shared_create) is removed, its refs
 *     go stale;
 *   - an entry replaced or deleted comes back with its name, type, version,
 *     size, bytes, weak-handle count and generation, so the refs from before
 *     the begin work again (those handed out inside stay stale for good);
 *   - handles opened/closed (weak counts) and shared-blob owners retained/
 *     released are counted back; a shared blob freed inside comes back.
 * Not journaled: strong pins (statedb_get/put: a pin is over at its put)
 * and bytes written in place through a statedb_get pointer.  An entry
 * created or replaced inside that is still pinned at the abort cannot be
 * freed under its pointer: the abort removes it (refs stale) and leaves its
 * bytes allocated for good ("abandoned", counted).
 * Until the outermost commit a replaced entry's old bytes and a deleted
 * entry's slot and bytes stay allocated (statedb_stats counts them); the
 * commit frees them.  A change that needs a journal record when all
 * STATEDB_TXN_RECORDS are used fails with TH_EFULL and changes nothing
 * (repeated opens/closes of one entry share one record).
 * Transactions nest (savepoints, up to STATEDB_TXN_DEPTH): an inner commit
 * hands its records to the outer one, an inner abort undoes only its own;
 * they must end innermost first.  statedb_init discards an open one.
 */
struct statedb_txn {
	uint32_t depth;  /* this transaction's nesting level, 1 = outermost */
	uint32_t mark;   /* journal records before it */
	uint32_t epoch;  /* statedb_init count at begin */
};

/* Errors: TH_EINVAL (t NULL, not initialized), TH_EBUSY (nested too deep). */
int statedb_txn_begin(struct statedb_txn *t) TH_MUST_CHECK;
/* Keep the changes (the outermost frees what replaced/deleted entries used).
 * Errors: TH_EINVAL (t is not the innermost open transaction). */
int statedb_txn_commit(struct statedb_txn *t) TH_MUST_CHECK;
/* Undo the changes made since t began; *abandoned (may be NULL) gets the
 * count of pinned entries whose bytes stay allocated.  Errors: TH_EINVAL
 * (t is not the innermost open transaction: nothing undone). */
int statedb_txn_abort(struct statedb_txn *t, uint32_t *abandoned) TH_MUST_CHECK;
#endif

/* ---- shared (multi-client) blobs ------------------------------------- */

/*
 * Create a zeroed blob owned by the caller (strong count 1).  `label` follows
 * the name rules but is only shown by inspection.  Bytes: statedb_get/put.
 * Errors: TH_EINVAL, TH_ETOOBIG, TH_EFULL.
 */
int statedb_shared_create(const char *label, uint32_t type, uint32_t version,
			  size_t size, struct statedb_ref *ref,
			  struct th_errbuf *eb) TH_MUST_CHECK;

/* One more owning client.  Errors: TH_ESTALE, TH_EINVAL (a named entry),
 * TH_EOVERFLOW. */
int statedb_shared_retain(struct statedb_ref ref) TH_MUST_CHECK;

/* One owning client leaves; the last one frees the blob and its refs go
 * stale (so a double release after that gives TH_ESTALE).
 * Errors: TH_ESTALE, TH_EINVAL (a named entry). */
int statedb_shared_release(struct statedb_ref ref) TH_MUST_CHECK;

/* ---- inspection (e.g. the network "state" command) -------------------- */

/* What ref names.  Errors: TH_EINVAL (out NULL), TH_ESTALE. */
int statedb_inspect(struct statedb_ref ref, struct statedb_info *out) TH_MUST_CHECK;

#ifndef THESEUS_MODULE_VIEW /* kernel only: not exported to modules */
/*
 * Cursor over all entries in slot order: start with *cursor = 0 and call
 * until TH_ENOENT.  Each call takes the lock once, so entries created or
 * deleted meanwhile may or may not be seen, but the walk always ends.
 */
int statedb_next(uint32_t *cursor, struct statedb_info *out) TH_MUST_CHECK;

/* Capacity and use.  Errors: TH_EINVAL. */
int statedb_stats(struct statedb_stats *out) TH_MUST_CHECK;
#endif

#endif

/*
 * swap.h - the live swap engine: replace loaded modules by new objects while
 * the kernel runs, relink their dependents, keep their state, roll back on
 * any failure, retire the old code safely, and keep a timed history.
 *
 * A swap is a transaction over n (module, new object) pairs:
 *   load     the new objects are loaded *beside* the old ones (nothing
 *            visible changes; references among them resolve to each other)
 *   verify   every symbol a dependent uses in an old module is exported by
 *            its replacement (else TH_ENOSYM naming symbol, dependent, module)
 *   relink   with interrupts off: the recorded dependent sites are rewritten
 *            (W^X restored), edges moved, namespace and module list switched
 *   transfer still with interrupts off: each new module's transfer(old_info)
 *            (or, if it has none, its init) in dependency order; an error
 *            reverts everything; then each old module's fini
 *   cleanup  old versions are retired: freed at once if no task executes or
 *            returns into them, else kept on a retiring list (swap_reap())
 * Any failure leaves the old set exactly as it was: same addresses, edges,
 * namespace; the engine itself never touches statedb.
 *
 * Not reentrant; call from one control context (the boot path, a self-test,
 * the network endpoint).  Builds for the kernel and for the host tests.
 */
#ifndef THESEUS_SWAP_H
#define THESEUS_SWAP_H

#include "klibc.h"

#define SWAP_MAX_ITEMS 8          /* modules in one transaction */
#define SWAP_HISTORY_LEN 64       /* swap history ring entries */
#define SWAP_MAX_TRACKED 64       /* modules whose objects the engine keeps */
#define SWAP_MAX_RETIRING 64      /* old versions waiting to be freed */

/* One module to replace. */
struct swap_request {
	const char *name;            /* loaded module to replace */
	const void *data;            /* new object (copied; may be freed after) */
	size_t len;
	const char *expect_version;  /* compare-and-swap: current version, or NULL = any */
	const uint8_t *sha256;       /* optional: the object's SHA-256 (32 bytes) */
};

enum swap_stage {
	SWAP_STAGE_LOAD,      /* parse, map, resolve, relocate beside the old */
	SWAP_STAGE_VERIFY,    /* dependents' symbols present */
	SWAP_STAGE_RELINK,    /* sites rewritten, namespace switched */
	SWAP_STAGE_TRANSFER,  /* transfer/init of new, fini of old */
	SWAP_STAGE_CLEANUP,   /* retire/free old versions, bookkeeping */
	SWAP_NSTAGES
};

struct swap_result {
	int err;                       /* as returned */
	bool unchanged;                /* every module already ran its object: nothing done */
	size_t swapped;                /* modules replaced */
	size_t sites;                  /* dependent sites relinked */
	uint64_t stage_ns[SWAP_NSTAGES];
	uint64_t total_ns;
	uint64_t seq;                  /* history sequence number of this swap */
	size_t retiring;               /* old versions still waiting after this swap */
};

/*
 * Replace items[i].name by items[i].data for all i as one transaction.
 * Items whose module already runs exactly that object (same SHA-256 when
 * given for both, else same bytes) are skipped; if all are, the result is
 * TH_OK with res->unchanged (a retried request is harmless).  Errors:
 * TH_ENOENT (no such module), TH_ECONFLICT (expect_version differs),
 * TH_EINVAL (bad request, object declares another module name), TH_ENOSYM
 * (a dependent's symbol missing in the replacement), any loader error
 * (TH_EBADELF, TH_EDUPSYM, TH_ESPILL, ...), TH_EINIT (a transfer/init hook
 * failed: eb names module and code), TH_ENOMEM, TH_EBUSY.
 * res and eb may be NULL.  Every call is recorded in the history.
 */
int swap_modules(const struct swap_request *items, size_t n, struct swap_result *res,
		 struct th_errbuf *eb) TH_MUST_CHECK;

/* Swap name back to the object it ran before its last swap (through the same
 * path).  TH_ENOENT if the engine has no previous object for it. */
int swap_rollback(const char *name, struct swap_result *res, struct th_errbuf *eb) TH_MUST_CHECK;

/* Tell the engine the object a module was loaded from (the boot path does,
 * for every boot module) so that it can detect a no-op swap and roll back to
 * it.  The bytes are copied. */
int swap_track_object(const char *name, const void *data, size_t len) TH_MUST_CHECK;

/* Drop every kept object (tests; a module's record also goes stale by
 * itself when that module is unloaded and loaded again). */
void swap_forget_all(void);

/* The object module `name` runs now, as the engine keeps it (after a swap or
 * rollback, or given by swap_track_object): *data stays valid until the next
 * swap of that module.  TH_ENOENT if the engine has none. */
int swap_current_object(const char *name, const void **data, size_t *len) TH_MUST_CHECK;

/* Free the retired versions no task can execute in or return into any more.
 * Called by every swap; the main loop / a periodic hook may call it too.
 * Returns how many remain. */
size_t swap_reap(void);
size_t swap_retiring_count(void);

/* Bumped by every committed swap (and revert): a cached function pointer
 * obtained by name is valid only while the generation it was taken at is
 * current (weak reference). */
uint64_t swap_generation(void);

/* A weak reference to a namespace symbol: swap_symref_get() returns the
 * current address, looking it up again after any swap.  TH_ENOENT if the
 * symbol is gone. */
struct swap_symref {
	const char *name;
	uintptr_t addr;
	uint64_t gen;    /* 0 = never resolved */
};
int swap_symref_get(struct swap_symref *r, uintptr_t *addr) TH_MUST_CHECK;

/*
 * Subscribers to changes of the namespace: fn(ctx) is called with interrupts
 * off right after a swap has committed, and again if it is reverted, when the
 * namespace is in its final state.  A subsystem that caches addresses of
 * module symbols (the scheduler caches its policy's ops table) re-resolves
 * them here.  It may look symbols up; it must not block or change the
 * loader's state.  Subscribers are called in the order they subscribed.
 * The node is the caller's (static, usually) and stays linked until
 * swap_unsubscribe; TH_EEXIST if it is already subscribed, TH_EINVAL without fn.
 */
struct swap_subscriber {
	void (*fn)(void *ctx);
	void *ctx;
	struct swap_subscriber *next;  /* the engine's */
};
int swap_subscribe(struct swap_subscriber *s) TH_MUST_CHECK;
void swap_unsubscribe(struct swap_subscriber *s);

/* Where tasks are (the safe-retirement check): in the kernel, every address
 * task_foreach_return_address() reports (each task's RIP and the return
 * addresses on its stack), or before the scheduler runs the current stack's
 * frame-pointer chain.  Retiring versions any of them points into are kept. */
typedef void (*swap_addr_fn)(void *ctx, uintptr_t addr);

/* ---- history ---------------------------------------------------------------- */
#define SWAP_HISTORY_NAMES 4
struct swap_history_entry {
	uint64_t seq;
	uint64_t when_ns;              /* time since boot when the swap started */
	int err;
	bool rollback, unchanged;
	size_t n;                      /* modules in the request */
	size_t sites;
	struct {
		char name[32];
		char from[16], to[16];   /* versions */
	} item[SWAP_HISTORY_NAMES];
	uint64_t stage_ns[SWAP_NSTAGES];
	uint64_t total_ns;
	char msg[96];                  /* error message, if any */
};
/* Oldest first: for (i = 0; swap_history_get(i, &e); i++).  false past the end. */
bool swap_history_get(size_t i, struct swap_history_entry *out);
size_t swap_history_count(void);
/* One line per entry:
 *   "#3 t=1.234567s hello 1.0->2.0 OK sites=2 load=12us verify=1us relink=3us
 *    transfer=0us cleanup=5us total=21us"
 * Writes at most len bytes (NUL-terminated if len > 0); returns the length
 * the full text needs, like snprintf. */
size_t swap_history_format(char *buf, size_t len);
const char *swap_stage_name(enum swap_stage s);

/* ---- kernel: boot trigger and self-test (kernel/swap/swap_boot.c) -------- */
struct boot_info;
/* Whether boot module `name` is a swap source that must not be loaded:
 * named on the command line as "swap=mod:src[,mod:src]" or "swapsrc=a,b". */
bool swap_boot_is_source(const struct boot_info *boot, const char *name);
/* Object bytes of boot module `name` (8-byte aligned copy, kfree it). */
int swap_boot_object(const struct boot_info *boot, const char *name, void **data, size_t *len)
	TH_MUST_CHECK;
/* After the boot modules are loaded: remembers boot (for the self-test) and
 * performs the swaps of "swap=" as one transaction, logging the greeting of
 * hello_greet (if loaded) before and after, and the swap history. */
void swap_boot_run(const struct boot_info *boot);
/* selftest=swapstress (kernel/swap/swap_stress.c; needs swap_boot_run first).
 * Never returns: powers off with success or failure. */
__attribute__((noreturn)) void swap_selftest_stress(void);

#endif

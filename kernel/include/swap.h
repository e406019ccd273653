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
 * The engine is the one owner of "which object does module X run": every
 * load (boot modules, swap= on the command line, the network), swap,
 * rollback and unload is one of its transactions, with a history entry,
 * stage times and compare-and-swap alike.  Per module it records name,
 * version and the SHA-256 of the object, and keeps the last
 * SWAP_UNDO_DEPTH objects (content-addressed, one copy per distinct object)
 * so that swap_rollback() undoes swaps one by one, down to the first load.
 *
 * Not reentrant; call from one control context (the boot path, a self-test,
 * the network endpoint).  Builds for the kernel and for the host tests.
 */
#ifndef THESEUS_SWAP_H
#define THESEUS_SWAP_H

#include "klibc.h"

#define SWAP_MAX_ITEMS 8          /* modules in one swap transaction */
#define SWAP_MAX_LOAD 16          /* modules in one load transaction (all boot modules) */
#define SWAP_UNDO_DEPTH 8         /* objects kept per module: the running one + 7 to roll back to */
#define SWAP_HISTORY_LEN 64       /* swap history ring entries */
#define SWAP_MAX_TRACKED 64       /* modules whose objects the engine keeps */
#define SWAP_MAX_RETIRING 64      /* old versions waiting to be freed */
#define SWAP_SHA256_LEN 32

/* One module to load or replace. */
struct swap_request {
	const char *name;            /* module; for a load NULL = whatever the object declares */
	const void *data;            /* the object (copied; may be freed after) */
	size_t len;
	const char *expect_version;  /* compare-and-swap: the running version; "" = not
				      * loaded yet (a load); NULL = any loaded version */
	const uint8_t *sha256;       /* the object's SHA-256 when the caller has verified it
				      * (the staging area); NULL: the engine hashes it, once */
	const char *label;           /* for messages until the module is known (a boot
				      * module's name); NULL = name */
};

enum swap_stage {
	SWAP_STAGE_LOAD,      /* parse, map, resolve, relocate beside the old */
	SWAP_STAGE_VERIFY,    /* dependents' symbols present */
	SWAP_STAGE_RELINK,    /* sites rewritten, namespace switched */
	SWAP_STAGE_TRANSFER,  /* transfer/init of new, fini of old */
	SWAP_STAGE_CLEANUP,   /* retire/free old versions, bookkeeping */
	SWAP_NSTAGES
};

/* What a history entry records (swap_kind_name()): a transaction, or an
 * event that is none (fault, quarantine: no stage times, status EFAULT, the
 * module's version on both sides of the item). */
enum swap_kind {
	SWAP_KIND_SWAP,       /* loaded modules replaced by new objects */
	SWAP_KIND_LOAD,       /* modules not loaded before (from "": not loaded) */
	SWAP_KIND_ROLLBACK,   /* a module back to the object it ran before its last swap */
	SWAP_KIND_UNLOAD,     /* a module taken out (the rollback of its first load; to "") */
	SWAP_KIND_FAULT,      /* a module's code faulted, also in an init hook of a module
			       * being loaded (modcall.h); no transaction */
	SWAP_KIND_RESTART,    /* a fresh copy of the object a module runs (recovery) */
	SWAP_KIND_QUARANTINE, /* a faulted module is refused calls until swapped; no transaction */
	SWAP_NKINDS
};

struct swap_result {
	int err;                       /* as returned */
	bool unchanged;                /* every module already ran its object: nothing done */
	enum swap_kind kind;
	size_t swapped;                /* modules loaded, replaced or unloaded */
	size_t sites;                  /* dependent sites relinked */
	uint64_t stage_ns[SWAP_NSTAGES];
	uint64_t total_ns;
	uint64_t seq;                  /* history sequence number of this transaction */
	size_t retiring;               /* old versions still waiting after this swap */
	size_t failed_item;            /* the request item whose object was refused or whose
					* init/transfer hook failed; SIZE_MAX: none alone */
};

/*
 * The one way modules are loaded or replaced: items[i].name gets object
 * items[i].data for all i, as one transaction.
 *
 * Swap (every expect_version NULL or a version): items whose module already
 * runs exactly that object (same SHA-256) are skipped; if all are, the result
 * is TH_OK with res->unchanged (a retried request is harmless).
 * Load (every expect_version ""): the modules must not be loaded yet (one
 * that already runs that very object is skipped as above); the objects are
 * loaded as one batch (they may depend on each other), init hooks run, and
 * each becomes its module's first object, whose rollback unloads it.
 * Errors: TH_ENOENT (no such module), TH_ECONFLICT (expect_version differs,
 * or a load of a module that runs another object), TH_ENOTSUP (loads and
 * swaps mixed), TH_EINVAL (bad request, object declares another module name),
 * TH_ENOSYM (a dependent's symbol missing in the replacement), any loader
 * error (TH_EBADELF, TH_EDUPSYM, TH_ESPILL, TH_EEXIST, ...), TH_EINIT (a
 * transfer/init hook failed: eb names module and code), TH_ENOMEM, TH_EBUSY.
 * res and eb may be NULL.  Every call is recorded in the history.
 */
int swap_modules(const struct swap_request *items, size_t n, struct swap_result *res,
		 struct th_errbuf *eb) TH_MUST_CHECK;

/* Undo the last swap of name: back to the object it ran before (through the
 * swap path), or, when what runs is the module's first object, unload it
 * (TH_EBUSY "NAME: A, B depend on it" while other modules link into it).
 * TH_ENOENT when not loaded, or when the older objects were dropped (the
 * engine keeps SWAP_UNDO_DEPTH per module). */
int swap_rollback(const char *name, struct swap_result *res, struct th_errbuf *eb) TH_MUST_CHECK;
/* swap_rollback, or with may_unload false: a module running its first
 * object is left loaded, TH_ENOENT "NAME: nothing to roll back ..." (the
 * endpoint's RollbackRequest.keep_first_load). */
int swap_undo(const char *name, bool may_unload, struct swap_result *res,
	      struct th_errbuf *eb) TH_MUST_CHECK;
/* swap_rollback of names[n] (1..SWAP_MAX_ITEMS) as one transaction, all or
 * nothing: either every module swaps back to its previous object (kind
 * "rollback"), or every one runs its first object and all are unloaded
 * together (kind "unload"): modules that depend on each other (a cycle)
 * can only go that way, and swap_rollback of one of them is refused
 * (TH_EBUSY "B: A depends on it, and it on A (a cycle): roll them back
 * together: rollback B A").  TH_ENOTSUP for a mix of the two; TH_EBUSY
 * while a module outside the set depends on one being unloaded; TH_EINVAL
 * for a module named twice. */
int swap_rollback_set(const char *const *names, size_t n, struct swap_result *res,
		      struct th_errbuf *eb) TH_MUST_CHECK;
/* swap_rollback_set, or with may_unload false: when every module runs its
 * first object, none is unloaded: TH_ENOENT "A, B: nothing to roll back ..."
 * naming them (the endpoint's RollbackSetRequest.keep_first_load).
 * swap_undo(name, u) is swap_undo_set(&name, 1, u). */
int swap_undo_set(const char *const *names, size_t n, bool may_unload,
		  struct swap_result *res, struct th_errbuf *eb) TH_MUST_CHECK;

/* Load a fresh copy of the object module name runs and swap it in (the
 * recovery of a faulted module, modcall.h): dependents relinked, transfer
 * (or init) runs again, statedb untouched; history kind "restart".
 * TH_ENOENT when not loaded through the engine. */
int swap_restart(const char *name, struct swap_result *res, struct th_errbuf *eb) TH_MUST_CHECK;

/* A history entry of kind "fault" (module name at version faulted: msg) or
 * "quarantine" (calls into it refused until it is swapped); no transaction. */
void swap_history_note(enum swap_kind kind, const char *name, const char *version,
		       const char *msg);

/* Take module name out (a transaction: history, stage times): refused with
 * TH_EBUSY naming the modules that depend on it; its code is freed once no
 * task runs in it (like a swapped-out version).  TH_ENOENT when not loaded. */
int swap_unload(const char *name, struct swap_result *res, struct th_errbuf *eb) TH_MUST_CHECK;

/* What the engine knows of the module called name: the version and object
 * it runs and how far it can roll back.  TH_ENOENT when it is not loaded or
 * was loaded around the engine. */
struct swap_module_record {
	char version[16];
	uint8_t sha256[SWAP_SHA256_LEN];  /* of the object it runs */
	size_t len;                       /* of that object */
	size_t undo;                      /* older objects kept to roll back to */
	bool first_load;                  /* the oldest kept is its first load: rolling
					   * back past it unloads the module */
};
int swap_describe(const char *name, struct swap_module_record *out) TH_MUST_CHECK;

/* Drop every record and kept object (host tests, between cases). */
void swap_forget_all(void);

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
 * off after every transaction that changed which modules run (a swap
 * committed, or reverted after a hook failed; a load; an unload), when the
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
	uint64_t seq;                  /* 1, 2, ... in the order entries started; the
					* ring is kept in this order */
	uint64_t when_ns;              /* time since boot when the swap started */
	int err;
	enum swap_kind kind;
	bool rollback, unchanged;      /* rollback: asked for by swap_rollback (kind
					* ROLLBACK, or UNLOAD of a first load) */
	size_t n;                      /* modules in the request: item[] lists the
					* first SWAP_HISTORY_NAMES of them */
	size_t sites;
	struct {
		char name[32];
		char from[16], to[16];   /* versions; "" = not loaded */
	} item[SWAP_HISTORY_NAMES];
	uint64_t stage_ns[SWAP_NSTAGES];
	uint64_t total_ns;
	uint64_t pause_ns;             /* stop-the-world: every CPU stopped (smp.h) */
	unsigned cpus;                 /* CPUs running during the transaction */
	char msg[96];                  /* error message, if any */
};
/* Oldest first, seq strictly increasing: for (i = 0; swap_history_get(i, &e);
 * i++).  false past the end. */
bool swap_history_get(size_t i, struct swap_history_entry *out);
size_t swap_history_count(void);
/* One line per entry:
 *   "#3 t=1.234567s hello 1.0->2.0 OK sites=2 load=12us verify=1us relink=3us
 *    transfer=0us cleanup=5us total=21us pause=4us/4cpu"
 * with the kind after the time unless it is a swap ("#1 t=0.2s load hello
 * none->1.0 ...", "rollback", "unload", "restart", "fault", "quarantine");
 * "none" = not loaded; more modules than item[] holds end the list with
 * " +N more".
 * Writes at most len bytes (NUL-terminated if len > 0); returns the length
 * the full text needs, like snprintf. */
size_t swap_history_format(char *buf, size_t len);
const char *swap_stage_name(enum swap_stage s);
/* "swap", "load", "rollback", "unload", "fault", "restart", "quarantine" */
const char *swap_kind_name(enum swap_kind k);

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
/* Called with "before swap", "after swap" or "after refused swap" around the
 * swap= transaction (the test image shows hello's greeting there). */
void swap_boot_set_observer(void (*fn)(const char *when));

#endif

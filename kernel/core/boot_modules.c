/*
 * boot_modules.c - load the boot modules at start-up (see boot_modules.h).
 *
 * Every load is a transaction of the swap engine.  The fast path loads all
 * of them as one batch (so they may depend on each other in any order).  If
 * the batch fails, each module is tried alone once; those refused for an
 * unresolved symbol are retried in rounds until a round loads nothing, so
 * good modules load whatever their order.  Every other failure is final:
 * each rejected module is named with its own first failure.  A module
 * whose init failed in the batch is not tried again (its init runs once).
 * Modules beyond BOOT_MODULES_MAX are named in an error line.
 */
#include "boot_modules.h"

#include "cmdline.h"
#include "exports.h"
#include "guard.h"
#include "klibc.h"
#include "ksyms.h"
#include "loader.h"
#include "log.h"
#include "swap.h"

/* Boot modules bms[0..n) as one load transaction of the swap engine (which
 * keeps each object, hashed when first asked: ls shows the hash, rollback of the
 * first load unloads). */
static int load(const struct boot_module *const *bms, size_t n, struct swap_result *res,
		struct th_errbuf *eb)
{
	struct swap_request req[BOOT_MODULES_MAX];
	for (size_t i = 0; i < n; i++)
		req[i] = (struct swap_request){ .data = (const void *)(uintptr_t)bms[i]->start,
						.len = bms[i]->len, .expect_version = "",
						.label = bms[i]->name };
	return swap_modules(req, n, res, eb);
}

/* Each module's outcome in the one-by-one fallback: its first failure (code
 * and message), kept so that a failed init is never run again for it. */
static struct {
	bool done;
	int err;
	struct th_errbuf eb;
} tried[BOOT_MODULES_MAX];

/* The batch failed (batch: its result, eb_batch: why): load the modules one
 * at a time, in rounds.  The first round tries each; a later round retries
 * only those refused for an unresolved symbol (TH_ENOSYM), which another
 * module's load may have cured, until a round loads nothing.  Any other
 * failure (a bad object, a failed init) is final: it is reported with its
 * own message and never tried again; so is the failed init of the module
 * the batch names (its init does not run twice).  Returns how many loaded. */
static size_t load_one_by_one(const struct boot_module *const *bms, size_t n,
			      const struct swap_result *batch, const struct th_errbuf *eb_batch)
{
	size_t loaded = 0;

	log_warn("modules", "loading all %zu boot modules together failed (%s); loading one by one",
		 n, eb_batch->msg);
	memset(tried, 0, sizeof tried);
	if (batch->err == TH_EINIT && batch->failed_item < n) {
		tried[batch->failed_item].err = TH_EINIT;
		tried[batch->failed_item].eb = *eb_batch;
	}
	for (bool first = true, progress = true; progress; first = false) {
		progress = false;
		for (size_t i = 0; i < n; i++) {
			if (tried[i].done || tried[i].err == TH_EINIT ||
			    (!first && tried[i].err != TH_ENOSYM))
				continue;
			tried[i].eb.msg[0] = '\0';
			tried[i].err = load(&bms[i], 1, NULL, &tried[i].eb);
			if (tried[i].err == TH_OK) {
				tried[i].done = progress = true;
				loaded++;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!tried[i].done)
			log_error("modules", "boot module '%s' rejected: %s", bms[i]->name,
				  tried[i].eb.msg);
	return loaded;
}

static bool is_module_code(uintptr_t addr)
{
	return loader_module_of_addr(addr) != NULL;
}

size_t boot_modules_load(const struct boot_info *boot)
{
	struct th_errbuf eb = { "" };
	size_t n_exports;
	const struct kexport *ex = kernel_exports(&n_exports);
	if (loader_init(ex, n_exports, &eb)) {
		log_error("modules", "loader init failed: %s", eb.msg);
		return 0;
	}
	ksyms_set_module_resolver(loader_symbolize); /* reports name module functions */
	guard_set_code_lookup(is_module_code);       /* the NMI watchdog cuts only these */
	char policy[16];
	if (!cmdline_get(boot->cmdline, "spill", policy, sizeof policy)) {
		enum loader_spill_policy p;
		if (loader_parse_spill_policy(policy, &p))
			log_warn("modules", "spill=%s: want reject or warn; keeping warn", policy);
		else
			loader_set_spill_policy(p);
	}
	log_info("modules", "%zu kernel exports; spill policy %s", n_exports,
		 loader_get_spill_policy() == LOADER_SPILL_REJECT ? "reject" : "warn");
	size_t n = 0;
	const struct boot_module *bms[BOOT_MODULES_MAX];
	if (boot->modules_dropped)
		log_error("modules", "%zu boot module(s) NOT loaded: more than %d given (the limit, "
			  "BOOT_MODULES_MAX): %s", boot->modules_dropped, BOOT_MODULES_MAX,
			  boot->dropped_names);
	for (size_t j = 0; j < boot->module_count; j++) {
		if (swap_boot_is_source(boot, boot->modules[j].name)) /* swap=, swapsrc= */
			log_info("modules", "boot module '%s' kept as a swap source, not loaded",
				 boot->modules[j].name);
		else if (!boot->modules[j].len) /* e.g. a file the build or a copy left empty */
			log_error("modules", "boot module '%s' is empty (0 bytes: '%s'): not loaded",
				  boot->modules[j].name, boot->modules[j].cmdline);
		else
			bms[n++] = &boot->modules[j];
	}
	if (!n)
		return 0;
	size_t loaded = 0;
	struct swap_result res = { .err = TH_OK, .failed_item = SIZE_MAX };   /* set by the engine */
	if (load(bms, n, &res, &eb) == TH_OK)
		loaded = n;
	else
		loaded = load_one_by_one(bms, n, &res, &eb);
	char list[1536];
	loader_format_list(list, sizeof list);
	log_info("modules", "%zu of %zu boot modules loaded:", loaded, n);
	for (char *line = list, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		log_info("modules", "  %s", line);
		if (!nl)
			break;
	}
	return loaded;
}

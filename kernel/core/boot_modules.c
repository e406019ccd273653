/*
 * boot_modules.c - load the boot modules at start-up (see boot_modules.h).
 *
 * The fast path loads all of them as one batch (so they may depend on each
 * other in any order).  If the batch fails, modules are retried one at a
 * time in rounds until a round loads nothing: good modules load whatever
 * their order, bad ones are rejected with the loader's message.
 */
#include "boot_modules.h"

#include "cmdline.h"
#include "control.h"
#include "exports.h"
#include "klibc.h"
#include "loader.h"
#include "log.h"
#include "module_abi.h"
#include "swap.h"

/* Remember which object a module came from (ls shows its hash; a swap to
 * the same object is recognised as done). */
static void record(const struct module *m, const struct loader_blob *b)
{
	control_record_object(loader_module_info(m)->name, b->data, b->len);
	if (swap_track_object(loader_module_info(m)->name, b->data, b->len)) /* for swap_rollback */
		log_warn("modules", "%s: the swap engine cannot keep its object", b->name);
}

static bool load_one(const struct loader_blob *b, struct th_errbuf *eb)
{
	struct module *m;
	if (loader_load(b->data, b->len, b->name, &m, eb) != TH_OK)
		return false;
	record(m, b);
	return true;
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
	size_t n = 0, idx[BOOT_MODULES_MAX]; /* blob i is boot module idx[i] */
	struct loader_blob blobs[BOOT_MODULES_MAX];
	bool done[BOOT_MODULES_MAX] = { false };
	for (size_t j = 0; j < boot->module_count; j++) {
		if (swap_boot_is_source(boot, boot->modules[j].name)) /* swap=, swapsrc= */
			log_info("modules", "boot module '%s' kept as a swap source, not loaded",
				 boot->modules[j].name);
		else
			idx[n++] = j;
	}
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct boot_module *bm = &boot->modules[idx[i]];
		blobs[i] = (struct loader_blob){ (const void *)(uintptr_t)bm->start, bm->len, bm->name };
		if (bm->start % 8) { /* the loader wants 8-byte alignment: copy */
			void *copy = kmalloc(bm->len ? bm->len : 1);
			if (copy)
				memcpy(copy, blobs[i].data, bm->len);
			blobs[i].data = copy;
		}
	}
	size_t loaded = 0;
	struct module *mods[BOOT_MODULES_MAX];
	if (loader_load_batch(blobs, n, mods, &eb) == TH_OK) {
		loaded = n;
		for (size_t i = 0; i < n; i++)
			record(mods[i], &blobs[i]);
	} else {
		log_warn("modules", "loading all %zu boot modules together failed (%s); loading one by one",
			 n, eb.msg);
		for (bool progress = true; progress;) {
			progress = false;
			for (size_t i = 0; i < n; i++) {
				if (!done[i] && blobs[i].data && load_one(&blobs[i], &eb)) {
					done[i] = progress = true;
					loaded++;
				}
			}
		}
		for (size_t i = 0; i < n; i++) {
			if (done[i])
				continue;
			if (!blobs[i].data)
				snprintf(eb.msg, sizeof eb.msg, "out of memory copying it");
			else
				(void)load_one(&blobs[i], &eb); /* again, for its own message */
			log_error("modules", "boot module '%s' rejected: %s", blobs[i].name, eb.msg);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (blobs[i].data != (const void *)(uintptr_t)boot->modules[idx[i]].start)
			kfree((void *)(uintptr_t)blobs[i].data);
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

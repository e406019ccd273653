/*
 * swap_boot.c - the swap trigger that needs no network: boot modules named
 * as swap sources on the command line are not loaded at boot (their bytes
 * stay in boot-module memory), and after the boot modules are loaded
 *     swap=hello:hello_v2[,mod:src...]
 * swaps each loaded module `mod` with boot module `src` as one transaction.
 * "swapsrc=a,b" names further sources (for selftest=swapstress).
 */
#include "bootinfo.h"
#include "cmdline.h"
#include "loader.h"
#include "log.h"
#include "swap.h"

#define SWAP_ARG_MAX 256

/* Whether `name` is a comma-separated element of list (optionally the part
 * after ':' of "mod:src" elements when after_colon). */
static bool list_has(const char *list, const char *name, bool after_colon)
{
	size_t nl = strlen(name);
	const char *p = list;

	while (*p) {
		const char *end = strchr(p, ',');
		const char *colon, *w = p;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (after_colon) {
			for (colon = p; colon < p + len && *colon != ':'; colon++)
				;
			if (colon < p + len) {
				len -= (size_t)(colon + 1 - p);
				w = colon + 1;
			} else {
				len = 0;
			}
		}
		if (len == nl && nl && strncmp(w, name, nl) == 0)
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

bool swap_boot_is_source(const struct boot_info *boot, const char *name)
{
	char v[SWAP_ARG_MAX];

	/* Scheduler policies are versions of one module, "sched": only the one
	 * sched= names (default rr) is loaded; the others wait as swap sources. */
	if (!strncmp(name, "sched_", 6)) {
		char want[16] = "rr";
		if (cmdline_get(boot->cmdline, "sched", want, sizeof want) || !want[0])
			snprintf(want, sizeof want, "rr");   /* as sched_init() reads it */
		return strcmp(name + 6, want) != 0;
	}
	if (!cmdline_get(boot->cmdline, "swap", v, sizeof v) && list_has(v, name, true))
		return true;
	return !cmdline_get(boot->cmdline, "swapsrc", v, sizeof v) && list_has(v, name, false);
}

int swap_boot_object(const struct boot_info *boot, const char *name, void **data, size_t *len)
{
	size_t i;

	for (i = 0; i < boot->module_count; i++) {
		const struct boot_module *bm = &boot->modules[i];
		if (strcmp(bm->name, name) != 0)
			continue;
		if (!bm->len)
			return TH_EINVAL;
		*data = kmalloc(bm->len);
		if (!*data)
			return TH_ENOMEM;
		memcpy(*data, (const void *)(uintptr_t)bm->start, bm->len);
		*len = bm->len;
		return TH_OK;
	}
	return TH_ENOENT;
}

static void (*observer)(const char *when);

void swap_boot_set_observer(void (*fn)(const char *when)) { observer = fn; }

static void observe(const char *when)
{
	if (observer)
		observer(when);
}

void swap_boot_run(const struct boot_info *boot)
{
	struct swap_request req[SWAP_MAX_ITEMS];
	void *objs[SWAP_MAX_ITEMS] = {NULL};
	char v[SWAP_ARG_MAX], names[SWAP_MAX_ITEMS][2][32];
	struct th_errbuf eb = {""};
	struct swap_result res;
	size_t n = 0, i;
	char *p, *hist;
	int err = TH_OK;

	err = cmdline_get(boot->cmdline, "swap", v, sizeof v);
	if (err == TH_ETOOBIG)
		log_error("swap", "swap= is longer than %d characters: no boot swap", SWAP_ARG_MAX - 1);
	if (err)
		return;   /* absent, or bare (named by the command line check) */
	size_t items = 1;
	for (p = v; *p; p++)
		items += *p == ',';
	if (items > SWAP_MAX_ITEMS) {
		log_error("swap", "swap= names %zu modules, more than %d in one swap "
			  "(SWAP_MAX_ITEMS): no boot swap", items, SWAP_MAX_ITEMS);
		return;
	}
	for (p = v; *p && n < SWAP_MAX_ITEMS && !err;) {
		char *end = strchr(p, ','), *colon;
		if (end)
			*end = '\0';
		colon = strchr(p, ':');
		if (!colon || colon == p || !colon[1] || strlen(p) >= sizeof names[0][0] ||
		    strlen(colon + 1) >= sizeof names[0][1]) {
			log_error("swap", "swap=%s: want module:bootmodule[,...]", p);
			err = TH_EINVAL;
			break;
		}
		*colon = '\0';
		memcpy(names[n][0], p, strlen(p) + 1);
		memcpy(names[n][1], colon + 1, strlen(colon + 1) + 1);
		req[n] = (struct swap_request){names[n][0], NULL, 0, NULL, NULL, NULL};
		err = swap_boot_object(boot, names[n][1], &objs[n], &req[n].len);
		if (err)
			log_error("swap", "swap=: boot module '%s': %s", names[n][1], th_strerror(err));
		req[n].data = objs[n];
		n++;
		p = end ? end + 1 : p + strlen(p);
	}
	if (!err && n) {
		observe("before swap");
		err = swap_modules(req, n, &res, &eb);
		if (err)
			log_error("swap", "swap= refused: %s (%s)", eb.msg, th_err_name(err));
		else
			log_info("swap", "swap= done: %zu modules, %zu sites relinked, %llu us", res.swapped,
				 res.sites, (unsigned long long)(res.total_ns / 1000));
		observe(err ? "after refused swap" : "after swap");
		hist = kmalloc(4096);
		if (hist) {
			swap_history_format(hist, 4096);
			for (p = hist; *p;) {
				char *nl = strchr(p, '\n');
				if (nl)
					*nl = '\0';
				log_info("swap", "history %s", p);
				if (!nl)
					break;
				p = nl + 1;
			}
			kfree(hist);
		}
	}
	for (i = 0; i < n; i++)
		kfree(objs[i]);
}

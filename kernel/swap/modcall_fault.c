/*
 * modcall_fault.c - what happens after module code faulted or hung in a
 * guarded call (modcall.h): the report naming the culprit (log, swap
 * history kind "fault", the caller's errbuf), and the module's health:
 * quarantine, restart through the swap engine, rollback after repeated
 * faults, or quarantine for good.
 */
#include "modcall_impl.h"

#include <stdarg.h>

#include "cmdline.h"
#include "ktime.h"
#include "log.h"
#include "swap.h"

enum health_state { HEALTH_OK, HEALTH_RESTARTING, HEALTH_QUARANTINED };

struct health {
	char name[TH_MODULE_NAME_MAX];
	enum health_state state;
	uint64_t serial;         /* the load the state (and the restart window) is about */
	unsigned restarts;       /* within the window */
	uint64_t window_start_ns;
};

static struct health table[SWAP_MAX_TRACKED];
static unsigned max_restarts = MODCALL_MAX_RESTARTS;

void modcall_set_policy(const char *cmdline)
{
	uint64_t n;
	if (cmdline_get_uint(cmdline, "fault_restarts", MODCALL_MAX_RESTARTS, 0, 100000, &n))
		log_warn("fault", "fault_restarts= must be 0..100000; using %d", MODCALL_MAX_RESTARTS);
	else
		max_restarts = (unsigned)n;
}

__attribute__((format(printf, 2, 3))) static void append(struct th_errbuf *eb, const char *fmt, ...)
{
	if (!eb)
		return;
	size_t n = strlen(eb->msg);
	va_list ap;
	va_start(ap, fmt);
	if (n < sizeof eb->msg)
		vsnprintf(eb->msg + n, sizeof eb->msg - n, fmt, ap);
	va_end(ap);
}

static struct health *health_of(const char *name, bool create)
{
	struct health *free_slot = NULL;
	for (size_t i = 0; i < SWAP_MAX_TRACKED; i++) {
		if (table[i].name[0] && !strcmp(table[i].name, name))
			return &table[i];
		if (!table[i].name[0] && !free_slot)
			free_slot = &table[i];
	}
	if (!create || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof *free_slot);
	snprintf(free_slot->name, sizeof free_slot->name, "%s", name);
	return free_slot;
}

const char *modcall_state(const char *name)
{
	struct health *h = health_of(name, false);
	struct module *m = loader_find(name);
	if (!h || !m)
		return "ok";
	if (h->state == HEALTH_QUARANTINED && h->serial != loader_module_serial(m))
		h->state = HEALTH_OK; /* swapped or reloaded by hand since */
	return h->state == HEALTH_OK ? "ok" :
	       h->state == HEALTH_RESTARTING ? "restarting" : "quarantined";
}

bool modcall_quarantined(const char *name)
{
	return !strcmp(modcall_state(name), "quarantined");
}

/* The report of g's fault in module name at version, in a call what into
 * module hint: eb, the log (with the backtrace), history kind "fault". */
static void report(const char *name, const char *version, const char *what, const char *hint,
		   const struct guard *g, struct th_errbuf *eb)
{
	char what_happened[128], bt[384];
	(void)guard_format(g, what_happened, sizeof what_happened);
	(void)guard_format_backtrace(g, bt, sizeof bt);
	th_errf(eb, g->err, "%s %s: %s", name, version, what_happened);
	log_error("fault", "%s %s: %s (in %s of %s; error 0x%llx, CR2 0x%llx)", name, version,
		  what_happened, what, hint, (unsigned long long)g->fault.error,
		  (unsigned long long)g->fault.cr2);
	log_error("fault", "  backtrace: %s", bt);
	swap_history_note(SWAP_KIND_FAULT, name, version, what_happened);
}

struct module *modcall_culprit(const struct guard *g)
{
	struct module *m = loader_module_of_addr((uintptr_t)g->fault.rip);
	for (size_t i = 0; !m && i < g->fault.nbt; i++)
		m = loader_module_of_addr((uintptr_t)g->fault.bt[i]);
	return m;
}

const char *modcall_report(const char *hint, const char *what, const struct guard *g,
			   struct th_errbuf *eb)
{
	/* The culprit: the module whose code faulted, else the innermost module
	 * frame (a kernel function it called), else the module called. */
	struct module *m = modcall_culprit(g);
	if (!m)
		m = loader_find(hint);
	const char *name = m ? loader_module_name(m) : hint;
	report(name, m ? loader_module_version(m) : "?", what, hint, g, eb);
	return name;
}

void modcall_report_as(const char *name, const char *version, const char *what,
		       const struct guard *g, struct th_errbuf *eb)
{
	report(name, version, what, name, g, eb);
}

static void quarantine_note(const char *name, const char *why)
{
	struct module *m = loader_find(name);
	swap_history_note(SWAP_KIND_QUARANTINE, name, m ? loader_module_version(m) : "", why);
}

void modcall_recover(const char *name, struct th_errbuf *eb)
{
	struct health *h = health_of(name, true);
	struct module *m = loader_find(name);
	struct th_errbuf sb = { "" };
	uint64_t now = time_ns();
	int err;

	if (!h || !m)
		return;
	/* The budget is per running object: h->serial is the load this module
	 * had after its last restart, rollback or quarantine here; another one
	 * (swapped in, rolled back or reloaded since) starts with a fresh window,
	 * not with the faults of the object it replaced. */
	if (h->serial != loader_module_serial(m))
		h->window_start_ns = 0;
	if (now - h->window_start_ns > MODCALL_WINDOW_S * 1000000000ull || !h->window_start_ns) {
		h->window_start_ns = now;
		h->restarts = 0;
	}
	if (h->restarts < max_restarts) {
		h->restarts++;
		h->state = HEALTH_RESTARTING;
		err = swap_restart(name, NULL, &sb);
		m = loader_find(name);
		h->serial = m ? loader_module_serial(m) : 0;
		h->state = err ? HEALTH_QUARANTINED : HEALTH_OK;
		if (err)
			quarantine_note(name, "restart failed");
		if (err)
			append(eb, "; restart failed (%s): quarantined", sb.msg);
		else
			append(eb, "; restarted (%u/%u)", h->restarts, max_restarts);
		log_warn("fault", "%s: %s", name, err ? "restart failed: quarantined" : "restarted");
		return;
	}
	struct swap_module_record rec;
	if (!swap_describe(name, &rec) && rec.undo > 0) {
		err = swap_rollback(name, NULL, &sb);
		m = loader_find(name);
		h->serial = m ? loader_module_serial(m) : 0;
		if (!err) {
			h->state = HEALTH_OK;
			h->restarts = 0;
			h->window_start_ns = 0;
			append(eb, "; %u faults in %u s: rolled back to %s", max_restarts + 1,
				     MODCALL_WINDOW_S, m ? loader_module_version(m) : "?");
			log_warn("fault", "%s: rolled back after repeated faults", name);
			return;
		}
	}
	h->state = HEALTH_QUARANTINED;
	h->serial = m ? loader_module_serial(m) : 0;
	quarantine_note(name, "repeated faults, no earlier version");
	append(eb, "; quarantined (no earlier version to roll back to)");
	log_warn("fault", "%s: quarantined after repeated faults", name);
}

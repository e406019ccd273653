/*
 * modcall_impl.h - private to the kernel's module calls (modcall_*.c): the
 * fault report and the health of modules (modcall_fault.c).
 */
#ifndef THESEUS_MODCALL_IMPL_H
#define THESEUS_MODCALL_IMPL_H

#include "guard.h"
#include "klibc.h"
#include "loader.h"
#include "modcall.h"
#include "statedb.h"

/* Report g's fault or timeout in a call (what: "invoke", "init", ...) into
 * module hint: log (with backtrace), history kind "fault", eb ("hello 2.0:
 * page fault at hello_greet+0x9 (address 0x0)").  Returns the culprit's
 * name (the module whose code faulted, else hint). */
const char *modcall_report(const char *hint, const char *what, const struct guard *g,
			   struct th_errbuf *eb);
/* The listed module whose code faulted in g (else the innermost listed
 * module frame), NULL if none: the code was a version no longer listed. */
struct module *modcall_culprit(const struct guard *g);
/* The same report for module name at version (a version no longer listed,
 * whose code the loader cannot name). */
void modcall_report_as(const char *name, const char *version, const char *what,
		       const struct guard *g, struct th_errbuf *eb);
/* After a fault of module name outside a swap: restart, roll back or
 * quarantine it (modcall.h); appends what was done to eb. */
void modcall_recover(const char *name, struct th_errbuf *eb);
bool modcall_quarantined(const char *name);

/* modcall_refs.c: a guarded call (guard_call) of module code that puts
 * back, if it faults, every statedb strong reference taken inside it and
 * not put back yet (logged naming module); up to MODCALL_REFS_MAX distinct
 * references, more stay pinned (logged). */
#define MODCALL_REFS_MAX 16
int modcall_refs_call(const char *module, struct guard *g, const char *what,
		      enum guard_budget budget, guard_fn fn, void *ctx) TH_MUST_CHECK;

#endif

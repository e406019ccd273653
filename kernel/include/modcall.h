/*
 * modcall.h - the kernel's calls into module code, each a guarded call
 * (guard.h): a fault or a hang in the module is an error for the caller,
 * reported with the culprit (module, version, function+offset, address, a
 * backtrace) in the log, the swap history (kind "fault") and the caller's
 * errbuf, and the module is recovered (kernel/swap/modcall_fault.c):
 *
 *   quarantine  calls into a faulted module fail fast with TH_EFAULT
 *   restart     a fresh copy of the same object is loaded through the swap
 *               engine (dependents relinked, transfer/init run again, statedb
 *               state kept): history kind "restart"
 *   rollback    after MODCALL_MAX_RESTARTS (fault_restarts=) restarts within
 *               MODCALL_WINDOW_S seconds: back to the previous version if
 *               the engine kept one (history "rollback"), else the module
 *               stays quarantined until swapped or reloaded by hand.
 *
 * The hooks (init/transfer/fini) have host builds too (tests/unit/
 * modcall_host.c: direct calls), as the loader and the swap engine use them.
 */
#ifndef THESEUS_MODCALL_H
#define THESEUS_MODCALL_H

#include "klibc.h"
#include "module_abi.h"

struct guard;

#define MODCALL_MAX_RESTARTS 3
#define MODCALL_WINDOW_S 60

/* A module's hooks, guarded (budget: the hook budget, watchdog=).  module
 * names the module in reports.  A fault is TH_EFAULT (eb says where); the
 * module is not quarantined: the load or swap that ran the hook fails and is
 * undone, which is the recovery. */
int modcall_init(const char *module, int (*init)(void), struct th_errbuf *eb) TH_MUST_CHECK;
int modcall_transfer(const char *module, int (*transfer)(const struct th_module_info *),
		     const struct th_module_info *old, struct th_errbuf *eb) TH_MUST_CHECK;
/* fini (and a destructor, below) runs when module may no longer be listed
 * (a swap's old version, after the switch): version names it in a report
 * whose code the loader can no longer name, not the version now running. */
void modcall_fini(const char *module, const char *version, void (*fini)(void));
/* One constructor of the module (.init_array, kernel/loader/ctors.c): a
 * fault is TH_EFAULT like a faulting init. */
int modcall_ctor(const char *module, void (*ctor)(void), struct th_errbuf *eb) TH_MUST_CHECK;

/* Invoke function of module by name with the invoke ABI (th_invoke_fn):
 * TH_ENOENT (no such module/function), TH_EDENIED (not declared with
 * TH_INVOKE), TH_EFAULT (quarantined, or it faulted: eb has the report),
 * TH_ETIMEDOUT (past its budget), TH_EOVERFLOW (it reported more output than
 * out_cap).  Otherwise TH_OK with *result = what the function returned. */
int modcall_invoke(const char *module, const char *function, const uint8_t *in, size_t in_len,
		   uint8_t *out, size_t out_cap, size_t *out_len, int *result,
		   struct th_errbuf *eb) TH_MUST_CHECK;

/* For kernel subsystems that call module code through their own guard
 * (guard.h; e.g. the NIC core calling a driver module): report a tripped
 * guard g of a call `what` into module (log with backtrace, history kind
 * "fault", eb) and return the culprit's name; later, from a context where
 * the swap engine may run (never an interrupt handler), recover the module
 * as after an invoke fault (restart, rollback, quarantine; eb says which). */
struct guard;
const char *modcall_fault_report(const char *module, const char *what, const struct guard *g,
				 struct th_errbuf *eb);
void modcall_fault_recover(const char *module, struct th_errbuf *eb);
/* Such a subsystem's guarded call (guard_call with the hook budget) with the
 * statedb strong references fn takes tracked, as invoke, hooks and module
 * tasks have them: if module code faults, the references it got and did not
 * put are put back (logged naming module).  Returns fn's result or g's
 * error (g->tripped: report and recover as above). */
int modcall_guarded(const char *module, struct guard *g, const char *what, int (*fn)(void *ctx),
		    void *ctx) TH_MUST_CHECK;

/* fault_restarts=N on the command line: restarts allowed per window
 * (default MODCALL_MAX_RESTARTS). */
void modcall_set_policy(const char *cmdline);

/* Run a module task's entry fn(ctx) (task_module.c) as guarded call g
 * (budget: the hook budget), tracking the statedb strong references it
 * takes: a fault puts them back.  Returns fn's result or g's error. */
int modcall_task_run(const char *module, struct guard *g, int (*fn)(void *ctx),
		     void *ctx) TH_MUST_CHECK;
/* A module task's entry (task_module.c) faulted or hung (g tripped): queue
 * the report and the recovery of module for the control context (from a
 * task they could race a swap the endpoint is running).  version and serial
 * are the load of module the task belongs to (loader_module_serial): if
 * another runs by the time it is reported (the task faulted on its way out
 * after a swap or a restart), the fault is reported against that version
 * and nothing is restarted.  Interrupt-safe; up to 8 wait, more are logged
 * and dropped. */
void modcall_task_fault(const char *module, const char *version, uint64_t serial,
			const char *task, const struct guard *g);
/* The kernel's main loop: report and recover the queued task faults
 * (history "fault", then restart/rollback/quarantine as for an invoke). */
void modcall_poll(void);

/* "ok", "restarting" or "quarantined" for the module called name. */
const char *modcall_state(const char *name);

#endif

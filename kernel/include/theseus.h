/*
 * theseus.h - the one header a module includes: the kernel API it may call.
 *
 * Everything declared here that a module uses must be in the kernel's export
 * list (kernel/core/exports.c); the loader refuses a module whose undefined
 * symbols are not exported (TH_ENOSYM naming the symbol).
 *
 *   - err.h        error codes (TH_OK, TH_E*), th_err_name(), th_strerror()
 *   - klibc.h      memcpy/memset/memcmp/memmove/strlen/strnlen/strcmp/strncmp/
 *                  snprintf/vsnprintf, kmalloc/kfree, struct th_errbuf, th_errf()
 *   - log.h        klog() and log_info()/log_warn()/... ("[time] LEVEL comp: msg")
 *   - module_abi.h TH_MODULE("name", "version", "description", .init = ...)
 *   - statedb.h    the state database: where a module keeps any lasting state
 *   - task_module.h tasks: th_task_create/join/sleep_ms/yield/should_stop, wait
 *                  queues (th_waitq_*); a module task's faults are contained
 *   - nic_driver.h the NIC driver interface (th_nic_*: driver modules only)
 *   - udp_service.h UDP services as modules (th_udp_service_*)
 *
 * Rules for module code: no writable globals or statics (state spill; keep
 * state in statedb), only what TH_EXPORT()/TH_INVOKE() mark is exported
 * (every other global is private to the module), and the module's one
 * TH_MODULE() record.
 */
#ifndef THESEUS_THESEUS_H
#define THESEUS_THESEUS_H

/* Modules are kernel code: built freestanding, small code model, no PIC, no
 * red zone, no SSE.  The module kit's flags say so (THESEUS_MODULE_KIT; the
 * tree's own modules build with the kernel's flags, THESEUS_KERNEL). */
#if !defined(THESEUS_KERNEL) && !defined(THESEUS_HOST_TEST)
#error "theseus.h: build modules with the module kit's flags: `make -C <theseus tree> M=<your dir>`, or `pkg-config --cflags theseus-module` after `make install` (README: Writing a module)"
#endif
#if defined(THESEUS_KERNEL) && (defined(__PIC__) || defined(__SSE__) || !defined(__x86_64__))
#error "theseus.h: a module must be built for x86_64 with -fno-pic and without SSE (the kit's flags)"
#endif

/* Headers shared with the kernel hide what the kernel does not export
 * (modules/kit/check-exports.sh checks the rest against the export list). */
#define THESEUS_MODULE_VIEW 1

#ifdef __cplusplus /* the kernel's API has C linkage; C++ modules use it as is */
extern "C" {
#endif
#include "err.h"
#include "klibc.h"
#include "log.h"
#include "module_abi.h"
#include "statedb.h"
#include "task_module.h"
#include "nic_driver.h"
#include "udp_service.h"
#ifdef __cplusplus
}
#endif

#endif

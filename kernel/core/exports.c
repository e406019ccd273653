/*
 * exports.c - the kernel's explicit export list: the only kernel symbols a
 * module may call (declared for modules in theseus.h).  Adding a line here
 * is a decision about the module ABI; keep it small.
 */
#include "exports.h"

#include "heap.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "nic_driver.h"
#include "udp_service.h"
#include "statedb.h"
#include "task_module.h"

#define KEXPORT(sym) { #sym, (void *)(uintptr_t)&sym }

static const struct kexport exports[] = {
	/* error texts */
	KEXPORT(th_err_name), KEXPORT(th_strerror), KEXPORT(th_errf),
	/* logging */
	KEXPORT(klog), KEXPORT(kprintf),
	/* memory */
	KEXPORT(kmalloc), KEXPORT(kcalloc), KEXPORT(kfree),
	/* C library subset */
	KEXPORT(memcpy), KEXPORT(memmove), KEXPORT(memset), KEXPORT(memcmp),
	KEXPORT(strlen), KEXPORT(strnlen), KEXPORT(strcmp), KEXPORT(strncmp), KEXPORT(strchr),
	KEXPORT(snprintf), KEXPORT(vsnprintf),
	/* time */
	KEXPORT(time_ns), KEXPORT(time_delay_us),
	/* statedb: where modules keep their state */
	KEXPORT(statedb_create), KEXPORT(statedb_open), KEXPORT(statedb_lookup),
	KEXPORT(statedb_replace), KEXPORT(statedb_delete), KEXPORT(statedb_close),
	KEXPORT(statedb_get), KEXPORT(statedb_put), KEXPORT(statedb_shared_create),
	KEXPORT(statedb_shared_retain), KEXPORT(statedb_shared_release),
	KEXPORT(statedb_inspect),
	/* tasks (task_module.h): drivers and services run their own */
	KEXPORT(th_task_create), KEXPORT(th_task_join), KEXPORT(th_task_sleep_ms),
	KEXPORT(th_task_yield), KEXPORT(th_task_should_stop), KEXPORT(th_waitq_init),
	KEXPORT(th_waitq_wait), KEXPORT(th_waitq_wake_one), KEXPORT(th_waitq_wake_all),
	/* NIC driver modules (nic_driver.h; the NIC core is net/nic_core.c) */
	KEXPORT(th_nic_driver_register), KEXPORT(th_nic_driver_unregister), KEXPORT(th_nic_dma),
	KEXPORT(th_nic_map_bar), KEXPORT(th_nic_pci_enable), KEXPORT(th_nic_rx),
	KEXPORT(th_nic_pci_cap), KEXPORT(th_nic_pci_read32),
	/* UDP services as modules (udp_service.h; net/udp_modules.c) */
	KEXPORT(th_udp_service_register), KEXPORT(th_udp_service_unregister),
};

const struct kexport *kernel_exports(size_t *n)
{
	*n = sizeof exports / sizeof exports[0];
	return exports;
}

/*
 * net_impl.h - private interface inside net/: the NIC driver contract, the
 * NIC core, the lwIP netif glue, and the err_t conversion.  Not for use outside net/.
 *
 * NIC drivers are modules (nic_driver.h); the core that binds and drives
 * them is nic_core.c (binding, services for drivers, interrupts, delivery),
 * nic_call.c (guarded calls into the driver) and nic_watch.c (the dead man's
 * switch after a driver swap); ethernetif.c turns the NIC into an lwIP
 * netif; net_core.c drives it from the main loop.  The interrupt handler
 * only lets the driver acknowledge the device and sets nic->irq_pending;
 * rings are drained by the driver's poll from net_poll().
 */
#ifndef THESEUS_NET_IMPL_H
#define THESEUS_NET_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/err.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "net.h"
#include "pci.h"

#include "nic_driver.h"

#define NIC_FRAME_MAX TH_NIC_FRAME_MAX  /* Ethernet frame without FCS, VLAN slack */
#define NIC_RX_BUDGET 64        /* frames per poll, so timers keep running */
#define NIC_DRIVERS_MAX 8       /* registered driver tables */

/*
 * The NIC the core drives (nic_core.c).  pub is what driver modules see
 * (nic_driver.h); the rest is the core's: the binding to a driver module,
 * the mapped BARs and DMA regions (they outlive driver versions), the
 * frames a poll handed up, interrupt flags and the lwIP netif.
 */
struct nic {
	struct th_nic pub;
	const struct pci_dev *pci;
	bool bound;                       /* attach succeeded: the NIC is in use */
	char module[32];                  /* the bound driver module ("e1000") */
	char version[16];                 /* its version, as last seen */
	const struct th_nic_driver *drv;  /* its current table; NULL while it is gone */
	bool resume_pending;              /* a new version registered: resume() first */
	bool takeover_failed;             /* its resume()/attach() failed: not used */
	bool rebound;                     /* moved to another driver module: attach()
					   * next, DMA regions handed out afresh */
	bool faulted;                     /* a call faulted: recover from net_poll */
	bool polling;                     /* inside the driver's poll: th_nic_rx allowed */
	bool rx_outside_poll_logged;      /* th_nic_rx outside poll named (per version) */
	unsigned bad_result_ops;          /* ops (1 << op) whose result was not a result:
					   * logged once per driver version (nic_call.c) */
	char fault_msg[160];
	volatile void *mmio[6];
	struct nic_dma_region {
		void *addr;
		size_t bytes;
		bool fresh;               /* handed out since the last rebind */
	} dma[TH_NIC_DMA_REGIONS];
	size_t dma_total;                 /* bytes of every region allocated, the ones
					   * kept after a move too (<= TH_NIC_DMA_MAX) */
	bool dma_refusal_logged;          /* a th_nic_dma over the bound named (per version) */
	struct pbuf *rxq[NIC_RX_BUDGET];  /* handed up by th_nic_rx during a poll */
	struct pbuf *rx_copying;          /* th_nic_rx's buffer while it copies the
					   * driver's frame: freed if the copy faults */
	unsigned rxq_n;
	unsigned msi_vector;              /* its MSI vector (irq.h), 0: none */
	bool line_registered;             /* irq_handler is on its legacy line */
	volatile uint32_t irq_pending;    /* set by the IRQ handler, cleared by net_poll */
	volatile uint32_t irq_link;       /* link-change interrupt seen */
	struct netif *netif;
};

/* ---- the registered driver tables (nic_registry.c) ---- */
/* Table slot i (0..NIC_DRIVERS_MAX-1; NULL if free); slot 0 first drops
 * the tables no running module holds. */
const struct th_nic_driver *nic_registry_at(size_t i);
/* The table registered under name by the module running under it now (the
 * namespace as it is, mid-swap too), or NULL; drops nothing. */
const struct th_nic_driver *nic_registry_find(const char *name);
/* A table of a running module whose id table lists vendor:device (*id: the
 * entry), or NULL. */
const struct th_nic_driver *nic_registry_match(uint16_t vendor, uint16_t device,
					       const struct th_nic_id **id);
/* Subscribe to the swap engine (once): tables follow the modules that run. */
void nic_registry_follow_swaps(void);

/* ---- the NIC core (nic_core.c) ---- */
/* Bind the first PCI NIC a registered driver supports (module `prefer`
 * first, "" = any) and attach it, interrupting as irq_mode says (nicirq=).
 * TH_ENODEV if none. */
int nic_core_bind(const char *prefer, enum net_irq_mode irq_mode) TH_MUST_CHECK;
/* After a change of the registered tables: the bound NIC n (NULL: none)
 * takes the table of the module running under its driver's name (resumed
 * at the next poll or transmit, watched), or is idle without one. */
void nic_core_follow(struct nic *n);
/* The NIC in use, NULL before a successful bind. */
struct nic *nic_core(void);
/* Transmit one frame (pbuf chain) through the driver (guarded). */
err_t nic_core_tx(struct nic *n, struct pbuf *p);
/* Poll the driver (guarded) and deliver what it handed up to lwIP;
 * returns descriptors consumed.  Also resumes a new driver version and
 * recovers a faulted one. */
int nic_core_poll(struct nic *n);
/* Link state from the driver (guarded; false if it faulted or is gone). */
bool nic_core_link_up(struct nic *n);
/* The supported devices of every registered driver, for a message. */
void nic_core_describe_drivers(char *buf, size_t cap);

/* ---- guarded calls into the driver (nic_call.c) ---- */
int nic_call_attach(struct nic *n, const struct th_nic_driver *d) TH_MUST_CHECK;
int nic_call_resume(struct nic *n, const struct th_nic_driver *d) TH_MUST_CHECK;
unsigned nic_call_irq(struct nic *n, const struct th_nic_driver *d);
int nic_call_tx(struct nic *n, const struct th_nic_driver *d, const void *frame,
		size_t len) TH_MUST_CHECK;
int nic_call_poll(struct nic *n, const struct th_nic_driver *d, int budget) TH_MUST_CHECK;
bool nic_call_link_up(struct nic *n, const struct th_nic_driver *d);

/* ---- the dead man's switch after a driver swap (nic_watch.c) ---- */
/* The deadline in ms (0 = off), from net_config's drvwatch. */
void nic_watch_config(uint32_t ms);
/* A new version of the bound driver took over: wait for proof of life. */
void nic_watch_arm(struct nic *n, const char *from_version);
/* A received frame (before lwIP): an ARP reply to our probe is proof. */
void nic_watch_rx(struct nic *n, const uint8_t *frame, size_t len);
/* An authenticated request was handled: proof if the new version received it. */
void nic_watch_request(struct nic *n);
/* From net_poll: probe, and roll the driver back past the deadline. */
void nic_watch_poll(struct nic *n);

/* lwIP netif init callback (netif->state is the struct nic). */
err_t ethernetif_init(struct netif *netif);

/* The single err_t -> TH_E* conversion at the net/ boundary (sys_arch.c). */
int net_err_from_lwip(err_t e);

/* UDP services that are modules (udp_modules.c): bind the ports registered
 * so far and every later one (lwIP runs); datagrams handled on a port. */
void net_udp_modules_start(void);
/* Close the ports whose module version no longer runs (main loop). */
void net_udp_modules_sweep(void);
uint64_t net_udp_module_datagrams(uint16_t port);

#endif

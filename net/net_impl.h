/*
 * net_impl.h - private interface inside net/: the NIC driver contract, the
 * lwIP netif glue, and the err_t conversion.  Not for use outside net/.
 *
 * A driver (e1000.c, virtio_net.c, rtl8139.c) fills a struct nic in its probe function;
 * ethernetif.c turns it into an lwIP netif; net_core.c drives it from the
 * main loop.  Interrupt handlers only acknowledge the device and set
 * nic->irq_pending; rings are drained by nic_ops.rx_poll from net_poll().
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

#define NIC_FRAME_MAX 1518      /* Ethernet frame without FCS, VLAN slack */
#define NIC_BUF_SIZE 2048       /* one DMA buffer per descriptor */
#define NIC_RX_BUDGET 64        /* frames per poll, so timers keep running */

struct nic;

struct nic_ops {
	/* Queue one frame (a pbuf chain) for transmission.  ERR_MEM when the ring
	 * is full (the frame is dropped and counted), never waits. */
	err_t (*tx)(struct nic *n, struct pbuf *p);
	/* Hand up to `budget` received frames to deliver(); returns the count. */
	int (*rx_poll)(struct nic *n, int budget, void (*deliver)(struct nic *, struct pbuf *));
	/* Current link state from the device. */
	bool (*link_up)(struct nic *n);
};

struct nic {
	const char *name;             /* "e1000", "virtio-net" */
	const struct pci_dev *pci;
	uint8_t mac[6];
	const struct nic_ops *ops;
	void *priv;                   /* driver state */
	struct net_counters ctr;
	volatile uint32_t irq_pending;   /* set by the IRQ handler, cleared by net_poll */
	volatile uint32_t irq_link;      /* link-change interrupt seen */
	struct netif *netif;
};

/* Driver probes: claim `d`, fill *n (ops, mac, priv), register the IRQ.
 * TH_ENODEV if d is not this driver's device. */
int e1000_probe(const struct pci_dev *d, struct nic *n) TH_MUST_CHECK;
int virtio_net_probe(const struct pci_dev *d, struct nic *n) TH_MUST_CHECK;
int rtl8139_probe(const struct pci_dev *d, struct nic *n) TH_MUST_CHECK;

/* lwIP netif init callback (netif->state is the struct nic). */
err_t ethernetif_init(struct netif *netif);
/* Copy a received frame out of a DMA buffer into a new pbuf; NULL (counted
 * drop) if no memory or the length is impossible. */
struct pbuf *ethernetif_frame_to_pbuf(struct nic *n, const void *frame, size_t len);

/* The single err_t -> TH_E* conversion at the net/ boundary (sys_arch.c). */
int net_err_from_lwip(err_t e);

/* The echo service (echo.c). */
int net_echo_start(void) TH_MUST_CHECK;
uint64_t net_echo_count(void);

#endif

/*
 * net.h - the network component's one public header: configuration from the
 * kernel command line, bring-up of the NIC and the lwIP stack, the poll loop,
 * status/counters, and a small UDP service helper.
 *
 * Call order (kernel/boot/main.c):
 *
 *     struct net_config cfg;  struct th_errbuf eb;
 *     if (net_config_parse(cmdline, &cfg, &eb) != TH_OK) -> log eb.msg, use cfg
 *     net_init(&cfg);                  after pci_init() and interrupts are on
 *     net_udp_listen(port, fn, ctx);   services (echo is started by net_init)
 *     for (;;) {
 *             if (net_poll())
 *                     continue;
 *             irq_disable_cpu();             // halt only if no IRQ raced in:
 *             if (!net_pending())            // "sti; hlt" wakes on an IRQ
 *                     __asm__ volatile("sti; hlt");   // taken between them
 *             else
 *                     irq_enable_cpu();
 *     }
 *
 * Everything except net_config_parse() runs in the main loop only (never from
 * an interrupt handler): lwIP is single-threaded (NO_SYS=1).  Addresses are
 * IPv4 in host byte order (10.0.2.15 == 0x0a00020f).
 */
#ifndef THESEUS_NET_H
#define THESEUS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "klibc.h"

#define NET_NIC_NAME_MAX 32   /* a driver module's name, with its NUL */

/* nicirq=: how the NIC interrupts the kernel.  auto: MSI if the device
 * has it, else its legacy line, else polling; msi / line: that, falling
 * back as auto does when the device cannot; poll: no interrupts. */
enum net_irq_mode {
	NET_IRQ_AUTO = 0,
	NET_IRQ_MSI,
	NET_IRQ_LINE,
	NET_IRQ_POLL,
};

struct net_config {
	bool use_static;           /* true: ip=/gw= given; false: DHCP */
	uint32_t ip, netmask, gw;  /* host byte order; valid when use_static */
	/* nic=: the driver module preferred ("e1000", "virtio_net", ...; "" =
	 * the first NIC any driver supports); nic=virtio means virtio_net. */
	char nic[NET_NIC_NAME_MAX];
	/* drvwatch=MS|off: how long a new NIC driver version has to prove it
	 * works before the kernel rolls it back (0 here = the default). */
	uint32_t drvwatch_ms;
	bool drvwatch_off;
	enum net_irq_mode irq_mode;
};
#define NET_DRVWATCH_MS_DEFAULT 3000
#define NET_DRVWATCH_MS_MAX 600000

/* Fill *out from a kernel command line ("... ip=10.0.2.15/24 gw=10.0.2.2
 * nic=e1000 drvwatch=3000 nicirq=auto ...").  Unknown words are ignored.
 * Without ip= the result is DHCP.  A bad option (malformed ip=/gw=/nic=/
 * drvwatch=/nicirq=, gw= without ip=, gw outside the subnet) falls back to
 * its own default (a bad ip= to DHCP, a bad gw= to none) and the others
 * still count: *out is always written, the first error's TH_EINVAL/TH_ERANGE
 * returned, and eb names every bad option and what was used instead.
 * TH_EINVAL without writing *out only for a NULL cmdline or out.
 * Host-testable. */
int net_config_parse(const char *cmdline, struct net_config *out,
		     struct th_errbuf *eb) TH_MUST_CHECK;

/* "a.b.c.d" into buf (at least 16 bytes); returns buf. */
char *net_ip_format(uint32_t ip, char *buf, size_t cap);

/* Bind a NIC to a loaded driver module (cfg->nic preferred: module e1000
 * or virtio_net), bring up lwIP, start DHCP or the static
 * address, start the echo service (UDP 7).  TH_ENODEV if no NIC has a driver
 * module.  drvwatch=MS: the dead man's switch after a driver swap (nic_watch.c). */
int net_init(const struct net_config *cfg) TH_MUST_CHECK;

/* Pull received frames into lwIP, reclaim transmit slots, track the link,
 * run lwIP's timers.  Returns the number of frames handled (0 = idle: the
 * caller may halt until the next interrupt). */
int net_poll(void);

/* True if the NIC raised an interrupt since the last net_poll() (so the
 * caller should poll again instead of halting).  Safe with IRQs disabled. */
bool net_pending(void);

struct net_counters {
	uint64_t rx_packets, rx_bytes, rx_drops, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_drops, tx_errors;
	uint64_t irqs;
};

struct net_status {
	bool present;        /* a NIC was found and initialised */
	bool link_up;
	bool addr_ok;        /* an address is configured (static or leased) */
	bool dhcp;
	uint32_t ip, netmask, gw;   /* host byte order; 0 until configured */
	uint8_t mac[6];
	char driver[16];     /* the bound driver module: "e1000", "virtio_net", "" */
	char driver_version[16];
	char nic_model[24];  /* "82540EM" */
	uint16_t pci_vendor, pci_device;
	struct net_counters ctr;
	uint64_t echo_requests;
};
void net_status(struct net_status *out);

/* The endpoint handled a request with a valid MAC (only a key holder can
 * make one): if it arrived through a NIC driver version that took over
 * since the last such check, that is proof it works, which disarms the dead
 * man's switch (net/nic_watch.c) as an ARP reply from the gateway does. */
void net_driver_authenticated_request(void);

/* ---- UDP services ----------------------------------------------------- */

/* Who sent a datagram; valid only during the handler call.  The reply_ctx a
 * handler receives points to one of these. */
struct net_udp_peer {
	uint32_t ip;     /* host byte order */
	uint16_t port;
};

/* Send len bytes back to the sender of the datagram being handled. */
typedef int (*net_reply_fn)(void *reply_ctx, const void *data, size_t len);

/* Called from net_poll() for each datagram (data contiguous, len may be 0).
 * reply_ctx is a struct net_udp_peer * valid only during the call. */
typedef void (*net_udp_handler_fn)(void *ctx, const void *data, size_t len,
				   net_reply_fn reply, void *reply_ctx);

#define NET_UDP_SERVICES_MAX 8
#define NET_UDP_PAYLOAD_MAX 1472   /* largest unfragmented payload on Ethernet */
/* Largest datagram a handler is given and may reply with: what IP
 * reassembly can hold (IP_REASS_MAX_PBUFS fragments of 1480 bytes, less the
 * UDP header); larger ones are sent as IP fragments. */
#define NET_UDP_DGRAM_MAX (16 * 1480 - 8)

/* Bind UDP `port` on all addresses.  TH_EEXIST if bound already, TH_EFULL if
 * NET_UDP_SERVICES_MAX are in use, TH_ENOMEM. */
int net_udp_listen(uint16_t port, net_udp_handler_fn handler, void *ctx) TH_MUST_CHECK;
/* Unbind; TH_ENOENT if nothing is bound there. */
int net_udp_unlisten(uint16_t port) TH_MUST_CHECK;

#define NET_ECHO_PORT 7

/* Background work of a service, run by net_poll() when a poll found no
 * frame (the machine would otherwise halt): each call does a bounded step
 * and returns true while more remains (net_poll then reports work, so the
 * main loop polls again instead of halting).  One hook; NULL removes it. */
typedef bool (*net_idle_fn)(void *ctx);
void net_set_idle(net_idle_fn fn, void *ctx);

#endif

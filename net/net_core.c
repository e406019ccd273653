/*
 * net_core.c - bring-up and main-loop driving of the network: binds the NIC
 * to a driver module (nic_core.c; nic= preference), adds it to lwIP as the default netif,
 * configures the address (static or DHCP), announces it with a gratuitous
 * ARP, and in net_poll() feeds received frames to lwIP, follows the link
 * state and runs lwIP's timers.  Also net_status() for the ready line.
 */
#include "cpu.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "net_impl.h"
#include "netif/ethernet.h"

static struct netif the_netif;
static struct nic *the_nic;   /* nic_core()'s, once bound */
static bool net_up;
static bool use_dhcp;
static bool link_state;
/* The link is read from the NIC when it says it changed (a link interrupt)
 * and otherwise at most this often: reading it is a device register access,
 * a trap into the device model under a hypervisor, and doing it on every
 * idle poll cost one trap per received burst. */
#define NET_LINK_POLL_MS 250
static uint64_t link_checked_ms;

/* Names every network controller on the bus by PCI id, so a user can tell
 * which driver is missing. */
static void nic_report_unsupported(void)
{
	unsigned found = 0;
	for (size_t i = 0; i < pci_count(); i++) {
		const struct pci_dev *d = pci_get(i);
		if (!d || d->class_code != 0x02)   /* PCI class 02: network controller */
			continue;
		found++;
		log_warn("net", "network controller %04x:%04x (subsystem %04x:%04x) at "
			 "%02x:%02x.%x: no driver for it", d->vendor, d->device, d->subsys_vendor,
			 d->subsys_id, d->bus, d->dev, d->fn);
	}
	char drivers[256];
	nic_core_describe_drivers(drivers, sizeof drivers);
	log_warn("net", "no supported NIC (%u network controller(s) found; driver modules "
		 "loaded: %s): network off", found, drivers);
}

static void netif_status_changed(struct netif *nif)
{
	char ip[16], mask[16], gw[16];
	uint32_t a = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(nif)));
	if (!a)
		return;
	log_info("net", "address %s netmask %s gateway %s (%s)", net_ip_format(a, ip, sizeof ip),
		 net_ip_format(lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(nif))), mask, sizeof mask),
		 net_ip_format(lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(nif))), gw, sizeof gw),
		 use_dhcp ? "dhcp" : "static");
	if (netif_is_link_up(nif))
		etharp_gratuitous(nif);   /* slirp holds frames to unknown MACs */
}

static void netif_link_changed(struct netif *nif)
{
	log_info("net", "link %s", netif_is_link_up(nif) ? "up" : "down");
	if (netif_is_link_up(nif) && !ip4_addr_isany_val(*netif_ip4_addr(nif)))
		etharp_gratuitous(nif);
}

static void link_check(void)
{
	link_checked_ms = time_ms();
	bool up = nic_core_link_up(the_nic);
	if (up == link_state)
		return;
	link_state = up;
	if (up)
		netif_set_link_up(&the_netif);
	else
		netif_set_link_down(&the_netif);
}

int net_init(const struct net_config *cfg)
{
	if (net_up)
		return TH_EBUSY;
	if (!cfg)
		return TH_EINVAL;
	int err = nic_core_bind(cfg->nic, cfg->irq_mode);
	nic_watch_config(cfg->drvwatch_off ? 0 : cfg->drvwatch_ms ? cfg->drvwatch_ms :
			 NET_DRVWATCH_MS_DEFAULT);
	if (err) {
		nic_report_unsupported();
		return err;
	}
	lwip_init();
	ip4_addr_t ip, mask, gw;
	ip4_addr_set_u32(&ip, lwip_htonl(cfg->use_static ? cfg->ip : 0));
	ip4_addr_set_u32(&mask, lwip_htonl(cfg->use_static ? cfg->netmask : 0));
	ip4_addr_set_u32(&gw, lwip_htonl(cfg->use_static ? cfg->gw : 0));
	use_dhcp = !cfg->use_static;
	the_nic = nic_core();
	if (!netif_add(&the_netif, &ip, &mask, &gw, the_nic, ethernetif_init, ethernet_input)) {
		log_error("net", "netif_add failed");
		return TH_EIO;
	}
	netif_set_status_callback(&the_netif, netif_status_changed);
	netif_set_link_callback(&the_netif, netif_link_changed);
	netif_set_default(&the_netif);
	netif_set_up(&the_netif);
	link_state = false;
	link_check();
	net_up = true;
	if (use_dhcp) {
		log_info("net", "%s: starting DHCP", the_nic->module);
		if ((err = net_err_from_lwip(dhcp_start(&the_netif)))) {
			log_error("net", "dhcp_start: %s", th_err_name(err));
			return err;
		}
	}
	net_udp_modules_start();   /* the echo module's port 7, ... */
	return TH_OK;
}

static net_idle_fn idle_fn;
static void *idle_ctx;

void net_set_idle(net_idle_fn fn, void *ctx)
{
	idle_fn = fn;
	idle_ctx = ctx;
}

int net_poll(void)
{
	if (!net_up)
		return 0;
	the_nic->irq_pending = 0;
	int n = nic_core_poll(the_nic);
	if (the_nic->irq_link || (n == 0 && time_ms() - link_checked_ms >= NET_LINK_POLL_MS)) {
		the_nic->irq_link = 0;
		link_check();
	}
	sys_check_timeouts();
	net_udp_modules_sweep();   /* ports of module versions that no longer run */
	/* Nothing received: a step of background work, polling again if more is left. */
	if (n == 0 && !the_nic->irq_pending && idle_fn && idle_fn(idle_ctx))
		return 1;
	/* Work left in the ring (budget exhausted) or an IRQ that raced: keep going. */
	return n + (the_nic->irq_pending ? 1 : 0);
}

bool net_pending(void)
{
	return net_up && (the_nic->irq_pending || the_nic->irq_link);
}

void net_driver_authenticated_request(void)
{
	if (net_up)
		nic_watch_request(the_nic);
}

void net_status(struct net_status *out)
{
	memset(out, 0, sizeof *out);
	if (!net_up)
		return;
	out->present = true;
	out->link_up = netif_is_link_up(&the_netif);
	out->dhcp = use_dhcp;
	out->ip = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&the_netif)));
	out->netmask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(&the_netif)));
	out->gw = lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(&the_netif)));
	out->addr_ok = out->ip != 0;
	memcpy(out->mac, the_nic->pub.mac, sizeof out->mac);
	snprintf(out->driver, sizeof out->driver, "%s", the_nic->module);
	snprintf(out->driver_version, sizeof out->driver_version, "%s", the_nic->version);
	snprintf(out->nic_model, sizeof out->nic_model, "%s",
		 the_nic->pub.id && the_nic->pub.id->model ? the_nic->pub.id->model : "?");
	out->pci_vendor = the_nic->pub.vendor;
	out->pci_device = the_nic->pub.device;
	const struct th_nic_counters *c = &the_nic->pub.ctr;
	out->ctr = (struct net_counters){ c->rx_packets, c->rx_bytes, c->rx_drops, c->rx_errors,
					  c->tx_packets, c->tx_bytes, c->tx_drops, c->tx_errors,
					  c->irqs };
	out->echo_requests = net_udp_module_datagrams(NET_ECHO_PORT);
}

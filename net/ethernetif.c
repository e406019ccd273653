/*
 * ethernetif.c - the lwIP netif glue for every NIC driver (lwIP's ethernetif
 * skeleton): netif initialisation from a struct nic, the linkoutput hook
 * that calls the driver's transmit, and the received-frame copy into pbufs.
 */
#include "klibc.h"
#include "log.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "net_impl.h"
#include "netif/ethernet.h"

static err_t ethernetif_linkoutput(struct netif *netif, struct pbuf *p)
{
	struct nic *n = netif->state;
	if (!n || p->tot_len > NIC_FRAME_MAX) {
		if (n)
			n->ctr.tx_errors++;
		return ERR_ARG;
	}
	return n->ops->tx(n, p);
}

err_t ethernetif_init(struct netif *netif)
{
	struct nic *n = netif->state;
	if (!n)
		return ERR_ARG;
	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->output = etharp_output;
	netif->linkoutput = ethernetif_linkoutput;
	netif->mtu = 1500;
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, n->mac, ETH_HWADDR_LEN);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	n->netif = netif;
	return ERR_OK;
}

struct pbuf *ethernetif_frame_to_pbuf(struct nic *n, const void *frame, size_t len)
{
	if (len < 14 || len > NIC_FRAME_MAX) {
		n->ctr.rx_errors++;
		return NULL;
	}
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (!p) {
		n->ctr.rx_drops++;
		return NULL;
	}
	if (pbuf_take(p, frame, (u16_t)len) != ERR_OK) {
		pbuf_free(p);
		n->ctr.rx_drops++;
		return NULL;
	}
	n->ctr.rx_packets++;
	n->ctr.rx_bytes += len;
	return p;
}

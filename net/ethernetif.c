/*
 * ethernetif.c - the lwIP netif glue for every NIC driver (lwIP's ethernetif
 * skeleton): netif initialisation from a struct nic, the linkoutput hook
 * that transmits through the NIC core (nic_core.c).
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
			n->pub.ctr.tx_errors++;
		return ERR_ARG;
	}
	return nic_core_tx(n, p);
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
	memcpy(netif->hwaddr, n->pub.mac, ETH_HWADDR_LEN);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	n->netif = netif;
	return ERR_OK;
}

/*
 * net_udp.c - UDP services on lwIP's raw udp_pcb: net_udp_listen() binds a
 * port to a handler; each datagram reaches the handler contiguous, with a
 * reply function that sends back to its sender.  Used by the echo service
 * and the control endpoint.
 */
#include "klibc.h"
#include "log.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"
#include "net_impl.h"

struct udp_service {
	struct udp_pcb *pcb;
	uint16_t port;
	net_udp_handler_fn handler;
	void *ctx;
};

struct udp_reply {
	struct net_udp_peer peer;   /* first: handlers may read it via reply_ctx */
	struct udp_pcb *pcb;
	const ip_addr_t *addr;
};

static struct udp_service services[NET_UDP_SERVICES_MAX];
static uint8_t rx_copy[NET_UDP_DGRAM_MAX];   /* for chained (reassembled) pbufs */
_Static_assert(IP_REASS_MAX_PBUFS * 1480 - 8 <= NET_UDP_DGRAM_MAX,
	       "a reassembled datagram must fit rx_copy");

static int udp_reply_send(void *reply_ctx, const void *data, size_t len)
{
	struct udp_reply *r = reply_ctx;
	if (len > NET_UDP_DGRAM_MAX)
		return TH_ETOOBIG;
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (!p)
		return TH_ENOMEM;
	if (len)
		memcpy(p->payload, data, len);
	err_t e = udp_sendto(r->pcb, p, r->addr, r->peer.port);
	pbuf_free(p);
	return net_err_from_lwip(e);
}

static void udp_service_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
			     const ip_addr_t *addr, u16_t port)
{
	struct udp_service *s = arg;
	const void *data = p->payload;
	size_t len = p->tot_len;
	if (p->next) {           /* chained (e.g. reassembled): copy out */
		if (len > sizeof rx_copy) {
			pbuf_free(p);
			return;
		}
		pbuf_copy_partial(p, rx_copy, p->tot_len, 0);
		data = rx_copy;
	}
	struct udp_reply r = {
		.peer = { .ip = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(addr))), .port = port },
		.pcb = pcb,
		.addr = addr,
	};
	s->handler(s->ctx, data, len, udp_reply_send, &r);
	pbuf_free(p);
}

int net_udp_listen(uint16_t port, net_udp_handler_fn handler, void *ctx)
{
	struct udp_service *free_slot = NULL;
	if (!handler)
		return TH_EINVAL;
	for (size_t i = 0; i < NET_UDP_SERVICES_MAX; i++) {
		if (services[i].pcb && services[i].port == port)
			return TH_EEXIST;
		if (!services[i].pcb && !free_slot)
			free_slot = &services[i];
	}
	if (!free_slot)
		return TH_EFULL;
	struct udp_pcb *pcb = udp_new();
	if (!pcb)
		return TH_ENOMEM;
	err_t e = udp_bind(pcb, IP_ANY_TYPE, port);
	if (e != ERR_OK) {
		udp_remove(pcb);
		return net_err_from_lwip(e);
	}
	*free_slot = (struct udp_service){ .pcb = pcb, .port = port, .handler = handler, .ctx = ctx };
	udp_recv(pcb, udp_service_recv, free_slot);
	log_info("net", "udp service on port %u", port);
	return TH_OK;
}

int net_udp_unlisten(uint16_t port)
{
	for (size_t i = 0; i < NET_UDP_SERVICES_MAX; i++) {
		if (services[i].pcb && services[i].port == port) {
			udp_remove(services[i].pcb);
			services[i] = (struct udp_service){ 0 };
			return TH_OK;
		}
	}
	return TH_ENOENT;
}

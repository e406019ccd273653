/*
 * nic_watch.c - the dead man's switch for the path updates travel over.
 * When a new version of the bound NIC driver takes over (a live swap, a
 * rollback by hand, a restart after a fault), the core waits up to
 * drvwatch= ms (default NET_DRVWATCH_MS_DEFAULT) for proof that it works: an
 * ARP reply from the gateway to the requests sent here every
 * NIC_WATCH_PROBE_MS (a frame out and a frame back through the new
 * driver; without a gateway, any received frame), or the next
 * authenticated request to the endpoint arriving over it
 * (net_driver_proof).  Without proof by the
 * deadline the kernel rolls the driver back by itself (swap_rollback: a
 * history entry of kind "rollback", after one of kind "fault" saying why),
 * so a driver that cannot talk does not cut the machine off.  The rollback
 * it makes is not watched again.
 */
#include "ktime.h"
#include "log.h"
#include "lwip/etharp.h"
#include "lwip/ip4_addr.h"
#include "net_impl.h"
#include "nic_match.h"
#include "swap.h"

#define NIC_WATCH_PROBE_MS 200

static uint64_t watch_ms = NET_DRVWATCH_MS_DEFAULT;
static bool armed, rolling_back;
static uint64_t armed_ns, deadline_ns, next_probe_ns;
static uint64_t rx_since_arm;   /* frames the new version handed up */
static char from_version[16];

void nic_watch_config(uint32_t ms)
{
	watch_ms = ms;
}

void nic_watch_arm(struct nic *n, const char *from)
{
	if (!watch_ms || rolling_back)
		return;
	armed = true;
	rx_since_arm = 0;
	armed_ns = time_ns();
	deadline_ns = armed_ns + watch_ms * 1000000ull;
	next_probe_ns = 0;
	snprintf(from_version, sizeof from_version, "%s", from);
	log_info("net", "driver %s %s -> %s: waiting up to %llu ms for proof that it works "
		 "(an ARP reply from the gateway or an authenticated request), else rolling back",
		 n->module, from, n->version,
		 (unsigned long long)watch_ms);
}

static void proven(struct nic *n, const char *how);

static uint32_t gateway_be(struct nic *n)
{
	return n->netif ? ip4_addr_get_u32(netif_ip4_gw(n->netif)) : 0;
}

void nic_watch_rx(struct nic *n, const uint8_t *f, size_t len)
{
	if (!armed)
		return;
	rx_since_arm++;
	uint32_t gw = gateway_be(n);
	if (gw && !nic_arp_reply_from(f, len, n->pub.mac, gw))
		return;
	proven(n, gw ? "ARP reply" : "a frame received");
}

void nic_watch_request(struct nic *n)
{
	/* Only a request the new version received counts: the swap request
	 * itself, and frames the old version queued before it, came earlier. */
	if (armed && rx_since_arm)
		proven(n, "an authenticated request");
}

static void proven(struct nic *n, const char *how)
{
	armed = false;
	log_info("net", "driver %s %s works: %s after %llu ms", n->module, n->version, how,
		 (unsigned long long)((time_ns() - armed_ns) / 1000000));
}

void nic_watch_poll(struct nic *n)
{
	if (!armed)
		return;
	uint64_t now = time_ns();
	if (now >= deadline_ns) {
		armed = false;
		char msg[96];
		snprintf(msg, sizeof msg, "no proof of life within %llu ms of taking over: rolling back",
			 (unsigned long long)watch_ms);
		log_error("net", "driver %s %s: %s to %s", n->module, n->version, msg, from_version);
		struct swap_module_record rec;
		if (swap_describe(n->module, &rec) || rec.undo == 0) {
			log_error("net", "driver %s: no earlier version to roll back to; keeping it",
				  n->module);
			return;
		}
		swap_history_note(SWAP_KIND_FAULT, n->module, n->version, msg);
		struct th_errbuf eb = { "" };
		rolling_back = true;
		int err = swap_rollback(n->module, NULL, &eb);
		rolling_back = false;
		if (err)
			log_error("net", "driver %s: rollback failed: %s", n->module, eb.msg);
		else
			log_info("net", "driver %s rolled back to %s by the dead man's switch", n->module,
				 n->version);
		return;
	}
	uint32_t gw = gateway_be(n);
	if (gw && now >= next_probe_ns && n->netif) {
		ip4_addr_t a;
		ip4_addr_set_u32(&a, gw);
		(void)etharp_request(n->netif, &a);
		next_probe_ns = now + NIC_WATCH_PROBE_MS * 1000000ull;
	}
}

/*
 * nic_match.c - the NIC core's pure parts, host-tested
 * (tests/unit/nic_match_test.c): which entry of a driver's PCI id table
 * names a device, whether a received frame is the ARP reply the dead man's
 * switch waits for (every length checked before a byte is read), and how
 * a bound NIC interrupts (nicirq=).
 */
#include "nic_match.h"

#include "klibc.h"

const struct th_nic_id *nic_id_match(const struct th_nic_id *ids, uint16_t vendor,
				     uint16_t device)
{
	for (size_t i = 0; ids && i < NIC_IDS_MAX && ids[i].vendor; i++)
		if (ids[i].vendor == vendor && ids[i].device == device)
			return &ids[i];
	return NULL;
}

bool nic_arp_reply_from(const uint8_t *f, size_t len, const uint8_t mac[6], uint32_t ip_be)
{
	/* Ethernet (14) + ARP for IPv4 over Ethernet (28): type 0x0806 at 12,
	 * hardware type 1, protocol 0x0800, sizes 6 and 4, opcode 2 (reply) at
	 * 20, sender IPv4 at 28, target MAC at 32. */
	if (!f || len < 42)
		return false;
	if (f[12] != 0x08 || f[13] != 0x06 || f[14] != 0 || f[15] != 1 || f[16] != 0x08 ||
	    f[17] != 0 || f[18] != 6 || f[19] != 4 || f[20] != 0 || f[21] != 2)
		return false;
	if (memcmp(f + 32, mac, 6) != 0)
		return false;
	uint32_t sender;
	memcpy(&sender, f + 28, 4);
	return sender == ip_be;
}

enum nic_irq_kind nic_irq_choose(enum net_irq_mode mode, bool has_msi, bool line_ok)
{
	if (mode == NET_IRQ_POLL)
		return NIC_IRQ_NONE;
	if (has_msi && (mode == NET_IRQ_AUTO || mode == NET_IRQ_MSI))
		return NIC_IRQ_MSI;
	return line_ok ? NIC_IRQ_LINE : NIC_IRQ_NONE;
}

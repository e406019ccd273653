/*
 * nic_match.h - the NIC core's pure parsers and decisions (nic_match.c),
 * host-testable: PCI id table lookup, the ARP reply check of the dead man's
 * switch, and how a bound NIC interrupts (nicirq=).
 */
#ifndef THESEUS_NIC_MATCH_H
#define THESEUS_NIC_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "nic_driver.h"

#define NIC_IDS_MAX 256   /* entries read from a driver's id table, at most */

/* The entry of ids (terminated by vendor 0, read at most NIC_IDS_MAX) naming
 * vendor:device; NULL if none. */
const struct th_nic_id *nic_id_match(const struct th_nic_id *ids, uint16_t vendor,
				     uint16_t device);

/* Whether frame f (len bytes, from the wire) is an ARP reply to mac from
 * IPv4 address ip_be (network byte order). */
bool nic_arp_reply_from(const uint8_t *f, size_t len, const uint8_t mac[6], uint32_t ip_be);

/* How a NIC interrupts: what nicirq= asks (mode), whether the device has
 * MSI, and whether its legacy line is usable (0-15, routed).  AUTO and MSI
 * take MSI when there is one; AUTO, MSI and LINE take the line when there is
 * no MSI (or LINE asked) and the line is usable; else polling. */
enum nic_irq_kind { NIC_IRQ_NONE = 0, NIC_IRQ_MSI, NIC_IRQ_LINE };
enum nic_irq_kind nic_irq_choose(enum net_irq_mode mode, bool has_msi, bool line_ok);

#endif

/*
 * nic_match.h - the NIC core's pure parsers (nic_match.c), host-testable:
 * PCI id table lookup and the ARP reply check of the dead man's switch.
 */
#ifndef THESEUS_NIC_MATCH_H
#define THESEUS_NIC_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nic_driver.h"

#define NIC_IDS_MAX 256   /* entries read from a driver's id table, at most */

/* The entry of ids (terminated by vendor 0, read at most NIC_IDS_MAX) naming
 * vendor:device; NULL if none. */
const struct th_nic_id *nic_id_match(const struct th_nic_id *ids, uint16_t vendor,
				     uint16_t device);

/* Whether frame f (len bytes, from the wire) is an ARP reply to mac from
 * IPv4 address ip_be (network byte order). */
bool nic_arp_reply_from(const uint8_t *f, size_t len, const uint8_t mac[6], uint32_t ip_be);

#endif

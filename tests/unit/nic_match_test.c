/*
 * nic_match_test.c - host tests of the NIC core's parsers (net/nic_match.c):
 * driver id tables (found, absent, terminated, unterminated tables read no
 * further than NIC_IDS_MAX) and the ARP reply the dead man's switch accepts
 * (every field checked, truncated frames refused without reading past them).
 */
#include <stdlib.h>

#include "check.h"
#include "nic_match.h"

static const struct th_nic_id ids[] = {
	{ 0x8086, 0x100e, "82540EM", 1 },
	{ 0x8086, 0x10d3, "82574L", 2 },
	{ 0, 0, NULL, 0 },
	{ 0x1af4, 0x1000, "after the end", 0 },
};

static void test_id_match(void)
{
	CHECK(nic_id_match(ids, 0x8086, 0x100e) == &ids[0]);
	CHECK(nic_id_match(ids, 0x8086, 0x10d3) == &ids[1]);
	CHECK(nic_id_match(ids, 0x8086, 0x1000) == NULL);
	CHECK(nic_id_match(ids, 0x1af4, 0x1000) == NULL);   /* past the terminator */
	CHECK(nic_id_match(NULL, 0x8086, 0x100e) == NULL);
}

static void test_id_match_unterminated(void)
{
	/* Exactly NIC_IDS_MAX entries and no terminator: read no further
	 * (ASan would report the read past the heap block). */
	struct th_nic_id *t = calloc(NIC_IDS_MAX, sizeof *t);
	CHECK(t != NULL);
	if (!t)
		return;
	for (size_t i = 0; i < NIC_IDS_MAX; i++)
		t[i] = (struct th_nic_id){ 0x10ec, (uint16_t)i, "x", 0 };
	CHECK(nic_id_match(t, 0x10ec, NIC_IDS_MAX - 1) == &t[NIC_IDS_MAX - 1]);
	CHECK(nic_id_match(t, 0x10ec, 0xffff) == NULL);
	free(t);
}

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
#define GW_BE 0x0202000au   /* 10.0.2.2 in network byte order, read little-endian */

static void arp_reply(uint8_t f[42])
{
	static const uint8_t frame[42] = {
		0x52, 0x54, 0x00, 0x12, 0x34, 0x56,  0x52, 0x55, 0x0a, 0x00, 0x02, 0x02,  0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02,
		0x52, 0x55, 0x0a, 0x00, 0x02, 0x02,  10, 0, 2, 2,
		0x52, 0x54, 0x00, 0x12, 0x34, 0x56,  10, 0, 2, 15,
	};
	memcpy(f, frame, 42);
}

static void test_arp_reply(void)
{
	uint8_t f[42];
	arp_reply(f);
	CHECK(nic_arp_reply_from(f, 42, MAC, GW_BE));
	CHECK(!nic_arp_reply_from(f, 42, MAC, GW_BE + 1));     /* another sender */
	static const size_t fields[] = { 12, 13, 15, 16, 18, 19, 21, 32, 37 };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		arp_reply(f);
		f[fields[i]] ^= 0x01;   /* type, htype, ptype, sizes, opcode, target MAC */
		CHECK(!nic_arp_reply_from(f, 42, MAC, GW_BE));
	}
}

static void test_arp_truncated(void)
{
	uint8_t f[42];
	arp_reply(f);
	for (size_t len = 0; len < 42; len++) {
		uint8_t *copy = malloc(len ? len : 1);   /* exact size: ASan sees any over-read */
		CHECK(copy != NULL);
		if (!copy)
			return;
		memcpy(copy, f, len);
		CHECK(!nic_arp_reply_from(copy, len, MAC, GW_BE));
		free(copy);
	}
	CHECK(!nic_arp_reply_from(NULL, 42, MAC, GW_BE));
}

/* nicirq= against what the device offers: MSI first (auto, msi), the
 * legacy line when it is usable, else polling; poll always polls. */
static void test_irq_choose(void)
{
	CHECK_EQ(nic_irq_choose(NET_IRQ_AUTO, true, true), NIC_IRQ_MSI);
	CHECK_EQ(nic_irq_choose(NET_IRQ_AUTO, true, false), NIC_IRQ_MSI);  /* no line: MSI rescues */
	CHECK_EQ(nic_irq_choose(NET_IRQ_AUTO, false, true), NIC_IRQ_LINE);
	CHECK_EQ(nic_irq_choose(NET_IRQ_AUTO, false, false), NIC_IRQ_NONE);
	CHECK_EQ(nic_irq_choose(NET_IRQ_MSI, true, false), NIC_IRQ_MSI);
	CHECK_EQ(nic_irq_choose(NET_IRQ_MSI, false, true), NIC_IRQ_LINE);
	CHECK_EQ(nic_irq_choose(NET_IRQ_LINE, true, true), NIC_IRQ_LINE);
	CHECK_EQ(nic_irq_choose(NET_IRQ_LINE, true, false), NIC_IRQ_NONE);
	CHECK_EQ(nic_irq_choose(NET_IRQ_POLL, true, true), NIC_IRQ_NONE);
}

int main(void)
{
	RUN(test_irq_choose);
	RUN(test_id_match);
	RUN(test_id_match_unterminated);
	RUN(test_arp_reply);
	RUN(test_arp_truncated);
	return check_summary("nic_match");
}

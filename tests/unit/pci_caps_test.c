/*
 * pci_caps_test.c - host test of the PCI capability walk and the MSI
 * layout (kernel/dev/pci_caps.c) over made-up configuration spaces: found
 * at any position of a list, several of one id in order, absent, no list (status bit clear), pointers
 * into the header or unaligned (masked as the hardware does), a loop cut,
 * and every MSI variant (32/64-bit address, with and without mask bits),
 * including one placed so that its registers would run past the 256 bytes.
 * The reader records every offset asked; all lie within the space.
 */
#include <string.h>

#include "check.h"
#include "pci.h"

struct space {
	uint8_t b[256];
	unsigned reads;
};

static uint8_t rd(void *ctx, uint8_t off)
{
	struct space *s = ctx;
	s->reads++;
	return s->b[off];
}

static void init(struct space *s)
{
	memset(s, 0, sizeof *s);
	s->b[0x06] = 0x10;   /* status: capabilities list */
}

static void cap(struct space *s, uint8_t at, uint8_t id, uint8_t next)
{
	s->b[at] = id;
	s->b[at + 1] = next;
}

static void test_find(void)
{
	struct space s;
	init(&s);
	s.b[0x34] = 0x40;
	cap(&s, 0x40, 0x01, 0x50);          /* power management */
	cap(&s, 0x50, 0x10, 0xD0);          /* PCI Express */
	cap(&s, 0xD0, PCI_CAP_MSI, 0xA0);
	cap(&s, 0xA0, PCI_CAP_MSIX, 0x00);
	CHECK_EQ(pci_cap_find(rd, &s, 0x01), 0x40);
	CHECK_EQ(pci_cap_find(rd, &s, PCI_CAP_MSI), 0xD0);
	CHECK_EQ(pci_cap_find(rd, &s, PCI_CAP_MSIX), 0xA0);
	CHECK_EQ(pci_cap_find(rd, &s, 0x09), 0);
	s.b[0x06] = 0;                      /* no list: not even the head is read */
	CHECK_EQ(pci_cap_find(rd, &s, 0x01), 0);
	CHECK_EQ(pci_cap_find(NULL, &s, 0x01), 0);
}

/* Several capabilities of one id (virtio lists five vendor-specific ones):
 * each in list order, then none; an `after` not on the list finds none. */
static void test_next(void)
{
	struct space s;
	init(&s);
	s.b[0x34] = 0x98;
	cap(&s, 0x98, 0x11, 0x84);
	cap(&s, 0x84, 0x09, 0x70);
	cap(&s, 0x70, 0x09, 0x60);
	cap(&s, 0x60, 0x01, 0x50);
	cap(&s, 0x50, 0x09, 0x00);
	CHECK_EQ(pci_cap_next(rd, &s, 0x09, 0), 0x84);
	CHECK_EQ(pci_cap_next(rd, &s, 0x09, 0x84), 0x70);
	CHECK_EQ(pci_cap_next(rd, &s, 0x09, 0x70), 0x50);
	CHECK_EQ(pci_cap_next(rd, &s, 0x09, 0x50), 0);
	CHECK_EQ(pci_cap_next(rd, &s, 0x09, 0x60), 0x50);   /* after another id's */
	CHECK_EQ(pci_cap_next(rd, &s, 0x09, 0x44), 0);      /* not on the list */
	cap(&s, 0x50, 0x09, 0x84);                          /* a loop back to the first */
	CHECK_EQ(pci_cap_next(rd, &s, 0x09, 0x50), 0);      /* iteration ends */
}

static void test_bad_lists(void)
{
	struct space s;
	init(&s);
	s.b[0x34] = 0x43;                   /* low bits are reserved: 0x40 */
	cap(&s, 0x40, 0x01, 0x41);          /* next 0x41 -> 0x40: a loop */
	s.reads = 0;
	CHECK_EQ(pci_cap_find(rd, &s, PCI_CAP_MSI), 0);
	CHECK(s.reads < 200);               /* cut, not forever */
	init(&s);
	s.b[0x34] = 0x20;                   /* into the standard header */
	cap(&s, 0x20, PCI_CAP_MSI, 0);
	CHECK_EQ(pci_cap_find(rd, &s, PCI_CAP_MSI), 0);
	init(&s);
	s.b[0x34] = 0xFC;                   /* the last possible entry */
	cap(&s, 0xFC, PCI_CAP_MSI, 0x00);
	CHECK_EQ(pci_cap_find(rd, &s, PCI_CAP_MSI), 0xFC);
	init(&s);
	s.b[0x34] = 0x40;                   /* a chain through every slot, then a loop */
	for (unsigned a = 0x40; a < 0xFC; a += 4)
		cap(&s, (uint8_t)a, 0x09, (uint8_t)(a + 4));
	cap(&s, 0xFC, 0x09, 0x40);
	s.reads = 0;
	CHECK_EQ(pci_cap_find(rd, &s, PCI_CAP_MSI), 0);
	CHECK(s.reads <= 2 * 48 + 2);
}

static void msi(struct space *s, uint8_t at, uint16_t ctrl)
{
	init(s);
	s->b[0x34] = at;
	cap(s, at, PCI_CAP_MSI, 0);
	s->b[at + 2] = (uint8_t)ctrl;
	s->b[at + 3] = (uint8_t)(ctrl >> 8);
}

static void test_msi_layout(void)
{
	struct space s;
	struct pci_msi_layout l;
	msi(&s, 0x50, 0x0000);              /* 32-bit, no masking */
	CHECK_EQ(pci_msi_layout(rd, &s, &l), TH_OK);
	CHECK(l.cap == 0x50 && l.data == 0x58 && !l.is_64 && !l.maskable && l.mask == 0);
	msi(&s, 0x50, 0x0080);              /* 64-bit */
	CHECK_EQ(pci_msi_layout(rd, &s, &l), TH_OK);
	CHECK(l.data == 0x5C && l.is_64 && !l.maskable);
	msi(&s, 0x50, 0x0180);              /* 64-bit, maskable: mask at +0x10 */
	CHECK_EQ(pci_msi_layout(rd, &s, &l), TH_OK);
	CHECK(l.data == 0x5C && l.maskable && l.mask == 0x60);
	msi(&s, 0x50, 0x0100);              /* 32-bit, maskable: mask at +0x0C */
	CHECK_EQ(pci_msi_layout(rd, &s, &l), TH_OK);
	CHECK(l.data == 0x58 && l.mask == 0x5C);
	/* At the end of the space: registers that would run past 0xFF. */
	msi(&s, 0xFC, 0x0000);
	CHECK_EQ(pci_msi_layout(rd, &s, &l), TH_EINVAL);
	msi(&s, 0xE8, 0x0180);              /* pending bits at 0xFC..0xFF: just fits */
	CHECK_EQ(pci_msi_layout(rd, &s, &l), TH_OK);
	msi(&s, 0xEC, 0x0180);
	CHECK_EQ(pci_msi_layout(rd, &s, &l), TH_EINVAL);
	init(&s);                           /* no MSI capability */
	CHECK_EQ(pci_msi_layout(rd, &s, &l), TH_ENOTSUP);
}

int main(void)
{
	RUN(test_find);
	RUN(test_next);
	RUN(test_bad_lists);
	RUN(test_msi_layout);
	return check_summary("pci_caps");
}

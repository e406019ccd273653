/*
 * rtl8139.c - the NIC driver module "rtl8139" for the Realtek RTL8139
 * (10ec:8139), common on older lab PCs and emulated by QEMU (`-device
 * rtl8139`), on the NIC core's driver interface (nic_driver.h).
 *
 * Registers through the memory BAR.  Reception uses the chip's one ring
 * buffer (8 KiB + 16 + 1500 bytes of slack with WRAP set, so a frame never
 * wraps inside the buffer); transmission its four fixed descriptors, each
 * with its own 2 KiB buffer, used round robin.  Buffers are DMA regions the
 * core owns and the ring offset and descriptor state live in the core's
 * nic->state words, so a new version takes over without a reset.  Frames
 * are copied in and out.  The interrupt op acknowledges ISR.
 */
#include "theseus.h"

/* Registers (byte offsets into the memory BAR). */
#define RTL_IDR0    0x00    /* MAC address, 6 bytes */
#define RTL_MAR0    0x08    /* multicast filter, 8 bytes */
#define RTL_TSD0    0x10    /* transmit status of descriptor 0..3 (4 bytes apart) */
#define RTL_TSAD0   0x20    /* transmit start address of descriptor 0..3 */
#define RTL_RBSTART 0x30
#define RTL_CR      0x37
#define RTL_CAPR    0x38
#define RTL_IMR     0x3c
#define RTL_ISR     0x3e
#define RTL_TCR     0x40
#define RTL_RCR     0x44
#define RTL_CONFIG1 0x52
#define RTL_MSR     0x58

#define CR_BUFE  0x01       /* receive buffer empty */
#define CR_TE    0x04
#define CR_RE    0x08
#define CR_RST   0x10
#define TSD_OWN  (1u << 13) /* DMA of the descriptor's buffer finished */
#define TSD_TOK  (1u << 15)
#define TSD_ABORTED_ETC ((1u << 14) | (1u << 30)) /* TUN, TABT */
#define RSR_ROK  0x0001
#define RCR_AB   (1u << 3)  /* broadcast */
#define RCR_AM   (1u << 2)  /* multicast */
#define RCR_APM  (1u << 1)  /* physical match */
#define RCR_WRAP (1u << 7)  /* frames may run past the ring end into the slack */
#define RCR_MXDMA_UNLIMITED (7u << 8)
#define TCR_IFG_STD (3u << 24)
#define TCR_MXDMA_2048 (7u << 8)
#define ISR_ROK  0x0001
#define ISR_RER  0x0002
#define ISR_TOK  0x0004
#define ISR_TER  0x0008
#define ISR_RXOVW 0x0010
#define ISR_LINK 0x0020     /* packet underrun / link change */
#define ISR_FOVW 0x0040
#define MSR_LINKB 0x04      /* 1 = link fail */

#define RTL_RX_RING 8192u
#define RTL_RX_ALLOC (RTL_RX_RING + 16 + 1536)
#define RTL_TX_N 4
#define RTL_MIN_FRAME 60

/* nic->state words (layout RTL_STATE_LAYOUT) and DMA regions. */
enum { ST_RX_OFF, ST_TX_NEXT, ST_TX_BUSY /* bit i: descriptor i handed to the chip */ };
enum { DMA_RX, DMA_TX };
#define RTL_STATE_LAYOUT 1

struct rtl {
	volatile void *regs;
	uint8_t *rx_buf;
	uint8_t *tx_buf;
	uint64_t *st;
	struct th_nic *nic;
};

static uint8_t rd8(struct rtl *r, uint32_t o) { return th_mmio_rd8(r->regs, o); }
static uint16_t rd16(struct rtl *r, uint32_t o) { return th_mmio_rd16(r->regs, o); }
static uint32_t rd32(struct rtl *r, uint32_t o) { return th_mmio_rd32(r->regs, o); }
static void wr8(struct rtl *r, uint32_t o, uint8_t v) { th_mmio_wr8(r->regs, o, v); }
static void wr16(struct rtl *r, uint32_t o, uint16_t v) { th_mmio_wr16(r->regs, o, v); }
static void wr32(struct rtl *r, uint32_t o, uint32_t v) { th_mmio_wr32(r->regs, o, v); }

/* The memory BAR (BAR1 on the RTL8139; BAR0 is its I/O twin). */
static int mem_bar(const struct th_nic *nic)
{
	for (int i = 0; i < 6; i++)
		if (!nic->bar[i].is_io && nic->bar[i].addr && nic->bar[i].size >= 0x80)
			return i;
	return -1;
}

static int rtl_get(struct th_nic *nic, struct rtl *r)
{
	int bar = mem_bar(nic), err;
	void *rx, *tx;
	if (bar < 0)
		return TH_ENODEV;
	if ((err = th_nic_map_bar(nic, (unsigned)bar, &r->regs)) ||
	    (err = th_nic_dma(nic, DMA_RX, RTL_RX_ALLOC, &rx)) ||
	    (err = th_nic_dma(nic, DMA_TX, RTL_TX_N * TH_NIC_BUF_SIZE, &tx)))
		return err;
	if ((uintptr_t)rx + RTL_RX_ALLOC > 0x100000000ull ||
	    (uintptr_t)tx + RTL_TX_N * TH_NIC_BUF_SIZE > 0x100000000ull)
		return TH_ENOMEM;   /* the chip takes 32-bit DMA addresses only */
	r->rx_buf = rx;
	r->tx_buf = tx;
	r->st = nic->state;
	r->nic = nic;
	if (r->st[ST_RX_OFF] >= RTL_RX_RING || r->st[ST_TX_NEXT] >= RTL_TX_N)
		return TH_ERANGE;
	return TH_OK;
}

static unsigned rtl8139_irq(struct th_nic *nic)
{
	struct rtl r;
	if (rtl_get(nic, &r))
		return 0;
	uint16_t isr = rd16(&r, RTL_ISR);
	if (!isr)
		return 0;                 /* shared line, not ours */
	wr16(&r, RTL_ISR, isr);       /* write 1 to clear */
	return TH_NIC_IRQ_WORK | ((isr & ISR_LINK) ? TH_NIC_IRQ_LINK : 0);
}

/* A descriptor is free when it was never used or the chip finished it. */
static bool tx_free(struct rtl *r, unsigned i)
{
	if (!(r->st[ST_TX_BUSY] & (1u << i)))
		return true;
	uint32_t tsd = rd32(r, RTL_TSD0 + 4 * i);
	if (!(tsd & (TSD_TOK | TSD_ABORTED_ETC)))
		return false;
	if (!(tsd & TSD_TOK))
		r->nic->ctr.tx_errors++;
	r->st[ST_TX_BUSY] &= ~(uint64_t)(1u << i);
	return true;
}

static int rtl8139_tx(struct th_nic *nic, const void *frame, size_t len)
{
	struct rtl r;
	int err = rtl_get(nic, &r);
	if (err)
		return err;
	unsigned i = (unsigned)r.st[ST_TX_NEXT];
	if (!tx_free(&r, i))          /* all four in flight: back-pressure, no waiting */
		return TH_EFULL;
	if (len > TH_NIC_FRAME_MAX)
		return TH_EINVAL;
	uint8_t *buf = r.tx_buf + (size_t)i * TH_NIC_BUF_SIZE;
	memcpy(buf, frame, len);
	if (len < RTL_MIN_FRAME) {    /* the chip does not pad short frames */
		memset(buf + len, 0, RTL_MIN_FRAME - len);
		len = RTL_MIN_FRAME;
	}
	wr32(&r, RTL_TSAD0 + 4 * i, (uint32_t)(uintptr_t)buf);
	th_mb();
	wr32(&r, RTL_TSD0 + 4 * i, (uint32_t)len);   /* OWN cleared: the chip starts */
	r.st[ST_TX_BUSY] |= 1u << i;
	r.st[ST_TX_NEXT] = (i + 1) % RTL_TX_N;
	return TH_OK;
}

static int rtl8139_poll(struct th_nic *nic, int budget)
{
	struct rtl r;
	int done = 0;
	if (rtl_get(nic, &r))
		return 0;
	while (done < budget && !(rd8(&r, RTL_CR) & CR_BUFE)) {
		th_mb();
		uint32_t off = (uint32_t)r.st[ST_RX_OFF];
		const uint8_t *h = r.rx_buf + off;
		uint16_t status = (uint16_t)(h[0] | h[1] << 8);
		uint16_t len = (uint16_t)(h[2] | h[3] << 8);   /* includes the 4-byte CRC */
		if (!(status & RSR_ROK) || len < 4 + 14 || len > TH_NIC_FRAME_MAX + 4) {
			/* A bad header means the ring can no longer be trusted: start over. */
			nic->ctr.rx_errors++;
			wr8(&r, RTL_CR, CR_TE);
			wr8(&r, RTL_CR, CR_TE | CR_RE);
			r.st[ST_RX_OFF] = 0;
			wr16(&r, RTL_CAPR, (uint16_t)(0 - 16));
			break;
		}
		(void)th_nic_rx(nic, h + 4, (size_t)len - 4);
		off = ((off + len + 4 + 3) & ~3u) % RTL_RX_RING;
		r.st[ST_RX_OFF] = off;
		wr16(&r, RTL_CAPR, (uint16_t)(off - 16));   /* the chip's offset convention */
		done++;
	}
	return done;
}

static bool rtl8139_link_up(struct th_nic *nic)
{
	struct rtl r;
	if (rtl_get(nic, &r))
		return false;
	return !(rd8(&r, RTL_MSR) & MSR_LINKB);
}

static int rtl8139_attach(struct th_nic *nic)
{
	struct rtl r;
	int err = rtl_get(nic, &r);
	if (err) {
		log_error("rtl8139", "no usable memory BAR or buffers: %s", th_err_name(err));
		return err == TH_ENODEV ? TH_ENODEV : err;
	}
	th_nic_pci_enable(nic);

	wr8(&r, RTL_CONFIG1, 0);          /* wake the chip (LWAKE + LWPTN low) */
	wr8(&r, RTL_CR, CR_RST);
	for (int i = 0; i < 1000 && (rd8(&r, RTL_CR) & CR_RST); i++)
		time_delay_us(10);
	if (rd8(&r, RTL_CR) & CR_RST) {
		log_error("rtl8139", "init failed: %s", th_err_name(TH_ETIMEDOUT));
		return TH_ETIMEDOUT;
	}
	for (int i = 0; i < 6; i++)
		nic->mac[i] = rd8(&r, RTL_IDR0 + (uint32_t)i);
	memset(r.rx_buf, 0, RTL_RX_ALLOC);
	r.st[ST_RX_OFF] = 0;
	r.st[ST_TX_NEXT] = 0;
	r.st[ST_TX_BUSY] = 0;
	wr16(&r, RTL_IMR, 0);
	wr32(&r, RTL_RBSTART, (uint32_t)(uintptr_t)r.rx_buf);
	wr32(&r, RTL_MAR0, 0xffffffffu);   /* all multicast (lwIP filters) */
	wr32(&r, RTL_MAR0 + 4, 0xffffffffu);
	wr8(&r, RTL_CR, CR_RE | CR_TE);    /* RCR/TCR take effect only once enabled */
	wr32(&r, RTL_RCR, RCR_AB | RCR_AM | RCR_APM | RCR_WRAP | RCR_MXDMA_UNLIMITED);
	wr32(&r, RTL_TCR, TCR_IFG_STD | TCR_MXDMA_2048);
	wr16(&r, RTL_CAPR, (uint16_t)(0 - 16));
	if (nic->irq_line != 0xff)
		wr16(&r, RTL_IMR, ISR_ROK | ISR_RER | ISR_TOK | ISR_TER | ISR_RXOVW | ISR_LINK |
				  ISR_FOVW);
	else
		log_warn("rtl8139", "no interrupt line; polling only");
	log_info("rtl8139", "RTL8139 (10ec:8139) at %02x:%02x.%x irq %u mac "
		 "%02x:%02x:%02x:%02x:%02x:%02x link %s", nic->bus, nic->dev, nic->fn, nic->irq_line,
		 nic->mac[0], nic->mac[1], nic->mac[2], nic->mac[3], nic->mac[4], nic->mac[5],
		 rtl8139_link_up(nic) ? "up" : "down");
	return TH_OK;
}

static const struct th_nic_id rtl8139_ids[] = {
	{ 0x10ec, 0x8139, "RTL8139", 0 },
	{ 0, 0, NULL, 0 },
};

static const struct th_nic_driver rtl8139_driver = {
	.abi = TH_NIC_ABI,
	.name = "rtl8139",
	.ids = rtl8139_ids,
	.state_layout = RTL_STATE_LAYOUT,
	.attach = rtl8139_attach,
	.irq = rtl8139_irq,
	.tx = rtl8139_tx,
	.poll = rtl8139_poll,
	.link_up = rtl8139_link_up,
};

static int rtl8139_mod_init(void)
{
	return th_nic_driver_register(&rtl8139_driver);
}

static void rtl8139_mod_fini(void)
{
	th_nic_driver_unregister(&rtl8139_driver);
}

TH_MODULE("rtl8139", "1.0", "Realtek RTL8139 NIC driver (10ec:8139)", .init = rtl8139_mod_init,
	  .fini = rtl8139_mod_fini);

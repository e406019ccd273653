/*
 * rtl8139.c - driver for the Realtek RTL8139 (10ec:8139), common on older lab
 * PCs and emulated by QEMU (`-device rtl8139`), following lwIP's ethernetif
 * skeleton like e1000.c: rtl8139_probe (low_level_init), rtl8139_tx
 * (low_level_output), rtl8139_rx_poll (low_level_input).
 *
 * Registers through the memory BAR.  Reception uses the chip's one ring
 * buffer (8 KiB + 16 + 1500 bytes of slack with WRAP set, so a frame never
 * wraps inside the buffer); transmission its four fixed descriptors, each
 * with its own 2 KiB buffer, used round robin.  Frames are copied in and out
 * so pbufs never belong to the device.  The IRQ handler acknowledges ISR and
 * flags work; net_poll() drains the ring.
 */
#include "cpu.h"
#include "frame.h"
#include "irq.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "net_impl.h"
#include "vmm.h"

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

struct rtl {
	volatile uint8_t *regs;
	uint8_t *rx_buf;
	uint8_t *tx_buf;
	uint32_t rx_off;        /* next frame header in the ring */
	unsigned tx_next;       /* descriptor the next frame goes to */
	bool tx_busy[RTL_TX_N]; /* handed to the chip, not yet seen done */
	struct nic *nic;
};

static uint8_t rd8(struct rtl *r, uint32_t o) { return *(volatile uint8_t *)(r->regs + o); }
static uint16_t rd16(struct rtl *r, uint32_t o) { return *(volatile uint16_t *)(r->regs + o); }
static uint32_t rd32(struct rtl *r, uint32_t o) { return *(volatile uint32_t *)(r->regs + o); }
static void wr8(struct rtl *r, uint32_t o, uint8_t v) { *(volatile uint8_t *)(r->regs + o) = v; }
static void wr16(struct rtl *r, uint32_t o, uint16_t v) { *(volatile uint16_t *)(r->regs + o) = v; }
static void wr32(struct rtl *r, uint32_t o, uint32_t v) { *(volatile uint32_t *)(r->regs + o) = v; }

static void rtl8139_irq(void *ctx)
{
	struct rtl *r = ctx;
	uint16_t isr = rd16(r, RTL_ISR);
	if (!isr)
		return;                   /* shared line, not ours */
	wr16(r, RTL_ISR, isr);        /* write 1 to clear */
	r->nic->ctr.irqs++;
	r->nic->irq_pending = 1;
	if (isr & ISR_LINK)
		r->nic->irq_link = 1;
}

/* A descriptor is free when it was never used or the chip finished it. */
static bool tx_free(struct rtl *r, unsigned i)
{
	if (!r->tx_busy[i])
		return true;
	uint32_t tsd = rd32(r, RTL_TSD0 + 4 * i);
	if (!(tsd & (TSD_TOK | TSD_ABORTED_ETC)))
		return false;
	if (!(tsd & TSD_TOK))
		r->nic->ctr.tx_errors++;
	r->tx_busy[i] = false;
	return true;
}

static err_t rtl8139_tx(struct nic *n, struct pbuf *p)
{
	struct rtl *r = n->priv;
	unsigned i = r->tx_next;
	if (!tx_free(r, i)) {         /* all four in flight: back-pressure, no waiting */
		n->ctr.tx_drops++;
		return ERR_MEM;
	}
	uint8_t *buf = r->tx_buf + (size_t)i * NIC_BUF_SIZE;
	u16_t len = pbuf_copy_partial(p, buf, p->tot_len, 0);
	if (len != p->tot_len || len > NIC_FRAME_MAX) {
		n->ctr.tx_errors++;
		return ERR_BUF;
	}
	if (len < RTL_MIN_FRAME) {    /* the chip does not pad short frames */
		memset(buf + len, 0, RTL_MIN_FRAME - len);
		len = RTL_MIN_FRAME;
	}
	wr32(r, RTL_TSAD0 + 4 * i, (uint32_t)(uintptr_t)buf);
	mb();
	wr32(r, RTL_TSD0 + 4 * i, len);   /* OWN cleared: the chip starts */
	r->tx_busy[i] = true;
	r->tx_next = (i + 1) % RTL_TX_N;
	n->ctr.tx_packets++;
	n->ctr.tx_bytes += len;
	return ERR_OK;
}

static int rtl8139_rx_poll(struct nic *n, int budget, void (*deliver)(struct nic *, struct pbuf *))
{
	struct rtl *r = n->priv;
	int done = 0;
	while (done < budget && !(rd8(r, RTL_CR) & CR_BUFE)) {
		mb();
		const uint8_t *h = r->rx_buf + r->rx_off;
		uint16_t status = (uint16_t)(h[0] | h[1] << 8);
		uint16_t len = (uint16_t)(h[2] | h[3] << 8);   /* includes the 4-byte CRC */
		if (!(status & RSR_ROK) || len < 4 + 14 || len > NIC_FRAME_MAX + 4) {
			/* A bad header means the ring can no longer be trusted: start over. */
			n->ctr.rx_errors++;
			wr8(r, RTL_CR, CR_TE);
			wr8(r, RTL_CR, CR_TE | CR_RE);
			r->rx_off = 0;
			wr16(r, RTL_CAPR, (uint16_t)(0 - 16));
			break;
		}
		struct pbuf *p = ethernetif_frame_to_pbuf(n, h + 4, (size_t)len - 4);
		r->rx_off = (r->rx_off + len + 4 + 3) & ~3u;
		r->rx_off %= RTL_RX_RING;
		wr16(r, RTL_CAPR, (uint16_t)(r->rx_off - 16));   /* the chip's offset convention */
		done++;
		if (p)
			deliver(n, p);
	}
	return done;
}

static bool rtl8139_link_up(struct nic *n)
{
	struct rtl *r = n->priv;
	return !(rd8(r, RTL_MSR) & MSR_LINKB);
}

static const struct nic_ops rtl8139_ops = {
	.tx = rtl8139_tx,
	.rx_poll = rtl8139_rx_poll,
	.link_up = rtl8139_link_up,
};

static int rtl8139_buffers_alloc(struct rtl *r)
{
	uint64_t rx, tx;
	int err;
	if ((err = frame_alloc((RTL_RX_ALLOC + FRAME_SIZE - 1) / FRAME_SIZE, &rx)) ||
	    (err = frame_alloc(RTL_TX_N * NIC_BUF_SIZE / FRAME_SIZE, &tx)))
		return err;   /* boot-time, single NIC: partial frames are not reclaimed */
	if (rx + RTL_RX_ALLOC > 0x100000000ull || tx + RTL_TX_N * NIC_BUF_SIZE > 0x100000000ull)
		return TH_ENOMEM;   /* the chip takes 32-bit DMA addresses only */
	r->rx_buf = (uint8_t *)(uintptr_t)rx;
	r->tx_buf = (uint8_t *)(uintptr_t)tx;
	memset(r->rx_buf, 0, RTL_RX_ALLOC);
	return TH_OK;
}

/* The memory BAR (BAR1 on the RTL8139; BAR0 is its I/O twin). */
static const struct pci_bar *mem_bar(const struct pci_dev *d)
{
	for (int i = 0; i < 6; i++)
		if (!d->bar[i].is_io && d->bar[i].addr && d->bar[i].size >= 0x80)
			return &d->bar[i];
	return NULL;
}

int rtl8139_probe(const struct pci_dev *d, struct nic *n)
{
	if (d->vendor != 0x10ec || d->device != 0x8139)
		return TH_ENODEV;
	const struct pci_bar *bar = mem_bar(d);
	if (!bar) {
		log_error("rtl8139", "no usable memory BAR");
		return TH_ENODEV;
	}
	struct rtl *r = kcalloc(1, sizeof *r);
	if (!r)
		return TH_ENOMEM;
	volatile void *regs;
	int err = vmm_map_mmio(bar->addr, bar->size, &regs);
	if (err)
		goto fail;
	r->regs = (volatile uint8_t *)regs;
	r->nic = n;
	pci_enable(d);

	wr8(r, RTL_CONFIG1, 0);          /* wake the chip (LWAKE + LWPTN low) */
	wr8(r, RTL_CR, CR_RST);
	for (int i = 0; i < 1000 && (rd8(r, RTL_CR) & CR_RST); i++)
		time_delay_us(10);
	if (rd8(r, RTL_CR) & CR_RST) {
		err = TH_ETIMEDOUT;
		goto fail;
	}
	for (int i = 0; i < 6; i++)
		n->mac[i] = rd8(r, RTL_IDR0 + (uint32_t)i);
	if ((err = rtl8139_buffers_alloc(r)))
		goto fail;
	wr16(r, RTL_IMR, 0);
	wr32(r, RTL_RBSTART, (uint32_t)(uintptr_t)r->rx_buf);
	wr32(r, RTL_MAR0, 0xffffffffu);   /* all multicast (lwIP filters) */
	wr32(r, RTL_MAR0 + 4, 0xffffffffu);
	wr8(r, RTL_CR, CR_RE | CR_TE);    /* RCR/TCR take effect only once enabled */
	wr32(r, RTL_RCR, RCR_AB | RCR_AM | RCR_APM | RCR_WRAP | RCR_MXDMA_UNLIMITED);
	wr32(r, RTL_TCR, TCR_IFG_STD | TCR_MXDMA_2048);
	wr16(r, RTL_CAPR, (uint16_t)(0 - 16));

	n->name = "rtl8139";
	n->pci = d;
	n->ops = &rtl8139_ops;
	n->priv = r;
	if (d->irq_line < IRQ_LINES) {
		if ((err = irq_register(d->irq_line, rtl8139_irq, r)))
			log_warn("rtl8139", "irq %u: %s; polling only", d->irq_line, th_err_name(err));
		else
			wr16(r, RTL_IMR, ISR_ROK | ISR_RER | ISR_TOK | ISR_TER | ISR_RXOVW |
					 ISR_LINK | ISR_FOVW);
	} else {
		log_warn("rtl8139", "no interrupt line; polling only");
	}
	log_info("rtl8139", "RTL8139 (10ec:8139) at %02x:%02x.%x irq %u mac "
		 "%02x:%02x:%02x:%02x:%02x:%02x link %s", d->bus, d->dev, d->fn, d->irq_line,
		 n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
		 rtl8139_link_up(n) ? "up" : "down");
	return TH_OK;
fail:
	log_error("rtl8139", "init failed: %s", th_err_name(err));
	kfree(r);
	return err;
}

/*
 * e1000.c - driver for Intel's e1000 family (the 8254x table below, QEMU's
 * default 82540EM among them, and the e1000e 82574L),
 * following lwIP's ethernetif skeleton: low_level_init (e1000_probe),
 * low_level_output (e1000_tx), low_level_input (e1000_rx_poll).
 *
 * Legacy descriptors in rings from frame_alloc (physical == virtual), one
 * 2 KiB DMA buffer per descriptor; frames are copied in and out so pbufs
 * never belong to the device.  The IRQ handler reads ICR (which acknowledges
 * it) and flags work; net_poll() drains the RX ring.  RCTL is written exactly
 * once: QEMU stalls reception for ~1 s after each RCTL write.
 */
#include "cpu.h"
#include "frame.h"
#include "irq.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "net_impl.h"
#include "vmm.h"

/* Registers (byte offsets into BAR0). */
#define E1K_CTRL   0x0000
#define E1K_STATUS 0x0008
#define E1K_EERD   0x0014
#define E1K_ICR    0x00c0
#define E1K_IMS    0x00d0
#define E1K_IMC    0x00d8
#define E1K_RCTL   0x0100
#define E1K_TCTL   0x0400
#define E1K_TIPG   0x0410
#define E1K_RDBAL  0x2800
#define E1K_RDBAH  0x2804
#define E1K_RDLEN  0x2808
#define E1K_RDH    0x2810
#define E1K_RDT    0x2818
#define E1K_TDBAL  0x3800
#define E1K_TDBAH  0x3804
#define E1K_TDLEN  0x3808
#define E1K_TDH    0x3810
#define E1K_TDT    0x3818
#define E1K_MTA    0x5200
#define E1K_RAL0   0x5400
#define E1K_RAH0   0x5404

#define CTRL_ASDE (1u << 5)
#define CTRL_SLU  (1u << 6)
#define CTRL_RST  (1u << 26)
#define STATUS_LU (1u << 1)
#define ICR_TXDW  (1u << 0)
#define ICR_LSC   (1u << 2)
#define ICR_RXDMT0 (1u << 4)
#define ICR_RXO   (1u << 6)
#define ICR_RXT0  (1u << 7)
#define RCTL_EN   (1u << 1)
#define RCTL_BAM  (1u << 15)
#define RCTL_SECRC (1u << 26)   /* strip the CRC; BSIZE 00 = 2048 bytes */
#define TCTL_EN   (1u << 1)
#define TCTL_PSP  (1u << 3)
#define TCTL_CT   (0x10u << 4)
#define TCTL_COLD (0x40u << 12)
#define TXCMD_EOP (1u << 0)
#define TXCMD_IFCS (1u << 1)
#define TXCMD_RS  (1u << 3)
#define DESC_DD   (1u << 0)
#define RXD_EOP   (1u << 1)

#define E1K_RX_N 128     /* 128 * 16 B = 2 KiB of descriptors */
#define E1K_TX_N 64

struct e1k_rx_desc {
	uint64_t addr;
	uint16_t length, csum;
	uint8_t status, errors;
	uint16_t special;
} __attribute__((packed));

struct e1k_tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso, cmd, status, css;
	uint16_t special;
} __attribute__((packed));

struct e1000_model {
	uint16_t device;
	const char *name;
	uint8_t eerd_done, eerd_shift;
};

struct e1k {
	volatile uint8_t *regs;
	const struct e1000_model *model;
	volatile struct e1k_rx_desc *rx;
	volatile struct e1k_tx_desc *tx;
	uint8_t *rx_buf, *tx_buf;
	unsigned rx_next, tx_next;
	struct nic *nic;
};

static uint32_t rd(struct e1k *e, uint32_t reg) { return *(volatile uint32_t *)(e->regs + reg); }
static void wr(struct e1k *e, uint32_t reg, uint32_t v) { *(volatile uint32_t *)(e->regs + reg) = v; }

static void e1000_irq(void *ctx)
{
	struct e1k *e = ctx;
	uint32_t icr = rd(e, E1K_ICR);   /* reading acknowledges */
	if (!icr)
		return;                     /* shared line, not ours */
	e->nic->ctr.irqs++;
	e->nic->irq_pending = 1;
	if (icr & ICR_LSC)
		e->nic->irq_link = 1;
}

static err_t e1000_tx(struct nic *n, struct pbuf *p)
{
	struct e1k *e = n->priv;
	volatile struct e1k_tx_desc *d = &e->tx[e->tx_next];
	if (!(d->status & DESC_DD)) {     /* ring full: back-pressure, no waiting */
		n->ctr.tx_drops++;
		return ERR_MEM;
	}
	uint8_t *buf = e->tx_buf + (size_t)e->tx_next * NIC_BUF_SIZE;
	u16_t len = pbuf_copy_partial(p, buf, p->tot_len, 0);
	if (len != p->tot_len || len > NIC_FRAME_MAX) {
		n->ctr.tx_errors++;
		return ERR_BUF;
	}
	d->addr = (uint64_t)(uintptr_t)buf;
	d->length = len;
	d->cso = 0;
	d->css = 0;
	d->special = 0;
	d->cmd = TXCMD_EOP | TXCMD_IFCS | TXCMD_RS;
	d->status = 0;
	mb();
	e->tx_next = (e->tx_next + 1) % E1K_TX_N;
	wr(e, E1K_TDT, e->tx_next);
	n->ctr.tx_packets++;
	n->ctr.tx_bytes += len;
	return ERR_OK;
}

static int e1000_rx_poll(struct nic *n, int budget, void (*deliver)(struct nic *, struct pbuf *))
{
	struct e1k *e = n->priv;
	int done = 0;
	while (done < budget) {
		volatile struct e1k_rx_desc *d = &e->rx[e->rx_next];
		if (!(d->status & DESC_DD))
			break;
		mb();
		uint16_t len = d->length;
		uint8_t status = d->status, errors = d->errors;
		struct pbuf *p = NULL;
		if (!(status & RXD_EOP) || errors)
			n->ctr.rx_errors++;     /* fragment of an oversized frame, or bad */
		else
			p = ethernetif_frame_to_pbuf(n, e->rx_buf + (size_t)e->rx_next * NIC_BUF_SIZE, len);
		d->status = 0;
		mb();
		wr(e, E1K_RDT, e->rx_next);     /* give the descriptor back */
		e->rx_next = (e->rx_next + 1) % E1K_RX_N;
		done++;
		if (p)
			deliver(n, p);
	}
	return done;
}

static bool e1000_link_up(struct nic *n)
{
	struct e1k *e = n->priv;
	return (rd(e, E1K_STATUS) & STATUS_LU) != 0;
}

static const struct nic_ops e1000_ops = {
	.tx = e1000_tx,
	.rx_poll = e1000_rx_poll,
	.link_up = e1000_link_up,
};

static int e1000_read_mac(struct e1k *e, uint8_t mac[6])
{
	uint32_t lo = rd(e, E1K_RAL0), hi = rd(e, E1K_RAH0);
	if (lo || (hi & 0xffff)) {
		for (int i = 0; i < 4; i++)
			mac[i] = (uint8_t)(lo >> (8 * i));
		mac[4] = (uint8_t)hi;
		mac[5] = (uint8_t)(hi >> 8);
		return TH_OK;
	}
	for (uint32_t w = 0; w < 3; w++) {      /* EEPROM words 0..2 */
		wr(e, E1K_EERD, (w << e->model->eerd_shift) | 1u);
		uint32_t v = 0;
		int tries = 100000;
		while (!((v = rd(e, E1K_EERD)) & (1u << e->model->eerd_done)) && --tries)
			cpu_relax();
		if (!tries)
			return TH_ETIMEDOUT;
		mac[2 * w] = (uint8_t)(v >> 16);
		mac[2 * w + 1] = (uint8_t)(v >> 24);
	}
	return TH_OK;
}

static int e1000_rings_alloc(struct e1k *e)
{
	uint64_t rx_ring, tx_ring, rx_buf, tx_buf;
	int err;
	if ((err = frame_alloc(1, &rx_ring)) || (err = frame_alloc(1, &tx_ring)) ||
	    (err = frame_alloc(E1K_RX_N * NIC_BUF_SIZE / FRAME_SIZE, &rx_buf)) ||
	    (err = frame_alloc(E1K_TX_N * NIC_BUF_SIZE / FRAME_SIZE, &tx_buf)))
		return err;   /* boot-time, single NIC: partial frames are not reclaimed */
	e->rx = (volatile struct e1k_rx_desc *)(uintptr_t)rx_ring;
	e->tx = (volatile struct e1k_tx_desc *)(uintptr_t)tx_ring;
	e->rx_buf = (uint8_t *)(uintptr_t)rx_buf;
	e->tx_buf = (uint8_t *)(uintptr_t)tx_buf;
	memset((void *)e->rx, 0, FRAME_SIZE);
	memset((void *)e->tx, 0, FRAME_SIZE);
	for (unsigned i = 0; i < E1K_RX_N; i++)
		e->rx[i].addr = rx_buf + (uint64_t)i * NIC_BUF_SIZE;
	for (unsigned i = 0; i < E1K_TX_N; i++)
		e->tx[i].status = DESC_DD;   /* free */
	return TH_OK;
}

/*
 * The devices this driver runs: the 8254x family and the 82574L of the
 * e1000e family, all driven through the legacy descriptor interface that
 * every member keeps.  eerd_done/eerd_shift: the EEPROM read register's
 * layout (8254x: done bit 4, address at bit 8; 82541 and later, e1000e:
 * done bit 1, address at bit 2).  I217/I218/I219 (e1000e, PCH-based) add
 * rows here once a PHY/NVM path for them exists.
 */
static const struct e1000_model e1000_models[] = {
	{ 0x100e, "82540EM", 4, 8 },   /* QEMU e1000 (default) */
	{ 0x1015, "82540EM-LOM", 4, 8 },
	{ 0x1016, "82540EP-LOM", 4, 8 },
	{ 0x1017, "82540EP", 4, 8 },
	{ 0x101e, "82540EP-LP", 4, 8 },
	{ 0x1004, "82543GC", 4, 8 },
	{ 0x1008, "82544EI", 4, 8 },
	{ 0x100c, "82544GC", 4, 8 },   /* QEMU e1000-82544gc */
	{ 0x100d, "82544GC-LOM", 4, 8 },
	{ 0x100f, "82545EM", 4, 8 },   /* QEMU e1000-82545em */
	{ 0x1011, "82545EM-fiber", 4, 8 },
	{ 0x1026, "82545GM", 4, 8 },
	{ 0x1010, "82546EB", 4, 8 },
	{ 0x1079, "82546GB", 4, 8 },
	{ 0x1013, "82541EI", 1, 2 },
	{ 0x1076, "82541GI", 1, 2 },
	{ 0x107c, "82541PI", 1, 2 },
	{ 0x1019, "82547EI", 1, 2 },
	{ 0x10d3, "82574L", 1, 2 },    /* QEMU e1000e */
};

static const struct e1000_model *e1000_model_of(const struct pci_dev *d)
{
	if (d->vendor != 0x8086)
		return NULL;
	for (size_t i = 0; i < sizeof e1000_models / sizeof e1000_models[0]; i++)
		if (e1000_models[i].device == d->device)
			return &e1000_models[i];
	return NULL;
}

int e1000_probe(const struct pci_dev *d, struct nic *n)
{
	const struct e1000_model *model = e1000_model_of(d);
	if (!model)
		return TH_ENODEV;
	const struct pci_bar *bar = &d->bar[0];
	if (bar->is_io || !bar->addr || bar->size < 0x6000) {
		log_error("e1000", "BAR0 unusable (addr %#llx size %#llx)",
			  (unsigned long long)bar->addr, (unsigned long long)bar->size);
		return TH_ENODEV;
	}
	struct e1k *e = kcalloc(1, sizeof *e);
	if (!e)
		return TH_ENOMEM;
	volatile void *regs;
	int err = vmm_map_mmio(bar->addr, bar->size, &regs);
	if (err)
		goto fail;
	e->regs = (volatile uint8_t *)regs;
	e->model = model;
	e->nic = n;
	pci_enable(d);

	wr(e, E1K_IMC, 0xffffffffu);
	wr(e, E1K_CTRL, rd(e, E1K_CTRL) | CTRL_RST);
	time_delay_us(1000);
	for (int i = 0; i < 1000 && (rd(e, E1K_CTRL) & CTRL_RST); i++)
		time_delay_us(10);
	wr(e, E1K_IMC, 0xffffffffu);
	(void)rd(e, E1K_ICR);
	wr(e, E1K_CTRL, (rd(e, E1K_CTRL) | CTRL_SLU | CTRL_ASDE) & ~CTRL_RST);

	if ((err = e1000_read_mac(e, n->mac)))
		goto fail;
	if ((err = e1000_rings_alloc(e)))
		goto fail;
	for (unsigned i = 0; i < 128; i++)
		wr(e, E1K_MTA + 4 * i, 0);

	wr(e, E1K_RDBAL, (uint32_t)(uintptr_t)e->rx);
	wr(e, E1K_RDBAH, (uint32_t)((uint64_t)(uintptr_t)e->rx >> 32));
	wr(e, E1K_RDLEN, E1K_RX_N * sizeof(struct e1k_rx_desc));
	wr(e, E1K_RDH, 0);
	wr(e, E1K_RDT, E1K_RX_N - 1);
	wr(e, E1K_TDBAL, (uint32_t)(uintptr_t)e->tx);
	wr(e, E1K_TDBAH, (uint32_t)((uint64_t)(uintptr_t)e->tx >> 32));
	wr(e, E1K_TDLEN, E1K_TX_N * sizeof(struct e1k_tx_desc));
	wr(e, E1K_TDH, 0);
	wr(e, E1K_TDT, 0);
	wr(e, E1K_TIPG, 10u | (8u << 10) | (6u << 20));
	wr(e, E1K_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD);
	wr(e, E1K_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);   /* the only RCTL write */

	n->name = "e1000";
	n->pci = d;
	n->ops = &e1000_ops;
	n->priv = e;
	if (d->irq_line < IRQ_LINES) {
		if ((err = irq_register(d->irq_line, e1000_irq, e)))
			log_warn("e1000", "irq %u: %s; polling only", d->irq_line, th_err_name(err));
		else
			wr(e, E1K_IMS, ICR_RXT0 | ICR_RXO | ICR_RXDMT0 | ICR_LSC);
	} else {
		log_warn("e1000", "no interrupt line; polling only");
	}
	log_info("e1000", "%s (8086:%04x) at %02x:%02x.%x irq %u mac "
		 "%02x:%02x:%02x:%02x:%02x:%02x link %s",
		 model->name, d->device, d->bus, d->dev, d->fn, d->irq_line, n->mac[0], n->mac[1],
		 n->mac[2], n->mac[3], n->mac[4], n->mac[5], e1000_link_up(n) ? "up" : "down");
	return TH_OK;
fail:
	log_error("e1000", "init failed: %s", th_err_name(err));
	kfree(e);
	return err;
}

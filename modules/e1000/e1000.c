/*
 * e1000.c - the NIC driver module "e1000" for Intel's e1000 family (the
 * 8254x table below, QEMU's default 82540EM among them, and the e1000e
 * 82574L), on the NIC core's driver interface (nic_driver.h).
 *
 * Stateless: legacy descriptor rings and one 2 KiB DMA buffer per
 * descriptor live in DMA regions the core owns (th_nic_dma), the ring
 * indices in the core's nic->state words, so a new version takes over the
 * running device without a reset (resume).  Frames are copied in and out.
 * The interrupt op reads ICR (which acknowledges it).  RCTL is written
 * exactly once, in attach: QEMU stalls reception for ~1 s after each write.
 *
 * One source, several versions (E1000_VARIANT, set by modules/modules.mk):
 * 1 -> e1000 1.0; 2 -> e1000 2.0 (build/modules/e1000_v2.o: says so when it
 * takes over); 9 -> e1000 9.0-broken (build/modules/e1000_broken.o: drops
 * every frame, for the dead man's switch test); 8 -> e1000 8.0-faulty
 * (build/modules/e1000_faulty.o: its poll reads through a NULL pointer, for
 * the fault recovery test); 3 -> e1000 3.0 (build/modules/e1000_v3.o:
 * declares another state layout, so the core re-attaches the device: the
 * switch-over with a reset); 4 -> e1000 4.0-noirq
 * (build/modules/e1000_noirq.o: a minimal driver: its table has no irq op,
 * so the core polls the NIC, and its attach leaves enabling the device to
 * the core); 5 -> e1000alt 1.0 (build/modules/e1000alt.o: the same driver
 * as a module of another name, to move a NIC between driver modules); 6 ->
 * e1000 6.0-irqrx (build/modules/e1000_irqrx.o: its irq op also hands a
 * frame to th_nic_rx, which only poll may: the core must refuse it); 7 ->
 * e1000 7.0-badrx (build/modules/e1000_badrx.o: every poll hands
 * th_nic_rx a frame at an unmapped address: the copy faults, and the
 * receive buffer the core took for it must not leak).
 */
#include "theseus.h"

#ifndef E1000_VARIANT
#define E1000_VARIANT 1
#endif
#if E1000_VARIANT == 5
#define E1000_NAME "e1000alt"   /* the same driver as another module */
#else
#define E1000_NAME "e1000"
#endif
#if E1000_VARIANT == 2
#define E1000_VERSION "2.0"
#elif E1000_VARIANT == 9
#define E1000_VERSION "9.0-broken"
#elif E1000_VARIANT == 8
#define E1000_VERSION "8.0-faulty"
#elif E1000_VARIANT == 3
#define E1000_VERSION "3.0"
#elif E1000_VARIANT == 4
#define E1000_VERSION "4.0-noirq"
#elif E1000_VARIANT == 6
#define E1000_VERSION "6.0-irqrx"
#elif E1000_VARIANT == 7
#define E1000_VERSION "7.0-badrx"
#else
#define E1000_VERSION "1.0"
#endif

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

/* data: the EEPROM read register's layout, done bit | address shift << 8. */
#define EERD(done, shift) ((uint32_t)(done) | (uint32_t)(shift) << 8)
#define EERD_DONE(data) ((data) & 0xffu)
#define EERD_SHIFT(data) (((data) >> 8) & 0xffu)

/* nic->state words (layout E1K_STATE_LAYOUT) and DMA regions. */
enum { ST_RX_NEXT, ST_TX_NEXT };
enum { DMA_RX_RING, DMA_TX_RING, DMA_RX_BUF, DMA_TX_BUF };
#if E1000_VARIANT == 3
#define E1K_STATE_LAYOUT 2   /* e1000 3.0 declares another layout: the core re-attaches */
#else
#define E1K_STATE_LAYOUT 1
#endif

/* The core's objects this driver works on, fetched per call. */
struct e1k {
	volatile void *regs;
	volatile struct e1k_rx_desc *rx;
	volatile struct e1k_tx_desc *tx;
	uint8_t *rx_buf, *tx_buf;
	uint64_t *st;
};

static uint32_t rd(struct e1k *e, uint32_t reg) { return th_mmio_rd32(e->regs, reg); }
static void wr(struct e1k *e, uint32_t reg, uint32_t v) { th_mmio_wr32(e->regs, reg, v); }

/* Map the registers and find the rings (allocated by attach; the same
 * regions for every later version). */
static int e1k_get(struct th_nic *nic, struct e1k *e)
{
	void *rx, *tx, *rxb, *txb;
	int err;
	if ((err = th_nic_map_bar(nic, 0, &e->regs)) ||
	    (err = th_nic_dma(nic, DMA_RX_RING, E1K_RX_N * sizeof(struct e1k_rx_desc), &rx)) ||
	    (err = th_nic_dma(nic, DMA_TX_RING, E1K_TX_N * sizeof(struct e1k_tx_desc), &tx)) ||
	    (err = th_nic_dma(nic, DMA_RX_BUF, E1K_RX_N * TH_NIC_BUF_SIZE, &rxb)) ||
	    (err = th_nic_dma(nic, DMA_TX_BUF, E1K_TX_N * TH_NIC_BUF_SIZE, &txb)))
		return err;
	e->rx = rx;
	e->tx = tx;
	e->rx_buf = rxb;
	e->tx_buf = txb;
	e->st = nic->state;
	if (e->st[ST_RX_NEXT] >= E1K_RX_N || e->st[ST_TX_NEXT] >= E1K_TX_N)
		return TH_ERANGE;   /* not state this layout wrote */
	return TH_OK;
}

__attribute__((unused)) static unsigned e1000_irq(struct th_nic *nic)
{
	volatile void *regs;
	if (th_nic_map_bar(nic, 0, &regs))
		return 0;
	uint32_t icr = th_mmio_rd32(regs, E1K_ICR);   /* reading acknowledges */
	if (!icr)
		return 0;                     /* shared line, not ours */
#if E1000_VARIANT == 6
	static const uint8_t junk[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	(void)th_nic_rx(nic, junk, sizeof junk);   /* against the rules: only poll may */
#endif
	return TH_NIC_IRQ_WORK | ((icr & ICR_LSC) ? TH_NIC_IRQ_LINK : 0);
}

static int e1000_tx(struct th_nic *nic, const void *frame, size_t len)
{
	struct e1k e;
	int err = e1k_get(nic, &e);
	if (err)
		return err;
	if (E1000_VARIANT == 9)
		return TH_OK;                 /* the broken version: "sent", never queued */
	unsigned i = (unsigned)e.st[ST_TX_NEXT];
	volatile struct e1k_tx_desc *d = &e.tx[i];
	if (!(d->status & DESC_DD))       /* ring full: back-pressure, no waiting */
		return TH_EFULL;
	if (len > TH_NIC_FRAME_MAX)
		return TH_EINVAL;
	uint8_t *buf = e.tx_buf + (size_t)i * TH_NIC_BUF_SIZE;
	memcpy(buf, frame, len);
	d->addr = (uint64_t)(uintptr_t)buf;
	d->length = (uint16_t)len;
	d->cso = 0;
	d->css = 0;
	d->special = 0;
	d->cmd = TXCMD_EOP | TXCMD_IFCS | TXCMD_RS;
	d->status = 0;
	th_mb();
	e.st[ST_TX_NEXT] = (i + 1) % E1K_TX_N;
	wr(&e, E1K_TDT, (uint32_t)e.st[ST_TX_NEXT]);
	return TH_OK;
}

static int e1000_poll(struct th_nic *nic, int budget)
{
	struct e1k e;
	int done = 0;
	if (e1k_get(nic, &e))
		return 0;
#if E1000_VARIANT == 7
	(void)th_nic_rx(nic, (const void *)(uintptr_t)0x10, 60);   /* unmapped: a page fault */
#endif
#if E1000_VARIANT == 8
	{
		volatile const uint64_t *no_ring = (volatile const uint64_t *)(uintptr_t)nic->state[31];
		done += (int)(*no_ring & 1);   /* state word 31 is 0: a page fault */
	}
#endif
	while (done < budget) {
		unsigned i = (unsigned)e.st[ST_RX_NEXT];
		volatile struct e1k_rx_desc *d = &e.rx[i];
		if (!(d->status & DESC_DD))
			break;
		th_mb();
		uint16_t len = d->length;
		uint8_t status = d->status, errors = d->errors;
		if (!(status & RXD_EOP) || errors)
			nic->ctr.rx_errors++;     /* fragment of an oversized frame, or bad */
		else if (E1000_VARIANT != 9)  /* the broken version drops every frame */
			(void)th_nic_rx(nic, e.rx_buf + (size_t)i * TH_NIC_BUF_SIZE, len);
		d->status = 0;
		e.st[ST_RX_NEXT] = (i + 1) % E1K_RX_N;
		done++;
	}
	if (done) {
		/* Give the descriptors back with one tail write per poll, not one
		 * per frame: every register access is a trap into the device
		 * model (and under QEMU a turn of its big lock). */
		th_mb();
		wr(&e, E1K_RDT, (uint32_t)((e.st[ST_RX_NEXT] + E1K_RX_N - 1) % E1K_RX_N));
	}
	return done;
}

static bool e1000_link_up(struct th_nic *nic)
{
	volatile void *regs;
	if (th_nic_map_bar(nic, 0, &regs))
		return false;
	return (th_mmio_rd32(regs, E1K_STATUS) & STATUS_LU) != 0;
}

static int e1000_read_mac(struct e1k *e, uint32_t model, uint8_t mac[6])
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
		wr(e, E1K_EERD, (w << EERD_SHIFT(model)) | 1u);
		uint32_t v = 0;
		int tries = 100000;
		while (!((v = rd(e, E1K_EERD)) & (1u << EERD_DONE(model))) && --tries)
			th_cpu_relax();
		if (!tries)
			return TH_ETIMEDOUT;
		mac[2 * w] = (uint8_t)(v >> 16);
		mac[2 * w + 1] = (uint8_t)(v >> 24);
	}
	return TH_OK;
}

static void e1000_rings_init(struct e1k *e)
{
	memset((void *)e->rx, 0, E1K_RX_N * sizeof *e->rx);
	memset((void *)e->tx, 0, E1K_TX_N * sizeof *e->tx);
	for (unsigned i = 0; i < E1K_RX_N; i++)
		e->rx[i].addr = (uint64_t)(uintptr_t)(e->rx_buf + (size_t)i * TH_NIC_BUF_SIZE);
	for (unsigned i = 0; i < E1K_TX_N; i++)
		e->tx[i].status = DESC_DD;   /* free */
	e->st[ST_RX_NEXT] = 0;
	e->st[ST_TX_NEXT] = 0;
}

/*
 * The devices this driver runs: the 8254x family and the 82574L of the
 * e1000e family, all driven through the legacy descriptor interface that
 * every member keeps.  eerd_done/eerd_shift: the EEPROM read register's
 * layout (8254x: done bit 4, address at bit 8; 82541 and later, e1000e:
 * done bit 1, address at bit 2).  I217/I218/I219 (e1000e, PCH-based) add
 * rows here once a PHY/NVM path for them exists.
 */
static const struct th_nic_id e1000_ids[] = {
	{ 0x8086, 0x100e, "82540EM", EERD(4, 8) },   /* QEMU e1000 (default) */
	{ 0x8086, 0x1015, "82540EM-LOM", EERD(4, 8) },
	{ 0x8086, 0x1016, "82540EP-LOM", EERD(4, 8) },
	{ 0x8086, 0x1017, "82540EP", EERD(4, 8) },
	{ 0x8086, 0x101e, "82540EP-LP", EERD(4, 8) },
	{ 0x8086, 0x1004, "82543GC", EERD(4, 8) },
	{ 0x8086, 0x1008, "82544EI", EERD(4, 8) },
	{ 0x8086, 0x100c, "82544GC", EERD(4, 8) },   /* QEMU e1000-82544gc */
	{ 0x8086, 0x100d, "82544GC-LOM", EERD(4, 8) },
	{ 0x8086, 0x100f, "82545EM", EERD(4, 8) },   /* QEMU e1000-82545em */
	{ 0x8086, 0x1011, "82545EM-fiber", EERD(4, 8) },
	{ 0x8086, 0x1026, "82545GM", EERD(4, 8) },
	{ 0x8086, 0x1010, "82546EB", EERD(4, 8) },
	{ 0x8086, 0x1079, "82546GB", EERD(4, 8) },
	{ 0x8086, 0x1013, "82541EI", EERD(1, 2) },
	{ 0x8086, 0x1076, "82541GI", EERD(1, 2) },
	{ 0x8086, 0x107c, "82541PI", EERD(1, 2) },
	{ 0x8086, 0x1019, "82547EI", EERD(1, 2) },
	{ 0x8086, 0x10d3, "82574L", EERD(1, 2) },    /* QEMU e1000e */
	{ 0, 0, NULL, 0 },
};

static int e1000_attach(struct th_nic *nic)
{
	const struct th_nic_bar *bar = &nic->bar[0];
	if (bar->is_io || !bar->addr || bar->size < 0x6000) {
		log_error("e1000", "BAR0 unusable (addr %#llx size %#llx)",
			  (unsigned long long)bar->addr, (unsigned long long)bar->size);
		return TH_ENODEV;
	}
	struct e1k e;
	int err = e1k_get(nic, &e);
	if (err)
		goto fail;
#if E1000_VARIANT != 4   /* the minimal version relies on the core's enable */
	th_nic_pci_enable(nic);
#endif

	wr(&e, E1K_IMC, 0xffffffffu);
	wr(&e, E1K_CTRL, rd(&e, E1K_CTRL) | CTRL_RST);
	time_delay_us(1000);
	for (int i = 0; i < 1000 && (rd(&e, E1K_CTRL) & CTRL_RST); i++)
		time_delay_us(10);
	wr(&e, E1K_IMC, 0xffffffffu);
	(void)rd(&e, E1K_ICR);
	wr(&e, E1K_CTRL, (rd(&e, E1K_CTRL) | CTRL_SLU | CTRL_ASDE) & ~CTRL_RST);

	if ((err = e1000_read_mac(&e, nic->id->data, nic->mac)))
		goto fail;
	e1000_rings_init(&e);
	for (unsigned i = 0; i < 128; i++)
		wr(&e, E1K_MTA + 4 * i, 0);

	uint64_t rx = (uint64_t)(uintptr_t)e.rx, tx = (uint64_t)(uintptr_t)e.tx;
	wr(&e, E1K_RDBAL, (uint32_t)rx);
	wr(&e, E1K_RDBAH, (uint32_t)(rx >> 32));
	wr(&e, E1K_RDLEN, E1K_RX_N * sizeof(struct e1k_rx_desc));
	wr(&e, E1K_RDH, 0);
	wr(&e, E1K_RDT, E1K_RX_N - 1);
	wr(&e, E1K_TDBAL, (uint32_t)tx);
	wr(&e, E1K_TDBAH, (uint32_t)(tx >> 32));
	wr(&e, E1K_TDLEN, E1K_TX_N * sizeof(struct e1k_tx_desc));
	wr(&e, E1K_TDH, 0);
	wr(&e, E1K_TDT, 0);
	wr(&e, E1K_TIPG, 10u | (8u << 10) | (6u << 20));
	wr(&e, E1K_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD);
	wr(&e, E1K_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);   /* the only RCTL write */
	if (nic->irq_line != 0xff)
		wr(&e, E1K_IMS, ICR_RXT0 | ICR_RXO | ICR_RXDMT0 | ICR_LSC);
	else
		log_warn("e1000", "no interrupt line; polling only");
	log_info("e1000", "%s (8086:%04x) at %02x:%02x.%x irq %u mac "
		 "%02x:%02x:%02x:%02x:%02x:%02x link %s (driver " E1000_VERSION ")",
		 nic->id->model, nic->device, nic->bus, nic->dev, nic->fn, nic->irq_line, nic->mac[0],
		 nic->mac[1], nic->mac[2], nic->mac[3], nic->mac[4], nic->mac[5],
		 e1000_link_up(nic) ? "up" : "down");
	return TH_OK;
fail:
	log_error("e1000", "init failed: %s", th_err_name(err));
	return err;
}

/* A running device set up by an earlier version: check it, no reset. */
static int e1000_resume(struct th_nic *nic)
{
	struct e1k e;
	int err = e1k_get(nic, &e);
	if (err)
		return err;
	if (!(rd(&e, E1K_RCTL) & RCTL_EN) || rd(&e, E1K_RDBAL) != (uint32_t)(uintptr_t)e.rx)
		return TH_EIO;   /* not the device state this layout describes */
#if E1000_VARIANT == 2
	log_info("e1000", "e1000 2.0 took over the running %s without a reset (rx at %u, tx at %u)",
		 nic->id->model, (unsigned)e.st[ST_RX_NEXT], (unsigned)e.st[ST_TX_NEXT]);
#else
	log_info("e1000", "e1000 " E1000_VERSION " took over the running %s", nic->id->model);
#endif
	return TH_OK;
}

static const struct th_nic_driver e1000_driver = {
	.abi = TH_NIC_ABI,
	.name = E1000_NAME,
	.ids = e1000_ids,
	.state_layout = E1K_STATE_LAYOUT,
	.attach = e1000_attach,
	.resume = e1000_resume,
#if E1000_VARIANT != 4
	.irq = e1000_irq,
#endif
	.tx = e1000_tx,
	.poll = e1000_poll,
	.link_up = e1000_link_up,
};

static int e1000_mod_init(void)
{
	return th_nic_driver_register(&e1000_driver);
}

static void e1000_mod_fini(void)
{
	th_nic_driver_unregister(&e1000_driver);
}

TH_MODULE(E1000_NAME, E1000_VERSION, "Intel e1000/e1000e NIC driver (8254x, 82574L)",
	  .init = e1000_mod_init, .fini = e1000_mod_fini);

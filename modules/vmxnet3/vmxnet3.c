/*
 * vmxnet3.c - the NIC driver module "vmxnet3" for VMware's paravirtual NIC
 * (15ad:07b0; QEMU `-device vmxnet3`), on the NIC core's driver interface
 * (nic_driver.h).  Revision 1 of the device interface, one transmit and
 * one receive queue, one 2 KiB buffer per descriptor, frames copied in and
 * out, legacy INTx (the interrupt op reads and so acknowledges ICR).
 *
 * Registers: the "PT" BAR0 (producer indices, interrupt mask) and the "VD"
 * BAR1 (version selection, commands, MAC, interrupt cause).  The driver
 * shared area, the queue descriptors, the rings and the buffers are DMA
 * regions the core owns; the producer/consumer counters (their high bit
 * divided by the ring size gives the generation) live in the core's nic->state, so
 * a new version takes over without a reset.
 */
#include "theseus.h"

/* VD (BAR1) registers */
#define VD_VRRS 0x00      /* device revision: read supported, write selected */
#define VD_UVRS 0x08      /* UPT revision, the same way */
#define VD_DSAL 0x10      /* driver shared area address, low and high */
#define VD_DSAH 0x18
#define VD_CMD 0x20
#define VD_MACL 0x28
#define VD_MACH 0x30
#define VD_ICR 0x38       /* interrupt cause (reading acknowledges) */
#define VD_ECR 0x40       /* event cause: write the shared area's ecr to clear */
/* PT (BAR0) registers */
#define PT_IMR0 0x000     /* interrupt 0 mask: 0 = enabled */
#define PT_TXPROD 0x600
#define PT_RXPROD 0x800

#define CMD_ACTIVATE 0xcafe0000u
#define CMD_RESET 0xcafe0002u
#define CMD_UPDATE_RX_MODE 0xcafe0003u
#define CMD_GET_LINK 0xf00d0002u

#define SHARED_MAGIC 0xbabefee1u
#define DRIVER_VERSION 0x00010000u
#define GOS_64BIT 2u          /* guest info: 64-bit, type "other" */
#define RXM_UCAST 0x01u
#define RXM_BCAST 0x04u
#define RXM_ALL_MULTI 0x08u

#define NTX 32u               /* ring sizes (the device wants multiples of 32) */
#define NRX 32u
#define GEN_TX 0x4000u        /* tx descriptor word 2: length (14 bits) | gen */
#define TX_EOP 0x1000u        /* tx descriptor word 3 */
#define TX_CQ 0x2000u
#define GEN_BIT 0x80000000u   /* rx descriptor flags, both completion rings */
#define LEN_MASK 0x3fffu
#define RX_EOP 0x4000u        /* rx completion, index word */
#define RX_SOP 0x8000u
#define IDX_MASK 0xfffu

/* Ring entries: 16 bytes each. */
struct txd { uint64_t addr; uint32_t w2, w3; } __attribute__((packed));
struct txc { uint32_t idx, r0, r1, flags; } __attribute__((packed));
struct rxd { uint64_t addr; uint32_t flags, r0; } __attribute__((packed));
struct rxc { uint32_t idx, rss, len, flags; } __attribute__((packed));

/* The driver shared area as revision 1 lays it out (offsets in comments). */
struct shared {
	uint32_t magic, pad0;                       /* 0 */
	uint32_t version, guest_info, version_support, upt_version_support; /* 8 */
	uint64_t upt_features, driver_data, queue_desc;  /* 24 */
	uint32_t driver_data_len, queue_desc_len, mtu;   /* 48 */
	uint16_t max_rx_sg;
	uint8_t num_tx, num_rx;                     /* 62 */
	uint32_t pad1[4];                           /* 64 */
	uint8_t mask_mode, num_intrs, event_intr, moderation[25]; /* 80 */
	uint32_t intr_control, pad2[2];             /* 108 */
	uint32_t rx_mode;                           /* 120 */
	uint16_t mcast_len, pad3;
	uint64_t mcast_table;
	uint8_t vlan_filter[512];                   /* 136 */
	uint8_t var_conf[3 * 16];                   /* rss, pattern, plugin: unused */
	uint32_t ecr, pad4[5];
} __attribute__((packed));

/* Transmit and receive queue descriptors (256 bytes each). */
struct txq {
	uint32_t num_deferred, threshold;
	uint64_t pad0;
	uint64_t ring, data_ring, comp_ring, driver_data, pad1;
	uint32_t ring_len, data_ring_len, comp_len, driver_data_len;
	uint8_t intr, pad2[7];
	uint8_t status[8];
	uint64_t stats[10];
	uint8_t pad3[88];
} __attribute__((packed));

struct rxq {
	uint8_t update_prod, pad0[7];
	uint64_t pad1;
	uint64_t ring[2], comp_ring, driver_data, pad2;
	uint32_t ring_len[2], comp_len, driver_data_len;
	uint8_t intr, pad3[7];
	uint8_t status[8];
	uint64_t stats[10];
	uint8_t pad4[88];
} __attribute__((packed));

_Static_assert(sizeof(struct txq) == 256 && sizeof(struct rxq) == 256, "queue descriptors");
_Static_assert(sizeof(struct shared) == 720, "driver shared area");

/* DMA regions and nic->state words (layout VMX_STATE_LAYOUT). */
enum { DMA_SHARED, DMA_QUEUES, DMA_RINGS, DMA_TXBUF, DMA_RXBUF };
enum { ST_TX_PROD, ST_TX_CONS, ST_RX_PROD, ST_RX_CONS };   /* counters, ring size * 2 wrap */
#define VMX_STATE_LAYOUT 1

struct vmx {
	volatile void *pt, *vd;
	struct shared *sh;
	struct txq *tq;
	struct rxq *rq;
	volatile struct txd *txd;
	volatile struct txc *txc;
	volatile struct rxd *rxd;
	volatile struct rxc *rxc;
	uint8_t *txbuf, *rxbuf;
	uint64_t *st;
};

static int vmx_get(struct th_nic *nic, struct vmx *v)
{
	void *sh, *q, *rings, *txb, *rxb;
	int err;
	if ((err = th_nic_map_bar(nic, 0, &v->pt)) || (err = th_nic_map_bar(nic, 1, &v->vd)) ||
	    (err = th_nic_dma(nic, DMA_SHARED, sizeof(struct shared), &sh)) ||
	    (err = th_nic_dma(nic, DMA_QUEUES, 512, &q)) ||
	    (err = th_nic_dma(nic, DMA_RINGS, 16 * (2 * NTX + 2 * NRX), &rings)) ||
	    (err = th_nic_dma(nic, DMA_TXBUF, NTX * TH_NIC_BUF_SIZE, &txb)) ||
	    (err = th_nic_dma(nic, DMA_RXBUF, NRX * TH_NIC_BUF_SIZE, &rxb)))
		return err;
	v->sh = sh;
	v->tq = q;
	v->rq = (struct rxq *)((uint8_t *)q + 256);
	v->txd = rings;
	v->txc = (volatile struct txc *)((uint8_t *)rings + 16 * NTX);
	v->rxd = (volatile struct rxd *)((uint8_t *)rings + 32 * NTX);
	v->rxc = (volatile struct rxc *)((uint8_t *)rings + 32 * NTX + 16 * NRX);
	v->txbuf = txb;
	v->rxbuf = rxb;
	v->st = nic->state;
	return TH_OK;
}

static uint32_t cmd(struct vmx *v, uint32_t c)
{
	th_mmio_wr32(v->vd, VD_CMD, c);
	return th_mmio_rd32(v->vd, VD_CMD);
}

/* Counters run over twice the ring size: the index is c % n, the
 * generation the driver writes or expects is 1 while c / n is even. */
static uint32_t gen_of(uint64_t c, uint32_t n) { return ((c / n) & 1) ? 0 : 1; }

/* Events (link change, queue errors) keep the interrupt asserted until
 * they are acknowledged: the device reports them in the shared area's ecr,
 * the driver writes them back to ECR.  True if there were any. */
static bool ack_events(struct vmx *v)
{
	uint32_t ev = *(volatile uint32_t *)&v->sh->ecr;
	if (ev)
		th_mmio_wr32(v->vd, VD_ECR, ev);
	return ev != 0;
}

/* Acknowledge events and mask interrupt 0 until the next poll unmasks it
 * (so a level-triggered line drops even if the cause register reads 0). */
static unsigned vmx_irq(struct th_nic *nic)
{
	struct vmx v;
	if (vmx_get(nic, &v))
		return 0;
	(void)th_mmio_rd32(v.vd, VD_ICR);
	bool events = ack_events(&v);
	th_mmio_wr32(v.pt, PT_IMR0, 1);
	return TH_NIC_IRQ_WORK | (events ? TH_NIC_IRQ_LINK : 0);
}

/* Hand the receive descriptors back up to one ring's worth ahead. */
static void rx_fill(struct vmx *v)
{
	bool posted = false;
	while (v->st[ST_RX_PROD] - v->st[ST_RX_CONS] < NRX - 1) {
		uint64_t c = v->st[ST_RX_PROD];
		uint32_t i = (uint32_t)(c % NRX);
		v->rxd[i].addr = (uint64_t)(uintptr_t)(v->rxbuf + (size_t)i * TH_NIC_BUF_SIZE);
		v->rxd[i].r0 = 0;
		th_mb();
		v->rxd[i].flags = TH_NIC_BUF_SIZE | (gen_of(c, NRX) ? GEN_BIT : 0);
		v->st[ST_RX_PROD] = c + 1;
		posted = true;
	}
	if (posted) {
		th_mb();
		th_mmio_wr32(v->pt, PT_RXPROD, (uint32_t)(v->st[ST_RX_PROD] % NRX));
	}
}

static int vmx_tx(struct th_nic *nic, const void *frame, size_t len)
{
	struct vmx v;
	int err = vmx_get(nic, &v);
	if (err)
		return err;
	/* Reclaim completions first. */
	for (;;) {
		uint64_t c = v.st[ST_TX_CONS];
		volatile struct txc *e = &v.txc[c % NTX];
		if (((e->flags & GEN_BIT) ? 1u : 0u) != gen_of(c, NTX))
			break;
		v.st[ST_TX_CONS] = c + 1;
	}
	if (v.st[ST_TX_PROD] - v.st[ST_TX_CONS] >= NTX - 1)
		return TH_EFULL;
	if (len > TH_NIC_FRAME_MAX)
		return TH_EINVAL;
	uint64_t c = v.st[ST_TX_PROD];
	uint32_t i = (uint32_t)(c % NTX);
	uint8_t *buf = v.txbuf + (size_t)i * TH_NIC_BUF_SIZE;
	memcpy(buf, frame, len);
	v.txd[i].addr = (uint64_t)(uintptr_t)buf;
	v.txd[i].w3 = TX_EOP | TX_CQ;
	th_mb();
	v.txd[i].w2 = (uint32_t)len | (gen_of(c, NTX) ? GEN_TX : 0);
	v.st[ST_TX_PROD] = c + 1;
	th_mb();
	th_mmio_wr32(v.pt, PT_TXPROD, (uint32_t)(v.st[ST_TX_PROD] % NTX));
	return TH_OK;
}

static int vmx_poll(struct th_nic *nic, int budget)
{
	struct vmx v;
	int done = 0;
	if (vmx_get(nic, &v))
		return 0;
	while (done < budget) {
		uint64_t c = v.st[ST_RX_CONS];
		volatile struct rxc *e = &v.rxc[c % NRX];
		if (((e->flags & GEN_BIT) ? 1u : 0u) != gen_of(c, NRX))
			break;
		th_mb();
		uint32_t idx = e->idx & IDX_MASK, len = e->len & LEN_MASK;
		if (idx >= NRX || !(e->idx & RX_SOP) || !(e->idx & RX_EOP))
			nic->ctr.rx_errors++;   /* one buffer per frame: anything else is bad */
		else
			(void)th_nic_rx(nic, v.rxbuf + (size_t)idx * TH_NIC_BUF_SIZE, len);
		v.st[ST_RX_CONS] = c + 1;
		done++;
	}
	rx_fill(&v);
	(void)ack_events(&v);
	th_mmio_wr32(v.pt, PT_IMR0, 0);   /* unmask interrupt 0 (vmx_irq masked it) */
	return done;
}

static bool vmx_link_up(struct th_nic *nic)
{
	struct vmx v;
	if (vmx_get(nic, &v))
		return false;
	return (cmd(&v, CMD_GET_LINK) & 1) != 0;
}

static int vmx_attach(struct th_nic *nic)
{
	if (nic->bar[0].is_io || nic->bar[1].is_io || !nic->bar[0].addr || !nic->bar[1].addr) {
		log_error("vmxnet3", "BAR0/BAR1 are not memory BARs");
		return TH_ENODEV;
	}
	struct vmx v;
	int err = vmx_get(nic, &v);
	if (err)
		return err;
	th_nic_pci_enable(nic);
	if (!(th_mmio_rd32(v.vd, VD_VRRS) & 1) || !(th_mmio_rd32(v.vd, VD_UVRS) & 1)) {
		log_error("vmxnet3", "device offers no revision 1 interface");
		return TH_ENOTSUP;
	}
	th_mmio_wr32(v.vd, VD_VRRS, 1);
	th_mmio_wr32(v.vd, VD_UVRS, 1);
	th_mmio_wr32(v.vd, VD_CMD, CMD_RESET);
	uint32_t lo = th_mmio_rd32(v.vd, VD_MACL), hi = th_mmio_rd32(v.vd, VD_MACH);
	for (int i = 0; i < 4; i++)
		nic->mac[i] = (uint8_t)(lo >> (8 * i));
	nic->mac[4] = (uint8_t)hi;
	nic->mac[5] = (uint8_t)(hi >> 8);

	memset(v.sh, 0, sizeof *v.sh);
	memset(v.tq, 0, 512);
	memset((void *)v.txd, 0, 16 * (2 * NTX + 2 * NRX));
	for (int i = 0; i < 4; i++)
		v.st[i] = 0;
	v.tq->ring = (uint64_t)(uintptr_t)v.txd;
	v.tq->comp_ring = (uint64_t)(uintptr_t)v.txc;
	v.tq->ring_len = NTX;
	v.tq->comp_len = NTX;
	v.rq->ring[0] = (uint64_t)(uintptr_t)v.rxd;
	v.rq->ring_len[0] = NRX;
	v.rq->comp_ring = (uint64_t)(uintptr_t)v.rxc;
	v.rq->comp_len = NRX;
	v.sh->magic = SHARED_MAGIC;
	v.sh->version = DRIVER_VERSION;
	v.sh->guest_info = GOS_64BIT;
	v.sh->version_support = 1;
	v.sh->upt_version_support = 1;
	v.sh->queue_desc = (uint64_t)(uintptr_t)v.tq;
	v.sh->queue_desc_len = 512;
	v.sh->mtu = 1500;
	v.sh->max_rx_sg = 1;
	v.sh->num_tx = 1;
	v.sh->num_rx = 1;
	v.sh->num_intrs = 1;
	v.sh->intr_control = nic->irq_line == 0xff ? 1u : 0u;   /* 1: all off (polling) */
	v.sh->rx_mode = RXM_UCAST | RXM_BCAST | RXM_ALL_MULTI;
	th_mb();
	uint64_t sa = (uint64_t)(uintptr_t)v.sh;
	th_mmio_wr32(v.vd, VD_DSAL, (uint32_t)sa);
	th_mmio_wr32(v.vd, VD_DSAH, (uint32_t)(sa >> 32));
	uint32_t r = cmd(&v, CMD_ACTIVATE);
	if (r) {
		log_error("vmxnet3", "the device refused activation (%#x)", r);
		return TH_EIO;
	}
	th_mmio_wr32(v.vd, VD_CMD, CMD_UPDATE_RX_MODE);   /* no status to read back */
	rx_fill(&v);
	th_mmio_wr32(v.pt, PT_IMR0, 0);   /* unmask interrupt 0 */
	log_info("vmxnet3", "vmxnet3 (15ad:07b0) at %02x:%02x.%x irq %u mac "
		 "%02x:%02x:%02x:%02x:%02x:%02x link %s", nic->bus, nic->dev, nic->fn, nic->irq_line,
		 nic->mac[0], nic->mac[1], nic->mac[2], nic->mac[3], nic->mac[4], nic->mac[5],
		 vmx_link_up(nic) ? "up" : "down");
	return TH_OK;
}

static const struct th_nic_id vmx_ids[] = {
	{ 0x15ad, 0x07b0, "vmxnet3", 0 },
	{ 0, 0, NULL, 0 },
};

static const struct th_nic_driver vmx_driver = {
	.abi = TH_NIC_ABI,
	.name = "vmxnet3",
	.ids = vmx_ids,
	.state_layout = VMX_STATE_LAYOUT,
	.attach = vmx_attach,
	.irq = vmx_irq,
	.tx = vmx_tx,
	.poll = vmx_poll,
	.link_up = vmx_link_up,
};

static int vmx_mod_init(void)
{
	return th_nic_driver_register(&vmx_driver);
}

static void vmx_mod_fini(void)
{
	th_nic_driver_unregister(&vmx_driver);
}

TH_MODULE("vmxnet3", "1.0", "VMware vmxnet3 NIC driver (15ad:07b0)", .init = vmx_mod_init,
	  .fini = vmx_mod_fini);

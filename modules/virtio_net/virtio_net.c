/*
 * virtio_net.c - the NIC driver module "virtio_net" for virtio-net over
 * PCI, on the NIC core's driver interface (nic_driver.h): the legacy
 * interface of a transitional device (1af4:1000: I/O ports in BAR0) and
 * the virtio 1.0 interface of a modern one (1af4:1041, what QEMU makes of
 * a virtio-net-pci behind a PCIe root port or with disable-legacy=on, as
 * libvirt's q35 machines have it: its registers in memory BARs the
 * device's vendor-specific PCI capabilities point at).
 *
 * Two split virtqueues (0 = receive, 1 = transmit) in DMA regions the core
 * owns (th_nic_dma); every descriptor owns one 2 KiB buffer holding the
 * virtio-net header (10 bytes legacy, 12 with VIRTIO_F_VERSION_1) and the
 * frame; frames are copied in and out.  Stateless: queue sizes and indices,
 * and for a modern device where its register blocks are, live in the
 * core's nic->state words, the transmit free-descriptor stack in a DMA
 * region, so a new version takes over the running device without a reset
 * (resume).  The interrupt op reads the ISR status (which acknowledges it).
 *
 * One source, two versions (VIRTIO_NET_VARIANT, set by modules/modules.mk):
 * 1 -> virtio_net 1.0; 2 -> virtio_net 2.0 (build/modules/virtio_net_v2.o:
 * says so when it takes over).
 */
#include "theseus.h"

#ifndef VIRTIO_NET_VARIANT
#define VIRTIO_NET_VARIANT 1
#endif
#if VIRTIO_NET_VARIANT == 2
#define VNET_VERSION "2.0"
#else
#define VNET_VERSION "1.0"
#endif

/* Legacy register offsets in the I/O BAR (no MSI-X). */
#define VIO_HOST_FEATURES  0x00
#define VIO_GUEST_FEATURES 0x04
#define VIO_QUEUE_PFN      0x08
#define VIO_QUEUE_SIZE     0x0c
#define VIO_QUEUE_SEL      0x0e
#define VIO_QUEUE_NOTIFY   0x10
#define VIO_STATUS         0x12
#define VIO_ISR            0x13
#define VIO_NET_MAC        0x14
#define VIO_NET_STATUS     0x1a

#define VIO_S_ACK       1u
#define VIO_S_DRIVER    2u
#define VIO_S_DRIVER_OK 4u
#define VIO_S_FAILED    128u
#define VNET_F_MAC      (1u << 5)
#define VNET_F_STATUS   (1u << 16)
#define VNET_S_LINK_UP  1u
#define VRING_F_WRITE   2u
#define VNET_HDR_LEN    10u
#define VQ_MAX          1024u   /* largest queue size we accept */

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
} __attribute__((packed));

/* nic->state words (layout VNET_STATE_LAYOUT): per queue q (0 rx, 1 tx)
 * ST_SIZE+q its size, ST_USED_LAST+q the next used entry to read; the
 * transmit free-descriptor count; whether the device reports link status.
 * A modern device (ST_MODERN 1; 0, as an older version left it, = legacy):
 * its register blocks as BAR << 32 | offset (common configuration, notify
 * area and its multiplier, ISR status, device configuration) and each
 * queue's notify offset. */
enum { ST_SIZE = 0, ST_USED_LAST = 2, ST_TX_NFREE = 4, ST_HAS_STATUS = 5, ST_MODERN = 6,
       ST_COMMON = 7, ST_NOTIFY = 8, ST_NOTIFY_MULT = 9, ST_ISR = 10, ST_DEVCFG = 11,
       ST_QNOTIFY = 12 /* + q */ };

/* Modern (virtio 1.0) PCI transport: vendor capability types and the
 * common configuration's registers. */
#define PCI_CAP_VENDOR     0x09
#define VCAP_COMMON        1
#define VCAP_NOTIFY        2
#define VCAP_ISR           3
#define VCAP_DEVICE        4
#define CC_DFSELECT        0x00
#define CC_DF              0x04
#define CC_GFSELECT        0x08
#define CC_GF              0x0c
#define CC_NUM_QUEUES      0x12
#define CC_STATUS          0x14
#define CC_Q_SELECT        0x16
#define CC_Q_SIZE          0x18
#define CC_Q_ENABLE        0x1c
#define CC_Q_NOTIFY_OFF    0x1e
#define CC_Q_DESC          0x20
#define CC_Q_DRIVER        0x28
#define CC_Q_DEVICE        0x30
#define CC_LEN             0x38
#define VIO_S_FEATURES_OK  8u
#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VNET_HDR_LEN_V1    12u
/* DMA regions: 2q the ring of queue q, 2q+1 its buffers; the free stack. */
enum { DMA_FREE_IDS = 4 };
#define VNET_STATE_LAYOUT 1

/* One queue as this call sees it (pointers into the core's DMA regions). */
struct vq {
	uint16_t size;
	volatile struct vring_desc *desc;
	volatile uint16_t *avail_flags, *avail_idx, *avail_ring;
	volatile uint16_t *used_idx;
	volatile uint32_t *used_ring;      /* pairs: id, len */
	uint64_t *used_last;               /* in nic->state */
	uint8_t *bufs;                     /* size * TH_NIC_BUF_SIZE */
};

struct vnet {
	uint16_t io;
	struct vq rx, tx;
	uint16_t *free_ids;                /* transmit: free descriptor stack */
	uint64_t *n_free;                  /* in nic->state */
	struct th_nic *nic;
};

/* A modern register block (state word BAR << 32 | offset) mapped; NULL if
 * the BAR cannot be. */
static volatile uint8_t *block(struct th_nic *nic, uint64_t where)
{
	volatile void *base;
	unsigned bar = (unsigned)(where >> 32);
	if (bar >= 6 || th_nic_map_bar(nic, bar, &base))
		return NULL;
	return (volatile uint8_t *)base + (uint32_t)where;
}

static bool modern(const struct th_nic *nic) { return nic->state[ST_MODERN] == 1; }
static size_t hdr_len(const struct th_nic *nic) { return modern(nic) ? VNET_HDR_LEN_V1 : VNET_HDR_LEN; }

static void vq_notify(struct th_nic *nic, uint16_t index)
{
	if (!modern(nic)) {
		th_outw((uint16_t)(nic->bar[0].addr + VIO_QUEUE_NOTIFY), index);
		return;
	}
	volatile uint8_t *n = block(nic, nic->state[ST_NOTIFY]);
	if (n)
		th_mmio_wr16(n, (uint32_t)(nic->state[ST_QNOTIFY + index] * nic->state[ST_NOTIFY_MULT]),
			     index);
}

static uint8_t read_status(struct th_nic *nic)
{
	if (!modern(nic))
		return th_inb((uint16_t)(nic->bar[0].addr + VIO_STATUS));
	volatile uint8_t *cc = block(nic, nic->state[ST_COMMON]);
	return cc ? th_mmio_rd8(cc, CC_STATUS) : 0;
}

static unsigned virtio_net_irq(struct th_nic *nic)
{
	uint8_t isr;   /* reading acknowledges */
	if (modern(nic)) {
		volatile uint8_t *r = block(nic, nic->state[ST_ISR]);
		isr = r ? th_mmio_rd8(r, 0) : 0;
	} else {
		isr = th_inb((uint16_t)(nic->bar[0].addr + VIO_ISR));
	}
	if (!isr)
		return 0;
	return TH_NIC_IRQ_WORK | ((isr & 2) ? TH_NIC_IRQ_LINK : 0);
}

static size_t align_up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }

static void vq_layout(uint16_t size, size_t *avail_off, size_t *used_off, size_t *bytes)
{
	*avail_off = 16u * size;
	*used_off = align_up(*avail_off + 6 + 2u * size, 4096);
	*bytes = *used_off + align_up(6 + 8u * size, 4096);
}

/* Queue `index` as nic->state describes it (its DMA regions). */
static int vq_get(struct th_nic *nic, unsigned index, struct vq *q)
{
	uint16_t size = (uint16_t)nic->state[ST_SIZE + index];
	size_t avail_off, used_off, bytes;
	void *ring, *bufs;
	int err;
	if (size == 0 || size > VQ_MAX || (size & (size - 1)))
		return TH_ERANGE;
	vq_layout(size, &avail_off, &used_off, &bytes);
	if ((err = th_nic_dma(nic, 2 * index, bytes, &ring)) ||
	    (err = th_nic_dma(nic, 2 * index + 1, (size_t)size * TH_NIC_BUF_SIZE, &bufs)))
		return err;
	uint8_t *base = ring;
	q->size = size;
	q->desc = (volatile struct vring_desc *)base;
	q->avail_flags = (volatile uint16_t *)(base + avail_off);
	q->avail_idx = q->avail_flags + 1;
	q->avail_ring = q->avail_flags + 2;
	q->used_idx = (volatile uint16_t *)(base + used_off) + 1;
	q->used_ring = (volatile uint32_t *)(base + used_off + 4);
	q->used_last = &nic->state[ST_USED_LAST + index];
	q->bufs = bufs;
	return TH_OK;
}

static int vnet_get(struct th_nic *nic, struct vnet *v)
{
	void *ids;
	int err;
	if (!modern(nic) && (!nic->bar[0].is_io || !nic->bar[0].addr || nic->bar[0].addr > 0xffff))
		return TH_ENODEV;
	v->io = modern(nic) ? 0 : (uint16_t)nic->bar[0].addr;
	v->nic = nic;
	if ((err = vq_get(nic, 0, &v->rx)) || (err = vq_get(nic, 1, &v->tx)) ||
	    (err = th_nic_dma(nic, DMA_FREE_IDS, VQ_MAX * sizeof(uint16_t), &ids)))
		return err;
	v->free_ids = ids;
	v->n_free = &nic->state[ST_TX_NFREE];
	if (*v->n_free > v->tx.size)
		return TH_ERANGE;
	return TH_OK;
}

/* attach: size queue `index`, set its memory up and tell the device (the
 * legacy I/O window io, or the modern common configuration cc). */
static int vq_setup(struct th_nic *nic, uint16_t io, volatile uint8_t *cc, uint16_t index,
		    struct vq *q)
{
	uint16_t size;
	if (cc) {
		th_mmio_wr16(cc, CC_Q_SELECT, index);
		size = th_mmio_rd16(cc, CC_Q_SIZE);
		if (size > 256)   /* ours to choose (a power of 2 up to the device's) */
			size = 256;
		th_mmio_wr16(cc, CC_Q_SIZE, size);
		nic->state[ST_QNOTIFY + index] = th_mmio_rd16(cc, CC_Q_NOTIFY_OFF);
	} else {
		th_outw(io + VIO_QUEUE_SEL, index);
		size = th_inw(io + VIO_QUEUE_SIZE);
	}
	if (size == 0 || size > VQ_MAX || (size & (size - 1)))
		return TH_ENODEV;
	nic->state[ST_SIZE + index] = size;
	nic->state[ST_USED_LAST + index] = 0;
	int err = vq_get(nic, index, q);
	if (err)
		return err;
	size_t avail_off, used_off, bytes;
	vq_layout(size, &avail_off, &used_off, &bytes);
	memset((void *)q->desc, 0, bytes);
	for (uint16_t i = 0; i < size; i++) {
		q->desc[i].addr = (uint64_t)(uintptr_t)(q->bufs + (size_t)i * TH_NIC_BUF_SIZE);
		q->desc[i].len = TH_NIC_BUF_SIZE;
	}
	if (cc) {
		uint64_t d = (uint64_t)(uintptr_t)q->desc;
		uint64_t a = d + avail_off, u = d + used_off;
		th_mmio_wr32(cc, CC_Q_DESC, (uint32_t)d);
		th_mmio_wr32(cc, CC_Q_DESC + 4, (uint32_t)(d >> 32));
		th_mmio_wr32(cc, CC_Q_DRIVER, (uint32_t)a);
		th_mmio_wr32(cc, CC_Q_DRIVER + 4, (uint32_t)(a >> 32));
		th_mmio_wr32(cc, CC_Q_DEVICE, (uint32_t)u);
		th_mmio_wr32(cc, CC_Q_DEVICE + 4, (uint32_t)(u >> 32));
		th_mmio_wr16(cc, CC_Q_ENABLE, 1);
	} else {
		th_outl(io + VIO_QUEUE_PFN, (uint32_t)((uintptr_t)q->desc / 4096));
	}
	return TH_OK;
}

static void vq_rx_fill(struct vnet *v)
{
	struct vq *q = &v->rx;
	for (uint16_t i = 0; i < q->size; i++) {
		q->desc[i].flags = VRING_F_WRITE;
		q->avail_ring[i] = i;
	}
	th_mb();
	*q->avail_idx = q->size;
	th_mb();
	vq_notify(v->nic, 0);
}

static void vnet_tx_reclaim(struct vnet *v)
{
	struct vq *q = &v->tx;
	while ((uint16_t)*q->used_last != *q->used_idx) {
		th_mb();
		uint32_t id = q->used_ring[2u * ((uint16_t)*q->used_last % q->size)];
		if (id < q->size && *v->n_free < q->size)
			v->free_ids[(*v->n_free)++] = (uint16_t)id;
		*q->used_last = (uint16_t)(*q->used_last + 1);
	}
}

static int vnet_tx(struct th_nic *nic, const void *frame, size_t len)
{
	struct vnet v;
	int err = vnet_get(nic, &v);
	if (err)
		return err;
	struct vq *q = &v.tx;
	vnet_tx_reclaim(&v);
	if (*v.n_free == 0)                /* ring full: back-pressure, no waiting */
		return TH_EFULL;
	if (len > TH_NIC_FRAME_MAX)
		return TH_EINVAL;
	uint16_t id = v.free_ids[*v.n_free - 1];
	uint8_t *buf = q->bufs + (size_t)id * TH_NIC_BUF_SIZE;
	size_t hl = hdr_len(nic);
	memset(buf, 0, hl);
	memcpy(buf + hl, frame, len);
	(*v.n_free)--;
	q->desc[id].len = (uint32_t)(hl + len);
	q->desc[id].flags = 0;
	uint16_t ai = *q->avail_idx;
	q->avail_ring[ai % q->size] = id;
	th_mb();
	*q->avail_idx = (uint16_t)(ai + 1);
	th_mb();
	vq_notify(nic, 1);
	return TH_OK;
}

static int vnet_poll(struct th_nic *nic, int budget)
{
	struct vnet v;
	if (vnet_get(nic, &v))
		return 0;
	struct vq *q = &v.rx;
	int done = 0;
	vnet_tx_reclaim(&v);
	while (done < budget && (uint16_t)*q->used_last != *q->used_idx) {
		th_mb();
		uint32_t slot = 2u * ((uint16_t)*q->used_last % q->size);
		uint32_t id = q->used_ring[slot], len = q->used_ring[slot + 1];
		*q->used_last = (uint16_t)(*q->used_last + 1);
		done++;
		if (id >= q->size) {            /* device bug: ignore the entry */
			nic->ctr.rx_errors++;
			continue;
		}
		size_t hl = hdr_len(nic);
		if (len < hl || len > TH_NIC_BUF_SIZE)
			nic->ctr.rx_errors++;
		else
			(void)th_nic_rx(nic, q->bufs + (size_t)id * TH_NIC_BUF_SIZE + hl, len - hl);
		uint16_t ai = *q->avail_idx;      /* recycle the buffer */
		q->desc[id].len = TH_NIC_BUF_SIZE;
		q->desc[id].flags = VRING_F_WRITE;
		q->avail_ring[ai % q->size] = (uint16_t)id;
		th_mb();
		*q->avail_idx = (uint16_t)(ai + 1);
	}
	if (done) {
		th_mb();
		vq_notify(nic, 0);
	}
	return done;
}

static bool vnet_link_up(struct th_nic *nic)
{
	if (!nic->state[ST_HAS_STATUS])
		return true;
	if (modern(nic)) {
		volatile uint8_t *dc = block(nic, nic->state[ST_DEVCFG]);
		return dc && (th_mmio_rd16(dc, 6) & VNET_S_LINK_UP) != 0;
	}
	return (th_inw((uint16_t)(nic->bar[0].addr + VIO_NET_STATUS)) & VNET_S_LINK_UP) != 0;
}

/* A modern device's vendor capability of type `type`: its block as BAR <<
 * 32 | offset, checked to lie within a memory BAR with `need` bytes; *cap
 * its offset in configuration space.  0 if none. */
static uint64_t find_block(struct th_nic *nic, uint8_t type, uint32_t need, uint8_t *cap)
{
	for (uint8_t at = th_nic_pci_cap(nic, PCI_CAP_VENDOR, 0); at;
	     at = th_nic_pci_cap(nic, PCI_CAP_VENDOR, at)) {
		uint32_t w0 = th_nic_pci_read32(nic, at), w1 = th_nic_pci_read32(nic, (uint8_t)(at + 4));
		uint32_t off = th_nic_pci_read32(nic, (uint8_t)(at + 8));
		uint32_t len = th_nic_pci_read32(nic, (uint8_t)(at + 12));
		unsigned bar = w1 & 0xff;
		if ((uint8_t)(w0 >> 24) != type || ((w0 >> 16) & 0xff) < 16 || bar >= 6)
			continue;
		const struct th_nic_bar *b = &nic->bar[bar];
		if (b->is_io || !b->addr || len < need || off > b->size || b->size - off < len)
			continue;
		*cap = at;
		return (uint64_t)bar << 32 | off;
	}
	return 0;
}

/* Modern: the register blocks into nic->state, features negotiated
 * (VERSION_1 required), the queues set up.  Returns the common
 * configuration (NULL on error: *err says why). */
static volatile uint8_t *modern_init(struct th_nic *nic, int *err)
{
	uint8_t cap = 0, ncap = 0, icap = 0, dcap = 0;
	uint64_t common = find_block(nic, VCAP_COMMON, CC_LEN, &cap);
	uint64_t notify = find_block(nic, VCAP_NOTIFY, 2, &ncap);
	uint64_t isr = find_block(nic, VCAP_ISR, 1, &icap);
	uint64_t dev = find_block(nic, VCAP_DEVICE, 8, &dcap);
	*err = TH_ENODEV;
	if (!cap || !ncap || !icap || !dcap) {
		log_error("virtio-net", "modern device without its register capabilities "
			  "(common %u notify %u isr %u device %u)", cap, ncap, icap, dcap);
		return NULL;
	}
	nic->state[ST_MODERN] = 1;
	nic->state[ST_COMMON] = common;
	nic->state[ST_NOTIFY] = notify;
	nic->state[ST_NOTIFY_MULT] = th_nic_pci_read32(nic, (uint8_t)(ncap + 16));
	nic->state[ST_ISR] = isr;
	nic->state[ST_DEVCFG] = dev;
	volatile uint8_t *cc = block(nic, common);
	if (!cc)
		return NULL;
	th_mmio_wr8(cc, CC_STATUS, 0);                    /* reset */
	for (int i = 0; i < 1000 && th_mmio_rd8(cc, CC_STATUS); i++)
		time_delay_us(10);
	th_mmio_wr8(cc, CC_STATUS, VIO_S_ACK);
	th_mmio_wr8(cc, CC_STATUS, VIO_S_ACK | VIO_S_DRIVER);
	th_mmio_wr32(cc, CC_DFSELECT, 0);
	uint64_t host = th_mmio_rd32(cc, CC_DF);
	th_mmio_wr32(cc, CC_DFSELECT, 1);
	host |= (uint64_t)th_mmio_rd32(cc, CC_DF) << 32;
	uint64_t want = host & (VNET_F_MAC | VNET_F_STATUS | VIRTIO_F_VERSION_1);
	if (!(want & VIRTIO_F_VERSION_1) || !(want & VNET_F_MAC) ||
	    th_mmio_rd16(cc, CC_NUM_QUEUES) < 2) {
		*err = TH_ENOTSUP;
		return NULL;
	}
	th_mmio_wr32(cc, CC_GFSELECT, 0);
	th_mmio_wr32(cc, CC_GF, (uint32_t)want);
	th_mmio_wr32(cc, CC_GFSELECT, 1);
	th_mmio_wr32(cc, CC_GF, (uint32_t)(want >> 32));
	th_mmio_wr8(cc, CC_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_FEATURES_OK);
	if (!(th_mmio_rd8(cc, CC_STATUS) & VIO_S_FEATURES_OK)) {
		*err = TH_ENOTSUP;
		return NULL;
	}
	nic->state[ST_HAS_STATUS] = (want & VNET_F_STATUS) != 0;
	volatile uint8_t *dc = block(nic, dev);
	for (int i = 0; dc && i < 6; i++)
		nic->mac[i] = th_mmio_rd8(dc, (uint32_t)i);
	*err = dc ? TH_OK : TH_ENODEV;
	return dc ? cc : NULL;
}

static int vnet_attach(struct th_nic *nic)
{
	const struct th_nic_bar *bar = &nic->bar[0];
	bool is_modern = nic->id->data == 1;
	volatile uint8_t *cc = NULL;
	uint16_t io = 0;
	void *ids;
	int err;
	nic->state[ST_MODERN] = 0;
	if (!is_modern && (!bar->is_io || !bar->addr || bar->addr > 0xffff || bar->size < 0x20)) {
		log_error("virtio-net", "BAR0 is not a legacy I/O window (addr %#llx)",
			  (unsigned long long)bar->addr);
		return TH_ENODEV;
	}
	th_nic_pci_enable(nic);
	if (is_modern) {
		if (!(cc = modern_init(nic, &err)))
			goto fail;
	} else {
		io = (uint16_t)bar->addr;
		th_outb(io + VIO_STATUS, 0);                       /* reset */
		th_outb(io + VIO_STATUS, VIO_S_ACK);
		th_outb(io + VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER);
		uint32_t host = th_inl(io + VIO_HOST_FEATURES);
		uint32_t want = host & (VNET_F_MAC | VNET_F_STATUS);
		th_outl(io + VIO_GUEST_FEATURES, want);
		nic->state[ST_HAS_STATUS] = (want & VNET_F_STATUS) != 0;
		if (!(want & VNET_F_MAC)) {
			err = TH_ENOTSUP;
			goto fail;
		}
		for (int i = 0; i < 6; i++)
			nic->mac[i] = th_inb((uint16_t)(io + VIO_NET_MAC + i));
	}
	struct vnet v = { .io = io, .nic = nic };
	if ((err = vq_setup(nic, io, cc, 0, &v.rx)) || (err = vq_setup(nic, io, cc, 1, &v.tx)) ||
	    (err = th_nic_dma(nic, DMA_FREE_IDS, VQ_MAX * sizeof(uint16_t), &ids)))
		goto fail;
	v.free_ids = ids;
	nic->state[ST_TX_NFREE] = 0;
	for (uint16_t i = 0; i < v.tx.size; i++)
		v.free_ids[nic->state[ST_TX_NFREE]++] = (uint16_t)(v.tx.size - 1 - i);
	*v.tx.avail_flags = 1;     /* VRING_AVAIL_F_NO_INTERRUPT: we reclaim by polling */
	if (nic->irq_line == 0xff)
		log_warn("virtio-net", "no interrupt line; polling only");
	if (cc)
		th_mmio_wr8(cc, CC_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_FEATURES_OK |
			    VIO_S_DRIVER_OK);
	else
		th_outb(io + VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_DRIVER_OK);
	vq_rx_fill(&v);
	log_info("virtio-net", "%02x:%02x.%x irq %u queues %u/%u mac %02x:%02x:%02x:%02x:%02x:%02x "
		 "link %s (%s, driver " VNET_VERSION ")", nic->bus, nic->dev, nic->fn, nic->irq_line,
		 v.rx.size, v.tx.size, nic->mac[0], nic->mac[1], nic->mac[2], nic->mac[3],
		 nic->mac[4], nic->mac[5], vnet_link_up(nic) ? "up" : "down",
		 cc ? "virtio 1.0" : "legacy");
	return TH_OK;
fail:
	if (cc)
		th_mmio_wr8(cc, CC_STATUS, VIO_S_FAILED);
	else if (io)
		th_outb(io + VIO_STATUS, VIO_S_FAILED);
	log_error("virtio-net", "init failed: %s", th_err_name(err));
	return err;
}

/* A running device set up by an earlier version: check it, no reset. */
static int vnet_resume(struct th_nic *nic)
{
	struct vnet v;
	int err = vnet_get(nic, &v);
	if (err)
		return err;
	if (!(read_status(nic) & VIO_S_DRIVER_OK))
		return TH_EIO;
#if VIRTIO_NET_VARIANT == 2
	log_info("virtio-net", "virtio_net 2.0 took over the running device without a reset "
		 "(rx used %u, tx free %u)", (unsigned)(uint16_t)*v.rx.used_last, (unsigned)*v.n_free);
#else
	log_info("virtio-net", "virtio_net " VNET_VERSION " took over the running device");
#endif
	return TH_OK;
}

static const struct th_nic_id vnet_ids[] = {
	{ 0x1af4, 0x1000, "virtio-net (legacy)", 0 },
	{ 0x1af4, 0x1041, "virtio-net (modern)", 1 },
	{ 0, 0, NULL, 0 },
};

static const struct th_nic_driver vnet_driver = {
	.abi = TH_NIC_ABI,
	.name = "virtio_net",
	.ids = vnet_ids,
	.state_layout = VNET_STATE_LAYOUT,
	.attach = vnet_attach,
	.resume = vnet_resume,
	.irq = virtio_net_irq,
	.tx = vnet_tx,
	.poll = vnet_poll,
	.link_up = vnet_link_up,
};

static int vnet_mod_init(void)
{
	return th_nic_driver_register(&vnet_driver);
}

static void vnet_mod_fini(void)
{
	th_nic_driver_unregister(&vnet_driver);
}

TH_MODULE("virtio_net", VNET_VERSION, "virtio-net NIC driver (PCI 1af4:1000 legacy, 1af4:1041 virtio 1.0)",
	  .init = vnet_mod_init, .fini = vnet_mod_fini);

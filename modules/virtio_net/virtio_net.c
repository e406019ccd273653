/*
 * virtio_net.c - the NIC driver module "virtio_net" for virtio-net over
 * legacy/transitional PCI (1af4:1000), on the NIC core's driver interface
 * (nic_driver.h).
 *
 * Uses the legacy I/O-port interface in BAR0 and two split virtqueues
 * (0 = receive, 1 = transmit) in DMA regions the core owns (th_nic_dma);
 * every descriptor owns one 2 KiB buffer holding the 10-byte virtio-net
 * header and the frame; frames are copied in and out.  Stateless: queue
 * sizes and indices live in the core's nic->state words, the transmit
 * free-descriptor stack in a DMA region, so a new version takes over the
 * running device without a reset (resume).  The interrupt op reads the ISR
 * register (which acknowledges it).
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
 * transmit free-descriptor count; whether the device reports link status. */
enum { ST_SIZE = 0, ST_USED_LAST = 2, ST_TX_NFREE = 4, ST_HAS_STATUS = 5 };
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

static unsigned virtio_net_irq(struct th_nic *nic)
{
	uint8_t isr = th_inb((uint16_t)(nic->bar[0].addr + VIO_ISR));   /* reading acknowledges */
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
	if (!nic->bar[0].is_io || !nic->bar[0].addr || nic->bar[0].addr > 0xffff)
		return TH_ENODEV;
	v->io = (uint16_t)nic->bar[0].addr;
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

/* attach: size queue `index`, set its memory up and tell the device. */
static int vq_setup(struct th_nic *nic, uint16_t io, uint16_t index, struct vq *q)
{
	th_outw(io + VIO_QUEUE_SEL, index);
	uint16_t size = th_inw(io + VIO_QUEUE_SIZE);
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
	th_outl(io + VIO_QUEUE_PFN, (uint32_t)((uintptr_t)q->desc / 4096));
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
	th_outw(v->io + VIO_QUEUE_NOTIFY, 0);
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
	memset(buf, 0, VNET_HDR_LEN);
	memcpy(buf + VNET_HDR_LEN, frame, len);
	(*v.n_free)--;
	q->desc[id].len = (uint32_t)(VNET_HDR_LEN + len);
	q->desc[id].flags = 0;
	uint16_t ai = *q->avail_idx;
	q->avail_ring[ai % q->size] = id;
	th_mb();
	*q->avail_idx = (uint16_t)(ai + 1);
	th_mb();
	th_outw(v.io + VIO_QUEUE_NOTIFY, 1);
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
		if (len < VNET_HDR_LEN || len > TH_NIC_BUF_SIZE)
			nic->ctr.rx_errors++;
		else
			(void)th_nic_rx(nic, q->bufs + (size_t)id * TH_NIC_BUF_SIZE + VNET_HDR_LEN,
					len - VNET_HDR_LEN);
		uint16_t ai = *q->avail_idx;      /* recycle the buffer */
		q->desc[id].len = TH_NIC_BUF_SIZE;
		q->desc[id].flags = VRING_F_WRITE;
		q->avail_ring[ai % q->size] = (uint16_t)id;
		th_mb();
		*q->avail_idx = (uint16_t)(ai + 1);
	}
	if (done) {
		th_mb();
		th_outw(v.io + VIO_QUEUE_NOTIFY, 0);
	}
	return done;
}

static bool vnet_link_up(struct th_nic *nic)
{
	if (!nic->state[ST_HAS_STATUS])
		return true;
	return (th_inw((uint16_t)(nic->bar[0].addr + VIO_NET_STATUS)) & VNET_S_LINK_UP) != 0;
}

static int vnet_attach(struct th_nic *nic)
{
	const struct th_nic_bar *bar = &nic->bar[0];
	if (!bar->is_io || !bar->addr || bar->addr > 0xffff || bar->size < 0x20) {
		log_error("virtio-net", "BAR0 is not a legacy I/O window (addr %#llx)",
			  (unsigned long long)bar->addr);
		return TH_ENODEV;
	}
	uint16_t io = (uint16_t)bar->addr;
	struct vnet v = { .io = io, .nic = nic };
	void *ids;
	int err;
	th_nic_pci_enable(nic);

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
	if ((err = vq_setup(nic, io, 0, &v.rx)) || (err = vq_setup(nic, io, 1, &v.tx)) ||
	    (err = th_nic_dma(nic, DMA_FREE_IDS, VQ_MAX * sizeof(uint16_t), &ids)))
		goto fail;
	v.free_ids = ids;
	nic->state[ST_TX_NFREE] = 0;
	for (uint16_t i = 0; i < v.tx.size; i++)
		v.free_ids[nic->state[ST_TX_NFREE]++] = (uint16_t)(v.tx.size - 1 - i);
	*v.tx.avail_flags = 1;     /* VRING_AVAIL_F_NO_INTERRUPT: we reclaim by polling */
	if (nic->irq_line == 0xff)
		log_warn("virtio-net", "no interrupt line; polling only");
	th_outb(io + VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_DRIVER_OK);
	vq_rx_fill(&v);
	log_info("virtio-net", "%02x:%02x.%x irq %u queues %u/%u mac %02x:%02x:%02x:%02x:%02x:%02x "
		 "link %s (driver " VNET_VERSION ")", nic->bus, nic->dev, nic->fn, nic->irq_line,
		 v.rx.size, v.tx.size, nic->mac[0], nic->mac[1], nic->mac[2], nic->mac[3],
		 nic->mac[4], nic->mac[5], vnet_link_up(nic) ? "up" : "down");
	return TH_OK;
fail:
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
	if (!(th_inb(v.io + VIO_STATUS) & VIO_S_DRIVER_OK))
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

TH_MODULE("virtio_net", VNET_VERSION, "virtio-net NIC driver (legacy PCI 1af4:1000)",
	  .init = vnet_mod_init, .fini = vnet_mod_fini);

/*
 * virtio_net.c - driver for virtio-net over legacy/transitional PCI (1af4:1000),
 * following lwIP's ethernetif skeleton: low_level_init (virtio_net_probe),
 * low_level_output (vnet_tx), low_level_input (vnet_rx_poll).
 *
 * Uses the legacy I/O-port interface in BAR0 and two split virtqueues
 * (0 = receive, 1 = transmit) in frame_alloc memory (physical == virtual).
 * Every descriptor owns one 2 KiB buffer holding the 10-byte virtio-net
 * header and the frame; frames are copied in and out.  The IRQ handler reads
 * the ISR register (which acknowledges it) and flags work for net_poll().
 */
#include "cpu.h"
#include "frame.h"
#include "irq.h"
#include "klibc.h"
#include "log.h"
#include "net_impl.h"

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

struct vq {
	uint16_t size;
	volatile struct vring_desc *desc;
	volatile uint16_t *avail_flags, *avail_idx, *avail_ring;
	volatile uint16_t *used_idx;
	volatile uint32_t *used_ring;      /* pairs: id, len */
	uint16_t used_last;
	uint8_t *bufs;                     /* size * NIC_BUF_SIZE */
	uint16_t *free_ids;                /* transmit: free descriptor stack */
	uint16_t n_free;
};

struct vnet {
	uint16_t io;
	bool has_status;
	struct vq rx, tx;
	struct nic *nic;
};

static void virtio_net_irq(void *ctx)
{
	struct vnet *v = ctx;
	uint8_t isr = inb(v->io + VIO_ISR);   /* reading acknowledges */
	if (!isr)
		return;
	v->nic->ctr.irqs++;
	v->nic->irq_pending = 1;
	if (isr & 2)
		v->nic->irq_link = 1;
}

static size_t align_up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }

static int vq_setup(struct vnet *v, uint16_t index, struct vq *q)
{
	outw(v->io + VIO_QUEUE_SEL, index);
	uint16_t size = inw(v->io + VIO_QUEUE_SIZE);
	if (size == 0 || size > VQ_MAX || (size & (size - 1)))
		return TH_ENODEV;
	size_t avail_off = 16u * size;
	size_t used_off = align_up(avail_off + 6 + 2u * size, FRAME_SIZE);
	size_t bytes = used_off + align_up(6 + 8u * size, FRAME_SIZE);
	uint64_t ring, bufs;
	int err = frame_alloc(bytes / FRAME_SIZE, &ring);
	if (err)
		return err;
	if ((err = frame_alloc((size_t)size * NIC_BUF_SIZE / FRAME_SIZE, &bufs)))
		return err;   /* boot-time, single NIC: the ring frames stay allocated */
	uint8_t *base = (uint8_t *)(uintptr_t)ring;
	memset(base, 0, bytes);
	q->size = size;
	q->desc = (volatile struct vring_desc *)base;
	q->avail_flags = (volatile uint16_t *)(base + avail_off);
	q->avail_idx = q->avail_flags + 1;
	q->avail_ring = q->avail_flags + 2;
	q->used_idx = (volatile uint16_t *)(base + used_off) + 1;
	q->used_ring = (volatile uint32_t *)(base + used_off + 4);
	q->used_last = 0;
	q->bufs = (uint8_t *)(uintptr_t)bufs;
	for (uint16_t i = 0; i < size; i++) {
		q->desc[i].addr = bufs + (uint64_t)i * NIC_BUF_SIZE;
		q->desc[i].len = NIC_BUF_SIZE;
	}
	outl(v->io + VIO_QUEUE_PFN, (uint32_t)(ring / FRAME_SIZE));
	return TH_OK;
}

static void vq_rx_fill(struct vnet *v)
{
	struct vq *q = &v->rx;
	for (uint16_t i = 0; i < q->size; i++) {
		q->desc[i].flags = VRING_F_WRITE;
		q->avail_ring[i] = i;
	}
	mb();
	*q->avail_idx = q->size;
	mb();
	outw(v->io + VIO_QUEUE_NOTIFY, 0);
}

static void vnet_tx_reclaim(struct vq *q)
{
	while (q->used_last != *q->used_idx) {
		mb();
		uint32_t id = q->used_ring[2u * (q->used_last % q->size)];
		if (id < q->size && q->n_free < q->size)
			q->free_ids[q->n_free++] = (uint16_t)id;
		q->used_last++;
	}
}

static err_t vnet_tx(struct nic *n, struct pbuf *p)
{
	struct vnet *v = n->priv;
	struct vq *q = &v->tx;
	vnet_tx_reclaim(q);
	if (q->n_free == 0) {              /* ring full: back-pressure, no waiting */
		n->ctr.tx_drops++;
		return ERR_MEM;
	}
	uint16_t id = q->free_ids[q->n_free - 1];
	uint8_t *buf = q->bufs + (size_t)id * NIC_BUF_SIZE;
	memset(buf, 0, VNET_HDR_LEN);
	u16_t len = pbuf_copy_partial(p, buf + VNET_HDR_LEN, p->tot_len, 0);
	if (len != p->tot_len || len > NIC_FRAME_MAX) {
		n->ctr.tx_errors++;
		return ERR_BUF;
	}
	q->n_free--;
	q->desc[id].len = VNET_HDR_LEN + len;
	q->desc[id].flags = 0;
	uint16_t ai = *q->avail_idx;
	q->avail_ring[ai % q->size] = id;
	mb();
	*q->avail_idx = (uint16_t)(ai + 1);
	mb();
	outw(v->io + VIO_QUEUE_NOTIFY, 1);
	n->ctr.tx_packets++;
	n->ctr.tx_bytes += len;
	return ERR_OK;
}

static int vnet_rx_poll(struct nic *n, int budget, void (*deliver)(struct nic *, struct pbuf *))
{
	struct vnet *v = n->priv;
	struct vq *q = &v->rx;
	int done = 0;
	vnet_tx_reclaim(&v->tx);
	while (done < budget && q->used_last != *q->used_idx) {
		mb();
		uint32_t slot = 2u * (q->used_last % q->size);
		uint32_t id = q->used_ring[slot], len = q->used_ring[slot + 1];
		q->used_last++;
		done++;
		if (id >= q->size) {            /* device bug: ignore the entry */
			n->ctr.rx_errors++;
			continue;
		}
		struct pbuf *p = NULL;
		if (len < VNET_HDR_LEN || len > NIC_BUF_SIZE)
			n->ctr.rx_errors++;
		else
			p = ethernetif_frame_to_pbuf(n, q->bufs + (size_t)id * NIC_BUF_SIZE + VNET_HDR_LEN,
						    len - VNET_HDR_LEN);
		uint16_t ai = *q->avail_idx;      /* recycle the buffer */
		q->desc[id].len = NIC_BUF_SIZE;
		q->desc[id].flags = VRING_F_WRITE;
		q->avail_ring[ai % q->size] = (uint16_t)id;
		mb();
		*q->avail_idx = (uint16_t)(ai + 1);
		if (p)
			deliver(n, p);
	}
	if (done) {
		mb();
		outw(v->io + VIO_QUEUE_NOTIFY, 0);
	}
	return done;
}

static bool vnet_link_up(struct nic *n)
{
	struct vnet *v = n->priv;
	if (!v->has_status)
		return true;
	return (inw(v->io + VIO_NET_STATUS) & VNET_S_LINK_UP) != 0;
}

static const struct nic_ops vnet_ops = {
	.tx = vnet_tx,
	.rx_poll = vnet_rx_poll,
	.link_up = vnet_link_up,
};

int virtio_net_probe(const struct pci_dev *d, struct nic *n)
{
	if (d->vendor != 0x1af4 || d->device != 0x1000)
		return TH_ENODEV;
	const struct pci_bar *bar = &d->bar[0];
	if (!bar->is_io || !bar->addr || bar->addr > 0xffff || bar->size < 0x20) {
		log_error("virtio-net", "BAR0 is not a legacy I/O window (addr %#llx)",
			  (unsigned long long)bar->addr);
		return TH_ENODEV;
	}
	struct vnet *v = kcalloc(1, sizeof *v);
	if (!v)
		return TH_ENOMEM;
	v->io = (uint16_t)bar->addr;
	v->nic = n;
	pci_enable(d);
	int err;

	outb(v->io + VIO_STATUS, 0);                       /* reset */
	outb(v->io + VIO_STATUS, VIO_S_ACK);
	outb(v->io + VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER);
	uint32_t host = inl(v->io + VIO_HOST_FEATURES);
	uint32_t want = host & (VNET_F_MAC | VNET_F_STATUS);
	outl(v->io + VIO_GUEST_FEATURES, want);
	v->has_status = (want & VNET_F_STATUS) != 0;
	if (!(want & VNET_F_MAC)) {
		err = TH_ENOTSUP;
		goto fail;
	}
	for (int i = 0; i < 6; i++)
		n->mac[i] = inb(v->io + VIO_NET_MAC + i);
	if ((err = vq_setup(v, 0, &v->rx)) || (err = vq_setup(v, 1, &v->tx)))
		goto fail;
	v->tx.free_ids = kcalloc(v->tx.size, sizeof(uint16_t));
	if (!v->tx.free_ids) {
		err = TH_ENOMEM;
		goto fail;
	}
	for (uint16_t i = 0; i < v->tx.size; i++)
		v->tx.free_ids[v->tx.n_free++] = (uint16_t)(v->tx.size - 1 - i);
	*v->tx.avail_flags = 1;     /* VRING_AVAIL_F_NO_INTERRUPT: we reclaim by polling */

	n->name = "virtio-net";
	n->pci = d;
	n->ops = &vnet_ops;
	n->priv = v;
	if (d->irq_line < IRQ_LINES) {
		if ((err = irq_register(d->irq_line, virtio_net_irq, v)))
			log_warn("virtio-net", "irq %u: %s; polling only", d->irq_line, th_err_name(err));
	} else {
		log_warn("virtio-net", "no interrupt line; polling only");
	}
	outb(v->io + VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_DRIVER_OK);
	vq_rx_fill(v);
	log_info("virtio-net", "%02x:%02x.%x irq %u queues %u/%u mac %02x:%02x:%02x:%02x:%02x:%02x link %s",
		 d->bus, d->dev, d->fn, d->irq_line, v->rx.size, v->tx.size, n->mac[0], n->mac[1],
		 n->mac[2], n->mac[3], n->mac[4], n->mac[5], vnet_link_up(n) ? "up" : "down");
	return TH_OK;
fail:
	outb(v->io + VIO_STATUS, VIO_S_FAILED);
	log_error("virtio-net", "init failed: %s", th_err_name(err));
	kfree(v);
	return err;
}

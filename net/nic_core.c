/*
 * nic_core.c - the NIC core: what a NIC driver module registers with and
 * runs on (nic_driver.h).  It keeps the driver tables modules register,
 * (nic_registry.c) binds the PCI NIC to the driver whose id table lists it, owns everything
 * that must outlive a driver version (struct nic: mapped BARs, DMA regions,
 * the driver's state words, MAC, counters, interrupt line, lwIP netif), and
 * follows live swaps: a new version of the bound driver registers its table
 * from init, every later call goes to it, and it resumes the running device
 * (or re-attaches it when its state layout differs) at the next poll or
 * transmit, under the dead man's switch of nic_watch.c.
 *
 * Frames a driver hands up with th_nic_rx() are queued here and delivered
 * to lwIP after the driver's poll returned, so no driver code is on the
 * stack while lwIP and the endpoint run (the endpoint may swap the driver).
 */
#include "cpu.h"
#include "frame.h"
#include "irq.h"
#include "klibc.h"
#include "loader.h"
#include "log.h"
#include "lwip/pbuf.h"
#include "modcall.h"
#include "net_impl.h"
#include "nic_match.h"
#include "pci.h"
#include "vmm.h"

static struct nic the_nic;
static bool nic_in_use;
static uint8_t tx_frame[NIC_FRAME_MAX];

struct nic *nic_core(void)
{
	return nic_in_use ? &the_nic : NULL;
}

static const char *module_version_of(const struct th_nic_driver *d)
{
	struct module *m = loader_find(d->name);
	return m ? loader_module_version(m) : "?";
}

/* ---- following the bound driver's versions (nic_registry.c) ---- */

static void irq_stop(struct nic *n);

/* The bound driver's module is gone: another loaded driver module that
 * lists the device takes it, with an attach (a reset); else it is idle. */
static void rebind(struct nic *n)
{
	const struct th_nic_id *id = NULL;
	const struct th_nic_driver *d = nic_registry_match(n->pub.vendor, n->pub.device, &id);
	n->drv = NULL;
	if (!d) {
		log_warn("net", "driver %s unloaded: the NIC is idle until a driver module for it is "
			 "loaded", n->module);
		return;
	}
	log_warn("net", "driver %s unloaded: %04x:%04x goes to driver module %s %s (attach: a "
		 "reset)", n->module, n->pub.vendor, n->pub.device, d->name, module_version_of(d));
	snprintf(n->module, sizeof n->module, "%s", d->name);
	snprintf(n->version, sizeof n->version, "%s", module_version_of(d));
	n->drv = d;
	n->pub.id = id;
	n->rebound = true;
	for (unsigned i = 0; i < TH_NIC_DMA_REGIONS; i++)
		n->dma[i].fresh = false;
	n->resume_pending = true;
	n->takeover_failed = false;
	n->faulted = false;
	n->bad_result_ops = 0;
	n->dma_refusal_logged = false;
	if (!d->irq && n->pub.irq_line != 0xff)
		irq_stop(n);
}

void nic_core_follow(struct nic *n)
{
	if (!n || !n->bound)
		return;
	const struct th_nic_driver *d = nic_registry_find(n->module);
	if (d == n->drv)
		return;
	if (!d) {
		rebind(n);
		return;
	}
	char from[sizeof n->version];
	snprintf(from, sizeof from, "%s", n->version);
	n->drv = d;
	snprintf(n->version, sizeof n->version, "%s", module_version_of(d));
	n->resume_pending = true;   /* resume() at the next poll or transmit */
	n->takeover_failed = false;
	n->faulted = false;
	n->bad_result_ops = 0;
	n->rx_outside_poll_logged = false;
	n->dma_refusal_logged = false;
	if (!d->irq && n->pub.irq_line != 0xff)
		irq_stop(n);
	/* Watched unless it is the same version again (a restart after a
	 * fault: the fault machinery is watching that one). */
	if (strcmp(from, n->version))
		nic_watch_arm(n, from);
}

/* ---- services for drivers ---- */

int th_nic_dma(struct th_nic *pub, unsigned index, size_t bytes, void **out)
{
	struct nic *n = (struct nic *)pub;
	if (pub != &the_nic.pub || !out || index >= TH_NIC_DMA_REGIONS || !bytes ||
	    bytes > TH_NIC_DMA_MAX)
		return TH_ERANGE;
	if (n->dma[index].addr && n->rebound && !n->dma[index].fresh) {
		/* Another driver module attaches: its region starts zeroed, and one
		 * too small is replaced (the old one is kept: the device may still
		 * write to it until the new driver's reset). */
		n->dma[index].fresh = true;
		if (n->dma[index].bytes >= bytes) {
			memset(n->dma[index].addr, 0, n->dma[index].bytes);
			*out = n->dma[index].addr;
			return TH_OK;
		}
		n->dma[index].addr = NULL;
	}
	if (n->dma[index].addr) {
		if (n->dma[index].bytes < bytes)
			return TH_ERANGE;
		*out = n->dma[index].addr;
		return TH_OK;
	}
	size_t frames = (bytes + FRAME_SIZE - 1) / FRAME_SIZE;
	if (frames * FRAME_SIZE > TH_NIC_DMA_MAX - n->dma_total) {
		if (!n->dma_refusal_logged) {
			n->dma_refusal_logged = true;
			log_error("net", "driver %s %s: th_nic_dma region %u of %zu bytes refused (EFULL): "
				  "the NIC's DMA memory would exceed %u bytes (TH_NIC_DMA_MAX; %zu "
				  "in use)", n->module, n->version, index, bytes,
				  (unsigned)TH_NIC_DMA_MAX, n->dma_total);
		}
		return TH_EFULL;
	}
	uint64_t phys;
	int err = frame_alloc(frames, &phys);
	if (err)
		return err;
	n->dma_total += frames * FRAME_SIZE;
	n->dma[index].addr = (void *)(uintptr_t)phys;   /* physical == virtual */
	n->dma[index].bytes = frames * FRAME_SIZE;
	n->dma[index].fresh = true;
	memset(n->dma[index].addr, 0, n->dma[index].bytes);
	*out = n->dma[index].addr;
	return TH_OK;
}

int th_nic_map_bar(struct th_nic *pub, unsigned i, volatile void **out)
{
	struct nic *n = (struct nic *)pub;
	if (pub != &the_nic.pub || !out || i >= 6 || pub->bar[i].is_io || !pub->bar[i].addr || !pub->bar[i].size)
		return TH_ERANGE;
	if (!n->mmio[i]) {
		int err = vmm_map_mmio(pub->bar[i].addr, pub->bar[i].size, &n->mmio[i]);
		if (err)
			return err;
	}
	*out = n->mmio[i];
	return TH_OK;
}

void th_nic_pci_enable(struct th_nic *pub)
{
	struct nic *n = (struct nic *)pub;
	if (pub == &the_nic.pub && n->pci)
		pci_enable(n->pci);
}

uint8_t th_nic_pci_cap(struct th_nic *pub, uint8_t id, uint8_t after)
{
	struct nic *n = (struct nic *)pub;
	if (pub != &the_nic.pub || !n->pci)
		return 0;
	return pci_cap_next(pci_dev_cfg_read8, (void *)(uintptr_t)n->pci, id, after);
}

uint32_t th_nic_pci_read32(struct th_nic *pub, uint8_t off)
{
	struct nic *n = (struct nic *)pub;
	if (pub != &the_nic.pub || !n->pci || off % 4)
		return 0xffffffffu;
	return pci_read32(n->pci, off);
}

int th_nic_rx(struct th_nic *pub, const void *frame, size_t len)
{
	struct nic *n = (struct nic *)pub;
	if (pub != &the_nic.pub)
		return TH_EINVAL;
	if (!n->polling) {
		/* From irq (lwIP's pools are not interrupt-safe), attach, resume or
		 * tx: refused, named once per driver version. */
		pub->ctr.rx_errors++;
		if (!n->rx_outside_poll_logged) {
			n->rx_outside_poll_logged = true;
			log_error("net", "driver %s %s: th_nic_rx outside poll refused (hand frames "
				  "up from poll only)", n->module, n->version);
		}
		return TH_EINVAL;
	}
	if (!frame || len < 14 || len > NIC_FRAME_MAX) {
		pub->ctr.rx_errors++;
		return TH_EINVAL;
	}
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (!p) {
		pub->ctr.rx_drops++;
		return TH_ENOMEM;
	}
	n->rx_copying = p;   /* frame may be a bad pointer: the copy can fault */
	err_t taken = pbuf_take(p, frame, (u16_t)len);
	n->rx_copying = NULL;
	if (taken != ERR_OK) {
		pbuf_free(p);
		pub->ctr.rx_drops++;
		return TH_ENOMEM;
	}
	if (n->rxq_n >= NIC_RX_BUDGET) {   /* more than the budget in one poll */
		pbuf_free(p);
		pub->ctr.rx_drops++;
		return TH_EFULL;
	}
	n->rxq[n->rxq_n++] = p;
	pub->ctr.rx_packets++;
	pub->ctr.rx_bytes += len;
	nic_watch_rx(n, frame, len);
	return TH_OK;
}

/* ---- binding ---- */

static const struct th_nic_id *id_match(const struct th_nic_driver *d, const struct pci_dev *dev)
{
	return nic_id_match(d->ids, dev->vendor, dev->device);
}

static void irq_handler(void *ctx)
{
	struct nic *n = ctx;
	const struct th_nic_driver *d = n->drv;
	if (!n->bound || !d || n->faulted)
		return;
	unsigned bits = d->irq ? nic_call_irq(n, d) : TH_NIC_IRQ_WORK;
	if (!bits)
		return;   /* shared line, not ours */
	n->pub.ctr.irqs++;
	n->irq_pending = 1;
	if (bits & TH_NIC_IRQ_LINK)
		n->irq_link = 1;
}

/* MSI for n's device: a vector of its own and the device's message; false
 * (logged) if either cannot be had, and the device keeps its line. */
static bool msi_setup(struct nic *n, const struct pci_dev *dev)
{
	unsigned vec = 0;
	uint32_t addr = 0;
	uint16_t data = 0;
	int err = irq_msi_alloc(irq_handler, n, &vec, &addr, &data);
	if (!err) {
		err = pci_msi_enable(dev, addr, data);
		if (err)
			irq_msi_free(vec);
	}
	if (err) {
		log_warn("net", "%04x:%04x: no MSI (%s)", dev->vendor, dev->device, th_err_name(err));
		return false;
	}
	n->msi_vector = vec;
	return true;
}

static void msi_teardown(struct nic *n)
{
	if (!n->msi_vector)
		return;
	pci_msi_disable(n->pci);
	irq_msi_free(n->msi_vector);
	n->msi_vector = 0;
}

/* After an attach or a takeover with MSI: acknowledge whatever the device
 * raised while no driver could (its handler returns early then), since a
 * device may not send the message again while the cause stays raised.
 * Defensive: QEMU's 82574L and vmxnet3 send one for every new cause
 * anyway, so no test here fails without it; hardware need not. */
static void msi_rearm(struct nic *n)
{
	if (!n->msi_vector)
		return;
	uint64_t flags = irq_save();
	irq_handler(n);
	irq_restore(flags);
}

/* A version without an irq op took over an interrupting NIC: nothing
 * would acknowledge the device, so its interrupts stop (MSI off, the line's
 * handler gone: the line masked) and the core polls it. */
static void irq_stop(struct nic *n)
{
	if (n->msi_vector) {
		msi_teardown(n);
	} else if (n->line_registered) {
		irq_unregister(n->pub.irq_line, irq_handler, n);
		n->line_registered = false;
	}
	n->pub.irq_line = 0xff;
	log_warn("net", "driver %s %s has no irq op: the NIC is polled from now on", n->module,
		 n->version);
}

static enum net_irq_mode bind_irq_mode;   /* nicirq=, for nic_core_bind */

static int try_bind(const struct pci_dev *dev, const struct th_nic_driver *d,
		    const struct th_nic_id *id)
{
	struct nic *n = &the_nic;
	/* The DMA regions an earlier driver's failed attach took stay the core's
	 * (the device may still write to them): the next driver gets them
	 * (zeroed, or anew when too small), within the same TH_NIC_DMA_MAX. */
	struct nic_dma_region dma[TH_NIC_DMA_REGIONS];
	memcpy(dma, n->dma, sizeof dma);
	size_t dma_total = n->dma_total;
	memset(n, 0, sizeof *n);
	memcpy(n->dma, dma, sizeof dma);
	n->dma_total = dma_total;
	dev = pci_size_bars(dev);   /* the firmware's BARs are sized on first bind */
	n->pci = dev;
	n->pub.vendor = dev->vendor;
	n->pub.device = dev->device;
	n->pub.bus = dev->bus;
	n->pub.dev = dev->dev;
	n->pub.fn = dev->fn;
	bool line_ok = dev->irq_pin && dev->irq_line < IRQ_LINES && dev->irq_line != 2;
	/* A driver without an irq op is polled: nothing would acknowledge. */
	enum nic_irq_kind kind = d->irq ? nic_irq_choose(bind_irq_mode, pci_has_msi(dev), line_ok) :
				 NIC_IRQ_NONE;
	if (kind == NIC_IRQ_MSI && !msi_setup(n, dev))
		kind = nic_irq_choose(NET_IRQ_LINE, false, line_ok);
	/* For the driver: whether it may enable the device's interrupts. */
	n->pub.irq_line = kind == NIC_IRQ_MSI ? (uint8_t)n->msi_vector :
			  kind == NIC_IRQ_LINE ? dev->irq_line : 0xff;
	for (int i = 0; i < 6; i++)
		n->pub.bar[i] = (struct th_nic_bar){ dev->bar[i].addr, dev->bar[i].size,
						     dev->bar[i].is_io };
	n->pub.id = id;
	n->pub.state_layout = d->state_layout;
	snprintf(n->module, sizeof n->module, "%s", d->name);
	snprintf(n->version, sizeof n->version, "%s", module_version_of(d));
	n->drv = d;
	nic_in_use = true;   /* th_nic_* services find it */
	pci_enable(dev);     /* decoding and bus mastering: its rings need DMA */
	/* Regions an earlier driver's failed attach took are handed out as after
	 * a move: zeroed, and replaced when too small (never its ERANGE). */
	n->rebound = true;
	for (unsigned i = 0; i < TH_NIC_DMA_REGIONS; i++)
		n->dma[i].fresh = false;
	n->dma_refusal_logged = false;
	int err = nic_call_attach(n, d);
	n->rebound = false;
	if (err) {
		msi_teardown(n);
		nic_in_use = false;
		return err;
	}
	n->bound = true;
	char how[48];
	if (kind == NIC_IRQ_MSI) {
		msi_rearm(n);
		snprintf(how, sizeof how, "MSI, vector %u", n->msi_vector);
	} else if (kind == NIC_IRQ_LINE) {
		int e = irq_register(n->pub.irq_line, irq_handler, n);
		if (e)
			log_warn("net", "irq %u: %s; polling only", n->pub.irq_line, th_err_name(e));
		n->line_registered = !e;
		snprintf(how, sizeof how, "irq line %u", n->pub.irq_line);
	} else {
		snprintf(how, sizeof how, "polled: %s", bind_irq_mode == NET_IRQ_POLL ? "nicirq=poll" :
			 !d->irq ? "the driver has no irq op" : "no MSI and no usable line");
	}
	log_info("net", "%04x:%04x %s bound to driver module %s %s (%s)", dev->vendor, dev->device,
		 id->model ? id->model : "?", n->module, n->version, how);
	return TH_OK;
}

int nic_core_bind(const char *prefer, enum net_irq_mode irq_mode)
{
	bind_irq_mode = irq_mode;
	nic_registry_follow_swaps();
	/* Pass 0: only the preferred driver; pass 1: any. */
	for (int pass = (prefer && prefer[0]) ? 0 : 1; pass < 2; pass++) {
		for (size_t i = 0; i < pci_count(); i++) {
			const struct pci_dev *dev = pci_get(i);
			if (!dev)
				break;
			for (size_t k = 0; k < NIC_DRIVERS_MAX; k++) {
				const struct th_nic_driver *d = nic_registry_at(k);
				const struct th_nic_id *id = d ? id_match(d, dev) : NULL;
				if (!id)
					continue;
				/* pass 1 does not try the preferred driver again */
				bool preferred = prefer && prefer[0] && !strcmp(d->name, prefer);
				if ((pass == 0) != preferred)
					continue;
				int err = try_bind(dev, d, id);
				if (err == TH_OK)
					return TH_OK;
				log_warn("net", "%04x:%04x at %02x:%02x.%x: driver %s: %s", dev->vendor,
					 dev->device, dev->bus, dev->dev, dev->fn, d->name, th_err_name(err));
			}
		}
		if (pass == 0)
			log_warn("net", "no NIC for driver module %s; trying any", prefer);
	}
	return TH_ENODEV;
}

void nic_core_describe_drivers(char *buf, size_t cap)
{
	size_t used = 0;
	if (cap)
		buf[0] = '\0';
	for (size_t k = 0; k < NIC_DRIVERS_MAX; k++) {
		const struct th_nic_driver *d = nic_registry_at(k);
		if (!d)
			continue;
		for (size_t i = 0; i < NIC_IDS_MAX && d->ids[i].vendor && used < cap; i++) {
			int w = snprintf(buf + used, cap - used, "%s%s %04x:%04x", used ? ", " : "",
					 d->name, d->ids[i].vendor, d->ids[i].device);
			if (w < 0)
				break;
			used += (size_t)w;
			if (i >= 2 && d->ids[i + 1].vendor) {   /* keep it short: "e1000 ... and N more" */
				size_t more = 0;
				while (d->ids[i + 1 + more].vendor && more < 255)
					more++;
				w = used < cap ? snprintf(buf + used, cap - used, " and %zu more", more) : 0;
				used += w > 0 ? (size_t)w : 0;
				break;
			}
		}
	}
	if (!used && cap)
		snprintf(buf, cap, "none; give the driver modules as boot modules: e1000.o, "
			 "virtio_net.o, rtl8139.o, vmxnet3.o");
}

/* ---- driving the bound driver ---- */

/* The driver to call now, after recovery and takeover; NULL if none. */
static const struct th_nic_driver *current(struct nic *n, bool may_recover)
{
	if (!n->bound)
		return NULL;
	if (n->faulted) {
		if (!may_recover)
			return NULL;
		n->faulted = false;
		struct th_errbuf eb = { "" };
		modcall_fault_recover(n->module, &eb);   /* restart or roll back: re-registers */
		const char *what = eb.msg[0] == ';' ? eb.msg + 2 : eb.msg;   /* "; restarted" */
		log_warn("net", "driver %s: %s", n->module, what[0] ? what : "recovered");
	}
	const struct th_nic_driver *d = n->drv;
	if (!d || n->takeover_failed || !strcmp(modcall_state(n->module), "quarantined"))
		return NULL;
	if (n->resume_pending) {
		n->resume_pending = false;
		int err;
		if (d->state_layout != n->pub.state_layout || n->rebound) {
			log_info("net", "driver %s %s: state layout %u -> %u%s: re-attaching (frames in "
				 "flight are lost)", n->module, n->version, n->pub.state_layout,
				 d->state_layout, n->rebound ? " (another driver module)" : "");
			memset(n->pub.state, 0, sizeof n->pub.state);
			n->pub.state_layout = d->state_layout;
			err = nic_call_attach(n, d);
			n->rebound = false;
		} else {
			err = d->resume ? nic_call_resume(n, d) : TH_OK;
		}
		if (err) {
			/* Not used until another version registers: the dead man's
			 * switch (or the fault recovery) rolls it back. */
			n->takeover_failed = true;
			log_error("net", "driver %s %s could not take over the NIC: %s; not using it",
				  n->module, n->version, th_err_name(err));
			return NULL;
		}
		log_info("net", "driver %s %s took over %04x:%04x", n->module, n->version,
			 n->pub.vendor, n->pub.device);
		msi_rearm(n);
	}
	return n->faulted ? NULL : d;
}

err_t nic_core_tx(struct nic *n, struct pbuf *p)
{
	const struct th_nic_driver *d = current(n, false);
	if (!d) {
		n->pub.ctr.tx_drops++;
		return ERR_IF;
	}
	u16_t len = pbuf_copy_partial(p, tx_frame, p->tot_len, 0);
	if (len != p->tot_len || len > NIC_FRAME_MAX) {
		n->pub.ctr.tx_errors++;
		return ERR_BUF;
	}
	int err = nic_call_tx(n, d, tx_frame, len);
	if (err == TH_EFULL) {
		n->pub.ctr.tx_drops++;
		return ERR_MEM;
	}
	if (err) {
		n->pub.ctr.tx_errors++;
		return ERR_IF;
	}
	n->pub.ctr.tx_packets++;
	n->pub.ctr.tx_bytes += len;
	return ERR_OK;
}

int nic_core_poll(struct nic *n)
{
	const struct th_nic_driver *d = current(n, true);
	int done = 0;
	if (d) {
		n->polling = true;
		done = nic_call_poll(n, d, NIC_RX_BUDGET);
		n->polling = false;
		if (n->rx_copying) {   /* the poll faulted in th_nic_rx's copy */
			pbuf_free(n->rx_copying);
			n->rx_copying = NULL;
			n->pub.ctr.rx_errors++;
		}
		if (done < 0)
			done = 0;
	}
	/* Deliver after the driver returned: lwIP and the endpoint may swap it. */
	for (unsigned i = 0; i < n->rxq_n; i++) {
		struct pbuf *p = n->rxq[i];
		n->rxq[i] = NULL;
		if (n->netif->input(p, n->netif) != ERR_OK) {
			pbuf_free(p);
			n->pub.ctr.rx_drops++;
		}
	}
	n->rxq_n = 0;
	nic_watch_poll(n);
	return done;
}

bool nic_core_link_up(struct nic *n)
{
	const struct th_nic_driver *d = current(n, false);
	return d ? nic_call_link_up(n, d) : false;
}

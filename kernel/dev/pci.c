/*
 * pci.c - PCI configuration space through ports 0xCF8/0xCFC (see pci.h).
 *
 * pci_init() scans bus 0 and the buses behind its bridges (every device
 * and function).  A device the firmware configured (memory or I/O decoding
 * on) keeps its BARs as assigned; they are sized when a driver binds it
 * (pci_size_bars).  Sizing means turning decoding off and on again, and
 * under QEMU each of those remaps the device's regions: 3-4 ms of a TCG
 * boot for six devices no driver uses.  A device with decoding off is sized
 * at once, and a BAR the firmware left at zero (QEMU's qboot assigns none)
 * gets an address: memory BARs from a window at 0xE0000000, I/O BARs from
 * port 0xC000.
 */
#include "pci.h"

#include "cpu.h"
#include "klibc.h"
#include "log.h"

#define CFG_ADDR 0xCF8
#define CFG_DATA 0xCFC
#define MMIO_WINDOW_START 0xE0000000ull
#define MMIO_WINDOW_END 0xFEC00000ull
#define IO_WINDOW_START 0xC000u
#define IO_WINDOW_END 0xFFFFu

static struct pci_dev devs[PCI_MAX_DEVICES];
static size_t ndevs;
static uint64_t next_mmio = MMIO_WINDOW_START;
static uint32_t next_io = IO_WINDOW_START;

static uint32_t cfg_addr(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
	return 0x80000000u | ((uint32_t)bus << 16) | ((uint32_t)dev << 11) | ((uint32_t)fn << 8) |
	       (off & 0xFC);
}

static uint32_t raw_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
	outl(CFG_ADDR, cfg_addr(bus, dev, fn, off));
	return inl(CFG_DATA);
}

static void raw_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off, uint32_t v)
{
	outl(CFG_ADDR, cfg_addr(bus, dev, fn, off));
	outl(CFG_DATA, v);
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t off) { return raw_read32(d->bus, d->dev, d->fn, off); }
uint16_t pci_read16(const struct pci_dev *d, uint8_t off) { return (uint16_t)(pci_read32(d, off) >> ((off & 2) * 8)); }
uint8_t pci_read8(const struct pci_dev *d, uint8_t off) { return (uint8_t)(pci_read32(d, off) >> ((off & 3) * 8)); }
uint8_t pci_dev_cfg_read8(void *dev, uint8_t off) { return pci_read8(dev, off); }
void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v) { raw_write32(d->bus, d->dev, d->fn, off, v); }

void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v)
{
	uint32_t old = pci_read32(d, off), sh = (off & 2) * 8;
	pci_write32(d, off, (old & ~(0xFFFFu << sh)) | ((uint32_t)v << sh));
}

void pci_write8(const struct pci_dev *d, uint8_t off, uint8_t v)
{
	uint32_t old = pci_read32(d, off), sh = (off & 3) * 8;
	pci_write32(d, off, (old & ~(0xFFu << sh)) | ((uint32_t)v << sh));
}

void pci_enable(const struct pci_dev *d)
{
	pci_write16(d, 0x04, (uint16_t)(pci_read16(d, 0x04) | 0x7)); /* I/O, memory, bus master */
}

/* Size BAR i; assign it if unassigned.  Returns how many BAR slots it used. */
static int probe_bar(struct pci_dev *d, int i)
{
	uint8_t off = (uint8_t)(0x10 + 4 * i);
	uint32_t orig = pci_read32(d, off);
	pci_write32(d, off, 0xFFFFFFFFu);
	uint32_t probe = pci_read32(d, off);
	pci_write32(d, off, orig);
	struct pci_bar *b = &d->bar[i];
	if (orig & 1) { /* I/O */
		uint32_t size = ~(probe & ~3u) + 1;
		if (!(probe & ~3u) || size > 0x10000)
			return 1;
		b->is_io = true;
		b->size = size & 0xFFFF;
		b->addr = orig & ~3u;
		if (!b->addr) {
			uint32_t a = (next_io + size - 1) & ~(size - 1);
			if (a + size - 1 > IO_WINDOW_END)
				return 1;
			pci_write32(d, off, a);
			b->addr = a;
			next_io = a + size;
		}
		return 1;
	}
	bool is64 = ((orig >> 1) & 3) == 2;
	uint64_t mask = probe & ~0xFu, addr = orig & ~0xFu;
	if (is64) {
		uint32_t hi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, 0xFFFFFFFFu);
		uint32_t phi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, hi);
		mask |= (uint64_t)phi << 32;
		addr |= (uint64_t)hi << 32;
	} else {
		mask |= 0xFFFFFFFF00000000ull;
	}
	if (!(probe & ~0xFu) && (!is64 || !(mask >> 32)))
		return is64 ? 2 : 1; /* BAR not implemented */
	uint64_t size = ~mask + 1;
	b->is_64 = is64;
	b->prefetch = orig & 8;
	b->size = size;
	b->addr = addr;
	if (!addr && size) {
		uint64_t a = (next_mmio + size - 1) & ~(size - 1);
		if (a + size <= MMIO_WINDOW_END) {
			pci_write32(d, off, (uint32_t)a);
			if (is64)
				pci_write32(d, off + 4, (uint32_t)(a >> 32));
			b->addr = a;
			next_mmio = a + size;
		}
	}
	return is64 ? 2 : 1;
}

static const char *class_name(uint8_t c, uint8_t s)
{
	switch (c) {
	case 0x01: return "storage";
	case 0x02: return s == 0 ? "ethernet" : "network";
	case 0x03: return "display";
	case 0x06: return s == 0 ? "host bridge" : s == 1 ? "ISA bridge" : s == 4 ? "PCI bridge" : "bridge";
	case 0x0C: return "serial bus";
	default: return "device";
	}
}

/* The BARs as the firmware left them (no writes): type and address; size
 * 0 until size_bars. */
static void read_bars(struct pci_dev *d)
{
	for (int i = 0; i < 6; i++) {
		uint32_t v = pci_read32(d, (uint8_t)(0x10 + 4 * i));
		struct pci_bar *b = &d->bar[i];
		if (v & 1) {
			b->is_io = true;
			b->addr = v & ~3u;
			continue;
		}
		b->is_64 = ((v >> 1) & 3) == 2;
		b->prefetch = v & 8;
		b->addr = v & ~0xFu;
		if (b->is_64 && i < 5)
			b->addr |= (uint64_t)pci_read32(d, (uint8_t)(0x10 + 4 * ++i)) << 32;
	}
}

/* Sizes every BAR (and assigns the unset ones) with decoding off, so no BAR
 * answers at the all-ones address meanwhile. */
static void size_bars(struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, 0x04);
	if (cmd & 0x3)
		pci_write16(d, 0x04, (uint16_t)(cmd & ~0x3));
	memset(d->bar, 0, sizeof d->bar);
	for (int i = 0; i < 6;)
		i += probe_bar(d, i);
	if (cmd & 0x3)
		pci_write16(d, 0x04, cmd);
	d->bars_sized = true;
}

/* " bar0 mem 0xfebc0000/0x20000 bar1 io 0xc000/0x40"; no size when unsized. */
static void format_bars(const struct pci_dev *d, char *out, size_t len)
{
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0; i < 6; i++) {
		const struct pci_bar *b = &d->bar[i];
		char size[24] = "";
		if (!b->size && !b->addr)
			continue;
		if (b->size)
			snprintf(size, sizeof size, "/%#llx", (unsigned long long)b->size);
		th_appendf(out, len, &n, " bar%d %s %#llx%s", i, b->is_io ? "io" : "mem",
			   (unsigned long long)b->addr, size);
	}
}

static void add(uint8_t bus, uint8_t dev, uint8_t fn)
{
	if (ndevs == PCI_MAX_DEVICES) {
		log_warn("pci", "%02x:%02x.%x ignored: more than %d devices", bus, dev, fn, PCI_MAX_DEVICES);
		return;
	}
	struct pci_dev *d = &devs[ndevs++];
	memset(d, 0, sizeof *d);
	d->bus = bus, d->dev = dev, d->fn = fn;
	uint32_t id = pci_read32(d, 0x00), cls = pci_read32(d, 0x08), sub = pci_read32(d, 0x2C);
	uint32_t irq = pci_read32(d, 0x3C);
	d->vendor = (uint16_t)id, d->device = (uint16_t)(id >> 16);
	d->revision = (uint8_t)cls, d->prog_if = (uint8_t)(cls >> 8);
	d->subclass = (uint8_t)(cls >> 16), d->class_code = (uint8_t)(cls >> 24);
	d->subsys_vendor = (uint16_t)sub, d->subsys_id = (uint16_t)(sub >> 16);
	d->irq_line = (uint8_t)irq, d->irq_pin = (uint8_t)(irq >> 8);
	uint8_t htype = (uint8_t)(pci_read32(d, 0x0C) >> 16) & 0x7F;
	d->bars_sized = htype != 0;   /* bridges and others: no BARs read */
	if (htype == 0) {
		if (pci_read16(d, 0x04) & 0x3)
			read_bars(d);  /* the firmware's: sized when a driver binds */
		else
			size_bars(d);  /* decoding off: no remapping, and assign what is unset */
	}
	char bars[160];
	format_bars(d, bars, sizeof bars);
	log_info("pci", "%02x:%02x.%x %04x:%04x %s irq %u%s", bus, dev, fn, d->vendor, d->device,
		 class_name(d->class_code, d->subclass), d->irq_pin ? d->irq_line : 0, bars);
}

const struct pci_dev *pci_size_bars(const struct pci_dev *cd)
{
	size_t i = (size_t)(cd - devs);
	if (i >= ndevs || &devs[i] != cd || cd->bars_sized)
		return cd;
	struct pci_dev *d = &devs[i];
	size_bars(d);
	char bars[160];
	format_bars(d, bars, sizeof bars);
	log_info("pci", "%02x:%02x.%x BARs sized:%s", d->bus, d->dev, d->fn, bars[0] ? bars : " none");
	return d;
}

/* Scans one bus, then the bus behind each PCI-to-PCI bridge on it (its
 * secondary bus, as the firmware numbered it).  Only buses that exist are
 * probed: a scan of all 256 took 8192 configuration reads, each a port
 * access that QEMU's TCG emulates slowly (about 10% of the boot). */
static void scan_bus(uint8_t bus, bool seen[256])
{
	seen[bus] = true;
	for (uint8_t dev = 0; dev < 32; dev++) {
		if ((uint16_t)raw_read32(bus, dev, 0, 0) == 0xFFFF)
			continue;
		uint8_t nfn = (raw_read32(bus, dev, 0, 0x0C) >> 16) & 0x80 ? 8 : 1;
		for (uint8_t fn = 0; fn < nfn; fn++) {
			if ((uint16_t)raw_read32(bus, dev, fn, 0) == 0xFFFF)
				continue;
			add(bus, dev, fn);
			uint32_t cls = raw_read32(bus, dev, fn, 0x08) >> 16;
			uint8_t htype = (uint8_t)(raw_read32(bus, dev, fn, 0x0C) >> 16) & 0x7F;
			uint8_t sec = (uint8_t)(raw_read32(bus, dev, fn, 0x18) >> 8);
			if (cls == 0x0604 && htype == 1 && sec > bus && !seen[sec])
				scan_bus(sec, seen);   /* depth <= 255: bus numbers only grow */
		}
	}
}

void pci_init(void)
{
	bool seen[256] = { false };
	scan_bus(0, seen);
	log_info("pci", "%zu devices", ndevs);
}

size_t pci_count(void) { return ndevs; }
const struct pci_dev *pci_get(size_t i) { return i < ndevs ? &devs[i] : NULL; }

const struct pci_dev *pci_find(uint16_t vendor, uint16_t device)
{
	for (size_t i = 0; i < ndevs; i++)
		if (devs[i].vendor == vendor && (device == 0xFFFF || devs[i].device == device))
			return &devs[i];
	return NULL;
}

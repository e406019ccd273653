/*
 * pic.c - the legacy 8259 interrupt controllers (see irq.h): remapped to
 * vectors 32-47, all lines masked until a handler registers; dispatches
 * each line to its handlers and sends the end-of-interrupt.  Lines handed
 * over to the I/O APIC (ioapic.h: same vectors) are masked, unmasked and
 * acknowledged there instead, and a level-triggered one that storms is
 * masked.
 */
#include "irq.h"

#include "cpu.h"
#include "ioapic.h"
#include "klibc.h"
#include "ktime.h"
#include "lock.h"
#include "log.h"
#include "pic.h"
#include "trap.h"

#define PIC1 0x20
#define PIC2 0xA0
#define HANDLERS_PER_LINE 4

struct handler {
	irq_handler_fn fn;
	void *ctx;
};

static struct handler handlers[IRQ_LINES][HANDLERS_PER_LINE];
static unsigned long counts[IRQ_LINES];
static uint16_t mask = 0xFFFF;
static struct spinlock irq_lock = SPINLOCK_INIT;
static uint16_t apic_lines;    /* handed over to the I/O APIC */
static uint16_t apic_seen;     /* lines the I/O APIC delivered at least once */
static uint16_t stormed;       /* masked for storming until registered again */
static unsigned bursts[IRQ_LINES]; /* I/O APIC level deliveries since the last tick */
static irq_line_hook_fn line0_hook;
static irq_line_hook_fn soft_hook; /* vector 48 (sched_enter): the scheduler */

static void write_mask(void)
{
	outb(PIC1 + 1, (uint8_t)mask);
	outb(PIC2 + 1, (uint8_t)(mask >> 8));
}

static void unmask(unsigned line)
{
	if (apic_lines & (1u << line)) {
		stormed &= (uint16_t)~(1u << line);
		bursts[line] = 0;
		ioapic_set_masked(line, false);
		return;
	}
	mask &= (uint16_t)~(1u << line);
	if (line >= 8)
		mask &= (uint16_t)~(1u << 2); /* cascade */
	write_mask();
}

/* Deliveries of one level line per tick that make a storm (ioapic.h). */
static unsigned storm_limit(void)
{
	unsigned hz = time_tick_hz();
	return IOAPIC_STORM_PER_SEC / (hz ? hz : 100);
}

/* A level line whose handlers never quiet the device: mask it (the device
 * is still polled by its driver's main loop), once, with a warning. */
static void storm(unsigned line)
{
	uint64_t flags = spin_lock_irqsave(&irq_lock);
	stormed |= (uint16_t)(1u << line);
	ioapic_set_masked(line, true);
	spin_unlock_irqrestore(&irq_lock, flags);
	log_warn("irq", "line %u: interrupt storm (over %u deliveries in one tick; its handler "
		 "does not acknowledge the device): masked until a handler registers again",
		 line, storm_limit());
}

static struct trap_frame *dispatch(unsigned line, struct trap_frame *f)
{
	if (line >= IRQ_LINES) /* vector 48: software yield, handled by the scheduler hook */
		return soft_hook ? soft_hook(f) : f;
	bool apic = apic_lines & (1u << line);
	/* Spurious IRQ 7/15: the in-service bit is clear; no EOI to that PIC. */
	if (!apic && (line == 7 || line == 15)) {
		uint16_t port = line == 7 ? PIC1 : PIC2;
		outb(port, 0x0B);
		if (!(inb(port) & 0x80)) {
			if (line == 15)
				outb(PIC1, 0x20);
			return f;
		}
	}
	counts[line]++;
	for (unsigned i = 0; i < HANDLERS_PER_LINE; i++)
		if (handlers[line][i].fn)
			handlers[line][i].fn(handlers[line][i].ctx);
	if (apic) {
		if (!(apic_seen & (1u << line))) {
			apic_seen |= (uint16_t)(1u << line);
			log_info("irq", "line %u: first interrupt through the I/O APIC", line);
		}
		/* The handlers quieted the device; a level line's EOI re-arms it. */
		if (ioapic_line_level(line) && ++bursts[line] > storm_limit() &&
		    !(stormed & (1u << line)))
			storm(line);
		ioapic_eoi();
		return f;
	}
	if (line >= 8)
		outb(PIC2, 0x20);
	outb(PIC1, 0x20);
	if (line == 0) {
		memset(bursts, 0, sizeof bursts);
		if (line0_hook)
			return line0_hook(f);
	}
	return f;
}

void pic_init(void)
{
	outb(PIC1, 0x11);  /* ICW1: init, ICW4 follows */
	io_wait();
	outb(PIC2, 0x11);
	io_wait();
	outb(PIC1 + 1, IRQ_BASE);
	io_wait();
	outb(PIC2 + 1, IRQ_BASE + 8);
	io_wait();
	outb(PIC1 + 1, 4);  /* slave on line 2 */
	io_wait();
	outb(PIC2 + 1, 2);
	io_wait();
	outb(PIC1 + 1, 1);  /* 8086 mode */
	io_wait();
	outb(PIC2 + 1, 1);
	io_wait();
	mask = 0xFFFF;
	write_mask();
	trap_set_irq_dispatch(dispatch);
}

void pic_set_line0_hook(irq_line_hook_fn fn) { line0_hook = fn; }
void pic_set_soft_hook(irq_line_hook_fn fn) { soft_hook = fn; }

int irq_register(unsigned line, irq_handler_fn fn, void *ctx)
{
	if (line >= IRQ_LINES || line == 2 || !fn)
		return TH_EINVAL;
	uint64_t flags = spin_lock_irqsave(&irq_lock);
	int err = TH_EFULL;
	for (unsigned i = 0; i < HANDLERS_PER_LINE; i++) {
		if (!handlers[line][i].fn) {
			handlers[line][i] = (struct handler){ fn, ctx };
			unmask(line);
			err = TH_OK;
			break;
		}
	}
	spin_unlock_irqrestore(&irq_lock, flags);
	if (err)
		log_error("irq", "line %u: more than %d handlers", line, HANDLERS_PER_LINE);
	return err;
}

void irq_unregister(unsigned line, irq_handler_fn fn, void *ctx)
{
	if (line >= IRQ_LINES)
		return;
	uint64_t flags = spin_lock_irqsave(&irq_lock);
	bool any = false;
	for (unsigned i = 0; i < HANDLERS_PER_LINE; i++) {
		if (handlers[line][i].fn == fn && handlers[line][i].ctx == ctx)
			handlers[line][i] = (struct handler){ NULL, NULL };
		any |= handlers[line][i].fn != NULL;
	}
	if (!any && line != 0) {
		if (apic_lines & (1u << line)) {
			ioapic_set_masked(line, true);
		} else {
			mask |= (uint16_t)(1u << line);
			write_mask();
		}
	}
	spin_unlock_irqrestore(&irq_lock, flags);
}

unsigned long irq_count(unsigned line) { return line < IRQ_LINES ? counts[line] : 0; }

void pic_hand_over(uint16_t lines)
{
	lines &= (uint16_t)~1u; /* line 0, the PIT tick, stays */
	uint64_t flags = spin_lock_irqsave(&irq_lock);
	for (unsigned line = 1; line < IRQ_LINES; line++)
		if ((lines & (1u << line)) && !(mask & (1u << line)))
			ioapic_set_masked(line, false); /* a handler was registered */
	apic_lines = lines;
	mask |= lines;
	if ((mask & 0xFF00u) == 0xFF00u)
		mask |= 1u << 2; /* nothing left behind the cascade */
	write_mask();
	spin_unlock_irqrestore(&irq_lock, flags);
}

void pic_unmask_timer(void)
{
	uint64_t flags = spin_lock_irqsave(&irq_lock);
	unmask(0);
	spin_unlock_irqrestore(&irq_lock, flags);
}

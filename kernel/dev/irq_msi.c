/*
 * irq_msi.c - message-signalled interrupts (irq.h): IRQ_MSI_VECTORS vectors
 * of their own (VEC_MSI_BASE..), handed out one per device, each with its
 * message (the boot CPU's local APIC as the address, the vector as the
 * data: fixed delivery, edge) for pci_msi_enable.  An MSI arrives like a
 * line's interrupt (trap_dispatch -> irq_msi_dispatch): the handler runs
 * with interrupts off and acknowledges the device, then the local APIC
 * takes its end-of-interrupt.  An edge has nothing to storm: a device the
 * handler did not quiet sends no further message.
 */
#include "irq.h"

#include "lock.h"
#include "log.h"
#include "smp.h"
#include "trap.h"

#define MSI_ADDRESS_BASE 0xFEE00000u   /* local APIC message area; dest id at bits 12-19 */

struct msi_slot {
	irq_handler_fn fn;
	void *ctx;
	unsigned long count;
	bool seen;
};

static struct msi_slot slots[IRQ_MSI_VECTORS];
static struct spinlock msi_lock = SPINLOCK_INIT;

int irq_msi_alloc(irq_handler_fn fn, void *ctx, unsigned *vector, uint32_t *address,
		  uint16_t *data)
{
	uint8_t apic_id;
	if (!fn || !vector || !address || !data)
		return TH_EINVAL;
	int err = smp_msi_target(&apic_id);
	if (err)
		return err;
	uint64_t flags = spin_lock_irqsave(&msi_lock);
	err = TH_EFULL;
	for (unsigned i = 0; i < IRQ_MSI_VECTORS; i++) {
		if (!slots[i].fn) {
			slots[i] = (struct msi_slot){ fn, ctx, 0, false };
			*vector = VEC_MSI_BASE + i;
			*address = MSI_ADDRESS_BASE | (uint32_t)apic_id << 12;
			*data = (uint16_t)(VEC_MSI_BASE + i);   /* fixed, edge */
			err = TH_OK;
			break;
		}
	}
	spin_unlock_irqrestore(&msi_lock, flags);
	return err;
}

void irq_msi_free(unsigned vector)
{
	if (vector < VEC_MSI_BASE || vector >= VEC_MSI_BASE + IRQ_MSI_VECTORS)
		return;
	uint64_t flags = spin_lock_irqsave(&msi_lock);
	slots[vector - VEC_MSI_BASE] = (struct msi_slot){ NULL, NULL, 0, false };
	spin_unlock_irqrestore(&msi_lock, flags);
}

unsigned long irq_msi_count(unsigned vector)
{
	if (vector < VEC_MSI_BASE || vector >= VEC_MSI_BASE + IRQ_MSI_VECTORS)
		return 0;
	return slots[vector - VEC_MSI_BASE].count;
}

void irq_msi_dispatch(unsigned vector)
{
	if (vector >= VEC_MSI_BASE && vector < VEC_MSI_BASE + IRQ_MSI_VECTORS) {
		struct msi_slot *s = &slots[vector - VEC_MSI_BASE];
		s->count++;
		if (s->fn)
			s->fn(s->ctx);
		if (!s->seen) {
			s->seen = true;
			log_info("irq", "vector %u: first message-signalled interrupt", vector);
		}
	}
	smp_local_eoi();
}

/*
 * ioapic_route.c - where a legacy interrupt line arrives at the I/O APIC and
 * how its redirection entry is encoded (see ioapic.h).  Pure: no hardware,
 * shared by the kernel and the host test tests/unit/ioapic_test.c.
 */
#include "ioapic.h"

int ioapic_route_line(const struct acpi_madt_info *info, unsigned line, bool pci,
		      struct ioapic_route *out)
{
	if (!info || !out || line > 15)
		return TH_EINVAL;
	struct ioapic_route r = { .gsi = line, .level = pci, .active_low = pci };
	size_t n = info->override_count < ACPI_OVERRIDES_MAX ? info->override_count : ACPI_OVERRIDES_MAX;
	for (size_t i = 0; i < n; i++) {
		const struct acpi_override *o = &info->overrides[i];
		if (o->source != line)
			continue;
		unsigned pol = o->flags & INTI_POLARITY_MASK, trig = o->flags & INTI_TRIGGER_MASK;
		if (pol == 0x2u || trig == 0x8u)
			return TH_EINVAL; /* reserved values */
		r.gsi = o->gsi;
		if (pol)
			r.active_low = pol == INTI_POLARITY_LOW;
		if (trig)
			r.level = trig == INTI_TRIGGER_LEVEL;
		r.overridden = true;
		break;
	}
	size_t na = info->ioapic_count < ACPI_IOAPICS_MAX ? info->ioapic_count : ACPI_IOAPICS_MAX;
	bool found = false;
	for (size_t i = 0; i < na; i++) {
		const struct acpi_ioapic *a = &info->ioapics[i];
		if (a->gsi_base <= r.gsi && (!found || a->gsi_base > info->ioapics[r.apic].gsi_base)) {
			r.apic = (unsigned)i;
			found = true;
		}
	}
	if (!found)
		return TH_ENOENT;
	r.pin = r.gsi - info->ioapics[r.apic].gsi_base;
	*out = r;
	return TH_OK;
}

uint64_t ioapic_entry(uint8_t vector, const struct ioapic_route *r, bool masked, uint8_t dest)
{
	uint32_t lo = vector; /* fixed delivery, physical destination */
	if (r->active_low)
		lo |= IOAPIC_RTE_ACTIVE_LOW;
	if (r->level)
		lo |= IOAPIC_RTE_LEVEL;
	if (masked)
		lo |= IOAPIC_RTE_MASKED;
	return (uint64_t)dest << 56 | lo;
}

/*
 * ioapic_test.c - host tests of the I/O APIC routing (kernel/smp/
 * ioapic_route.c): the interrupt source override lookup (GSI, polarity and
 * trigger from the MPS INTI flags, bus defaults for ISA and PCI), the
 * choice of I/O APIC by GSI base, refusals, and the redirection entry
 * encoding.
 */
#include "check.h"
#include "ioapic.h"

/* QEMU's MADT: one I/O APIC at GSI 0, IRQ 0 -> GSI 2, IRQs 5, 9, 10, 11
 * level-triggered active-high. */
static struct acpi_madt_info qemu(void)
{
	struct acpi_madt_info m = { 0 };
	m.ioapic_count = 1;
	m.ioapics[0] = (struct acpi_ioapic){ 0, 0xFEC00000u, 0 };
	m.overrides[m.override_count++] = (struct acpi_override){ 0, 2, 0 };
	static const uint8_t pci[] = { 5, 9, 10, 11 };
	for (unsigned i = 0; i < sizeof pci; i++)
		m.overrides[m.override_count++] = (struct acpi_override){ pci[i], pci[i], 0xd };
	return m;
}

static void test_isa_defaults(void)
{
	struct acpi_madt_info m = qemu();
	struct ioapic_route r;
	CHECK_EQ(ioapic_route_line(&m, 4, false, &r), TH_OK);
	CHECK_EQ(r.gsi, 4);
	CHECK_EQ(r.pin, 4);
	CHECK(!r.level && !r.active_low && !r.overridden);
}

static void test_override_moves_gsi(void)
{
	struct acpi_madt_info m = qemu();
	struct ioapic_route r;
	CHECK_EQ(ioapic_route_line(&m, 0, false, &r), TH_OK);
	CHECK_EQ(r.gsi, 2);
	CHECK_EQ(r.pin, 2);
	CHECK(r.overridden && !r.level && !r.active_low); /* flags 0: ISA bus defaults */
}

static void test_override_flags_win_over_pci_defaults(void)
{
	struct acpi_madt_info m = qemu();
	struct ioapic_route r;
	CHECK_EQ(ioapic_route_line(&m, 11, true, &r), TH_OK);
	CHECK(r.level && !r.active_low && r.overridden); /* 0xd: level, active-high */
	m.overrides[4].flags = INTI_TRIGGER_EDGE | INTI_POLARITY_LOW;
	CHECK_EQ(ioapic_route_line(&m, 11, true, &r), TH_OK);
	CHECK(!r.level && r.active_low);
}

static void test_pci_defaults(void)
{
	struct acpi_madt_info m = qemu();
	struct ioapic_route r;
	CHECK_EQ(ioapic_route_line(&m, 7, true, &r), TH_OK); /* no override */
	CHECK(r.level && r.active_low && !r.overridden);
	m.overrides[0] = (struct acpi_override){ 7, 7, INTI_POLARITY_HIGH }; /* trigger conforms */
	CHECK_EQ(ioapic_route_line(&m, 7, true, &r), TH_OK);
	CHECK(r.level && !r.active_low);
	CHECK_EQ(ioapic_route_line(&m, 7, false, &r), TH_OK);
	CHECK(!r.level && !r.active_low);
}

static void test_reserved_flags_refused(void)
{
	struct acpi_madt_info m = qemu();
	struct ioapic_route r = { .pin = 99 };
	m.overrides[1].flags = 0x2; /* IRQ 5: reserved polarity */
	CHECK_EQ(ioapic_route_line(&m, 5, true, &r), TH_EINVAL);
	m.overrides[1].flags = 0x8; /* reserved trigger */
	CHECK_EQ(ioapic_route_line(&m, 5, true, &r), TH_EINVAL);
	CHECK_EQ(r.pin, 99); /* untouched on error */
	CHECK_EQ(ioapic_route_line(&m, 16, false, &r), TH_EINVAL);
	CHECK_EQ(ioapic_route_line(NULL, 1, false, &r), TH_EINVAL);
	CHECK_EQ(ioapic_route_line(&m, 1, false, NULL), TH_EINVAL);
}

static void test_choice_of_ioapic(void)
{
	struct acpi_madt_info m = { 0 };
	m.ioapic_count = 2;
	m.ioapics[0] = (struct acpi_ioapic){ 8, 0xFEC01000u, 24 }; /* listed first, higher base */
	m.ioapics[1] = (struct acpi_ioapic){ 9, 0xFEC00000u, 0 };
	struct ioapic_route r;
	CHECK_EQ(ioapic_route_line(&m, 3, false, &r), TH_OK);
	CHECK_EQ(r.apic, 1);
	CHECK_EQ(r.pin, 3);
	m.overrides[m.override_count++] = (struct acpi_override){ 3, 30, 0 };
	CHECK_EQ(ioapic_route_line(&m, 3, false, &r), TH_OK);
	CHECK_EQ(r.apic, 0);
	CHECK_EQ(r.pin, 6);
	m.ioapics[1].gsi_base = 4; /* nothing serves GSI 1 */
	CHECK_EQ(ioapic_route_line(&m, 1, false, &r), TH_ENOENT);
	m.ioapic_count = 0;
	CHECK_EQ(ioapic_route_line(&m, 3, false, &r), TH_ENOENT);
	m.ioapic_count = 1000; /* a count past the array is clamped */
	m.override_count = 1000;
	CHECK_EQ(ioapic_route_line(&m, 3, false, &r), TH_OK);
	CHECK_EQ(ioapic_route_line(&m, 4, false, &r), TH_OK); /* searched all 16, no further */
	CHECK_EQ(r.gsi, 4);
}

static void test_entry_encoding(void)
{
	struct ioapic_route edge = { 0 }, level = { .level = true, .active_low = true };
	CHECK_EQ(ioapic_entry(33, &edge, false, 0), 33);
	CHECK_EQ(ioapic_entry(33, &edge, true, 0), 33 | IOAPIC_RTE_MASKED);
	uint64_t e = ioapic_entry(43, &level, false, 3);
	CHECK_EQ(e & 0xff, 43);
	CHECK_EQ(e & IOAPIC_RTE_DELIVERY_MASK, 0); /* fixed */
	CHECK_EQ(e & (1u << 11), 0);               /* physical destination */
	CHECK(e & IOAPIC_RTE_LEVEL);
	CHECK(e & IOAPIC_RTE_ACTIVE_LOW);
	CHECK(!(e & IOAPIC_RTE_MASKED));
	CHECK_EQ(e >> 56, 3);
	CHECK_EQ((e >> 17) & ((1ull << 39) - 1), 0); /* reserved bits clear */
}

int main(void)
{
	RUN(test_isa_defaults);
	RUN(test_override_moves_gsi);
	RUN(test_override_flags_win_over_pci_defaults);
	RUN(test_pci_defaults);
	RUN(test_reserved_flags_refused);
	RUN(test_choice_of_ioapic);
	RUN(test_entry_encoding);
	return check_summary("ioapic_test");
}

# kernel/smp/smp.mk - several CPUs: the ACPI MADT, FADT and MP table parsers and
# the I/O APIC routing (host-tested), the bring-up of the other CPUs and
# the I/O APIC driver (kernel only).

KERNEL_SRCS += kernel/smp/acpi_madt.c kernel/smp/acpi_fadt.c kernel/smp/mptable.c kernel/smp/ioapic_route.c

UNIT_TESTS += $(B)/tests/unit/ioapic_test
IOAPIC_TEST_SRCS := tests/unit/ioapic_test.c kernel/smp/ioapic_route.c
$(B)/tests/unit/ioapic_test: $(IOAPIC_TEST_SRCS) kernel/include/ioapic.h kernel/include/acpi.h tests/unit/check.h | setup
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ $(IOAPIC_TEST_SRCS)

UNIT_TESTS += $(B)/tests/unit/madt_test
MADT_TEST_SRCS := tests/unit/madt_test.c kernel/smp/acpi_madt.c kernel/smp/acpi_fadt.c kernel/smp/mptable.c kernel/lib/err.c kernel/lib/errbuf.c
$(B)/tests/unit/madt_test: $(MADT_TEST_SRCS) kernel/include/acpi.h tests/unit/check.h | setup
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ $(MADT_TEST_SRCS)
KERNEL_SRCS += kernel/smp/smp.c kernel/smp/acpi_locate.c kernel/smp/lapic.c kernel/smp/ioapic.c kernel/smp/trampoline.S kernel/smp/stop.c

FUZZ_TARGETS += $(B)/fuzz/firmware_tables
$(B)/fuzz/firmware_tables: tests/fuzz/firmware_tables_fuzz.c kernel/smp/acpi_madt.c kernel/smp/acpi_fadt.c kernel/smp/mptable.c kernel/dev/pci_caps.c \
		kernel/lib/err.c kernel/lib/errbuf.c tests/fuzz/firmware_tables_seeds.py | setup
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(TEST_INC) -o $@ $(filter %.c,$^)
	python3 tests/fuzz/firmware_tables_seeds.py $(B)/fuzz/firmware_tables.corpus

# tests/tests.mk - `make test`, `make bench`, `make fuzz`.
# Unit suites (UNIT_TESTS), fuzz targets (FUZZ_TARGETS) and benchmarks
# (BENCHES) are listed by each component's fragment; tests/run runs them all
# plus the QEMU tests in tests/qemu/ and prints one "N passed, N failed" line.

FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10

UNIT_TESTS += $(B)/tests/unit/boot_test $(B)/tests/unit/mm_test
BOOT_TEST_SRCS := tests/unit/boot_test.c kernel/boot/multiboot.c kernel/lib/cmdline.c \
	kernel/lib/cmdline_check.c kernel/boot/options.c kernel/lib/err.c kernel/lib/errbuf.c
MM_TEST_SRCS := tests/unit/mm_test.c kernel/mm/frame.c kernel/mm/heap.c kernel/mm/ramcover.c \
	tests/unit/host_log.c \
	kernel/lib/err.c
$(B)/tests/unit/boot_test: $(BOOT_TEST_SRCS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ $(BOOT_TEST_SRCS)
$(B)/tests/unit/mm_test: $(MM_TEST_SRCS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ $(MM_TEST_SRCS)

# fmt_test includes kernel/lib/fmt.c itself (renaming vsnprintf/snprintf).
UNIT_TESTS += $(B)/tests/unit/fmt_test
$(B)/tests/unit/fmt_test: tests/unit/fmt_test.c kernel/lib/fmt.c tests/unit/check.h | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ tests/unit/fmt_test.c

# What klog() does to a line's control bytes (kernel/core/log_escape.c).
UNIT_TESTS += $(B)/tests/unit/log_escape_test
$(B)/tests/unit/log_escape_test: tests/unit/log_escape_test.c kernel/core/log_escape.c kernel/include/log.h \
		tests/unit/check.h | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ tests/unit/log_escape_test.c kernel/core/log_escape.c

# kstring_test includes kernel/lib/string.c itself (renaming mem* / str*);
# -fno-tree-loop-distribute-patterns keeps gcc from turning the loops under
# test into calls to the C library's own memmove / memset.
UNIT_TESTS += $(B)/tests/unit/kstring_test
$(B)/tests/unit/kstring_test: tests/unit/kstring_test.c kernel/lib/string.c tests/unit/check.h | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -fno-builtin -fno-tree-loop-distribute-patterns \
		-o $@ tests/unit/kstring_test.c

# The PCI capability walk and MSI layout (kernel/dev/pci_caps.c).
UNIT_TESTS += $(B)/tests/unit/pci_caps_test
$(B)/tests/unit/pci_caps_test: tests/unit/pci_caps_test.c kernel/dev/pci_caps.c kernel/include/pci.h \
		tests/unit/check.h | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ $(filter %.c,$^)

UNIT_TESTS += $(B)/tests/unit/ktime_test
$(B)/tests/unit/ktime_test: tests/unit/ktime_test.c kernel/include/ktime.h tests/unit/check.h | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ tests/unit/ktime_test.c

UNIT_TESTS += $(B)/tests/unit/guard_due_test
$(B)/tests/unit/guard_due_test: tests/unit/guard_due_test.c kernel/include/guard.h tests/unit/check.h | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ tests/unit/guard_due_test.c

FUZZ_TARGETS += $(B)/fuzz/bootinfo
$(B)/fuzz/bootinfo: tests/fuzz/bootinfo_fuzz.c kernel/boot/multiboot.c kernel/lib/cmdline.c \
		kernel/lib/err.c kernel/lib/errbuf.c | setup
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(TEST_INC) -o $@ $^

FUZZ_TARGETS += $(B)/fuzz/cmdline
$(B)/fuzz/cmdline: tests/fuzz/cmdline_fuzz.c kernel/lib/cmdline.c kernel/lib/cmdline_check.c \
		kernel/boot/options.c net/net_config.c kernel/lib/err.c kernel/lib/errbuf.c | setup
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(TEST_INC) -o $@ $^

# The profiler's report (kernel/core/profile_agg.c) with a fake resolver.
UNIT_TESTS += $(B)/tests/unit/profile_agg_test
$(B)/tests/unit/profile_agg_test: tests/unit/profile_agg_test.c kernel/core/profile_agg.c \
		kernel/include/profile.h tests/unit/check.h | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ tests/unit/profile_agg_test.c \
		kernel/core/profile_agg.c

# ---- tasks and scheduler (issue 6): host tests of the policy modules ---------
# Both policies export sched_policy_ops (they are versions of module "sched"):
# the host test links them side by side under distinct names.
UNIT_TESTS += $(B)/tests/unit/sched_policy_test
define SCHED_POLICY_HOST_OBJ
$(B)/tests/unit/sched_$(1)_policy.o: modules/sched_$(1)/sched_$(1).c kernel/include/sched_policy.h | setup
	@mkdir -p $$(dir $$@)
	$$(HOST_CC) $$(HOST_CFLAGS) $$(HOST_SAN) $$(TEST_INC) -Imodules -Dsched_policy_ops=sched_$(1)_ops -c -o $$@ $$<
endef
$(foreach p,rr prio,$(eval $(call SCHED_POLICY_HOST_OBJ,$(p))))
$(B)/tests/unit/sched_policy_test: tests/unit/sched_policy_test.c $(B)/tests/unit/sched_rr_policy.o \
		$(B)/tests/unit/sched_prio_policy.o tests/unit/check.h | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -Imodules -o $@ $(filter-out %.h,$^)

# The include rules of shared/design.md ("who may include whom").
UNIT_TESTS += $(B)/tests/unit/layering
$(B)/tests/unit/layering: tools/check-layering
	@mkdir -p $(dir $@)
	printf '#!/bin/sh\n# see tools/check-layering\nexec %s\n' $(abspath tools/check-layering) > $@
	chmod +x $@

# The targets below use the lists above: keep every list addition above here.
TEST_DEPS = $(UNIT_TESTS) $(FUZZ_TARGETS) $(B)/theseus.elf $(B)/theseus-test.elf $(B)/theseus.iso $(HOST_TOOLS) \
	$(MODULE_OBJS) $(TEST_EXTRA_DEPS)

test: $(TEST_DEPS) | setup
	python3 tests/run --unit $(UNIT_TESTS) --fuzz $(FUZZ_TARGETS) --fuzz-seconds $(FUZZ_SMOKE_SECONDS)

fuzz: $(FUZZ_TARGETS) | setup
	python3 tests/run --only-fuzz --fuzz $(FUZZ_TARGETS) --fuzz-seconds $(FUZZ_SECONDS)

bench: $(BENCHES) $(B)/theseus.elf $(HOST_TOOLS) $(MODULE_OBJS) \
		$(TEST_EXTRA_DEPS) | setup
	python3 tests/bench/run --out $(B)/bench/results.txt $(if $(BENCH_ONLY),--only $(BENCH_ONLY)) $(BENCHES)

# `make faultbench`: the fault injection campaign (FAULTBENCH_FAULTS, 500)
# against one kernel; survival and recovery figures in build/bench/faultbench.*
.PHONY: faultbench
faultbench: $(B)/theseus.elf $(HOST_TOOLS) $(MODULE_OBJS) | setup
	python3 tests/bench/faultbench.py


# `make mutants [ONLY=id-substring]`: the curated mutation check.  Every entry
# of tests/mutants/list is applied in a scratch copy of the tree (build/mutants/)
# and must be caught by its test subset; the unmutated tree is checked first.
.PHONY: mutants mutants-qemu-deps
mutants: | setup
	python3 tests/mutants/run $(if $(ONLY),--only='$(ONLY)')
# What a `qemu PATTERN` entry rebuilds before running tests/run --only PATTERN.
mutants-qemu-deps: $(B)/theseus.elf $(B)/theseus-test.elf $(B)/theseus.iso $(HOST_TOOLS) \
	$(MODULE_OBJS) $(TEST_EXTRA_DEPS)

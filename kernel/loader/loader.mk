# kernel/loader/loader.mk - the module loader and linker (kernel/loader/):
# its kernel sources, its checks as a host library (for lint), its host unit
# test and its fuzzer.  Builds only kernel/loader/.
#
#   make build/tests/unit/loader_test && build/tests/unit/loader_test
#   make build/fuzz/loader_elf    libFuzzer target; seeds in build/fuzz/loader_elf.corpus/
#
# Exports: LOADER_SRCS, LOADER_HDRS (to the swap engine's test), and the check
# library LOADER_LINT_SRCS / LOADER_LINT_DEPS / LOADER_LINT_INC (to theseusctl).

LOADER_SRCS := kernel/loader/elf_parse.c kernel/loader/reloc.c kernel/loader/symtab.c \
	kernel/loader/layout_plan.c kernel/loader/relocate.c kernel/loader/records.c \
	kernel/loader/layout.c kernel/loader/deps.c kernel/loader/loader.c \
	kernel/loader/introspect.c kernel/loader/relink.c kernel/loader/lint.c \
	kernel/loader/stage.c kernel/loader/retire_set.c kernel/loader/funcs.c kernel/loader/ctors.c
LOADER_HDRS := kernel/include/loader.h kernel/loader/loader_impl.h \
	kernel/include/module_abi.h kernel/include/klibc.h kernel/include/err.h

KERNEL_SRCS += $(LOADER_SRCS)

# ---- the loader's checks as a host library (for lint) -------------------------
# Exported to theseusctl (`theseusctl lint`; build/theseus-lint is the same
# program under another name): the loader's own validation code.
LOADER_LINT_SRCS := kernel/loader/lint.c kernel/loader/elf_parse.c kernel/loader/reloc.c \
	kernel/loader/layout_plan.c kernel/loader/relocate.c kernel/loader/records.c
LOADER_LINT_DEPS := $(LOADER_LINT_SRCS) $(LOADER_HDRS)
LOADER_LINT_INC := -Ikernel/include -Ikernel/loader

# ---- host unit test ------------------------------------------------------------
LOADER_TEST_SRCS := tests/unit/loader_test.c tests/unit/loader_hostenv.c \
	tests/unit/modmem_host.c tests/unit/modcall_host.c tests/unit/host_log.c $(LOADER_SRCS) \
	kernel/lib/err.c kernel/lib/errbuf.c $(wildcard statedb/statedb_*.c)
UNIT_TESTS += $(B)/tests/unit/loader_test
$(B)/tests/unit/loader_test: $(LOADER_TEST_SRCS) $(LOADER_HDRS) tests/unit/loader_hostenv.h tests/unit/test_objs.h \
		$(LOADER_TEST_OBJS) $(MODULE_OBJS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -Ikernel/loader \
		-DLOADER_TEST_OBJDIR='"$(CURDIR)/$(B)/tests/objs"' \
		-DLOADER_TEST_MODDIR='"$(CURDIR)/$(B)/modules"' \
		-o $@ $(LOADER_TEST_SRCS)

# Exports, private symbols, weak definitions, API version (module API 2),
# refusals that say what to change, constructors, and lint's link step (the
# kernel's verdict once it places a module): suites over the same sources.
LOADER_SUITES := loader_exports_test loader_refusals_test loader_ctors_test loader_lint_test
UNIT_TESTS += $(LOADER_SUITES:%=$(B)/tests/unit/%)
$(LOADER_SUITES:%=$(B)/tests/unit/%): $(B)/tests/unit/%: tests/unit/%.c \
		$(filter-out tests/unit/loader_test.c,$(LOADER_TEST_SRCS)) $(LOADER_HDRS) \
		tests/unit/loader_hostenv.h tests/unit/test_objs.h $(LOADER_TEST_OBJS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -Ikernel/loader \
		-DLOADER_TEST_OBJDIR='"$(CURDIR)/$(B)/tests/objs"' -o $@ $< \
		$(filter-out tests/unit/loader_test.c,$(LOADER_TEST_SRCS))

# ---- fuzzer ----------------------------------------------------------------------
LOADER_FUZZ_SRCS := tests/fuzz/loader_elf_fuzz.c tests/unit/modmem_host.c tests/unit/modcall_host.c \
	$(LOADER_SRCS) kernel/lib/err.c kernel/lib/errbuf.c
FUZZ_TARGETS += $(B)/fuzz/loader_elf
$(B)/fuzz/loader_elf: $(LOADER_FUZZ_SRCS) $(LOADER_HDRS) $(LOADER_TEST_OBJS) $(MODULE_OBJS) \
		tests/fuzz/loader_regressions.py
	@mkdir -p $(@D) $@.corpus
	cp $(LOADER_TEST_OBJS) $(MODULE_OBJS) $@.corpus/
	python3 tests/fuzz/loader_regressions.py $(B)/modules/hello.o $@.corpus
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(TEST_INC) -o $@ $(LOADER_FUZZ_SRCS)

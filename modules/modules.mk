# modules/modules.mk - the module loader/linker (kernel/loader), the modules,
# theseus-lint, and the loader's host tests and fuzzer.
#
#   make modules                  build/modules/<name>.o for each name in MODULES
#   make build/theseus-lint       host checker (theseusctl lint under another name)
#   make build/tests/unit/loader_test && build/tests/unit/loader_test
#   make build/fuzz/loader_elf    libFuzzer target; seeds in build/fuzz/loader_elf.corpus/
#
# Writing a module: make a folder modules/<name>/ with .c files that include
# "theseus.h" and declare TH_MODULE("<name>", "1.0", "what it does", .init = f),
# and add <name> to MODULES below.  Each folder becomes one `ld -r` object.

MODULES := checksum logfmt kv hello hello_v2 sched_rr sched_prio swapcaller hello_broken \
	faulty faulty_init sched_faulty faulty_v2 faulty_xfer
MODULE_OBJS := $(MODULES:%=$(B)/modules/%.o)
# Boot modules of the GRUB ISO (`make run`) and the demo: one version of each.
BOOT_MODULES ?= checksum logfmt kv hello sched_rr sched_prio
# The kernel's flags (small code model, -fno-pic, -fno-common, no red zone):
# the loader handles exactly the relocations this produces.  -Imodules lets a
# module include another's API header as "checksum/checksum.h".
MODULE_CFLAGS = $(KERNEL_CFLAGS) -Imodules

LOADER_SRCS := kernel/loader/elf_parse.c kernel/loader/reloc.c kernel/loader/symtab.c \
	kernel/loader/layout.c kernel/loader/deps.c kernel/loader/loader.c \
	kernel/loader/introspect.c kernel/loader/relink.c kernel/loader/lint.c \
	kernel/loader/stage.c kernel/loader/funcs.c
LOADER_HDRS := kernel/include/loader.h kernel/loader/loader_impl.h \
	kernel/include/module_abi.h kernel/include/klibc.h kernel/include/err.h

KERNEL_SRCS += $(LOADER_SRCS)

.PHONY: modules
modules: $(MODULE_OBJS)
all: modules

# One relocatable object per module folder.
define MODULE_RULE
$(B)/modules/$(1).o: $(patsubst modules/$(1)/%.c,$(B)/modules/$(1)/%.o,$(wildcard modules/$(1)/*.c))
	@mkdir -p $$(@D)
	ld -r -o $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call MODULE_RULE,$(m))))

$(B)/modules/%.o: modules/%.c
	@mkdir -p $(@D)
	$(KERNEL_CC) $(MODULE_CFLAGS) -MMD -MP -c -o $@ $<

-include $(wildcard $(B)/modules/*/*.d)

# ---- the loader's checks as a host library (for lint) -------------------------
# Exported to theseusctl (`theseusctl lint`; build/theseus-lint is the same
# program under another name): the loader's own validation code.
LOADER_LINT_SRCS := kernel/loader/lint.c kernel/loader/elf_parse.c kernel/loader/reloc.c
LOADER_LINT_DEPS := $(LOADER_LINT_SRCS) $(LOADER_HDRS)
LOADER_LINT_INC := -Ikernel/include -Ikernel/loader

# ---- test objects: small modules the loader tests load from file -------------
LOADER_TEST_OBJS := $(patsubst tests/unit/objs/%.c,$(B)/tests/objs/%.o,$(wildcard tests/unit/objs/*.c))
TEST_EXTRA_DEPS += $(LOADER_TEST_OBJS)
$(B)/tests/objs/%.o: tests/unit/objs/%.c kernel/include/theseus.h kernel/include/module_abi.h
	@mkdir -p $(@D)
	$(KERNEL_CC) $(MODULE_CFLAGS) -c -o $@ $<

# ---- host unit test ------------------------------------------------------------
LOADER_TEST_SRCS := tests/unit/loader_test.c tests/unit/loader_hostenv.c \
	tests/unit/modmem_host.c tests/unit/modcall_host.c tests/unit/host_log.c $(LOADER_SRCS) \
	kernel/lib/err.c kernel/lib/errbuf.c $(wildcard statedb/statedb_*.c)
UNIT_TESTS += $(B)/tests/unit/loader_test
$(B)/tests/unit/loader_test: $(LOADER_TEST_SRCS) $(LOADER_HDRS) tests/unit/loader_hostenv.h \
		$(LOADER_TEST_OBJS) $(MODULE_OBJS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -Ikernel/loader \
		-DLOADER_TEST_OBJDIR='"$(CURDIR)/$(B)/tests/objs"' \
		-DLOADER_TEST_MODDIR='"$(CURDIR)/$(B)/modules"' \
		-o $@ $(LOADER_TEST_SRCS)

# ---- swap engine host test (kernel/swap + kernel/loader/stage.c) ---------------
SWAP_SRCS := kernel/swap/swap.c kernel/swap/swap_load.c kernel/swap/swap_txn.c \
	kernel/swap/swap_obj.c kernel/swap/swap_track.c kernel/swap/swap_notify.c \
	kernel/swap/swap_retire.c kernel/swap/swap_history.c kernel/lib/sha256.c
SWAP_TEST_SRCS := tests/unit/swap_test.c tests/unit/swap_plat_host.c tests/unit/loader_hostenv.c \
	tests/unit/modmem_host.c tests/unit/modcall_host.c tests/unit/host_log.c $(SWAP_SRCS) $(LOADER_SRCS) \
	kernel/lib/err.c kernel/lib/errbuf.c $(wildcard statedb/statedb_*.c)
UNIT_TESTS += $(B)/tests/unit/swap_test
$(B)/tests/unit/swap_test: $(SWAP_TEST_SRCS) $(LOADER_HDRS) kernel/include/swap.h \
		kernel/swap/swap_impl.h tests/unit/swap_plat_host.h $(LOADER_TEST_OBJS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) \
		-DSWAP_TEST_OBJDIR='"$(CURDIR)/$(B)/tests/objs"' -o $@ $(SWAP_TEST_SRCS) -lbearssl

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

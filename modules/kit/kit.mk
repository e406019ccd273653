# modules/kit/kit.mk - the module kit: building modules outside the source
# tree, and installing what that needs.
#
#   make -C <tree> M=<dir>        builds every .c and .cpp in <dir> into <dir>/<name>.o
#                                 (without debug info; <dir>/<name>.debug has it)
#                                 (<name> = basename of <dir>), like Linux's
#                                 external modules; `make -C <tree> M=<dir> clean`
#   make install [PREFIX=/usr/local] [DESTDIR=...]
#       include/theseus/          the module API headers (theseus.h and what it uses;
#                                 <new>: placement new for C++; the freestanding
#                                 stddef.h, stdint.h, stdarg.h, stdbool.h; kit_mark.h)
#       lib/pkgconfig/theseus-module.pc    Cflags for C (pkg-config --cflags), and
#                                          for C++ (pkg-config --variable=cxxflags)
#       share/theseus/theseus-module.mk    a makefile fragment for module projects
#       share/theseus/exports.txt          the kernel's export list and module ABI
#       bin/theseus-lint          (with theseusctl, by ctl/ctl.mk)
#
# KIT_CFLAGS are the kernel's own flags for modules (small code model, no
# PIC, no red zone, no SSE, freestanding) plus THESEUS_MODULE_KIT (theseus.h
# refuses to compile without it) and the marker symbol the loader finds in
# every file they compiled (KIT_MARK_FLAG, modules/modules.mk).

KIT_CFLAGS := $(filter-out -I% -Werror,$(KERNEL_CFLAGS)) -fstack-clash-protection \
	-DTHESEUS_MODULE_KIT=1 $(KIT_MARK_FLAG)
# The installed flags (theseus-module.pc) name no compiler's own directory:
# the kit ships the freestanding headers the module API uses (modules/kit/
# include/) and the marker header, so gcc and clang both build with them.
KIT_GCC_INC := $(shell $(KERNEL_CC) -print-file-name=include)
KIT_PC_CFLAGS := $(filter-out -isystem $(KIT_GCC_INC) $(KIT_MARK_FLAG),$(KIT_CFLAGS))
# C++ (*.cpp): the same, as GNU C++17 without exceptions, RTTI or guarded
# statics (each would need a runtime the kernel does not have).
KIT_CXX ?= g++
KIT_CXXFLAGS := $(filter-out -std=%,$(KIT_CFLAGS)) -std=gnu++17 -fno-exceptions -fno-rtti \
	-fno-threadsafe-statics
KIT_PC_CXXFLAGS := $(filter-out -std=%,$(KIT_PC_CFLAGS)) -std=gnu++17 -fno-exceptions -fno-rtti \
	-fno-threadsafe-statics
KIT_HEADERS := kernel/include/theseus.h kernel/include/err.h kernel/include/klibc.h \
	kernel/include/heap.h kernel/include/log.h kernel/include/module_abi.h \
	kernel/include/sched_policy.h kernel/include/task_module.h kernel/include/nic_driver.h \
	kernel/include/udp_service.h statedb/statedb.h kernel/include/new \
	kernel/include/kit_mark.h $(wildcard modules/kit/include/*.h)
KIT_OUT := $(B)/kit

# The kernel's export list, from its one source (kernel/core/exports.c), with
# the module API version the loader checks.  Checked first: every function
# theseus.h declares to modules must be exported (modules/kit/check-exports.sh).
$(KIT_OUT)/exports.txt: kernel/core/exports.c kernel/include/module_abi.h $(KIT_OUT)/exports.checked
	@mkdir -p $(@D)
	{ echo "# Theseus-C kernel exports: the symbols a module may import."; \
	  echo "module-api $$(sed -n 's/^#define TH_MODULE_API \([0-9]*\).*/\1/p' kernel/include/module_abi.h)"; \
	  grep -v '#define' kernel/core/exports.c | grep -o 'KEXPORT([A-Za-z_0-9]*)' | sed 's/KEXPORT(\(.*\))/\1/'; } > $@
$(KIT_OUT)/exports.checked: modules/kit/check-exports.sh kernel/core/exports.c \
		$(wildcard kernel/include/*.h) statedb/statedb.h | setup
	@mkdir -p $(@D)
	sh modules/kit/check-exports.sh $(KERNEL_CC) kernel/core/exports.c $(KIT_CFLAGS) -Ikernel/include -Istatedb
	touch $@
all: $(KIT_OUT)/exports.txt

$(KIT_OUT)/theseus-module.pc: modules/kit/theseus-module.pc.in Makefile kernel/config.mk \
		modules/kit/kit.mk modules/modules.mk
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@CFLAGS@|$(KIT_PC_CFLAGS)|' \
		-e 's|@CXXFLAGS@|$(KIT_PC_CXXFLAGS)|' $< > $@

.PHONY: kit-install
kit-install: $(KIT_OUT)/exports.txt $(KIT_OUT)/theseus-module.pc modules/kit/theseus-module.mk \
		$(B)/theseusctl
	install -d $(DESTDIR)$(PREFIX)/include/theseus $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/share/theseus $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(B)/theseusctl $(DESTDIR)$(PREFIX)/bin/theseus-lint
	install -m 0644 $(KIT_HEADERS) $(DESTDIR)$(PREFIX)/include/theseus/
	install -m 0644 $(KIT_OUT)/theseus-module.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 0644 modules/kit/theseus-module.mk $(KIT_OUT)/exports.txt \
		$(DESTDIR)$(PREFIX)/share/theseus/
install: kit-install

# ---- make -C <tree> M=<dir> -----------------------------------------------------
ifneq ($(strip $(M)),)
EXT_DIR := $(abspath $(M))
EXT_NAME := $(notdir $(EXT_DIR))
EXT_SRCS := $(wildcard $(EXT_DIR)/*.c)
EXT_CXX_SRCS := $(wildcard $(EXT_DIR)/*.cpp)
EXT_OBJS := $(EXT_SRCS:$(EXT_DIR)/%.c=$(EXT_DIR)/.theseus/%.o) \
	$(EXT_CXX_SRCS:$(EXT_DIR)/%.cpp=$(EXT_DIR)/.theseus/%.o)
EXT_MODULE := $(EXT_DIR)/$(EXT_NAME).o
.DEFAULT_GOAL := external-module
.PHONY: external-module
external-module: $(EXT_MODULE) | setup
	@echo "module: $(EXT_MODULE)"
$(EXT_MODULE): $(EXT_OBJS)
	$(if $(EXT_OBJS),,$(error M=$(M): no .c or .cpp files in $(EXT_DIR)))
	ld -r -o $(EXT_MODULE:.o=.debug) $^
	$(MODULE_STRIP) $(EXT_MODULE:.o=.debug) $@
$(EXT_DIR)/.theseus/%.o: $(EXT_DIR)/%.c $(KIT_HEADERS) | setup
	@mkdir -p $(@D)
	$(KERNEL_CC) $(KIT_CFLAGS) -Ikernel/include -Istatedb -MMD -MP -c -o $@ $<
$(EXT_DIR)/.theseus/%.o: $(EXT_DIR)/%.cpp $(KIT_HEADERS) | setup
	@mkdir -p $(@D)
	$(KIT_CXX) $(KIT_CXXFLAGS) -Ikernel/include -Istatedb -MMD -MP -c -o $@ $<
-include $(EXT_OBJS:.o=.d)
ifneq ($(filter clean,$(MAKECMDGOALS)),)
clean: external-clean
endif
.PHONY: external-clean
external-clean:
	rm -rf $(EXT_DIR)/.theseus $(EXT_MODULE) $(EXT_MODULE:.o=.debug)
endif

# The build check's own test: passes on the tree, names what is missing.
UNIT_TESTS += $(B)/tests/unit/kit_exports_check
$(B)/tests/unit/kit_exports_check: tests/unit/kit_exports_check.sh modules/kit/check-exports.sh
	@mkdir -p $(@D)
	printf '#!/bin/sh\n# see tests/unit/kit_exports_check.sh\nexec %s %s %s %s\n' \
		$(abspath tests/unit/kit_exports_check.sh) $(abspath .) $(KERNEL_CC) '$(KIT_CFLAGS)' > $@
	chmod +x $@

# ---- make debug: QEMU's GDB stub, gdb with the kernel's and modules' symbols --
.PHONY: debug
debug: $(B)/theseus.elf $(MODULE_OBJS) | setup
	tools/debug

# ---- what the QEMU kit test uses: an install into a scratch DESTDIR ------------
# Made before the tests run (tests never run make in the shared tree).
KIT_TEST_DEST := $(B)/tests/kit/dest
TEST_EXTRA_DEPS += $(B)/tests/kit/.done
$(B)/tests/kit/.done: $(KIT_OUT)/exports.txt $(KIT_OUT)/theseus-module.pc modules/kit/theseus-module.mk \
		$(KIT_HEADERS) $(B)/theseusctl
	rm -rf $(KIT_TEST_DEST)
	$(MAKE) --no-print-directory kit-install DESTDIR=$(abspath $(KIT_TEST_DEST)) PREFIX=/usr
	touch $@

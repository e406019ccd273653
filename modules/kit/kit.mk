# modules/kit/kit.mk - the module kit: building modules outside the source
# tree, and installing what that needs.
#
#   make -C <tree> M=<dir>        builds every .c in <dir> into <dir>/<name>.o
#                                 (<name> = basename of <dir>), like Linux's
#                                 external modules; `make -C <tree> M=<dir> clean`
#   make install [PREFIX=/usr/local] [DESTDIR=...]
#       include/theseus/          the module API headers (theseus.h and what it uses)
#       lib/pkgconfig/theseus-module.pc    Cflags for C (pkg-config --cflags)
#       share/theseus/theseus-module.mk    a makefile fragment for module projects
#       share/theseus/exports.txt          the kernel's export list and module ABI
#       bin/theseus-lint          (with theseusctl, by ctl/ctl.mk)
#
# KIT_CFLAGS are the kernel's own flags for modules (small code model, no
# PIC, no red zone, no SSE, freestanding) plus THESEUS_MODULE_KIT; theseus.h
# refuses to compile without them.

KIT_CFLAGS := $(filter-out -I% -Werror,$(KERNEL_CFLAGS)) -DTHESEUS_MODULE_KIT=1
KIT_HEADERS := kernel/include/theseus.h kernel/include/err.h kernel/include/klibc.h \
	kernel/include/heap.h kernel/include/log.h kernel/include/module_abi.h \
	kernel/include/sched_policy.h kernel/include/nic_driver.h kernel/include/udp_service.h statedb/statedb.h
KIT_OUT := $(B)/kit

# The kernel's export list, from its one source (kernel/core/exports.c), with
# the module ABI version the loader checks.
$(KIT_OUT)/exports.txt: kernel/core/exports.c kernel/include/module_abi.h
	@mkdir -p $(@D)
	{ echo "# Theseus-C kernel exports: the symbols a module may import."; \
	  echo "module-abi $$(sed -n 's/^#define TH_MODULE_ABI \([0-9]*\).*/\1/p' kernel/include/module_abi.h)"; \
	  grep -v '#define' kernel/core/exports.c | grep -o 'KEXPORT([a-z_0-9]*)' | sed 's/KEXPORT(\(.*\))/\1/'; } > $@

# (-isystem names this machine's gcc headers: the .pc is made per install.)
$(KIT_OUT)/theseus-module.pc: modules/kit/theseus-module.pc.in Makefile kernel/config.mk
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@CFLAGS@|$(KIT_CFLAGS)|' $< > $@

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
EXT_OBJS := $(EXT_SRCS:$(EXT_DIR)/%.c=$(EXT_DIR)/.theseus/%.o)
EXT_MODULE := $(EXT_DIR)/$(EXT_NAME).o
.DEFAULT_GOAL := external-module
.PHONY: external-module
external-module: $(EXT_MODULE) | setup
	@echo "module: $(EXT_MODULE)"
$(EXT_MODULE): $(EXT_OBJS)
	$(if $(EXT_OBJS),,$(error M=$(M): no .c files in $(EXT_DIR)))
	ld -r -o $@ $^
$(EXT_DIR)/.theseus/%.o: $(EXT_DIR)/%.c $(KIT_HEADERS) | setup
	@mkdir -p $(@D)
	$(KERNEL_CC) $(KIT_CFLAGS) -Ikernel/include -Istatedb -MMD -MP -c -o $@ $<
-include $(EXT_OBJS:.o=.d)
ifneq ($(filter clean,$(MAKECMDGOALS)),)
clean: external-clean
endif
.PHONY: external-clean
external-clean:
	rm -rf $(EXT_DIR)/.theseus $(EXT_MODULE)
endif

# ---- what the QEMU kit test uses: an install into a scratch DESTDIR ------------
# Made before the tests run (tests never run make in the shared tree).
KIT_TEST_DEST := $(B)/tests/kit/dest
TEST_EXTRA_DEPS += $(B)/tests/kit/.done
$(B)/tests/kit/.done: $(KIT_OUT)/exports.txt $(KIT_OUT)/theseus-module.pc modules/kit/theseus-module.mk \
		$(KIT_HEADERS) $(B)/theseusctl
	rm -rf $(KIT_TEST_DEST)
	$(MAKE) --no-print-directory kit-install DESTDIR=$(abspath $(KIT_TEST_DEST)) PREFIX=/usr
	touch $@

# kernel/kernel.mk - build rules of the kernel image build/theseus.elf, the
# test image build/theseus-test.elf (the same kernel plus the self-tests of
# tests/kernel/) and the GRUB ISO build/theseus.iso (variables: kernel/config.mk).

KOBJ := $(B)/kernel
KERNEL_OBJS = $(patsubst %.c,$(KOBJ)/%.o,$(patsubst %.S,$(KOBJ)/%.o,$(KERNEL_SRCS)))
KERNEL_EXTRA_OBJS ?=
KERNEL_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,kernel/arch/linker.ld \
	-Wl,-z,max-page-size=0x1000 -Wl,--build-id=none -Wl,-z,noexecstack
KERNEL_CMDLINE ?=

$(KOBJ)/%.o: %.c | setup
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(KERNEL_CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

$(KOBJ)/%.o: %.S | setup
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(KERNEL_CC) $(KERNEL_ASFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(KOBJ) -name '*.d' 2>/dev/null)

# Two link passes: the second embeds the kernel's own symbol table (text
# symbols of the first pass) for backtraces.  The table sits in .rodata, after
# .text, so text addresses are the same in both passes (checked).
# $(call KERNEL_IMAGE,NAME,OBJS,CHECK): build/NAME.elf from OBJS; CHECK runs
# on the linked image ($$@.tmp) before it is moved into place.
$(KOBJ)/ksyms_empty.c:
	@mkdir -p $(dir $@)
	kernel/arch/gen-ksyms.sh > $@
$(KOBJ)/ksyms_%.o: $(KOBJ)/ksyms_%.c
	$(KERNEL_CC) $(KERNEL_CFLAGS) -c $< -o $@
define KERNEL_IMAGE
$(B)/$(1).pass1.elf: $(2) $(KERNEL_EXTRA_OBJS) $(KOBJ)/ksyms_empty.o kernel/arch/linker.ld
	$(KERNEL_CC) $(KERNEL_LDFLAGS) -o $$@ $(2) $(KERNEL_EXTRA_OBJS) $(KOBJ)/ksyms_empty.o -lgcc
$(KOBJ)/ksyms_$(1).c: $(B)/$(1).pass1.elf kernel/arch/gen-ksyms.sh
	kernel/arch/gen-ksyms.sh $$< > $$@
$(B)/$(1).elf: $(B)/$(1).pass1.elf $(KOBJ)/ksyms_$(1).o kernel/arch/check-image.sh
	$(KERNEL_CC) $(KERNEL_LDFLAGS) -o $$@.tmp $(2) $(KERNEL_EXTRA_OBJS) $(KOBJ)/ksyms_$(1).o -lgcc
	kernel/arch/check-image.sh $$@.tmp $(B)/$(1).pass1.elf
	$(3)
	mv $$@.tmp $$@
endef

KERNEL_TEST_OBJS = $(filter-out $(patsubst %.c,$(KOBJ)/%.o,$(KERNEL_PROD_ONLY_SRCS)),$(KERNEL_OBJS)) \
	$(patsubst %.c,$(KOBJ)/%.o,$(KERNEL_TEST_SRCS))
# No test code in the production image: no self-test or stress symbol links in.
NO_TEST_CODE = if nm $$@.tmp | grep -iE ' [a-z] [a-z_]*(selftest|stress)' ; then \
	echo "kernel.mk: test code in the production kernel (symbols above)" >&2; \
	rm -f $$@.tmp; exit 1; fi
$(eval $(call KERNEL_IMAGE,theseus,$(KERNEL_OBJS),$(NO_TEST_CODE)))
$(eval $(call KERNEL_IMAGE,theseus-test,$(KERNEL_TEST_OBJS),true))

kernel: $(B)/theseus.elf $(B)/theseus-test.elf
.PHONY: kernel

# GRUB ISO: multiboot2 + one module2 line per boot module.
ISO_MODULES ?= $(BOOT_MODULES)
# Its parameters, KERNEL_CMDLINE and ISO_MODULES, are a prerequisite too:
# build/theseus.iso.params holds their SHA-256 (not the command line, which
# may hold the key) and is rewritten only when they change, so
# `make run KERNEL_CMDLINE=...` after a plain `make` boots the new command
# line, and a plain `make` after it the default one again.
ISO_PARAMS_SUM = $(shell printf '%s\n%s' '$(subst ','\'',$(KERNEL_CMDLINE))' '$(ISO_MODULES)' | sha256sum | cut -d' ' -f1)
$(B)/theseus.iso.params: FORCE | setup
	@mkdir -p $(dir $@)
	@[ "$$(cat $@ 2>/dev/null)" = "$(ISO_PARAMS_SUM)" ] || echo "$(ISO_PARAMS_SUM)" > $@
FORCE:
.PHONY: FORCE
$(B)/theseus.iso: $(B)/theseus.elf $(foreach m,$(ISO_MODULES),$(B)/modules/$(m).o) tools/mkiso tools/grub-quote \
		$(B)/theseus.iso.params | setup
	tools/mkiso $@ $(B)/theseus.elf "$(KERNEL_CMDLINE)" $(foreach m,$(ISO_MODULES),$(B)/modules/$(m).o)

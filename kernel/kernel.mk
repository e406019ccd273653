# kernel/kernel.mk - build rules of the kernel image build/theseus.elf and the
# GRUB ISO build/theseus.iso (variables: kernel/config.mk).

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
$(KOBJ)/ksyms_empty.c:
	@mkdir -p $(dir $@)
	kernel/arch/gen-ksyms.sh > $@
$(B)/theseus.pass1.elf: $(KERNEL_OBJS) $(KERNEL_EXTRA_OBJS) $(KOBJ)/ksyms_empty.o kernel/arch/linker.ld
	$(KERNEL_CC) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(KERNEL_EXTRA_OBJS) $(KOBJ)/ksyms_empty.o -lgcc
$(KOBJ)/ksyms_gen.c: $(B)/theseus.pass1.elf kernel/arch/gen-ksyms.sh
	kernel/arch/gen-ksyms.sh $< > $@
$(KOBJ)/ksyms_%.o: $(KOBJ)/ksyms_%.c
	$(KERNEL_CC) $(KERNEL_CFLAGS) -c $< -o $@
$(B)/theseus.elf: $(B)/theseus.pass1.elf $(KOBJ)/ksyms_gen.o kernel/arch/check-image.sh
	$(KERNEL_CC) $(KERNEL_LDFLAGS) -o $@.tmp $(KERNEL_OBJS) $(KERNEL_EXTRA_OBJS) $(KOBJ)/ksyms_gen.o -lgcc
	kernel/arch/check-image.sh $@.tmp $(B)/theseus.pass1.elf
	mv $@.tmp $@

kernel: $(B)/theseus.elf
.PHONY: kernel

# GRUB ISO: multiboot2 + one module2 line per boot module.
ISO_MODULES ?= $(BOOT_MODULES)
$(B)/theseus.iso: $(B)/theseus.elf $(foreach m,$(ISO_MODULES),$(B)/modules/$(m).o) tools/mkiso | setup
	tools/mkiso $@ $(B)/theseus.elf "$(KERNEL_CMDLINE)" $(foreach m,$(ISO_MODULES),$(B)/modules/$(m).o)

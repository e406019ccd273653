# modules/modules.mk - the modules (one relocatable object per folder) and
# the small test modules of tests/unit/objs/ the loader and swap tests load.
# The loader's own build is kernel/loader/loader.mk; the swap engine's host
# test is kernel/swap/swap.mk.
#
#   make modules                  build/modules/<name>.o for each name in MODULES
#
# Exports: MODULES, MODULE_OBJS, BOOT_MODULES, MODULE_CFLAGS, LOADER_TEST_OBJS.
#
# Writing a module: make a folder modules/<name>/ with .c files that include
# "theseus.h" and declare TH_MODULE("<name>", "1.0", "what it does", .init = f),
# and add <name> to MODULES below.  Each folder becomes one `ld -r` object.

MODULES := checksum logfmt kv hello hello_v2 sched_rr sched_prio swapcaller hello_broken \
	faulty faulty_init sched_faulty faulty_v2 faulty_xfer taskdemo taskdemo_v2 workload \
	e1000 virtio_net rtl8139 vmxnet3 echo udpports stubborn statecount hostile nicrogue
# Versions built from another module's folder with a build variable:
# NAME:FOLDER:CFLAGS (the driver modules' second and broken versions, the
# echo service's second version, the statecount test module's layout-2 and
# failing-transfer versions, the scheduler policies that break the rules,
# faulty 2.1 whose fini faults, the NIC driver table that is never taken
# back and the one whose attach returns no result).
MODULE_VARIANTS := e1000_v2:e1000:-DE1000_VARIANT=2 e1000_broken:e1000:-DE1000_VARIANT=9 \
	e1000_faulty:e1000:-DE1000_VARIANT=8 e1000_v3:e1000:-DE1000_VARIANT=3 \
	e1000_noirq:e1000:-DE1000_VARIANT=4 e1000alt:e1000:-DE1000_VARIANT=5 \
	e1000_irqrx:e1000:-DE1000_VARIANT=6 e1000_badrx:e1000:-DE1000_VARIANT=7 \
	virtio_net_v2:virtio_net:-DVIRTIO_NET_VARIANT=2 echo_v2:echo:-DECHO_VARIANT=2 \
	udpports_v2:udpports:-DUDPPORTS_VARIANT=2 stubborn_v2:stubborn:-DSTUBBORN_VARIANT=2 \
	statecount_v2:statecount:-DSTATECOUNT_VARIANT=2 \
	statecount_fail:statecount:-DSTATECOUNT_VARIANT=3 \
	sched_faulty_enq:sched_faulty:-DSCHED_FAULTY_VARIANT=2 \
	sched_faulty_drop:sched_faulty:-DSCHED_FAULTY_VARIANT=3 \
	sched_faulty_pick:sched_faulty:-DSCHED_FAULTY_VARIANT=4 \
	sched_faulty_peek:sched_faulty:-DSCHED_FAULTY_VARIANT=5 \
	sched_faulty_abi:sched_faulty:-DSCHED_FAULTY_VARIANT=6 \
	faulty_v2fini:faulty_v2:-DFAULTY_V2_VARIANT=2 \
	nicrogue_stray:nicrogue:-DNICROGUE_VARIANT=2 nicrogue_badret:nicrogue:-DNICROGUE_VARIANT=3 \
	nicrogue_dmahog:nicrogue:-DNICROGUE_VARIANT=4 \
	taskdemo_bootfill:taskdemo:-DTASKDEMO_VARIANT=2
MODULE_OBJS := $(MODULES:%=$(B)/modules/%.o) \
	$(foreach v,$(MODULE_VARIANTS),$(B)/modules/$(word 1,$(subst :, ,$(v))).o)
# The NIC driver modules: given as boot modules wherever a NIC is used; the
# kernel binds the one for the device present (net/nic_core.c).
NIC_MODULES := e1000 virtio_net rtl8139 vmxnet3
# The network's services that are modules (the echo service on UDP port 7).
NET_MODULES := echo
# Boot modules of the GRUB ISO (`make run`) and make netboot: one version of
# each, the drivers of the NICs QEMU and iPXE boot with and the echo service
# (iPXE passes at most 8 multiboot modules: add rtl8139, vmxnet3 or sched_prio in
# place of another one, e.g. NETBOOT_MODULES="... e1000 rtl8139 echo").
BOOT_MODULES ?= checksum logfmt kv hello sched_rr e1000 virtio_net echo
# The kernel's flags (small code model, -fno-pic, -fno-common, no red zone):
# the loader handles exactly the relocations this produces.  -Imodules lets a
# module include another's API header as "checksum/checksum.h".
# The module API version (kernel/include/module_abi.h) and the marker the
# kit's flags leave in every file they compile (the loader checks it).
MODULE_API := $(shell sed -n 's/^\#define TH_MODULE_API \([0-9]*\).*/\1/p' kernel/include/module_abi.h)
KIT_MARK_FLAG := -include kernel/include/kit_mark.h
# -fstack-clash-protection: a large frame, alloca or VLA probes every page
# it takes, so it faults in the stack's guard page (contained) instead of
# jumping over it into memory below the stack.
MODULE_CFLAGS = $(KERNEL_CFLAGS) -fstack-clash-protection $(KIT_MARK_FLAG) -Imodules

.PHONY: modules
modules: $(MODULE_OBJS)
all: modules

# One relocatable object per module folder: NAME.debug with everything, and
# NAME.o, what is pushed and booted, without debug info (symbols kept, so
# fault reports name functions; gdb loads NAME.debug: make debug).
MODULE_STRIP := objcopy --strip-debug --keep-file-symbols
define MODULE_RULE
$(B)/modules/$(1).o: $(patsubst modules/$(1)/%.c,$(B)/modules/$(1)/%.o,$(wildcard modules/$(1)/*.c))
	@mkdir -p $$(@D)
	ld -r -o $(B)/modules/$(1).debug $$^
	$(MODULE_STRIP) $(B)/modules/$(1).debug $$@
endef
$(foreach m,$(MODULES),$(eval $(call MODULE_RULE,$(m))))

# A variant: $(1) its name, $(2) the folder it is built from, $(3) its flags.
define VARIANT_RULE
$(B)/modules/$(1)/%.o: modules/$(2)/%.c
	@mkdir -p $$(@D)
	$$(KERNEL_CC) $$(MODULE_CFLAGS) $(3) -MMD -MP -c -o $$@ $$<
$(B)/modules/$(1).o: $(patsubst modules/$(2)/%.c,$(B)/modules/$(1)/%.o,$(wildcard modules/$(2)/*.c))
	@mkdir -p $$(@D)
	ld -r -o $(B)/modules/$(1).debug $$^
	$(MODULE_STRIP) $(B)/modules/$(1).debug $$@
endef
$(foreach v,$(MODULE_VARIANTS),$(eval $(call VARIANT_RULE,$(word 1,$(subst :, ,$(v))),$(word 2,$(subst :, ,$(v))),$(word 3,$(subst :, ,$(v))))))

$(B)/modules/%.o: modules/%.c
	@mkdir -p $(@D)
	$(KERNEL_CC) $(MODULE_CFLAGS) -MMD -MP -c -o $@ $<

-include $(wildcard $(B)/modules/*/*.d)

# ---- test objects: small modules the loader tests load from file -------------
LOADER_TEST_OBJS := $(patsubst tests/unit/objs/%.c,$(B)/tests/objs/%.o,$(wildcard tests/unit/objs/*.c))
TEST_EXTRA_DEPS += $(LOADER_TEST_OBJS)
$(B)/tests/objs/%.o: tests/unit/objs/%.c kernel/include/theseus.h kernel/include/module_abi.h
	@mkdir -p $(@D)
	$(KERNEL_CC) $(MODULE_CFLAGS) $(OBJ_CFLAGS) -c -o $@ $<
# Objects that exercise the loader's refusals need flags modules never get.
$(B)/tests/objs/t_lto.o: OBJ_CFLAGS := -flto
$(B)/tests/objs/t_largepic.o: OBJ_CFLAGS := -mcmodel=large -fpic
$(B)/tests/objs/t_many.o: OBJ_CFLAGS := -ffunction-sections

# The module kit: out-of-tree builds (make -C tree M=dir) and make install.
include modules/kit/kit.mk

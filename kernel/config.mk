# kernel/config.mk - the kernel's compiler, flags and core sources.  Included
# first, so that component fragments can add to KERNEL_SRCS/KERNEL_CFLAGS;
# the rules are in kernel/kernel.mk, included after all fragments.

KERNEL_CC := gcc
KERNEL_CFLAGS := -std=c11 -O2 -g -ffreestanding -fno-builtin -nostdinc \
	-isystem $(shell $(KERNEL_CC) -print-file-name=include) \
	-mno-red-zone -mgeneral-regs-only -mcmodel=small -fno-pic -fno-pie \
	-fno-stack-protector -fno-omit-frame-pointer -fno-common \
	-fno-asynchronous-unwind-tables -mno-mmx -mno-sse -mno-sse2 \
	-Wall -Wextra -Werror -Wno-unused-parameter -DTHESEUS_KERNEL \
	-Ikernel/include -Istatedb -Inet -I$(B)/gen
KERNEL_ASFLAGS := -g -DTHESEUS_KERNEL -Ikernel/include

KERNEL_SRCS += \
	kernel/arch/boot.S \
	kernel/arch/isr.S \
	kernel/arch/gdt.c \
	kernel/boot/main.c \
	kernel/boot/multiboot.c \
	kernel/boot/hooks.c \
	kernel/boot/options.c \
	kernel/lib/err.c \
	kernel/lib/errbuf.c \
	kernel/lib/string.c \
	kernel/lib/fmt.c \
	kernel/lib/cmdline.c \
	kernel/lib/cmdline_check.c \
	kernel/lib/sha256.c \
	kernel/dev/entropy.c \
	kernel/core/log.c \
	kernel/core/log_escape.c \
	kernel/core/idt.c \
	kernel/core/fault.c \
	kernel/core/guard.c \
	kernel/core/locktrack.c \
	kernel/arch/guard.S \
	kernel/arch/tsc_wait.S \
	kernel/core/ksyms.c \
	kernel/core/profile.c \
	kernel/core/profile_agg.c \
	kernel/core/exports.c \
	kernel/core/boot_modules.c \
	kernel/dev/serial.c \
	kernel/dev/pic.c \
	kernel/dev/timer.c \
	kernel/dev/nmi_watchdog.c \
	kernel/dev/pci.c \
	kernel/dev/pci_caps.c \
	kernel/dev/pci_msi.c \
	kernel/dev/irq_msi.c \
	kernel/dev/shutdown.c \
	kernel/dev/screen.c \
	$(B)/gen/screen_font.c \
	kernel/mm/frame.c \
	kernel/mm/paging.c \
	kernel/mm/heap.c \
	kernel/mm/modmem.c \
	kernel/mm/ramcover.c

# tasks and scheduler (kernel/task/; policies are modules: modules/sched_*)
KERNEL_SRCS += kernel/task/task.c kernel/task/sched.c kernel/task/waitq.c \
	kernel/task/policy.c kernel/task/stackwalk.c kernel/task/tasklist.c \
	kernel/task/policy_call.c kernel/task/task_module.c

# ---- live swap engine (kernel/swap/; its loader half is kernel/loader/stage.c) ----
KERNEL_SRCS += kernel/swap/swap.c kernel/swap/swap_load.c kernel/swap/swap_rollback.c kernel/swap/swap_deps.c kernel/swap/swap_txn.c kernel/swap/swap_state.c \
	kernel/swap/swap_obj.c kernel/swap/swap_track.c kernel/swap/swap_notify.c \
	kernel/swap/swap_retire.c kernel/swap/swap_history.c kernel/swap/swap_plat.c \
	kernel/swap/swap_boot.c kernel/swap/modcall_hooks.c kernel/swap/modcall_invoke.c \
	kernel/swap/modcall_fault.c kernel/swap/modcall_refs.c kernel/swap/modcall_task.c \
	kernel/swap/modcall_subsys.c
# ---- end live swap engine ----

# The screen console's font, generated from a Debian console font at build time.
SCREEN_FONT ?= /usr/share/consolefonts/Lat15-Fixed16.psf.gz
$(B)/gen/screen_font.c: tools/gen-font.py | setup
	@mkdir -p $(dir $@)
	python3 tools/gen-font.py $(SCREEN_FONT) $@

# The test image build/theseus-test.elf: the same kernel with the self-tests
# and demo observers of tests/kernel/ in place of kernel/boot/hooks.c (the
# production image carries no test code; kernel.mk checks that).
KERNEL_TEST_SRCS := tests/kernel/hooks.c tests/kernel/selftest.c tests/kernel/sched_selftest.c \
	tests/kernel/swap_stress.c tests/kernel/smp_selftest.c tests/kernel/irq_selftest.c
KERNEL_PROD_ONLY_SRCS := kernel/boot/hooks.c

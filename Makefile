# Makefile - build, boot and test Theseus-C.
#
#   make            kernel (build/theseus.elf), modules, GRUB ISO, theseusctl
#   make run        boot the ISO in QEMU, serial console on this terminal
#   make demo       boot, push a new module version over UDP, swap it live
#   make test       host unit tests (ASan/UBSan), fuzz smoke runs, QEMU tests
#   make bench      benchmarks; results in build/bench/results.txt
#   make fuzz       longer libFuzzer runs (FUZZ_SECONDS per target)
#
# Every target that needs tools runs tools/setup first (fast when all is
# present).  Each component adds its sources and tests in its own *.mk file.

.DEFAULT_GOAL := all
SHELL := /bin/bash
B := build

# V=1 prints every command.
Q := $(if $(V),,@)

# QEMU accelerator: tcg by default (nested KVM is slower here); ACCEL=kvm otherwise.
ACCEL ?= tcg
export ACCEL

# ---- host toolchain (unit tests, theseusctl, fuzzers) ----------------------
HOST_CC := gcc
HOST_WARN := -Wall -Wextra -Werror -Wno-unused-parameter
HOST_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 $(HOST_WARN)
HOST_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CC := clang
# Sanitizer reports abort the fuzzer (no recovery): a finding fails the run.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all

# Include paths are per component: each component's .mk exports its own
# (PROTO_INC, ENDPOINT_INC, CTL_INC, LOADER_LINT_INC, ...) and a host program
# names what it uses.  ERR_INC/ERR_HOST_SRCS: the error enum (err.h, errbuf)
# and klibc.h, which every component may use.  Tests may include anything.
ERR_INC := -Ikernel/include
ERR_HOST_SRCS := kernel/lib/err.c kernel/lib/errbuf.c
TEST_INC = $(ERR_INC) -Istatedb -Inet -Inet/endpoint -Ictl -Iproto -I$(B)/gen \
	-I/usr/include/bearssl -Itests/unit -DTHESEUS_HOST_TEST

# Lists the fragments append to.
KERNEL_SRCS :=
UNIT_TESTS :=
FUZZ_TARGETS :=
HOST_TOOLS :=

.PHONY: all setup run demo test bench fuzz clean install
setup:
	@tools/setup

# Components, each adding its sources, tests and rules in <dir>/<name>.mk
# (<name> the last part of <dir>).
COMPONENTS ?= statedb proto modules kernel/loader kernel/swap kernel/smp net ctl
include kernel/config.mk
include $(foreach c,$(COMPONENTS),$(c)/$(notdir $(c)).mk)
include tools/netboot.mk
KERNEL_SRCS += $(EXTRA_KERNEL_SRCS)
include kernel/kernel.mk
include tests/tests.mk

all: $(B)/theseus.elf $(B)/theseus.iso $(HOST_TOOLS)

run: $(B)/theseus.iso | setup
	qemu-system-x86_64 -accel $(ACCEL) -m 256M -nographic -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-boot d -cdrom $(B)/theseus.iso; \
	rc=$$?; [ $$rc = 1 -o $$rc = 33 ] || echo "qemu exit status $$rc"

# The README's first command: boot, push hello_v2 with theseusctl, swap it live.
demo: all | setup
	tools/demo

clean:
	rm -rf $(B)/kernel $(B)/tests $(B)/fuzz $(B)/modules $(B)/ctl $(B)/gen \
		$(B)/iso $(B)/theseus.elf $(B)/theseus.iso $(B)/theseus.iso.params $(B)/theseus.pass1.elf \
		$(B)/theseus-test.elf $(B)/theseus-test.pass1.elf $(B)/mutants

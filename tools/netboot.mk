# tools/netboot.mk - `make netboot` and `make netboot-grub`: a directory to
# serve by TFTP or HTTP so lab machines boot Theseus-C from the network with
# iPXE (tools/mknetboot writes it; tools/README.netboot.txt shows the servers).
#
#   make netboot         build/netboot/: boot.ipxe, theseus.elf, <module>.o
#                        (iPXE loads the kernel with multiboot1)
#   make netboot-grub    build/netboot-grub/: boot.ipxe chains GRUB's
#                        boot/grub/i386-pc/core.0, which boots multiboot2 (TFTP only)
#
# Parameters, as make variables (highest precedence) or in a config file of
# `NAME = value` lines, NETBOOT_CONF (default build/netboot.conf, optional):
#   NETBOOT_CMDLINE   kernel command line (default: empty = DHCP, no key),
#                     e.g. "loglevel=info port=7700 sched=rr" or
#                     "ip=192.168.7.20/24 gw=192.168.7.1 key=<64 hex digits>"
#   NETBOOT_KEY_FILE  file with the 64-hex-digit swap key (`theseusctl keygen
#                     FILE`), appended as key=...; keeps the key out of the
#                     make command line and of the config file
#   NETBOOT_MODULES   boot modules by name (default $(BOOT_MODULES))
#   NETBOOT_DIR       output directory (default build/netboot)
#   NETBOOT_GRUB_DIR  output directory of netboot-grub (default build/netboot-grub)
# The directory is rewritten on every run (the targets are phony).

NETBOOT_CONF ?= $(B)/netboot.conf
-include $(NETBOOT_CONF)

NETBOOT_CMDLINE ?=
NETBOOT_KEY_FILE ?=
NETBOOT_MODULES ?= $(BOOT_MODULES)
NETBOOT_DIR ?= $(B)/netboot
NETBOOT_GRUB_DIR ?= $(B)/netboot-grub

NETBOOT_MODULE_OBJS = $(foreach m,$(NETBOOT_MODULES),$(B)/modules/$(m).o)
NETBOOT_ARGS = $(if $(strip $(NETBOOT_KEY_FILE)),--key-file $(NETBOOT_KEY_FILE))

.PHONY: netboot netboot-grub
netboot: $(B)/theseus.elf $(NETBOOT_MODULE_OBJS) tools/mknetboot tools/grub-quote | setup
	tools/mknetboot $(NETBOOT_ARGS) $(NETBOOT_DIR) $(B)/theseus.elf '$(NETBOOT_CMDLINE)' \
		$(NETBOOT_MODULE_OBJS)
	@echo "netboot: serve $(NETBOOT_DIR)/ by TFTP or HTTP and let iPXE run boot.ipxe"

netboot-grub: $(B)/theseus.elf $(NETBOOT_MODULE_OBJS) tools/mknetboot tools/grub-quote | setup
	tools/mknetboot --grub $(NETBOOT_ARGS) $(NETBOOT_GRUB_DIR) $(B)/theseus.elf \
		'$(NETBOOT_CMDLINE)' $(NETBOOT_MODULE_OBJS)
	@echo "netboot-grub: serve $(NETBOOT_GRUB_DIR)/ by TFTP and let iPXE run boot.ipxe"

# ---- the netboot QEMU tests' directories, made before any test runs ----------
# tests/qemu/test_netboot.py --prepare runs `make netboot` / `make netboot-grub`
# for each variant the tests boot (and the bad parameters they expect to be
# refused) into $(NETBOOT_TEST_DIR), so no test runs make in the shared tree
# while other tests run in parallel.
NETBOOT_TEST_DIR := $(B)/tests/netboot
TEST_EXTRA_DEPS += $(NETBOOT_TEST_DIR)/.done
$(NETBOOT_TEST_DIR)/.done: tests/qemu/test_netboot.py tools/mknetboot tools/grub-quote tools/netboot.mk \
		modules/modules.mk $(B)/theseus.elf $(MODULE_OBJS) | setup
	python3 tests/qemu/test_netboot.py --prepare $(NETBOOT_TEST_DIR)

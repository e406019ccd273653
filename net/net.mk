# net/net.mk - the network component: lwIP port, the NIC core that driver
# modules (modules/e1000, virtio_net, rtl8139) run on, configuration, UDP services and echo; lwIP itself is compiled
# from the unpacked Debian source (build/third_party, never committed).

LWIP_DIR := $(B)/third_party/lwip-2.1.3+dfsg1/src
LWIP_OBJ_DIR := $(B)/third_party_obj/lwip

KERNEL_SRCS += \
	net/sys_arch.c \
	net/ethernetif.c \
	net/nic_core.c \
	net/nic_registry.c \
	net/nic_call.c \
	net/nic_watch.c \
	net/nic_match.c \
	net/net_config.c \
	net/net_core.c \
	net/net_udp.c \
	net/udp_modules.c

# lwIP core, IPv4 and Ethernet: NO_SYS=1 raw API (no api/ files).
LWIP_SRCS := \
	core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
	core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/timeouts.c \
	core/udp.c core/tcp.c core/tcp_in.c core/tcp_out.c \
	core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
	core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c \
	netif/ethernet.c
LWIP_OBJS := $(patsubst %.c,$(LWIP_OBJ_DIR)/%.o,$(LWIP_SRCS))
KERNEL_EXTRA_OBJS += $(LWIP_OBJS)

# lwIP headers for net/ sources (they include lwip/*.h) and lwIP's own build.
NET_LWIP_INC := -Inet -Inet/arch/libc -I$(LWIP_DIR)/include

# Third-party code: warnings relaxed (-w) for these objects only.
$(LWIP_OBJ_DIR)/%.o: $(LWIP_DIR)/%.c net/lwipopts.h net/arch/cc.h net/arch/sys_arch.h
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) $(NET_LWIP_INC) -w -c $< -o $@

$(LWIP_DIR)/%.c: | setup
	@true
.SECONDARY: $(addprefix $(LWIP_DIR)/,$(LWIP_SRCS))

# net/ sources include lwIP's headers (lwip/*.h, netif/*.h; nothing that
# clashes with kernel headers).  The libc shim stays on lwIP's own path.
KERNEL_CFLAGS += -I$(LWIP_DIR)/include

# Host unit tests of the configuration parser.
UNIT_TESTS += $(B)/tests/unit/test_net_config
$(B)/tests/unit/test_net_config: tests/unit/test_net_config.c net/net_config.c \
		kernel/lib/cmdline.c kernel/lib/err.c kernel/lib/errbuf.c net/net.h
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ $(filter %.c,$^)

# Host unit tests of the NIC core's parsers (id tables, the ARP proof).
UNIT_TESTS += $(B)/tests/unit/nic_match_test
$(B)/tests/unit/nic_match_test: tests/unit/nic_match_test.c net/nic_match.c net/nic_match.h net/net.h \
		kernel/include/nic_driver.h
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -Inet -o $@ $(filter %.c,$^)

# QEMU benchmark: tests/bench/net_bench.py (echo RTT and throughput for e1000
# and virtio-net), run by `make bench` with every other tests/bench/*_bench.py.

# The control plane: the endpoint core and its kernel-side adapter.
include net/endpoint/endpoint.mk

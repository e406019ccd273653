# ctl/ctl.mk - theseusctl, the host command-line tool (one file per
# subcommand, a table in main.c), and its unit tests.  Links the protocol's
# generated code and shared helpers (proto/proto.mk) with -lprotobuf-c
# -lbearssl.

CTL_SRCS := ctl/options.c ctl/transport.c ctl/push.c \
	ctl/cmd_ping.c ctl/cmd_ls.c ctl/cmd_push.c ctl/cmd_swap.c ctl/cmd_keygen.c
CTL_SHARED_SRCS := net/endpoint/mac.c $(PROTO_GEN_C) kernel/lib/err.c kernel/lib/errbuf.c
CTL_DEPS := $(CTL_SRCS) $(CTL_SHARED_SRCS) ctl/ctl.h net/endpoint.h $(PROTO_GEN_H)

HOST_TOOLS += $(B)/theseusctl
$(B)/theseusctl: ctl/main.c $(CTL_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(PROTO_HOST_CFLAGS) -o $@ $(filter %.c,$^) $(PROTO_HOST_LIBS)

UNIT_TESTS += $(B)/tests/unit/ctl_args
# The test needs the command table: main.c built with main() renamed.
$(B)/tests/unit/ctl_args: tests/unit/ctl_args.c ctl/main.c $(CTL_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(PROTO_HOST_CFLAGS) -Dmain=ctl_main_unused \
		-c ctl/main.c -o $@.main.o
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(PROTO_HOST_CFLAGS) -o $@ \
		$(filter-out ctl/main.c,$(filter %.c,$^)) $@.main.o $(PROTO_HOST_LIBS)

# End-to-end without a kernel: theseusctl against endpoint_udpd on 127.0.0.1
# (tests/unit/endpoint_e2e.sh), wrapped so tests/run runs it as a unit suite.
UNIT_TESTS += $(B)/tests/unit/endpoint_e2e
$(B)/tests/unit/endpoint_e2e: tests/unit/endpoint_e2e.sh $(B)/theseusctl $(B)/tests/endpoint_udpd
	@mkdir -p $(dir $@)
	printf '#!/bin/sh\n# see tests/unit/endpoint_e2e.sh\nexec %s %s\n' \
		$(abspath tests/unit/endpoint_e2e.sh) $(abspath $(B)) > $@
	chmod +x $@

# net/endpoint/endpoint.mk - the control plane (net/endpoint/): the endpoint
# core (request handling, replay protection, staging; for the kernel and the
# host) and its kernel-side adapter (kernel_*.c: the endpoint's ops over the
# swap engine, loader introspection, statedb and the log; kernel only).
# Included by net/net.mk; builds only net/endpoint/.  Uses proto/'s exports.
#
# Exports:
#   ENDPOINT_INC        host include flags for endpoint.h
#   ENDPOINT_HOST_SRCS  the endpoint core for host programs (tests, fuzzer)
#   ENDPOINT_HOST_DEPS  the same plus headers (prerequisites)
# Kernel: KERNEL_EXTRA_OBJS += the endpoint core and the adapter.

ENDPOINT_CORE_SRCS := \
	net/endpoint/endpoint.c \
	net/endpoint/handlers.c \
	net/endpoint/swap_request.c \
	net/endpoint/invoke_request.c \
	net/endpoint/inspect.c \
	net/endpoint/exports_request.c \
	net/endpoint/profile_request.c \
	net/endpoint/reply.c \
	net/endpoint/reply_cache.c \
	net/endpoint/auth.c \
	net/endpoint/mac_check.c \
	net/endpoint/unauth_limit.c \
	net/endpoint/staging.c \
	net/endpoint/hash_worker.c \
	net/endpoint/arena.c
ENDPOINT_KERNEL_SRCS := net/endpoint/kernel_start.c net/endpoint/kernel_queries.c \
	net/endpoint/kernel_actions.c net/endpoint/kernel_hasher.c net/endpoint/kernel_profile.c

EP_KOBJ_DIR := $(B)/kernel-endpoint
ENDPOINT_KOBJS := $(patsubst net/endpoint/%.c,$(EP_KOBJ_DIR)/%.o,$(ENDPOINT_CORE_SRCS) \
	$(ENDPOINT_KERNEL_SRCS))
KERNEL_EXTRA_OBJS += $(ENDPOINT_KOBJS)

$(EP_KOBJ_DIR)/%.o: net/endpoint/%.c $(PROTO_GEN_H) | setup
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) $(PROTO_KFLAGS) -Inet/endpoint -c $< -o $@

-include $(ENDPOINT_KOBJS:.o=.d)

# Compiles every kernel-side object of the protocol (a quick check that the
# freestanding build works without linking the whole kernel).
.PHONY: proto-kernel-objs
proto-kernel-objs: $(ENDPOINT_KOBJS) $(PROTO_KOBJS) $(PBC_KOBJS) $(BEARSSL_KOBJS)

# ---- host build -----------------------------------------------------------------
ENDPOINT_INC := -Inet -Inet/endpoint $(PROTO_INC) $(ERR_INC)
ENDPOINT_HOST_SRCS := $(ENDPOINT_CORE_SRCS) $(PROTO_HOST_SRCS) $(ERR_HOST_SRCS)
ENDPOINT_HOST_DEPS := $(ENDPOINT_HOST_SRCS) $(PROTO_HOST_DEPS) net/endpoint.h \
	net/endpoint/endpoint_impl.h

# Unit tests of the endpoint core (in-test backend fixture).
UNIT_TESTS += $(B)/tests/unit/endpoint_core
$(B)/tests/unit/endpoint_core: tests/unit/endpoint_core.c tests/unit/endpoint_fixture.c \
		tests/unit/endpoint_fixture.h $(ENDPOINT_HOST_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ \
		$(filter %.c,$^) $(PROTO_HOST_LIBS)

# The profile request (start/stop/report, paging, the key) with the fixture's fake profiler.
UNIT_TESTS += $(B)/tests/unit/endpoint_profile
$(B)/tests/unit/endpoint_profile: tests/unit/endpoint_profile.c tests/unit/endpoint_fixture.c \
		tests/unit/endpoint_fixture.h $(ENDPOINT_HOST_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ \
		$(filter %.c,$^) $(PROTO_HOST_LIBS)

# The kind-1 request MAC through the endpoint core (tests/unit/endpoint_mac_kind.c).
UNIT_TESTS += $(B)/tests/unit/endpoint_mac_kind
$(B)/tests/unit/endpoint_mac_kind: tests/unit/endpoint_mac_kind.c tests/unit/endpoint_fixture.c \
		tests/unit/endpoint_fixture.h $(ENDPOINT_HOST_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ \
		$(filter %.c,$^) $(PROTO_HOST_LIBS)
# The token bucket for replies to unauthenticated datagrams (time injected).
UNIT_TESTS += $(B)/tests/unit/unauth_limit_test
$(B)/tests/unit/unauth_limit_test: tests/unit/unauth_limit_test.c net/endpoint/unauth_limit.c \
		$(ENDPOINT_HOST_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ \
		tests/unit/unauth_limit_test.c net/endpoint/unauth_limit.c $(ERR_HOST_SRCS)
# The staging area's hash worker split, with a pthread worker: under ASan/UBSan
# and under TSan (staging_hasher_tsan).
STAGING_HASHER_SRCS := tests/unit/staging_hasher_test.c net/endpoint/staging.c \
	$(PROTO_HOST_SRCS) $(ERR_HOST_SRCS)
UNIT_TESTS += $(B)/tests/unit/staging_hasher $(B)/tests/unit/staging_hasher_tsan
$(B)/tests/unit/staging_hasher: $(STAGING_HASHER_SRCS) tests/unit/check.h \
		$(ENDPOINT_HOST_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -pthread -o $@ \
		$(STAGING_HASHER_SRCS) $(PROTO_HOST_LIBS)
$(B)/tests/unit/staging_hasher_tsan: $(STAGING_HASHER_SRCS) tests/unit/check.h \
		$(ENDPOINT_HOST_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -fsanitize=thread $(TEST_INC) -pthread -o $@ \
		$(STAGING_HASHER_SRCS) $(PROTO_HOST_LIBS)

# The staging area when memory runs short before staging= does (malloc, calloc
# and free wrapped at link time to fail past a budget).
UNIT_TESTS += $(B)/tests/unit/staging_room
$(B)/tests/unit/staging_room: tests/unit/staging_room_test.c net/endpoint/staging.c \
		tests/unit/check.h $(ENDPOINT_HOST_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ \
		-Wl,--wrap=malloc,--wrap=calloc,--wrap=free \
		tests/unit/staging_room_test.c net/endpoint/staging.c \
		$(PROTO_HOST_SRCS) $(ERR_HOST_SRCS) $(PROTO_HOST_LIBS)

# A host UDP server around endpoint_handle() with the fixture backend, for
# end-to-end tests of theseusctl without a kernel (tests/unit/endpoint_e2e.sh).
HOST_TOOLS += $(B)/tests/endpoint_udpd
# (ctl/options.c for the key file reader.)
$(B)/tests/endpoint_udpd: tests/unit/endpoint_udpd.c tests/unit/endpoint_fixture.c \
		tests/unit/endpoint_fixture.h ctl/options.c ctl/ctl.h $(ENDPOINT_HOST_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(TEST_INC) -o $@ \
		$(filter %.c,$^) $(PROTO_HOST_LIBS)

# libFuzzer: random datagrams, and random bodies in valid envelopes.  The
# seed corpus (build/fuzz/endpoint_request.corpus, which tests/run picks up)
# is written by the unit test: every valid request it sends, in both modes.
# A failing unit test must not stop the build here: tests/run reports it.
FUZZ_TARGETS += $(B)/fuzz/endpoint_request
$(B)/fuzz/endpoint_request: tests/fuzz/endpoint_request_fuzz.c \
		tests/unit/endpoint_fixture.c tests/unit/endpoint_fixture.h \
		$(ENDPOINT_HOST_DEPS) $(B)/tests/unit/endpoint_core | setup
	@mkdir -p $(dir $@) $@.corpus
	ENDPOINT_SEED_DIR=$@.corpus $(B)/tests/unit/endpoint_core > /dev/null || \
		echo "endpoint.mk: endpoint_core failed while writing fuzz seeds (make test reports it)"
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(TEST_INC) -o $@ \
		$(filter %.c,$^) $(PROTO_HOST_LIBS)

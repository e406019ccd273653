# proto/proto.mk - the control protocol: C code generated from
# proto/theseus.proto by protoc-c (build/gen/, never committed), the
# endpoint core (net/endpoint/) for the kernel and the host, and the kernel
# builds of the third-party pieces it needs: the protobuf-c runtime and
# BearSSL's SHA-256 + HMAC (from build/third_party/, unpacked by tools/setup,
# compiled with -w, never edited).
#
# Kernel:  KERNEL_EXTRA_OBJS += endpoint core + generated code + third party.
# Host:    ENDPOINT_HOST_SRCS / PROTO_HOST_LIBS for programs that speak the
#          protocol (theseusctl, tests, fuzzers): link -lprotobuf-c -lbearssl.

PBC_DIR := $(B)/third_party/protobuf-c-1.4.1
BEARSSL_DIR := $(B)/third_party/bearssl-0.6+dfsg.1
TP_OBJ_DIR := $(B)/third_party_obj
EP_KOBJ_DIR := $(B)/kernel-endpoint

PROTO_GEN_H := $(B)/gen/theseus.pb-c.h
PROTO_GEN_C := $(B)/gen/theseus.pb-c.c

# ---- generated code ---------------------------------------------------------
$(B)/gen/%.pb-c.c $(B)/gen/%.pb-c.h: proto/%.proto | setup
	@mkdir -p $(B)/gen
	protoc-c --c_out=$(B)/gen --proto_path=proto $<

# ---- kernel build -------------------------------------------------------------
# The shim headers in proto/freestanding (string.h, stdlib.h, assert.h) and
# -D_LIBC_LIMITS_H_ (gcc's limits.h without a libc one) let protobuf-c,
# BearSSL and generated code build freestanding.  Only these objects see them.
PROTO_KFLAGS := -D_LIBC_LIMITS_H_ -Iproto/freestanding -I$(PBC_DIR) -I$(BEARSSL_DIR)/inc \
	-MMD -MP

ENDPOINT_CORE_SRCS := \
	net/endpoint/endpoint.c \
	net/endpoint/handlers.c \
	net/endpoint/swap_request.c \
	net/endpoint/invoke_request.c \
	net/endpoint/inspect.c \
	net/endpoint/reply.c \
	net/endpoint/auth.c \
	net/endpoint/staging.c \
	net/endpoint/arena.c \
	net/endpoint/mac.c
# The kernel-side adapter: the endpoint's ops over the kernel (kernel only).
ENDPOINT_KERNEL_SRCS := net/endpoint/kernel_start.c net/endpoint/kernel_queries.c \
	net/endpoint/kernel_actions.c
ENDPOINT_KOBJS := $(patsubst net/endpoint/%.c,$(EP_KOBJ_DIR)/%.o,$(ENDPOINT_CORE_SRCS) \
	$(ENDPOINT_KERNEL_SRCS)) \
	$(EP_KOBJ_DIR)/kstubs.o $(EP_KOBJ_DIR)/theseus.pb-c.o

PBC_KOBJS := $(TP_OBJ_DIR)/protobuf-c/protobuf-c.o
BEARSSL_KSRCS := hash/sha2small.c mac/hmac.c codec/dec32be.c codec/enc32be.c
BEARSSL_KOBJS := $(patsubst %.c,$(TP_OBJ_DIR)/bearssl/%.o,$(BEARSSL_KSRCS))

KERNEL_EXTRA_OBJS += $(ENDPOINT_KOBJS) $(PBC_KOBJS) $(BEARSSL_KOBJS)

# kernel/lib/sha256.c (the swap engine's object hashes) calls the same BearSSL
# SHA-256: it sees BearSSL's header and the freestanding shims, nothing else.
$(B)/kernel/kernel/lib/sha256.o: KERNEL_CFLAGS += -Iproto/freestanding -I$(BEARSSL_DIR)/inc

$(EP_KOBJ_DIR)/%.o: net/endpoint/%.c $(PROTO_GEN_H) | setup
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) $(PROTO_KFLAGS) -c $< -o $@

$(EP_KOBJ_DIR)/theseus.pb-c.o: $(PROTO_GEN_C) $(PROTO_GEN_H) | setup
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) $(PROTO_KFLAGS) -c $< -o $@

$(TP_OBJ_DIR)/protobuf-c/%.o: $(PBC_DIR)/protobuf-c/%.c proto/freestanding/assert.h | setup
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) $(PROTO_KFLAGS) -w -c $< -o $@

$(TP_OBJ_DIR)/bearssl/%.o: $(BEARSSL_DIR)/src/%.c | setup
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) $(PROTO_KFLAGS) -I$(BEARSSL_DIR)/src -w -c $< -o $@

$(PBC_DIR)/%.c $(BEARSSL_DIR)/%.c: | setup
	@true
# The unpacked sources are not intermediate files: make must never delete them
# (tools/setup would fetch them again on the next build).
.SECONDARY: $(PBC_DIR)/protobuf-c/protobuf-c.c $(addprefix $(BEARSSL_DIR)/src/,$(BEARSSL_KSRCS))

-include $(ENDPOINT_KOBJS:.o=.d)

# Compiles every kernel-side object of the protocol (a quick check that the
# freestanding build works without linking the whole kernel).
.PHONY: proto-kernel-objs
proto-kernel-objs: $(ENDPOINT_KOBJS) $(PBC_KOBJS) $(BEARSSL_KOBJS)

# ---- host build -----------------------------------------------------------------
ENDPOINT_HOST_SRCS := $(ENDPOINT_CORE_SRCS) $(PROTO_GEN_C) kernel/lib/err.c kernel/lib/errbuf.c
ENDPOINT_HOST_DEPS := $(ENDPOINT_HOST_SRCS) $(PROTO_GEN_H) net/endpoint.h \
	net/endpoint/endpoint_impl.h
PROTO_HOST_LIBS := -lprotobuf-c -lbearssl
# Debian puts BearSSL's headers under /usr/include/bearssl/.
PROTO_HOST_CFLAGS := -I/usr/include/bearssl -Inet/endpoint -Itests/unit -Ictl

# Unit tests of the endpoint core (in-test backend fixture).
UNIT_TESTS += $(B)/tests/unit/endpoint_core
$(B)/tests/unit/endpoint_core: tests/unit/endpoint_core.c tests/unit/endpoint_fixture.c \
		tests/unit/endpoint_fixture.h $(ENDPOINT_HOST_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(PROTO_HOST_CFLAGS) -o $@ \
		$(filter %.c,$^) $(PROTO_HOST_LIBS)

# A host UDP server around endpoint_handle() with the fixture backend, for
# end-to-end tests of theseusctl without a kernel (tests/unit/endpoint_e2e.sh).
HOST_TOOLS += $(B)/tests/endpoint_udpd
# (ctl/options.c for the key file reader.)
$(B)/tests/endpoint_udpd: tests/unit/endpoint_udpd.c tests/unit/endpoint_fixture.c \
		tests/unit/endpoint_fixture.h ctl/options.c ctl/ctl.h $(ENDPOINT_HOST_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(PROTO_HOST_CFLAGS) -o $@ \
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
		echo "proto.mk: endpoint_core failed while writing fuzz seeds (make test reports it)"
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(PROTO_HOST_CFLAGS) -o $@ \
		$(filter %.c,$^) $(PROTO_HOST_LIBS)

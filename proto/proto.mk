# proto/proto.mk - the wire library (proto/), shared by the kernel and the
# host: the schema compiled by protoc-c (build/gen/, never committed) and the
# protocol's own C code (wire.h: limits, status mapping, envelope + MAC,
# names, keys); plus the kernel builds of the third-party pieces the protocol
# needs: the protobuf-c runtime and BearSSL's SHA-256, HMAC and ChaCha20-Poly1305 (from
# build/third_party/, unpacked by tools/setup, compiled with -w, never edited).
# Builds only proto/ and what it generates.
#
# Exports to other components:
#   PROTO_INC          host include flags for wire.h and theseus.pb-c.h
#   PROTO_HOST_SRCS    what a host program that speaks the protocol compiles
#   PROTO_HOST_DEPS    the same plus headers (prerequisites)
#   PROTO_HOST_LIBS    -lprotobuf-c -lbearssl
#   PROTO_KFLAGS       kernel flags for objects that include wire.h / pb-c.h
#   PROTO_GEN_H        the generated header (a prerequisite of its users)
# Kernel: KERNEL_EXTRA_OBJS += the wire library, generated code, third party.
PBC_DIR := $(B)/third_party/protobuf-c-1.4.1
BEARSSL_DIR := $(B)/third_party/bearssl-0.6+dfsg.1
TP_OBJ_DIR := $(B)/third_party_obj

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
PROTO_KFLAGS := -D_LIBC_LIMITS_H_ -Iproto/freestanding -Iproto -I$(B)/gen -I$(PBC_DIR) \
	-I$(BEARSSL_DIR)/inc -MMD -MP

PROTO_WIRE_SRCS := proto/wire_mac.c proto/wire_mac_poly.c proto/wire_names.c proto/wire_strings.c \
	proto/wire_view.c proto/wire_varint.c
PROTO_KOBJ_DIR := $(B)/kernel-proto
# kstubs.c: what the freestanding protobuf-c runtime needs in the kernel.
PROTO_KOBJS := $(patsubst proto/%.c,$(PROTO_KOBJ_DIR)/%.o,$(PROTO_WIRE_SRCS) proto/kstubs.c) \
	$(PROTO_KOBJ_DIR)/theseus.pb-c.o

PBC_KOBJS := $(TP_OBJ_DIR)/protobuf-c/protobuf-c.o
# ChaCha20-Poly1305 (the kind-1 request MAC, wire_mac_poly.c): chacha20_ct,
# poly1305_ctmulq (64-bit multiplies; gcc has __int128) and poly1305_ctmul
# (its fallback where ctmulq is compiled out).
BEARSSL_KSRCS := hash/sha2small.c mac/hmac.c codec/dec32be.c codec/enc32be.c \
	codec/dec32le.c codec/enc32le.c symcipher/chacha20_ct.c symcipher/poly1305_ctmulq.c \
	symcipher/poly1305_ctmul.c
BEARSSL_KOBJS := $(patsubst %.c,$(TP_OBJ_DIR)/bearssl/%.o,$(BEARSSL_KSRCS))

KERNEL_EXTRA_OBJS += $(PROTO_KOBJS) $(PBC_KOBJS) $(BEARSSL_KOBJS)

# kernel/lib/sha256.c (the swap engine's object hashes) calls the same BearSSL
# SHA-256: it sees BearSSL's header and the freestanding shims, nothing else.
$(B)/kernel/kernel/lib/sha256.o: KERNEL_CFLAGS += -Iproto/freestanding -I$(BEARSSL_DIR)/inc

$(PROTO_KOBJ_DIR)/%.o: proto/%.c proto/wire.h $(PROTO_GEN_H) | setup
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) $(PROTO_KFLAGS) -c $< -o $@

$(PROTO_KOBJ_DIR)/theseus.pb-c.o: $(PROTO_GEN_C) $(PROTO_GEN_H) | setup
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

-include $(PROTO_KOBJS:.o=.d)

# ---- host build -----------------------------------------------------------------
# Debian puts BearSSL's headers under /usr/include/bearssl/.
PROTO_INC := -Iproto -I$(B)/gen -I/usr/include/bearssl
# sha256_ni.c: proto_sha256() with the CPU's SHA instructions (host only).
PROTO_HOST_SRCS := $(PROTO_WIRE_SRCS) proto/sha256_ni.c $(PROTO_GEN_C)
PROTO_HOST_DEPS := $(PROTO_HOST_SRCS) $(PROTO_GEN_H) proto/wire.h proto/sha256_ni.h
PROTO_HOST_LIBS := -lprotobuf-c -lbearssl

# proto_sha256() with SHA-NI against BearSSL's, every length up to 5 blocks.
UNIT_TESTS += $(B)/tests/unit/sha256_ni_test
$(B)/tests/unit/sha256_ni_test: tests/unit/sha256_ni_test.c tests/unit/check.h \
		$(PROTO_HOST_DEPS) $(ERR_HOST_SRCS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ \
		$(filter %.c,$^) $(PROTO_HOST_LIBS)

# Unit tests of the in-place readers of a push (wire_view.c).
UNIT_TESTS += $(B)/tests/unit/wire_view_test
$(B)/tests/unit/wire_view_test: tests/unit/wire_view_test.c tests/unit/check.h \
		$(PROTO_HOST_DEPS) $(ERR_HOST_SRCS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ \
		$(filter %.c,$^) $(PROTO_HOST_LIBS)

# Unit tests of the kind-1 request MAC (RFC 8439 vector, known answer, refusals).
UNIT_TESTS += $(B)/tests/unit/wire_mac_poly_test
$(B)/tests/unit/wire_mac_poly_test: tests/unit/wire_mac_poly_test.c tests/unit/check.h \
		$(PROTO_HOST_DEPS) $(ERR_HOST_SRCS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ \
		$(filter %.c,$^) $(PROTO_HOST_LIBS)

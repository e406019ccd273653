/*
 * sha256_ni_test.c - host unit tests of proto_sha256() with the CPU's SHA
 * instructions (proto/sha256_ni.c): FIPS 180-2 known answers, then every
 * length from 0 to 320 bytes (all tail cases: 55, 56, 63, 64 ...) at every
 * alignment 0..15 and a few MiB-sized buffers, each against BearSSL's
 * portable SHA-256 called directly.  On a CPU without SHA-NI the same checks
 * run through the fallback and one line says so.
 */
#include "check.h"
#include "sha256_ni.h"
#include "wire.h"

#include <bearssl_hash.h>
#include <stdlib.h>

static void ref(const uint8_t *d, size_t n, uint8_t out[32])
{
	br_sha256_context c;
	br_sha256_init(&c);
	br_sha256_update(&c, d, n);
	br_sha256_out(&c, out);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static void test_known_answers(void)
{
	/* FIPS 180-2, appendix B.1 and B.2. */
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	static const uint8_t two_blocks[32] = {
		0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26, 0x93, 0x0c, 0x3e, 0x60, 0x39,
		0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff, 0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1 };
	static const uint8_t empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55 };
	uint8_t out[32];
	proto_sha256((const uint8_t *)"abc", 3, out);
	CHECK(memcmp(out, abc, 32) == 0);
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	proto_sha256((const uint8_t *)m, strlen(m), out);
	CHECK(memcmp(out, two_blocks, 32) == 0);
	proto_sha256(NULL, 0, out);
	CHECK(memcmp(out, empty, 32) == 0);
}

static void test_every_length_and_alignment(void)
{
	static uint8_t buf[320 + 16];
	fill(buf, sizeof buf, 7);
	int bad = 0;
	for (size_t align = 0; align < 16; align++) {
		for (size_t n = 0; n <= 320; n++) {
			uint8_t a[32], b[32];
			proto_sha256(buf + align, n, a);
			ref(buf + align, n, b);
			if (memcmp(a, b, 32)) {
				if (bad++ < 5)
					fprintf(stderr, "  length %zu at offset %zu differs\n", n, align);
			}
		}
	}
	CHECK_EQ(bad, 0);
}

static void test_large(void)
{
	static const size_t sizes[] = { 4u << 20, (3u << 20) + 17, 1248 * 1000 + 5 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint8_t *p = malloc(sizes[i]);
		CHECK(p != NULL);
		if (!p)
			return;
		fill(p, sizes[i], (uint32_t)i + 1);
		uint8_t a[32], b[32];
		proto_sha256(p, sizes[i], a);
		ref(p, sizes[i], b);
		CHECK(memcmp(a, b, 32) == 0);
		free(p);
	}
}

static void test_direct_call_agrees(void)
{
	/* proto_sha256_ni() itself: false without the instructions, else the hash. */
	uint8_t a[32], b[32];
	memset(a, 0, sizeof a);
	bool used = proto_sha256_ni((const uint8_t *)"abc", 3, a);
	CHECK_EQ(used, proto_sha256_ni_available());
	if (used) {
		ref((const uint8_t *)"abc", 3, b);
		CHECK(memcmp(a, b, 32) == 0);
	}
}

int main(void)
{
	const char *e = getenv("THESEUS_SHA256");
	printf("sha256_ni: %s\n", proto_sha256_ni_available() ? "SHA-NI in use" :
	       e ? "portable (THESEUS_SHA256 set)" : "portable (no SHA-NI on this CPU)");
	RUN(test_known_answers);
	RUN(test_every_length_and_alignment);
	RUN(test_large);
	RUN(test_direct_call_agrees);
	return check_summary("sha256_ni");
}

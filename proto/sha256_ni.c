/* proto/sha256_ni.c - SHA-256 with the x86 SHA extensions, for host builds.
 *
 * theseusctl hashes every object it pushes before the first chunk leaves
 * (the hash names the object in every chunk).  BearSSL's portable SHA-256
 * takes about 23 ms for 4 MiB on our workstations, a tenth of the push; the
 * CPU's SHA-256 instructions (SHA-NI: sha256rnds2, sha256msg1/2) do it in
 * about 3 ms.  proto_sha256() (wire_mac.c) calls proto_sha256_ni() first and
 * falls back to BearSSL when it returns false: not an x86-64 CPU with SHA,
 * SSSE3 and SSE4.1, or THESEUS_SHA256=portable in the environment (to compare,
 * or to rule this code out).  Never built into the kernel (TCG has no SHA-NI,
 * and the kernel is built without SSE).  tests/unit/sha256_ni_test.c checks
 * it against BearSSL for every length up to several blocks.
 */
#include "sha256_ni.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

#define NI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

static const uint32_t k256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

/* Hashes n 64-byte blocks into the state, kept as the instructions want it:
 * abef = lanes (F, E, B, A) and cdgh = (H, G, D, C), lane 0 first. */
NI_TARGET static void blocks(__m128i *abef, __m128i *cdgh, const uint8_t *p, size_t n)
{
	/* Message words are big-endian: reverse the bytes of each 32-bit lane. */
	const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
	__m128i s0 = *abef, s1 = *cdgh;
	for (; n; n--, p += 64) {
		const __m128i save0 = s0, save1 = s1;
		__m128i w[4];   /* words 4g..4g+3 of the schedule, g mod 4 */
		for (int g = 0; g < 16; g++) {
			__m128i cur;
			if (g < 4) {
				cur = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * g)),
						       bswap);
			} else {
				/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] for t = 4g..4g+3:
				 * msg1 adds s0 of W[t-15] to W[t-16], alignr brings W[t-7..t-4],
				 * msg2 adds s1 of the two words before each (two of them new). */
				__m128i t = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
				t = _mm_add_epi32(t, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
				cur = _mm_sha256msg2_epu32(t, w[(g + 3) & 3]);
			}
			w[g & 3] = cur;
			__m128i wk = _mm_add_epi32(cur, _mm_loadu_si128((const __m128i *)(const void *)&k256[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, wk);   /* rounds 4g, 4g+1: new abef in s1 */
			wk = _mm_shuffle_epi32(wk, 0x0e);         /* the upper two words down */
			s0 = _mm_sha256rnds2_epu32(s0, s1, wk);   /* rounds 4g+2, 4g+3 */
		}
		s0 = _mm_add_epi32(s0, save0);
		s1 = _mm_add_epi32(s1, save1);
	}
	*abef = s0;
	*cdgh = s1;
}

NI_TARGET static void hash_ni(const uint8_t *data, size_t len, uint8_t out[32])
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	/* (A, B, C, D) and (E, F, G, H) into (F, E, B, A) and (H, G, D, C). */
	__m128i dcba = _mm_loadu_si128((const __m128i *)(const void *)&iv[0]);
	__m128i hgfe = _mm_loadu_si128((const __m128i *)(const void *)&iv[4]);
	__m128i cdab = _mm_shuffle_epi32(dcba, 0xb1);   /* B, A, D, C */
	__m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);   /* H, G, F, E */
	__m128i abef = _mm_alignr_epi8(cdab, efgh, 8);  /* F, E, B, A */
	__m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xf0); /* H, G, D, C */

	size_t full = len / 64;
	blocks(&abef, &cdgh, data, full);
	/* The tail, 0x80, zeros and the bit length: one or two more blocks. */
	uint8_t last[128];
	size_t rest = len - full * 64;
	memset(last, 0, sizeof last);
	if (rest)
		memcpy(last, data + full * 64, rest);
	last[rest] = 0x80;
	size_t tail_blocks = rest < 56 ? 1 : 2;
	uint64_t bits = (uint64_t)len * 8;
	for (int i = 0; i < 8; i++)
		last[tail_blocks * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
	blocks(&abef, &cdgh, last, tail_blocks);

	/* Back to (A, B, C, D), (E, F, G, H), then big-endian bytes. */
	__m128i feba = _mm_shuffle_epi32(abef, 0x1b);   /* A, B, E, F */
	__m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);   /* G, H, C, D */
	dcba = _mm_blend_epi16(feba, dchg, 0xf0);       /* A, B, C, D */
	hgfe = _mm_alignr_epi8(dchg, feba, 8);          /* E, F, G, H */
	uint32_t st[8];
	_mm_storeu_si128((__m128i *)(void *)&st[0], dcba);
	_mm_storeu_si128((__m128i *)(void *)&st[4], hgfe);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(st[i] >> 24);
		out[4 * i + 1] = (uint8_t)(st[i] >> 16);
		out[4 * i + 2] = (uint8_t)(st[i] >> 8);
		out[4 * i + 3] = (uint8_t)st[i];
	}
}

static int have_ni(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & (1u << 29)) != 0;   /* CPUID.(7,0):EBX.SHA */
}

bool proto_sha256_ni_available(void)
{
	/* Decided once; threads racing here compute the same value. */
	static int state;   /* 0 unknown, 1 no, 2 yes */
	int s = __atomic_load_n(&state, __ATOMIC_RELAXED);
	if (!s) {
		const char *e = getenv("THESEUS_SHA256");
		s = (e && !strcmp(e, "portable")) || !have_ni() ? 1 : 2;
		__atomic_store_n(&state, s, __ATOMIC_RELAXED);
	}
	return s == 2;
}

bool proto_sha256_ni(const uint8_t *data, size_t len, uint8_t out[32])
{
	if (!proto_sha256_ni_available())
		return false;
	hash_ni(data, len, out);
	return true;
}

#else /* not x86-64 with GCC or clang: BearSSL does it all */

bool proto_sha256_ni_available(void)
{
	return false;
}

bool proto_sha256_ni(const uint8_t *data, size_t len, uint8_t out[32])
{
	(void)data;
	(void)len;
	(void)out;
	return false;
}

#endif

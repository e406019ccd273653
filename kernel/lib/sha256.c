/*
 * sha256.c - th_sha256() over BearSSL's SHA-256 (kernel: the freestanding
 * build of sha2small.c that proto/proto.mk links; host: libbearssl).
 */
#include "sha256.h"

#include <bearssl_hash.h>

void th_sha256(const void *data, size_t len, uint8_t out[TH_SHA256_LEN])
{
	br_sha256_context c;

	br_sha256_init(&c);
	if (len)
		br_sha256_update(&c, data, len);
	br_sha256_out(&c, out);
}

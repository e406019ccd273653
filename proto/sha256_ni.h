/* proto/sha256_ni.h - proto's own (not public) interface to SHA-256 with the
 * x86 SHA instructions, host builds only (sha256_ni.c).  Users call
 * proto_sha256() from wire.h, which tries this first. */
#ifndef THESEUS_PROTO_SHA256_NI_H
#define THESEUS_PROTO_SHA256_NI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when this CPU has SHA-NI, SSSE3 and SSE4.1 and the environment does
 * not say THESEUS_SHA256=portable (read once per process). */
bool proto_sha256_ni_available(void);
/* out = SHA-256(data[0..len)) and true, or false (nothing written) when
 * proto_sha256_ni_available() is false. */
bool proto_sha256_ni(const uint8_t *data, size_t len, uint8_t out[32]);

#endif

/*
 * sha256.h - SHA-256 of a buffer for the nano_core (the swap engine names
 * every module object by its hash).  BearSSL's sha2small.c, the same code the
 * control endpoint uses; builds for the kernel and for the host tests.
 */
#ifndef THESEUS_SHA256_H
#define THESEUS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define TH_SHA256_LEN 32

void th_sha256(const void *data, size_t len, uint8_t out[TH_SHA256_LEN]);

#endif

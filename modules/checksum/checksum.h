/*
 * checksum.h - the API of the checksum module (CRC-32 and FNV-1a hashes),
 * for modules that call it.
 */
#ifndef MODULES_CHECKSUM_H
#define MODULES_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 (IEEE 802.3, reflected, as zlib): crc32("123456789") = 0xcbf43926. */
uint32_t checksum_crc32(const void *data, size_t len);
/* Continue a CRC: crc = checksum_crc32_update(crc, more, n), starting at 0. */
uint32_t checksum_crc32_update(uint32_t crc, const void *data, size_t len);
/* FNV-1a, 32 and 64 bits. */
uint32_t checksum_fnv1a32(const void *data, size_t len);
uint64_t checksum_fnv1a64(const void *data, size_t len);
/* FNV-1a 32 of a NUL-terminated string. */
uint32_t checksum_fnv1a32_str(const char *s);

#endif

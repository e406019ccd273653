/*
 * fnv.c - FNV-1a hashes (32 and 64 bits), used e.g. by kv for its table.
 */
#include "theseus.h"
#include "checksum/checksum.h"

uint32_t checksum_fnv1a32(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ *p++) * 16777619u;
	return h;
}
TH_EXPORT(checksum_fnv1a32);

uint64_t checksum_fnv1a64(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = 14695981039346656037ull;

	while (len--)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}
TH_EXPORT(checksum_fnv1a64);

uint32_t checksum_fnv1a32_str(const char *s)
{
	return checksum_fnv1a32(s, strlen(s));
}
TH_EXPORT(checksum_fnv1a32_str);

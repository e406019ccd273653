/*
 * wire_varint.c - the protobuf varint, read in place (wire.h): shared by
 * the in-place readers of a push (wire_view.c), the NUL check of string
 * fields (wire_strings.c) and the endpoint's naming of an unknown request
 * kind.  Every byte is checked against the length before it is read.
 */
#include "wire.h"

bool proto_varint(const uint8_t *p, size_t len, size_t *i, uint64_t *out, bool *overflow)
{
	uint64_t v = 0;
	bool over = false;
	for (unsigned shift = 0; shift < 70 && *i < len; shift += 7) {
		uint8_t b = p[(*i)++];
		if (shift == 63 && (b & 0x7f) > 1)
			over = true;
		else if (shift > 63 && (b & 0x7f))
			over = true;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			if (overflow)
				*overflow = over;
			return true;
		}
	}
	return false;
}

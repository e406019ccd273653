/*
 * wire_strings.c - string fields that hold a NUL byte, found in the encoded
 * message before protobuf-c decodes it.
 *
 * protobuf-c hands a string field over as a C string: one that holds a NUL
 * byte ("hello\0zzz") arrives cut at the NUL ("hello"), so every check made
 * on the decoded text (a module name's characters, say) passes for a name
 * the sender never wrote.  proto_strings_check walks the encoding with the
 * message's descriptor (nested messages too, to a bounded depth) and names
 * the first string field holding a NUL.  It checks every length against
 * what is left; what it cannot walk (a malformed encoding) it leaves to
 * protobuf-c's unpack, which refuses it.
 */
#include "wire.h"

#include "klibc.h"
#include "theseus.pb-c.h"

#define NESTING_MAX 8   /* deeper than any message of theseus.proto */

static bool has_nul(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!p[i])
			return true;
	return false;
}

/* 1: a string field holds a NUL (*bad names it); 0: none found. */
static int walk(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
		unsigned depth, const char **bad)
{
	size_t i = 0;
	while (i < len) {
		uint64_t key, n;
		if (!proto_varint(p, len, &i, &key, NULL))
			return 0;
		switch (key & 7) {
		case 0:   /* varint */
			if (!proto_varint(p, len, &i, &n, NULL))
				return 0;
			break;
		case 1:   /* 64-bit */
			if (len - i < 8)
				return 0;
			i += 8;
			break;
		case 5:   /* 32-bit */
			if (len - i < 4)
				return 0;
			i += 4;
			break;
		case 2: { /* length-delimited */
			if (!proto_varint(p, len, &i, &n, NULL) || n > len - i)
				return 0;
			const ProtobufCFieldDescriptor *f =
				key >> 3 <= UINT32_MAX
					? protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3))
					: NULL;
			if (f && f->type == PROTOBUF_C_TYPE_STRING && has_nul(p + i, (size_t)n)) {
				*bad = f->name;
				return 1;
			}
			if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && depth < NESTING_MAX &&
			    walk(f->descriptor, p + i, (size_t)n, depth + 1, bad))
				return 1;
			i += (size_t)n;
			break;
		}
		default:  /* groups and reserved wire types: protobuf-c refuses them */
			return 0;
		}
	}
	return 0;
}

int proto_strings_check(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
			struct th_errbuf *eb)
{
	const char *bad = NULL;
	if (d && (buf || !len) && walk(d, buf, len, 0, &bad))
		return th_errf(eb, TH_EPROTO, "string field %s holds a NUL byte", bad);
	return TH_OK;
}

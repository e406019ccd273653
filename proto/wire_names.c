/*
 * wire_names.c - the text the protocol carries that must be checked the
 * same way on both ends: module and function names, and the 32-byte key as
 * 64 hex digits (the kernel's key=, theseusctl's key files).
 */
#include "wire.h"

#include "klibc.h"

bool proto_name_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	if (n == 0 || n >= max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

int proto_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int proto_key_parse(const char *text, uint8_t key[PROTO_KEY_LEN], struct th_errbuf *eb)
{
	uint8_t k[PROTO_KEY_LEN];
	while (blank(*text))
		text++;
	size_t n = 0;
	while (text[n] && !blank(text[n]))
		n++;
	for (const char *p = text + n; *p; p++)
		if (!blank(*p))
			return th_errf(eb, TH_EINVAL, "the key must be one word of 64 hex digits");
	if (n != 2 * PROTO_KEY_LEN)
		return th_errf(eb, TH_EINVAL, "the key must be 64 hex digits (got %zu characters)", n);
	for (size_t i = 0; i < n; i += 2) {
		int hi = proto_hex_digit(text[i]), lo = proto_hex_digit(text[i + 1]);
		if (hi < 0 || lo < 0)
			return th_errf(eb, TH_EINVAL, "the key has a non-hex character at position %zu",
				       i + (hi < 0 ? 1 : 2));
		k[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(key, k, sizeof k);
	memset(k, 0, sizeof k);
	return TH_OK;
}

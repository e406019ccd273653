/*
 * log_escape.c - what a log line may carry to a console: klog() (log.c)
 * passes every formatted line through log_escape(), because its text is
 * partly written by module authors (a module's log lines and component
 * name, its version, task names, symbols in fault reports).  Control bytes
 * (C0 but tab, and DEL) become "\xNN": an ESC sequence no longer clears
 * the serial terminal or sets its title, a CR or backspace no longer hides
 * text, and an embedded newline no longer forges a log line of its own.
 * Other bytes pass (UTF-8 text stays readable; theseusctl escapes what it
 * prints itself, ctl/term_text.c).  Pure C: unit-tested on the host
 * (tests/unit/log_escape_test.c).
 */
#include "log.h"

size_t log_escape(char *dst, size_t cap, const char *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t out = 0;
	if (!cap)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			if (out + 4 > cap - 1)
				break;     /* an escape is never cut in half */
			dst[out++] = '\\';
			dst[out++] = 'x';
			dst[out++] = hex[c >> 4];
			dst[out++] = hex[c & 15];
		} else {
			if (out + 1 > cap - 1)
				break;
			dst[out++] = (char)c;
		}
	}
	dst[out] = '\0';
	return out;
}

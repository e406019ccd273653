/*
 * errbuf.c - the formatting helpers of klibc.h: th_errf() fills a struct
 * th_errbuf and passes the code through; th_appendf() builds listings piece
 * by piece.  Shared by the kernel and host builds.
 */
#include "klibc.h"

int th_errf(struct th_errbuf *eb, int err, const char *fmt, ...)
{
	if (eb) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(eb->msg, sizeof eb->msg, fmt, ap);
		va_end(ap);
	}
	return err;
}

void th_appendf(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(*pos < len ? buf + *pos : NULL, *pos < len ? len - *pos : 0, fmt, ap);
	va_end(ap);
	if (k > 0)
		*pos += (size_t)k;
}

/*
 * errbuf.c - th_errf(): fill a struct th_errbuf and pass the code through.
 * Shared by the kernel and host builds.
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

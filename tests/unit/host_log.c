/*
 * host_log.c - log.h for host test binaries: every line to stderr as
 * "LEVEL component: message"; the ring (log_read) is empty.
 */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static enum log_level console_level = LOG_DEBUG;
static const char *const level_name[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void klog(enum log_level level, const char *component, const char *fmt, ...)
{
	va_list ap;

	if (level < console_level)
		return;
	fprintf(stderr, "%s %s: ", (unsigned)level < 4 ? level_name[level] : "?", component);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

size_t log_read(uint64_t *pos, char *buf, size_t len)
{
	(void)pos;
	(void)buf;
	(void)len;
	return 0;
}

void log_set_console_level(enum log_level level)
{
	console_level = level;
}

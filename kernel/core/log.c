/*
 * log.c - the kernel log (see log.h): formats "[secs.usecs] LEVEL comp: msg",
 * escapes its control bytes (log_escape.c), writes it to the consoles (serial, and the screen once attached) if its
 * level is high enough, and keeps every line in a ring buffer that
 * log_read() serves (theseusctl log).
 */
#include "log.h"

#include "klibc.h"
#include "ktime.h"
#include "lock.h"
#include "param.h"
#include "screen.h"
#include "serial.h"

static char ring[LOG_RING_BYTES];
static uint64_t ring_head; /* absolute position of the next byte written */
static struct spinlock log_lock = SPINLOCK_INIT;
static enum log_level console_level = LOG_INFO;
static bool to_serial = true, to_screen;

static const char *const level_names[] = { "DEBUG", "INFO", "WARN", "ERROR" };

void log_set_console_level(enum log_level level) { console_level = level; }

void log_set_serial(bool on) { to_serial = on; }

void log_attach_screen(void)
{
	uint64_t flags = spin_lock_irqsave(&log_lock);
	uint64_t oldest = ring_head > LOG_RING_BYTES ? ring_head - LOG_RING_BYTES : 0;
	for (uint64_t pos = oldest; pos < ring_head;) {      /* what was logged so far, */
		size_t at = pos % LOG_RING_BYTES;                /* in at most two pieces */
		size_t n = LOG_RING_BYTES - at < ring_head - pos ? LOG_RING_BYTES - at
								 : (size_t)(ring_head - pos);
		screen_write(&ring[at], n);
		pos += n;
	}
	to_screen = true;
	spin_unlock_irqrestore(&log_lock, flags);
}

static void ring_put(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ring[(ring_head + i) % LOG_RING_BYTES] = s[i];
	ring_head += n;
}

size_t log_read(uint64_t *pos, char *buf, size_t len)
{
	uint64_t flags = spin_lock_irqsave(&log_lock);
	uint64_t oldest = ring_head > LOG_RING_BYTES ? ring_head - LOG_RING_BYTES : 0;
	if (*pos < oldest)
		*pos = oldest;
	if (*pos > ring_head)
		*pos = ring_head;
	size_t n = 0;
	while (n < len && *pos < ring_head) {
		buf[n++] = ring[*pos % LOG_RING_BYTES];
		(*pos)++;
	}
	spin_unlock_irqrestore(&log_lock, flags);
	return n;
}

static void emit(bool console, const char *line, size_t n)
{
	uint64_t flags = spin_lock_irqsave(&log_lock);
	ring_put(line, n);
	if (console && to_serial)
		serial_write(line, n);
	if (console && to_screen)
		screen_write(line, n);
	spin_unlock_irqrestore(&log_lock, flags);
}

void klog(enum log_level level, const char *component, const char *fmt, ...)
{
	char raw[LOG_LINE_MAX], line[LOG_LINE_MAX];
	uint64_t ns = time_ns();
	if ((unsigned)level > LOG_ERROR)
		level = LOG_ERROR;
	int n = snprintf(raw, sizeof raw, "[%5llu.%06llu] %-5s %s: ",
			 (unsigned long long)(ns / 1000000000), (unsigned long long)(ns / 1000 % 1000000),
			 level_names[level], component);
	va_list ap;
	va_start(ap, fmt);
	if (n < (int)sizeof raw)
		n += vsnprintf(raw + n, sizeof raw - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof raw - 1)
		n = (int)sizeof raw - 1;
	/* Control bytes of a module's text escaped, room kept for the newline. */
	size_t len = log_escape(line, sizeof line - 1, raw, (size_t)n);
	line[len++] = '\n';
	line[len] = '\0';
	emit(level >= console_level, line, len);
}

void kprintf(const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof line - 1) {
		/* Cut: a line stays a line ("theseus: ready: ..." with a long
		 * command line is waited for up to its newline), marked as cut. */
		n = (int)sizeof line - 1;
		size_t fl = strlen(fmt);
		if (fl && fmt[fl - 1] == '\n')
			memcpy(line + n - 4, "...\n", 4);
	}
	emit(true, line, (size_t)n);
}

/*
 * log.h - the kernel log: levels, timestamps, a ring buffer, the consoles
 * (serial, and the screen).
 *
 * Every line is "[   12.345678] LEVEL component: message" on COM1 and in a
 * ring of the last LOG_RING_BYTES bytes, which log_read() copies out (for
 * `theseusctl log`).  Safe from interrupt context.  On the host (unit tests)
 * these print to stderr.
 */
#ifndef THESEUS_LOG_H
#define THESEUS_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void klog(enum log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(comp, ...) klog(LOG_DEBUG, comp, __VA_ARGS__)
#define log_info(comp, ...) klog(LOG_INFO, comp, __VA_ARGS__)
#define log_warn(comp, ...) klog(LOG_WARN, comp, __VA_ARGS__)
#define log_error(comp, ...) klog(LOG_ERROR, comp, __VA_ARGS__)

/* Raw console output, no prefix (fault reports, the ready line). */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#ifndef THESEUS_MODULE_VIEW /* kernel only: not exported to modules */
/* Copy ring contents starting at absolute byte position *pos (0 = oldest kept)
 * into buf; advances *pos.  Returns the number of bytes copied.  A *pos older
 * than the oldest byte kept moves up to it; one beyond the end of the log
 * (a position from before a reboot) moves down to the end. */
size_t log_read(uint64_t *pos, char *buf, size_t len);

/* Copies n bytes of src into dst (cap bytes, NUL-terminated) with control
 * bytes (C0 but tab, and DEL) as "\xNN", cut short at a whole character
 * when full; returns the length written (log_escape.c).  klog() passes
 * every line through it. */
size_t log_escape(char *dst, size_t cap, const char *src, size_t n);

/* Minimum level printed on the console (all levels go to the ring). */
void log_set_console_level(enum log_level level);
/* Consoles: serial (on from the start) and the screen, attached once it is
 * set up (screen.h); attaching replays what the ring holds so far. */
void log_set_serial(bool on);
void log_attach_screen(void);
#endif

#endif

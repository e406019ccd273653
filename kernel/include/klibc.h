/*
 * klibc.h - the small C library subset shared code may use.
 *
 * Code that builds both into the kernel and for the host (boot-info parsing,
 * the ELF loader, statedb, protocol handling) includes this instead of the
 * hosted headers.  In the kernel (THESEUS_KERNEL defined) the functions come
 * from kernel/lib; on the host they are the C library's, and kmalloc/kfree
 * are malloc/free so that ASan sees every allocation.
 */
#ifndef THESEUS_KLIBC_H
#define THESEUS_KLIBC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#ifdef THESEUS_KERNEL
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#include "heap.h"
#else
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define kmalloc(n) malloc(n)
#define kcalloc(n, s) calloc((n), (s))
#define kfree(p) free(p)
/* Append like snprintf into buf (len bytes) at *pos, advancing *pos by the
 * length the text needs even past len, so a listing can report the size it
 * wanted (snprintf's contract for a whole listing built piece by piece). */
void th_appendf(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif

/* A caller-provided buffer for a human-readable error message, so errors can
 * name the module, symbol or field that was wrong (and travel to theseusctl). */
struct th_errbuf {
	char msg[200];
};

/* Formats into eb (if not NULL) and returns err, so that
 * `return th_errf(eb, TH_ENOSYM, "%s: undefined symbol %s", mod, sym);` works. */
int th_errf(struct th_errbuf *eb, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#ifndef THESEUS_MODULE_VIEW /* kernel only: not exported to modules */
/* Append like snprintf into buf (len bytes) at *pos, advancing *pos by the
 * length the text needs even past len, so a listing can report the size it
 * wanted (snprintf's contract for a whole listing built piece by piece). */
void th_appendf(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#endif

#endif

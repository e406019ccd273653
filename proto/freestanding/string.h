/*
 * string.h (freestanding shim) - lets third-party code (protobuf-c runtime,
 * BearSSL) and generated .pb-c.c files build inside the kernel.  Only on the
 * include path of the kernel build of proto/ and net/endpoint/ objects; the
 * functions come from kernel/lib (see klibc.h).
 */
#ifndef THESEUS_SHIM_STRING_H
#define THESEUS_SHIM_STRING_H
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
#endif

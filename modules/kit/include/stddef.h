/*
 * stddef.h - the module kit's freestanding <stddef.h> (installed in
 * include/theseus/): the kit compiles with -nostdinc and ships the four
 * freestanding headers the module API uses, written on the predefined
 * macros gcc and clang share, so the kit needs no compiler's own include
 * directory (and works with either).
 */
#ifndef THESEUS_KIT_STDDEF_H
#define THESEUS_KIT_STDDEF_H

typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
#ifndef __cplusplus
typedef __WCHAR_TYPE__ wchar_t;
#define NULL ((void *)0)
#else
#define NULL nullptr
#endif
typedef struct {
	long long ll __attribute__((aligned(__alignof__(long long))));
	long double ld __attribute__((aligned(__alignof__(long double))));
} max_align_t;
#define offsetof(type, member) __builtin_offsetof(type, member)

#endif

/*
 * assert.h (freestanding shim) - assert() for third-party code built into the
 * kernel.  A failed assertion is an internal bug of the caller (e.g. a wrong
 * descriptor passed to protobuf-c), never caused by input: it is logged by
 * endpoint_assert_fail() (net/endpoint/kstubs.c), which does not return.
 */
#ifndef THESEUS_SHIM_ASSERT_H
#define THESEUS_SHIM_ASSERT_H
void endpoint_assert_fail(const char *expr, const char *file, int line)
	__attribute__((noreturn));
#define assert(e) ((e) ? (void)0 : endpoint_assert_fail(#e, __FILE__, __LINE__))
#endif

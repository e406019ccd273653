/*
 * hello.h - the API of the hello module (two versions: modules/hello and
 * modules/hello_v2, swapped live by the demo).  The call counter lives in
 * statedb ("hello.calls"), so it survives the swap.
 */
#ifndef MODULES_HELLO_H
#define MODULES_HELLO_H

#include <stddef.h>
#include <stdint.h>

/* Write a greeting into buf and count the call.  Errors: TH_EINVAL (NULL,
 * len 0), TH_ERANGE (did not fit; truncated), statedb errors. */
int hello_greet(char *buf, size_t len);

/* hello_greet() with the uniform invoke ABI (proto/theseus.proto
 * InvokeRequest): input ignored, the greeting (no NUL) into out. */
int hello_greet_invoke(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
		       size_t *out_len);

#endif

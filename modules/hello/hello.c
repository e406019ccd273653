/*
 * hello.c - hello 1.0: a greeting with a call counter kept in statedb
 * ("hello.calls"), the module the demo swaps for hello_v2 while it runs.
 */
#include "theseus.h"
#include "hello/hello.h"

#define HELLO_TYPE 0x68656c6cu /* "hell" */
#define HELLO_LAYOUT 1

/* Increment the shared counter; *n gets the new value. */
static int count_call(uint64_t *n)
{
	struct statedb_ref ref;
	uint64_t *calls;
	int err = statedb_open("hello.calls", HELLO_TYPE, HELLO_LAYOUT, sizeof *calls, &ref, NULL);

	if (err)
		return err;
	err = statedb_get(ref, HELLO_TYPE, HELLO_LAYOUT, (void **)&calls, NULL);
	if (!err) {
		*n = ++*calls;
		err = statedb_put(ref);
	}
	if (!err)
		err = statedb_close(ref);
	else if (statedb_close(ref))
		log_warn("hello", "statedb_close failed");
	return err;
}

int hello_greet(char *buf, size_t len)
{
	uint64_t n;
	int k, err;

	if (!buf || !len)
		return TH_EINVAL;
	err = count_call(&n);
	if (err)
		return err;
	k = snprintf(buf, len, "hello from v1 (call %llu)", (unsigned long long)n);
	return (k < 0 || (size_t)k >= len) ? TH_ERANGE : TH_OK;
}

static int hello_init(void)
{
	log_info("hello", "hello 1.0 ready");
	return TH_OK;
}

TH_MODULE("hello", "1.0", "greeting service, counter in statedb", .init = hello_init);

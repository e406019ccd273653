/*
 * hello.c (hello_v2) - hello 2.0: same API and statedb counter as hello 1.0
 * ("hello.calls", same type and layout, so the count carries over a swap),
 * a different greeting, formatted through the logfmt module.
 */
#include "theseus.h"
#include "hello/hello.h"
#include "logfmt/logfmt.h"

#define HELLO_TYPE 0x68656c6cu /* "hell" */
#define HELLO_LAYOUT 1

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
	char msg[48];
	uint64_t n;
	int err;

	if (!buf || !len)
		return TH_EINVAL;
	err = count_call(&n);
	if (err)
		return err;
	snprintf(msg, sizeof msg, "HELLO from v2, call %llu", (unsigned long long)n);
	return logfmt_format(buf, len, LOG_INFO, "hello", msg, NULL) ? TH_ERANGE : TH_OK;
}

static int hello_init(void)
{
	log_info("hello", "hello 2.0 ready (formats through logfmt)");
	return TH_OK;
}

TH_MODULE("hello", "2.0", "greeting service v2 via logfmt, counter in statedb",
	  .init = hello_init);

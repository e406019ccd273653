/*
 * hello.c (hello_v2) - hello 2.0: same API and statedb counter as hello 1.0
 * ("hello.calls", same type and layout, so the count carries over a swap),
 * a different greeting, formatted through the logfmt module.  Its transfer
 * hook (run by a live swap instead of init) bumps "hello.starts" and logs
 * the counters it found, showing that the state outlived hello 1.0.
 */
#include "theseus.h"
#include "hello/hello.h"
#include "logfmt/logfmt.h"

#define HELLO_TYPE 0x68656c6cu /* "hell" */
#define HELLO_LAYOUT 1

/* Add add to the statedb counter `name`; *n gets the new value. */
static int counter_add(const char *name, uint64_t add, uint64_t *n)
{
	struct statedb_ref ref;
	uint64_t *calls;
	int err = statedb_open(name, HELLO_TYPE, HELLO_LAYOUT, sizeof *calls, &ref, NULL);

	if (err)
		return err;
	err = statedb_get(ref, HELLO_TYPE, HELLO_LAYOUT, (void **)&calls, NULL);
	if (!err) {
		*n = __atomic_add_fetch(calls, add, __ATOMIC_RELAXED); /* callers on several CPUs */
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
	err = counter_add("hello.calls", 1, &n);
	if (err)
		return err;
	snprintf(msg, sizeof msg, "HELLO from v2, call %llu", (unsigned long long)n);
	return logfmt_format(buf, len, LOG_INFO, "hello", msg, NULL) ? TH_ERANGE : TH_OK;
}
TH_EXPORT(hello_greet);

/* The same with the uniform invoke ABI (`theseusctl invoke hello hello_greet_invoke`). */
int hello_greet_invoke(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
		       size_t *out_len)
{
	int err;

	if (!out || !out_len)
		return TH_EINVAL;
	err = hello_greet((char *)out, out_cap);
	*out_len = err ? 0 : strlen((char *)out);
	return err;
}
TH_INVOKE(hello_greet_invoke);

/* Bump the start counter and log what statedb holds; from = the version
 * replaced by a live swap, NULL on a plain load. */
static int hello_start(const char *from)
{
	uint64_t starts, calls;
	int err = counter_add("hello.starts", 1, &starts);

	if (!err)
		err = counter_add("hello.calls", 0, &calls);
	if (err)
		return err;
	log_info("hello", "HELLO 2.0 %s%s: start #%llu, %llu greetings so far (formats through logfmt)",
		 from ? "took over from " : "ready", from ? from : "",
		 (unsigned long long)starts, (unsigned long long)calls);
	return TH_OK;
}

static int hello_init(void)
{
	return hello_start(NULL);
}

static int hello_transfer(const struct th_module_info *old)
{
	return hello_start(old ? old->version : "?");
}

TH_MODULE("hello", "2.0", "greeting service v2 via logfmt, counter in statedb",
	  .init = hello_init, .transfer = hello_transfer);

/*
 * hello.c - hello 1.0: a greeting with a call counter kept in statedb
 * ("hello.calls"), the module the demo swaps for hello_v2 while it runs.
 * Every start (init, or transfer in hello_v2) also bumps "hello.starts" and
 * logs both counters: the serial log shows state surviving a live swap.
 */
#include "theseus.h"
#include "hello/hello.h"

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
	uint64_t n;
	int k, err;

	if (!buf || !len)
		return TH_EINVAL;
	err = counter_add("hello.calls", 1, &n);
	if (err)
		return err;
	k = snprintf(buf, len, "hello from v1 (call %llu)", (unsigned long long)n);
	return (k < 0 || (size_t)k >= len) ? TH_ERANGE : TH_OK;
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

static int hello_init(void)
{
	uint64_t starts, calls;
	int err = counter_add("hello.starts", 1, &starts);

	if (!err)
		err = counter_add("hello.calls", 0, &calls);
	if (err)
		return err;
	log_info("hello", "hello 1.0 ready: start #%llu, %llu greetings so far",
		 (unsigned long long)starts, (unsigned long long)calls);
	return TH_OK;
}

TH_MODULE("hello", "1.0", "greeting service, counter in statedb", .init = hello_init);

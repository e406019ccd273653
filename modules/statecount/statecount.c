/*
 * statecount.c - TEST module "statecount": a counter in statedb entry
 * "statecount.state" whose layout changes between versions, for the swap
 * tests of the hooks' statedb transaction (tests/qemu/test_faults.py).
 *   STATECOUNT_VARIANT unset  1.0, layout 1 (count, sum)
 *                      2      2.0, layout 2 (+ hits): migrates in transfer/init
 *                      3      2.1-fail: migrates, then its transfer fails (EIO)
 *   invoke statecount_add N: adds N, replies "statecount VERSION count=C sum=S"
 */
#include "theseus.h"

#ifndef STATECOUNT_VARIANT
#define STATECOUNT_VARIANT 1
#endif
#if STATECOUNT_VARIANT == 1
#define SC_VERSION "1.0"
#define SC_LAYOUT 1
#elif STATECOUNT_VARIANT == 2
#define SC_VERSION "2.0"
#define SC_LAYOUT 2
#else
#define SC_VERSION "2.1-fail"
#define SC_LAYOUT 2
#endif

#define SC_TYPE 0x73630000u

struct sc_state {
	uint64_t count;
	uint64_t sum;
#if SC_LAYOUT >= 2
	uint64_t hits;
#endif
};

static int sc_migrate(void)
{
	struct statedb_ref ref;
	struct statedb_info in;
	int err = statedb_lookup("statecount.state", &ref, NULL);

	if (err == TH_ENOENT)
		return TH_OK;
	if (!err)
		err = statedb_inspect(ref, &in);
	if (err)
		return err;
	if (in.type != SC_TYPE || in.version > SC_LAYOUT + 1)
		return TH_ETYPE;
	if (in.version == SC_LAYOUT)
		return TH_OK;
	err = statedb_replace("statecount.state", SC_TYPE, SC_LAYOUT, sizeof(struct sc_state), NULL,
			      &ref, NULL);
	return err ? err : statedb_close(ref);
}

static int sc_transfer(const struct th_module_info *old)
{
	int err = sc_migrate();
#if STATECOUNT_VARIANT == 3
	log_info("statecount", "statecount " SC_VERSION ": migrated (%s), now failing on purpose",
		 th_err_name(err));
	return TH_EIO;
#endif
	return err;
}

static int sc_init(void)
{
	return sc_migrate();
}

static uint64_t parse_u64(const uint8_t *in, size_t len)
{
	uint64_t v = 0;
	for (size_t i = 0; i < len && in[i] >= '0' && in[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(in[i] - '0');
	return v;
}

int statecount_add(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	struct statedb_ref r;
	struct sc_state *s;
	int n, err = statedb_open("statecount.state", SC_TYPE, SC_LAYOUT, sizeof *s, &r, NULL);

	*out_len = 0;
	if (!err)
		err = statedb_close(r);
	if (!err)
		err = statedb_get(r, SC_TYPE, SC_LAYOUT, (void **)&s, NULL);
	if (err) {
		n = snprintf((char *)out, out_cap, "statecount " SC_VERSION ": %s", th_err_name(err));
		*out_len = n > 0 && (size_t)n < out_cap ? (size_t)n : 0;
		return err;
	}
	s->count++;
	s->sum += parse_u64(in, in_len);
	n = snprintf((char *)out, out_cap, "statecount " SC_VERSION " count=%llu sum=%llu",
		     (unsigned long long)s->count, (unsigned long long)s->sum);
	*out_len = n > 0 && (size_t)n < out_cap ? (size_t)n : 0;
	return statedb_put(r);
}
TH_INVOKE(statecount_add);

TH_MODULE("statecount", SC_VERSION, "TEST module: a statedb counter across layouts",
	  .init = sc_init, .transfer = sc_transfer);

/*
 * t_mig.c - swap test module "t_mig" 1.0: keeps a counter in statedb entry
 * "t_mig.state" (layout 1, 16 bytes); t_mig2 migrates it to layout 2.
 */
#include "theseus.h"

#define MIG_TYPE 0x6d690000u

struct mig_v1 {
	uint64_t count;
	uint64_t sum;
};

/* Add x; the new count, or the statedb error (TH_ETYPE: another layout). */
int mig_add(int x)
{
	struct statedb_ref r;
	struct mig_v1 *s;
	int err = statedb_open("t_mig.state", MIG_TYPE, 1, sizeof *s, &r, NULL);

	if (!err) {
		err = statedb_close(r);
		if (!err)
			err = statedb_get(r, MIG_TYPE, 1, (void **)&s, NULL);
	}
	if (err)
		return err;
	s->count++;
	s->sum += (uint64_t)x;
	err = (int)s->count;
	return statedb_put(r) ? TH_EINVAL : err;
}
TH_EXPORT(mig_add);

TH_MODULE("t_mig", "1.0", "swap test: statedb layout 1");

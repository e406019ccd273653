/*
 * t_mig2.c - swap test module "t_mig" 2.0: its transfer hook migrates
 * "t_mig.state" from layout 1 to 2 with statedb_replace (the README's
 * kv_migrate pattern), creates "t_mig.new" and deletes "t_mig.old"; then,
 * as the test says (host_swap_flag): 2 fails the hook after migrating,
 * 3 creates entries until statedb refuses (journal full) and fails with that.
 */
#include "theseus.h"

#define MIG_TYPE 0x6d690000u

int host_swap_flag(void);

struct mig_v2 {
	uint64_t count;
	uint64_t sum;
	uint64_t hits;
	uint64_t spare;
};

int mig_add(int x)
{
	struct statedb_ref r;
	struct mig_v2 *s;
	int err = statedb_open("t_mig.state", MIG_TYPE, 2, sizeof *s, &r, NULL);

	if (!err) {
		err = statedb_close(r);
		if (!err)
			err = statedb_get(r, MIG_TYPE, 2, (void **)&s, NULL);
	}
	if (err)
		return err;
	s->count++;
	s->sum += (uint64_t)x;
	s->hits++;
	err = (int)s->count;
	return statedb_put(r) ? TH_EINVAL : err;
}
TH_EXPORT(mig_add);

static int migrate(void)
{
	struct statedb_ref ref;
	struct statedb_info in;
	int err = statedb_lookup("t_mig.state", &ref, NULL);

	if (err == TH_ENOENT)
		return TH_OK;
	if (!err)
		err = statedb_inspect(ref, &in);
	if (err)
		return err;
	if (in.type != MIG_TYPE || in.version > 3)
		return TH_ETYPE;
	if (in.version == 2)
		return TH_OK;
	err = statedb_replace("t_mig.state", MIG_TYPE, 2, sizeof(struct mig_v2), NULL, &ref, NULL);
	return err ? err : statedb_close(ref);
}

static int mig_transfer(const struct th_module_info *old)
{
	struct statedb_ref r;
	char name[32];
	int err = migrate(), i, flag = host_swap_flag();

	if (!err)
		err = statedb_open("t_mig.new", MIG_TYPE, 1, 8, &r, NULL);
	if (!err)
		err = statedb_close(r);
	if (!err) {
		err = statedb_delete("t_mig.old", NULL);
		if (err == TH_ENOENT)
			err = TH_OK;
	}
	if (err)
		return err;
	if (flag == 2)
		return TH_EIO; /* after migrating */
	for (i = 0; flag == 3; i++) {
		snprintf(name, sizeof name, "t_mig.n%d", i);
		err = statedb_create(name, MIG_TYPE, 1, 8, NULL, &r, NULL);
		if (err)
			return err;
	}
	return TH_OK;
}

TH_MODULE("t_mig", "2.0", "swap test: statedb layout 2 (migrates)", .transfer = mig_transfer,
	  .init = migrate);

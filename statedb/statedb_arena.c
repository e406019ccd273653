/*
 * statedb_arena.c - the data-area allocator of statedb: first fit over a
 * bitmap with one bit per STATEDB_ALIGN-byte granule.
 *
 * The bitmap lives outside the data area (see statedb_impl.h), so entry
 * bytes can never corrupt it.  Whole words that are full or empty are
 * skipped 64 granules at a time.  Callers hold the statedb lock.
 */
#include "statedb_impl.h"

static int bit_is_set(const uint64_t *bm, uint32_t i)
{
	return (int)((bm[i / 64] >> (i % 64)) & 1u);
}

/* Set (val 1) or clear (val 0) granules [first, first + n). */
static void bits_assign(uint64_t *bm, uint32_t first, uint32_t n, int val)
{
	uint32_t i = first, end = first + n;

	while (i < end) {
		uint32_t off = i % 64;
		uint32_t take = 64 - off;
		uint64_t mask;

		if (take > end - i)
			take = end - i;
		mask = (take == 64) ? UINT64_MAX : (((UINT64_C(1) << take) - 1) << off);
		if (val)
			bm[i / 64] |= mask;
		else
			bm[i / 64] &= ~mask;
		i += take;
	}
}

/*
 * Walk free runs in address order; stop at the first run of at least `want`
 * granules (want 0: never stop).  Returns the run found (or the largest seen
 * when none is long enough) through *start and *len.
 */
static int find_run(const struct statedb *db, uint32_t want, uint32_t *start,
		    uint32_t *len)
{
	uint32_t i = 0, run = 0, run_start = 0, best = 0, best_start = 0;

	while (i < db->ngran) {
		uint64_t w = db->bitmap[i / 64];

		if (i % 64 == 0 && w == UINT64_MAX) {
			run = 0;
			i += 64;
			continue;
		}
		if (i % 64 == 0 && w == 0 && db->ngran - i >= 64) {
			if (run == 0)
				run_start = i;
			run += 64;
			i += 64;
		} else if (bit_is_set(db->bitmap, i)) {
			run = 0;
			i++;
			continue;
		} else {
			if (run == 0)
				run_start = i;
			run++;
			i++;
		}
		if (run > best) {
			best = run;
			best_start = run_start;
		}
		if (want && run >= want) {
			*start = run_start;
			*len = run;
			return 1;
		}
	}
	*start = best_start;
	*len = best;
	return 0;
}

int statedb_arena_alloc(struct statedb *db, uint32_t n, uint32_t *first)
{
	uint32_t start, len;

	if (n == 0 || n > db->ngran - db->gran_used)
		return TH_EFULL;
	if (!find_run(db, n, &start, &len))
		return TH_EFULL;
	bits_assign(db->bitmap, start, n, 1);
	db->gran_used += n;
	*first = start;
	return TH_OK;
}

void statedb_arena_free(struct statedb *db, uint32_t first, uint32_t n)
{
	bits_assign(db->bitmap, first, n, 0);
	db->gran_used -= n;
}

uint32_t statedb_arena_largest(const struct statedb *db)
{
	uint32_t start, len;

	(void)find_run(db, 0, &start, &len);
	return len;
}

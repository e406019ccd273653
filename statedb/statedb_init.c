/*
 * statedb_init.c - the one statedb instance: carving the arena into slot
 * table, hash buckets, allocation bitmap and data area (statedb_init), the
 * matching size calculation (statedb_arena_size), and usage statistics.
 */
#include "statedb_impl.h"

struct statedb statedb_g = {.lock = SPINLOCK_INIT};

static uintptr_t align_up(uintptr_t v, uintptr_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint32_t bucket_count(uint32_t entries)
{
	uint32_t b = 1;

	while (b < entries)
		b <<= 1;
	return b;
}

/* Does a data area of ngran granules fit between the bitmap start and end? */
static int data_fits(uintptr_t bitmap_at, uintptr_t end, uint64_t ngran)
{
	uint64_t words = (ngran + 63) / 64;
	uintptr_t data_at;

	if (words * 8 > end - bitmap_at)
		return 0;
	data_at = align_up(bitmap_at + (uintptr_t)words * 8, STATEDB_ALIGN);
	return data_at <= end && ngran <= (end - data_at) / STATEDB_ALIGN;
}

size_t statedb_arena_size(uint32_t max_entries, size_t data_bytes)
{
	uint64_t n, total;

	if (max_entries == 0 || max_entries > STATEDB_ENTRIES_MAX ||
	    data_bytes > ((uint64_t)1 << 35))
		return 0;
	n = (data_bytes + STATEDB_ALIGN - 1) / STATEDB_ALIGN;
	if (n == 0)
		n = 1;
	total = (STATEDB_ALIGN - 1) + (uint64_t)max_entries * sizeof(struct statedb_slot) +
		(uint64_t)bucket_count(max_entries) * 4 + 7 + (n + 63) / 64 * 8 +
		(STATEDB_ALIGN - 1) + n * STATEDB_ALIGN;
	if (total > SIZE_MAX)
		return 0;
	return (size_t)total;
}

int statedb_init(void *arena, size_t bytes, uint32_t max_entries, struct th_errbuf *eb)
{
	struct statedb *db = &statedb_g;
	uintptr_t p = (uintptr_t)arena, end, slots_at, buckets_at, bitmap_at;
	uint32_t nb, i;
	uint64_t ngran;
	uint64_t flags;

	if (!arena)
		return th_errf(eb, TH_EINVAL, "statedb: arena is NULL");
	if (max_entries == 0 || max_entries > STATEDB_ENTRIES_MAX)
		return th_errf(eb, TH_EINVAL, "statedb: max_entries %u not in 1..%u",
			       (unsigned)max_entries, (unsigned)STATEDB_ENTRIES_MAX);
	if (p > UINTPTR_MAX - STATEDB_ALIGN || bytes > UINTPTR_MAX - STATEDB_ALIGN - p)
		return th_errf(eb, TH_EINVAL, "statedb: arena wraps around the address space");
	end = p + bytes;
	nb = bucket_count(max_entries);
	if (bytes < statedb_arena_size(max_entries, STATEDB_ALIGN))
		return th_errf(eb, TH_EINVAL,
			       "statedb: arena of %zu bytes too small for %u entries "
			       "(statedb_arena_size gives %zu)",
			       bytes, (unsigned)max_entries,
			       statedb_arena_size(max_entries, STATEDB_ALIGN));
	slots_at = align_up(p, STATEDB_ALIGN);
	buckets_at = slots_at + (uintptr_t)max_entries * sizeof(struct statedb_slot);
	bitmap_at = align_up(buckets_at + (uintptr_t)nb * 4, 8);
	/* Each granule costs STATEDB_ALIGN bytes plus one bitmap bit. */
	ngran = (uint64_t)(end - bitmap_at - 8 - STATEDB_ALIGN) * 8 / (8 * STATEDB_ALIGN + 1);
	if (ngran > ((uint64_t)1 << 31))
		ngran = (uint64_t)1 << 31;
	while (ngran > 0 && !data_fits(bitmap_at, end, ngran))
		ngran--;
	while (ngran < ((uint64_t)1 << 31) && data_fits(bitmap_at, end, ngran + 1))
		ngran++;
	if (ngran == 0)
		return th_errf(eb, TH_EINVAL, "statedb: arena of %zu bytes has no room for data",
			       bytes);

	flags = spin_lock_irqsave(&db->lock);
	db->epoch++;
	db->slots = (struct statedb_slot *)slots_at;
	db->nslots = max_entries;
	db->used = 0;
	db->buckets = (uint32_t *)buckets_at;
	db->bucket_mask = nb - 1;
	db->bitmap = (uint64_t *)bitmap_at;
	db->ngran = (uint32_t)ngran;
	db->gran_used = 0;
	db->data = (uint8_t *)align_up(bitmap_at + (uintptr_t)(ngran + 63) / 64 * 8,
				       STATEDB_ALIGN);
	memset(db->bitmap, 0, (size_t)(ngran + 63) / 64 * 8);
	for (i = 0; i < nb; i++)
		db->buckets[i] = STATEDB_NONE;
	memset(db->slots, 0, (size_t)max_entries * sizeof(struct statedb_slot));
	for (i = 0; i < max_entries; i++) {
		struct statedb_slot *s = &db->slots[i];

		s->kind = STATEDB_KIND_FREE;
		/* A new epoch per init, so refs from before it are stale. */
		s->gen = (db->epoch << 16) | 1u;
		s->gen_top = s->gen;
		s->next = (i + 1 < max_entries) ? i + 1 : STATEDB_NONE;
	}
	db->free_head = 0;
	db->jdepth = 0; /* an open transaction is discarded */
	db->jn = 0;
	db->ready = 1;
	spin_unlock_irqrestore(&db->lock, flags);
	return TH_OK;
}

int statedb_stats(struct statedb_stats *out)
{
	struct statedb *db = &statedb_g;
	uint64_t flags;
	int err = TH_OK;

	if (!out)
		return TH_EINVAL;
	flags = spin_lock_irqsave(&db->lock);
	if (!db->ready) {
		err = TH_EINVAL;
	} else {
		out->entries_max = db->nslots;
		out->entries_used = db->used;
		out->data_bytes = (uint64_t)db->ngran * STATEDB_ALIGN;
		out->data_used = (uint64_t)db->gran_used * STATEDB_ALIGN;
		out->largest_free = (uint64_t)statedb_arena_largest(db) * STATEDB_ALIGN;
	}
	spin_unlock_irqrestore(&db->lock, flags);
	return err;
}

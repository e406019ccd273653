/*
 * staging.c - the staging area: content-addressed objects pushed in chunks.
 *
 * An object is named by the SHA-256 of its bytes and has a declared total
 * size and chunk size c (1024..PROTO_CHUNK_SIZE_MAX, fixed by the first
 * chunk stored).  Chunk i covers bytes [i*c, min((i+1)*c, total)); a bitmap
 * records which chunks arrived.  Writing a chunk twice is harmless (the
 * first copy stays).  The object's SHA-256 is computed over the in-order
 * prefix of received chunks while the push goes on: between datagrams
 * (staging_hash_step, from endpoint_background when the network is idle),
 * and as chunks arrive once more than STAGING_HASH_LAG received chunks wait
 * for it, so the last chunk never waits for a hash of the whole object.
 * When the last chunk arrives the rest is hashed and the hash verified: a
 * mismatch discards the object (TH_EHASH).
 *
 * With a hash worker on another CPU (staging_set_worker; endpoint_impl.h
 * has the claim protocol) the receiving CPU only copies chunks in and wakes
 * the worker once STAGING_WORKER_WAKE in-order chunks wait for it (a batch:
 * waking a halted CPU costs both), and the worker hashes the in-order
 * prefix as it grows.  The receiving CPU neither hashes between datagrams
 * nor keeps the short lag; it takes the object's hash state from the worker
 * (voiding the worker's claim) when the worker falls more than
 * STAGING_WORKER_LAG in-order chunks behind (its CPU starved), hashing down
 * to half that, and when the last chunk arrives, hashing what the worker
 * has not committed before it answers.  Memory order: the receiving side
 * copies a chunk's bytes, then stores the end of the received in-order
 * prefix (chunks_contig) with release order; the worker loads it with
 * acquire order before it reads the bytes below it, so what it hashes is
 * visible on its CPU.  Per chunk the receiving side takes no lock;
 * creating, discarding and finishing objects and the worker's claims and
 * commits are under st->lock.
 *
 * Bounds: at most max_objects objects and max_bytes bytes in all; one
 * object may take all of max_bytes (up to PROTO_MAX_OBJECT).  Room for a new
 * object is made by evicting, in this order: objects already taken by a
 * swap; incomplete objects, least recently progressed first (a duplicate
 * chunk is not progress, so an abandoned or killed push, or one chunk
 * declaring a huge total, gives way to any newer push at once); complete
 * objects idle for stale_ms; then complete objects still awaiting their
 * swap, least recently used first.  Only an object pinned by a running swap
 * is never evicted: nothing a client sends can wedge the area.  When not
 * enough can be evicted the push gets TH_EFULL and nothing is evicted.
 * Memory is made room for the same way: staging= may be more than the
 * machine has free, so when a new object's allocation fails the next
 * object in that order is evicted and the allocation tried again
 * (obj_alloc); TH_ENOMEM only once nothing evictable is left.
 * Objects of a failed swap are released at once (staging_release).
 */
#include "endpoint_impl.h"

const char *ep_hex8(const uint8_t *sha, char buf[9])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 4; i++) {
		buf[2 * i] = hex[sha[i] >> 4];
		buf[2 * i + 1] = hex[sha[i] & 15];
	}
	buf[8] = 0;
	return buf;
}

int staging_init(struct staging *st, uint32_t max_objects, uint64_t max_bytes, uint64_t stale_ms)
{
	memset(st, 0, sizeof *st);
	if (max_objects == 0 || max_objects > 1024 || max_bytes == 0)
		return TH_EINVAL;
	st->objs = kcalloc(max_objects, sizeof *st->objs);
	if (!st->objs)
		return TH_ENOMEM;
	st->max_objects = max_objects;
	st->max_bytes = max_bytes;
	st->stale_ms = stale_ms;
	return TH_OK;
}

/* st->lock held (or no worker). */
static void obj_discard(struct staging *st, struct staging_obj *o)
{
	st->used_bytes -= o->total;
	if (st->claimed && st->claimed_data == o->data) {
		st->claim_void = true;    /* the worker still reads the data: */
		st->claim_orphan = true;  /* it frees it when it commits */
	} else {
		kfree(o->data);
	}
	kfree(o->bitmap);
	memset(o, 0, sizeof *o);
}

/* With no worker running (the worker's claim, if any, committed). */
void staging_fini(struct staging *st)
{
	for (uint32_t i = 0; st->objs && i < st->max_objects; i++)
		if (st->objs[i].used)
			obj_discard(st, &st->objs[i]);
	kfree(st->objs);
	st->objs = NULL;
}

struct staging_obj *staging_find(struct staging *st, const uint8_t sha[PROTO_SHA256_LEN])
{
	for (uint32_t i = 0; i < st->max_objects; i++)
		if (st->objs[i].used && memcmp(st->objs[i].sha, sha, PROTO_SHA256_LEN) == 0)
			return &st->objs[i];
	return NULL;
}

uint32_t staging_count(const struct staging *st)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < st->max_objects; i++)
		n += st->objs[i].used;
	return n;
}

static bool obj_evictable(const struct staging *st, const struct staging_obj *o, uint64_t now)
{
	return o->used && !o->pins;
}

/* Eviction order: lower rank first, then older last_ms (see the top). */
static int obj_rank(const struct staging *st, const struct staging_obj *o, uint64_t now)
{
	if (o->swapped)
		return 0;
	if (!o->complete)
		return 1;
	return now - o->last_ms >= st->stale_ms ? 2 : 3;
}

static bool evict_before(const struct staging *st, const struct staging_obj *a,
			 const struct staging_obj *b, uint64_t now)
{
	int ra = obj_rank(st, a, now), rb = obj_rank(st, b, now);
	return ra != rb ? ra < rb : a->last_ms < b->last_ms;
}

void staging_release(struct staging *st, struct staging_obj *o)
{
	uint64_t fl = spin_lock_irqsave(&st->lock);
	if (o && o->used && !o->pins)
		obj_discard(st, o);
	spin_unlock_irqrestore(&st->lock, fl);
}

/* The object to evict next (see the top), NULL when none is evictable. */
static struct staging_obj *next_victim(struct staging *st, uint64_t now)
{
	struct staging_obj *victim = NULL;
	for (uint32_t i = 0; i < st->max_objects; i++) {
		struct staging_obj *o = &st->objs[i];
		if (obj_evictable(st, o, now) && (!victim || evict_before(st, o, victim, now)))
			victim = o;
	}
	return victim;
}

/* Finds a slot for a new object of total bytes, evicting LRU evictable
 * objects; evicts nothing when the room cannot be made. */
static int make_room(struct staging *st, uint64_t now, uint64_t total,
		     struct staging_obj **slot, struct th_errbuf *eb)
{
	uint32_t free_slots = 0, evictable = 0, busy = 0;
	uint64_t evictable_bytes = 0;
	for (uint32_t i = 0; i < st->max_objects; i++) {
		struct staging_obj *o = &st->objs[i];
		if (!o->used)
			free_slots++;
		else if (obj_evictable(st, o, now))
			evictable++, evictable_bytes += o->total;
		else
			busy++;
	}
	if (free_slots + evictable == 0 || st->max_bytes - st->used_bytes + evictable_bytes < total)
		return th_errf(eb, TH_EFULL,
			       "staging area full: %u object(s) in use by running swaps hold "
			       "%llu of %llu bytes (%u slots); retry later or raise staging=",
			       busy, (unsigned long long)st->used_bytes,
			       (unsigned long long)st->max_bytes, st->max_objects);
	for (;;) {
		struct staging_obj *free_o = NULL;
		for (uint32_t i = 0; i < st->max_objects && !free_o; i++)
			if (!st->objs[i].used)
				free_o = &st->objs[i];
		if (free_o && st->max_bytes - st->used_bytes >= total) {
			*slot = free_o;
			return TH_OK;
		}
		struct staging_obj *victim = next_victim(st, now);
		if (!victim)  /* cannot happen after the check above */
			return th_errf(eb, TH_EFULL, "staging area full");
		obj_discard(st, victim);
	}
}

/* Allocates a new object's bytes and chunk bitmap.  staging= may promise
 * more than the machine has free (staging=1G on a 256 MiB machine): when an
 * allocation fails, the next object in eviction order gives way and the
 * allocation is tried again, so abandoned pushes make way for memory as
 * they do for staging=; TH_ENOMEM only when no evictable object is left. */
static TH_MUST_CHECK int obj_alloc(struct staging *st, uint64_t now, uint64_t total,
				   uint32_t chunks, uint8_t **data, uint8_t **bitmap)
{
	for (;;) {
		*data = kmalloc(total);
		*bitmap = kcalloc((chunks + 7) / 8, 1);
		if (*data && *bitmap)
			return TH_OK;
		kfree(*data);
		kfree(*bitmap);
		*data = *bitmap = NULL;
		struct staging_obj *victim = next_victim(st, now);
		if (!victim)
			return TH_ENOMEM;
		obj_discard(st, victim);
	}
}

static int obj_create(struct staging *st, uint64_t now, const uint8_t *sha, uint64_t total,
		      uint32_t csize, struct staging_obj **out, struct th_errbuf *eb)
{
	char h[9];
	if (total == 0)
		return th_errf(eb, TH_EINVAL, "push_chunk: total_size is 0");
	if (total > PROTO_MAX_OBJECT || total > st->max_bytes)
		return th_errf(eb, TH_ETOOBIG,
			       "object %s: %llu bytes exceeds the staging limit of %llu bytes",
			       ep_hex8(sha, h), (unsigned long long)total,
			       (unsigned long long)(st->max_bytes < PROTO_MAX_OBJECT
							    ? st->max_bytes : PROTO_MAX_OBJECT));
	struct staging_obj *slot = NULL;
	int err = make_room(st, now, total, &slot, eb);
	if (err)
		return err;
	uint32_t chunks = (uint32_t)((total + csize - 1) / csize);
	uint8_t *data, *bitmap;
	if (obj_alloc(st, now, total, chunks, &data, &bitmap))
		return th_errf(eb, TH_ENOMEM,
			       "object %s: no memory for %llu bytes, with every unused staged "
			       "object evicted (staging= allows %llu, more than this machine has free)",
			       ep_hex8(sha, h), (unsigned long long)total,
			       (unsigned long long)st->max_bytes);
	memset(slot, 0, sizeof *slot);
	slot->used = true;
	memcpy(slot->sha, sha, PROTO_SHA256_LEN);
	slot->total = total;
	slot->data = data;
	slot->bitmap = bitmap;
	slot->chunks_total = chunks;
	slot->chunk_size = csize;
	proto_sha256_init(&slot->hash);
	slot->last_ms = now;
	st->used_bytes += total;
	*out = slot;
	return TH_OK;
}

static bool chunk_present(const struct staging_obj *o, uint32_t i)
{
	return (o->bitmap[i / 8] >> (i % 8)) & 1;
}

/* Hashes up to max received chunks extending o's in-order prefix; returns
 * how many it hashed. */
static uint32_t hash_prefix(struct staging_obj *o, uint32_t max)
{
	uint32_t done = 0;
	while (done < max && o->chunks_hashed < o->chunks_total &&
	       chunk_present(o, o->chunks_hashed)) {
		uint64_t at = (uint64_t)o->chunks_hashed * o->chunk_size;
		proto_sha256_update(&o->hash, o->data + at,
				    o->total - at < o->chunk_size ? o->total - at : o->chunk_size);
		o->chunks_hashed++;
		done++;
	}
	return done;
}

/* A received chunk right after o's hashed prefix.  chunks_contig is the
 * receiving side's, published with release order after the bytes. */
static bool hashable(const struct staging_obj *o)
{
	return o->used && !o->complete && !o->net_hashing &&
	       o->chunks_hashed < __atomic_load_n(&o->chunks_contig, __ATOMIC_ACQUIRE);
}

bool staging_hash_step(struct staging *st, uint32_t max_chunks)
{
	if (st->wake)
		return false;  /* the worker hashes */
	bool more = false;
	for (uint32_t i = 0; i < st->max_objects; i++) {
		struct staging_obj *o = &st->objs[i];
		if (max_chunks && hashable(o))
			max_chunks -= hash_prefix(o, max_chunks);
		more = more || hashable(o);
	}
	return more;
}

void staging_set_worker(struct staging *st, void (*wake)(void *ctx), void *ctx)
{
	uint64_t fl = spin_lock_irqsave(&st->lock);
	st->wake_ctx = ctx;
	st->wake = wake;
	spin_unlock_irqrestore(&st->lock, fl);
}

bool staging_hash_claim(struct staging *st, uint32_t max_chunks, struct staging_claim *c)
{
	bool got = false;
	uint64_t fl = spin_lock_irqsave(&st->lock);
	for (uint32_t i = 0; !st->claimed && max_chunks && i < st->max_objects; i++) {
		struct staging_obj *o = &st->objs[i];
		if (!hashable(o))
			continue;
		uint32_t n = __atomic_load_n(&o->chunks_contig, __ATOMIC_ACQUIRE) - o->chunks_hashed;
		if (n > max_chunks)
			n = max_chunks;
		uint64_t from = (uint64_t)o->chunks_hashed * o->chunk_size;
		uint64_t to = (uint64_t)(o->chunks_hashed + n) * o->chunk_size;
		c->obj = o;
		c->data = o->data + from;
		c->len = (size_t)((to < o->total ? to : o->total) - from);
		c->first = o->chunks_hashed;
		c->chunks = n;
		c->hash = o->hash;
		st->claimed = o;
		st->claimed_data = o->data;
		st->claim_void = st->claim_orphan = false;
		got = true;
	}
	spin_unlock_irqrestore(&st->lock, fl);
	return got;
}

void staging_claim_hash(struct staging_claim *c)
{
	proto_sha256_update(&c->hash, c->data, c->len);
}

void staging_hash_commit(struct staging *st, struct staging_claim *c)
{
	uint8_t *orphan = NULL;
	uint64_t fl = spin_lock_irqsave(&st->lock);
	if (st->claimed == c->obj && !st->claim_void) {
		c->obj->hash = c->hash;
		/* atomic: the receiving side peeks at it (its lag check) */
		__atomic_store_n(&c->obj->chunks_hashed, c->first + c->chunks, __ATOMIC_RELAXED);
	}
	if (st->claim_orphan)
		orphan = st->claimed_data;
	st->claimed = NULL;
	st->claimed_data = NULL;
	st->claim_void = st->claim_orphan = false;
	spin_unlock_irqrestore(&st->lock, fl);
	kfree(orphan);
}

/* The object for a chunk, created if new (under st->lock: a worker reads
 * the table; finding needs no lock, only this side changes it). */
static int obj_for_chunk(struct staging *st, uint64_t now, const uint8_t *sha, uint64_t total,
			 uint32_t csize, struct staging_obj **out, struct th_errbuf *eb)
{
	char h[9];
	struct staging_obj *o = staging_find(st, sha);
	if (o && o->total != total)
		return th_errf(eb, TH_EINVAL,
			       "push_chunk: object %s was declared with total_size %llu, not %llu",
			       ep_hex8(sha, h), (unsigned long long)o->total,
			       (unsigned long long)total);
	if (o && o->chunk_size != csize && !o->complete)
		return th_errf(eb, TH_EINVAL,
			       "push_chunk: object %s is being pushed in chunks of %u bytes, not %u",
			       ep_hex8(sha, h), o->chunk_size, csize);
	if (!o) {
		uint64_t fl = spin_lock_irqsave(&st->lock);
		int err = obj_create(st, now, sha, total, csize, &o, eb);
		spin_unlock_irqrestore(&st->lock, fl);
		if (err)
			return err;
	}
	*out = o;
	return TH_OK;
}

/* The receiving side takes o's hash state from the worker: the worker's
 * claim on o, if any, is voided and o is not claimed until net_give. */
static void net_take(struct staging *st, struct staging_obj *o)
{
	uint64_t fl = spin_lock_irqsave(&st->lock);
	o->net_hashing = true;
	if (st->claimed == o)
		st->claim_void = true;
	spin_unlock_irqrestore(&st->lock, fl);
}

static void net_give(struct staging *st, struct staging_obj *o)
{
	uint64_t fl = spin_lock_irqsave(&st->lock);
	o->net_hashing = false;
	spin_unlock_irqrestore(&st->lock, fl);
}

/* The last chunk of o is in: hash what is left (its hash state taken from
 * the worker) and verify.  TH_EHASH discards o. */
static int obj_finish(struct staging *st, struct staging_obj *o, struct th_errbuf *eb)
{
	char h[9], h2[9];
	net_take(st, o);
	hash_prefix(o, o->chunks_total);
	uint8_t got[PROTO_SHA256_LEN];
	proto_sha256_out(&o->hash, got);
	bool ok = memcmp(got, o->sha, PROTO_SHA256_LEN) == 0;
	if (!ok)
		th_errf(eb, TH_EHASH,
			"object %s: the %llu bytes received hash to %s...; object discarded, push again",
			ep_hex8(o->sha, h), (unsigned long long)o->total, ep_hex8(got, h2));
	uint64_t fl = spin_lock_irqsave(&st->lock);
	o->net_hashing = false;
	if (ok)
		o->complete = true;
	else
		obj_discard(st, o);
	spin_unlock_irqrestore(&st->lock, fl);
	return ok ? TH_OK : TH_EHASH;
}

int staging_put(struct staging *st, uint64_t now, const uint8_t sha[PROTO_SHA256_LEN],
		uint64_t total, uint32_t chunk_size, uint64_t offset, const uint8_t *data,
		size_t len, struct staging_obj **out, struct th_errbuf *eb)
{
	*out = NULL;
	/* Validate the chunk against its own declaration before touching state. */
	if (total == 0)
		return th_errf(eb, TH_EINVAL, "push_chunk: total_size is 0");
	uint32_t csize = chunk_size ? chunk_size : PROTO_CHUNK_SIZE;
	if (csize < PROTO_CHUNK_SIZE || csize > PROTO_CHUNK_SIZE_MAX)
		return th_errf(eb, TH_EINVAL, "push_chunk: chunk_size %u is outside %u..%u",
			       chunk_size, PROTO_CHUNK_SIZE, PROTO_CHUNK_SIZE_MAX);
	if (offset >= total)
		return th_errf(eb, TH_ERANGE,
			       "push_chunk: offset %llu is beyond the declared total_size %llu",
			       (unsigned long long)offset, (unsigned long long)total);
	if (offset % csize)
		return th_errf(eb, TH_EINVAL, "push_chunk: offset %llu is not a multiple of the "
			       "chunk size %u", (unsigned long long)offset, csize);
	uint64_t want = total - offset < csize ? total - offset : csize;
	if (len != want)
		return th_errf(eb, len > want ? TH_ERANGE : TH_EINVAL,
			       "push_chunk: chunk at offset %llu has %zu bytes, must have %llu "
			       "(total_size %llu)",
			       (unsigned long long)offset, len, (unsigned long long)want,
			       (unsigned long long)total);

	struct staging_obj *o = NULL;
	int err = obj_for_chunk(st, now, sha, total, csize, &o, eb);
	if (err)
		return err;
	*out = o;
	if (o->complete) {
		o->last_ms = now;  /* wanted again: least recently used last */
		return TH_OK;
	}
	uint32_t idx = (uint32_t)(offset / csize);
	uint8_t bit = (uint8_t)(1u << (idx % 8));
	if (o->bitmap[idx / 8] & bit)
		return TH_OK;  /* duplicate: the first copy stays */
	/* Only this side writes the chunk, the bitmap and chunks_contig; a
	 * worker reads only chunks below the chunks_contig it loaded (acquire)
	 * after this side stored it (release) after the copy: no lock here. */
	memcpy(o->data + offset, data, len);
	o->bitmap[idx / 8] |= bit;
	o->chunks_have++;
	o->last_ms = now;  /* progress (a duplicate above is not) */
	uint32_t contig = o->chunks_contig, was = contig;
	while (contig < o->chunks_total && chunk_present(o, contig))
		contig++;
	if (contig != was)
		__atomic_store_n(&o->chunks_contig, contig, __ATOMIC_RELEASE);
	bool last = o->chunks_have == o->chunks_total;
	/* Wake the worker for a batch, not for every chunk: each wake-up of
	 * a halted CPU costs both CPUs (an IPI, a task switch). */
	if (st->wake && !last && contig != was &&
	    contig - __atomic_load_n(&o->chunks_hashed, __ATOMIC_RELAXED) >= STAGING_WORKER_WAKE)
		st->wake(st->wake_ctx);
	if (!last) {
		/* Keep the unhashed backlog short (the network may never idle). */
		if (!st->wake && o->chunks_have - o->chunks_hashed > STAGING_HASH_LAG)
			hash_prefix(o, o->chunks_have - o->chunks_hashed - STAGING_HASH_LAG);
		/* A worker far behind (its CPU starved): catch up here, so the
		 * last chunk's answer never waits for a long hash either. */
		if (st->wake && contig - __atomic_load_n(&o->chunks_hashed, __ATOMIC_RELAXED) >
				STAGING_WORKER_LAG) {
			net_take(st, o);
			if (contig - o->chunks_hashed > STAGING_WORKER_LAG / 2)
				hash_prefix(o, contig - o->chunks_hashed - STAGING_WORKER_LAG / 2);
			net_give(st, o);
		}
		return TH_OK;
	}
	err = obj_finish(st, o, eb);
	if (err)
		*out = NULL;
	return err;
}

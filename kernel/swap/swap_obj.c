/*
 * swap_obj.c - the objects the swap engine keeps: one kmalloc'ed copy per
 * distinct object, named by its SHA-256 and shared by every record that
 * refers to it (a module swapped back and forth between two versions keeps
 * two copies, however often), freed with the last reference.  The hash is
 * the caller's when it has verified one (the staging area), else computed
 * on first use (swap_obj_sha): the boot modules' would cost a TCG boot
 * 35 ms per MiB, and nothing needs them before a query.  Objects not hashed
 * yet are told apart by their bytes.
 */
#include "sha256.h"
#include "swap_impl.h"

static struct swap_obj *objs;
static size_t n_objs;

const uint8_t *swap_obj_known_sha(const struct swap_obj *o)
{
	return o && __atomic_load_n(&o->hashed, __ATOMIC_ACQUIRE) ? o->sha : NULL;
}

const uint8_t *swap_obj_sha(struct swap_obj *o)
{
	if (!swap_obj_known_sha(o)) {
		uint8_t h[SWAP_SHA256_LEN];
		th_sha256(o->bytes, o->len, h);
		memcpy(o->sha, h, sizeof h);   /* the same bytes whoever writes them */
		__atomic_store_n(&o->hashed, true, __ATOMIC_RELEASE);
	}
	return o->sha;
}

static bool same(struct swap_obj *o, const void *data, size_t len, const uint8_t *sha)
{
	if (o->len != len)
		return false;
	const uint8_t *known = swap_obj_known_sha(o);
	if (known && sha)
		return memcmp(known, sha, SWAP_SHA256_LEN) == 0;
	return o->bytes == data || memcmp(o->bytes, data, len) == 0;
}

int swap_obj_get(const void *data, size_t len, const uint8_t *sha, struct swap_obj **out)
{
	struct swap_obj *o;

	*out = NULL;
	if (!data || !len)
		return TH_EINVAL;
	for (o = objs; o; o = o->next)
		if (same(o, data, len, sha)) {
			if (sha && !swap_obj_known_sha(o)) {
				memcpy(o->sha, sha, SWAP_SHA256_LEN);
				__atomic_store_n(&o->hashed, true, __ATOMIC_RELEASE);
			}
			*out = swap_obj_ref(o);
			return TH_OK;
		}
	o = kcalloc(1, sizeof *o);
	if (!o)
		return TH_ENOMEM;
	o->bytes = kmalloc(len);
	if (!o->bytes) {
		kfree(o);
		return TH_ENOMEM;
	}
	memcpy(o->bytes, data, len);
	if (sha) {
		memcpy(o->sha, sha, SWAP_SHA256_LEN);
		o->hashed = true;
	}
	o->len = len;
	o->refs = 1;
	o->next = objs;
	objs = o;
	n_objs++;
	*out = o;
	return TH_OK;
}

struct swap_obj *swap_obj_ref(struct swap_obj *o)
{
	if (o)
		o->refs++;
	return o;
}

void swap_obj_put(struct swap_obj *o)
{
	struct swap_obj **pp;

	if (!o || --o->refs)
		return;
	for (pp = &objs; *pp; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			n_objs--;
			break;
		}
	kfree(o->bytes);
	kfree(o);
}

size_t swap_obj_count(void)
{
	return n_objs;
}

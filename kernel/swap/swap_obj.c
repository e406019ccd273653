/*
 * swap_obj.c - the objects the swap engine keeps: one kmalloc'ed copy per
 * distinct object, named by its SHA-256 and shared by every record that
 * refers to it (a module swapped back and forth between two versions keeps
 * two copies, however often), freed with the last reference.  The hash is
 * the caller's when it has verified one (the staging area), else computed
 * here, once per object handed in.
 */
#include "sha256.h"
#include "swap_impl.h"

static struct swap_obj *objs;
static size_t n_objs;

int swap_obj_get(const void *data, size_t len, const uint8_t *sha, struct swap_obj **out)
{
	uint8_t h[SWAP_SHA256_LEN];
	struct swap_obj *o;

	*out = NULL;
	if (!data || !len)
		return TH_EINVAL;
	if (!sha) {
		th_sha256(data, len, h);
		sha = h;
	}
	for (o = objs; o; o = o->next)
		if (o->len == len && memcmp(o->sha, sha, SWAP_SHA256_LEN) == 0) {
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
	memcpy(o->sha, sha, SWAP_SHA256_LEN);
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

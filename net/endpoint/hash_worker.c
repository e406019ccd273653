/*
 * hash_worker.c - the endpoint's side of hashing pushed objects on another
 * CPU (endpoint.h: endpoint_set_hash_worker, endpoint_hash_work): a thin
 * layer over the staging area's claim protocol (staging.c), so that the
 * kernel adapter (kernel_hasher.c) can run the worker without reaching into
 * the endpoint's insides.
 */
#include "endpoint_impl.h"

void endpoint_set_hash_worker(struct endpoint *ep, void (*wake)(void *ctx), void *ctx)
{
	staging_set_worker(&ep->staging, wake, ctx);
}

bool endpoint_hash_work(struct endpoint *ep)
{
	struct staging_claim c;
	if (!staging_hash_claim(&ep->staging, STAGING_WORKER_CHUNKS, &c))
		return false;
	staging_claim_hash(&c);   /* the SHA-256 work, no lock held */
	staging_hash_commit(&ep->staging, &c);
	return true;
}

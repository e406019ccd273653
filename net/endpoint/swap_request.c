/*
 * swap_request.c - the endpoint's requests that change which object a
 * module runs: swap (compare-and-swap of modules against staged objects, as
 * one transaction) and rollback (undo the module's last transaction; of
 * several modules as one).
 *
 * For each item: the module name and version strings are checked; if the
 * module already runs the object named (same SHA-256, as reported by
 * ops->module_find) the item is already done, so a retried or duplicated
 * swap is harmless (unless the module is quarantined: then the swap by hand
 * that lifts it loads a fresh copy); a resend of the session's last change (the same items,
 * with nothing changed by the session since) is not repeated even when the
 * kernel has rolled it back since.  Every other item needs a complete, verified staged
 * object.  The remaining items go to ops->swap together; the kernel checks
 * the expected versions (TH_ECONFLICT when stale) and keeps the old set
 * running on any failure.  Objects are pinned during the call, and become
 * evictable once a swap has taken them.
 */
#include "endpoint_impl.h"

static int check_items(const Theseus__SwapRequest *sr, struct th_errbuf *eb)
{
	if (sr->n_items == 0)
		return th_errf(eb, TH_EINVAL, "swap: no items");
	if (sr->n_items > PROTO_MAX_SWAP_ITEMS)
		return th_errf(eb, TH_ETOOBIG, "swap: %zu items, at most %u per transaction",
			       sr->n_items, PROTO_MAX_SWAP_ITEMS);
	for (size_t i = 0; i < sr->n_items; i++) {
		const Theseus__SwapItem *it = sr->items[i];
		if (!proto_name_ok(it->module, PROTO_NAME_MAX))
			return th_errf(eb, TH_EINVAL,
				       "swap: item %zu: module name must be 1-%u characters "
				       "of [A-Za-z0-9_.-]", i, PROTO_NAME_MAX - 1);
		if (it->expected_version[0] && !proto_name_ok(it->expected_version, PROTO_VERSION_MAX))
			return th_errf(eb, TH_EINVAL,
				       "swap: %s: expected_version must be 0-%u characters "
				       "of [A-Za-z0-9_.-]", it->module, PROTO_VERSION_MAX - 1);
		if (it->object_sha256.len != PROTO_SHA256_LEN)
			return th_errf(eb, TH_EINVAL, "swap: %s: object_sha256 has %zu bytes, must have %u",
				       it->module, it->object_sha256.len, PROTO_SHA256_LEN);
		for (size_t j = 0; j < i; j++)
			if (strcmp(sr->items[j]->module, it->module) == 0)
				return th_errf(eb, TH_EINVAL, "swap: module %s named twice", it->module);
	}
	return TH_OK;
}

/* Whether the session's last change was kind with this digest (a resend
 * of it), and the recording of a change that ran. */
static bool is_last_change(const struct endpoint *ep, enum ep_change kind,
			   const uint8_t digest[PROTO_SHA256_LEN])
{
	return ep->session && ep->session->last_change == kind &&
	       memcmp(ep->session->last_digest, digest, PROTO_SHA256_LEN) == 0;
}

static void record_change(struct endpoint *ep, enum ep_change kind,
			  const uint8_t digest[PROTO_SHA256_LEN])
{
	if (ep->session) {
		ep->session->last_change = kind;
		memcpy(ep->session->last_digest, digest, PROTO_SHA256_LEN);
	}
}

/* The digest of module names in order: what a resend of a rollback (set)
 * names exactly. */
static void names_digest(const char *const *names, size_t n, uint8_t out[PROTO_SHA256_LEN])
{
	struct proto_sha256_ctx c;
	proto_sha256_init(&c);
	for (size_t i = 0; i < n; i++)
		proto_sha256_update(&c, (const uint8_t *)names[i], strlen(names[i]) + 1);
	proto_sha256_out(&c, out);
}

/* The digest of a swap's items in order (module, expected version, object):
 * what a resend repeats exactly. */
static void swap_digest(const Theseus__SwapRequest *sr, uint8_t out[PROTO_SHA256_LEN])
{
	struct proto_sha256_ctx c;
	proto_sha256_init(&c);
	for (size_t i = 0; i < sr->n_items; i++) {
		const Theseus__SwapItem *it = sr->items[i];
		proto_sha256_update(&c, (const uint8_t *)it->module, strlen(it->module) + 1);
		proto_sha256_update(&c, (const uint8_t *)it->expected_version,
				    strlen(it->expected_version) + 1);
		proto_sha256_update(&c, it->object_sha256.data, it->object_sha256.len);
	}
	proto_sha256_out(&c, out);
}

int ep_handle_swap(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		   size_t reply_cap, struct th_errbuf *eb)
{
	const Theseus__SwapRequest *sr = req->swap;
	char h[9];
	int err = check_items(sr, eb);
	if (err)
		return err;
	if (!ep->ops.swap || !ep->ops.module_find)
		return th_errf(eb, TH_ENOTSUP, "swap: this kernel has no swap engine");

	Theseus__SwapReply *out = ep_arena_alloc(&ep->arena, sizeof *out);
	Theseus__SwapResult **res = ep_arena_alloc(&ep->arena, sr->n_items * sizeof *res);
	if (!out || !res)
		return th_errf(eb, TH_ENOMEM, "swap: request arena exhausted");
	theseus__swap_reply__init(out);
	out->results = res;

	/* A resend of this session's last swap (its reply was late or lost): not
	 * repeated.  Where it still runs, CAS makes a repeat harmless anyway;
	 * but the kernel may have rolled it back since (a driver that failed its
	 * dead man's switch), and the resend must not undo that. */
	uint8_t digest[PROTO_SHA256_LEN];
	swap_digest(sr, digest);
	bool resend = is_last_change(ep, EP_CHANGE_SWAP, digest);

	/* Pass 1: decide per item, checking everything before acting. */
	size_t n = 0;
	size_t todo_idx[PROTO_MAX_SWAP_ITEMS];
	for (size_t i = 0; i < sr->n_items; i++) {
		const Theseus__SwapItem *it = sr->items[i];
		Theseus__SwapResult *r = ep_arena_alloc(&ep->arena, sizeof *r);
		if (!r)
			return th_errf(eb, TH_ENOMEM, "swap: request arena exhausted");
		theseus__swap_result__init(r);
		r->module = it->module;
		res[out->n_results++] = r;

		struct endpoint_module *m = &ep->mod_scratch;
		memset(m, 0, sizeof *m);
		err = ep->ops.module_find(ep->ops.ctx, it->module, m);
		if (err && err != TH_ENOENT)
			return th_errf(eb, err, "swap: %s: %s", it->module, th_strerror(err));
		if (err == TH_OK) {
			m->version[PROTO_VERSION_MAX - 1] = 0;
			r->old_version = ep_arena_strdup(&ep->arena, m->version);
			if (resend || (memcmp(m->sha256, it->object_sha256.data, PROTO_SHA256_LEN) == 0 &&
				       !m->quarantined)) {
				r->already = true;
				r->new_version = r->old_version;
				continue;
			}
		} else {
			r->old_version = ep_arena_strdup(&ep->arena, "");
		}
		struct staging_obj *o = staging_find(&ep->staging, it->object_sha256.data);
		if (!o)
			return th_errf(eb, TH_ENOENT, "swap: %s: object %s is not staged; push it first",
				       it->module, ep_hex8(it->object_sha256.data, h));
		if (!o->complete)
			return th_errf(eb, TH_EINCOMPLETE,
				       "swap: %s: object %s has %u of %u chunks; finish the push",
				       it->module, ep_hex8(o->sha, h), o->chunks_have, o->chunks_total);
		struct endpoint_swap_item *si = &ep->swap_items[n];
		si->module = it->module;
		si->expected_version = it->expected_version;
		si->sha256 = o->sha;
		si->object = o->data;
		si->size = o->total;
		ep->swap_objs[n] = o;
		todo_idx[n++] = i;
	}
	rep->payload_case = THESEUS__REPLY__PAYLOAD_SWAP;
	rep->swap = out;
	if (n == 0) {
		th_errf(eb, TH_OK, resend ? "already swapped in this session; not repeated (a new "
			"session swaps again)" : "already swapped: nothing to do");
		return TH_OK;
	}

	/* Pass 2: the transaction. */
	struct endpoint_swap_report *rp = &ep->swap_report;
	memset(rp, 0, sizeof *rp);
	uint64_t now = ep->ops.now_ms(ep->ops.ctx);
	for (size_t k = 0; k < n; k++)
		ep->swap_objs[k]->pins++;
	err = ep->ops.swap(ep->ops.ctx, ep->swap_items, n, rp, eb);
	for (size_t k = 0; k < n; k++) {
		ep->swap_objs[k]->pins--;
		ep->swap_objs[k]->last_ms = now;
		if (err == TH_OK)
			ep->swap_objs[k]->swapped = true;
	}
	if (err)  /* a failed swap's objects are released at once, not left to age */
		for (size_t k = 0; k < n; k++)
			staging_release(&ep->staging, ep->swap_objs[k]);
	if (err) {
		if (!eb->msg[0])
			th_errf(eb, err, "swap: %s", th_strerror(err));
		return err;
	}
	ep->counters.swaps++;
	record_change(ep, EP_CHANGE_SWAP, digest);
	for (size_t k = 0; k < n; k++) {
		rp->new_version[k][PROTO_VERSION_MAX - 1] = 0;
		res[todo_idx[k]]->new_version = ep_arena_strdup(&ep->arena, rp->new_version[k]);
	}
	if (ep_stages_msg(ep, rp->stages, rp->n_stages, &out->stages, &out->n_stages))
		return ep_no_memory(eb);
	th_errf(eb, TH_OK, "swapped %zu module(s)", n);
	return TH_OK;
}

/* Rollback: the engine undoes the module's last transaction (the rollback of
 * a first load unloads it). */
int ep_handle_rollback(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		       size_t reply_cap, struct th_errbuf *eb)
{
	const char *module = req->rollback->module;
	if (!proto_name_ok(module, PROTO_NAME_MAX))
		return th_errf(eb, TH_EINVAL, "rollback: module name must be 1-%u characters "
			       "of [A-Za-z0-9_.-]", PROTO_NAME_MAX - 1);
	if (!ep->ops.rollback)
		return ep_not_supported("rollback", eb);
	Theseus__RollbackReply *r = ep_arena_alloc(&ep->arena, sizeof(Theseus__RollbackReply));
	if (!r)
		return ep_no_memory(eb);
	theseus__rollback_reply__init(r);
	r->module = ep_arena_strdup(&ep->arena, module);
	r->old_version = ep_arena_strdup(&ep->arena, "");
	if (ep->ops.module_find) {
		struct endpoint_module *m = &ep->mod_scratch;
		memset(m, 0, sizeof *m);
		if (ep->ops.module_find(ep->ops.ctx, module, m) == TH_OK) {
			m->version[PROTO_VERSION_MAX - 1] = 0;
			r->old_version = ep_arena_strdup(&ep->arena, m->version);
		}
	}
	uint8_t digest[PROTO_SHA256_LEN];
	names_digest(&module, 1, digest);
	if (is_last_change(ep, EP_CHANGE_ROLLBACK, digest)) {
		/* A resend of this session's rollback (its reply was late or lost):
		 * not repeated, which would undo one more swap.  Reports what runs. */
		r->new_version = r->old_version;
		r->old_version = ep_arena_strdup(&ep->arena, "");
		rep->payload_case = THESEUS__REPLY__PAYLOAD_ROLLBACK;
		rep->rollback = r;
		th_errf(eb, TH_OK, "%s: already rolled back in this session; not repeated (a new "
			"session rolls back again)", module);
		return TH_OK;
	}
	const ProtobufCBinaryData *want = &req->rollback->expected_sha256;
	if (want->len && want->len != PROTO_SHA256_LEN)
		return th_errf(eb, TH_EINVAL, "rollback: expected_sha256 of %zu bytes (want %d)",
			       want->len, PROTO_SHA256_LEN);
	if (want->len) {   /* compare-and-swap on the object it runs */
		struct endpoint_module *m = &ep->mod_scratch;
		char h1[9], h2[9];
		memset(m, 0, sizeof *m);
		if (!ep->ops.module_find || ep->ops.module_find(ep->ops.ctx, module, m) != TH_OK)
			return th_errf(eb, TH_ECONFLICT, "rollback: %s: runs nothing, rollback expects "
				       "object %s", module, ep_hex8(want->data, h2));
		if (memcmp(m->sha256, want->data, PROTO_SHA256_LEN) != 0)
			return th_errf(eb, TH_ECONFLICT, "rollback: %s: runs object %s, rollback "
				       "expects %s", module, ep_hex8(m->sha256, h1),
				       ep_hex8(want->data, h2));
	}
	struct endpoint_swap_report *rp = &ep->swap_report;
	memset(rp, 0, sizeof *rp);
	int err = ep->ops.rollback(ep->ops.ctx, module, !req->rollback->keep_first_load, rp, eb);
	if (err) {
		if (!eb->msg[0])
			th_errf(eb, err, "rollback: %s: %s", module, th_strerror(err));
		return err;
	}
	ep->counters.rollbacks++;
	record_change(ep, EP_CHANGE_ROLLBACK, digest);
	rp->new_version[0][PROTO_VERSION_MAX - 1] = 0;
	r->new_version = ep_arena_strdup(&ep->arena, rp->new_version[0]);
	if (ep_stages_msg(ep, rp->stages, rp->n_stages, &r->stages, &r->n_stages))
		return ep_no_memory(eb);
	rep->payload_case = THESEUS__REPLY__PAYLOAD_ROLLBACK;
	rep->rollback = r;
	th_errf(eb, TH_OK, "rolled back %s", module);
	return TH_OK;
}

/* Rollback of several modules as one transaction (RollbackSetRequest): all
 * swap back, or all are unloaded together (a dependency cycle; refused with
 * "nothing to roll back" when the request has keep_first_load).  A resend
 * of the same datagram is answered from the reply cache, a new datagram
 * naming the same modules in the same order right after it ran (the
 * session's last change) is not repeated: OK, reporting what runs. */
int ep_handle_rollback_set(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
			   size_t reply_cap, struct th_errbuf *eb)
{
	const Theseus__RollbackSetRequest *q = req->rollback_set;
	size_t n = q->n_modules;
	if (n == 0 || n > PROTO_MAX_SWAP_ITEMS)
		return th_errf(eb, TH_EINVAL, "rollback: %zu modules (1..%d)", n, PROTO_MAX_SWAP_ITEMS);
	for (size_t i = 0; i < n; i++)
		if (!proto_name_ok(q->modules[i], PROTO_NAME_MAX))
			return th_errf(eb, TH_EINVAL, "rollback: module name %zu must be 1-%u "
				       "characters of [A-Za-z0-9_.-]", i, PROTO_NAME_MAX - 1);
	if (!ep->ops.rollback_set)
		return ep_not_supported("rollback of several modules", eb);
	Theseus__RollbackReply *r = ep_arena_alloc(&ep->arena, sizeof(Theseus__RollbackReply));
	Theseus__SwapResult **res = ep_arena_alloc(&ep->arena, n * sizeof *res);
	if (!r || !res)
		return ep_no_memory(eb);
	theseus__rollback_reply__init(r);
	for (size_t i = 0; i < n; i++) {
		res[i] = ep_arena_alloc(&ep->arena, sizeof(Theseus__SwapResult));
		if (!res[i])
			return ep_no_memory(eb);
		theseus__swap_result__init(res[i]);
		res[i]->module = ep_arena_strdup(&ep->arena, q->modules[i]);
		res[i]->old_version = ep_arena_strdup(&ep->arena, "");
		if (ep->ops.module_find) {
			struct endpoint_module *m = &ep->mod_scratch;
			memset(m, 0, sizeof *m);
			if (ep->ops.module_find(ep->ops.ctx, q->modules[i], m) == TH_OK) {
				m->version[PROTO_VERSION_MAX - 1] = 0;
				res[i]->old_version = ep_arena_strdup(&ep->arena, m->version);
			}
		}
	}
	uint8_t digest[PROTO_SHA256_LEN];
	names_digest((const char *const *)q->modules, n, digest);
	if (is_last_change(ep, EP_CHANGE_ROLLBACK_SET, digest)) {
		for (size_t i = 0; i < n; i++) {
			res[i]->new_version = res[i]->old_version;
			res[i]->old_version = ep_arena_strdup(&ep->arena, "");
			res[i]->already = true;
		}
		r->module = res[0]->module;
		r->old_version = res[0]->old_version;
		r->new_version = res[0]->new_version;
		r->results = res;
		r->n_results = n;
		rep->payload_case = THESEUS__REPLY__PAYLOAD_ROLLBACK;
		rep->rollback = r;
		th_errf(eb, TH_OK, "%s and %zu more: already rolled back in this session; not "
			"repeated (a new session rolls back again)", q->modules[0], n - 1);
		return TH_OK;
	}
	struct endpoint_swap_report *rp = &ep->swap_report;
	memset(rp, 0, sizeof *rp);
	int err = ep->ops.rollback_set(ep->ops.ctx, (const char *const *)q->modules, n,
				       !q->keep_first_load, rp, eb);
	if (err) {
		if (!eb->msg[0])
			th_errf(eb, err, "rollback: %s: %s", q->modules[0], th_strerror(err));
		return err;
	}
	ep->counters.rollbacks++;
	record_change(ep, EP_CHANGE_ROLLBACK_SET, digest);
	for (size_t i = 0; i < n; i++) {
		rp->new_version[i][PROTO_VERSION_MAX - 1] = 0;
		res[i]->new_version = ep_arena_strdup(&ep->arena, rp->new_version[i]);
	}
	r->module = res[0]->module;
	r->old_version = res[0]->old_version;
	r->new_version = res[0]->new_version;
	r->results = res;
	r->n_results = n;
	if (ep_stages_msg(ep, rp->stages, rp->n_stages, &r->stages, &r->n_stages))
		return ep_no_memory(eb);
	rep->payload_case = THESEUS__REPLY__PAYLOAD_ROLLBACK;
	rep->rollback = r;
	th_errf(eb, TH_OK, "rolled back %zu modules as one transaction", n);
	return TH_OK;
}

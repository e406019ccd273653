/*
 * push.c - uploading an object as chunks with a window in flight (used by
 * `push` and `swap`).
 *
 * First an ObjectStatus request learns which chunks the kernel already has
 * (a repeated push, or one resumed after an error, sends only the rest).
 * Then up to `window` chunks are in flight.  Each chunk has its own
 * retransmission timer: RTO = srtt + 4 * rttvar from acknowledged, never
 * resent chunks (as TCP does; ctl_rto_* in transport.c, shared with the
 * other requests of this host), between 5 ms and --timeout.  An
 * acknowledgement frees a slot and grows the window by 1/window (additive
 * increase, about +1 per round trip); an expired chunk is resent and halves
 * the window, at most once per RTO (multiplicative decrease).  The push
 * fails when nothing is acknowledged for --timeout * (--retries + 1).
 * The object is done when the kernel says it is complete (hash verified).
 * Replies count only when sealed for a chunk in flight (ctl_tx_recv); an
 * ESTALE refusal re-learns the epoch or starts a new session and resends.
 * A progress bar is drawn only when stderr is a terminal.
 */
#include <errno.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include "klibc.h"
#include "ctl.h"

enum { CH_WANT, CH_FLIGHT, CH_ACKED };

struct chunk_state {
	uint8_t st;
	bool resent;        /* no RTT sample from it (Karn) */
	struct proto_binding b; /* of the datagram in flight */
	uint64_t sent_us;
};

void ctl_hex(const uint8_t *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = 0;
}

int ctl_read_file(const char *path, uint8_t **data, size_t *len, struct th_errbuf *eb)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return th_errf(eb, TH_ENOENT, "%s: %s", path, strerror(errno));
	/* Read up to one byte past the limit: a larger file is refused, never
	 * cut short. */
	size_t cap = 65536, n = 0;
	uint8_t *buf = malloc(cap);
	bool over = false;
	while (buf) {
		if (n == cap) {
			if (n > PROTO_MAX_OBJECT) {
				over = true;
				break;
			}
			size_t ncap = cap * 2 > PROTO_MAX_OBJECT + 1 ? PROTO_MAX_OBJECT + 1 : cap * 2;
			uint8_t *nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	int bad = ferror(f);
	long long fsize = -1;
	if (over && fseek(f, 0, SEEK_END) == 0)
		fsize = ftell(f);
	fclose(f);
	if (!buf)
		return th_errf(eb, TH_ENOMEM, "%s: out of memory", path);
	if (bad) {
		free(buf);
		return th_errf(eb, TH_EIO, "%s: read error", path);
	}
	if (over || n > PROTO_MAX_OBJECT) {
		free(buf);
		if (fsize < 0)
			return th_errf(eb, TH_ETOOBIG, "%s: more than %llu bytes, the most one object "
				       "may have; not pushed", path,
				       (unsigned long long)PROTO_MAX_OBJECT);
		return th_errf(eb, TH_ETOOBIG, "%s: %lld bytes exceeds the object limit of %llu "
			       "bytes; not pushed", path, fsize,
			       (unsigned long long)PROTO_MAX_OBJECT);
	}
	if (n == 0) {
		free(buf);
		return th_errf(eb, TH_EINVAL, "%s: empty (objects are 1 to %llu bytes)", path,
			       (unsigned long long)PROTO_MAX_OBJECT);
	}
	*data = buf;
	*len = n;
	return TH_OK;
}

static void progress(struct ctl_ctx *ctx, const char *label, size_t done, size_t total, bool end)
{
	if (!ctl_human(ctx) || !isatty(fileno(ctx->err)))
		return;
	int width = 30, fill = total ? (int)((uint64_t)done * width / total) : width;
	fprintf(ctx->err, "\r%-16.16s [%.*s%*s] %3d%% %zu/%zu KiB", label, fill,
		"##############################", width - fill, "",
		total ? (int)((uint64_t)done * 100 / total) : 100, (done + 1023) / 1024,
		(total + 1023) / 1024);
	if (end)
		fputc('\n', ctx->err);
	fflush(ctx->err);
}

/* Asks which chunks the kernel has (page by page of the bitmap); marks
 * them acked.  *complete when done; *max_size = the largest object the
 * kernel's staging takes (0 if it did not say). */
static int query_status(struct ctl_ctx *ctx, const uint8_t *sha, size_t len,
			struct chunk_state *cs, uint32_t nchunks, uint32_t *acked, bool *complete,
			uint64_t *max_size)
{
	uint32_t from = 0;
	for (int pages = 0; pages <= PROTO_BITMAP_PAGES; pages++) {
		Theseus__Request req = THESEUS__REQUEST__INIT;
		Theseus__ObjectStatusRequest os = THESEUS__OBJECT_STATUS_REQUEST__INIT;
		Theseus__Reply *rep = NULL;
		os.object_sha256.data = (uint8_t *)sha;
		os.object_sha256.len = PROTO_SHA256_LEN;
		os.bitmap_from = from;
		req.kind_case = THESEUS__REQUEST__KIND_OBJECT_STATUS;
		req.object_status = &os;
		int err = ctl_call(ctx, &req, &rep);
		if (err) {
			ctl_report(ctx, "object status", err, rep);
			if (rep)
				theseus__reply__free_unpacked(rep, NULL);
			return err;
		}
		bool more = false;
		if (rep->payload_case == THESEUS__REPLY__PAYLOAD_OBJECT) {
			const Theseus__ObjectStatusReply *o = rep->object;
			if (max_size)
				*max_size = o->max_object_size;
			if (o->known && o->total_size == len) {
				*complete = o->complete;
				for (uint32_t i = 0; i < nchunks; i++) {
					bool have = *complete;
					if (!have && i >= o->bitmap_from &&
					    (i - o->bitmap_from) / 8 < o->bitmap.len)
						have = (o->bitmap.data[(i - o->bitmap_from) / 8] >>
							((i - o->bitmap_from) % 8)) & 1;
					if (have && cs[i].st != CH_ACKED) {
						cs[i].st = CH_ACKED;
						++*acked;
					}
				}
				uint32_t next = o->bitmap_from + (uint32_t)o->bitmap.len * 8;
				more = !*complete && o->bitmap.len && next < nchunks && next > from;
				from = next;
			}
		}
		theseus__reply__free_unpacked(rep, NULL);
		if (!more)
			return TH_OK;
	}
	return TH_OK;
}

static int send_chunk(struct ctl_ctx *ctx, const uint8_t *data, size_t len, const uint8_t *sha,
		      uint32_t i, struct chunk_state *c)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__PushChunk pc = THESEUS__PUSH_CHUNK__INIT;
	size_t off = (size_t)i * PROTO_CHUNK_SIZE;
	pc.object_sha256.data = (uint8_t *)sha;
	pc.object_sha256.len = PROTO_SHA256_LEN;
	pc.total_size = len;
	pc.offset = off;
	pc.data.data = (uint8_t *)data + off;
	pc.data.len = len - off < PROTO_CHUNK_SIZE ? len - off : PROTO_CHUNK_SIZE;
	req.kind_case = THESEUS__REQUEST__KIND_PUSH_CHUNK;
	req.push_chunk = &pc;
	int err = ctl_tx_send(ctx, &req, &c->b);
	if (err)
		return err;
	c->resent = c->st == CH_WANT && c->sent_us != 0;
	c->st = CH_FLIGHT;
	c->sent_us = ctl_mono_us();
	return TH_OK;
}

/* Replies are matched to the chunk in flight whose datagram they name. */
struct push_match {
	struct chunk_state *cs;
	uint32_t n;
};

static struct chunk_state *container_of_binding(const struct proto_binding *b)
{
	return (struct chunk_state *)(void *)((const char *)b - offsetof(struct chunk_state, b));
}

static const struct proto_binding *push_match_fn(void *arg, uint64_t client_id, uint64_t counter)
{
	struct push_match *pm = arg;
	for (uint32_t i = 0; i < pm->n; i++)
		if (pm->cs[i].st == CH_FLIGHT && pm->cs[i].b.counter == counter &&
		    pm->cs[i].b.client_id == client_id)
			return &pm->cs[i].b;
	return NULL;
}

int ctl_push_object(struct ctl_ctx *ctx, const char *label, const uint8_t *data, size_t len,
		    const uint8_t sha[PROTO_SHA256_LEN])
{
	uint32_t n = (uint32_t)((len + PROTO_CHUNK_SIZE - 1) / PROTO_CHUNK_SIZE);
	struct chunk_state *cs = calloc(n, sizeof *cs);
	if (!cs) {
		ctl_fail(ctx, TH_ENOMEM, "out of memory");
		return CTL_EXIT_LOCAL;
	}
	uint32_t acked = 0, inflight = 0, next = 0;
	bool complete = false;
	int ret = CTL_EXIT_OK, err, stalls = 0, stale_refusals = 0;
	double window = CTL_PUSH_WINDOW_START;
	struct ctl_rto *rto = &ctx->rto;
	uint64_t unauth0 = ctx->replies_unauth;
	struct push_match pm = { .cs = cs, .n = n };
	uint64_t last_progress = ctl_mono_us(), last_decrease = 0;
	uint64_t give_up_us = (uint64_t)ctx->timeout_ms * 1000 * (uint64_t)(ctx->retries + 1);

	uint64_t max_size = 0;
	err = query_status(ctx, sha, len, cs, n, &acked, &complete, &max_size);
	if (err) {
		ret = ctl_exit_for(err);
		goto out;
	}
	if (max_size && len > max_size) {
		ctl_fail(ctx, TH_ETOOBIG, "%s:%u: push: %s: %zu bytes exceeds the kernel's staging "
			 "limit of %llu bytes (boot it with a larger staging=); not pushed",
			 ctx->host, ctx->port, label, len, (unsigned long long)max_size);
		ret = CTL_EXIT_LOCAL;
		goto out;
	}
	while (!complete) {
		/* Fill the window with chunks not yet acknowledged nor in flight. */
		for (uint32_t scanned = 0; inflight < (uint32_t)window && scanned < n; scanned++) {
			uint32_t i = next;
			next = (next + 1) % n;
			if (cs[i].st != CH_WANT)
				continue;
			err = send_chunk(ctx, data, len, sha, i, &cs[i]);
			if (err) {
				ctl_fail(ctx, err, "send: %s", th_strerror(err));
				ret = CTL_EXIT_LOCAL;
				goto out;
			}
			inflight++;
		}
		if (inflight == 0) {
			/* Everything acknowledged but not complete: ask (evicted?). */
			err = query_status(ctx, sha, len, cs, n, &acked, &complete, NULL);
			if (err || complete) {
				ret = ctl_exit_for(err);
				break;
			}
			if (++stalls > ctx->retries) {
				ctl_fail(ctx, TH_EAGAIN, "%s:%u: push: the kernel lost the object; "
					 "retry the push", ctx->host, ctx->port);
				ret = CTL_EXIT_REMOTE;
				break;
			}
			for (uint32_t i = 0; i < n; i++)
				if (cs[i].st == CH_ACKED)
					cs[i].st = CH_WANT;
			acked = 0;
			err = query_status(ctx, sha, len, cs, n, &acked, &complete, NULL);
			if (err) {
				ret = ctl_exit_for(err);
				break;
			}
			continue;
		}
		/* Wait until the earliest retransmission deadline at most. */
		uint64_t now = ctl_mono_us(), deadline = UINT64_MAX;
		for (uint32_t i = 0; i < n; i++)
			if (cs[i].st == CH_FLIGHT && cs[i].sent_us + (uint64_t)rto->rto < deadline)
				deadline = cs[i].sent_us + (uint64_t)rto->rto;
		int wait_ms = deadline <= now ? 0 : (int)((deadline - now + 999) / 1000);
		Theseus__Reply *rep = NULL;
		const struct proto_binding *bound = NULL;
		err = wait_ms ? ctl_tx_recv(ctx, wait_ms, push_match_fn, &pm, &rep, &bound)
			      : TH_ETIMEDOUT;
		if (err == TH_ETIMEDOUT) {
			now = ctl_mono_us();
			bool lost = false;
			for (uint32_t i = 0; i < n; i++)
				if (cs[i].st == CH_FLIGHT && now - cs[i].sent_us >= (uint64_t)rto->rto) {
					cs[i].st = CH_WANT;
					inflight--;
					lost = true;
				}
			if (lost && now - last_decrease >= (uint64_t)rto->rto) {
				window = window / 2 < 1 ? 1 : window / 2;
				last_decrease = now;
				ctl_rto_backoff(rto);  /* exponential back-off */
			}
			if (now - last_progress > give_up_us) {
				if (ctx->replies_unauth > unauth0) {
					ctl_report(ctx, "push", TH_EAUTH, NULL);
					ret = CTL_EXIT_AUTH;
				} else {
					ctl_report(ctx, "push", TH_ETIMEDOUT, NULL);
					ret = CTL_EXIT_UNREACHABLE;
				}
				break;
			}
			continue;
		}
		/* The reply answers the chunk in flight it is bound to. */
		uint32_t i = (uint32_t)(container_of_binding(bound) - cs);
		int st = proto_status_from_wire(rep->status);
		inflight--;
		if (st == TH_ESTALE && ctx->have_key) {
			/* Epoch changed, or our session was refused (a duplicated
			 * datagram seen as a replay): re-learn / new session, resend;
			 * give up when nothing but refusals comes back. */
			cs[i].st = CH_WANT;
			ctl_tx_stale(ctx, rep, bound);
			if (++stale_refusals >= 16) {
				ctl_report(ctx, "push", st, rep);
				ret = CTL_EXIT_REMOTE;
				theseus__reply__free_unpacked(rep, NULL);
				break;
			}
		} else if (st != TH_OK) {
			ctl_report(ctx, "push", st, rep);
			ret = ctl_exit_for(st);
			theseus__reply__free_unpacked(rep, NULL);
			break;
		} else {
			cs[i].st = CH_ACKED;
			acked++;
			stalls = 0;
			last_progress = ctl_mono_us();
			if (!cs[i].resent)
				ctl_rto_sample(rto, (int64_t)(last_progress - cs[i].sent_us));
			stale_refusals = 0;
			window += 1.0 / window;
			if (window > CTL_PUSH_WINDOW_MAX)
				window = CTL_PUSH_WINDOW_MAX;
			if (rep->payload_case == THESEUS__REPLY__PAYLOAD_CHUNK && rep->chunk->complete)
				complete = true;
			progress(ctx, label, (size_t)acked * PROTO_CHUNK_SIZE > len
					      ? len : (size_t)acked * PROTO_CHUNK_SIZE, len, false);
		}
		theseus__reply__free_unpacked(rep, NULL);
	}
	if (complete)
		progress(ctx, label, len, len, true);
	else if (ctl_human(ctx) && isatty(fileno(ctx->err)))
		fputc('\n', ctx->err);
out:
	free(cs);
	return ret;
}

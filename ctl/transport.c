/*
 * transport.c - theseusctl's UDP transport: one connected UDP socket per
 * host, requests wrapped in MAC'd envelopes bound to the kernel's epoch,
 * with a fresh counter each, and replies accepted only when they answer a
 * request of ours and, with a key, carry a valid seal for exactly that
 * request (proto/wire.h, the rules in proto/theseus.proto).
 *
 * Sessions: a session is (epoch, client id); the client id is random, the
 * counter starts at the wall clock in nanoseconds and goes up by one per
 * datagram (consecutive, so the kernel's 64-counter replay window tolerates
 * reordering).  The epoch starts as the session cache has it for this
 * host:port and key (session_store.c: what an earlier process learned from
 * sealed replies), else unknown (0): a first request in a wrong or unknown
 * epoch is refused with an authenticated ESTALE naming the kernel's epoch,
 * and is resent with it at once.  ESTALE for our own epoch (counter
 * replayed by a duplicated datagram, or below the floor for new sessions)
 * starts a new session.
 * Retransmission timeouts come from measured round trips (rto.c), for
 * idempotent requests; rollback and invoke wait max(--timeout, 1 s) before
 * each resend.  Swap, rollback and invoke are resent as the same datagram
 * (same counter), which the kernel answers from its reply cache when the
 * first one ran (its reply was lost); any other resend is a new datagram.
 * MACs: HMAC-SHA256 until a sealed reply names the kinds the kernel takes
 * (Reply.mac_kinds: the first reply, the ESTALE that teaches the epoch,
 * does), then the cheaper kind-1 tag under the session key (--mac); from
 * the first datagram when the cache says the kernel takes it.  A request
 * with that cached kind-1 MAC refused unsealed (EAUTH: a kernel that does
 * not take kind 1) or unanswered for an RTO is resent with HMAC, and the
 * sealed reply to that fixes the cache.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "klibc.h"
#include "ctl.h"

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t ctl_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t random_id(void)
{
	uint64_t id;
	if (getrandom(&id, sizeof id, 0) != sizeof id)
		id = wall_ns() ^ ((uint64_t)getpid() << 32) ^ ctl_mono_us();
	return id;
}

static void new_session(struct ctl_ctx *ctx, uint64_t floor)
{
	ctx->client_id = random_id();
	uint64_t now = wall_ns();
	if (now > ctx->counter)
		ctx->counter = now;
	if (floor >= ctx->counter)
		ctx->counter = floor;  /* the next datagram uses floor + 1 */
}

/* "host:port" as the cache names ctx's target. */
static void cache_target(const struct ctl_ctx *ctx, char *out, size_t cap)
{
	snprintf(out, cap, "%s:%u", ctx->host, ctx->port);
}

/* Starts with the epoch and MAC kinds the session cache holds, if any. */
static void cache_lookup(struct ctl_ctx *ctx)
{
	char target[CTL_SC_TARGET_MAX + 8];
	uint64_t epoch = 0;
	uint32_t kinds = 0;
	if (!ctx->sc || !ctx->have_key)
		return;
	cache_target(ctx, target, sizeof target);
	bool hit = ctl_sc_lookup(ctx->sc, ctx->key_fp, target, &epoch, &kinds);
	if (hit) {
		ctx->epoch = epoch;
		ctx->mac_kinds = kinds;
		ctx->kinds_cached = ctx->mac_mode == CTL_MAC_AUTO &&
				    (kinds & (1u << PROTO_MAC_KIND_POLY));
	}
	if (ctx->trace)
		fprintf(ctx->err, "theseusctl: trace: %s: session cache %s: epoch %016llx, "
			"mac_kinds %u\n", target, hit ? "hit" : "miss",
			(unsigned long long)epoch, kinds);
}

/* A sealed reply: the kernel's word on its epoch and MAC kinds. */
static void cache_learn(struct ctl_ctx *ctx, const Theseus__Reply *r)
{
	char target[CTL_SC_TARGET_MAX + 8];
	ctx->mac_kinds = r->mac_kinds;
	ctx->kinds_cached = false;
	if (!ctx->sc || !r->epoch)
		return;
	cache_target(ctx, target, sizeof target);
	ctl_sc_learn(ctx->sc, ctx->key_fp, target, r->epoch, r->mac_kinds);
}

void ctl_tx_cache_flush(struct ctl_ctx *ctx)
{
	if (ctx->sc && ctl_sc_flush(ctx->sc) != TH_OK && ctx->trace)
		fprintf(ctx->err, "theseusctl: trace: session cache not written\n");
}

/* Back to HMAC: kind 1 was only the cache's word, not a sealed reply's. */
static void drop_cached_kind(struct ctl_ctx *ctx)
{
	ctx->kinds_cached = false;
	ctx->mac_kinds &= ~(1u << PROTO_MAC_KIND_POLY);
}

bool ctl_tx_kind_fallback(struct ctl_ctx *ctx)
{
	if (!ctx->kinds_cached)
		return false;
	drop_cached_kind(ctx);
	if (ctx->trace)
		fprintf(ctx->err, "theseusctl: trace: %s:%u: the cached kind-1 MAC was not "
			"taken: back to HMAC\n", ctx->host, ctx->port);
	return true;
}

int ctl_tx_open(struct ctl_ctx *ctx, struct th_errbuf *eb)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	char port[8];
	snprintf(port, sizeof port, "%u", ctx->port);
	int rc = getaddrinfo(ctx->host, port, &hints, &ai);
	if (rc != 0 || !ai)
		return th_errf(eb, TH_ENODEV, "%s: unknown host (%s)", ctx->host, gai_strerror(rc));
	memcpy(&ctx->addr, ai->ai_addr, sizeof ctx->addr);
	freeaddrinfo(ai);
	ctx->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ctx->fd < 0)
		return th_errf(eb, TH_EIO, "socket: %s", strerror(errno));
	if (connect(ctx->fd, (struct sockaddr *)&ctx->addr, sizeof ctx->addr) < 0) {
		int e = errno;
		close(ctx->fd);
		ctx->fd = -1;
		return th_errf(eb, TH_ENODEV, "%s:%u: %s", ctx->host, ctx->port, strerror(e));
	}
	ctx->counter = 0;
	ctx->epoch = 0;
	ctx->mac_kinds = 0;
	ctx->kinds_cached = false;
	ctx->ks_valid = false;
	ctx->replies_unauth = ctx->replies_unmatched = ctx->stale_refusals = 0;
	ctx->replies_unsealed_ok = 0;
	new_session(ctx, 0);   /* a new client id and counter in every process (4) */
	cache_lookup(ctx);
	ctl_rto_init(&ctx->rto, ctx->timeout_ms);
	return TH_OK;
}

void ctl_tx_close(struct ctl_ctx *ctx)
{
	if (ctx->fd >= 0)
		close(ctx->fd);
	ctx->fd = -1;
	ctl_tx_cache_flush(ctx);
}

uint32_t ctl_mac_kind(const struct ctl_ctx *ctx)
{
	if (!ctx->have_key || ctx->mac_mode == CTL_MAC_HMAC)
		return PROTO_MAC_KIND_HMAC;
	if (ctx->mac_mode == CTL_MAC_POLY || (ctx->mac_kinds & (1u << PROTO_MAC_KIND_POLY)))
		return PROTO_MAC_KIND_POLY;
	return PROTO_MAC_KIND_HMAC;
}

/* Packs req in an envelope bound to b and sends it. */
static int send_bound(struct ctl_ctx *ctx, const Theseus__Request *req,
		      const struct proto_binding *b)
{
	uint8_t body[PROTO_MAX_DATAGRAM], dgram[PROTO_MAX_DATAGRAM];
	size_t blen = theseus__request__get_packed_size(req), dlen = 0;
	uint32_t kind = ctl_mac_kind(ctx);
	if (blen > sizeof body)
		return TH_ETOOBIG;
	theseus__request__pack(req, body);
	if (kind == PROTO_MAC_KIND_POLY &&
	    (!ctx->ks_valid || ctx->ks_epoch != b->epoch || ctx->ks_client_id != b->client_id)) {
		proto_session_key(ctx->key, b->epoch, b->client_id, ctx->ks);  /* once a session */
		ctx->ks_epoch = b->epoch;
		ctx->ks_client_id = b->client_id;
		ctx->ks_valid = true;
	}
	int err = proto_envelope_pack_kind(ctx->have_key ? ctx->key : NULL, ctx->ks, kind,
					   PROTO_VERSION, b, body, blen, dgram, sizeof dgram,
					   &dlen);
	if (err)
		return err;
	/* ECONNREFUSED from an earlier ICMP error is not fatal: keep trying. */
	if (send(ctx->fd, dgram, dlen, 0) < 0 && errno != ECONNREFUSED)
		return TH_EIO;
	return TH_OK;
}

int ctl_tx_send(struct ctl_ctx *ctx, const Theseus__Request *req, struct proto_binding *b)
{
	struct proto_binding nb = { .client_id = ctx->client_id, .counter = ctx->counter + 1,
				    .epoch = ctx->epoch };
	if (theseus__request__get_packed_size(req) > PROTO_MAX_DATAGRAM)
		return TH_ETOOBIG;
	ctx->counter++;
	int err = send_bound(ctx, req, &nb);
	if (err)
		return err;
	*b = nb;
	return TH_OK;
}

int ctl_tx_recv(struct ctl_ctx *ctx, int timeout_ms, ctl_match_fn match, void *arg,
		Theseus__Reply **rep, const struct proto_binding **bound)
{
	uint8_t buf[2048];
	uint64_t t0 = ctl_mono_us();
	*rep = NULL;
	*bound = NULL;
	for (;;) {
		uint64_t spent = (ctl_mono_us() - t0) / 1000;
		if (spent >= (uint64_t)timeout_ms)
			return TH_ETIMEDOUT;
		struct pollfd pfd = { .fd = ctx->fd, .events = POLLIN };
		int n = poll(&pfd, 1, (int)((uint64_t)timeout_ms - spent));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return TH_ETIMEDOUT;
		ssize_t got = recv(ctx->fd, buf, sizeof buf, 0);
		if (got < 0)
			continue;  /* ICMP unreachable and the like: wait on */
		Theseus__Reply *r = theseus__reply__unpack(NULL, (size_t)got, buf);
		if (!r) {
			ctx->replies_unmatched++;
			continue;
		}
		const struct proto_binding *b = match(arg, r->client_id, r->counter);
		size_t body_len;
		if (!b) {
			ctx->replies_unmatched++;
		} else if (ctx->have_key &&
			   proto_reply_open(ctx->key, b, buf, (size_t)got, &body_len) != TH_OK) {
			ctx->replies_unauth++;  /* forged, tampered, or an unsealed refusal */
			if (r->status == 0 && r->mac.len == 0)
				ctx->replies_unsealed_ok++;  /* a kernel without a key answers so */
			if (proto_status_from_wire(r->status) == TH_EAUTH &&
			    ctl_tx_kind_fallback(ctx)) {
				theseus__reply__free_unpacked(r, NULL);
				return TH_EAUTH;   /* never changes the cache */
			}
		} else {
			if (ctx->have_key)
				cache_learn(ctx, r);  /* sealed: the kernel's word */
			*rep = r;
			*bound = b;
			return TH_OK;
		}
		theseus__reply__free_unpacked(r, NULL);
	}
}

void ctl_tx_stale(struct ctl_ctx *ctx, const Theseus__Reply *rep, const struct proto_binding *b)
{
	ctx->stale_refusals++;
	if (rep->epoch && rep->epoch != b->epoch) {
		if (rep->epoch != ctx->epoch)
			ctx->epoch = rep->epoch;
		return;
	}
	new_session(ctx, rep->counter_floor);
}

#define CTL_CALL_ATTEMPTS 64   /* attempts of one call whose answers still count */
#define CTL_CALL_FAST 32       /* expiries past --retries before the full back-off */

struct call_state {
	struct proto_binding b[CTL_CALL_ATTEMPTS];
	uint64_t sent_us[CTL_CALL_ATTEMPTS];
	size_t n;          /* attempts made (the last CTL_CALL_ATTEMPTS are kept) */
};

static const struct proto_binding *call_match(void *arg, uint64_t client_id, uint64_t counter)
{
	struct call_state *cs = arg;
	size_t kept = cs->n < CTL_CALL_ATTEMPTS ? cs->n : CTL_CALL_ATTEMPTS;
	for (size_t k = 0; k < kept; k++) {
		const struct proto_binding *b = &cs->b[(cs->n - 1 - k) % CTL_CALL_ATTEMPTS];
		if (b->counter == counter && b->client_id == client_id)
			return b;
	}
	return NULL;
}

int ctl_call(struct ctl_ctx *ctx, const Theseus__Request *req, Theseus__Reply **rep)
{
	struct call_state *cs = calloc(1, sizeof *cs);
	int retrans = 0, stale = 0, ret = TH_ETIMEDOUT;
	uint64_t unauth0 = ctx->replies_unauth;
	uint64_t start = ctl_mono_us();
	uint64_t budget_us = (uint64_t)ctx->timeout_ms * 1000 * (uint64_t)(ctx->retries + 1);
	/* Rollback and invoke are not idempotent (a duplicate would undo one
	 * more swap, or call again): they are resent only after --timeout, as
	 * before round trips were measured; everything else after the RTO. */
	bool idempotent = req->kind_case != THESEUS__REQUEST__KIND_ROLLBACK &&
			  req->kind_case != THESEUS__REQUEST__KIND_ROLLBACK_SET &&
			  req->kind_case != THESEUS__REQUEST__KIND_INVOKE;
	/* Swap, rollback and invoke are resent as the same datagram (same
	 * counter): the kernel answers a resend of one that ran with the reply
	 * it kept, instead of running it again (proto/theseus.proto, 7). */
	bool once = !idempotent || req->kind_case == THESEUS__REQUEST__KIND_SWAP;
	bool same = false;    /* the next send repeats the last datagram */
	int64_t slow = (int64_t)(ctx->timeout_ms > 1000 ? ctx->timeout_ms : 1000) * 1000;
	struct ctl_rto timer = ctx->rto;   /* backs off for this call (rto.c) */
	int64_t rto = idempotent ? timer.rto : slow;
	/* ESTALE answers to attempts up to this counter were acted upon (a
	 * late one, e.g. queued while the NIC could not receive, is not a new
	 * refusal); wait_until: waiting on for the last attempt, no send. */
	uint64_t stale_upto = 0, wait_until = 0;
	/* After an expiry, in the fast phase, an idempotent request resent as
	 * new datagrams goes out CTL_CALL_COPIES times per RTO, one every
	 * RTO / CTL_CALL_COPIES (any one's answer counts; spread out, not
	 * back to back, as a full queue in front of the host drops a burst
	 * whole): a flood that lets one datagram in ten through then costs a
	 * round trip or two, not a dozen RTOs.  copy: which one of them. */
	int copies = 1, copy = 0;
	*rep = NULL;
	if (!cs)
		return TH_ENOMEM;
	if (once && ctx->kinds_cached) {
		/* Only the cache says the kernel takes kind 1: a request that
		 * must not run twice is HMAC'd, as falling back would send it
		 * again as a new datagram (its sealed reply confirms kind 1). */
		drop_cached_kind(ctx);
	}
	for (;;) {
		size_t slot = cs->n % CTL_CALL_ATTEMPTS;
		int err = TH_OK;
		if (!wait_until) {   /* else: an old refusal came, wait on without sending */
			if (same) {
				cs->b[slot] = cs->b[(cs->n - 1) % CTL_CALL_ATTEMPTS];
				err = send_bound(ctx, req, &cs->b[slot]);
			} else {
				err = ctl_tx_send(ctx, req, &cs->b[slot]);
			}
			same = false;
			if (err) {
				ret = err;
				break;
			}
			cs->sent_us[slot] = ctl_mono_us();
			cs->n++;
			wait_until = cs->sent_us[slot] + (uint64_t)rto / (uint64_t)copies;
		}
		Theseus__Reply *r = NULL;
		const struct proto_binding *b = NULL;
		uint64_t now = ctl_mono_us();
		err = wait_until > now ? ctl_tx_recv(ctx, (int)((wait_until - now + 999) / 1000),
						     call_match, cs, &r, &b)
				       : TH_ETIMEDOUT;
		if (err == TH_EAUTH) {
			/* the cached kind-1 MAC refused: resend now, HMAC'd, as a
			 * new datagram (a resend of the same one would be refused) */
			wait_until = 0;
			copy = 0;
			same = false;
			continue;
		}
		if (err == TH_OK) {
			int st = proto_status_from_wire(r->status);
			size_t k = (size_t)(b - cs->b);
			if (st == TH_ESTALE && ctx->have_key && b->counter <= stale_upto) {
				theseus__reply__free_unpacked(r, NULL);
				continue;   /* acted upon already: wait on */
			}
			wait_until = 0;
			if (st == TH_ESTALE && ctx->have_key && ++stale <= 8) {
				ctl_tx_stale(ctx, r, b);
				stale_upto = ctx->counter;
				copy = 0;
				theseus__reply__free_unpacked(r, NULL);
				continue;   /* resend at once, in the right epoch/session */
			}
			/* A round-trip sample when the answer names its attempt:
			 * always for resends as new datagrams (new counter), only
			 * without resends for the same datagram again (Karn). */
			if (!once || !retrans)
				ctl_rto_sample(&ctx->rto, (int64_t)(ctl_mono_us() - cs->sent_us[k]));
			*rep = r;
			ret = st;
			break;
		}
		wait_until = 0;
		if (ctl_tx_kind_fallback(ctx)) {
			copy = 0;
			same = false;
			continue;   /* unanswered with the cached kind 1: HMAC at once */
		}
		if (++copy < copies)
			continue;   /* the next copy within this RTO */
		copy = 0;
		/* RTO expired: back off, resend, until both limits are spent.
		 * For the first --retries + CTL_CALL_FAST expiries the timer
		 * doubles only up to twice the RTO (a flood that drops most
		 * datagrams must not stretch the waits to seconds), then up to
		 * --timeout (a host that is gone gets few datagrams more). */
		retrans++;
		same = once;
		copies = idempotent && !once && retrans <= ctx->retries + CTL_CALL_FAST ?
			 CTL_CALL_COPIES : 1;
		if (idempotent) {
			if (retrans > ctx->retries + CTL_CALL_FAST)
				ctl_rto_backoff_full(&timer);
			else
				ctl_rto_backoff(&timer);
			rto = timer.rto;
		}
		if (retrans > ctx->retries && ctl_mono_us() - start >= budget_us) {
			ret = ctx->replies_unauth > unauth0 ? TH_EAUTH : TH_ETIMEDOUT;
			break;
		}
		if (retrans > ctx->retries + 2 * CTL_CALL_FAST) {  /* bound the datagrams too */
			ret = ctx->replies_unauth > unauth0 ? TH_EAUTH : TH_ETIMEDOUT;
			break;
		}
	}
	if (retrans)
		ctl_rto_backoff(&ctx->rto);
	if (ctx->trace)
		fprintf(ctx->err, "theseusctl: trace: %s:%u: call kind %d: %zu sent, %d expired, "
			"%.1f ms, %s, rto %.1f ms\n", ctx->host, ctx->port, (int)req->kind_case,
			cs->n, retrans, (double)(ctl_mono_us() - start) / 1e3, th_err_name(ret),
			(double)ctx->rto.rto / 1e3);
	ctl_tx_cache_flush(ctx);   /* what this call's sealed replies taught (log -f runs on) */
	free(cs);
	return ret;
}

/* The kernel said the request kind itself is not supported (ep_not_supported:
 * "WHAT: not supported by this kernel"), or gave no message: not any other
 * ENOTSUP, such as a loader refusal of an object. */
static bool kind_unsupported(const Theseus__Reply *rep)
{
	return !rep || !rep->message || !rep->message[0] ||
	       strstr(rep->message, "not supported by this kernel") != NULL;
}

/* What to do next, for an error code.  The transport's hints are for codes
 * of our own: the kernel's reply ETIMEDOUT is module code cut by its
 * watchdog, not a lost datagram. */
const char *ctl_err_hint(const struct ctl_ctx *ctx, int err, const Theseus__Reply *rep)
{
	switch (err) {
	case TH_ETIMEDOUT:
		if (rep)
			return "";
		return " (no answer: is the kernel running and the UDP port forwarded? "
		       "check -H/--port, or try --timeout/--retries)";
	case TH_EAUTH:
		if (ctx->have_key && ctx->replies_unsealed_ok)
			return " (the kernel answers without a seal: was it booted without key=? "
			       "`theseusctl info` without a key file shows; or replies are forged "
			       "on the way)";
		return ctx->have_key ? " (wrong key? check --key-file / THESEUS_KEY_FILE against "
				       "the kernel's key=; or replies are forged on the way)"
				     : " (no key given: use --key-file FILE or THESEUS_KEY_FILE)";
	case TH_ENODEV:
		return rep ? "" : " (check the host name)";
	case TH_ENOTSUP:
		return kind_unsupported(rep) ? " (this kernel does not offer it; is it older than "
					       "theseusctl?)" : "";
	case TH_EVERSION:
		return " (theseusctl and the kernel speak different protocol versions)";
	default:
		return "";
	}
}

void ctl_report(struct ctl_ctx *ctx, const char *what, int err, const Theseus__Reply *rep)
{
	const char *msg = rep && rep->message && rep->message[0] ? rep->message : th_strerror(err);
	char dropped[96] = "";
	size_t wl = strlen(what);
	/* The kernel's messages often start with the request's name already
	 * ("rollback: module x is not loaded"): say it once. */
	while (wl && strncmp(msg, what, wl) == 0 && msg[wl] == ':' && msg[wl + 1] == ' ')
		msg += wl + 2;
	if (ctx->replies_unauth)
		snprintf(dropped, sizeof dropped, " [%llu unauthenticated repl%s dropped]",
			 (unsigned long long)ctx->replies_unauth,
			 ctx->replies_unauth == 1 ? "y" : "ies");
	ctx->status = err;
	ctx->status_remote = rep != NULL;
	snprintf(ctx->errmsg, sizeof ctx->errmsg, "%s: %s%s", what, msg, dropped);
	if (ctx->json)
		return;
	fprintf(ctx->err, "theseusctl: %s:%u: %s: %s: %s%s%s\n", ctx->host, ctx->port, what,
		th_err_name(err), msg, ctl_err_hint(ctx, err, rep), dropped);
}

void ctl_fail(struct ctl_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
	va_end(ap);
	ctx->status = err;
	ctx->status_remote = false;
	if (!ctx->json)
		fprintf(ctx->err, "theseusctl: %s\n", ctx->errmsg);
}

int ctl_call_expect(struct ctl_ctx *ctx, const char *what, const Theseus__Request *req,
		    int want, Theseus__Reply **rep)
{
	int err = ctl_call(ctx, req, rep);
	if (!err && (int)(*rep)->payload_case != want)
		err = TH_EPROTO;
	if (err) {
		ctl_report(ctx, what, err, *rep);
		if (*rep)
			theseus__reply__free_unpacked(*rep, NULL);
		*rep = NULL;
	}
	return err;
}

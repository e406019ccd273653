/*
 * transport.c - theseusctl's UDP transport: one connected UDP socket per
 * host, requests wrapped in MAC'd envelopes with a fresh counter each, and
 * replies matched to requests by the counter they echo.
 *
 * Counters start at the wall clock in nanoseconds and go up by one per
 * datagram, so they stay increasing across restarts of theseusctl and
 * consecutive inside one run (the kernel's 64-counter replay window then
 * tolerates reordering).  The client id is random per process.
 * ctl_call() retries with exponential back-off; an EAUTH answer is retried
 * too (a network-duplicated datagram is refused as a replay, and its refusal
 * may arrive before, or instead of, the first copy's answer), after moving
 * the counter to the wall clock.
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

void ctl_tx_resync(struct ctl_ctx *ctx)
{
	uint64_t now = wall_ns();
	if (now > ctx->counter)
		ctx->counter = now;
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
	if (getrandom(&ctx->client_id, sizeof ctx->client_id, 0) != sizeof ctx->client_id)
		ctx->client_id = wall_ns() ^ ((uint64_t)getpid() << 32);
	ctx->counter = 0;
	ctl_tx_resync(ctx);
	return TH_OK;
}

void ctl_tx_close(struct ctl_ctx *ctx)
{
	if (ctx->fd >= 0)
		close(ctx->fd);
	ctx->fd = -1;
}

int ctl_tx_send(struct ctl_ctx *ctx, const Theseus__Request *req, uint64_t *counter)
{
	uint8_t body[PROTO_MAX_DATAGRAM], dgram[PROTO_MAX_DATAGRAM];
	size_t blen = theseus__request__get_packed_size(req), dlen = 0;
	if (blen > sizeof body)
		return TH_ETOOBIG;
	theseus__request__pack(req, body);
	uint64_t c = ++ctx->counter;
	int err = proto_envelope_pack(ctx->have_key ? ctx->key : NULL, PROTO_VERSION,
					 ctx->client_id, c, body, blen, dgram, sizeof dgram, &dlen);
	if (err)
		return err;
	/* ECONNREFUSED from an earlier ICMP error is not fatal: keep trying. */
	if (send(ctx->fd, dgram, dlen, 0) < 0 && errno != ECONNREFUSED)
		return TH_EIO;
	*counter = c;
	return TH_OK;
}

int ctl_tx_recv(struct ctl_ctx *ctx, int timeout_ms, Theseus__Reply **rep)
{
	uint8_t buf[2048];
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	*rep = NULL;
	for (;;) {
		struct timespec t1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long spent = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (spent >= timeout_ms)
			return TH_ETIMEDOUT;
		struct pollfd pfd = { .fd = ctx->fd, .events = POLLIN };
		int n = poll(&pfd, 1, (int)(timeout_ms - spent));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return TH_ETIMEDOUT;
		ssize_t got = recv(ctx->fd, buf, sizeof buf, 0);
		if (got < 0)
			continue;  /* ICMP unreachable and the like: wait on */
		*rep = theseus__reply__unpack(NULL, (size_t)got, buf);
		if (*rep)
			return TH_OK;
	}
}

int ctl_call(struct ctl_ctx *ctx, const Theseus__Request *req, Theseus__Reply **rep)
{
	int timeout = ctx->timeout_ms, auth_refusals = 0;
	uint64_t first = 0;
	*rep = NULL;
	for (int attempt = 0; attempt <= ctx->retries; attempt++) {
		uint64_t c;
		int err = ctl_tx_send(ctx, req, &c);
		if (err)
			return err;
		if (attempt == 0)
			first = c;
		for (;;) {
			Theseus__Reply *r;
			err = ctl_tx_recv(ctx, timeout, &r);
			if (err)
				break;  /* timeout: retry */
			int st = proto_status_from_wire(r->status);
			if (r->counter != c) {
				/* A late answer to an earlier attempt of this request
				 * counts (requests are idempotent); others are stale. */
				if (st != TH_EAUTH && r->counter >= first && r->counter < c) {
					*rep = r;
					return st;
				}
				theseus__reply__free_unpacked(r, NULL);
				continue;
			}
			if (st == TH_EAUTH && ++auth_refusals <= 2 && attempt < ctx->retries) {
				theseus__reply__free_unpacked(r, NULL);
				ctl_tx_resync(ctx);
				err = TH_EAUTH;
				break;
			}
			*rep = r;
			return st;
		}
		if (err == TH_ETIMEDOUT && timeout < 8000)
			timeout *= 2;
	}
	return TH_ETIMEDOUT;
}

/* What to do next, for an error code. */
static const char *hint_for(const struct ctl_ctx *ctx, int err)
{
	switch (err) {
	case TH_ETIMEDOUT:
		return " (no answer: is the kernel running and the UDP port forwarded? "
		       "check -H/--port, or try --timeout/--retries)";
	case TH_EAUTH:
		return ctx->have_key ? " (wrong key? check --key-file / THESEUS_KEY_FILE against "
				       "the kernel's key=)"
				     : " (no key given: use --key-file FILE or THESEUS_KEY_FILE)";
	case TH_ENODEV:
		return " (check the host name)";
	case TH_ENOTSUP:
		return " (this kernel does not offer it; is it older than theseusctl?)";
	case TH_EVERSION:
		return " (theseusctl and the kernel speak different protocol versions)";
	default:
		return "";
	}
}

void ctl_report(struct ctl_ctx *ctx, const char *what, int err, const Theseus__Reply *rep)
{
	const char *msg = rep && rep->message && rep->message[0] ? rep->message : th_strerror(err);
	ctx->status = err;
	snprintf(ctx->errmsg, sizeof ctx->errmsg, "%s: %s", what, msg);
	if (ctx->json)
		return;
	fprintf(ctx->err, "theseusctl: %s:%u: %s: %s: %s%s\n", ctx->host, ctx->port, what,
		th_err_name(err), msg, hint_for(ctx, err));
}

void ctl_fail(struct ctl_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
	va_end(ap);
	ctx->status = err;
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

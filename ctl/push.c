/*
 * push.c - uploading an object as chunks with a window in flight (used by
 * `push` and `swap`).
 *
 * First an ObjectStatus request learns which chunks the kernel already has
 * (a repeated push, or one resumed after an error, sends only the rest) and
 * the chunk size it takes (up to PROTO_CHUNK_SIZE_MAX: fewer, fuller
 * datagrams).  Then up to `window` chunks are in flight, sent in bursts:
 * most chunks quiet (the kernel answers them only on error or completion),
 * some asking for a reply (fill_window), whose bitmap acknowledges the
 * quiet chunks before it (theseus.proto, 10).  The window and how often a
 * chunk asks for a reply follow push_window.c: slow start from
 * CTL_PUSH_WINDOW_START to CTL_PUSH_WINDOW_CLEAN; on a loss every chunk
 * asks, and the window is held (at least CTL_PUSH_WINDOW_LOSSY, at most
 * CTL_PUSH_WINDOW_MAX datagrams) while answers show progress, collapses
 * to CTL_PUSH_WINDOW_MIN when nothing answers, else halves; held only when
 * more than half of the push's datagrams were lost (heavy_loss), a stray
 * loss halves it as on a clean link.  In that lossy mode spare room
 * in the window carries extra copies of chunks in flight (fill_copies),
 * each its own datagram whose answer counts for the chunk.  Each chunk
 * has its own retransmission timer, the host's RTO (rto.c: srtt + 4 *
 * rttvar from answered chunks, between 5 ms and --timeout; a resend is a
 * new datagram, so its answer is a clean sample too); an expired chunk is
 * resent (asking for a reply); when the window shrinks the RTO doubles,
 * and an answer that acknowledges new chunks ends that back-off.  Until it
 * is sent again, an expired chunk's datagram still counts: a late answer
 * to it is taken (and is a round-trip sample: it was sent once), and when
 * every chunk that expired since a halving turns out to have arrived, the
 * halving is undone (push_window.c: spurious expiries, a receiver that was
 * only slow for a while).  A chunk
 * that an answer's bitmap shows missing although it was sent before the
 * answered one is sent again at once (ack_bitmap: fast retransmit).  The
 * push fails only when nothing is acknowledged for --timeout * (--retries
 * + 1).  The object is done when the kernel says it is complete (hash
 * verified).  Replies count only when sealed for a chunk in flight
 * (ctl_tx_recv); an ESTALE refusal re-learns the epoch or starts a new
 * session and resends.  A progress bar is drawn only when stderr is a terminal.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "klibc.h"
#include "ctl.h"

enum { CH_WANT, CH_FLIGHT, CH_ACKED };

struct chunk_state {
	uint8_t st;
	bool resent;        /* sent before (for THESEUSCTL_TRACE) */
	bool expired;       /* its timer expired and it was not sent since: its
			     * datagram (binding b) may still arrive */
	uint32_t episode;   /* the window's episode it expired in (push_window.c) */
	bool asks;          /* in flight asking for a reply (not quiet) */
	uint8_t copies;     /* extra copies in flight (lossy mode) */
	struct proto_binding b; /* of the datagram in flight */
	uint64_t sent_us;
	uint64_t last_us;   /* the latest send of it or of a copy */
	uint32_t fpos;      /* its place in push.flight while in flight */
};

/* Replies are matched through a ring of the last CTL_PUSH_MATCH_RING
 * counters sent (slot = counter mod the ring: counters go up by one per
 * datagram), not by a scan of every chunk for every reply (a 60 MB push
 * spent half of theseusctl's time scanning). */
#define CTL_PUSH_MATCH_RING 65536u

/* An extra copy of a chunk in flight (lossy mode): its own datagram, so
 * its own binding; its answer counts for the chunk. */
struct chunk_copy {
	bool used;
	uint32_t chunk;
	struct proto_binding b;
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
	struct stat st = { 0 };
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return th_errf(eb, TH_EINVAL, "%s: is a directory, not an object file", path);
	}
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
	int bad = ferror(f), rd_errno = errno;
	long long fsize = -1;
	/* The size a regular file says it has (a device such as /dev/zero or a
	 * pipe has none that means anything). */
	if (over && S_ISREG(st.st_mode) && fseek(f, 0, SEEK_END) == 0)
		fsize = ftell(f);
	fclose(f);
	if (!buf)
		return th_errf(eb, TH_ENOMEM, "%s: out of memory", path);
	if (bad) {
		free(buf);
		return th_errf(eb, TH_EIO, "%s: read error: %s", path, strerror(rd_errno));
	}
	if (over || n > PROTO_MAX_OBJECT) {
		free(buf);
		if (fsize <= (long long)PROTO_MAX_OBJECT)
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

/* The terminal a progress bar goes to: stderr itself, unescaped (ctx->err
 * escapes its CR), when it is one; NULL in a fleet or with --json. */
static FILE *progress_tty(struct ctl_ctx *ctx)
{
	if (!ctl_human(ctx) || !ctx->err_raw || !isatty(fileno(ctx->err_raw)))
		return NULL;
	return ctx->err_raw;
}

static void progress(struct ctl_ctx *ctx, const char *label, size_t done, size_t total, bool end)
{
	FILE *tty = progress_tty(ctx);
	if (!tty)
		return;
	char *safe = ctl_term_dup(label);
	int width = 30, fill = total ? (int)((uint64_t)done * width / total) : width;
	fflush(ctx->err);
	fprintf(tty, "\r%-16.16s [%.*s%*s] %3d%% %zu/%zu KiB", safe ? safe : "push", fill,
		"##############################", width - fill, "",
		total ? (int)((uint64_t)done * 100 / total) : 100, (done + 1023) / 1024,
		(total + 1023) / 1024);
	if (end)
		fputc('\n', tty);
	fflush(tty);
	free(safe);
}

/* One push: the chunk states (allocated once the kernel said the chunk
 * size), how many are acknowledged and in flight. */
struct push {
	struct chunk_state *cs;
	uint32_t n, csize, acked, inflight;
	uint32_t want;             /* chunks in CH_WANT */
	uint32_t *flight, nflight; /* the chunks in CH_FLIGHT (copies apart) */
	uint32_t *by_ctr;          /* CTL_PUSH_MATCH_RING: counter -> chunk + 1 */
	uint32_t asking;           /* chunks in flight that ask for a reply */
	uint32_t since_ask;        /* quiet chunks sent since the last asking one */
	struct ctl_push_window w;  /* window and acknowledgement pace (push_window.c) */
	struct chunk_copy copy[CTL_PUSH_WINDOW_MAX];   /* extra copies in flight */
	uint32_t copy_next;        /* the next chunk in flight to copy (round robin) */
	/* figures for THESEUSCTL_TRACE */
	uint32_t sends, resends, replies, expiries, fast, copies, spurious;
	uint32_t lost;             /* datagrams (chunks or copies) seen lost */
};

/* Chunk i's state becomes st, keeping the count of wanted chunks and the
 * set in flight. */
static void set_state(struct push *p, uint32_t i, uint8_t st)
{
	struct chunk_state *c = &p->cs[i];
	if (c->st == st)
		return;
	if (c->st == CH_WANT)
		p->want--;
	if (c->st == CH_FLIGHT) {
		uint32_t last = p->flight[--p->nflight];
		p->flight[c->fpos] = last;
		p->cs[last].fpos = c->fpos;
	}
	if (st == CH_WANT)
		p->want++;
	if (st == CH_FLIGHT) {
		c->fpos = p->nflight;
		p->flight[p->nflight++] = i;
	}
	c->st = (uint8_t)st;
}

/* Copy k leaves flight. */
static void drop_copy(struct push *p, uint32_t k, bool expired)
{
	struct chunk_copy *cp = &p->copy[k];
	if (!cp->used)
		return;
	cp->used = false;
	p->cs[cp->chunk].copies--;
	p->lost += expired;
	p->inflight--;
}

/* Chunk i leaves flight (acknowledged, expired or refused). */
static void leave_flight(struct push *p, uint32_t i)
{
	struct chunk_state *c = &p->cs[i];
	if (c->st != CH_FLIGHT)
		return;
	p->inflight--;
	if (c->asks)
		p->asking--;
	c->asks = false;
	for (uint32_t k = 0; c->copies && k < CTL_PUSH_WINDOW_MAX; k++)
		if (p->copy[k].used && p->copy[k].chunk == i)
			drop_copy(p, k, false);
}

/* The chunk size the kernel asks for: the object's, or the largest it
 * takes for a new one (kernels that predate chunk_size say 1024). */
static uint32_t chunk_size_from(uint32_t said)
{
	return said >= PROTO_CHUNK_SIZE && said <= PROTO_CHUNK_SIZE_MAX ? said : PROTO_CHUNK_SIZE;
}

/* Marks chunk i acknowledged (once): frees its slot if it was in flight
 * and grows the window (push_window.c).  A chunk whose timer expired and
 * that was not sent since arrived after all: its expiry was spurious. */
static void mark_acked(struct push *p, uint32_t i)
{
	struct chunk_state *c = &p->cs[i];
	if (c->st == CH_ACKED)
		return;
	if (c->st == CH_WANT && c->expired) {
		c->expired = false;
		p->spurious++;
		if (p->lost)
			p->lost--;   /* not lost: it counts against heavy_loss no more */
		ctl_pw_spurious(&p->w, c->episode);
	}
	leave_flight(p, i);
	set_state(p, i, CH_ACKED);
	p->acked++;
	ctl_pw_acked(&p->w);
}

/* Asks which chunks the kernel has (page by page of the bitmap); marks
 * them acked.  The first answer fixes the chunk size and allocates the
 * chunk states.  *complete when done; *max_size = the largest object the
 * kernel's staging takes (0 if it did not say). */
static int query_status(struct ctl_ctx *ctx, const uint8_t *sha, size_t len, struct push *p,
			bool *complete, uint64_t *max_size)
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
		const Theseus__ObjectStatusReply *o =
			rep->payload_case == THESEUS__REPLY__PAYLOAD_OBJECT ? rep->object : NULL;
		if (!p->cs) {
			p->csize = chunk_size_from(o ? o->chunk_size : 0);
			p->n = (uint32_t)((len + p->csize - 1) / p->csize);
			p->cs = calloc(p->n, sizeof *p->cs);   /* all CH_WANT */
			p->flight = calloc(p->n, sizeof *p->flight);
			p->by_ctr = calloc(CTL_PUSH_MATCH_RING, sizeof *p->by_ctr);
			p->want = p->n;
			if (!p->cs || !p->flight || !p->by_ctr) {
				theseus__reply__free_unpacked(rep, NULL);
				ctl_fail(ctx, TH_ENOMEM, "out of memory");
				return TH_ENOMEM;
			}
		}
		if (o) {
			if (max_size)
				*max_size = o->max_object_size;
			if (o->known && o->total_size == len && o->chunk_size == p->csize) {
				*complete = o->complete;
				for (uint32_t i = 0; i < p->n; i++) {
					bool have = *complete;
					if (!have && i >= o->bitmap_from &&
					    (i - o->bitmap_from) / 8 < o->bitmap.len)
						have = (o->bitmap.data[(i - o->bitmap_from) / 8] >>
							((i - o->bitmap_from) % 8)) & 1;
					if (have && p->cs[i].st != CH_ACKED) {
						set_state(p, i, CH_ACKED);
						p->acked++;
					}
				}
				uint32_t next = o->bitmap_from + (uint32_t)o->bitmap.len * 8;
				more = !*complete && o->bitmap.len && next < p->n && next > from;
				from = next;
			}
		}
		theseus__reply__free_unpacked(rep, NULL);
		if (!more)
			return TH_OK;
	}
	return TH_OK;
}

/* The PushChunk request of chunk i (pc holds it; data and sha outlive it). */
static void chunk_request(Theseus__Request *req, Theseus__PushChunk *pc, const uint8_t *data,
			  size_t len, const uint8_t *sha, const struct push *p, uint32_t i,
			  bool quiet)
{
	size_t off = (size_t)i * p->csize;
	pc->object_sha256.data = (uint8_t *)sha;
	pc->object_sha256.len = PROTO_SHA256_LEN;
	pc->total_size = len;
	pc->offset = off;
	pc->data.data = (uint8_t *)data + off;
	pc->data.len = len - off < p->csize ? len - off : p->csize;
	pc->chunk_size = p->csize == PROTO_CHUNK_SIZE ? 0 : p->csize;
	pc->quiet = quiet;
	req->kind_case = THESEUS__REQUEST__KIND_PUSH_CHUNK;
	req->push_chunk = pc;
}

static int send_chunk(struct ctl_ctx *ctx, const uint8_t *data, size_t len, const uint8_t *sha,
		      struct push *p, uint32_t i, bool quiet)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__PushChunk pc = THESEUS__PUSH_CHUNK__INIT;
	struct chunk_state *c = &p->cs[i];
	chunk_request(&req, &pc, data, len, sha, p, i, quiet);
	int err = ctl_tx_send(ctx, &req, &c->b);
	if (err)
		return err;
	c->resent = c->st == CH_WANT && c->sent_us != 0;
	c->expired = false;   /* a new datagram (binding): the old one no longer counts */
	p->sends++;
	p->resends += c->resent;
	set_state(p, i, CH_FLIGHT);
	p->by_ctr[c->b.counter % CTL_PUSH_MATCH_RING] = i + 1;
	c->sent_us = ctl_mono_us();
	c->last_us = c->sent_us;
	c->asks = !quiet;
	p->inflight++;
	if (quiet) {
		p->since_ask++;
	} else {
		p->asking++;
		p->since_ask = 0;
	}
	return TH_OK;
}

/* More than CTL_PUSH_LOSSY_PCT % of this push's datagrams lost, of at
 * least CTL_PUSH_LOSSY_MIN_SENDS: a flood, not a stray loss (a window
 * held large after a stray loss overran the guest's receive ring). */
static bool heavy_loss(const struct push *p)
{
	return p->sends >= CTL_PUSH_LOSSY_MIN_SENDS &&
	       (uint64_t)p->lost * 100 > (uint64_t)p->sends * CTL_PUSH_LOSSY_PCT;
}

/* Lossy mode (push_window.c, entered only under heavy_loss) with the loss
 * still heavy, every chunk sent and room left in the window: fills it with extra
 * copies of the chunks in flight, round robin, at most
 * CTL_PUSH_COPIES_MAX of each, every copy asking for a reply.  Under a
 * flood that lets a few datagrams in ten through, one copy of each
 * missing chunk per round trip would take dozens of round trips to get
 * the last ones through; several copies take a few.  A stray loss on a
 * clean link sends no copies. */
static int fill_copies(struct ctl_ctx *ctx, const uint8_t *data, size_t len, const uint8_t *sha,
		       struct push *p)
{
	if (!p->w.lossy || !heavy_loss(p))
		return TH_OK;
	uint32_t slots = ctl_pw_slots(&p->w), k = 0, idle = 0;
	while (p->inflight < slots && idle < p->n) {
		uint32_t i = p->copy_next;
		p->copy_next = (p->copy_next + 1) % p->n;
		struct chunk_state *c = &p->cs[i];
		if (c->st != CH_FLIGHT || c->copies >= CTL_PUSH_COPIES_MAX) {
			idle++;
			continue;
		}
		idle = 0;
		while (k < CTL_PUSH_WINDOW_MAX && p->copy[k].used)
			k++;
		if (k == CTL_PUSH_WINDOW_MAX)
			break;
		struct chunk_copy *cp = &p->copy[k];
		Theseus__Request req = THESEUS__REQUEST__INIT;
		Theseus__PushChunk pc = THESEUS__PUSH_CHUNK__INIT;
		chunk_request(&req, &pc, data, len, sha, p, i, false);
		int err = ctl_tx_send(ctx, &req, &cp->b);
		if (err)
			return err;
		cp->used = true;
		cp->chunk = i;
		cp->sent_us = ctl_mono_us();
		c->last_us = cp->sent_us;
		c->copies++;
		p->inflight++;
		p->sends++;
		p->copies++;
	}
	return TH_OK;
}

/* Sends the chunks that fit the window, most of them quiet (no reply).
 * A reply is asked for by every resent chunk, by every ask_every-th chunk
 * counted across bursts (CTL_PUSH_ACK_EVERY, 1 after a loss), and by the
 * last of a burst when no asking
 * chunk is in flight or nothing is left to send: an answer's bitmap
 * acknowledges the quiet chunks before it, and the answers keep the window
 * moving.  (Asking at the end of every burst made one-chunk bursts, each
 * answered on its own, once the window grew past a whole number.) */
static int fill_window(struct ctl_ctx *ctx, const uint8_t *data, size_t len, const uint8_t *sha,
		       struct push *p, uint32_t *next)
{
	uint32_t burst[CTL_PUSH_WINDOW_MAX], nb = 0, scanned = 0;
	for (; p->inflight + nb < ctl_pw_slots(&p->w) && nb < CTL_PUSH_WINDOW_MAX &&
	       nb < p->want && scanned < p->n; scanned++) {
		uint32_t i = *next;
		*next = (*next + 1) % p->n;
		if (p->cs[i].st == CH_WANT)
			burst[nb++] = i;
	}
	/* Every chunk not in the burst is sent (the scan stops once it holds
	 * every wanted chunk, instead of going round all of them). */
	bool exhausted = scanned >= p->n || nb == p->want;
	for (uint32_t k = 0; k < nb; k++) {
		const struct chunk_state *c = &p->cs[burst[k]];
		bool ask = c->sent_us != 0 || p->since_ask + 1 >= p->w.ask_every ||
			   (k + 1 == nb && (p->asking == 0 || exhausted));
		int err = send_chunk(ctx, data, len, sha, p, burst[k], !ask);
		if (err)
			return err;
	}
	return exhausted ? fill_copies(ctx, data, len, sha, p) : TH_OK;
}

/* A ChunkAck's bitmap (the chunks up to the one answered, sent at sent_us):
 * marks the present ones acknowledged, and sends again at once a chunk in
 * flight whose every copy was sent before the answered one yet is missing (lost on the
 * way: fast retransmit, as TCP does from SACK blocks, instead of waiting
 * for its timer).  True when one was missing. */
static bool ack_bitmap(struct push *p, const Theseus__ChunkAck *ack, uint64_t sent_us)
{
	bool gap = false;
	for (size_t b = 0; b < ack->bitmap.len * 8; b++) {
		uint64_t j = (uint64_t)ack->bitmap_from + b;
		if (j >= p->n)
			break;
		if ((ack->bitmap.data[b / 8] >> (b % 8)) & 1) {
			mark_acked(p, (uint32_t)j);
		} else if (p->cs[j].st == CH_FLIGHT && p->cs[j].last_us < sent_us) {
			leave_flight(p, (uint32_t)j);
			set_state(p, (uint32_t)j, CH_WANT);
			p->fast++;
			p->lost++;
			gap = true;
		} else if (p->cs[j].st == CH_WANT && p->cs[j].expired && p->cs[j].last_us < sent_us) {
			p->cs[j].expired = false;   /* missing indeed: a real loss */
		}
	}
	return gap;
}

/* Replies are matched to the chunk in flight whose datagram they name, to
 * an expired chunk not sent since (a late answer), or to an extra copy of
 * one. */
static const struct proto_binding *push_match_fn(void *arg, uint64_t client_id, uint64_t counter)
{
	const struct push *p = arg;
	uint32_t i = p->by_ctr[counter % CTL_PUSH_MATCH_RING];
	if (i-- && i < p->n &&
	    (p->cs[i].st == CH_FLIGHT || (p->cs[i].st == CH_WANT && p->cs[i].expired)) &&
	    p->cs[i].b.counter == counter && p->cs[i].b.client_id == client_id)
		return &p->cs[i].b;
	for (uint32_t k = 0; k < CTL_PUSH_WINDOW_MAX; k++)
		if (p->copy[k].used && p->copy[k].b.counter == counter &&
		    p->copy[k].b.client_id == client_id)
			return &p->copy[k].b;
	return NULL;
}

/* The chunk a matched binding belongs to, and when that datagram was sent. */
static uint32_t bound_chunk(const struct push *p, const struct proto_binding *b,
			    uint64_t *sent_us)
{
	for (uint32_t k = 0; k < CTL_PUSH_WINDOW_MAX; k++)
		if (b == &p->copy[k].b) {
			*sent_us = p->copy[k].sent_us;
			return p->copy[k].chunk;
		}
	const struct chunk_state *c =
		(const struct chunk_state *)(const void *)((const char *)b -
							   offsetof(struct chunk_state, b));
	*sent_us = c->sent_us;
	return (uint32_t)(c - p->cs);
}

int ctl_push_object(struct ctl_ctx *ctx, const char *label, const uint8_t *data, size_t len,
		    const uint8_t sha[PROTO_SHA256_LEN])
{
	struct push p = { .cs = NULL };
	ctl_pw_init(&p.w, ctl_mono_us());
	uint32_t next = 0;
	bool complete = false;
	int ret = CTL_EXIT_OK, err, stalls = 0, stale_refusals = 0;
	struct ctl_rto *rto = &ctx->rto;
	uint64_t unauth0 = ctx->replies_unauth;
	uint64_t last_progress = ctl_mono_us();
	uint64_t give_up_us = (uint64_t)ctx->timeout_ms * 1000 * (uint64_t)(ctx->retries + 1);

	uint64_t max_size = 0, t_start = ctl_mono_us();
	err = query_status(ctx, sha, len, &p, &complete, &max_size);
	uint64_t t_send = ctl_mono_us();
	if (err) {
		ret = err == TH_ENOMEM ? CTL_EXIT_LOCAL : ctl_exit_status(ctx, err);
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
		err = fill_window(ctx, data, len, sha, &p, &next);
		if (err) {
			ctl_fail(ctx, err, "send: %s", th_strerror(err));
			ret = CTL_EXIT_LOCAL;
			goto out;
		}
		if (p.inflight == 0) {
			/* Everything acknowledged but not complete: ask (evicted?). */
			err = query_status(ctx, sha, len, &p, &complete, NULL);
			if (err || complete) {
				ret = ctl_exit_status(ctx, err);
				break;
			}
			if (++stalls > ctx->retries) {
				ctl_fail(ctx, TH_EAGAIN, "%s:%u: push: the kernel lost the object; "
					 "retry the push", ctx->host, ctx->port);
				ret = CTL_EXIT_REMOTE;
				break;
			}
			for (uint32_t i = 0; i < p.n; i++) {
				if (p.cs[i].st == CH_ACKED)
					set_state(&p, i, CH_WANT);
				p.cs[i].expired = false;
			}
			p.acked = 0;
			err = query_status(ctx, sha, len, &p, &complete, NULL);
			if (err) {
				ret = ctl_exit_status(ctx, err);
				break;
			}
			continue;
		}
		/* Wait until the earliest retransmission deadline at most. */
		uint64_t now = ctl_mono_us(), deadline = UINT64_MAX;
		for (uint32_t f = 0; f < p.nflight; f++)
			if (p.cs[p.flight[f]].sent_us + (uint64_t)rto->rto < deadline)
				deadline = p.cs[p.flight[f]].sent_us + (uint64_t)rto->rto;
		for (uint32_t k = 0; k < CTL_PUSH_WINDOW_MAX; k++)
			if (p.copy[k].used && p.copy[k].sent_us + (uint64_t)rto->rto < deadline)
				deadline = p.copy[k].sent_us + (uint64_t)rto->rto;
		int wait_ms = deadline <= now ? 0 : (int)((deadline - now + 999) / 1000);
		Theseus__Reply *rep = NULL;
		const struct proto_binding *bound = NULL;
		err = wait_ms ? ctl_tx_recv(ctx, wait_ms, push_match_fn, &p, &rep, &bound)
			      : TH_ETIMEDOUT;
		if (err != TH_OK) {   /* ETIMEDOUT, or EAUTH: now HMAC'd, resent on expiry */
			now = ctl_mono_us();
			uint64_t expiry = (uint64_t)rto->rto;   /* before any back-off below */
			uint32_t expiring = 0;
			for (uint32_t k = 0; k < CTL_PUSH_WINDOW_MAX; k++)
				if (p.copy[k].used && now - p.copy[k].sent_us >= expiry)
					drop_copy(&p, k, true);   /* its chunk's own timer decides */
			for (uint32_t f = 0; f < p.nflight; f++)
				expiring += now - p.cs[p.flight[f]].sent_us >= expiry;
			p.lost += expiring;   /* counted before heavy_loss judges them */
			/* Hold the window while answers show progress, else
			 * halve it (and back off) at most once per RTO, or
			 * collapse it when nothing answers (push_window.c);
			 * the expired chunks join the episode that opens. */
			if (expiring && ctl_pw_lost(&p.w, now, rto->rto, heavy_loss(&p)))
				ctl_rto_backoff(rto);
			uint32_t episode = expiring ? ctl_pw_expired(&p.w, expiring) : 0;
			for (uint32_t f = 0; f < p.nflight;) {
				uint32_t i = p.flight[f];
				if (now - p.cs[i].sent_us < expiry) {
					f++;
					continue;
				}
				leave_flight(&p, i);
				set_state(&p, i, CH_WANT);   /* p.flight[f] is another chunk now */
				p.cs[i].expired = true;
				p.cs[i].episode = episode;
				p.expiries++;
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
		/* The reply answers the chunk in flight it is bound to (or
		 * a copy of it, sent at sent_us). */
		uint64_t sent_us;
		uint32_t i = bound_chunk(&p, bound, &sent_us);
		p.replies++;
		int st = proto_status_from_wire(rep->status);
		if (st == TH_ESTALE && ctx->have_key) {
			/* Epoch changed, or our session was refused (a duplicated
			 * datagram seen as a replay): re-learn / new session, resend;
			 * give up when nothing but refusals comes back. */
			leave_flight(&p, i);
			set_state(&p, i, CH_WANT);
			p.cs[i].expired = false;   /* refused: it must be sent again */
			ctl_tx_stale(ctx, rep, bound);
			if (++stale_refusals >= 16) {
				ctl_report(ctx, "push", st, rep);
				ret = CTL_EXIT_REMOTE;
				theseus__reply__free_unpacked(rep, NULL);
				break;
			}
		} else if (st != TH_OK) {
			ctl_report(ctx, "push", st, rep);
			ret = ctl_exit_status(ctx, st);
			theseus__reply__free_unpacked(rep, NULL);
			break;
		} else {
			stalls = 0;
			last_progress = ctl_mono_us();
			/* Every send is a new datagram (new counter): the answer
			 * names the send it answers (a resend, a copy or not),
			 * so it is a clean sample. */
			ctl_rto_sample(rto, (int64_t)(last_progress - sent_us));
			stale_refusals = 0;
			uint32_t acked_before = p.acked;
			mark_acked(&p, i);
			const Theseus__ChunkAck *ack =
				rep->payload_case == THESEUS__REPLY__PAYLOAD_CHUNK ? rep->chunk : NULL;
			bool gap = false;
			if (ack) {
				/* The bitmap acknowledges the quiet chunks before it,
				 * and shows which of them are missing. */
				gap = ack_bitmap(&p, ack, sent_us);
				complete = ack->complete;
			}
			/* Progress ends the back-off (TCP does so on a new ACK)
			 * and, on a clean link, the extra acknowledgements; a gap
			 * is a loss (push_window.c: held while progress). */
			if (p.acked > acked_before)
				ctl_rto_progress(rto);
			ctl_pw_answer(&p.w, ctl_mono_us(), p.acked > acked_before);
			if (gap) {   /* a real loss: its halving is never undone */
				ctl_pw_lost(&p.w, ctl_mono_us(), rto->rto, heavy_loss(&p));
				ctl_pw_missing(&p.w);
			}
			size_t done = (size_t)p.acked * p.csize;
			progress(ctx, label, done > len ? len : done, len, false);
		}
		theseus__reply__free_unpacked(rep, NULL);
	}
	if (complete)
		progress(ctx, label, len, len, true);
	else if (progress_tty(ctx))
		fputc('\n', progress_tty(ctx));
	if (ctx->trace)
		fprintf(ctx->err, "theseusctl: trace: %s:%u: push %s: %u chunks of %u, %u sent "
			"(%u resent, %u copies), %u replies, %u expired (%u spurious), %u seen missing, "
			"%u decreases (%u undone), %u holds, %u collapses, window %.1f, %.1f ms "
			"(%.1f ms sending), srtt %.1f ms, rto %.1f ms\n", ctx->host,
			ctx->port, label, p.n, p.csize, p.sends, p.resends, p.copies, p.replies,
			p.expiries, p.spurious, p.fast, p.w.decreases, p.w.undos, p.w.holds,
			p.w.collapses, p.w.window, (double)(ctl_mono_us() - t_start) / 1e3,
			(double)(ctl_mono_us() - t_send) / 1e3, (double)rto->srtt / 1e3,
			(double)rto->rto / 1e3);
out:
	free(p.cs);
	free(p.flight);
	free(p.by_ctr);
	return ret;
}

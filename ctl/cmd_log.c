/*
 * cmd_log.c - `theseusctl log [-f] [--from POS] [--interval MS]`: the
 * kernel's log ring from byte position POS (default 0: the oldest byte the
 * ring still holds), fetched a datagram at a time until caught up; with -f
 * it then keeps polling every MS milliseconds (default 500) until stopped
 * (Ctrl-C) or the kernel stops answering.  The client holds the position:
 * the kernel keeps no reader state (each request names where to read).  A
 * position beyond the end of the log is refused (ERANGE): with -f that
 * means the kernel rebooted, and the new log is followed from its start.
 * JSON fields: "text", "start" (position of text[0]), "next" (position to
 * continue from: --from NEXT), "lost" (bytes overwritten before they were
 * read).  With -f, one such object per piece received.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "klibc.h"
#include "ctl.h"

#define USAGE "log [-f] [--from POS] [--interval MS]"

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cmd_log_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	bool follow = false;
	uint64_t pos = 0;
	long interval = 500;
	for (int a = 1; a < argc; a++) {
		char *end;
		if (strcmp(argv[a], "-f") == 0 || strcmp(argv[a], "--follow") == 0) {
			follow = true;
		} else if (strcmp(argv[a], "--from") == 0 && a + 1 < argc) {
			errno = 0;
			pos = strtoull(argv[++a], &end, 10);
			if (errno || end == argv[a] || *end || argv[a][0] == '-') {
				ctl_fail(ctx, TH_EINVAL, "log: --from %s: want a byte position, "
					 "0-18446744073709551615 (0: the oldest byte kept)", argv[a]);
				return CTL_EXIT_USAGE;
			}
		} else if (strcmp(argv[a], "--interval") == 0 && a + 1 < argc) {
			errno = 0;
			interval = strtol(argv[++a], &end, 10);
			if (errno || end == argv[a] || *end || interval < 10 || interval > 60000) {
				ctl_fail(ctx, TH_EINVAL, "log: --interval %s: want milliseconds, "
					 "10-60000", argv[a]);
				return CTL_EXIT_USAGE;
			}
		} else {
			return ctl_usage_fail(ctx, USAGE);
		}
	}
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__LogRequest lq = THESEUS__LOG_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_LOG;
	req.log = &lq;
	char *all = NULL;       /* without -f: the text gathered for JSON */
	size_t all_len = 0;
	uint64_t first = pos, lost = 0;
	bool have_first = false;
	int ret = CTL_EXIT_OK;
	for (;;) {
		Theseus__Reply *rep = NULL;
		lq.position = pos;
		int err = ctl_call(ctx, &req, &rep);
		if (err == TH_ERANGE && follow && rep &&
		    rep->payload_case == THESEUS__REPLY__PAYLOAD_LOG && rep->log->next < pos) {
			/* The log ends before pos: the kernel rebooted since (its
			 * log starts again at 0).  Follow the new one from its start. */
			if (ctl_human(ctx))
				fprintf(ctx->err, "theseusctl: %s:%u: log: the log ends at %llu, "
					"before %llu (the kernel rebooted?): reading it from "
					"the start\n", ctx->host, ctx->port,
					(unsigned long long)rep->log->next, (unsigned long long)pos);
			theseus__reply__free_unpacked(rep, NULL);
			pos = 0;
			continue;
		}
		if (!err && rep->payload_case != THESEUS__REPLY__PAYLOAD_LOG)
			err = TH_EPROTO;
		if (err) {
			ctl_report(ctx, "log", err, rep);
			if (rep)
				theseus__reply__free_unpacked(rep, NULL);
			ret = ctl_exit_status(ctx, err);
			break;
		}
		const Theseus__LogReply *l = rep->log;
		uint64_t gap = l->start > pos ? l->start - pos : 0;
		bool sane = l->next >= l->start && l->next - l->start == l->data.len &&
			    l->start >= pos;
		if (!sane) {
			theseus__reply__free_unpacked(rep, NULL);
			ctl_fail(ctx, TH_EPROTO, "log: inconsistent positions in the kernel's reply");
			ret = CTL_EXIT_REMOTE;
			break;
		}
		if (!have_first) {
			first = l->start;
			have_first = true;
		}
		lost += gap;
		if (gap && ctl_human(ctx) && pos)
			fprintf(ctx->err, "theseusctl: log: %llu bytes were overwritten before "
				"they could be read\n", (unsigned long long)gap);
		if (follow && l->data.len && ctx->json) {
			ctl_json_bytes(&ctx->js, "text", l->data.data, l->data.len);
			ctl_json_u64(&ctx->js, "start", l->start);
			ctl_json_u64(&ctx->js, "next", l->next);
			ctl_json_u64(&ctx->js, "lost", gap);
			ctl_json_emit(ctx, CTL_EXIT_OK);
		} else if (!follow && ctx->json && l->data.len) {
			char *na = realloc(all, all_len + l->data.len);
			if (!na) {
				theseus__reply__free_unpacked(rep, NULL);
				ctl_fail(ctx, TH_ENOMEM, "out of memory");
				ret = CTL_EXIT_LOCAL;
				break;
			}
			all = na;
			memcpy(all + all_len, l->data.data, l->data.len);
			all_len += l->data.len;
		}
		if (ctl_human(ctx) && l->data.len) {
			fwrite(l->data.data, 1, l->data.len, ctx->out);
			fflush(ctx->out);
		}
		bool caught_up = l->data.len == 0;
		pos = l->next;
		theseus__reply__free_unpacked(rep, NULL);
		if (caught_up) {
			if (!follow)
				break;
			sleep_ms((int)interval);
		}
	}
	if (!follow) {
		ctl_json_bytes(&ctx->js, "text", all ? all : "", all_len);
		ctl_json_u64(&ctx->js, "start", first);
		ctl_json_u64(&ctx->js, "next", pos);
		ctl_json_u64(&ctx->js, "lost", lost);
	}
	free(all);
	return ret;
}

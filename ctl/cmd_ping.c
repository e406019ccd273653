/*
 * cmd_ping.c - `theseusctl ping`: one Ping request; prints the round trip.
 */
#include <time.h>

#include "klibc.h"
#include "ctl.h"

int cmd_ping_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	if (argc != 1) {
		fprintf(ctx->err, "usage: theseusctl ping\n");
		return CTL_EXIT_USAGE;
	}
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__Ping ping = THESEUS__PING__INIT;
	Theseus__Reply *rep = NULL;
	req.kind_case = THESEUS__REQUEST__KIND_PING;
	req.ping = &ping;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int err = ctl_call(ctx, &req, &rep);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (err) {
		ctl_report(ctx, "ping", err, rep);
	} else if (!ctx->quiet) {
		double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		fprintf(ctx->out, "pong from %s:%u in %.2f ms\n", ctx->host, ctx->port, ms);
	}
	if (rep)
		theseus__reply__free_unpacked(rep, NULL);
	return ctl_exit_for(err);
}

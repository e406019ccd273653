/*
 * cmd_ping.c - `theseusctl ping`: one Ping request; prints the round trip.
 * JSON fields: "rtt_ms".
 */
#include <time.h>

#include "klibc.h"
#include "ctl.h"

int cmd_ping_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	if (argc != 1)
		return ctl_usage_fail(ctx, "ping");
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__Ping ping = THESEUS__PING__INIT;
	Theseus__Reply *rep = NULL;
	req.kind_case = THESEUS__REQUEST__KIND_PING;
	req.ping = &ping;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int err = ctl_call_expect(ctx, "ping", &req, THESEUS__REPLY__PAYLOAD_PONG, &rep);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (err)
		return ctl_exit_status(ctx, err);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	ctl_json_double(&ctx->js, "rtt_ms", ms);
	if (ctl_human(ctx))
		fprintf(ctx->out, "pong from %s:%u in %.2f ms\n", ctx->host, ctx->port, ms);
	theseus__reply__free_unpacked(rep, NULL);
	return CTL_EXIT_OK;
}

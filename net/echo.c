/*
 * echo.c - the UDP echo service (RFC 862) on port 7: every datagram is sent
 * back unchanged to its sender.  A liveness probe for tests and operators.
 */
#include "net_impl.h"

static uint64_t echo_count;

static void echo_handle(void *ctx, const void *data, size_t len, net_reply_fn reply,
			void *reply_ctx)
{
	(void)ctx;
	echo_count++;
	(void)reply(reply_ctx, data, len);   /* a failed reply is the sender's loss */
}

int net_echo_start(void)
{
	return net_udp_listen(NET_ECHO_PORT, echo_handle, NULL);
}

uint64_t net_echo_count(void)
{
	return echo_count;
}

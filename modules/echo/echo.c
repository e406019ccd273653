/*
 * echo.c - the UDP echo service (RFC 862) on port 7 as the module "echo":
 * every datagram is sent back unchanged to its sender.  A liveness probe
 * for tests and operators.  Stateless: the core binds the port and counts
 * the datagrams (udp_service.h), so a new version takes over between two
 * datagrams.
 */
#include "theseus.h"

static void echo_handle(const void *data, size_t len, th_udp_reply_fn reply, void *reply_ctx)
{
	(void)reply(reply_ctx, data, len);   /* a failed reply is the sender's loss */
}

static const struct th_udp_service echo_service = {
	.abi = TH_UDP_SERVICE_ABI,
	.name = "echo",
	.port = 7,
	.handle = echo_handle,
};

static int echo_init(void)
{
	return th_udp_service_register(&echo_service);
}

static void echo_fini(void)
{
	th_udp_service_unregister(&echo_service);
}

TH_MODULE("echo", "1.0", "UDP echo service (RFC 862) on port 7", .init = echo_init,
	  .fini = echo_fini);

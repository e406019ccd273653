/*
 * echo.c - the UDP echo service (RFC 862) on port 7 as the module "echo":
 * every datagram is sent back unchanged to its sender.  A liveness probe
 * for tests and operators.  Stateless: the core binds the port and counts
 * the datagrams (udp_service.h), so a new version takes over between two
 * datagrams.
 *
 * One source, two versions (ECHO_VARIANT, set by modules/modules.mk): 1 is
 * "echo" 1.0; 2 is echo_v2, version 2.0, which says so in the log when it
 * takes the port (the tests' visible difference for a live service swap).
 */
#include "theseus.h"

#ifndef ECHO_VARIANT
#define ECHO_VARIANT 1
#endif
#if ECHO_VARIANT == 2
#define ECHO_VERSION "2.0"
#else
#define ECHO_VERSION "1.0"
#endif

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
	int err = th_udp_service_register(&echo_service);
	if (err == TH_OK && ECHO_VARIANT == 2)
		log_info("echo", "echo " ECHO_VERSION " serves UDP port 7");
	return err;
}

static void echo_fini(void)
{
	th_udp_service_unregister(&echo_service);
}

TH_MODULE("echo", ECHO_VERSION, "UDP echo service (RFC 862) on port 7", .init = echo_init,
	  .fini = echo_fini);

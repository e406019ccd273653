/*
 * udp_service.h - UDP services as modules (net/udp_modules.c): a module
 * registers a constant table naming a port and a handler from its init
 * hook and takes it back in its fini hook; the core binds the port (once
 * the network is up) and calls the handler, guarded, for every datagram.
 * Modules get it through theseus.h.
 *
 *     static void echo_handle(const void *data, size_t len, th_udp_reply_fn reply,
 *                             void *reply_ctx) { (void)reply(reply_ctx, data, len); }
 *     static const struct th_udp_service echo_service = {
 *             .abi = TH_UDP_SERVICE_ABI, .name = "echo", .port = 7, .handle = echo_handle };
 *     static int e_init(void) { return th_udp_service_register(&echo_service); }
 *     static void e_fini(void) { th_udp_service_unregister(&echo_service); }
 *
 * name must be the module's name.  A live swap of the module runs the new
 * version's init, which registers the new table: the port stays bound and
 * the next datagram goes to the new code (nothing is lost); the old
 * version's fini then unregisters nothing.  A handler that faults is
 * reported and the module recovered (restart, then rollback: modcall.h).
 * Handlers keep no state (state lives in statedb or with the client); the
 * core counts the datagrams each service handled.
 */
#ifndef THESEUS_UDP_SERVICE_H
#define THESEUS_UDP_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TH_UDP_SERVICE_ABI 1

/* Send len bytes (at most 23672: more than 1472 go out as IP fragments)
 * back to the datagram's sender (TH_ETOOBIG if longer); valid only during
 * the handler call. */
typedef int (*th_udp_reply_fn)(void *reply_ctx, const void *data, size_t len);
/* One datagram (contiguous, len may be 0; reassembled from IP fragments
 * up to 23672 bytes). */
typedef void (*th_udp_handler_fn)(const void *data, size_t len, th_udp_reply_fn reply,
				  void *reply_ctx);

#define UDP_MODULES_MAX 8          /* ports served for modules, in all */

struct th_udp_service {
	uint32_t abi;              /* TH_UDP_SERVICE_ABI */
	const char *name;          /* the module's name */
	uint16_t port;
	th_udp_handler_fn handle;
};

/* TH_EINVAL (malformed table, named in the log: a name that is not the
 * registering module's, a handler in another module's code), TH_EEXIST
 * (the port is another module's or the kernel's: nothing is registered),
 * TH_EFULL (UDP_MODULES_MAX ports taken).  A port a module registers
 * belongs to that module's running version: when a swap or an unload
 * leaves it with a table of a version that no longer runs (the new
 * version did not register it again), the port is closed, with a warning,
 * before any datagram reaches the old code. */
int th_udp_service_register(const struct th_udp_service *svc) TH_MUST_CHECK;
void th_udp_service_unregister(const struct th_udp_service *svc);

#endif

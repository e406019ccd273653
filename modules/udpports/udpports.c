/*
 * udpports.c - a test module of UDP services (udp_service.h): "udpports"
 * serves port 9000 ("udpports 1.0" or "2.0" back), and on request
 * (theseusctl invoke udpports up_open_extra) a second port, 9001, that only
 * version 1.0 ever registers; up_try tries what the core must refuse (the
 * kernel's own port 7700, a table named after no module, another module's
 * handler) and reports each result.  tests/qemu/test_udp_services.py swaps
 * 1.0 for 2.0 (UDPPORTS_VARIANT=2, build/modules/udpports_v2.o): port 9001
 * must be closed before any datagram reaches 1.0's code again.  The
 * datagram "pin" to port 9000 pins statedb entry udpports.pin and faults:
 * the handler's fault must put the reference back.
 */
#include "theseus.h"

#ifndef UDPPORTS_VARIANT
#define UDPPORTS_VARIANT 1
#endif
#if UDPPORTS_VARIANT == 2
#define UP_VERSION "2.0"
#else
#define UP_VERSION "1.0"
#endif

/* The datagram "pin": pin statedb entry udpports.pin (statedb_get), then
 * read NULL: the fault must put the reference back. */
__attribute__((noinline)) static void up_pin_and_fault(void)
{
	struct statedb_ref ref;
	void *p;
	if (statedb_open("udpports.pin", 0x75700000u, 1, 16, &ref, NULL) ||
	    statedb_get(ref, 0x75700000u, 1, &p, NULL))
		return;
	(void)*(volatile int *)0;
}

static void up_handle(const void *data, size_t len, th_udp_reply_fn reply, void *reply_ctx)
{
	if (len == 3 && !memcmp(data, "pin", 3))
		up_pin_and_fault();
	static const char msg[] = "udpports " UP_VERSION;
	(void)reply(reply_ctx, msg, sizeof msg - 1);
}

static void up_extra(const void *data, size_t len, th_udp_reply_fn reply, void *reply_ctx)
{
	(void)data;
	(void)len;
	static const char msg[] = "udpports " UP_VERSION " extra";
	(void)reply(reply_ctx, msg, sizeof msg - 1);
}

static const struct th_udp_service up_main = {
	.abi = TH_UDP_SERVICE_ABI, .name = "udpports", .port = 9000, .handle = up_handle };
static const struct th_udp_service up_second = {
	.abi = TH_UDP_SERVICE_ABI, .name = "udpports", .port = 9001, .handle = up_extra };
static const struct th_udp_service up_kernel_port = {
	.abi = TH_UDP_SERVICE_ABI, .name = "udpports", .port = 7700, .handle = up_handle };
static const struct th_udp_service up_not_me = {
	.abi = TH_UDP_SERVICE_ABI, .name = "notme", .port = 9002, .handle = up_handle };

static int reply_text(const char *text, uint8_t *out, size_t out_cap, size_t *out_len)
{
	if (!out || !out_len)
		return TH_EINVAL;
	int n = snprintf((char *)out, out_cap, "%s", text);
	*out_len = n < 0 ? 0 : (size_t)n < out_cap ? (size_t)n : out_cap;
	return TH_OK;
}

int up_open_extra(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
		  size_t *out_len)
{
	(void)in;
	(void)in_len;
	int err = th_udp_service_register(&up_second);
	return err ? err : reply_text("port 9001 open", out, out_cap, out_len);
}
TH_INVOKE(up_open_extra);

int up_try(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	(void)in;
	(void)in_len;
	char text[128];
	snprintf(text, sizeof text, "7700=%s notme=%s",
		 th_err_name(th_udp_service_register(&up_kernel_port)),
		 th_err_name(th_udp_service_register(&up_not_me)));
	return reply_text(text, out, out_cap, out_len);
}
TH_INVOKE(up_try);

static int up_init(void)
{
	return th_udp_service_register(&up_main);
}

static void up_fini(void)
{
	th_udp_service_unregister(&up_main);
}

TH_MODULE("udpports", UP_VERSION, "test: UDP service ports across versions", .init = up_init,
	  .fini = up_fini);

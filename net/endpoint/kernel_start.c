/*
 * kernel_start.c - the swap endpoint in the kernel (endpoint_kernel.h):
 * key=, port= and staging= from the command line, the endpoint core created with the
 * kernel's ops (kernel_queries.c, kernel_actions.c), and the UDP listener
 * that feeds it datagrams and sends its replies.
 */
#include "endpoint_kernel.h"

#include "cmdline.h"
#include "kernel_impl.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "net.h"

static struct {
	struct endpoint *ep;
	uint64_t (*random_u64)(void);
	uint8_t reply[NET_UDP_PAYLOAD_MAX];
} kep;

static uint64_t op_now_ms(void *ctx) { return time_ms(); }
static uint64_t op_random_u64(void *ctx) { return kep.random_u64(); }

static void on_datagram(void *ctx, const void *data, size_t len, net_reply_fn reply, void *reply_ctx)
{
	size_t out_len = 0;
	if (endpoint_handle(kep.ep, data, len, kep.reply, sizeof kep.reply, &out_len) == TH_OK &&
	    out_len && reply(reply_ctx, kep.reply, out_len))
		log_debug("control", "reply of %zu bytes not sent", out_len);
	if (endpoint_last_authenticated(kep.ep))
		net_driver_authenticated_request();   /* proof for the dead man's switch */
}

static bool on_idle(void *ctx)
{
	return kep.ep && endpoint_background(kep.ep);
}

/* "16M", "512K", "1G" or bytes: TH_OK and *out, else TH_EINVAL / TH_ERANGE. */
static int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return TH_EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return TH_ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	unsigned shift = 0;
	if (*p == 'K' || *p == 'k')
		shift = 10;
	else if (*p == 'M' || *p == 'm')
		shift = 20;
	else if (*p == 'G' || *p == 'g')
		shift = 30;
	if (shift)
		p++;
	if (*p)
		return TH_EINVAL;
	if (v > (UINT64_MAX >> shift))
		return TH_ERANGE;
	*out = v << shift;
	return TH_OK;
}

void endpoint_kernel_start(const struct boot_info *boot, uint64_t (*random_u64)(void))
{
	kep.random_u64 = random_u64;
	struct th_errbuf eb = { "" };
	uint64_t port;
	if (cmdline_get_uint(boot->cmdline, "port", PROTO_DEFAULT_PORT, 1, 65535, &port)) {
		log_error("control", "port= must be 1..65535; using %d", PROTO_DEFAULT_PORT);
		port = PROTO_DEFAULT_PORT;
	}
	uint8_t key[PROTO_KEY_LEN];
	char hex[80];
	bool have_key = false;
	int err = cmdline_get(boot->cmdline, "key", hex, sizeof hex);
	if (err == TH_OK) {
		if (proto_key_parse(hex, key, &eb))
			log_error("control", "key=: %s: endpoint is read-only", eb.msg);
		else
			have_key = true;
	} else if (err != TH_ENOENT) {
		log_error("control", "key= must be 64 hex digits: endpoint is read-only");
	}
	memset(hex, 0, sizeof hex);
	struct endpoint_config cfg = { .key = have_key ? key : NULL };
	char sz[24];
	err = cmdline_get(boot->cmdline, "staging", sz, sizeof sz);
	if (err == TH_OK) {
		uint64_t bytes = 0;
		if (parse_size(sz, &bytes) || bytes < ENDPOINT_MIN_STAGING_BYTES ||
		    bytes > ENDPOINT_MAX_STAGING_BYTES)
			log_error("control", "staging=%s: must be a size from 64K to 1G (e.g. 16M); "
				  "using %uM", sz, ENDPOINT_DEFAULT_STAGING_BYTES >> 20);
		else
			cfg.staging_max_bytes = bytes;
	} else if (err != TH_ENOENT) {
		log_error("control", "%s; using %uM", err == TH_ETOOBIG ? "staging= is too long" :
			  "staging needs a size (staging=16M)", ENDPOINT_DEFAULT_STAGING_BYTES >> 20);
	}
	struct endpoint_ops ops = { .now_ms = op_now_ms, .random_u64 = op_random_u64 };
	kernel_fill_query_ops(&ops);   /* info, modules, history, state, log, graph, tasks */
	kernel_fill_action_ops(&ops);  /* swap, rollback, invoke */
	kernel_fill_profile_ops(&ops); /* profile */
	err = endpoint_create(&cfg, &ops, &kep.ep, &eb);
	memset(key, 0, sizeof key);
	if (err) {
		log_error("control", "cannot create the endpoint: %s", eb.msg);
		return;
	}
	kernel_set_port((uint16_t)port);
	struct net_status ns;
	net_status(&ns);
	if (!ns.present) {
		log_warn("control", "no network: the swap endpoint (UDP port %u) is not listening",
			 (unsigned)port);
		endpoint_destroy(kep.ep);
		kep.ep = NULL;
		return;
	}
	err = net_udp_listen((uint16_t)port, on_datagram, NULL);
	if (err == TH_EEXIST && port != PROTO_DEFAULT_PORT) {
		/* port= named one a UDP service holds (the echo module's 7): the
		 * machine must stay reachable, so the default port it is */
		log_error("control", "port=%u: UDP port %u is in use by another service; using %d",
			  (unsigned)port, (unsigned)port, PROTO_DEFAULT_PORT);
		port = PROTO_DEFAULT_PORT;
		kernel_set_port((uint16_t)port);
		err = net_udp_listen((uint16_t)port, on_datagram, NULL);
	}
	if (err) {
		log_error("control", "cannot listen on UDP port %u: %s", (unsigned)port,
			  th_strerror(err));
		endpoint_destroy(kep.ep);
		kep.ep = NULL;
		return;
	}
	kernel_hasher_start(kep.ep, boot->cmdline);  /* several CPUs: hash on another */
	net_set_idle(on_idle, NULL);   /* else hash pushed chunks between datagrams */
	uint64_t staging = cfg.staging_max_bytes ? cfg.staging_max_bytes
						 : ENDPOINT_DEFAULT_STAGING_BYTES;
	if (have_key && staging > kernel_free_bytes())
		log_warn("control", "staging %llu MiB is more than the %llu MiB of memory free: "
			 "when memory runs short a push evicts staged objects nobody uses, and "
			 "gets ENOMEM when none is left", (unsigned long long)(staging >> 20),
			 (unsigned long long)(kernel_free_bytes() >> 20));
	if (have_key)
		log_info("control", "swap endpoint on UDP port %u (authenticated), epoch %016llx, "
			 "staging %llu KiB", (unsigned)port, (unsigned long long)endpoint_epoch(kep.ep),
			 (unsigned long long)(staging >> 10));
	else
		log_warn("control", "swap endpoint on UDP port %u: no key configured, read-only "
			 "(ping, info, ls); give key=<64 hex digits> to allow push and swap",
			 (unsigned)port);
}

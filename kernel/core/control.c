/*
 * control.c - the swap endpoint in the kernel (see control.h): parses the
 * key and port, creates the endpoint core, listens on UDP, and answers the
 * core's questions (modules, versions, object hashes) and requests (swap)
 * through the loader and the swap engine, which alone records which object
 * each module runs.
 */
#include "control.h"

#include "cmdline.h"
#include "endpoint.h"
#include "frame.h"
#include "klibc.h"
#include "ktime.h"
#include "loader.h"
#include "log.h"
#include "module_abi.h"
#include "net.h"
#include "swap.h"
#include "version.h"

static struct {
	struct endpoint *ep;
	uint16_t port;
	uint8_t reply[NET_UDP_PAYLOAD_MAX];
} ctl;

/* ---- endpoint_ops --------------------------------------------------------------- */

static uint64_t op_now_ms(void *ctx) { return time_ms(); }

static int op_info(void *ctx, struct endpoint_info *out)
{
	struct net_status ns;
	char ip[20] = "0.0.0.0";
	net_status(&ns);
	if (ns.addr_ok)
		net_ip_format(ns.ip, ip, sizeof ip);
	snprintf(out->kernel_version, sizeof out->kernel_version, "Theseus-C %s", THESEUS_VERSION);
	out->uptime_ms = time_ms();
	snprintf(out->address, sizeof out->address, "%s:%u", ip, ctl.port);
	out->mem_total = (uint64_t)frame_total_count() * FRAME_SIZE;
	out->mem_used = (uint64_t)(frame_total_count() - frame_free_count()) * FRAME_SIZE;
	return TH_OK;
}

static void describe(const struct module *m, struct endpoint_module *out)
{
	struct loader_module_desc d;
	loader_module_describe(m, &d);
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", d.name);
	snprintf(out->version, sizeof out->version, "%s", d.version);
	struct swap_module_record rec;  /* the engine knows what every module runs */
	if (swap_describe(d.name, &rec) == TH_OK)
		memcpy(out->sha256, rec.sha256, sizeof out->sha256);
	out->size = d.size;
	out->load_address = d.base;
	struct module *deps[ENDPOINT_MAX_DEPS];
	size_t n = loader_module_deps(m, deps, ENDPOINT_MAX_DEPS);
	if (n > ENDPOINT_MAX_DEPS)
		n = ENDPOINT_MAX_DEPS;
	for (size_t i = 0; i < n; i++) {
		struct loader_module_desc dd;
		loader_module_describe(deps[i], &dd);
		snprintf(out->deps[i], sizeof out->deps[i], "%s", dd.name);
	}
	out->n_deps = (uint32_t)n;
}

static uint32_t op_module_count(void *ctx) { return (uint32_t)loader_module_count(); }

static int op_module_get(void *ctx, uint32_t index, struct endpoint_module *out)
{
	const struct module *m = loader_module_at(index);
	if (!m)
		return TH_ENOENT;
	describe(m, out);
	return TH_OK;
}

static int op_module_find(void *ctx, const char *name, struct endpoint_module *out)
{
	const struct module *m = loader_find(name);
	if (!m)
		return TH_ENOENT;
	describe(m, out);
	return TH_OK;
}

/* Loads (expected version "") and swaps alike are transactions of the swap
 * engine; the staging area has verified each object's SHA-256, which the
 * engine takes as the object's name without hashing it again. */
static int op_swap(void *ctx, const struct endpoint_swap_item *items, size_t n,
		   struct endpoint_swap_report *report, struct th_errbuf *eb)
{
	if (!n || n > ENDPOINT_MAX_SWAP_ITEMS || n > SWAP_MAX_ITEMS)
		return th_errf(eb, TH_EINVAL, "a swap names 1..%d modules", SWAP_MAX_ITEMS);
	struct swap_request req[SWAP_MAX_ITEMS] = { { 0 } };
	for (size_t i = 0; i < n; i++)
		req[i] = (struct swap_request){ items[i].module, items[i].object, items[i].size,
						items[i].expected_version, items[i].sha256, NULL };
	struct swap_result res;
	int err = swap_modules(req, n, &res, eb);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		const struct module *m = loader_find(items[i].module);
		snprintf(report->new_version[i], sizeof report->new_version[i], "%s",
			 m ? loader_module_info(m)->version : "?");
	}
	report->n_stages = SWAP_NSTAGES < ENDPOINT_MAX_STAGES ? SWAP_NSTAGES : ENDPOINT_MAX_STAGES;
	for (uint32_t s = 0; s < report->n_stages; s++) {
		snprintf(report->stages[s].stage, sizeof report->stages[s].stage, "%s",
			 swap_stage_name((enum swap_stage)s));
		report->stages[s].ns = res.stage_ns[s];
	}
	return TH_OK;
}

/* ---- UDP ---------------------------------------------------------------------- */

static void on_datagram(void *ctx, const void *data, size_t len, net_reply_fn reply, void *reply_ctx)
{
	size_t out_len = 0;
	if (endpoint_handle(ctl.ep, data, len, ctl.reply, sizeof ctl.reply, &out_len) == TH_OK &&
	    out_len && reply(reply_ctx, ctl.reply, out_len))
		log_debug("control", "reply of %zu bytes not sent", out_len);
}

int control_parse_key(const char *hex, uint8_t key[32], struct th_errbuf *eb)
{
	size_t n = strlen(hex);
	if (n != 64)
		return th_errf(eb, TH_EINVAL, "key= must be 64 hex digits (got %zu characters)", n);
	for (size_t i = 0; i < 64; i++) {
		char c = hex[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0)
			return th_errf(eb, TH_EINVAL, "key= has a non-hex character at position %zu", i + 1);
		if (i % 2 == 0)
			key[i / 2] = (uint8_t)(v << 4);
		else
			key[i / 2] |= (uint8_t)v;
	}
	return TH_OK;
}

void control_init(const struct boot_info *boot)
{
	struct th_errbuf eb = { "" };
	uint64_t port;
	if (cmdline_get_uint(boot->cmdline, "port", ENDPOINT_DEFAULT_PORT, 1, 65535, &port)) {
		log_error("control", "port= must be 1..65535; using %d", ENDPOINT_DEFAULT_PORT);
		port = ENDPOINT_DEFAULT_PORT;
	}
	ctl.port = (uint16_t)port;
	uint8_t key[ENDPOINT_KEY_LEN];
	char hex[80];
	bool have_key = false;
	int err = cmdline_get(boot->cmdline, "key", hex, sizeof hex);
	if (err == TH_OK) {
		if (control_parse_key(hex, key, &eb))
			log_error("control", "%s: endpoint is read-only", eb.msg);
		else
			have_key = true;
	} else if (err != TH_ENOENT) {
		log_error("control", "key= must be 64 hex digits: endpoint is read-only");
	}
	memset(hex, 0, sizeof hex);
	struct endpoint_config cfg = { .key = have_key ? key : NULL };
	struct endpoint_ops ops = {
		.now_ms = op_now_ms,
		.info = op_info,
		.module_count = op_module_count,
		.module_get = op_module_get,
		.module_find = op_module_find,
		.swap = op_swap,
	};
	control_inspect_fill_ops(&ops);  /* rollback, history, state, log, invoke, ... */
	err = endpoint_create(&cfg, &ops, &ctl.ep, &eb);
	memset(key, 0, sizeof key);
	if (err) {
		log_error("control", "cannot create the endpoint: %s", eb.msg);
		return;
	}
	err = net_udp_listen(ctl.port, on_datagram, NULL);
	if (err) {
		log_error("control", "cannot listen on UDP port %u: %s", ctl.port, th_strerror(err));
		endpoint_destroy(ctl.ep);
		ctl.ep = NULL;
		return;
	}
	if (have_key)
		log_info("control", "swap endpoint on UDP port %u (authenticated)", ctl.port);
	else
		log_warn("control", "swap endpoint on UDP port %u: no key configured, read-only "
			 "(ping, info, ls); give key=<64 hex digits> to allow push and swap", ctl.port);
}

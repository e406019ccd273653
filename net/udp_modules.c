/*
 * udp_modules.c - UDP services that are modules (udp_service.h), such as
 * the echo service (modules/echo): the registered tables, the ports bound
 * for them through net_udp.c (once lwIP runs: net_udp_modules_start), and
 * the guarded call into a handler for each datagram.  The binding belongs
 * to the core, so a new version of a service takes over its port between
 * two datagrams.
 */
#include "guard.h"
#include "klibc.h"
#include "log.h"
#include "modcall.h"
#include "net_impl.h"
#include "udp_service.h"

#define UDP_MODULES_MAX 4

struct slot {
	const struct th_udp_service *svc;  /* the current table; NULL = free */
	char name[32];
	uint16_t port;
	bool bound;
	uint64_t datagrams;
};

static struct slot slots[UDP_MODULES_MAX];
static bool started;   /* lwIP runs: ports can be bound */

struct call {
	const struct th_udp_service *svc;
	const void *data;
	size_t len;
	net_reply_fn reply;
	void *reply_ctx;
};

static int run(void *ctx)
{
	struct call *c = ctx;
	c->svc->handle(c->data, c->len, c->reply, c->reply_ctx);
	return TH_OK;
}

static void on_datagram(void *ctx, const void *data, size_t len, net_reply_fn reply,
			void *reply_ctx)
{
	struct slot *s = ctx;
	if (!s->svc || !strcmp(modcall_state(s->name), "quarantined"))
		return;   /* unloaded or quarantined: the datagram is dropped */
	s->datagrams++;
	struct call c = { s->svc, data, len, reply, reply_ctx };
	struct guard g;
	if (guard_call(&g, "udp service", GUARD_BUDGET_HOOK, run, &c) == TH_OK || !g.tripped)
		return;
	struct th_errbuf eb = { "" };
	char name[sizeof s->name];
	snprintf(name, sizeof name, "%s", s->name);
	(void)modcall_fault_report(name, "udp service", &g, &eb);
	modcall_fault_recover(name, &eb);   /* no module code is on the stack now */
	log_warn("net", "udp service %s (port %u): %s", name, s->port, eb.msg);
}

static void bind_slot(struct slot *s)
{
	if (!started || s->bound)
		return;
	int err = net_udp_listen(s->port, on_datagram, s);
	if (err)
		log_error("net", "udp service %s: port %u: %s", s->name, s->port, th_err_name(err));
	else
		s->bound = true;
}

int th_udp_service_register(const struct th_udp_service *svc)
{
	if (!svc || svc->abi != TH_UDP_SERVICE_ABI || !svc->name || !svc->name[0] ||
	    strlen(svc->name) >= sizeof slots[0].name || !svc->port || !svc->handle) {
		log_error("net", "udp service table rejected: abi %u (want %u), name, port and "
			  "handle are required", svc ? svc->abi : 0, TH_UDP_SERVICE_ABI);
		return TH_EINVAL;
	}
	struct slot *free_slot = NULL;
	for (size_t i = 0; i < UDP_MODULES_MAX; i++) {
		struct slot *s = &slots[i];
		if (s->name[0] && s->port == svc->port) {
			if (strcmp(s->name, svc->name)) {
				log_error("net", "udp service %s: port %u belongs to module %s",
					  svc->name, svc->port, s->name);
				return TH_EEXIST;
			}
			s->svc = svc;   /* a new version: the next datagram goes to it */
			bind_slot(s);
			return TH_OK;
		}
		if (!s->name[0] && !free_slot)
			free_slot = s;
	}
	if (!free_slot)
		return TH_EFULL;
	*free_slot = (struct slot){ .svc = svc, .port = svc->port };
	snprintf(free_slot->name, sizeof free_slot->name, "%s", svc->name);
	bind_slot(free_slot);
	return TH_OK;
}

void th_udp_service_unregister(const struct th_udp_service *svc)
{
	for (size_t i = 0; i < UDP_MODULES_MAX; i++) {
		struct slot *s = &slots[i];
		if (!svc || s->svc != svc)
			continue;
		if (s->bound && net_udp_unlisten(s->port))
			log_warn("net", "udp service %s: port %u was not bound", s->name, s->port);
		*s = (struct slot){ 0 };
	}
}

void net_udp_modules_start(void)
{
	started = true;
	for (size_t i = 0; i < UDP_MODULES_MAX; i++)
		if (slots[i].svc)
			bind_slot(&slots[i]);
}

uint64_t net_udp_module_datagrams(uint16_t port)
{
	for (size_t i = 0; i < UDP_MODULES_MAX; i++)
		if (slots[i].name[0] && slots[i].port == port)
			return slots[i].datagrams;
	return 0;
}

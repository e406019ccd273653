/*
 * udp_modules.c - UDP services that are modules (udp_service.h), such as
 * the echo service (modules/echo): the registered tables, the ports bound
 * for them through net_udp.c (once lwIP runs: net_udp_modules_start), and
 * the guarded call into a handler for each datagram (modcall_guarded: a
 * fault puts back the statedb references it held).  The binding belongs
 * to the core, so a new version of a service takes over its port between
 * two datagrams.
 *
 * A table must be the registering module's own (its name, its handler in
 * that module's code).  After every change of which modules run (a swap
 * subscriber), a port whose table is not in the module now running under
 * that name (a version that was swapped out or unloaded without taking it
 * back, e.g. a port its new version does not register again) stops being
 * served at once, and the main loop closes it with a warning: no datagram
 * ever reaches the code of a version that no longer runs.
 */
#include "guard.h"
#include "klibc.h"
#include "loader.h"
#include "log.h"
#include "modcall.h"
#include "net_impl.h"
#include "swap.h"
#include "udp_service.h"

struct slot {
	const struct th_udp_service *svc;  /* the current table; NULL = not served */
	th_udp_handler_fn handle;          /* its handler (read without the table) */
	char name[32];
	uint16_t port;
	bool bound;
	bool stale;                        /* its module version is gone: close it */
	uint64_t datagrams;
};

static struct slot slots[UDP_MODULES_MAX];
static bool started;   /* lwIP runs: ports can be bound */
static void follow_swaps(void *ctx);
static struct swap_subscriber follower = { .fn = follow_swaps };
static void follow_swaps(void *ctx);

struct call {
	th_udp_handler_fn handle;
	const void *data;
	size_t len;
	net_reply_fn reply;
	void *reply_ctx;
};

static int run(void *ctx)
{
	struct call *c = ctx;
	c->handle(c->data, c->len, c->reply, c->reply_ctx);
	return TH_OK;
}

static void on_datagram(void *ctx, const void *data, size_t len, net_reply_fn reply,
			void *reply_ctx)
{
	struct slot *s = ctx;
	if (!s->svc || !strcmp(modcall_state(s->name), "quarantined"))
		return;   /* unloaded, stale or quarantined: the datagram is dropped */
	s->datagrams++;
	struct call c = { s->handle, data, len, reply, reply_ctx };
	struct guard g;
	if (modcall_guarded(s->name, &g, "udp service", run, &c) == TH_OK || !g.tripped)
		return;
	struct th_errbuf eb = { "" };
	char name[sizeof s->name];
	snprintf(name, sizeof name, "%s", s->name);
	(void)modcall_fault_report(name, "udp service", &g, &eb);
	modcall_fault_recover(name, &eb);   /* no module code is on the stack now */
	log_warn("net", "udp service %s (port %u): %s", name, s->port, eb.msg);
}

/* Binds s's port once lwIP runs; the error, logged, if it cannot be. */
static int bind_slot(struct slot *s)
{
	if (!started || s->bound)
		return TH_OK;
	int err = net_udp_listen(s->port, on_datagram, s);
	if (err)
		log_error("net", "udp service %s: port %u: %s", s->name, s->port, th_err_name(err));
	else
		s->bound = true;
	return err;
}

/* What is wrong with a table, NULL if nothing. */
static const char *table_problem(const struct th_udp_service *svc)
{
	if (!svc)
		return "no table";
	if (svc->abi != TH_UDP_SERVICE_ABI)
		return "abi is not TH_UDP_SERVICE_ABI";
	if (!svc->name || !svc->name[0] || strlen(svc->name) >= sizeof slots[0].name)
		return "name must be the module's name (1-31 characters)";
	if (!svc->port)
		return "port 0";
	if (!svc->handle)
		return "no handle function";
	if (!loader_find(svc->name))
		return "no module has that name (it must be the registering module's own)";
	/* A listed module's code holds the handler: it must be that module
	 * (a version being swapped in is not listed yet: checked at commit). */
	struct module *owner = loader_module_of_addr((uintptr_t)svc->handle);
	if (owner && strcmp(loader_module_name(owner), svc->name))
		return "the handler is another module's code";
	return NULL;
}

int th_udp_service_register(const struct th_udp_service *svc)
{
	const char *why = table_problem(svc);
	if (why) {
		log_error("net", "udp service table %s (port %u) rejected: %s",
			  svc && svc->name ? svc->name : "?", svc ? svc->port : 0, why);
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
			s->handle = svc->handle;
			s->stale = false;
			return bind_slot(s);
		}
		if (!s->name[0] && !free_slot)
			free_slot = s;
	}
	if (!free_slot) {
		log_error("net", "udp service %s: port %u: all %d service ports are taken", svc->name,
			  svc->port, UDP_MODULES_MAX);
		return TH_EFULL;
	}
	*free_slot = (struct slot){ .svc = svc, .handle = svc->handle, .port = svc->port };
	snprintf(free_slot->name, sizeof free_slot->name, "%s", svc->name);
	int err = bind_slot(free_slot);
	if (err)
		*free_slot = (struct slot){ 0 };   /* the port is the kernel's or taken: not ours */
	return err;
}

/* After every change of which modules run (interrupts off, nothing freed
 * yet): a table that is not in the module now running under its name
 * stops being served; net_udp_modules_sweep closes its port. */
static void follow_swaps(void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < UDP_MODULES_MAX; i++) {
		struct slot *s = &slots[i];
		if (!s->svc)
			continue;
		struct module *m = loader_find(s->name);
		if (m && loader_module_contains(m, (uintptr_t)s->svc) &&
		    loader_module_contains(m, (uintptr_t)s->handle))
			continue;
		s->svc = NULL;
		s->handle = NULL;
		s->stale = true;
	}
}

void net_udp_modules_sweep(void)
{
	for (size_t i = 0; i < UDP_MODULES_MAX; i++) {
		struct slot *s = &slots[i];
		if (!s->stale)
			continue;
		log_warn("net", "udp service %s: port %u closed: its table belongs to a version of %s "
			 "that no longer runs (the running one did not register the port again)",
			 s->name, s->port, s->name);
		if (s->bound && net_udp_unlisten(s->port))
			log_warn("net", "udp service %s: port %u was not bound", s->name, s->port);
		*s = (struct slot){ 0 };
	}
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
	if (swap_subscribe(&follower) != TH_OK)
		log_warn("net", "udp services: cannot follow swaps");
	for (size_t i = 0; i < UDP_MODULES_MAX; i++)
		if (slots[i].svc && bind_slot(&slots[i]))
			slots[i] = (struct slot){ 0 };   /* logged; the port is not the module's */
}


uint64_t net_udp_module_datagrams(uint16_t port)
{
	for (size_t i = 0; i < UDP_MODULES_MAX; i++)
		if (slots[i].name[0] && slots[i].port == port)
			return slots[i].datagrams;
	return 0;
}

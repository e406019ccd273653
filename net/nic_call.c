/*
 * nic_call.c - every call from the NIC core into a driver module, guarded
 * (guard.h): a fault or a hang in driver code is contained, reported naming
 * the driver (log, swap history kind "fault"), and the NIC is marked
 * faulted; nic_core.c recovers the module from the main loop (restart, then
 * rollback: modcall.h), never from inside lwIP or an interrupt handler.
 * Budget: the hook budget (watchdog=, 1 s) for every op: it catches hangs;
 * a TCG guest on a loaded host can take milliseconds for one poll.
 */
#include "guard.h"
#include "klibc.h"
#include "log.h"
#include "modcall.h"
#include "net_impl.h"

enum op { OP_ATTACH, OP_RESUME, OP_IRQ, OP_TX, OP_POLL, OP_LINK };

struct call {
	struct nic *n;
	const struct th_nic_driver *d;
	enum op op;
	const void *frame;
	size_t len;
	int budget;
	unsigned bits;
	bool up;
};

static int run(void *ctx)
{
	struct call *c = ctx;
	struct th_nic *pub = &c->n->pub;
	switch (c->op) {
	case OP_ATTACH:
		return c->d->attach(pub);
	case OP_RESUME:
		return c->d->resume(pub);
	case OP_IRQ:
		c->bits = c->d->irq(pub);
		return TH_OK;
	case OP_TX:
		return c->d->tx(pub, c->frame, c->len);
	case OP_POLL:
		return c->d->poll(pub, c->budget);
	case OP_LINK:
		c->up = c->d->link_up(pub);
		return TH_OK;
	}
	return TH_EINVAL;
}

static const char *const op_names[] = { "attach", "resume", "irq", "tx", "poll", "link_up" };

/* attach, resume and tx return TH_OK or a (negative) error code: any other
 * value is the driver's bug, named once per op and driver version (a tx
 * that always does it would flood the log) and taken as TH_EIO. */
static int not_a_result(struct call *c, int r)
{
	unsigned bit = 1u << c->op;
	if (!(c->n->bad_result_ops & bit)) {
		c->n->bad_result_ops |= bit;
		log_error("net", "driver %s %s: %s returned %d, not TH_OK or an error code; taken as "
			  "EIO", c->n->module, c->n->version, op_names[c->op], r);
	}
	return TH_EIO;
}

static int call(struct call *c)
{
	struct guard g;
	int r = modcall_guarded(c->n->module, &g, "nic driver", run, c);
	if (!g.tripped)
		return r > 0 && c->op != OP_POLL ? not_a_result(c, r) : r;
	struct th_errbuf eb = { "" };
	(void)modcall_fault_report(c->n->module, op_names[c->op], &g, &eb);
	snprintf(c->n->fault_msg, sizeof c->n->fault_msg, "%s", eb.msg);
	log_error("net", "driver %s %s faulted in %s: %s; recovering it", c->n->module,
		  c->n->version, op_names[c->op], eb.msg);
	c->n->faulted = true;
	return r;
}

int nic_call_attach(struct nic *n, const struct th_nic_driver *d)
{
	struct call c = { .n = n, .d = d, .op = OP_ATTACH };
	return call(&c);
}

int nic_call_resume(struct nic *n, const struct th_nic_driver *d)
{
	struct call c = { .n = n, .d = d, .op = OP_RESUME };
	return call(&c);
}

unsigned nic_call_irq(struct nic *n, const struct th_nic_driver *d)
{
	struct call c = { .n = n, .d = d, .op = OP_IRQ };
	return call(&c) ? TH_NIC_IRQ_WORK : c.bits;
}

int nic_call_tx(struct nic *n, const struct th_nic_driver *d, const void *frame, size_t len)
{
	struct call c = { .n = n, .d = d, .op = OP_TX, .frame = frame, .len = len };
	return call(&c);
}

int nic_call_poll(struct nic *n, const struct th_nic_driver *d, int budget)
{
	struct call c = { .n = n, .d = d, .op = OP_POLL, .budget = budget };
	return call(&c);
}

bool nic_call_link_up(struct nic *n, const struct th_nic_driver *d)
{
	struct call c = { .n = n, .d = d, .op = OP_LINK };
	return call(&c) ? false : c.up;
}

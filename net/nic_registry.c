/*
 * nic_registry.c - the driver tables NIC driver modules register
 * (th_nic_driver_register / _unregister, nic_driver.h), and which of them
 * the bound NIC calls.
 *
 * A table must be the registering module's own: its name is a loaded
 * module's, and its ops are not another listed module's code (else EINVAL,
 * named in the log); a module registers one table.  A table is kept only
 * while the module running under its name holds it: after every change of
 * which modules run (a swap subscriber: a swap committed or reverted, a
 * load, an unload) a table of a version that no longer runs (swapped out,
 * unloaded without unregistering, a new version whose swap was reverted, or
 * another module's table under that name) is dropped before any call can
 * reach its code.  The bound NIC follows the table of the module running
 * under its driver's name: a new version's table makes the core resume (or
 * re-attach) the device with it at the next poll or transmit, under the
 * dead man's switch (nic_watch.c); no table leaves the NIC idle.
 */
#include "klibc.h"
#include "loader.h"
#include "log.h"
#include "net_impl.h"
#include "nic_match.h"
#include "swap.h"

struct reg {
	const struct th_nic_driver *d;   /* NULL: a free slot */
	char name[32];                   /* a copy: d may be freed by the time it is dropped */
};

static struct reg regs[NIC_DRIVERS_MAX];
static void follow_swaps(void *ctx);
static struct swap_subscriber follower = { .fn = follow_swaps };
static bool following;

static bool in_running_module(const char *name, const void *p)
{
	struct module *m = loader_find(name);
	return m && loader_module_contains(m, (uintptr_t)p);
}

/* Drop the tables no running module holds; nothing of them is read. */
static void drop_stale(void)
{
	for (size_t i = 0; i < NIC_DRIVERS_MAX; i++) {
		struct reg *r = &regs[i];
		if (!r->d || in_running_module(r->name, r->d))
			continue;
		log_info("net", "driver table %s dropped: no running version of module %s holds it "
			 "(unloaded or swapped out without unregistering it first, or a swap undone)",
			 r->name, r->name);
		*r = (struct reg){ 0 };
	}
}

/* What is wrong with a table, NULL if nothing. */
static const char *table_problem(const struct th_nic_driver *d)
{
	if (!d)
		return "no table";
	if (d->abi != TH_NIC_ABI)
		return "abi is not TH_NIC_ABI";
	if (!d->name || !d->name[0] || strlen(d->name) >= sizeof regs[0].name)
		return "name must be the module's name (1-31 characters)";
	if (!d->ids || !d->attach || !d->tx || !d->poll || !d->link_up)
		return "ids, attach, tx, poll and link_up are required";
	if (!loader_find(d->name))
		return "no module has that name (it must be the registering module's own)";
	/* A listed module's code holds the ops: it must be that module (a
	 * version being swapped in is not listed yet: checked at commit). */
	const void *ops[] = { (const void *)d->attach, (const void *)d->tx, (const void *)d->poll,
			      (const void *)d->link_up, (const void *)d->resume, (const void *)d->irq };
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		struct module *owner = ops[i] ? loader_module_of_addr((uintptr_t)ops[i]) : NULL;
		if (owner && strcmp(loader_module_name(owner), d->name))
			return "its ops are another module's code";
	}
	return NULL;
}

int th_nic_driver_register(const struct th_nic_driver *d)
{
	const char *why = table_problem(d);
	if (why) {
		log_error("net", "driver table %s rejected: %s", d && d->name ? d->name : "?", why);
		return TH_EINVAL;
	}
	/* No tables are dropped here: inside a swap the namespace is not final
	 * (the new version is listed while its init runs; a revert puts the old
	 * one back), so the old version's table stays until the subscriber. */
	struct reg *free_slot = NULL;
	for (size_t i = 0; i < NIC_DRIVERS_MAX; i++) {
		struct reg *r = &regs[i];
		if (r->d == d)
			return TH_OK;   /* registered already */
		if (r->d && !strcmp(r->name, d->name) && in_running_module(d->name, d) &&
		    in_running_module(r->name, r->d)) {
			log_error("net", "driver table %s rejected: module %s registered one already",
				  d->name, d->name);
			return TH_EEXIST;
		}
		if (!r->d && !free_slot)
			free_slot = r;
	}
	if (!free_slot) {
		log_error("net", "driver %s: %d driver tables registered already", d->name,
			  NIC_DRIVERS_MAX);
		return TH_EFULL;
	}
	free_slot->d = d;
	snprintf(free_slot->name, sizeof free_slot->name, "%s", d->name);
	return TH_OK;
}

void th_nic_driver_unregister(const struct th_nic_driver *d)
{
	for (size_t i = 0; i < NIC_DRIVERS_MAX; i++)
		if (d && regs[i].d == d)
			regs[i] = (struct reg){ 0 };
	nic_core_follow(nic_core());
}

const struct th_nic_driver *nic_registry_at(size_t i)
{
	if (i == 0)
		drop_stale();
	return i < NIC_DRIVERS_MAX ? regs[i].d : NULL;
}

const struct th_nic_driver *nic_registry_find(const char *name)
{
	for (size_t i = 0; i < NIC_DRIVERS_MAX; i++)
		if (regs[i].d && !strcmp(regs[i].name, name) && in_running_module(name, regs[i].d))
			return regs[i].d;
	return NULL;
}

const struct th_nic_driver *nic_registry_match(uint16_t vendor, uint16_t device,
					       const struct th_nic_id **id)
{
	for (size_t i = 0; i < NIC_DRIVERS_MAX; i++) {
		const struct th_nic_driver *d = regs[i].d;
		if (d && in_running_module(regs[i].name, d) &&
		    (*id = nic_id_match(d->ids, vendor, device)))
			return d;
	}
	return NULL;
}

static void follow_swaps(void *ctx)
{
	(void)ctx;
	drop_stale();
	nic_core_follow(nic_core());
}

void nic_registry_follow_swaps(void)
{
	if (following)
		return;
	if (swap_subscribe(&follower) == TH_OK)
		following = true;
	else
		log_warn("net", "NIC driver tables: cannot follow swaps");
}

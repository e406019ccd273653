/*
 * kernel_queries.c - the kernel's answers to the endpoint's read-only
 * requests (theseusctl info, ls, history, state, log, graph, tasks,
 * exports): the
 * query functions of struct endpoint_ops over loader introspection, the
 * swap engine's records and history, statedb, the log ring and the task
 * list.  None keeps state of its own but the port number it reports.
 */
#include "kernel_impl.h"

#include "frame.h"
#include "klibc.h"
#include "ktime.h"
#include "loader.h"
#include "log.h"
#include "modcall.h"
#include "net.h"
#include "smp.h"
#include "statedb.h"
#include "swap.h"
#include "task.h"
#include "version.h"

static uint16_t listen_port;

void kernel_set_port(uint16_t port) { listen_port = port; }

static int op_info(void *ctx, struct endpoint_info *out)
{
	struct net_status ns;
	char ip[20] = "0.0.0.0";
	net_status(&ns);
	if (ns.addr_ok)
		net_ip_format(ns.ip, ip, sizeof ip);
	snprintf(out->kernel_version, sizeof out->kernel_version, "Theseus-C %s", THESEUS_VERSION);
	out->uptime_ms = time_ms();
	snprintf(out->address, sizeof out->address, "%s:%u", ip, listen_port);
	out->mem_total = (uint64_t)frame_total_count() * FRAME_SIZE;
	out->mem_used = (uint64_t)(frame_total_count() - frame_free_count()) * FRAME_SIZE;
	out->cpus = smp_cpu_count();
	struct statedb_stats st;
	if (statedb_stats(&st) == TH_OK) {
		out->has_usage = true;
		out->usage = (struct endpoint_usage){
			.statedb_entries = st.entries_used, .statedb_entries_max = st.entries_max,
			.statedb_bytes = st.data_used, .statedb_bytes_max = st.data_bytes,
			.statedb_largest_free = st.largest_free,
			.tasks = (uint32_t)task_count(), .tasks_max = TASK_MAX,
		};
	}
	if (ns.present) {
		snprintf(out->nic_pci_id, sizeof out->nic_pci_id, "%04x:%04x", ns.pci_vendor,
			 ns.pci_device);
		snprintf(out->nic_model, sizeof out->nic_model, "%s", ns.nic_model);
		snprintf(out->nic_driver, sizeof out->nic_driver, "%s", ns.driver);
		snprintf(out->nic_driver_version, sizeof out->nic_driver_version, "%s",
			 ns.driver_version);
		out->has_nic_counters = true;
		out->nic_counters = (struct endpoint_nic_counters){
			.rx_packets = ns.ctr.rx_packets, .rx_bytes = ns.ctr.rx_bytes,
			.rx_drops = ns.ctr.rx_drops, .rx_errors = ns.ctr.rx_errors,
			.tx_packets = ns.ctr.tx_packets, .tx_bytes = ns.ctr.tx_bytes,
			.tx_drops = ns.ctr.tx_drops, .tx_errors = ns.ctr.tx_errors,
			.irqs = ns.ctr.irqs,
		};
	}
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
	out->quarantined = !strcmp(modcall_state(name), "quarantined");
	return TH_OK;
}

static uint32_t op_history_count(void *ctx)
{
	return (uint32_t)swap_history_count();
}

static int op_history_get(void *ctx, uint32_t index, struct endpoint_history *out)
{
	struct swap_history_entry *e = kmalloc(sizeof *e);
	if (!e)
		return TH_ENOMEM;
	if (!swap_history_get(index, e)) {
		kfree(e);
		return TH_ENOENT;
	}
	out->seq = e->seq;
	out->when_ns = e->when_ns;
	out->err = e->err;
	snprintf(out->kind, sizeof out->kind, "%s", swap_kind_name(e->kind));
	out->rollback = e->rollback;
	out->unchanged = e->unchanged;
	size_t n = e->n < SWAP_HISTORY_NAMES ? e->n : SWAP_HISTORY_NAMES;
	if (n > ENDPOINT_HISTORY_ITEMS)
		n = ENDPOINT_HISTORY_ITEMS;
	out->n_items = (uint32_t)n;
	out->n_modules = (uint32_t)e->n;
	for (size_t i = 0; i < n; i++) {
		snprintf(out->item[i].name, sizeof out->item[i].name, "%.*s",
			 (int)sizeof e->item[i].name, e->item[i].name);
		snprintf(out->item[i].from, sizeof out->item[i].from, "%.*s",
			 (int)sizeof e->item[i].from, e->item[i].from);
		snprintf(out->item[i].to, sizeof out->item[i].to, "%.*s",
			 (int)sizeof e->item[i].to, e->item[i].to);
	}
	out->sites = e->sites;
	kernel_copy_stages(e->stage_ns, out->stages, &out->n_stages);
	out->total_ns = e->total_ns;
	out->pause_ns = e->pause_ns;
	out->cpus = e->cpus;
	snprintf(out->msg, sizeof out->msg, "%.*s", (int)sizeof e->msg, e->msg);
	kfree(e);
	return TH_OK;
}

static int op_state_next(void *ctx, uint32_t *cursor, struct endpoint_state *out)
{
	struct statedb_info info;
	int err = statedb_next(cursor, &info);
	if (err)
		return err;
	snprintf(out->name, sizeof out->name, "%s", info.name);
	out->shared = info.kind == STATEDB_KIND_SHARED;
	out->type = info.type;
	out->version = info.version;
	out->strong = info.strong;
	out->weak = info.weak;
	out->size = info.size;
	return TH_OK;
}

static size_t op_log_read(void *ctx, uint64_t *pos, char *buf, size_t len)
{
	return log_read(pos, buf, len);
}

static int op_graph_get(void *ctx, uint32_t index, struct endpoint_graph_node *out)
{
	const struct module *m = loader_module_at(index);
	if (!m)
		return TH_ENOENT;
	snprintf(out->name, sizeof out->name, "%s", loader_module_name(m));
	size_t n = 0;
	struct loader_edge *edges = loader_edges_out(m, &n);
	for (size_t i = 0; i < n; i++) {
		const char *target = loader_module_name(edges[i].target);
		uint32_t k;
		for (k = 0; k < out->n_edges; k++)
			if (strcmp(out->edges[k].target, target) == 0)
				break;
		if (k == out->n_edges) {
			if (out->n_edges == ENDPOINT_MAX_EDGES)
				continue;  /* more targets than a node lists */
			snprintf(out->edges[k].target, sizeof out->edges[k].target, "%s", target);
			out->n_edges++;
		}
		out->edges[k].sites++;
	}
	return TH_OK;
}

/* The header, one line per task (68 bytes; 80 leaves room for wide CPU_MS
 * and SWITCHES columns) and the policy line. */
_Static_assert((TASK_MAX + 2) * 80 <= ENDPOINT_TASKS_TEXT,
	       "ENDPOINT_TASKS_TEXT must hold the listing of TASK_MAX tasks");

static size_t op_tasks_format(void *ctx, char *buf, size_t len)
{
	return task_format_list(buf, len);
}

static uint32_t op_export_count(void *ctx, uint32_t *module_api, uint64_t *generation)
{
	*module_api = loader_module_api();
	*generation = loader_export_generation();
	return (uint32_t)loader_export_count();
}

static int op_export_get(void *ctx, uint32_t index, struct endpoint_export *out)
{
	const struct module *owner;
	const char *name;
	bool weak;
	int err = loader_export_at(index, &name, &owner, &weak);
	if (err)
		return err;
	if (strlen(name) >= sizeof out->name)
		return TH_ERANGE;
	snprintf(out->name, sizeof out->name, "%s", name);
	snprintf(out->module, sizeof out->module, "%s", owner ? loader_module_name(owner) : "");
	out->weak = weak;
	return TH_OK;
}

uint64_t kernel_free_bytes(void)
{
	return (uint64_t)frame_free_count() * FRAME_SIZE;
}

void kernel_fill_query_ops(struct endpoint_ops *ops)
{
	ops->info = op_info;
	ops->module_count = op_module_count;
	ops->module_get = op_module_get;
	ops->module_find = op_module_find;
	ops->history_count = op_history_count;
	ops->history_get = op_history_get;
	ops->state_next = op_state_next;
	ops->log_read = op_log_read;
	ops->graph_get = op_graph_get;
	ops->tasks_format = op_tasks_format;
	ops->export_count = op_export_count;
	ops->export_get = op_export_get;
}

/*
 * control_inspect.c - the kernel's answers to the control endpoint's
 * inspection and direct-control requests (theseusctl rollback, history,
 * state, log, invoke, graph, tasks): the optional struct endpoint_ops
 * functions, over the swap engine, statedb, the log ring, the loader's
 * namespace and dependency edges, and the task list.
 *
 * control.c calls control_inspect_fill_ops(&ops) before endpoint_create().
 * Every function runs in the network poll context, like the rest of the
 * endpoint; none keeps state of its own.
 *
 * invoke: the function is looked up by name in the namespace at every call
 * (so a swap in between is always seen: no cached pointer can dangle), must
 * belong to the module named, and is called with the invoke ABI
 * (endpoint_invoke_fn in net/endpoint.h).
 */
#include "control.h"

#include "endpoint.h"
#include "klibc.h"
#include "loader.h"
#include "log.h"
#include "statedb.h"
#include "swap.h"
#include "task.h"

static int op_rollback(void *ctx, const char *module, struct endpoint_swap_report *report,
		       struct th_errbuf *eb)
{
	struct swap_result res;
	if (!loader_find(module))
		return th_errf(eb, TH_ENOENT, "rollback: module %s is not loaded", module);
	int err = swap_rollback(module, &res, eb);
	if (err)
		return err;
	/* The rollback of a first load unloads: no version runs any more (""). */
	const struct module *m = loader_find(module);
	snprintf(report->new_version[0], sizeof report->new_version[0], "%s",
		 m ? loader_module_version(m) : "");
	report->n_stages = SWAP_NSTAGES < ENDPOINT_MAX_STAGES ? SWAP_NSTAGES : ENDPOINT_MAX_STAGES;
	for (uint32_t s = 0; s < report->n_stages; s++) {
		snprintf(report->stages[s].stage, sizeof report->stages[s].stage, "%s",
			 swap_stage_name((enum swap_stage)s));
		report->stages[s].ns = res.stage_ns[s];
	}
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
	for (size_t i = 0; i < n; i++) {
		snprintf(out->item[i].name, sizeof out->item[i].name, "%.*s",
			 (int)sizeof e->item[i].name, e->item[i].name);
		snprintf(out->item[i].from, sizeof out->item[i].from, "%.*s",
			 (int)sizeof e->item[i].from, e->item[i].from);
		snprintf(out->item[i].to, sizeof out->item[i].to, "%.*s",
			 (int)sizeof e->item[i].to, e->item[i].to);
	}
	out->sites = e->sites;
	out->n_stages = SWAP_NSTAGES < ENDPOINT_MAX_STAGES ? SWAP_NSTAGES : ENDPOINT_MAX_STAGES;
	for (uint32_t s = 0; s < out->n_stages; s++) {
		snprintf(out->stages[s].stage, sizeof out->stages[s].stage, "%s",
			 swap_stage_name((enum swap_stage)s));
		out->stages[s].ns = e->stage_ns[s];
	}
	out->total_ns = e->total_ns;
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

static int op_invoke(void *ctx, const char *module, const char *function, const uint8_t *in,
		     size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len, int *result,
		     struct th_errbuf *eb)
{
	struct module *m = loader_find(module), *owner = NULL;
	uintptr_t addr;
	if (!m)
		return th_errf(eb, TH_ENOENT, "invoke: module %s is not loaded", module);
	if (loader_lookup_symbol(function, &addr, &owner) != TH_OK || owner != m)
		return th_errf(eb, TH_ENOENT, "invoke: module %s exports no function %s",
			       module, function);
	endpoint_invoke_fn fn = (endpoint_invoke_fn)addr;
	*out_len = 0;
	*result = fn(in, in_len, out, out_cap, out_len);
	if (*out_len > out_cap) {
		log_warn("control", "invoke: %s.%s claimed %zu output bytes of %zu", module,
			 function, *out_len, out_cap);
		*out_len = out_cap;
	}
	return TH_OK;
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

static size_t op_tasks_format(void *ctx, char *buf, size_t len)
{
	return task_format_list(buf, len);
}

void control_inspect_fill_ops(struct endpoint_ops *ops)
{
	ops->rollback = op_rollback;
	ops->history_count = op_history_count;
	ops->history_get = op_history_get;
	ops->state_next = op_state_next;
	ops->log_read = op_log_read;
	ops->invoke = op_invoke;
	ops->graph_get = op_graph_get;
	ops->tasks_format = op_tasks_format;
}

/*
 * cmd_graph.c - `theseusctl graph`: the module dependency graph as
 * Graphviz DOT on stdout (`theseusctl graph | dot -Tsvg > deps.svg`): one
 * node per loaded module, an edge A -> B labelled with the number of
 * relocation sites in A that point into B (what a swap of B relinks).
 * JSON fields: "nodes": [{"module","edges": [{"target","sites"}]}].
 */
#include <stdlib.h>

#include "klibc.h"
#include "ctl.h"

/* Writes s as a DOT quoted string. */
static void dot_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int cmd_graph_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	if (argc != 1)
		return ctl_usage_fail(ctx, "graph");
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__GraphRequest gq = THESEUS__GRAPH_REQUEST__INIT;
	int ret = CTL_EXIT_OK;
	char *dot = NULL;
	size_t dot_len = 0;
	FILE *d = open_memstream(&dot, &dot_len);
	if (!d) {
		ctl_fail(ctx, TH_ENOMEM, "out of memory");
		return CTL_EXIT_LOCAL;
	}
	req.kind_case = THESEUS__REQUEST__KIND_GRAPH;
	req.graph = &gq;
	fputs("digraph ", d);
	char title[320];
	snprintf(title, sizeof title, "theseus %s:%u", ctx->host, ctx->port);
	dot_quoted(d, title);
	fputs(" {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n", d);
	ctl_json_arr_begin(&ctx->js, "nodes");
	for (;;) {
		Theseus__Reply *rep = NULL;
		int err = ctl_call_expect(ctx, "graph", &req, THESEUS__REPLY__PAYLOAD_GRAPH, &rep);
		if (err) {
			ret = ctl_exit_status(ctx, err);
			break;
		}
		const Theseus__GraphReply *g = rep->graph;
		for (size_t i = 0; i < g->n_nodes; i++) {
			const Theseus__GraphNode *n = g->nodes[i];
			ctl_json_obj_begin(&ctx->js, NULL);
			ctl_json_str(&ctx->js, "module", n->module);
			ctl_json_arr_begin(&ctx->js, "edges");
			fputs("  ", d);
			dot_quoted(d, n->module);
			fputs(";\n", d);
			for (size_t k = 0; k < n->n_edges; k++) {
				ctl_json_obj_begin(&ctx->js, NULL);
				ctl_json_str(&ctx->js, "target", n->edges[k]->target);
				ctl_json_u64(&ctx->js, "sites", n->edges[k]->sites);
				ctl_json_obj_end(&ctx->js);
				fputs("  ", d);
				dot_quoted(d, n->module);
				fputs(" -> ", d);
				dot_quoted(d, n->edges[k]->target);
				fprintf(d, " [label=\"%u\"];\n", n->edges[k]->sites);
			}
			ctl_json_arr_end(&ctx->js);
			ctl_json_obj_end(&ctx->js);
		}
		gq.start += (uint32_t)g->n_nodes;
		bool more = g->n_nodes > 0 && gq.start < g->total;
		theseus__reply__free_unpacked(rep, NULL);
		if (!more)
			break;
	}
	ctl_json_arr_end(&ctx->js);
	fputs("}\n", d);
	fclose(d);
	if (ret == CTL_EXIT_OK && ctl_human(ctx))
		fwrite(dot, 1, dot_len, ctx->out);
	free(dot);
	return ret;
}

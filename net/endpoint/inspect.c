/*
 * inspect.c - the endpoint's handlers of the read-only inspection requests:
 * history, state, log, graph and tasks (requests that change the kernel are
 * in swap_request.c and invoke_request.c).
 *
 * Each asks the kernel through an optional endpoint_ops function (NULL:
 * the request gets ENOTSUP), validates every field first, and builds its
 * reply from the request arena.  Lists are paged: entries are added while
 * the packed reply stays under the datagram limit, and the reply says where
 * the next page starts (theseusctl loops until done).
 */
#include "endpoint_impl.h"

#define ALLOC(ep, T) ((T *)ep_arena_alloc(&(ep)->arena, sizeof(T)))
#define PAGE_MAX 64  /* entries per page at most, whatever fits */

static Theseus__HistoryEntry *history_msg(struct endpoint *ep, struct endpoint_history *h)
{
	Theseus__HistoryEntry *e = ALLOC(ep, Theseus__HistoryEntry);
	uint32_t ni = h->n_items < ENDPOINT_HISTORY_ITEMS ? h->n_items : ENDPOINT_HISTORY_ITEMS;
	Theseus__SwapResult **items = ep_arena_alloc(&ep->arena, (ni ? ni : 1) * sizeof *items);
	if (!e || !items)
		return NULL;
	theseus__history_entry__init(e);
	e->seq = h->seq;
	e->when_ns = h->when_ns;
	e->status = proto_status_to_wire(h->err);
	e->rollback = h->rollback;
	e->unchanged = h->unchanged;
	h->kind[sizeof h->kind - 1] = 0;
	e->kind = ep_arena_strdup(&ep->arena, h->kind);
	e->sites = h->sites;
	e->total_ns = h->total_ns;
	e->pause_ns = h->pause_ns;
	e->cpus = h->cpus;
	e->module_count = h->n_modules > ni ? h->n_modules : ni;
	h->msg[sizeof h->msg - 1] = 0;
	e->message = ep_arena_strdup(&ep->arena, h->msg);
	for (uint32_t i = 0; i < ni; i++) {
		Theseus__SwapResult *r = ALLOC(ep, Theseus__SwapResult);
		if (!r)
			return NULL;
		theseus__swap_result__init(r);
		h->item[i].name[PROTO_NAME_MAX - 1] = 0;
		h->item[i].from[PROTO_VERSION_MAX - 1] = 0;
		h->item[i].to[PROTO_VERSION_MAX - 1] = 0;
		r->module = ep_arena_strdup(&ep->arena, h->item[i].name);
		r->old_version = ep_arena_strdup(&ep->arena, h->item[i].from);
		r->new_version = ep_arena_strdup(&ep->arena, h->item[i].to);
		items[i] = r;
	}
	e->items = items;
	e->n_items = ni;
	if (ep_stages_msg(ep, h->stages, h->n_stages, &e->stages, &e->n_stages))
		return NULL;
	return e;
}

int ep_handle_history(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		      size_t reply_cap, struct th_errbuf *eb)
{
	if (!ep->ops.history_get || !ep->ops.history_count)
		return ep_not_supported("history", eb);
	Theseus__HistoryReply *hr = ALLOC(ep, Theseus__HistoryReply);
	struct endpoint_history *h = ALLOC(ep, struct endpoint_history);
	if (!hr || !h)
		return ep_no_memory(eb);
	theseus__history_reply__init(hr);
	uint32_t total = ep->ops.history_count(ep->ops.ctx);
	uint32_t start = req->history->start;
	hr->total = total;
	hr->start = start;
	rep->payload_case = THESEUS__REPLY__PAYLOAD_HISTORY;
	rep->history = hr;
	if (start > total)
		return th_errf(eb, TH_ERANGE, "history: start %u is beyond the %u entries kept",
			       start, total);
	uint32_t room = total - start < PAGE_MAX ? total - start : PAGE_MAX;
	hr->entries = ep_arena_alloc(&ep->arena, (room ? room : 1) * sizeof *hr->entries);
	if (!hr->entries)
		return ep_no_memory(eb);
	size_t limit = ep_page_limit(reply_cap);
	for (uint32_t i = 0; i < room; i++) {
		memset(h, 0, sizeof *h);
		int err = ep->ops.history_get(ep->ops.ctx, start + i, h);
		if (err == TH_ENOENT)
			break;
		if (err)
			return th_errf(eb, err, "history: entry %u: %s", start + i, th_strerror(err));
		Theseus__HistoryEntry *e = history_msg(ep, h);
		if (!e)
			return ep_no_memory(eb);
		hr->entries[hr->n_entries++] = e;
		if (theseus__reply__get_packed_size(rep) > limit) {
			hr->n_entries--;
			break;
		}
	}
	return TH_OK;
}

int ep_handle_state(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		    size_t reply_cap, struct th_errbuf *eb)
{
	if (!ep->ops.state_next)
		return ep_not_supported("state", eb);
	Theseus__StateReply *sr = ALLOC(ep, Theseus__StateReply);
	struct endpoint_state *s = ALLOC(ep, struct endpoint_state);
	if (!sr || !s)
		return ep_no_memory(eb);
	theseus__state_reply__init(sr);
	sr->entries = ep_arena_alloc(&ep->arena, PAGE_MAX * sizeof *sr->entries);
	if (!sr->entries)
		return ep_no_memory(eb);
	rep->payload_case = THESEUS__REPLY__PAYLOAD_STATE;
	rep->state = sr;
	size_t limit = ep_page_limit(reply_cap);
	uint32_t cursor = req->state->cursor;
	sr->next = cursor;
	while (sr->n_entries < PAGE_MAX) {
		uint32_t before = cursor;
		memset(s, 0, sizeof *s);
		int err = ep->ops.state_next(ep->ops.ctx, &cursor, s);
		if (err == TH_ENOENT) {
			sr->done = true;
			sr->next = cursor;
			break;
		}
		if (err)
			return th_errf(eb, err, "state: cursor %u: %s", before, th_strerror(err));
		Theseus__StateEntry *e = ALLOC(ep, Theseus__StateEntry);
		if (!e)
			return ep_no_memory(eb);
		theseus__state_entry__init(e);
		s->name[PROTO_NAME_MAX - 1] = 0;
		e->name = ep_arena_strdup(&ep->arena, s->name);
		e->kind = s->shared ? (char *)"shared" : (char *)"named";
		e->type = s->type;
		e->version = s->version;
		e->size = s->size;
		e->strong = s->strong;
		e->weak = s->weak;
		sr->entries[sr->n_entries++] = e;
		if (theseus__reply__get_packed_size(rep) > limit) {
			sr->n_entries--;  /* served again from `before` next time */
			break;
		}
		sr->next = cursor;
	}
	return TH_OK;
}

int ep_handle_log(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		  size_t reply_cap, struct th_errbuf *eb)
{
	if (!ep->ops.log_read)
		return ep_not_supported("log", eb);
	uint32_t want = req->log->max_bytes;
	if (want == 0 || want > ENDPOINT_LOG_CHUNK)
		want = ENDPOINT_LOG_CHUNK;
	Theseus__LogReply *lr = ALLOC(ep, Theseus__LogReply);
	char *buf = ep_arena_alloc(&ep->arena, want);
	if (!lr || !buf)
		return ep_no_memory(eb);
	theseus__log_reply__init(lr);
	uint64_t asked = req->log->position, pos = asked, start;
	/* Learn where the data starts (the ring may have moved past pos, or
	 * pos may lie beyond the end: log_read moves it to the end then). */
	size_t n = ep->ops.log_read(ep->ops.ctx, &pos, buf, want);
	if (n > want)
		return th_errf(eb, TH_EOVERFLOW, "log: kernel returned %zu bytes for %u", n, want);
	start = pos - n;
	lr->data.data = (uint8_t *)buf;
	lr->data.len = n;
	lr->start = start;
	lr->next = pos;
	rep->payload_case = THESEUS__REPLY__PAYLOAD_LOG;
	rep->log = lr;
	if (pos < asked)  /* start = next = the end of the log */
		return th_errf(eb, TH_ERANGE,
			       "log: position %llu is beyond the end of the log (%llu bytes logged "
			       "since boot; the kernel rebooted?): read again from 0",
			       (unsigned long long)asked, (unsigned long long)pos);
	return TH_OK;
}

int ep_handle_graph(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		    size_t reply_cap, struct th_errbuf *eb)
{
	if (!ep->ops.graph_get)
		return ep_not_supported("graph", eb);
	Theseus__GraphReply *gr = ALLOC(ep, Theseus__GraphReply);
	struct endpoint_graph_node *g = ALLOC(ep, struct endpoint_graph_node);
	if (!gr || !g)
		return ep_no_memory(eb);
	theseus__graph_reply__init(gr);
	uint32_t total = ep->ops.module_count ? ep->ops.module_count(ep->ops.ctx) : 0;
	uint32_t start = req->graph->start;
	gr->total = total;
	gr->start = start;
	rep->payload_case = THESEUS__REPLY__PAYLOAD_GRAPH;
	rep->graph = gr;
	if (start > total)
		return th_errf(eb, TH_ERANGE, "graph: start %u is beyond the %u modules loaded",
			       start, total);
	uint32_t room = total - start < PAGE_MAX ? total - start : PAGE_MAX;
	gr->nodes = ep_arena_alloc(&ep->arena, (room ? room : 1) * sizeof *gr->nodes);
	if (!gr->nodes)
		return ep_no_memory(eb);
	size_t limit = ep_page_limit(reply_cap);
	for (uint32_t i = 0; i < room; i++) {
		memset(g, 0, sizeof *g);
		int err = ep->ops.graph_get(ep->ops.ctx, start + i, g);
		if (err == TH_ENOENT)
			break;
		if (err)
			return th_errf(eb, err, "graph: module %u: %s", start + i, th_strerror(err));
		uint32_t ne = g->n_edges < ENDPOINT_MAX_EDGES ? g->n_edges : ENDPOINT_MAX_EDGES;
		Theseus__GraphNode *n = ALLOC(ep, Theseus__GraphNode);
		Theseus__GraphEdge **edges = ep_arena_alloc(&ep->arena, (ne ? ne : 1) * sizeof *edges);
		if (!n || !edges)
			return ep_no_memory(eb);
		theseus__graph_node__init(n);
		g->name[PROTO_NAME_MAX - 1] = 0;
		n->module = ep_arena_strdup(&ep->arena, g->name);
		for (uint32_t k = 0; k < ne; k++) {
			Theseus__GraphEdge *e = ALLOC(ep, Theseus__GraphEdge);
			if (!e)
				return ep_no_memory(eb);
			theseus__graph_edge__init(e);
			g->edges[k].target[PROTO_NAME_MAX - 1] = 0;
			e->target = ep_arena_strdup(&ep->arena, g->edges[k].target);
			e->sites = g->edges[k].sites;
			edges[k] = e;
		}
		n->edges = edges;
		n->n_edges = ne;
		gr->nodes[gr->n_nodes++] = n;
		if (theseus__reply__get_packed_size(rep) > limit) {
			gr->n_nodes--;
			break;
		}
	}
	return TH_OK;
}

/* A listing of need bytes that text (total bytes) holds only the start of:
 * keep its whole lines and end with a line saying it was cut; the new
 * length. */
static size_t tasks_cut(char *text, size_t total, size_t need)
{
	char note[80];
	int n = snprintf(note, sizeof note, "(listing cut here: %zu more bytes)\n", need - total);
	size_t room = n > 0 && (size_t)n < ENDPOINT_TASKS_TEXT ? ENDPOINT_TASKS_TEXT - 1 - (size_t)n : 0;
	size_t end = total < room ? total : room;
	while (end && text[end - 1] != '\n')
		end--;
	if (n <= 0 || end + (size_t)n >= ENDPOINT_TASKS_TEXT)
		return end;
	memcpy(text + end, note, (size_t)n + 1);
	return end + (size_t)n;
}

int ep_handle_tasks(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		    size_t reply_cap, struct th_errbuf *eb)
{
	if (!ep->ops.tasks_format)
		return ep_not_supported("tasks", eb);
	Theseus__TasksReply *tr = ALLOC(ep, Theseus__TasksReply);
	char *text = ep_arena_alloc(&ep->arena, ENDPOINT_TASKS_TEXT);
	if (!tr || !text)
		return ep_no_memory(eb);
	theseus__tasks_reply__init(tr);
	size_t need = ep->ops.tasks_format(ep->ops.ctx, text, ENDPOINT_TASKS_TEXT);
	text[ENDPOINT_TASKS_TEXT - 1] = 0;
	size_t total = strnlen(text, ENDPOINT_TASKS_TEXT);
	if (need > total) /* cut: end at a whole line, and say so */
		total = tasks_cut(text, total, need);
	uint32_t off = req->tasks->offset;
	if (off > total)
		return th_errf(eb, TH_ERANGE, "tasks: offset %u is beyond the %zu-byte listing",
			       off, total);
	size_t piece = total - off, max = ep_page_limit(reply_cap) - 64;
	if (piece > max)
		piece = max;
	char *s = ep_arena_alloc(&ep->arena, piece + 1);
	if (!s)
		return ep_no_memory(eb);
	memcpy(s, text + off, piece);
	s[piece] = 0;
	tr->text = s;
	tr->offset = off;
	tr->total = (uint32_t)total;
	rep->payload_case = THESEUS__REPLY__PAYLOAD_TASKS;
	rep->tasks = tr;
	return TH_OK;
}

/*
 * cmd_ls.c - `theseusctl ls`: the loaded modules as an aligned table,
 * fetched page by page (one datagram each) with ListModules requests.
 * JSON fields: "modules": [{"name","version","sha256","size","address",
 * "deps": [...], "state"}] (sha256 in hex, address as "0x..." text).
 *
 * STATE (ok | restarting | quarantined: README "Faults and recovery") comes
 * from the swap history: a module whose latest entry is "quarantine" is
 * quarantined; a load, swap, rollback or restart that changed it makes it
 * ok ("fault" entries change nothing: the kernel restarts a module within
 * the faulting call, so "restarting" is seen only while that call runs).
 * A kernel without history shows "ok".
 */
#include "klibc.h"
#include "ctl.h"

#define LS_MAX_STATES 64

struct mod_state {
	char name[PROTO_NAME_MAX];
	const char *state;
};

static void note_state(struct mod_state *st, size_t *n, const char *name, const char *state)
{
	size_t i;
	for (i = 0; i < *n && strcmp(st[i].name, name); i++)
		;
	if (i == *n) {
		if (*n == LS_MAX_STATES)
			return;
		snprintf(st[i].name, sizeof st[i].name, "%s", name);
		(*n)++;
	}
	st[i].state = state;
}

/* Every module's state from the history into st, *n of them (none when the
 * kernel refuses to give it).  Returns the error of a call that got no
 * answer at all (ETIMEDOUT, EAUTH): then ls stops, instead of waiting as
 * long again for the list. */
static int fetch_states(struct ctl_ctx *ctx, struct mod_state *st, size_t *np)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__HistoryRequest hq = THESEUS__HISTORY_REQUEST__INIT;
	size_t n = 0;
	req.kind_case = THESEUS__REQUEST__KIND_HISTORY;
	req.history = &hq;
	for (;;) {
		Theseus__Reply *rep = NULL;
		int err = ctl_call(ctx, &req, &rep);
		if (err || rep->payload_case != THESEUS__REPLY__PAYLOAD_HISTORY) {
			if (rep)
				theseus__reply__free_unpacked(rep, NULL);
			*np = n;
			return err == TH_ETIMEDOUT || err == TH_EAUTH ? err : TH_OK;
		}
		const Theseus__HistoryReply *h = rep->history;
		for (size_t i = 0; i < h->n_entries; i++) {
			const Theseus__HistoryEntry *e = h->entries[i];
			const char *s = NULL;
			if (!strcmp(e->kind, "quarantine"))
				s = "quarantined";
			else if (strcmp(e->kind, "fault") && !e->status && !e->unchanged)
				s = "ok";
			for (size_t j = 0; s && j < e->n_items; j++)
				note_state(st, &n, e->items[j]->module, s);
		}
		hq.start += (uint32_t)h->n_entries;
		bool more = h->n_entries > 0 && hq.start < h->total;
		theseus__reply__free_unpacked(rep, NULL);
		if (!more) {
			*np = n;
			return TH_OK;
		}
	}
}

static const char *state_of(const struct mod_state *st, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(st[i].name, name))
			return st[i].state;
	return "ok";
}

int cmd_ls_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	if (argc != 1)
		return ctl_usage_fail(ctx, "ls");
	static const char *const hdr[] = { "NAME", "VERSION", "SHA256", "SIZE", "ADDRESS",
					   "DEPENDS", "STATE" };
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ListModulesRequest lr = THESEUS__LIST_MODULES_REQUEST__INIT;
	struct ctl_table t;
	int ret = CTL_EXIT_OK;
	req.kind_case = THESEUS__REQUEST__KIND_LIST_MODULES;
	req.list_modules = &lr;
	static struct mod_state states[LS_MAX_STATES];
	size_t nstates = 0;
	int serr = fetch_states(ctx, states, &nstates);
	if (serr) {
		ctl_report(ctx, "ls", serr, NULL);
		return ctl_exit_status(ctx, serr);
	}
	ctl_table_init(&t, 7, hdr);
	ctl_table_align_right(&t, 3);
	ctl_json_arr_begin(&ctx->js, "modules");
	for (;;) {
		Theseus__Reply *rep = NULL;
		int err = ctl_call_expect(ctx, "ls", &req, THESEUS__REPLY__PAYLOAD_MODULES, &rep);
		if (err) {
			ret = ctl_exit_status(ctx, err);
			break;
		}
		Theseus__ListModulesReply *m = rep->modules;
		for (size_t i = 0; i < m->n_modules; i++) {
			Theseus__ModuleInfo *mi = m->modules[i];
			char hex[65] = "-", size[24], addr[24], deps[512] = "";
			if (mi->sha256.len == PROTO_SHA256_LEN)
				ctl_hex(mi->sha256.data, PROTO_SHA256_LEN, hex);
			snprintf(size, sizeof size, "%llu", (unsigned long long)mi->size);
			snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)mi->load_address);
			ctl_json_obj_begin(&ctx->js, NULL);
			ctl_json_str(&ctx->js, "name", mi->name);
			ctl_json_str(&ctx->js, "version", mi->version);
			ctl_json_str(&ctx->js, "sha256", hex);
			ctl_json_u64(&ctx->js, "size", mi->size);
			ctl_json_str(&ctx->js, "address", addr);
			ctl_json_arr_begin(&ctx->js, "deps");
			for (size_t d = 0; d < mi->n_deps; d++) {
				ctl_json_str(&ctx->js, NULL, mi->deps[d]);
				size_t l = strlen(deps);
				snprintf(deps + l, sizeof deps - l, "%s%s", d ? "," : "", mi->deps[d]);
			}
			ctl_json_arr_end(&ctx->js);
			const char *state = state_of(states, nstates, mi->name);
			ctl_json_str(&ctx->js, "state", state);
			ctl_json_obj_end(&ctx->js);
			if (hex[0] != '-')
				hex[12] = 0;  /* the table shows a prefix */
			const char *row[] = { mi->name, mi->version, hex, size, addr,
					      deps[0] ? deps : "-", state };
			if (ctl_table_row(&t, row)) {
				ctl_fail(ctx, TH_ENOMEM, "out of memory");
				ret = CTL_EXIT_LOCAL;
			}
		}
		lr.start += (uint32_t)m->n_modules;
		bool more = m->n_modules > 0 && lr.start < m->total;
		theseus__reply__free_unpacked(rep, NULL);
		if (!more || ret)
			break;
	}
	ctl_json_arr_end(&ctx->js);
	if (ret == CTL_EXIT_OK && ctl_human(ctx))
		ctl_table_print(&t, ctx->out);
	ctl_table_free(&t);
	return ret;
}

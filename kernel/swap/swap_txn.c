/*
 * swap_txn.c - what every transaction of the engine (load, swap, rollback,
 * unload) shares: its working state, stage timing, and the record of its
 * outcome in the history, the caller's result and the log.
 */
#include "log.h"
#include "swap_impl.h"

struct swap_txn *swap_txn_begin(enum swap_kind kind, bool rollback, size_t n,
				struct th_errbuf *eb)
{
	struct swap_txn *x = kcalloc(1, sizeof *x);

	if (eb)
		eb->msg[0] = '\0';
	if (!x) {
		th_errf(eb, TH_ENOMEM, "no memory for a swap");
		return NULL;
	}
	x->failed_item = SIZE_MAX;
	x->h.seq = swap_history_next_seq();
	x->h.when_ns = swap_plat_now_ns();
	x->h.kind = kind;
	x->h.rollback = rollback;
	x->h.n = n;
	x->t = swap_plat_tsc();
	x->pause0 = swap_plat_pause_ns();
	x->h.cpus = swap_plat_cpus();
	return x;
}

void swap_txn_stage(struct swap_txn *x, enum swap_stage s)
{
	uint64_t now = swap_plat_tsc();

	x->h.stage_ns[s] += swap_plat_tsc_ns(now - x->t);
	x->t = now;
}

void swap_txn_item(struct swap_txn *x, size_t j, const char *name, const char *from,
		   const char *to)
{
	if (j >= SWAP_HISTORY_NAMES)
		return;
	snprintf(x->h.item[j].name, sizeof x->h.item[j].name, "%s", name ? name : "?");
	snprintf(x->h.item[j].from, sizeof x->h.item[j].from, "%s", from);
	snprintf(x->h.item[j].to, sizeof x->h.item[j].to, "%s", to);
}

static const char *or_none(const char *v)
{
	return v[0] ? v : "none";
}

int swap_txn_end(struct swap_txn *x, int err, struct swap_result *res, struct th_errbuf *eb)
{
	size_t i;

	swap_state_end(x, err == TH_OK); /* if a path left it open */
	x->h.err = err;
	if (err && eb)
		swap_history_set_msg(&x->h, eb->msg);
	for (i = 0; i < SWAP_NSTAGES; i++)
		x->h.total_ns += x->h.stage_ns[i];
	x->h.pause_ns = swap_plat_pause_ns() - x->pause0;
	swap_history_add(&x->h);
	if (res) {
		memset(res, 0, sizeof *res);
		res->err = err;
		res->unchanged = x->h.unchanged;
		res->kind = x->h.kind;
		res->swapped = err ? 0 : x->k;
		res->sites = x->h.sites;
		memcpy(res->stage_ns, x->h.stage_ns, sizeof res->stage_ns);
		res->total_ns = x->h.total_ns;
		res->seq = x->h.seq;
		res->failed_item = err ? x->failed_item : SIZE_MAX;
		res->retiring = swap_retiring_count();
	}
	if (err)
		log_warn("swap", "#%llu %s refused: %s", (unsigned long long)x->h.seq,
			 swap_kind_name(x->h.kind), eb && eb->msg[0] ? eb->msg : th_strerror(err));
	else if (!x->h.unchanged)
		log_info("swap", "#%llu %s %s %s -> %s%s: %zu sites, %llu us",
			 (unsigned long long)x->h.seq, swap_kind_name(x->h.kind), x->h.item[0].name,
			 or_none(x->h.item[0].from), or_none(x->h.item[0].to),
			 x->h.n > 1 ? " (and others)" : "", x->h.sites,
			 (unsigned long long)(x->h.total_ns / 1000));
	for (i = 0; i < SWAP_MAX_LOAD; i++)
		swap_obj_put(x->obj[i]); /* references the records did not take over */
	kfree(x);
	return err;
}

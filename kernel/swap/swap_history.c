/*
 * swap_history.c - the ring of the last SWAP_HISTORY_LEN entries: the
 * engine's transactions (load, swap, rollback, unload, restart: when, what,
 * from which version to which, stage times, result) and the events that are
 * no transaction (fault, quarantine), read by index or as text for the log
 * and the network.  The ring is kept in sequence order: a transaction takes
 * its number when it starts but is recorded when it ends, so an entry
 * recorded in between (a fault in its init hook, a nested restart) has a
 * higher number and is placed after it.
 */
#include "swap_impl.h"

static struct swap_history_entry ring[SWAP_HISTORY_LEN];
static uint64_t next_seq = 1;
static size_t count, head; /* head: index of the oldest */

static const char *const stage_names[SWAP_NSTAGES] = {
	"load", "verify", "relink", "transfer", "cleanup",
};

static const char *const kind_names[SWAP_NKINDS] = {
	"swap", "load", "rollback", "unload", "fault", "restart", "quarantine",
};

const char *swap_stage_name(enum swap_stage s)
{
	return (unsigned)s < SWAP_NSTAGES ? stage_names[s] : "?";
}

const char *swap_kind_name(enum swap_kind k)
{
	return (unsigned)k < SWAP_NKINDS ? kind_names[k] : "?";
}

uint64_t swap_history_next_seq(void)
{
	return next_seq++;
}

void swap_history_set_msg(struct swap_history_entry *e, const char *msg)
{
	size_t cap = sizeof e->msg, len = strlen(msg);

	if (len < cap) {
		memcpy(e->msg, msg, len + 1);
		return;
	}
	memcpy(e->msg, msg, cap - 4);
	memcpy(e->msg + cap - 4, "...", 4);
}

void swap_history_note(enum swap_kind kind, const char *name, const char *version,
		       const char *msg)
{
	struct swap_history_entry e;
	memset(&e, 0, sizeof e);
	e.seq = swap_history_next_seq();
	e.when_ns = swap_plat_now_ns();
	e.err = TH_EFAULT;
	e.kind = kind;
	e.n = 1;
	snprintf(e.item[0].name, sizeof e.item[0].name, "%s", name);
	snprintf(e.item[0].from, sizeof e.item[0].from, "%s", version);
	snprintf(e.item[0].to, sizeof e.item[0].to, "%s", version);
	swap_history_set_msg(&e, msg ? msg : "");
	swap_history_add(&e);
}

void swap_history_add(const struct swap_history_entry *e)
{
	size_t i;

	if (count == SWAP_HISTORY_LEN) { /* the oldest makes room, unless e is older */
		if (e->seq < ring[head].seq)
			return;
		head = (head + 1) % SWAP_HISTORY_LEN;
		count--;
	}
	/* Insert at its place by seq: entries recorded later but numbered
	 * earlier (a transaction that was running) move before newer ones. */
	for (i = count; i > 0; i--) {
		struct swap_history_entry *prev = &ring[(head + i - 1) % SWAP_HISTORY_LEN];
		if (prev->seq < e->seq)
			break;
		ring[(head + i) % SWAP_HISTORY_LEN] = *prev;
	}
	ring[(head + i) % SWAP_HISTORY_LEN] = *e;
	count++;
}

size_t swap_history_count(void)
{
	return count;
}

bool swap_history_get(size_t i, struct swap_history_entry *out)
{
	if (i >= count)
		return false;
	*out = ring[(head + i) % SWAP_HISTORY_LEN];
	return true;
}

static void put_us(char *buf, size_t len, size_t *pos, const char *what, uint64_t ns)
{
	th_appendf(buf, len, pos, " %s=%llu.%03lluus", what, (unsigned long long)(ns / 1000),
	    (unsigned long long)(ns % 1000));
}

size_t swap_history_format(char *buf, size_t len)
{
	struct swap_history_entry e;
	size_t i, j, pos = 0;
	int s;

	if (buf && len)
		buf[0] = '\0';
	if (!buf)
		len = 0;
	for (i = 0; swap_history_get(i, &e); i++) {
		bool swap = e.kind == SWAP_KIND_SWAP; /* the common case goes without a word */
		th_appendf(buf, len, &pos, "#%llu t=%llu.%06llus%s%s", (unsigned long long)e.seq,
		    (unsigned long long)(e.when_ns / 1000000000ull),
		    (unsigned long long)(e.when_ns / 1000 % 1000000), swap ? "" : " ",
		    swap ? "" : swap_kind_name(e.kind));
		for (j = 0; j < e.n && j < SWAP_HISTORY_NAMES; j++)
			th_appendf(buf, len, &pos, "%s%s %s->%s", j ? "," : " ", e.item[j].name,
			    e.item[j].from[0] ? e.item[j].from : "none",
			    e.item[j].to[0] ? e.item[j].to : "none");
		if (e.n > SWAP_HISTORY_NAMES)
			th_appendf(buf, len, &pos, " +%zu more", e.n - SWAP_HISTORY_NAMES);
		th_appendf(buf, len, &pos, " %s%s sites=%zu", th_err_name(e.err),
		    e.unchanged ? " (unchanged)" : "", e.sites);
		for (s = 0; s < SWAP_NSTAGES; s++)
			put_us(buf, len, &pos, stage_names[s], e.stage_ns[s]);
		put_us(buf, len, &pos, "total", e.total_ns);
		th_appendf(buf, len, &pos, " pause=%lluus/%ucpu", (unsigned long long)(e.pause_ns / 1000),
		    e.cpus);
		if (e.err && e.msg[0])
			th_appendf(buf, len, &pos, " (%s)", e.msg);
		th_appendf(buf, len, &pos, "\n");
	}
	return pos;
}

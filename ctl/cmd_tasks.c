/*
 * cmd_tasks.c - `theseusctl tasks`: the kernel's task list (id, name,
 * state, priority, CPU time, switches) as the kernel formats it, fetched
 * in datagram-sized pieces (read again from the start when the list
 * changed between two of them).  JSON fields: "text".
 */
#include <stdlib.h>

#include "klibc.h"
#include "ctl.h"

/* The listing is made afresh for every page: when it changed between two
 * pages (a task started or ended: its total differs, or the offset is past
 * its end) the reading starts again from the first page, at most this many
 * times. */
#define TASKS_REREADS 3

int cmd_tasks_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	if (argc != 1)
		return ctl_usage_fail(ctx, "tasks");
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__TasksRequest tq = THESEUS__TASKS_REQUEST__INIT;
	char *text = NULL;
	size_t len = 0;
	uint32_t total = 0;
	int ret = CTL_EXIT_OK, rereads = 0;
	req.kind_case = THESEUS__REQUEST__KIND_TASKS;
	req.tasks = &tq;
	for (;;) {
		Theseus__Reply *rep = NULL;
		int err = ctl_call(ctx, &req, &rep);
		if (!err && rep->payload_case != THESEUS__REPLY__PAYLOAD_TASKS)
			err = TH_EPROTO;
		bool changed = tq.offset > 0 && (err == TH_ERANGE || (!err && rep->tasks->total != total));
		if (changed) {
			if (rep)
				theseus__reply__free_unpacked(rep, NULL);
			if (++rereads > TASKS_REREADS) {
				ctl_fail(ctx, TH_EAGAIN, "%s: tasks: the task list changed while it was "
					 "read, %d times; try again", ctx->label, rereads);
				ret = ctl_exit_status(ctx, TH_EAGAIN);
				break;
			}
			tq.offset = 0;
			len = 0;
			continue;
		}
		if (err) {
			ctl_report(ctx, "tasks", err, rep);
			if (rep)
				theseus__reply__free_unpacked(rep, NULL);
			ret = ctl_exit_status(ctx, err);
			break;
		}
		const Theseus__TasksReply *t = rep->tasks;
		total = t->total;
		size_t n = strlen(t->text);
		char *nt = realloc(text, len + n + 1);
		if (!nt) {
			theseus__reply__free_unpacked(rep, NULL);
			ctl_fail(ctx, TH_ENOMEM, "out of memory");
			ret = CTL_EXIT_LOCAL;
			break;
		}
		text = nt;
		memcpy(text + len, t->text, n + 1);
		len += n;
		tq.offset += (uint32_t)n;
		bool more = n > 0 && tq.offset < t->total;
		theseus__reply__free_unpacked(rep, NULL);
		if (!more)
			break;
	}
	ctl_json_str(&ctx->js, "text", text ? text : "");
	if (ret == CTL_EXIT_OK && ctl_human(ctx) && text)
		fputs(text, ctx->out);
	free(text);
	return ret;
}

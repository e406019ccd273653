/*
 * rollout_host.c - what a rollout does to one host, each step through the
 * ordinary transport (ctl_call_expect with its retries) and push code:
 * read the module's version and hash (ls), push the object and swap it in
 * with compare-and-swap on the version read, run the health checks (invoke,
 * a local command, the history's fault entries), and revert to the exact
 * old object (rollback request, then ls to verify the hash).
 * Failures are recorded in the host's record, never printed here.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "rollout.h"

extern char **environ;

static long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rollout_host_read(struct ctl_ctx *ctx, const char *module, char version[PROTO_VERSION_MAX],
		      char hash[2 * PROTO_SHA256_LEN + 1])
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ListModulesRequest lr = THESEUS__LIST_MODULES_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_LIST_MODULES;
	req.list_modules = &lr;
	version[0] = 0;
	hash[0] = 0;
	for (;;) {
		Theseus__Reply *rep = NULL;
		int err = ctl_call_expect(ctx, "ls", &req, THESEUS__REPLY__PAYLOAD_MODULES, &rep);
		if (err)
			return err;
		Theseus__ListModulesReply *m = rep->modules;
		for (size_t i = 0; i < m->n_modules; i++) {
			const Theseus__ModuleInfo *mi = m->modules[i];
			if (strcmp(mi->name, module) != 0)
				continue;
			snprintf(version, PROTO_VERSION_MAX, "%s", mi->version);
			if (mi->sha256.len == PROTO_SHA256_LEN)
				ctl_hex(mi->sha256.data, PROTO_SHA256_LEN, hash);
		}
		lr.start += (uint32_t)m->n_modules;
		bool more = m->n_modules > 0 && lr.start < m->total;
		theseus__reply__free_unpacked(rep, NULL);
		if (!more)
			return TH_OK;
	}
}

int rollout_host_update(struct ctl_ctx *ctx, const struct rollout_obj *o, struct rollout_host *h,
			void (*before_swap)(struct rollout_host *h, void *arg), void *arg)
{
	char cur_v[PROTO_VERSION_MAX], cur_h[2 * PROTO_SHA256_LEN + 1];
	long t0 = mono_ms();
	int err = rollout_host_read(ctx, o->module, cur_v, cur_h);
	if (err)
		goto out;
	snprintf(h->new_hash, sizeof h->new_hash, "%s", o->hex);
	if (strcmp(cur_h, o->hex) == 0) {
		/* Runs the object already: a repeated or resumed rollout.  A host
		 * this rollout did not swap ran it before: that is its old object
		 * (so recorded, a resume knows it is not this rollout's to undo). */
		if (!h->swapped) {
			h->already = true;
			snprintf(h->old_version, sizeof h->old_version, "%s", cur_v);
			snprintf(h->old_hash, sizeof h->old_hash, "%s", cur_h);
		}
		snprintf(h->new_version, sizeof h->new_version, "%s", cur_v);
		goto out;
	}
	snprintf(h->old_version, sizeof h->old_version, "%s", cur_v);
	snprintf(h->old_hash, sizeof h->old_hash, "%s", cur_h);
	h->swapped = false;
	int ex = ctl_push_object(ctx, o->file, o->data, o->len, o->sha);
	if (ex != CTL_EXIT_OK) {
		err = ctx->status ? ctx->status : TH_EIO;
		goto out;
	}
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__SwapRequest sr = THESEUS__SWAP_REQUEST__INIT;
	Theseus__SwapItem si = THESEUS__SWAP_ITEM__INIT, *items[1] = { &si };
	Theseus__Reply *rep = NULL;
	si.module = (char *)o->module;
	si.expected_version = h->old_version;
	si.object_sha256.data = (uint8_t *)o->sha;
	si.object_sha256.len = PROTO_SHA256_LEN;
	sr.n_items = 1;
	sr.items = items;
	req.kind_case = THESEUS__REQUEST__KIND_SWAP;
	req.swap = &sr;
	h->attempted = true;
	if (before_swap)
		before_swap(h, arg);
	err = ctl_call_expect(ctx, "swap", &req, THESEUS__REPLY__PAYLOAD_SWAP, &rep);
	if (err)
		goto out;
	if (rep->swap->n_results >= 1)
		snprintf(h->new_version, sizeof h->new_version, "%s",
			 rep->swap->results[0]->new_version);
	theseus__reply__free_unpacked(rep, NULL);
	h->swapped = true;
out:
	h->ms_update = mono_ms() - t0;
	if (err)   /* with the hint for a wrong key, which every request of the host meets */
		snprintf(h->error, sizeof h->error, "%s%s", ctx->errmsg,
			 err == TH_EAUTH ? ctl_err_hint(ctx, err, NULL) : "");
	return err;
}

/* --check FUNCTION: invoke it with no input; OK and result 0 is healthy. */
static int check_invoke(struct ctl_ctx *ctx, const struct rollout_obj *o, const char *function,
			struct rollout_host *h)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__InvokeRequest iv = THESEUS__INVOKE_REQUEST__INIT;
	Theseus__Reply *rep = NULL;
	iv.module = (char *)o->module;
	iv.function = (char *)function;
	req.kind_case = THESEUS__REQUEST__KIND_INVOKE;
	req.invoke = &iv;
	int err = ctl_call(ctx, &req, &rep);
	bool answered = rep && rep->payload_case == THESEUS__REPLY__PAYLOAD_INVOKE;
	int result = answered ? rep->invoke->result : 0;
	if (err && !answered)
		ctl_report(ctx, "invoke", err, rep);
	if (rep)
		theseus__reply__free_unpacked(rep, NULL);
	if (answered && (err || result)) {
		/* The function ran and said no (its negative return is the status). */
		snprintf(h->check, sizeof h->check, "failed: --check %s returned %s", function,
			 th_err_name(result ? result : err));
		return result ? result : err;
	}
	if (err) {
		snprintf(h->check, sizeof h->check, "failed: --check %s: %s", function,
			 th_err_name(err));
		return err;
	}
	return TH_OK;
}

/* --check-cmd CMD: sh -c CMD with THESEUS_HOST=host:port and, when the
 * rollout has a key, THESEUS_KEY_FILE=its absolute path (so a theseusctl in
 * CMD talks to that host with that key); exit 0 is healthy.  Its output
 * goes to stderr (stdout stays for --json). */
static int check_cmd(const char *cmd, const char *key_file, const char *label,
		     struct rollout_host *h)
{
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **env = calloc(n + 3, sizeof *env);
	char var[300], kvar[PATH_MAX + 32];
	if (!env) {
		snprintf(h->check, sizeof h->check, "failed: --check-cmd: out of memory");
		return TH_ENOMEM;
	}
	snprintf(var, sizeof var, "THESEUS_HOST=%s", label);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "THESEUS_HOST=", 13) != 0 &&
		    !(key_file && strncmp(environ[i], "THESEUS_KEY_FILE=", 17) == 0))
			env[k++] = environ[i];
	env[k++] = var;
	if (key_file) {
		snprintf(kvar, sizeof kvar, "THESEUS_KEY_FILE=%s", key_file);
		env[k++] = kvar;
	}
	env[k] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	if (rc != 0) {
		snprintf(h->check, sizeof h->check, "failed: --check-cmd: cannot start sh: %s",
			 strerror(rc));
		return TH_EIO;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(h->check, sizeof h->check, "failed: --check-cmd: wait: %s",
				 strerror(errno));
			return TH_EIO;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return TH_OK;
	if (WIFEXITED(status))
		snprintf(h->check, sizeof h->check, "failed: --check-cmd exited %d",
			 WEXITSTATUS(status));
	else
		snprintf(h->check, sizeof h->check, "failed: --check-cmd killed by signal %d",
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return TH_EIO;
}

static bool names_module(const Theseus__HistoryEntry *e, const char *module)
{
	for (size_t i = 0; i < e->n_items; i++)
		if (strcmp(e->items[i]->module, module) == 0)
			return true;
	return false;
}

/* A fault of the module: an entry of kind "fault", or (kernels that do not
 * say) one that failed with EFAULT or whose message starts with "fault". */
static bool is_fault(const Theseus__HistoryEntry *e)
{
	return (e->kind && strcmp(e->kind, "fault") == 0) ||
	       proto_status_from_wire(e->status) == TH_EFAULT ||
	       (e->message && strncmp(e->message, "fault", 5) == 0);
}

/* No fault entry for the module after the last swap to the new version. */
static int check_faults(struct ctl_ctx *ctx, const struct rollout_obj *o, struct rollout_host *h)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__HistoryRequest hq = THESEUS__HISTORY_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_HISTORY;
	req.history = &hq;
	bool after_swap = false;
	uint64_t fault_seq = 0;
	char fault_msg[96] = "";
	for (;;) {
		Theseus__Reply *rep = NULL;
		int err = ctl_call_expect(ctx, "history", &req, THESEUS__REPLY__PAYLOAD_HISTORY, &rep);
		if (err == TH_ENOTSUP)
			return TH_OK;   /* no history: nothing recorded */
		if (err) {
			snprintf(h->check, sizeof h->check, "failed: history: %s", th_err_name(err));
			return err;
		}
		const Theseus__HistoryReply *hr = rep->history;
		for (size_t i = 0; i < hr->n_entries; i++) {
			const Theseus__HistoryEntry *e = hr->entries[i];
			if (!names_module(e, o->module))
				continue;
			if (is_fault(e)) {
				if (after_swap && !fault_seq) {
					fault_seq = e->seq;
					snprintf(fault_msg, sizeof fault_msg, "%s",
						 e->message && e->message[0] ? e->message : "fault");
				}
			} else if (!e->rollback && e->status == 0 && e->n_items >= 1 &&
				   strcmp(e->items[0]->new_version, h->new_version) == 0) {
				after_swap = true;   /* (the last) swap to the new version */
				fault_seq = 0;
				fault_msg[0] = 0;
			}
		}
		hq.start += (uint32_t)hr->n_entries;
		bool more = hr->n_entries > 0 && hq.start < hr->total;
		theseus__reply__free_unpacked(rep, NULL);
		if (!more)
			break;
	}
	if (fault_seq) {
		snprintf(h->check, sizeof h->check, "failed: fault recorded (history seq %llu: %s)",
			 (unsigned long long)fault_seq, fault_msg);
		return TH_EFAULT;
	}
	return TH_OK;
}

/* Last: the host still runs the new object (ls).  A host that rebooted
 * during the wave (boot modules again) or that another client swapped
 * meanwhile would otherwise pass checks that only call the module. */
static int check_runs_new(struct ctl_ctx *ctx, const struct rollout_obj *o, struct rollout_host *h)
{
	char cur_v[PROTO_VERSION_MAX], cur_h[2 * PROTO_SHA256_LEN + 1];
	int err = rollout_host_read(ctx, o->module, cur_v, cur_h);
	if (err) {
		snprintf(h->check, sizeof h->check, "failed: ls: %s", th_err_name(err));
		return err;
	}
	if (strcmp(cur_h, o->hex) == 0)
		return TH_OK;
	if (!cur_h[0])
		snprintf(h->check, sizeof h->check, "failed: %s is no longer loaded (the host "
			 "rebooted, or another client unloaded it)", o->module);
	else
		snprintf(h->check, sizeof h->check, "failed: %s runs %s (%.12s) now, not the new "
			 "object (the host rebooted, or another client swapped it)", o->module,
			 cur_v[0] ? cur_v : "?", cur_h);
	return TH_ECONFLICT;
}

int rollout_host_check(struct ctl_ctx *ctx, const struct rollout_obj *o,
		       const struct rollout_checks *c, struct rollout_host *h)
{
	long t0 = mono_ms();
	int err = TH_OK;
	if (c->function)
		err = check_invoke(ctx, o, c->function, h);
	if (!err && c->faults)
		err = check_faults(ctx, o, h);
	if (!err && c->cmd)
		err = check_cmd(c->cmd, c->key_file, h->label, h);
	if (!err)
		err = check_runs_new(ctx, o, h);
	if (!err)
		snprintf(h->check, sizeof h->check, "ok");
	h->ms_check = mono_ms() - t0;
	return err;
}

/* The revert's error, after the one that made the host fail (kept: the
 * JSON record has one error field, and the rollback's is not the cause). */
static void revert_error(struct rollout_host *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void revert_error(struct rollout_host *h, const char *fmt, ...)
{
	size_t l = strlen(h->error);
	if (l && l + 2 < sizeof h->error) {
		memcpy(h->error + l, "; ", 3);
		l += 2;
	} else {
		l = 0;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->error + l, sizeof h->error - l, fmt, ap);
	va_end(ap);
}

int rollout_host_revert(struct ctl_ctx *ctx, const struct rollout_obj *o, struct rollout_host *h)
{
	char cur_v[PROTO_VERSION_MAX], cur_h[2 * PROTO_SHA256_LEN + 1];
	long t0 = mono_ms();
	int err = rollout_host_read(ctx, o->module, cur_v, cur_h);
	if (err) {
		revert_error(h, "rollback: %s", ctx->errmsg);
		goto out;
	}
	if (strcmp(cur_h, h->old_hash) == 0)
		goto out;   /* the swap never happened: runs its old object, or (a
			     * refused first load) still does not run the module */
	if (strcmp(cur_h, o->hex) != 0) {
		revert_error(h, "rollback: %s runs %.12s, neither the old %.12s nor the new "
			     "object: left alone", o->module, cur_h[0] ? cur_h : "nothing",
			     h->old_hash[0] ? h->old_hash : "-");
		err = TH_ECONFLICT;
		goto out;
	}
	/* No old hash: the module was not loaded before this rollout (its swap
	 * was a first load), so undoing it unloads it; otherwise a rollback that
	 * must not unload anything. */
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__RollbackRequest rb = THESEUS__ROLLBACK_REQUEST__INIT;
	Theseus__Reply *rep = NULL;
	rb.module = (char *)o->module;
	rb.keep_first_load = h->old_hash[0] != 0;
	/* Only while it runs our object (checked just above): a swap another
	 * client makes in between is refused ECONFLICT, never undone. */
	rb.expected_sha256.data = (uint8_t *)o->sha;
	rb.expected_sha256.len = sizeof o->sha;
	req.kind_case = THESEUS__REQUEST__KIND_ROLLBACK;
	req.rollback = &rb;
	err = ctl_call_expect(ctx, "rollback", &req, THESEUS__REPLY__PAYLOAD_ROLLBACK, &rep);
	if (err) {
		revert_error(h, "%s", ctx->errmsg);
		goto out;
	}
	theseus__reply__free_unpacked(rep, NULL);
	err = rollout_host_read(ctx, o->module, cur_v, cur_h);
	if (err) {
		revert_error(h, "rollback: verify: %s", ctx->errmsg);
		goto out;
	}
	if (strcmp(cur_h, h->old_hash) != 0) {
		revert_error(h, "rollback: %s runs %.12s afterwards, not the recorded old "
			     "object %.12s", o->module, cur_h[0] ? cur_h : "nothing",
			     h->old_hash[0] ? h->old_hash : "(none: not loaded)");
		err = TH_ECONFLICT;
		goto out;
	}
	h->rolled_back = true;
out:
	h->ms_rollback = mono_ms() - t0;
	if (err)
		h->rollback_failed = true;
	return err;
}

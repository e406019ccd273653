/*
 * lint_target.c - what `theseusctl lint` resolves objects against: the
 * kernel's export list (exports.txt of the module kit: "module-api N" and
 * one symbol a line) or the running kernel's list (exports_fetch.c, lint
 * --target), and the exports of module objects expected to be loaded with
 * the linted ones (--with, and the other files linted together, as one
 * batch).  A linear table: lint looks up a few hundred names.
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "klibc.h"
#include "ctl.h"
#include "loader.h"

int ctl_lint_add_sym(struct ctl_lint_syms *t, const char *name, const char *owner, bool strong)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct ctl_lint_sym *v = realloc(t->v, nc * sizeof *v);
		if (!v)
			return TH_ENOMEM;
		t->v = v;
		t->cap = nc;
	}
	t->v[t->n].name = strdup(name);
	t->v[t->n].owner = strdup(owner);
	t->v[t->n].strong = strong;
	if (!t->v[t->n].name || !t->v[t->n].owner) {
		free(t->v[t->n].name);
		free(t->v[t->n].owner);
		return TH_ENOMEM;
	}
	t->n++;
	return TH_OK;
}

static const struct ctl_lint_sym *find(const struct ctl_lint_syms *t, const char *name)
{
	const struct ctl_lint_sym *weak = NULL;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0) {
			if (t->v[i].strong)
				return &t->v[i];
			if (!weak)
				weak = &t->v[i];
		}
	return weak;
}

const char *ctl_lint_lookup(void *ctx, const char *name)
{
	const struct ctl_lint_sym *s = find(ctx, name);
	return s ? s->owner : NULL;
}

bool ctl_lint_strong(void *ctx, const char *name)
{
	const struct ctl_lint_sym *s = find(ctx, name);
	return s && s->strong;
}

int ctl_lint_load_exports(struct ctl_lint_syms *t, const char *path, struct th_errbuf *eb)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned lineno = 0;
	int err = TH_OK;

	if (!f)
		return th_errf(eb, TH_EIO, "%s: cannot open the export list", path);
	while (!err && fgets(line, sizeof line, f)) {
		size_t l = strlen(line);
		lineno++;
		int next;
		if (l == sizeof line - 1 && line[l - 1] != '\n' && (next = getc(f)) != EOF &&
		    ungetc(next, f) != EOF) {
			err = th_errf(eb, TH_EINVAL, "%s:%u: line longer than %zu bytes: not an "
				      "export list", path, lineno, sizeof line - 2);
			break;
		}
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
			line[--l] = '\0';
		if (l == 0 || line[0] == '#')
			continue;
		if (strncmp(line, "module-api ", 11) == 0) {
			t->api = (unsigned)strtoul(line + 11, NULL, 10);
			continue;
		}
		for (size_t i = 0; i < l; i++)
			if (!(line[i] == '_' || (line[i] >= 'a' && line[i] <= 'z') ||
			      (line[i] >= 'A' && line[i] <= 'Z') || (line[i] >= '0' && line[i] <= '9')))
				err = th_errf(eb, TH_EINVAL, "%s:%u: not a symbol name: %s", path,
					      lineno, line);
		if (!err && ctl_lint_add_sym(t, line, "the kernel", true))
			err = th_errf(eb, TH_ENOMEM, "no memory");
	}
	fclose(f);
	if (!err && !t->api)
		err = th_errf(eb, TH_EINVAL, "%s: no \"module-api N\" line: not an export list",
			      path);
	return err;
}

struct obj_add {
	struct ctl_lint_syms *t;
	int err;
};

static void on_export(void *ctx, const char *module, const char *name, bool weak)
{
	struct obj_add *a = ctx;
	if (!a->err)
		a->err = ctl_lint_add_sym(a->t, name, module, !weak);
}

int ctl_lint_add_object(struct ctl_lint_syms *t, const uint8_t *data, size_t len,
			const char *path, struct th_errbuf *eb)
{
	struct obj_add a = { t, TH_OK };
	int err = loader_lint_exports(data, len, on_export, &a, eb);
	if (err) {
		/* eb->msg is both the reason and the destination: copy it first
		 * (formatting it into itself garbled the message). */
		char why[sizeof eb->msg];
		snprintf(why, sizeof why, "%s", eb->msg);
		return th_errf(eb, err, "%s: %s", path, why);
	}
	if (a.err)
		return th_errf(eb, a.err, "no memory");
	return TH_OK;
}

const char *ctl_lint_default_exports(char *buf, size_t cap)
{
	static const char *const rel[] = { "/../share/theseus/exports.txt", "/kit/exports.txt" };
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		snprintf(buf, cap, "%s%s", exe, rel[i]);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return NULL;
}

void ctl_lint_free(struct ctl_lint_syms *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].owner);
	}
	free(t->v);
	memset(t, 0, sizeof *t);
}

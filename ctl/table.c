/*
 * table.c - aligned text tables for theseusctl's human output: rows of
 * strings, each column as wide as its widest cell, two spaces between
 * columns, numbers right-aligned when asked, no trailing blanks.  Cells are
 * escaped for a terminal when added (ctl_term_escape), and a cell's width
 * counts UTF-8 characters, not bytes.
 */
#include <stdlib.h>

#include "klibc.h"
#include "ctl.h"

void ctl_table_init(struct ctl_table *t, size_t ncols, const char *const *headers)
{
	memset(t, 0, sizeof *t);
	t->ncols = ncols > CTL_TABLE_MAX_COLS ? CTL_TABLE_MAX_COLS : ncols;
	for (size_t c = 0; c < t->ncols; c++)
		t->hdr[c] = headers[c];
}

void ctl_table_align_right(struct ctl_table *t, size_t col)
{
	if (col < t->ncols)
		t->right[col] = true;
}

int ctl_table_row(struct ctl_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **nc = realloc(t->cells, cap * t->ncols * sizeof *nc);
		if (!nc)
			return TH_ENOMEM;
		t->cells = nc;
		t->cap = cap;
	}
	char **row = t->cells + t->nrows * t->ncols;
	for (size_t c = 0; c < t->ncols; c++) {
		row[c] = ctl_term_dup(cells[c] ? cells[c] : "-");
		if (!row[c]) {
			while (c--)
				free(row[c]);
			return TH_ENOMEM;
		}
	}
	t->nrows++;
	return TH_OK;
}

/* Characters in s: bytes that do not continue a UTF-8 sequence (the cells
 * hold well-formed UTF-8 once escaped). */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void print_row(const struct ctl_table *t, FILE *f, const char *const *cells,
		      const size_t *w)
{
	char *line = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&line, &len);
	if (!m)
		return;
	for (size_t c = 0; c < t->ncols; c++) {
		size_t n = width(cells[c]);
		if (c)
			fputs("  ", m);
		if (t->right[c])
			fprintf(m, "%*s%s", (int)(w[c] - n), "", cells[c]);
		else
			fprintf(m, "%s%*s", cells[c], (int)(w[c] - n), "");
	}
	fclose(m);
	while (len && line[len - 1] == ' ')
		len--;
	fwrite(line, 1, len, f);
	fputc('\n', f);
	free(line);
}

void ctl_table_print(const struct ctl_table *t, FILE *f)
{
	size_t w[CTL_TABLE_MAX_COLS];
	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = width(t->hdr[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t len = width(t->cells[r * t->ncols + c]);
			if (len > w[c])
				w[c] = len;
		}
	}
	print_row(t, f, t->hdr, w);
	for (size_t r = 0; r < t->nrows; r++)
		print_row(t, f, (const char *const *)t->cells + r * t->ncols, w);
}

void ctl_table_free(struct ctl_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

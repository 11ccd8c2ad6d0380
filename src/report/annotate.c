/*
 * annotate.c: source lines with their share of samples (annotate.h states what is counted).
 *
 * One walk over the stacks that have samples (values summed per stack node first, so a long
 * profile costs what its distinct stacks cost): each location of a stack is looked up in its
 * inline chain for matching functions, which are charged at the location's innermost line.
 * The (function, file, line) entries are then sorted and merged.
 *
 * Printing reads each source file once per function block; a file that cannot be read leaves
 * the counted lines alone on screen, with a note. Not here: the instructions (disasm.c), ranking
 * lines over the whole profile (top.c, --by line).
 */
#include "report/annotate.h"

#include "util/strbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Lines shown around each sampled line, and the gap below which two windows become one. */
#define CONTEXT	 2
#define JOIN_GAP 8
/* Source files larger than this are not read (the lines are listed without their text). */
#define MAX_SOURCE (64u << 20)

struct ent {
	uint32_t fi; /* index into the matched functions */
	sc_str file;
	int64_t line;
	int64_t self, total;
};

typedef SC_VEC(struct ent) ent_vec;

struct ctx {
	const sc_profile *p;
	const sc_annotate_func *funcs;
};

static sc_str function_file(const sc_profile *p, uint32_t fid)
{
	const sc_function *f = sc_profile_function(p, fid);
	return f ? f->filename : 0;
}

/* (function, own file first, file name, line). */
static int ent_cmp(const void *x, const void *y, void *c)
{
	const struct ent *a = x, *b = y;
	const struct ctx *cx = c;
	if (a->fi != b->fi)
		return a->fi < b->fi ? -1 : 1;
	if (a->file != b->file) {
		sc_str own = function_file(cx->p, cx->funcs[a->fi].function);
		if (a->file == own || b->file == own)
			return a->file == own ? -1 : 1;
		int s = strcmp(sc_profile_str(cx->p, a->file), sc_profile_str(cx->p, b->file));
		if (s)
			return s;
		return a->file < b->file ? -1 : 1;
	}
	return a->line < b->line ? -1 : a->line > b->line;
}

static int func_cmp(const void *x, const void *y, void *c)
{
	const sc_annotate_func *a = x, *b = y;
	const sc_profile *p = c;
	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	if (a->self != b->self)
		return a->self > b->self ? -1 : 1;
	const sc_function *fa = sc_profile_function(p, a->function);
	const sc_function *fb = sc_profile_function(p, b->function);
	int s = strcmp(sc_profile_str(p, fa->name), sc_profile_str(p, fb->name));
	return s ? s : (a->function < b->function ? -1 : 1);
}

void sc_annotate_release(sc_annotate *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->len; i++)
		free(a->funcs[i].lines);
	free(a->funcs);
	a->funcs = NULL;
	a->len = 0;
}

/* Charges each stack with samples to the matched functions on it (fmatch: function id - 1 ->
 * index into a->funcs or -1). */
static int walk(const sc_profile *p, int type, const int32_t *fmatch, sc_annotate *a, ent_vec *ents)
{
	int r = -ENOMEM;
	int64_t *val = calloc(p->nodes.len ? p->nodes.len : 1, sizeof(*val));
	uint32_t *seen = calloc(a->len ? a->len : 1, sizeof(*seen));
	if (!val || !seen)
		goto out;
	for (size_t i = 0; i < p->samples.len; i++) {
		int64_t v = sc_profile_sample_values(p, i)[type];
		val[p->samples.data[i].stack] = sc_sat_add(val[p->samples.data[i].stack], v);
		a->grand_total = sc_sat_add(a->grand_total, v);
	}
	for (size_t n = 1; n < p->nodes.len; n++) {
		if (!val[n])
			continue;
		for (sc_stack_id cur = (sc_stack_id)n; cur; cur = sc_profile_node(p, cur)->parent) {
			const sc_location *loc =
			    sc_profile_location(p, sc_profile_node(p, cur)->location);
			if (!loc || !loc->nlines)
				continue;
			const sc_line *lines = sc_profile_location_lines(p, loc);
			for (uint32_t j = 0; j < loc->nlines; j++) {
				uint32_t fid = lines[j].function;
				int32_t k = fid && fid <= p->functions.len ? fmatch[fid - 1] : -1;
				if (k < 0 || seen[k] == n)
					continue;
				seen[k] = (uint32_t)n;
				struct ent e = {(uint32_t)k, function_file(p, lines[0].function),
						lines[0].line, cur == n ? val[n] : 0, val[n]};
				if (sc_vec_push(ents, e) < 0)
					goto out;
				sc_annotate_func *f = &a->funcs[k];
				f->self = sc_sat_add(f->self, e.self);
				f->total = sc_sat_add(f->total, e.total);
			}
		}
	}
	r = 0;
out:
	free(val);
	free(seen);
	return r;
}

/* Merges the sorted entries into each function's lines. */
static int merge(sc_annotate *a, const struct ent *e, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && e[j].fi == e[i].fi)
			j++;
		sc_annotate_func *f = &a->funcs[e[i].fi];
		f->lines = calloc(j - i, sizeof(*f->lines));
		if (!f->lines)
			return -ENOMEM;
		for (size_t k = i; k < j; k++) {
			sc_annotate_line *last = f->nlines ? &f->lines[f->nlines - 1] : NULL;
			if (last && last->file == e[k].file && last->line == e[k].line) {
				last->self = sc_sat_add(last->self, e[k].self);
				last->total = sc_sat_add(last->total, e[k].total);
			} else {
				f->lines[f->nlines++] =
				    (sc_annotate_line){e[k].file, e[k].line, e[k].self, e[k].total};
			}
		}
		i = j;
	}
	return 0;
}

int sc_annotate_compute(const sc_profile *p, int type, const char *regex, sc_annotate *a)
{
	memset(a, 0, sizeof(*a));
	a->type = type;
	if (type < 0 || (size_t)type >= p->nsample_types || !regex)
		return -EINVAL;
	regex_t re;
	int rc = regcomp(&re, regex, REG_EXTENDED | REG_NOSUB);
	if (rc)
		return rc == REG_ESPACE ? -ENOMEM : -EINVAL;
	int r = -ENOMEM;
	ent_vec ents = {0};
	int32_t *fmatch = malloc((p->functions.len ? p->functions.len : 1) * sizeof(*fmatch));
	if (!fmatch)
		goto out_regex;
	size_t nmatch = 0;
	for (size_t i = 0; i < p->functions.len; i++) {
		const char *name = sc_profile_str(p, p->functions.data[i].name);
		rc = regexec(&re, name, 0, NULL, 0);
		if (rc == REG_ESPACE)
			goto out_fmatch;
		fmatch[i] = rc == 0 ? (int32_t)nmatch++ : -1;
	}
	r = -ENOENT;
	if (!nmatch)
		goto out_fmatch;
	r = -ENOMEM;
	a->funcs = calloc(nmatch, sizeof(*a->funcs));
	if (!a->funcs)
		goto out_fmatch;
	a->len = nmatch;
	for (size_t i = 0; i < p->functions.len; i++)
		if (fmatch[i] >= 0)
			a->funcs[fmatch[i]].function = (uint32_t)i + 1;
	if ((r = walk(p, type, fmatch, a, &ents)) < 0)
		goto out_ents;
	struct ctx cx = {p, a->funcs};
	if (ents.len)
		qsort_r(ents.data, ents.len, sizeof(*ents.data), ent_cmp, &cx);
	if ((r = merge(a, ents.data, ents.len)) < 0)
		goto out_ents;
	/* Matching functions without samples are not shown. */
	size_t kept = 0;
	for (size_t i = 0; i < a->len; i++) {
		if (a->funcs[i].total || a->funcs[i].self || a->funcs[i].nlines)
			a->funcs[kept++] = a->funcs[i];
		else
			free(a->funcs[i].lines);
	}
	a->len = kept;
	r = kept ? 0 : -ENOENT;
	if (kept)
		qsort_r(a->funcs, a->len, sizeof(*a->funcs), func_cmp, (void *)p);
out_ents:
	sc_vec_release(&ents);
	if (r < 0)
		sc_annotate_release(a);
out_fmatch:
	free(fmatch);
out_regex:
	regfree(&re);
	return r;
}

/* ---- printing ---- */

struct source {
	char *buf;
	size_t *starts; /* starts[i]: offset of line i + 1; starts[nlines] = end */
	size_t nlines;
};

static void source_release(struct source *s)
{
	free(s->buf);
	free(s->starts);
	memset(s, 0, sizeof(*s));
}

/* Reads `path`. Returns 0, -ENOENT (or another -errno) when it cannot be read, -EFBIG, -ENOMEM. */
static int source_read(struct source *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	if (!*path)
		return -ENOENT;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	int r = -ENOMEM;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_SOURCE) {
				r = -EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			char *grown = realloc(s->buf, cap + 1);
			if (!grown)
				goto out;
			s->buf = grown;
		}
		size_t got = fread(s->buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		r = -EIO;
		goto out;
	}
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += s->buf[i] == '\n';
	s->starts = malloc((n + 2) * sizeof(*s->starts));
	if (!s->starts)
		goto out;
	s->starts[0] = 0;
	for (size_t i = 0; i < len; i++)
		if (s->buf[i] == '\n')
			s->starts[++s->nlines] = i + 1;
	if (len && s->buf[len - 1] != '\n')
		s->starts[++s->nlines] = len + 1; /* a last line without newline */
	s->buf[len] = '\n';
	r = 0;
out:
	fclose(f);
	if (r < 0)
		source_release(s);
	return r;
}

/* Appends source line `line` (1-based) with tabs expanded and control bytes escaped. */
static int add_source_line(sc_strbuf *sb, const struct source *s, int64_t line)
{
	const char *b = s->buf + s->starts[line - 1];
	size_t len = s->starts[line] - s->starts[line - 1] - 1, col = 0;
	char tmp[2] = {0, 0};
	for (size_t i = 0; i < len; i++) {
		int r;
		if (b[i] == '\t') {
			do
				r = sc_strbuf_addc(sb, ' ');
			while (r == 0 && ++col % 8);
		} else if (b[i] == '\r' && i + 1 == len) {
			r = 0;
		} else {
			tmp[0] = b[i];
			r = sc_strbuf_add_text(sb, tmp);
			col++;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_shares(sc_strbuf *sb, const sc_annotate_line *l, int64_t whole)
{
	if (!l || (!l->self && !l->total))
		return sc_strbuf_adds(sb, "                ");
	double d = whole > 0 ? (double)whole : 1;
	if (!l->self)
		return sc_strbuf_addf(sb, "        %6.1f%% ", 100.0 * (double)l->total / d);
	return sc_strbuf_addf(sb, "%6.1f%% %6.1f%% ", 100.0 * (double)l->self / d,
			      100.0 * (double)l->total / d);
}

/* Prints one file's block of a function: lines [first, last) of f->lines. */
static int add_block(sc_strbuf *sb, const sc_profile *p, const sc_annotate_func *fn, size_t first,
		     size_t last, bool own)
{
	const sc_function *func = sc_profile_function(p, fn->function);
	sc_str file = fn->lines[first].file;
	const char *path = sc_profile_str(p, file);
	struct source src;
	int r = source_read(&src, path);
	if (r == -ENOMEM)
		return r;
	bool have = r == 0;
	if (!own && (r = sc_strbuf_addf(sb, "  inlined from ")) < 0)
		goto out;
	if (!own && ((r = sc_strbuf_add_text(sb, *path ? path : "(unknown file)")) < 0 ||
		     (r = sc_strbuf_adds(sb, ":\n")) < 0))
		goto out;
	if (!have) {
		r = sc_strbuf_adds(sb, "  (source not found: ");
		if (r == 0)
			r = sc_strbuf_add_text(sb, *path ? path : "no file name recorded");
		if (r == 0)
			r = sc_strbuf_adds(sb, "; the lines with samples:)\n");
		for (size_t i = first; r == 0 && i < last; i++) {
			const sc_annotate_line *l = &fn->lines[i];
			r = add_shares(sb, l, fn->total);
			if (r == 0)
				r = l->line > 0 ? sc_strbuf_addf(sb, "%6" PRId64 "\n", l->line)
						: sc_strbuf_adds(sb, "     ?\n");
		}
		goto out;
	}
	/* Windows of context around the sampled lines (and the function's first line), joined
	 * when close; lines the file does not have are listed alone. */
	int64_t nl = (int64_t)src.nlines, hi = -1;
	size_t i = first;
	int64_t start = own && func->start_line > 0 ? func->start_line : 0;
	bool printed = false;
	while (r == 0 && (i < last || start)) {
		int64_t next = i < last ? fn->lines[i].line : INT64_MAX;
		int64_t wlo, whi;
		size_t i0 = i;
		bool at_start = start && start <= next;
		if (at_start) {
			wlo = start;
			whi = start + CONTEXT;
			start = 0;
		} else if (next <= 0 || next > nl) {
			/* Unknown line or past the end of the file. */
			r = add_shares(sb, &fn->lines[i], fn->total);
			if (r == 0)
				r = next > 0 ? sc_strbuf_addf(
						   sb, "%6" PRId64 "  (not in the file)\n", next)
					     : sc_strbuf_adds(sb, "     ?  (no line recorded)\n");
			i++;
			continue;
		} else {
			wlo = next - CONTEXT;
			whi = next + CONTEXT;
		}
		if (wlo < 1)
			wlo = 1;
		if (whi > nl)
			whi = nl;
		if (printed && wlo <= hi + JOIN_GAP)
			wlo = hi + 1;
		else if (printed && wlo > hi + 1)
			r = sc_strbuf_adds(sb, "                     ...\n");
		for (int64_t ln = wlo; r == 0 && ln <= whi; ln++) {
			const sc_annotate_line *l = NULL;
			while (i < last && fn->lines[i].line > 0 && fn->lines[i].line < ln)
				i++; /* (already printed) */
			if (i < last && fn->lines[i].line == ln) {
				l = &fn->lines[i++];
				/* A sampled line inside the window brings its own context. */
				if (ln + CONTEXT > whi)
					whi = ln + CONTEXT < nl ? ln + CONTEXT : nl;
			}
			r = add_shares(sb, l, fn->total);
			if (r == 0)
				r = sc_strbuf_addf(sb, "%6" PRId64 "  ", ln);
			if (r == 0)
				r = add_source_line(sb, &src, ln);
			if (r == 0)
				r = sc_strbuf_addc(sb, '\n');
		}
		if (whi >= wlo) {
			hi = whi > hi ? whi : hi;
			printed = true;
		}
		if (!at_start && i == i0)
			i++; /* (cannot happen: each window holds its line; never loop forever) */
	}
out:
	source_release(&src);
	return r;
}

int sc_annotate_add_value(sc_strbuf *sb, const sc_profile *p, int type, int64_t v)
{
	const char *t = sc_profile_str(p, p->sample_types[type].type);
	const char *unit = sc_profile_str(p, p->sample_types[type].unit);
	if (strcmp(unit, "nanoseconds") == 0)
		return sc_strbuf_addf(sb, "%.3f s of %s", (double)v / 1e9, t);
	if (strcmp(unit, "count") == 0 || !*unit)
		return sc_strbuf_addf(sb, "%" PRId64 " %s", v, *t ? t : "samples");
	return sc_strbuf_addf(sb, "%" PRId64 " %s of %s", v, unit, t);
}

static int add_func(sc_strbuf *sb, const sc_profile *p, const sc_annotate *a,
		    const sc_annotate_func *fn)
{
	const sc_function *func = sc_profile_function(p, fn->function);
	const char *file = sc_profile_str(p, func->filename);
	double all = a->grand_total > 0 ? (double)a->grand_total : 1;
	int r = sc_strbuf_add_text(sb, sc_profile_str(p, func->name));
	if (r == 0 && *file) {
		r = sc_strbuf_adds(sb, "  (");
		if (r == 0)
			r = sc_strbuf_add_text(sb, file);
		if (r == 0)
			r = func->start_line > 0
				? sc_strbuf_addf(sb, ":%" PRId64 ")", func->start_line)
				: sc_strbuf_addc(sb, ')');
	}
	if (r == 0)
		r = sc_strbuf_adds(sb, "\n  total ");
	if (r == 0)
		r = sc_annotate_add_value(sb, p, a->type, fn->total);
	if (r == 0)
		r = sc_strbuf_addf(sb, " (%.1f%% of all), self ", 100.0 * (double)fn->total / all);
	if (r == 0)
		r = sc_annotate_add_value(sb, p, a->type, fn->self);
	if (r == 0)
		r = sc_strbuf_addf(sb,
				   " (%.1f%%); the shares below are of the function's total\n"
				   "   self%%  total%%   line\n",
				   100.0 * (double)fn->self / all);
	for (size_t i = 0; r == 0 && i < fn->nlines;) {
		size_t j = i;
		while (j < fn->nlines && fn->lines[j].file == fn->lines[i].file)
			j++;
		r = add_block(sb, p, fn, i, j, fn->lines[i].file == func->filename);
		i = j;
	}
	return r;
}

int sc_annotate_print_functions(size_t len, size_t n,
				int (*add)(sc_strbuf *sb, size_t i, void *ctx), void *ctx, FILE *f)
{
	sc_strbuf sb = {0};
	int r = 0;
	size_t count = n && n < len ? n : len;
	for (size_t i = 0; r == 0 && i < count; i++) {
		sc_strbuf_reset(&sb);
		if (i)
			r = sc_strbuf_addc(&sb, '\n');
		if (r == 0)
			r = add(&sb, i, ctx);
		if (r == 0 && fwrite(sc_strbuf_cstr(&sb), 1, sb.len, f) != sb.len)
			r = -EIO;
	}
	if (r == 0 && count < len)
		r = fprintf(f, "\n(%zu more matching function%s: raise -n to see them)\n",
			    len - count, len - count == 1 ? "" : "s") < 0
			? -EIO
			: 0;
	sc_strbuf_release(&sb);
	return r;
}

struct print_ctx {
	const sc_profile *p;
	const sc_annotate *a;
};

static int add_nth(sc_strbuf *sb, size_t i, void *ctx)
{
	const struct print_ctx *c = ctx;
	return add_func(sb, c->p, c->a, &c->a->funcs[i]);
}

int sc_annotate_print_text(const sc_profile *p, const sc_annotate *a, size_t n, FILE *f)
{
	struct print_ctx c = {p, a};
	return sc_annotate_print_functions(a->len, n, add_nth, &c, f);
}

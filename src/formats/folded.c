/*
 * folded.c: FlameGraph's folded stacks, written and read (see folded.h for the contract).
 *
 *     main;parse;lex 120
 *     main;parse 30
 *     main;eval 250
 *
 * One line per stack, frames outermost first separated by ';', then a space and a count. Nothing
 * else: no header, no version. Frame names cannot contain ';' or a line break, so the writer
 * replaces ';' with ':' and line breaks with spaces.
 *
 * Writing sums one sample type per stack node, renders each node with a nonzero total to its text,
 * merges nodes whose text is equal (two call sites in the same function are two locations but one
 * folded frame), and prints the lines sorted bytewise, so equal profiles give equal files whatever
 * order they were recorded in.
 *
 * Parsing is built for files of millions of lines: each frame name is interned once through the
 * model (string -> function -> location, remembered by string id), and a line that starts with
 * the same frames as the line before it (sorted folded files mostly do) reuses that line's stack
 * nodes instead of looking them up again.
 */
#include "formats/folded.h"
#include "util/hashmap.h"
#include "util/strbuf.h"
#include "util/vec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Writing
 */

struct line {
	size_t off, len; /* the stack text in the writer's buffer */
	int64_t total;
};

struct writer {
	const sc_profile *p;
	sc_strbuf text; /* every distinct stack's text, back to back */
	SC_VEC(struct line) lines;
	sc_hashmap index; /* hash of a stack's text -> index in lines */
	SC_VEC(sc_frame) frames;
};

static bool line_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct writer *w = ctx;
	const struct line *a = &w->lines.data[value], *b = key;
	return a->len == b->len && memcmp(w->text.buf + a->off, w->text.buf + b->off, a->len) == 0;
}

static int add_frame_name(sc_strbuf *sb, const char *name)
{
	size_t start = sb->len;
	if (sc_strbuf_adds(sb, name) < 0)
		return -ENOMEM;
	for (char *c = sb->buf + start; *c; c++) {
		if (*c == ';')
			*c = ':';
		else if (*c == '\n' || *c == '\r')
			*c = ' ';
	}
	return 0;
}

/* Renders the frames of stack `id` at the end of w->text, each preceded by ';' when `sep`. */
static int render_stack(struct writer *w, sc_stack_id id, bool sep)
{
	size_t nf = sc_profile_stack_frames(w->p, id, w->frames.data, w->frames.cap);
	if (nf > w->frames.cap) {
		if (sc_vec_reserve(&w->frames, nf) < 0)
			return -ENOMEM;
		sc_profile_stack_frames(w->p, id, w->frames.data, w->frames.cap);
	}
	for (size_t i = 0; i < nf; i++) {
		if (((i || sep) && sc_strbuf_addc(&w->text, ';') < 0) ||
		    add_frame_name(&w->text, sc_profile_frame_name(w->p, &w->frames.data[i])) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Merges the line whose text is w->text[off..] into w->lines with `total`. */
static int merge_line(struct writer *w, size_t off, int64_t total)
{
	struct line l = {off, w->text.len - off, total};
	uint64_t h = sc_hash_bytes(w->text.buf ? w->text.buf + off : "", l.len, 0), v;
	if (sc_hashmap_get(&w->index, h, line_eq, &l, w, &v)) {
		int64_t *t = &w->lines.data[v].total;
		if (__builtin_add_overflow(*t, total, t))
			*t = total > 0 ? INT64_MAX : INT64_MIN;
		w->text.len = off; /* a duplicate: drop its text */
		return 0;
	}
	if (sc_vec_push(&w->lines, l) < 0 || sc_hashmap_put(&w->index, h, w->lines.len - 1) < 0)
		return -ENOMEM;
	return 0;
}

/* Renders stack `id` at the end of w->text and merges it into w->lines. */
static int add_stack(struct writer *w, sc_stack_id id, int64_t total)
{
	size_t off = w->text.len;
	int r = render_stack(w, id, false);
	return r < 0 ? r : merge_line(w, off, total);
}

/* Sample i's label `key`, or NULL. */
static const sc_label *sample_label(const sc_profile *p, size_t i, const char *key)
{
	const sc_sample *s = &p->samples.data[i];
	for (uint32_t k = 0; k < s->nlabels; k++) {
		const sc_label *l = &p->labels.data[s->first_label + k];
		if (strcmp(sc_profile_str(p, l->key), key) == 0)
			return l;
	}
	return NULL;
}

/* Sample i's "comm" string label, or NULL. */
static const char *sample_comm(const sc_profile *p, size_t i)
{
	const sc_label *l = sample_label(p, i, "comm");
	return l && l->str ? sc_profile_str(p, l->str) : NULL;
}

/* Renders sample i's root frame ("comm", "comm-PID" or "comm-PID/TID", blanks in comm as '_')
 * at the end of w->text. Sets *has to false (rendering nothing) when `root` is COMM and the
 * sample has no comm label. */
static int render_root(struct writer *w, size_t i, sc_folded_root root, bool *has)
{
	const sc_sample *s = &w->p->samples.data[i];
	const char *comm = sample_comm(w->p, i);
	*has = comm || root != SC_FOLDED_ROOT_COMM;
	if (!*has)
		return 0;
	size_t start = w->text.len;
	if (add_frame_name(&w->text, comm ? comm : "[unknown]") < 0)
		return -ENOMEM;
	for (size_t k = start; k < w->text.len; k++)
		if (w->text.buf[k] == ' ' || w->text.buf[k] == '\t')
			w->text.buf[k] = '_';
	int r = 0;
	if (root == SC_FOLDED_ROOT_PID || root == SC_FOLDED_ROOT_TID) {
		/* Unknown (perf script with only the tid): '?', as FlameGraph prints it. */
		const sc_label *unknown = sample_label(w->p, i, "pid_unknown");
		if (s->pid && !(unknown && unknown->num))
			r = sc_strbuf_addf(&w->text, "-%" PRIu32, s->pid);
		else
			r = sc_strbuf_adds(&w->text, "-?");
	}
	if (r == 0 && root == SC_FOLDED_ROOT_TID)
		r = sc_strbuf_addf(&w->text, "/%" PRIu32, s->tid);
	return r < 0 ? -ENOMEM : 0;
}

/* One line per sample (roots differ between samples of one stack). */
static int add_samples_with_roots(struct writer *w, int type, sc_folded_root root)
{
	const sc_profile *p = w->p;
	for (size_t i = 0; i < p->samples.len; i++) {
		int64_t v = sc_profile_sample_values(p, i)[type];
		size_t off = w->text.len;
		bool has;
		int r;
		if (!v)
			continue;
		if ((r = render_root(w, i, root, &has)) < 0 ||
		    (r = render_stack(w, p->samples.data[i].stack, has)) < 0)
			return r;
		if (w->text.len == off)
			continue; /* no root and the empty stack: nothing to print */
		if ((r = merge_line(w, off, v)) < 0)
			return r;
	}
	return 0;
}

static int line_cmp(const void *a, const void *b, void *ctx)
{
	const char *text = ctx;
	const struct line *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(text + x->off, text + y->off, n);
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

int sc_folded_write(const sc_profile *p, int type, FILE *f)
{
	return sc_folded_write_root(p, type, SC_FOLDED_ROOT_COMM, f);
}

/* Does any sample carry a "comm" label? */
static bool any_comm(const sc_profile *p)
{
	for (size_t i = 0; i < p->samples.len; i++)
		if (sample_comm(p, i))
			return true;
	return false;
}

int sc_folded_write_root(const sc_profile *p, int type, sc_folded_root root, FILE *f)
{
	if (type < 0 || (size_t)type >= p->nsample_types || root < SC_FOLDED_ROOT_NONE ||
	    root > SC_FOLDED_ROOT_TID)
		return -EINVAL;
	struct writer w = {.p = p};
	int r = 0;
	int64_t *totals = NULL;
	if (root != SC_FOLDED_ROOT_NONE && (root != SC_FOLDED_ROOT_COMM || any_comm(p))) {
		if ((r = add_samples_with_roots(&w, type, root)) < 0)
			goto out;
		goto print;
	}
	totals = calloc(p->nodes.len, sizeof(*totals));
	if (!totals)
		return -ENOMEM;
	/* Saturating sums: a hostile file's values must not overflow into undefined behaviour. */
	for (size_t i = 0; i < p->samples.len; i++) {
		int64_t *t = &totals[p->samples.data[i].stack];
		if (__builtin_add_overflow(*t, sc_profile_sample_values(p, i)[type], t))
			*t = sc_profile_sample_values(p, i)[type] > 0 ? INT64_MAX : INT64_MIN;
	}
	/* The root (empty stack) has no frames to print: skip it. */
	for (size_t id = 1; id < p->nodes.len; id++)
		if (totals[id] && (r = add_stack(&w, (sc_stack_id)id, totals[id])) < 0)
			goto out;
print:
	if (w.lines.len)
		qsort_r(w.lines.data, w.lines.len, sizeof(*w.lines.data), line_cmp, w.text.buf);
	for (size_t i = 0; i < w.lines.len; i++) {
		const struct line *l = &w.lines.data[i];
		if (!l->total)
			continue; /* positive and negative values may cancel out */
		if (fwrite(w.text.buf + l->off, 1, l->len, f) != l->len ||
		    fprintf(f, " %" PRId64 "\n", l->total) < 0) {
			r = errno ? -errno : -EIO;
			goto out;
		}
	}
	if (ferror(f))
		r = -EIO;
out:
	free(totals);
	sc_strbuf_release(&w.text);
	sc_vec_release(&w.lines);
	sc_hashmap_release(&w.index);
	sc_vec_release(&w.frames);
	return r;
}

/* ---------------------------------------------------------------------------------------------
 * Parsing
 */

struct prev_frame {
	size_t end;	  /* offset just past the frame's name in the previous line's stack */
	sc_stack_id node; /* the stack node of the stack up to and including this frame */
};

struct parser {
	sc_profile *p;
	SC_VEC(uint32_t) loc_of_str; /* string id -> location id for that frame name, 0 if none */
	SC_VEC(struct prev_frame) prev;
	const char *prev_stack;
	size_t prev_len;
};

/* The location standing for frame name s[0..n), created on first sight. */
static int64_t frame_location(struct parser *ps, const char *s, size_t n)
{
	if (n == 0) {
		s = "[unknown]";
		n = strlen(s);
	}
	int64_t str = sc_profile_intern_n(ps->p, s, n);
	if (str < 0)
		return str;
	while (ps->loc_of_str.len <= (size_t)str)
		if (sc_vec_push(&ps->loc_of_str, 0) < 0)
			return -ENOMEM;
	if (ps->loc_of_str.data[str])
		return ps->loc_of_str.data[str];
	sc_function fn = {.name = (sc_str)str};
	int64_t f = sc_profile_add_function(ps->p, &fn);
	if (f < 0)
		return f;
	sc_line line = {.function = (uint32_t)f};
	int64_t loc = sc_profile_add_location(ps->p, 0, 0, &line, 1);
	if (loc < 0)
		return loc;
	ps->loc_of_str.data[str] = (uint32_t)loc;
	return loc;
}

/* Interns the stack s[0..n) ("a;b;c") and returns its leaf node. */
static int64_t parse_stack(struct parser *ps, const char *s, size_t n)
{
	/* Reuse the frames this stack shares with the previous line's. */
	size_t common = 0, lim = n < ps->prev_len ? n : ps->prev_len;
	while (common < lim && s[common] == ps->prev_stack[common])
		common++;
	size_t keep = 0;
	while (keep < ps->prev.len) {
		size_t end = ps->prev.data[keep].end;
		if (end < common || (end == common && (end == n || s[end] == ';')))
			keep++;
		else
			break;
	}
	sc_stack_id node = keep ? ps->prev.data[keep - 1].node : 0;
	size_t pos = keep ? ps->prev.data[keep - 1].end + 1 : 0;
	ps->prev.len = keep;
	while (pos <= n) {
		const char *semi = memchr(s + pos, ';', n - pos);
		size_t end = semi ? (size_t)(semi - s) : n;
		int64_t loc = frame_location(ps, s + pos, end - pos);
		if (loc < 0)
			return loc;
		int64_t child = sc_profile_stack_child(ps->p, node, (uint32_t)loc);
		if (child < 0)
			return child;
		node = (sc_stack_id)child;
		struct prev_frame pf = {end, node};
		if (sc_vec_push(&ps->prev, pf) < 0)
			return -ENOMEM;
		pos = end + 1;
	}
	ps->prev_stack = s;
	ps->prev_len = n;
	return node;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int sc_folded_parse(const char *data, size_t n, sc_profile **out, sc_diag *d)
{
	struct parser ps = {0};
	int r = 0;
	*out = NULL;
	ps.p = sc_profile_new();
	if (!ps.p)
		return -ENOMEM;
	if ((r = sc_profile_add_sample_type(ps.p, "samples", "count")) < 0)
		goto out;
	ps.p->default_sample_type = ps.p->sample_types[0].type;

	int64_t lineno = 0;
	for (size_t pos = 0; pos < n;) {
		const char *line = data + pos;
		const char *nl = memchr(line, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - line) : n - pos;
		pos += len + 1;
		lineno++;
		if (len && line[len - 1] == '\r')
			len--;
		size_t end = len;
		while (end && is_blank(line[end - 1]))
			end--;
		if (!end)
			continue; /* blank line */
		/* The count is after the last space (or tab); the stack before it. */
		size_t sp = end;
		while (sp && !is_blank(line[sp - 1]))
			sp--;
		if (!sp) {
			r = sc_diag_error(d, lineno, (int64_t)end + 1, -1,
					  "expected a space and a count after the stack");
			goto out;
		}
		uint64_t count = 0;
		for (size_t i = sp; i < end; i++) {
			unsigned digit = (unsigned char)line[i] - '0';
			if (digit > 9 || count > ((uint64_t)INT64_MAX - digit) / 10) {
				r = sc_diag_error(d, lineno, (int64_t)sp + 1, -1,
						  "the count '%.*s' is not a non-negative integer",
						  (int)(end - sp > 40 ? 40 : end - sp), line + sp);
				goto out;
			}
			count = count * 10 + digit;
		}
		size_t slen = sp;
		while (slen && is_blank(line[slen - 1]))
			slen--;
		if (!slen) {
			r = sc_diag_error(d, lineno, 1, -1, "the line has a count but no stack");
			goto out;
		}
		int64_t stack = parse_stack(&ps, line, slen);
		if (stack < 0) {
			r = (int)stack;
			goto out;
		}
		int64_t v = (int64_t)count;
		if (sc_profile_add_sample(ps.p, (sc_stack_id)stack, &v, 0, 0, 0) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
out:
	sc_vec_release(&ps.loc_of_str);
	sc_vec_release(&ps.prev);
	if (r < 0)
		sc_profile_free(ps.p);
	else
		*out = ps.p;
	return r;
}

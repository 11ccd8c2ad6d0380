/*
 * toml.c: the TOML 1.0 reader's parser: the document's structure (key/value lines, [tables],
 * [[arrays of tables]], the redefinition rules), keys, strings, arrays and inline tables.
 * Strings are in toml_string.c, numbers and dates in toml_scalar.c, the tree in toml_tree.c;
 * toml.h is the manual.
 *
 * One pass over a NUL-terminated copy of the text, recursive descent for values (bounded by
 * SC_TOML_MAX_DEPTH). Before parsing, one scan refuses what TOML allows nowhere: ill-formed UTF-8,
 * control characters other than tab and newline, a carriage return not before a line feed; so
 * the parser proper only meets text characters, tabs and newlines.
 *
 * The redefinition rules, as flags on tables (toml_int.h): a [header] marks its table EXPLICIT
 * (a second header for it is an error) and makes missing parents as plain implicit tables, which
 * a later header may still define; a dotted key (a.b = 1) makes DOTTED tables, which no header
 * may define later but a header may go below ([a.b.c] after a.b.x = 1); a dotted key cannot go
 * into an EXPLICIT table (it has its own header), nor into a finished INLINE table or an array.
 * [[a]] appends to an AOT array; a static array (a = [...]) is never extended.
 */
#include "config/toml_int.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sc_toml_where(toml_parser *p, size_t off, uint32_t *line, uint32_t *col)
{
	if (off < p->at) {
		/* Back, as from a value to its key: over that distance only (and the key's line
		 * when a newline lies between), never from the start, or a file of many keys
		 * would cost the square of its size. */
		size_t nl = 0;
		for (size_t i = off; i < p->at; i++)
			nl += p->s[i] == '\n';
		if (!nl) {
			for (size_t i = off; i < p->at; i++)
				p->col -= ((unsigned char)p->s[i] & 0xc0) != 0x80;
		} else {
			size_t ls = off;
			while (ls > 0 && p->s[ls - 1] != '\n')
				ls--;
			p->line -= (uint32_t)nl;
			p->col = 1;
			for (size_t i = ls; i < off; i++)
				p->col += ((unsigned char)p->s[i] & 0xc0) != 0x80;
		}
		p->at = off;
	}
	for (; p->at < off && p->at < p->n; p->at++) {
		unsigned char c = (unsigned char)p->s[p->at];
		if (c == '\n') {
			p->line++;
			p->col = 1;
		} else if ((c & 0xc0) != 0x80) {
			p->col++;
		}
	}
	*line = p->line;
	*col = p->col;
}

int sc_toml_err(toml_parser *p, size_t off, const char *fmt, ...)
{
	if (!p->d)
		return -EINVAL;
	uint32_t line, col;
	sc_toml_where(p, off, &line, &col);
	char msg[sizeof(p->d->message)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sc_diag_error(p->d, line, col, -1, "%s", msg);
}

int sc_toml_nomem(toml_parser *p)
{
	sc_diag_error(p->d, 0, 0, -1, "out of memory");
	return -ENOMEM;
}

/* A key as written: its parts (unescaped), each with its offset. */
typedef struct keypart {
	char *s;
	size_t len, off;
} keypart;

typedef struct key {
	keypart part[SC_TOML_MAX_DEPTH];
	int n;
	size_t off;
} key;

static void key_release(key *k)
{
	for (int i = 0; i < k->n; i++)
		free(k->part[i].s);
	k->n = 0;
}

/* The key's parts 0..upto joined by dots, for messages: control characters (a key may hold a
 * newline or a NUL from an escape) shown as \xNN, so a message stays one line. No allocation:
 * called on every key. */
static const char *key_text(const key *k, int upto, char *buf, size_t size)
{
	size_t len = 0;
	for (int i = 0; i <= upto; i++) {
		if (i && len + 1 < size)
			buf[len++] = '.';
		for (size_t j = 0; j < k->part[i].len && len + 5 < size; j++) {
			unsigned char c = (unsigned char)k->part[i].s[j];
			if (c < 0x20 || c == 0x7f)
				len += (size_t)snprintf(buf + len, size - len, "\\x%02x", c);
			else
				buf[len++] = (char)c;
		}
	}
	buf[len] = '\0';
	return buf;
}

/* The character at byte `at` (whole, when it is UTF-8 beyond ASCII), for "found 'X'". */
static const char *char_at(const toml_parser *p, size_t at, char buf[8])
{
	size_t n = (unsigned char)p->s[at] < 0x80 ? 1 : sc_utf8_len(p->s + at);
	memcpy(buf, p->s + at, n ? n : 1);
	buf[n ? n : 1] = '\0';
	return buf;
}

static void skip_comment(toml_parser *p)
{
	if (peek(p) == '#')
		while (p->pos < p->n && !at_newline(p))
			p->pos++;
}

/* Whitespace, comments and newlines: between an array's values. */
static void skip_blank(toml_parser *p)
{
	for (;;) {
		skip_ws(p);
		skip_comment(p);
		if (!at_newline(p))
			return;
		skip_newline(p);
	}
}

/* After a key/value pair or a header: only whitespace and a comment before the line ends. */
static int end_line(toml_parser *p, const char *after)
{
	skip_ws(p);
	skip_comment(p);
	if (p->pos >= p->n)
		return 0;
	if (at_newline(p)) {
		skip_newline(p);
		return 0;
	}
	char cb[8];
	return sc_toml_err(p, p->pos, "expected the end of the line after %s, found '%s'", after,
			   char_at(p, p->pos, cb));
}

static bool is_bare(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static int parse_key(toml_parser *p, key *k)
{
	k->n = 0;
	k->off = p->pos;
	for (;;) {
		skip_ws(p);
		size_t off = p->pos;
		char c = peek(p);
		sc_strbuf sb = {0};
		int r = 0;
		if (c == '"' || c == '\'') {
			r = sc_toml_string(p, &sb, false);
		} else if (is_bare(c)) {
			while (is_bare(peek(p)))
				p->pos++;
			r = sc_strbuf_add(&sb, p->s + off, p->pos - off);
		} else if (p->pos >= p->n || at_newline(p)) {
			return sc_toml_err(p, off, "expected a key, found the end of the line");
		} else {
			char cb[8];
			return sc_toml_err(p, off, "expected a key, found '%s'",
					   char_at(p, off, cb));
		}
		if (r == 0 && k->n == SC_TOML_MAX_DEPTH)
			r = sc_toml_err(p, off, "a key of more than %d dotted parts",
					SC_TOML_MAX_DEPTH);
		if (r == 0 && !sb.buf && sc_strbuf_add(&sb, "", 0) < 0)
			r = -ENOMEM;
		if (r < 0) {
			sc_strbuf_release(&sb);
			return r == -ENOMEM ? sc_toml_nomem(p) : r;
		}
		k->part[k->n++] = (keypart){.s = sb.buf, .len = sb.len, .off = off};
		skip_ws(p);
		if (peek(p) != '.')
			return 0;
		p->pos++;
	}
}

static int value(toml_parser *p, sc_toml_value **out);

/* The entry's line for "first defined at line N". */
static uint32_t line_of(const sc_toml_entry *e)
{
	return e->line;
}

static const char *article(enum sc_toml_type t)
{
	return t == SC_TOML_INTEGER || t == SC_TOML_ARRAY || t == SC_TOML_DATETIME ? "an" : "a";
}

/* Steps from table t into its key part kp for a dotted key (header = false) or a table
 * header (true), making an implicit or dotted table when missing. */
static int descend(toml_parser *p, sc_toml_value **t, const key *k, int i, bool header)
{
	char name[600];
	const keypart *kp = &k->part[i];
	const sc_toml_entry *e = sc_toml_table_get(*t, kp->s, kp->len);
	if (!e) {
		sc_toml_value *nt = sc_toml_value_new(p, SC_TOML_TABLE, kp->off);
		if (!nt)
			return sc_toml_nomem(p);
		nt->flags = header ? 0 : TF_DOTTED;
		if (sc_toml_table_add(p, *t, kp->s, kp->len, kp->off, nt) < 0) {
			sc_toml_value_free(nt);
			return sc_toml_nomem(p);
		}
		*t = nt;
		return 0;
	}
	sc_toml_value *v = e->value;
	key_text(k, i, name, sizeof(name));
	if (v->type == SC_TOML_TABLE) {
		if (v->flags & TF_INLINE)
			return sc_toml_err(p, kp->off,
					   "cannot add to the inline table '%s' (defined at line "
					   "%u): an inline table is complete",
					   name, line_of(e));
		if (!header && (v->flags & TF_EXPLICIT))
			return sc_toml_err(
			    p, kp->off,
			    "cannot add to '%s' with a dotted key: the table has its "
			    "own header at line %u",
			    name, line_of(e));
		*t = v;
		return 0;
	}
	if (v->type == SC_TOML_ARRAY && (v->flags & TF_AOT) && header) {
		*t = v->u.array.items[v->u.array.len - 1];
		return 0;
	}
	if (v->type == SC_TOML_ARRAY && !(v->flags & TF_AOT))
		return sc_toml_err(p, kp->off,
				   "cannot add to '%s': it is a static array (defined at line %u)",
				   name, line_of(e));
	if (v->type == SC_TOML_ARRAY)
		return sc_toml_err(
		    p, kp->off,
		    "cannot add to the array of tables '%s' (defined at line %u) with "
		    "a dotted key",
		    name, line_of(e));
	return sc_toml_err(p, kp->off,
			   "cannot use '%s' as a table: it is %s %s (defined at line %u)", name,
			   article(v->type), sc_toml_type_name(v->type), line_of(e));
}

/* key = value into table t. */
static int keyval(toml_parser *p, sc_toml_value *t)
{
	key k;
	char name[600], cb[8];
	int r = parse_key(p, &k);
	if (r < 0)
		goto out; /* the parts read before the error */
	for (int i = 0; i + 1 < k.n && r == 0; i++)
		r = descend(p, &t, &k, i, false);
	if (r < 0)
		goto out;
	const keypart *last = &k.part[k.n - 1];
	key_text(&k, k.n - 1, name, sizeof(name));
	const sc_toml_entry *e = sc_toml_table_get(t, last->s, last->len);
	if (e) {
		r = sc_toml_err(p, last->off, "duplicate key '%s' (first defined at line %u)", name,
				line_of(e));
		goto out;
	}
	skip_ws(p);
	if (peek(p) != '=') {
		if (p->pos >= p->n || at_newline(p) || peek(p) == '#')
			r = sc_toml_err(p, p->pos, "expected '=' after the key '%s'", name);
		else
			r = sc_toml_err(p, p->pos, "expected '=' after the key '%s', found '%s'",
					name, char_at(p, p->pos, cb));
		goto out;
	}
	p->pos++;
	skip_ws(p);
	/* Dotted parts nest tables like values do: counted against the same limit. */
	p->depth += k.n - 1;
	sc_toml_value *v = NULL;
	r = p->depth > SC_TOML_MAX_DEPTH
		? sc_toml_err(p, k.off, "nested deeper than %d levels", SC_TOML_MAX_DEPTH)
		: value(p, &v);
	p->depth -= k.n - 1;
	if (r == 0 && sc_toml_table_add(p, t, last->s, last->len, last->off, v) < 0) {
		sc_toml_value_free(v);
		r = sc_toml_nomem(p);
	}
out:
	key_release(&k);
	return r;
}

static int array(toml_parser *p, sc_toml_value *a)
{
	size_t open = p->pos++;
	for (;;) {
		skip_blank(p);
		if (peek(p) == ']') {
			p->pos++;
			return 0;
		}
		if (p->pos >= p->n)
			return sc_toml_err(p, open, "unterminated array: no closing ']'");
		sc_toml_value *v = NULL;
		int r = value(p, &v);
		if (r < 0)
			return r;
		if (sc_toml_array_push(a, v) < 0) {
			sc_toml_value_free(v);
			return sc_toml_nomem(p);
		}
		skip_blank(p);
		if (peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (peek(p) == ']') {
			p->pos++;
			return 0;
		}
		if (p->pos >= p->n)
			return sc_toml_err(p, open, "unterminated array: no closing ']'");
		char cb[8];
		return sc_toml_err(p, p->pos,
				   "expected ',' or ']' after an array's value, found '%s'",
				   char_at(p, p->pos, cb));
	}
}

static int inline_table(toml_parser *p, sc_toml_value *t)
{
	p->pos++;
	skip_ws(p);
	if (peek(p) == '}') {
		p->pos++;
		t->flags |= TF_INLINE;
		return 0;
	}
	for (;;) {
		int r = keyval(p, t);
		if (r < 0)
			return r;
		skip_ws(p);
		if (peek(p) == ',') {
			p->pos++;
			skip_ws(p);
			if (peek(p) == '}')
				return sc_toml_err(p, p->pos - 1,
						   "no comma is allowed after the last "
						   "key of an inline table");
			continue;
		}
		if (peek(p) == '}') {
			p->pos++;
			t->flags |= TF_INLINE;
			return 0;
		}
		if (p->pos >= p->n || at_newline(p))
			return sc_toml_err(p, p->pos,
					   "an inline table must end on its line: "
					   "expected ',' or '}'");
		char cb[8];
		return sc_toml_err(p, p->pos, "expected ',' or '}' in an inline table, found '%s'",
				   char_at(p, p->pos, cb));
	}
}

static bool word(const toml_parser *p, const char *w)
{
	size_t n = strlen(w);
	return strncmp(p->s + p->pos, w, n) == 0 && !is_bare(p->s[p->pos + n]);
}

/* A number, date or time token: its length from p->pos. */
static size_t token(const toml_parser *p)
{
	const char *s = p->s + p->pos;
	size_t n = 0;
	while (is_bare(s[n]) || s[n] == '+' || s[n] == '.' || s[n] == ':')
		n++;
	/* A date, a space, a time: one date-time. */
	if (n == 10 && s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[11] >= '0' && s[11] <= '9' &&
	    s[12] >= '0' && s[12] <= '9' && s[13] == ':') {
		n = 11;
		while (is_bare(s[n]) || s[n] == '+' || s[n] == '.' || s[n] == ':')
			n++;
	}
	return n;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int value(toml_parser *p, sc_toml_value **out)
{
	size_t at = p->pos;
	char c = peek(p);
	int r = 0;
	if (p->pos >= p->n || at_newline(p) || c == '#')
		return sc_toml_err(p, at, "expected a value, found the end of the line");
	sc_toml_value *v = sc_toml_value_new(p, SC_TOML_STRING, at);
	if (!v)
		return sc_toml_nomem(p);
	if (c == '"' || c == '\'') {
		sc_strbuf sb = {0};
		r = sc_toml_string(p, &sb, true);
		if (r == 0 && !sb.buf && sc_strbuf_add(&sb, "", 0) < 0)
			r = -ENOMEM;
		v->u.str.len = sb.len;
		v->u.str.ptr = sc_strbuf_detach(&sb);
		if (r == -ENOMEM)
			r = sc_toml_nomem(p);
	} else if (c == '[' || c == '{') {
		v->type = c == '[' ? SC_TOML_ARRAY : SC_TOML_TABLE;
		if (++p->depth > SC_TOML_MAX_DEPTH)
			r = sc_toml_err(p, at, "nested deeper than %d levels", SC_TOML_MAX_DEPTH);
		else
			r = c == '[' ? array(p, v) : inline_table(p, v);
		p->depth--;
	} else if (word(p, "true") || word(p, "false")) {
		v->type = SC_TOML_BOOL;
		v->u.boolean = c == 't';
		p->pos += c == 't' ? 4 : 5;
	} else if (c == '+' || c == '-' || (c >= '0' && c <= '9') || word(p, "inf") ||
		   word(p, "nan")) {
		size_t n = token(p);
		const char *s = p->s + at;
		v->type = SC_TOML_INTEGER; /* its text is no pointer to free on failure */
		if (n >= 5 && all_digits(s, 4) && s[4] == '-')
			r = sc_toml_parse_datetime(p, at, n, v);
		else if (n >= 3 && all_digits(s, 2) && s[2] == ':')
			r = sc_toml_parse_datetime(p, at, n, v);
		else
			r = sc_toml_parse_number(p, at, n, v);
		p->pos += n;
	} else if (is_bare(c)) {
		size_t n = 0;
		while (is_bare(p->s[at + n]) && n < 40)
			n++;
		r = sc_toml_err(p, at, "expected a value, found '%.*s' (a string needs quotes)",
				(int)n, p->s + at);
	} else {
		char cb[8];
		r = sc_toml_err(p, at, "expected a value, found '%s'", char_at(p, at, cb));
	}
	if (r < 0) {
		sc_toml_value_free(v);
		return r;
	}
	*out = v;
	return 0;
}

/* [a.b] or [[a.b]] at p->pos; sets *cur to the table that the following keys go into. */
static int header(toml_parser *p, sc_toml_value *root, sc_toml_value **cur)
{
	size_t open = p->pos;
	bool aot = p->s[open + 1] == '[';
	p->pos += aot ? 2 : 1;
	key k;
	char name[600];
	int r = parse_key(p, &k);
	if (r < 0)
		goto out; /* the parts read before the error */
	skip_ws(p);
	if (peek(p) != ']' || (aot && p->s[p->pos + 1] != ']')) {
		r = sc_toml_err(p, p->pos,
				aot ? "expected ']]' to close the header"
				    : "expected ']' to close the header");
		goto out;
	}
	p->pos += aot ? 2 : 1;
	if ((r = end_line(p, "the table header")) < 0)
		goto out;
	sc_toml_value *t = root;
	for (int i = 0; i + 1 < k.n && r == 0; i++)
		r = descend(p, &t, &k, i, true);
	if (r < 0)
		goto out;
	const keypart *last = &k.part[k.n - 1];
	key_text(&k, k.n - 1, name, sizeof(name));
	const sc_toml_entry *e = sc_toml_table_get(t, last->s, last->len);
	sc_toml_value *v = e ? e->value : NULL;
	if (!aot && v && v->type == SC_TOML_TABLE) {
		if (v->flags & TF_INLINE)
			r = sc_toml_err(p, last->off,
					"cannot add to the inline table '%s' (defined at line %u)",
					name, line_of(e));
		else if (v->flags & TF_EXPLICIT)
			r = sc_toml_err(p, open,
					"table [%s] defined twice (first defined at line %u)", name,
					line_of(e));
		else if (v->flags & TF_DOTTED)
			r = sc_toml_err(p, open,
					"table [%s] already defined by dotted keys at line %u",
					name, line_of(e));
		else
			v->flags |= TF_EXPLICIT, *cur = v;
		goto out;
	}
	if (aot && v && v->type == SC_TOML_ARRAY && (v->flags & TF_AOT)) {
		sc_toml_value *nt = sc_toml_value_new(p, SC_TOML_TABLE, open);
		if (!nt || sc_toml_array_push(v, nt) < 0) {
			sc_toml_value_free(nt);
			r = sc_toml_nomem(p);
			goto out;
		}
		nt->flags = TF_EXPLICIT;
		*cur = nt;
		goto out;
	}
	if (v) {
		if (v->type == SC_TOML_ARRAY && !(v->flags & TF_AOT))
			r = sc_toml_err(p, last->off,
					"cannot add to '%s': it is a static array (defined at line "
					"%u)",
					name, line_of(e));
		else if (v->type == SC_TOML_ARRAY)
			r = sc_toml_err(p, open,
					"[%s] is an array of tables (defined at line %u); use "
					"[[%s]]",
					name, line_of(e), name);
		else if (v->type == SC_TOML_TABLE)
			r = sc_toml_err(
			    p, open, "[[%s]] cannot append to the table [%s] (defined at line %u)",
			    name, name, line_of(e));
		else
			r = sc_toml_err(
			    p, last->off,
			    "cannot use '%s' as a table: it is %s %s (defined at line %u)", name,
			    article(v->type), sc_toml_type_name(v->type), line_of(e));
		goto out;
	}
	sc_toml_value *nt = sc_toml_value_new(p, SC_TOML_TABLE, open);
	if (!nt) {
		r = sc_toml_nomem(p);
		goto out;
	}
	nt->flags = TF_EXPLICIT;
	sc_toml_value *add = nt;
	if (aot) {
		add = sc_toml_value_new(p, SC_TOML_ARRAY, open);
		if (!add || sc_toml_array_push(add, nt) < 0) {
			sc_toml_value_free(add);
			sc_toml_value_free(nt);
			r = sc_toml_nomem(p);
			goto out;
		}
		add->flags = TF_AOT;
	}
	if (sc_toml_table_add(p, t, last->s, last->len, last->off, add) < 0) {
		sc_toml_value_free(add);
		r = sc_toml_nomem(p);
		goto out;
	}
	*cur = nt;
out:
	key_release(&k);
	return r;
}

/* What TOML allows nowhere: ill-formed UTF-8, control characters but tab and newline, a CR
 * not before an LF, NUL. */
static int check_text(toml_parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	for (size_t i = 0; i < p->n; i++) {
		unsigned char c = s[i];
		if (c >= 0x80) {
			size_t len = sc_utf8_len((const char *)s + i);
			if (!len)
				return sc_toml_err(p, i, "invalid UTF-8 (byte 0x%02x)", c);
			i += len - 1;
		} else if (c == '\r' && s[i + 1] != '\n') {
			return sc_toml_err(p, i,
					   "a carriage return must be followed by a line feed");
		} else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
			return sc_toml_err(p, i,
					   "control character U+%04X is not allowed (escape it "
					   "in a basic string)",
					   c);
		}
	}
	return 0;
}

int sc_toml_parse(const char *text, size_t n, const char *file, sc_toml_doc **out, sc_diag *d)
{
	sc_diag_clear(d);
	sc_diag_set_file(d, file);
	*out = NULL;
	if (n > SC_TOML_MAX_INPUT) {
		sc_diag_error(d, 0, 0, -1, "larger than %u bytes, the limit on a TOML file",
			      SC_TOML_MAX_INPUT);
		return -EFBIG;
	}
	toml_parser p = {.n = n, .d = d, .line = 1, .col = 1};
	char *s = malloc(n + 1);
	sc_toml_doc *doc = calloc(1, sizeof(*doc));
	int r = 0;
	if (!s || !doc || !(doc->root = sc_toml_value_new(NULL, SC_TOML_TABLE, 0))) {
		r = sc_toml_nomem(&p);
		goto out;
	}
	if (n)
		memcpy(s, text, n);
	s[n] = '\0';
	p.s = s;
	doc->root->line = doc->root->column = 1;
	doc->root->flags = TF_EXPLICIT;
	if ((r = check_text(&p)) < 0)
		goto out;
	if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) /* a byte order mark */
		p.pos = 3;
	sc_toml_value *cur = doc->root;
	while (r == 0 && p.pos < p.n) {
		skip_ws(&p);
		skip_comment(&p);
		if (p.pos >= p.n)
			break;
		if (at_newline(&p))
			skip_newline(&p);
		else if (peek(&p) == '[')
			r = header(&p, doc->root, &cur);
		else if ((r = keyval(&p, cur)) == 0)
			r = end_line(&p, "a key's value");
	}
out:
	free(s);
	if (r < 0) {
		sc_toml_free(doc);
		return r;
	}
	*out = doc;
	return 0;
}

int sc_toml_parse_file(const char *path, sc_toml_doc **out, sc_diag *d)
{
	char *text = NULL;
	size_t n = 0;
	*out = NULL;
	sc_diag_clear(d);
	sc_diag_set_file(d, path);
	int r = sc_read_file_max(path, SC_TOML_MAX_INPUT, &text, &n);
	if (r == -EFBIG) {
		sc_diag_error(d, 0, 0, -1, "larger than %u bytes, the limit on a TOML file",
			      SC_TOML_MAX_INPUT);
		return r;
	}
	if (r < 0)
		return r;
	r = sc_toml_parse(text, n, path, out, d);
	free(text);
	return r;
}

/*
 * toml_int.h: what the TOML reader's files share: the parser's state, positions and errors
 * (toml.c), the tree's constructors (toml_tree.c), the scalars' parsers (toml_scalar.c).
 * Not a public header: read toml.h.
 */
#ifndef SC_CONFIG_TOML_INT_H
#define SC_CONFIG_TOML_INT_H

#include "config/toml.h"

#include <stdarg.h>

/* sc_toml_value.flags */
enum {
	TF_EXPLICIT = 1, /* a table with its own [header] */
	TF_DOTTED = 2,	 /* a table made by a dotted key (a.b = 1 makes a) */
	TF_INLINE = 4,	 /* a finished inline table: sealed */
	TF_AOT = 8,	 /* an array made by [[header]]s */
};

typedef struct toml_parser {
	const char *s; /* the text, NUL-terminated (a NUL inside is refused first) */
	size_t n, pos;
	sc_diag *d;
	int depth;
	/* line and column of byte `at`, moved by sc_toml_where */
	size_t at;
	uint32_t line, col;
} toml_parser;

/* The character at the reading position ('\0' at the end), blanks, line ends (LF or CRLF). */
static inline char peek(const toml_parser *p)
{
	return p->s[p->pos];
}

static inline void skip_ws(toml_parser *p)
{
	while (peek(p) == ' ' || peek(p) == '\t')
		p->pos++;
}

static inline bool at_newline(const toml_parser *p)
{
	return peek(p) == '\n' || (peek(p) == '\r' && p->s[p->pos + 1] == '\n');
}

static inline void skip_newline(toml_parser *p)
{
	p->pos += peek(p) == '\r' ? 2 : 1;
}

/* Line and column (characters, 1-based) of byte `off`. */
void sc_toml_where(toml_parser *p, size_t off, uint32_t *line, uint32_t *col);
/* Fills the diag with the position of byte `off` and the message; returns -EINVAL. */
int sc_toml_err(toml_parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The diag for an allocation failure; returns -ENOMEM. */
int sc_toml_nomem(toml_parser *p);

/* A string at p->pos (its opening quote), unescaped into sb; `multi` allows the multi-line
 * forms (keys are single-line). Returns 0, -EINVAL through the parser, or -ENOMEM. */
struct sc_strbuf;
int sc_toml_string(toml_parser *p, struct sc_strbuf *sb, bool multi);

/* Tree (toml_tree.c). A new value has the position of byte `off`; NULL when out of memory. */
sc_toml_value *sc_toml_value_new(toml_parser *p, enum sc_toml_type t, size_t off);
void sc_toml_value_free(sc_toml_value *v);
/* Adds key -> v to a table (the key is copied; v is owned by the table on success).
 * Returns 0 or -ENOMEM (v is not taken then). */
int sc_toml_table_add(toml_parser *p, sc_toml_value *table, const char *key, size_t len,
		      size_t key_off, sc_toml_value *v);
/* Appends v to an array (owned by it on success). Returns 0 or -ENOMEM. */
int sc_toml_array_push(sc_toml_value *array, sc_toml_value *v);

/* Scalars (toml_scalar.c): the token s[off, off + len) is a number, or a date or time. Return 0
 * with *out filled, or an error through the parser. */
int sc_toml_parse_number(toml_parser *p, size_t off, size_t len, sc_toml_value *out);
int sc_toml_parse_datetime(toml_parser *p, size_t off, size_t len, sc_toml_value *out);

#endif

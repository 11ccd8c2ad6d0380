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
	/* line and column of `at`, advanced forward (errors and definitions come mostly in order)
	 */
	size_t at;
	uint32_t line, col;
} toml_parser;

/* Line and column (characters, 1-based) of byte `off`. */
void sc_toml_where(toml_parser *p, size_t off, uint32_t *line, uint32_t *col);
/* Fills the diag with the position of byte `off` and the message; returns -EINVAL. */
int sc_toml_err(toml_parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The diag for an allocation failure; returns -ENOMEM. */
int sc_toml_nomem(toml_parser *p);

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

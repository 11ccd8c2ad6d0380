/*
 * toml.h: a TOML 1.0 reader: text in, a document tree out, or a diagnostic with FILE:LINE:COLUMN.
 *
 * What it reads: the whole of TOML 1.0 (https://toml.io/en/v1.0.0): tables, arrays of tables,
 * dotted, bare and quoted keys, the four kinds of strings with their escapes (\uXXXX and
 * \UXXXXXXXX must name Unicode scalar values; the document must be valid UTF-8), integers in
 * decimal, hex, octal and binary (underscores between digits; beyond 64 bits is an error), floats
 * (exponents, inf, nan), booleans, offset and local date-times, dates and times (kept as their
 * text plus checked fields), arrays (of mixed types, as 1.0 allows), inline tables, comments. The
 * spec's redefinition rules are errors: a key or a table defined twice, a table defined by dotted
 * keys then by a header, an inline table or a static array extended later.
 *
 * Errors: sc_toml_parse returns -EINVAL and fills the sc_diag with the line and the column (in
 * characters, 1-based) of the offending character and one line saying what is wrong, e.g.
 * "expected '=' after key 'x'" or "duplicate key 'x' (first defined at line 3)". -ENOMEM when an
 * allocation fails (the diag then says so, without a position). Nothing is left allocated after a
 * failure.
 *
 * Limits, so that hostile input gets an error rather than a stack overflow or an endless
 * allocation: SC_TOML_MAX_INPUT bytes of text, SC_TOML_MAX_DEPTH levels of nested arrays and
 * inline tables, SC_TOML_MAX_DEPTH parts in a dotted key or a table header.
 *
 * The tree: every value is an sc_toml_value; a table's entries keep their order in the file. The
 * document owns every value and string; everything returned by the getters is borrowed from it
 * and lives until sc_toml_free. Strings may hold NUL (from "\u0000"): use their length. Lookups
 * by path split the path at dots ("profiling.sample_rate_hz"); a key that holds a dot can only be
 * found with sc_toml_table_get. Not thread-safe while parsing; a finished document may be read
 * from several threads.
 *
 * Not here: what the keys mean (config/schema.h), writing TOML (config init writes its own
 * commented text). Tests: tests/unit/test_toml.c with the cases of tests/data/toml/.
 */
#ifndef SC_CONFIG_TOML_H
#define SC_CONFIG_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

#define SC_TOML_MAX_INPUT (16u << 20)
#define SC_TOML_MAX_DEPTH 64

enum sc_toml_type {
	SC_TOML_STRING,
	SC_TOML_INTEGER,
	SC_TOML_FLOAT,
	SC_TOML_BOOL,
	SC_TOML_DATETIME,	/* offset date-time: 1979-05-27T07:32:00Z */
	SC_TOML_LOCAL_DATETIME, /* 1979-05-27T07:32:00 */
	SC_TOML_LOCAL_DATE,	/* 1979-05-27 */
	SC_TOML_LOCAL_TIME,	/* 07:32:00.999 */
	SC_TOML_ARRAY,
	SC_TOML_TABLE,
};

/* A date, a time or both; the fields not in the value's kind are 0. */
typedef struct sc_toml_datetime {
	int year, month, day;
	int hour, minute, second;
	int nanosecond;	    /* the fraction, truncated to nanoseconds */
	int offset_minutes; /* offset date-times: east of UTC; Z is 0 */
	char text[64];	    /* as written (fractions beyond 30 digits are cut) */
} sc_toml_datetime;

typedef struct sc_toml_value sc_toml_value;

typedef struct sc_toml_entry {
	char *key;
	size_t key_len;
	uint32_t line, column; /* where the key (its last dotted part) is written */
	sc_toml_value *value;
} sc_toml_entry;

struct sc_toml_value {
	enum sc_toml_type type;
	uint32_t line, column; /* where the value starts; a table: its header or first key */
	uint8_t flags;	       /* the reader's own bookkeeping */
	union {
		struct {
			char *ptr; /* NUL-terminated, may also hold NUL */
			size_t len;
		} str;
		int64_t integer;
		double real;
		bool boolean;
		sc_toml_datetime dt;
		struct {
			sc_toml_value **items;
			size_t len, cap;
		} array;
		struct {
			sc_toml_entry *entries;
			size_t len, cap;
			void *index; /* a hash index once the table is large */
		} table;
	} u;
};

typedef struct sc_toml_doc {
	sc_toml_value *root; /* a table */
} sc_toml_doc;

/* Parses `n` bytes of `text` (no NUL needed). `file` names the input in diagnostics (may be NULL).
 * Returns 0 with *out set (free with sc_toml_free), or -EINVAL/-ENOMEM/-EFBIG with `d` filled. */
int sc_toml_parse(const char *text, size_t n, const char *file, sc_toml_doc **out, sc_diag *d);
/* Reads and parses a file ("-" is standard input). Returns as sc_toml_parse; -errno when the file
 * cannot be read (the diag names the file). */
int sc_toml_parse_file(const char *path, sc_toml_doc **out, sc_diag *d);
/* NULL-safe. */
void sc_toml_free(sc_toml_doc *doc);

/* The name of a type as messages say it: "string", "integer", "float", "boolean",
 * "offset date-time", "local date-time", "local date", "local time", "array", "table". */
const char *sc_toml_type_name(enum sc_toml_type t);

/* The entry named by one key (any bytes) in a table, or NULL (also when `table` is not one). */
const sc_toml_entry *sc_toml_table_get(const sc_toml_value *table, const char *key, size_t len);
/* The value at a dotted path below `table` ("a.b.c"; an empty path is the table), or NULL. */
const sc_toml_value *sc_toml_get(const sc_toml_value *table, const char *path);

/* Typed getters: 0 and *out set; -ENOENT when the path is absent; -EINVAL when the value has
 * another type (an integer is accepted as a float). *out is untouched on failure. */
int sc_toml_get_string(const sc_toml_value *table, const char *path, const char **out);
int sc_toml_get_int(const sc_toml_value *table, const char *path, int64_t *out);
int sc_toml_get_float(const sc_toml_value *table, const char *path, double *out);
int sc_toml_get_bool(const sc_toml_value *table, const char *path, bool *out);

#endif

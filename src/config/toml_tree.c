/*
 * toml_tree.c: the TOML document tree: values, tables (entries in file order, with a hash index
 * once a table grows past a few keys, so a hostile file of many keys stays linear), arrays,
 * lookups by key and by dotted path, the typed getters. See toml.h for the contract.
 */
#include "config/toml_int.h"
#include "util/hashmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Below this many entries a table is searched in order; from it on, through its index. */
#define INDEX_FROM 12

sc_toml_value *sc_toml_value_new(toml_parser *p, enum sc_toml_type t, size_t off)
{
	sc_toml_value *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->type = t;
	if (p)
		sc_toml_where(p, off, &v->line, &v->column);
	return v;
}

void sc_toml_value_free(sc_toml_value *v)
{
	if (!v)
		return;
	switch (v->type) {
	case SC_TOML_STRING:
		free(v->u.str.ptr);
		break;
	case SC_TOML_ARRAY:
		for (size_t i = 0; i < v->u.array.len; i++)
			sc_toml_value_free(v->u.array.items[i]);
		free(v->u.array.items);
		break;
	case SC_TOML_TABLE:
		for (size_t i = 0; i < v->u.table.len; i++) {
			free(v->u.table.entries[i].key);
			sc_toml_value_free(v->u.table.entries[i].value);
		}
		free(v->u.table.entries);
		if (v->u.table.index) {
			sc_hashmap_release(v->u.table.index);
			free(v->u.table.index);
		}
		break;
	default:
		break;
	}
	free(v);
}

struct keyref {
	const char *key;
	size_t len;
};

static bool entry_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_toml_value *t = ctx;
	const struct keyref *k = key;
	const sc_toml_entry *e = &t->u.table.entries[value];
	return e->key_len == k->len && memcmp(e->key, k->key, k->len) == 0;
}

const sc_toml_entry *sc_toml_table_get(const sc_toml_value *table, const char *key, size_t len)
{
	if (!table || table->type != SC_TOML_TABLE)
		return NULL;
	if (table->u.table.index) {
		struct keyref k = {key, len};
		uint64_t i;
		if (sc_hashmap_get(table->u.table.index, sc_hash_bytes(key, len, 0), entry_eq, &k,
				   table, &i))
			return &table->u.table.entries[i];
		return NULL;
	}
	for (size_t i = 0; i < table->u.table.len; i++) {
		const sc_toml_entry *e = &table->u.table.entries[i];
		if (e->key_len == len && memcmp(e->key, key, len) == 0)
			return e;
	}
	return NULL;
}

static int index_entry(sc_toml_value *t, size_t i)
{
	const sc_toml_entry *e = &t->u.table.entries[i];
	return sc_hashmap_put(t->u.table.index, sc_hash_bytes(e->key, e->key_len, 0), i);
}

int sc_toml_table_add(toml_parser *p, sc_toml_value *t, const char *key, size_t len, size_t key_off,
		      sc_toml_value *v)
{
	if (t->u.table.len == t->u.table.cap) {
		size_t cap = t->u.table.cap ? t->u.table.cap * 2 : 4;
		sc_toml_entry *e = realloc(t->u.table.entries, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		t->u.table.entries = e;
		t->u.table.cap = cap;
	}
	char *k = malloc(len + 1);
	if (!k)
		return -ENOMEM;
	memcpy(k, key, len);
	k[len] = '\0';
	size_t i = t->u.table.len;
	sc_toml_entry *e = &t->u.table.entries[i];
	*e = (sc_toml_entry){.key = k, .key_len = len, .value = v};
	if (p)
		sc_toml_where(p, key_off, &e->line, &e->column);
	if (!t->u.table.index && i + 1 >= INDEX_FROM) {
		t->u.table.index = calloc(1, sizeof(sc_hashmap));
		if (!t->u.table.index)
			goto nomem;
		for (size_t j = 0; j < i; j++)
			if (index_entry(t, j) < 0)
				goto nomem_index;
	}
	if (t->u.table.index && index_entry(t, i) < 0)
		goto nomem_index;
	t->u.table.len++;
	return 0;
nomem_index:
	/* Drop the index: lookups fall back to the linear search, which is still correct. */
	sc_hashmap_release(t->u.table.index);
	free(t->u.table.index);
	t->u.table.index = NULL;
nomem:
	free(k);
	return -ENOMEM;
}

int sc_toml_array_push(sc_toml_value *a, sc_toml_value *v)
{
	if (a->u.array.len == a->u.array.cap) {
		size_t cap = a->u.array.cap ? a->u.array.cap * 2 : 4;
		sc_toml_value **items = realloc(a->u.array.items, cap * sizeof(*items));
		if (!items)
			return -ENOMEM;
		a->u.array.items = items;
		a->u.array.cap = cap;
	}
	a->u.array.items[a->u.array.len++] = v;
	return 0;
}

void sc_toml_free(sc_toml_doc *doc)
{
	if (!doc)
		return;
	sc_toml_value_free(doc->root);
	free(doc);
}

const char *sc_toml_type_name(enum sc_toml_type t)
{
	switch (t) {
	case SC_TOML_STRING:
		return "string";
	case SC_TOML_INTEGER:
		return "integer";
	case SC_TOML_FLOAT:
		return "float";
	case SC_TOML_BOOL:
		return "boolean";
	case SC_TOML_DATETIME:
		return "offset date-time";
	case SC_TOML_LOCAL_DATETIME:
		return "local date-time";
	case SC_TOML_LOCAL_DATE:
		return "local date";
	case SC_TOML_LOCAL_TIME:
		return "local time";
	case SC_TOML_ARRAY:
		return "array";
	case SC_TOML_TABLE:
		return "table";
	}
	return "value";
}

const sc_toml_value *sc_toml_get(const sc_toml_value *table, const char *path)
{
	const sc_toml_value *v = table;
	while (v && *path) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);
		const sc_toml_entry *e = sc_toml_table_get(v, path, len);
		v = e ? e->value : NULL;
		path += len + (dot != NULL);
	}
	return v;
}

static int typed(const sc_toml_value *table, const char *path, enum sc_toml_type t,
		 const sc_toml_value **v)
{
	*v = sc_toml_get(table, path);
	if (!*v)
		return -ENOENT;
	return (*v)->type == t ? 0 : -EINVAL;
}

int sc_toml_get_string(const sc_toml_value *table, const char *path, const char **out)
{
	const sc_toml_value *v;
	int r = typed(table, path, SC_TOML_STRING, &v);
	if (r == 0)
		*out = v->u.str.ptr;
	return r;
}

int sc_toml_get_int(const sc_toml_value *table, const char *path, int64_t *out)
{
	const sc_toml_value *v;
	int r = typed(table, path, SC_TOML_INTEGER, &v);
	if (r == 0)
		*out = v->u.integer;
	return r;
}

int sc_toml_get_float(const sc_toml_value *table, const char *path, double *out)
{
	const sc_toml_value *v;
	int r = typed(table, path, SC_TOML_FLOAT, &v);
	if (r == -EINVAL && v->type == SC_TOML_INTEGER) {
		*out = (double)v->u.integer;
		return 0;
	}
	if (r == 0)
		*out = v->u.real;
	return r;
}

int sc_toml_get_bool(const sc_toml_value *table, const char *path, bool *out)
{
	const sc_toml_value *v;
	int r = typed(table, path, SC_TOML_BOOL, &v);
	if (r == 0)
		*out = v->u.boolean;
	return r;
}

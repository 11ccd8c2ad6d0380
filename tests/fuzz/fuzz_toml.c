/*
 * fuzz_toml.c: the libFuzzer entry point for the TOML reader (src/config/toml.h) and the
 * scorch.toml schema on top of it (src/config/schema.h). tests/fuzz/run.sh builds it with clang
 * (target `toml`; seeds: every file of tests/data/toml/).
 *
 * Beyond "no crash, hang or leak": an input either parses, or fails with -EINVAL and a diagnostic
 * that is one line naming the file with a line and a column. A parsed document is walked whole
 * (every value's type and position must be sane) and applied to the schema, whose every report
 * entry must also name the file and a line. Anything else aborts, so the fuzzer reports it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"
#include "config/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static void check_diag(const sc_diag *d, bool position)
{
	char buf[2048];
	const char *msg = sc_diag_format(d, buf, sizeof(buf));
	const char *why = NULL;
	if (!d->message[0])
		why = "empty message";
	else if (strchr(msg, '\n'))
		why = "message spans lines";
	else if (strncmp(msg, "fuzz.toml:", 10) != 0)
		why = "message does not name the file";
	else if (position && (d->line < 1 || d->column < 1))
		why = "no line or column";
	if (why) {
		fprintf(stderr, "bad diagnostic (%s): %s\n", why, msg);
		abort();
	}
}

static size_t walk(const sc_toml_value *v, int depth)
{
	if (depth > 3 * SC_TOML_MAX_DEPTH + 2 || v->line < 1 || v->column < 1) {
		fprintf(stderr, "bad value: depth %d, at %u:%u\n", depth, v->line, v->column);
		abort();
	}
	size_t count = 1;
	if (v->type == SC_TOML_ARRAY)
		for (size_t i = 0; i < v->u.array.len; i++)
			count += walk(v->u.array.items[i], depth + 1);
	if (v->type == SC_TOML_TABLE)
		for (size_t i = 0; i < v->u.table.len; i++) {
			const sc_toml_entry *e = &v->u.table.entries[i];
			/* Every key is found again, through the index or the list. */
			if (sc_toml_table_get(v, e->key, e->key_len) != e) {
				fprintf(stderr, "key %zu of a table not found by its name\n", i);
				abort();
			}
			count += walk(e->value, depth + 1);
		}
	if (v->type == SC_TOML_STRING && v->u.str.ptr[v->u.str.len] != '\0')
		abort();
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	sc_toml_doc *doc = NULL;
	sc_diag d;
	int r = sc_toml_parse((const char *)data, n, "fuzz.toml", &doc, &d);
	if (r == -ENOMEM)
		return 0;
	if (r != 0) {
		if (r != -EINVAL || doc) {
			fprintf(stderr, "sc_toml_parse returned %d\n", r);
			abort();
		}
		check_diag(&d, true);
		return 0;
	}
	walk(doc->root, 0);
	sc_config cfg;
	if (sc_config_init(&cfg) == 0) {
		sc_config_report rep = {0};
		r = sc_config_apply(&cfg, doc, "fuzz.toml", &rep);
		if ((r == -EINVAL) != (rep.errors > 0) || (r && r != -EINVAL && r != -ENOMEM))
			abort();
		for (size_t i = 0; i < rep.len; i++)
			check_diag(&rep.items[i].d, true);
		sc_config_report_release(&rep);
		sc_config_release(&cfg);
	}
	sc_toml_free(doc);
	return 0;
}

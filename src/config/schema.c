/*
 * schema.c: the keys of scorch.toml (one table: type, default, range, help) and their loader.
 * schema.h is the manual; docs/config.md shows the table as `scorch config keys` prints it.
 *
 * A value goes through one function (set_value) whether it comes from the defaults (the table's
 * TOML text, parsed at start), a file or a flag, so a default outside its own range or a flag
 * typed wrong are caught the same way.
 */
#include "config/schema.h"
#include "util/strbuf.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F(field) offsetof(sc_config, field)
#define BOOL(sec, name, field, def, help)                                                          \
	{                                                                                          \
		sec, name, SC_CONFIG_BOOL, F(field), def, 0, 0, NULL, help, false                  \
	}
#define INT(sec, name, field, def, lo, hi, help)                                                   \
	{                                                                                          \
		sec, name, SC_CONFIG_INT, F(field), def, lo, hi, NULL, help, false                 \
	}
#define FLOAT(sec, name, field, def, lo, hi, help)                                                 \
	{                                                                                          \
		sec, name, SC_CONFIG_FLOAT, F(field), def, lo, hi, NULL, help, false               \
	}
#define STR(sec, name, field, def, choices, help)                                                  \
	{                                                                                          \
		sec, name, SC_CONFIG_STRING, F(field), def, 0, 0, choices, help, false             \
	}
#define STRS(sec, name, field, help)                                                               \
	{                                                                                          \
		sec, name, SC_CONFIG_STRINGS, F(field), "[]", 0, 0, NULL, help, false              \
	}
#define WIN(name, field)                                                                           \
	{                                                                                          \
		"windows_specific", name, SC_CONFIG_BOOL, F(field), "false", 0, 0, NULL,           \
		    "Windows only (ETW and its timers); no effect on Linux", true                  \
	}

const sc_config_key sc_config_keys[] = {
    BOOL("profiling", "enabled", profiling.enabled, "true",
	 "profile CPU time (scorch run's cpu mode)"),
    INT("profiling", "sample_rate_hz", profiling.sample_rate_hz, "1000", 1, 100000,
	"CPU samples per second per thread (scorch record -F)"),
    INT("profiling", "stack_depth", profiling.stack_depth, "127", 1, 1024,
	"frames kept per CPU sample's stack (scorch record --depth)"),
    BOOL("profiling", "include_system_calls", profiling.include_system_calls, "false",
	 "keep the kernel's frames (system calls) in stacks; false is scorch record --no-kernel"),
    STR("output", "format", output.format, "\"flamegraph\"",
	"flamegraph, pprof, folded, speedscope, chrome",
	"the CPU profile's main output beside profile.pb.gz"),
    STR("output", "directory", output.directory, "\"profiles\"", NULL,
	"folder of scorch run's dated session folders"),
    STR("output", "filename_prefix", output.filename_prefix, "\"\"", NULL,
	"name of the session folders (empty: the command's name)"),
    STRS("filters", "include_modules", filters.include_modules,
	 "keep only samples with a frame in these modules (glob patterns on the mapping's path or "
	 "file name: \"libfoo*.so\")"),
    STRS("filters", "exclude_modules", filters.exclude_modules,
	 "remove the frames of these modules from the stacks, their cost going to the caller "
	 "(glob patterns)"),
    STRS("filters", "include_functions", filters.include_functions,
	 "keep only samples with a frame in these functions (glob patterns: \"geo::*\")"),
    STRS("filters", "exclude_functions", filters.exclude_functions,
	 "remove the frames of these functions from the stacks, their cost going to the caller "
	 "(glob patterns on the whole name)"),
    STRS("filters", "include_crates", filters.include_crates,
	 "Rust: keep only samples with a function of these crates (NAME matches NAME::*, "
	 "with '-' read as '_')"),
    BOOL("filters", "exclude_system", filters.exclude_system, "false",
	 "remove the frames of system libraries (/lib, /usr/lib, /lib64...: libc, libstdc++...) "
	 "and the kernel, their cost going to the caller"),
    BOOL("filters", "exclude_std", filters.exclude_std, "false",
	 "remove the frames of the languages' standard libraries (std::, core::, alloc::, "
	 "__gnu_cxx::), their cost going to the caller"),
    BOOL("memory", "track_allocations", memory.track_allocations, "true",
	 "record allocations (scorch run's memory mode)"),
    BOOL("memory", "track_deallocations", memory.track_deallocations, "true",
	 "record frees, for leaks and in-use totals"),
    INT("memory", "stack_trace_depth", memory.stack_trace_depth, "16", 1, 256,
	"frames kept per allocation stack (scorch heap --depth)"),
    INT("memory", "sample_rate", memory.sample_rate, "1", 1, 1099511627776.0,
	"1: record every allocation; N: about one per N bytes allocated (scorch heap --sample N)"),
    BOOL("heap_analysis", "enabled", heap_analysis.enabled, "true",
	 "analyse the heap recording (the switches below)"),
    BOOL("heap_analysis", "detect_leaks", heap_analysis.detect_leaks, "true",
	 "report blocks never freed, with their allocation stacks"),
    BOOL("heap_analysis", "track_peak_usage", heap_analysis.track_peak_usage, "true",
	 "report the peak of bytes in use and what held them"),
    BOOL("heap_analysis", "fragmentation_analysis", heap_analysis.fragmentation_analysis, "false",
	 "report short-lived and reused blocks, the allocator's churn"),
    STR("reporting", "format", reporting.format, "\"markdown\"", "markdown, json, text, html",
	"format of the session's combined report"),
    STR("reporting", "output_directory", reporting.output_directory, "\"\"", NULL,
	"folder of the combined report (empty: the session folder)"),
    BOOL("reporting", "include_call_stacks", reporting.include_call_stacks, "true",
	 "show the call stacks of hot spots, leaks and peaks in the report"),
    FLOAT("thresholds", "max_allocation_size_mb", thresholds.max_allocation_size_mb, "0", 0, 1e9,
	  "fail if one allocation exceeds this many MiB (0: no gate)"),
    FLOAT("thresholds", "max_peak_usage_mb", thresholds.max_peak_usage_mb, "0", 0, 1e9,
	  "fail if the heap's peak exceeds this many MiB (0: no gate)"),
    INT("thresholds", "leak_detection_threshold_bytes", thresholds.leak_detection_threshold_bytes,
	"-1", -1, 9007199254740992.0, "fail if more than this many bytes leak (-1: no gate)"),
    FLOAT("thresholds", "cpu_regression_total_pct", thresholds.cpu_regression_total_pct, "0", 0,
	  1000,
	  "fail if the total CPU time grew by more than this % over cpu_baseline (0: no gate)"),
    FLOAT("thresholds", "cpu_regression_function_pct", thresholds.cpu_regression_function_pct, "0",
	  0, 1000,
	  "fail if a function's share grew by more than this many points over cpu_baseline (0: no "
	  "gate)"),
    STR("thresholds", "cpu_baseline", thresholds.cpu_baseline, "\"\"", NULL,
	"the saved profile (pprof) the CPU regression gates compare with"),
    WIN("use_etw", windows_specific.use_etw),
    WIN("high_resolution_timer", windows_specific.high_resolution_timer),
    WIN("kernel_mode_events", windows_specific.kernel_mode_events),
};
const size_t sc_config_nkeys = sizeof(sc_config_keys) / sizeof(sc_config_keys[0]);

const sc_config_key *sc_config_find(const char *key)
{
	const char *dot = strchr(key, '.');
	if (!dot)
		return NULL;
	size_t slen = (size_t)(dot - key);
	for (size_t i = 0; i < sc_config_nkeys; i++) {
		const sc_config_key *k = &sc_config_keys[i];
		if (strlen(k->section) == slen && !strncmp(k->section, key, slen) &&
		    !strcmp(k->name, dot + 1))
			return k;
	}
	return NULL;
}

static void strings_release(sc_config_strings *s)
{
	for (size_t i = 0; i < s->len; i++)
		free(s->items[i]);
	free(s->items);
	s->items = NULL;
	s->len = 0;
}

void sc_config_release(sc_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < sc_config_nkeys; i++) {
		const sc_config_key *k = &sc_config_keys[i];
		void *field = (char *)cfg + k->offset;
		if (k->type == SC_CONFIG_STRING) {
			free(*(char **)field);
			*(char **)field = NULL;
		} else if (k->type == SC_CONFIG_STRINGS) {
			strings_release(field);
		}
	}
}

/* A name or value from the file, for a message: control characters as \xNN (one line). */
static const char *shown(const char *s, char *buf, size_t size)
{
	sc_strbuf sb = {0};
	sc_strbuf_add_text(&sb, s);
	snprintf(buf, size, "%s", sb.buf ? sb.buf : "");
	sc_strbuf_release(&sb);
	return buf;
}

static bool is_choice(const char *choices, const char *s)
{
	size_t n = strlen(s);
	for (const char *c = choices; *c;) {
		size_t len = strcspn(c, ",");
		if (len == n && !strncmp(c, s, n))
			return true;
		c += len;
		while (*c == ',' || *c == ' ')
			c++;
	}
	return false;
}

/* The value v for key k into *cfg, or -EINVAL with the reason in msg, or -ENOMEM. */
static int set_value(sc_config *cfg, const sc_config_key *k, const sc_toml_value *v, char *msg,
		     size_t size)
{
	void *field = (char *)cfg + k->offset;
	static const char *const want[] = {"a boolean (true or false)", "an integer", "a number",
					   "a string", "an array of strings"};
	bool ok = (k->type == SC_CONFIG_BOOL && v->type == SC_TOML_BOOL) ||
		  (k->type == SC_CONFIG_INT && v->type == SC_TOML_INTEGER) ||
		  (k->type == SC_CONFIG_FLOAT &&
		   (v->type == SC_TOML_FLOAT || v->type == SC_TOML_INTEGER)) ||
		  (k->type == SC_CONFIG_STRING && v->type == SC_TOML_STRING) ||
		  (k->type == SC_CONFIG_STRINGS && v->type == SC_TOML_ARRAY);
	if (!ok) {
		snprintf(msg, size, "[%s] %s must be %s, not %s %s", k->section, k->name,
			 want[k->type],
			 v->type == SC_TOML_INTEGER || v->type == SC_TOML_ARRAY ? "an" : "a",
			 sc_toml_type_name(v->type));
		return -EINVAL;
	}
	switch (k->type) {
	case SC_CONFIG_BOOL:
		*(bool *)field = v->u.boolean;
		return 0;
	case SC_CONFIG_INT:
		if ((double)v->u.integer < k->min || (double)v->u.integer > k->max) {
			snprintf(msg, size, "[%s] %s must be between %.0f and %.0f, not %lld",
				 k->section, k->name, k->min, k->max, (long long)v->u.integer);
			return -EINVAL;
		}
		*(int64_t *)field = v->u.integer;
		return 0;
	case SC_CONFIG_FLOAT: {
		double d = v->type == SC_TOML_INTEGER ? (double)v->u.integer : v->u.real;
		if (!isfinite(d) || d < k->min || d > k->max) {
			snprintf(msg, size, "[%s] %s must be a number between %g and %g, not %g",
				 k->section, k->name, k->min, k->max, d);
			return -EINVAL;
		}
		*(double *)field = d;
		return 0;
	}
	case SC_CONFIG_STRING: {
		if (strlen(v->u.str.ptr) != v->u.str.len) {
			snprintf(msg, size, "[%s] %s must not hold a NUL character", k->section,
				 k->name);
			return -EINVAL;
		}
		if (k->choices && !is_choice(k->choices, v->u.str.ptr)) {
			char vb[128];
			snprintf(msg, size, "[%s] %s must be one of %s, not \"%s\"", k->section,
				 k->name, k->choices, shown(v->u.str.ptr, vb, sizeof(vb)));
			return -EINVAL;
		}
		char *s = strdup(v->u.str.ptr);
		if (!s)
			return -ENOMEM;
		free(*(char **)field);
		*(char **)field = s;
		return 0;
	}
	case SC_CONFIG_STRINGS: {
		size_t n = v->u.array.len;
		for (size_t i = 0; i < n; i++) {
			const sc_toml_value *e = v->u.array.items[i];
			if (e->type != SC_TOML_STRING || strlen(e->u.str.ptr) != e->u.str.len) {
				snprintf(msg, size,
					 "[%s] %s must be an array of strings; item %zu is %s %s",
					 k->section, k->name, i + 1,
					 e->type == SC_TOML_INTEGER || e->type == SC_TOML_ARRAY
					     ? "an"
					     : "a",
					 e->type == SC_TOML_STRING ? "string with a NUL"
								   : sc_toml_type_name(e->type));
				return -EINVAL;
			}
		}
		sc_config_strings s = {calloc(n ? n : 1, sizeof(char *)), 0};
		if (!s.items)
			return -ENOMEM;
		for (; s.len < n; s.len++)
			if (!(s.items[s.len] = strdup(v->u.array.items[s.len]->u.str.ptr))) {
				strings_release(&s);
				return -ENOMEM;
			}
		strings_release(field);
		*(sc_config_strings *)field = s;
		return 0;
	}
	}
	return -EINVAL;
}

int sc_config_init(sc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < sc_config_nkeys; i++) {
		const sc_config_key *k = &sc_config_keys[i];
		char text[256], msg[512];
		snprintf(text, sizeof(text), "v = %s", k->def);
		sc_toml_doc *doc = NULL;
		int r = sc_toml_parse(text, strlen(text), "default", &doc, NULL);
		if (r == 0)
			r = set_value(cfg, k, sc_toml_get(doc->root, "v"), msg, sizeof(msg));
		sc_toml_free(doc);
		if (r < 0) {
			sc_config_release(cfg);
			return r == -EINVAL ? -EINVAL : -ENOMEM;
		}
	}
	return 0;
}

void sc_config_report_release(sc_config_report *r)
{
	if (!r)
		return;
	free(r->items);
	memset(r, 0, sizeof(*r));
}

/* Adds a copy of d to the report. Returns 0 or -ENOMEM. */
static int add_diag(sc_config_report *rep, const sc_diag *d, bool error)
{
	if (error)
		rep->errors++;
	if (rep->len == SC_CONFIG_MAX_NOTES) {
		rep->truncated = true;
		return 0;
	}
	if (rep->len == rep->cap) {
		size_t cap = rep->cap ? rep->cap * 2 : 8;
		struct sc_config_note *items = realloc(rep->items, cap * sizeof(*items));
		if (!items)
			return -ENOMEM;
		rep->items = items;
		rep->cap = cap;
	}
	rep->items[rep->len++] = (struct sc_config_note){.d = *d, .error = error};
	return 0;
}

__attribute__((format(printf, 6, 7))) static int note(sc_config_report *rep, const char *file,
						      bool error, uint32_t line, uint32_t col,
						      const char *fmt, ...)
{
	sc_diag d;
	sc_diag_clear(&d);
	sc_diag_set_file(&d, file);
	char msg[sizeof(d.message)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sc_diag_error(&d, line, col, -1, "%s", msg);
	return add_diag(rep, &d, error);
}

/* Levenshtein distance, capped: names are short. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 99;
	size_t row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The nearest known section (section == NULL) or key of `section` to `name`, if near. */
static const char *nearest(const char *section, const char *name)
{
	const char *best = NULL;
	size_t bestd = 99, len = strlen(name);
	for (size_t i = 0; i < sc_config_nkeys; i++) {
		const sc_config_key *k = &sc_config_keys[i];
		if (section && strcmp(k->section, section))
			continue;
		const char *cand = section ? k->name : k->section;
		size_t d = distance(name, cand);
		/* Also a key written without its unit or with a different one: sample_rate for
		 * sample_rate_hz. */
		if (len >= 4 && !strncmp(cand, name, len) && d > 2)
			d = 2;
		if (d < bestd) {
			bestd = d;
			best = cand;
		}
	}
	return bestd <= (len < 6 ? 1 : len < 10 ? 2 : 3) ? best : NULL;
}

static bool known_section(const char *name)
{
	for (size_t i = 0; i < sc_config_nkeys; i++)
		if (!strcmp(sc_config_keys[i].section, name))
			return true;
	return false;
}

static int apply_section(sc_config *cfg, const sc_toml_entry *sec, const char *file,
			 sc_config_report *rep)
{
	const sc_toml_value *t = sec->value;
	int r = 0;
	for (size_t i = 0; i < t->u.table.len && r == 0; i++) {
		const sc_toml_entry *e = &t->u.table.entries[i];
		const sc_config_key *k = NULL;
		for (size_t j = 0; j < sc_config_nkeys && !k; j++)
			if (!strcmp(sc_config_keys[j].section, sec->key) &&
			    !strcmp(sc_config_keys[j].name, e->key))
				k = &sc_config_keys[j];
		if (!k) {
			const char *near = nearest(sec->key, e->key);
			char kb[256];
			/* A near name in this section, or this very name in another. */
			const char *home = NULL;
			for (size_t j = 0; j < sc_config_nkeys && !home; j++)
				if (!strcmp(sc_config_keys[j].name, e->key))
					home = sc_config_keys[j].section;
			char hint[256] = "";
			if (near && home)
				snprintf(hint, sizeof(hint), " (did you mean '%s'? [%s] has '%s')",
					 near, home, e->key);
			else if (near)
				snprintf(hint, sizeof(hint), " (did you mean '%s'?)", near);
			else if (home)
				snprintf(hint, sizeof(hint), " (it belongs in [%s])", home);
			r = note(rep, file, true, e->line, e->column, "unknown key '%s' in [%s]%s",
				 shown(e->key, kb, sizeof(kb)), sec->key, hint);
			continue;
		}
		char msg[512];
		int s = set_value(cfg, k, e->value, msg, sizeof(msg));
		if (s == -ENOMEM)
			return s;
		if (s < 0)
			r = note(rep, file, true, e->line, e->column, "%s", msg);
		else if (k->no_effect)
			r = note(rep, file, false, e->line, e->column,
				 "note: [%s] %s has no effect on Linux", k->section, k->name);
	}
	return r;
}

int sc_config_apply(sc_config *cfg, const sc_toml_doc *doc, const char *file, sc_config_report *rep)
{
	const sc_toml_value *root = doc->root;
	size_t errors = rep->errors;
	int r = 0;
	for (size_t i = 0; i < root->u.table.len && r == 0; i++) {
		const sc_toml_entry *e = &root->u.table.entries[i];
		if (!known_section(e->key)) {
			const char *near = nearest(NULL, e->key);
			char kb[256];
			if (e->value->type == SC_TOML_TABLE)
				r = note(rep, file, true, e->line, e->column,
					 "unknown section [%s]%s%s%s",
					 shown(e->key, kb, sizeof(kb)),
					 near ? " (did you mean [" : "", near ? near : "",
					 near ? "]?)" : "");
			else
				r = note(rep, file, true, e->line, e->column,
					 "unknown key '%s' outside any section (keys go in a "
					 "section such as [profiling])",
					 shown(e->key, kb, sizeof(kb)));
			continue;
		}
		if (e->value->type != SC_TOML_TABLE) {
			r = note(rep, file, true, e->line, e->column,
				 "[%s] must be a table, not %s %s", e->key,
				 e->value->type == SC_TOML_INTEGER ||
					 e->value->type == SC_TOML_ARRAY
				     ? "an"
				     : "a",
				 sc_toml_type_name(e->value->type));
			continue;
		}
		r = apply_section(cfg, e, file, rep);
	}
	if (r < 0)
		return r;
	return rep->errors > errors ? -EINVAL : 0;
}

int sc_config_load(const char *path, sc_config *cfg, sc_config_report *rep)
{
	int r = sc_config_init(cfg);
	if (r < 0)
		return r;
	sc_toml_doc *doc = NULL;
	sc_diag d;
	r = sc_toml_parse_file(path, &doc, &d);
	if (r == -EINVAL || r == -EFBIG) {
		if (add_diag(rep, &d, true) < 0)
			return -ENOMEM;
		return -EINVAL;
	}
	if (r < 0)
		return r;
	r = sc_config_apply(cfg, doc, path, rep);
	sc_toml_free(doc);
	return r;
}

int sc_config_set(sc_config *cfg, const char *key, const char *text, sc_diag *d)
{
	const sc_config_key *k = sc_config_find(key);
	if (!k)
		return sc_diag_error(d, 0, 0, -1, "unknown key '%s'", key);
	/* Strings as typed, arrays as comma-separated strings; the rest is TOML. */
	sc_toml_value v = {.type = SC_TOML_STRING};
	sc_toml_value *items[64];
	sc_toml_value item[64];
	sc_toml_doc *doc = NULL;
	char *copy = NULL;
	int r = 0;
	char msg[512];
	if (k->type == SC_CONFIG_STRING) {
		v.u.str.ptr = (char *)text;
		v.u.str.len = strlen(text);
	} else if (k->type == SC_CONFIG_STRINGS) {
		copy = strdup(text);
		if (!copy)
			return -ENOMEM;
		v.type = SC_TOML_ARRAY;
		v.u.array.items = items;
		for (char *s = copy, *next; s && *s; s = next) {
			next = strchr(s, ',');
			if (next)
				*next++ = '\0';
			if (v.u.array.len == 64) {
				free(copy);
				return sc_diag_error(d, 0, 0, -1, "%s: more than 64 items", key);
			}
			item[v.u.array.len] = (sc_toml_value){.type = SC_TOML_STRING};
			item[v.u.array.len].u.str.ptr = s;
			item[v.u.array.len].u.str.len = strlen(s);
			items[v.u.array.len] = &item[v.u.array.len];
			v.u.array.len++;
		}
	} else {
		size_t n = strlen(text) + 8;
		copy = malloc(n);
		if (!copy)
			return -ENOMEM;
		snprintf(copy, n, "v = %s", text);
		sc_diag pd;
		if (sc_toml_parse(copy, strlen(copy), NULL, &doc, &pd) < 0 ||
		    doc->root->u.table.len != 1) {
			r = sc_diag_error(d, 0, 0, -1, "%s: '%s' is not %s", key, text,
					  k->type == SC_CONFIG_BOOL  ? "true or false"
					  : k->type == SC_CONFIG_INT ? "an integer"
								     : "a number");
			goto out;
		}
	}
	r = set_value(cfg, k, doc ? sc_toml_get(doc->root, "v") : &v, msg, sizeof(msg));
	if (r == -EINVAL)
		sc_diag_error(d, 0, 0, -1, "%s", msg);
out:
	sc_toml_free(doc);
	free(copy);
	return r;
}

int sc_config_set_assignment(sc_config *cfg, const char *assignment, sc_diag *d)
{
	const char *eq = strchr(assignment, '=');
	if (!eq || eq == assignment)
		return sc_diag_error(d, 0, 0, -1,
				     "'%s' is not KEY=VALUE (e.g. profiling.stack_depth=64)",
				     assignment);
	char key[128];
	size_t len = (size_t)(eq - assignment);
	if (len >= sizeof(key))
		return sc_diag_error(d, 0, 0, -1, "unknown key '%.*s'", (int)len, assignment);
	memcpy(key, assignment, len);
	key[len] = '\0';
	return sc_config_set(cfg, key, eq + 1, d);
}

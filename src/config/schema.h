/*
 * schema.h: scorch.toml, the settings file of `scorch run`: its keys and a typed struct of them.
 *
 * One table, sc_config_keys[], lists every key with its type, default, range and help; the
 * loader checks files against it, `scorch config init` writes its commented default file from it
 * and `scorch config keys` prints the Markdown table of docs/config.md from it, so the three
 * cannot disagree. The sections: [profiling], [output], [filters], [memory], [heap_analysis],
 * [reporting], [thresholds]; [windows_specific] (the seeds' Windows settings) is accepted with a
 * note that it has no effect on Linux.
 *
 * Loading: every problem is collected (not only the first), each an sc_diag naming the file,
 * line, column and key: unknown sections and keys (with "did you mean" for a near miss), wrong
 * types, values out of range or not among a key's choices. Notes (keys without effect) are
 * collected beside the errors.
 *
 * Precedence: defaults, then the file, then command-line flags through sc_config_set (flags
 * override). The struct owns its strings; sc_config_release frees them. Not thread-safe.
 */
#ifndef SC_CONFIG_SCHEMA_H
#define SC_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/toml.h"
#include "util/diag.h"

typedef struct sc_config_strings {
	char **items;
	size_t len;
} sc_config_strings;

typedef struct sc_config {
	struct {
		bool enabled;
		int64_t sample_rate_hz, stack_depth;
		bool include_system_calls;
	} profiling;
	struct {
		char *format, *directory, *filename_prefix;
	} output;
	struct {
		sc_config_strings include_modules, exclude_modules, include_functions,
		    exclude_functions, include_crates;
		bool exclude_system, exclude_std;
	} filters;
	struct {
		bool track_allocations, track_deallocations;
		int64_t stack_trace_depth, sample_rate;
	} memory;
	struct {
		bool enabled, detect_leaks, track_peak_usage, fragmentation_analysis;
	} heap_analysis;
	struct {
		char *format, *output_directory;
		bool include_call_stacks;
	} reporting;
	struct {
		double max_allocation_size_mb, max_peak_usage_mb;
		int64_t leak_detection_threshold_bytes;
		double cpu_regression_total_pct, cpu_regression_function_pct;
		char *cpu_baseline;
	} thresholds;
	struct {
		bool use_etw, high_resolution_timer, kernel_mode_events;
	} windows_specific;
} sc_config;

enum sc_config_type {
	SC_CONFIG_BOOL,
	SC_CONFIG_INT,
	SC_CONFIG_FLOAT,   /* an integer is accepted */
	SC_CONFIG_STRING,  /* with `choices`, one of them */
	SC_CONFIG_STRINGS, /* an array of strings */
};

typedef struct sc_config_key {
	const char *section, *name;
	enum sc_config_type type;
	size_t offset;	     /* of the field in sc_config */
	const char *def;     /* the default, as TOML text */
	double min, max;     /* numbers: inclusive range */
	const char *choices; /* strings: "a, b, c" or NULL for any */
	const char *help;    /* one line, for init's comments and docs/config.md */
	bool no_effect;	     /* accepted for other platforms' files; ignored here */
} sc_config_key;

extern const sc_config_key sc_config_keys[];
extern const size_t sc_config_nkeys;

/* What loading found: errors and notes, in file order. */
typedef struct sc_config_report {
	struct sc_config_note {
		sc_diag d;
		bool error;
	} * items;
	size_t len, cap, errors;
	bool truncated; /* more than SC_CONFIG_MAX_NOTES: the rest were dropped */
} sc_config_report;

#define SC_CONFIG_MAX_NOTES 100

void sc_config_report_release(sc_config_report *r);

/* Fills *cfg with the defaults. Returns 0 or -ENOMEM (nothing left to release then). */
int sc_config_init(sc_config *cfg);
/* NULL-safe; frees the strings. */
void sc_config_release(sc_config *cfg);

/* Applies a parsed document over *cfg (which holds defaults or earlier values). `file` names it
 * in the report. Returns 0, -EINVAL when the report has errors (*cfg then holds what was valid),
 * or -ENOMEM. */
int sc_config_apply(sc_config *cfg, const sc_toml_doc *doc, const char *file,
		    sc_config_report *rep);
/* sc_config_init, then reads, parses and applies `path` ("-": standard input). A syntax error or
 * an unreadable file is one error in the report. Returns as sc_config_apply, or -errno when the
 * file cannot be read; *cfg is initialized whatever the result (release it). */
int sc_config_load(const char *path, sc_config *cfg, sc_config_report *rep);

/* A command-line flag overriding a key: `key` is "section.name", `text` its value as typed
 * (strings as they are, no quotes; arrays as a comma-separated list; numbers and booleans as in
 * TOML). Returns 0, or -EINVAL with `d` saying why (unknown key, wrong type, out of range). */
int sc_config_set(sc_config *cfg, const char *key, const char *text, sc_diag *d);

/* "section.name=value" (as `scorch run --set` will take it): sc_config_set on the two halves.
 * -EINVAL with `d` set when there is no '=' or the key or value is refused. */
int sc_config_set_assignment(sc_config *cfg, const char *assignment, sc_diag *d);

/* The key named "section.name", or NULL. */
const sc_config_key *sc_config_find(const char *key);

#endif

/*
 * run.h: the parts of `scorch run` (run.c), shared by its files: run_out.c writes a session's
 * report.md, index.html and session.json from the modes' outputs; run_gates.c checks the CI gates.
 *
 * A session is one dated folder DIR/NAME-YYYYmmdd-HHMMSS/ with a subfolder per mode. Each mode is
 * the existing command (record, heap, trace, gpu) run as a child process of this same binary, one
 * after another; its standard error goes to MODE.log in the session folder and is then copied to
 * ours. Nothing here is thread-safe; only run.c prints to the user (the gates' lines too).
 */
#ifndef SC_CLI_RUN_H
#define SC_CLI_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "config/schema.h"

/* RUN_BENCH is not a profiling mode: with --bench, the benchmark program's own measurement,
 * compared with --bench-baseline; `all` does not include it. */
enum run_mode_id { RUN_CPU, RUN_MEMORY, RUN_TRACE, RUN_GPU, RUN_BENCH, RUN_NMODES };

enum run_status { RUN_NOT_RUN, RUN_OK, RUN_FAILED, RUN_SKIPPED };

typedef struct run_mode {
	bool wanted;
	enum run_status status;
	int exit_code;	   /* the child's status as a shell reports it */
	double seconds;	   /* wall time of the child */
	char reason[1024]; /* why it failed or was skipped; when ok, "" or what it could not
			    * measure (gpu: NVML or the kernel trace off) */
} run_mode;

#define RUN_MAX_GATES 16

typedef struct run_gate {
	char name[48]; /* "memory.peak" */
	bool failed;
	double value, limit;
	char line[512]; /* "gate memory.peak: 1.2 GiB > 1 GiB (max_peak_usage_mb = 1024)" */
} run_gate;

typedef struct run_session {
	sc_config cfg;
	const char *config_path; /* NULL: the defaults */
	char *dir;		 /* the session folder */
	char *name;
	char **cmd;
	int ncmd;
	run_mode modes[RUN_NMODES];
	const char *baseline;	    /* --baseline or [thresholds] cpu_baseline, NULL for none */
	const char *bench_baseline; /* --bench-baseline: a scorch.bench report, NULL for none */
	double bench_fail_pct;	    /* --bench-fail: the regression gate's limit, percent */
	int bench_compare_status;   /* scorch bench compare's exit status, -1 when not run */
	run_gate gates[RUN_MAX_GATES];
	int ngates;
	int64_t start_unix; /* seconds */
	double seconds;	    /* the whole session */
} run_session;

extern const char *const run_mode_names[RUN_NMODES]; /* "cpu", "memory", "trace", "gpu", "bench" */
const char *run_status_name(enum run_status s);

/* run_out.c: write report.md, index.html and session.json into s->dir (atomically each).
 * Return 0 or -errno. */
int run_write_report(const run_session *s);
int run_write_index(const run_session *s);
int run_write_session_json(const run_session *s);

/* run_out.c: the heap totals of MEMORY/heap.json (-1 for a field not found). Returns 0 or -errno
 * (-ENOENT when the mode wrote no heap.json). */
typedef struct run_heap_totals {
	int64_t allocs, bytes_allocated, peak_bytes, leaked_bytes, leaked_blocks, largest;
} run_heap_totals;
int run_read_heap_totals(const char *session_dir, run_heap_totals *t);

/* run_gates.c: checks the gates the config and flags ask for, appending them to s->gates.
 * Returns the number of failed gates, or -1 after printing an error (a baseline that cannot be
 * read). */
int run_check_gates(run_session *s);

/* run_compare.c: `scorch run --compare A B`, printed on standard output. Returns the exit
 * status (0, or 2 when A or B is not a session folder). */
int run_compare(const char *a, const char *b);

/* run_filters.c: [filters] of the config applied to the CPU profile (cpu/filtered.pb.gz and
 * the report set of cpu/); 0 when there are none or no CPU profile, else -errno (reported). */
bool run_filters_active(const sc_config *c);
int run_apply_filters(const run_session *s);
/* run_filters.c: [output] format speedscope or chrome: cpu/profile.speedscope.json or
 * cpu/profile.chrome.json (the others are record's own files). 0 or -errno (reported). */
int run_write_main_view(const run_session *s);

/* run_report.c: writes report.md (the Markdown `md`) into s->dir and the [reporting] format
 * (report.md, .json, .txt or .html) into its output_directory. Returns 0 or -errno. */
struct sc_strbuf;
int run_emit_report(const run_session *s, const struct sc_strbuf *md);
/* run_report.c: the heaviest call stack of profile `file` (default sample type), as a Markdown
 * block or a JSON object {"value","pct","frames":[outermost first]}; nothing (null) without one. */
void run_hot_stack(struct sc_strbuf *sb, const char *file, bool json);

/* Formats a byte count as "1.2 GiB" into buf. */
const char *run_fmt_bytes(double bytes, char *buf, unsigned long size);

#endif

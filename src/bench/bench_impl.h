/*
 * bench_impl.h: what the files of src/bench/ share and the public header does not show.
 *
 * The suite (registered benchmarks), the per-call context, the environment probes, the JSON
 * reader that loads saved reports (baselines) and the file comparison the CLI wires up as
 * `scorch bench compare A.json B.json`. Everything here is internal (`sc_bench_`) and hidden.
 *
 * Read next: runner.c (sampling), env.c (environment), json.c (the file format), baseline.c.
 */
#ifndef SC_BENCH_IMPL_H
#define SC_BENCH_IMPL_H

#include "scorch/bench.h"
#include "util/diag.h"
#include "util/vec.h"

/* One registered instance: a def at one argument (or an A/B pair). Owns its strings. */
typedef struct sc_bench_entry {
	char *id, *group, *name;
	int64_t arg;
	bool has_arg;
	scorch_bench_def def; /* name/group point at the entry's copies; args NULL */
	bool is_ab;
	scorch_bench_def def_b;
	int64_t arg_b; /* B's argument: `arg` for scorch_bench_add_ab, B's own for --ab */
	char *name_a, *name_b;
} sc_bench_entry;

struct scorch_bench_suite {
	SC_VEC(sc_bench_entry) entries;
};

struct scorch_bench_ctx {
	const sc_bench_entry *entry;
	const scorch_bench_def *def; /* the variant being run (A or B) */
	int64_t arg;		     /* its argument */
	void *fixture;
	int error;
	enum scorch_bench_throughput tp_kind;
	uint64_t tp;
};

/* --- env.c --- */

/* Counters of the aggregate "cpu" line of /proc/stat. */
typedef struct sc_bench_cpu_times {
	unsigned long long steal, total;
	bool valid;
} sc_bench_cpu_times;

/* Parses /proc/stat text. Returns 0 or -EINVAL when there is no "cpu " line. */
int sc_bench_parse_proc_stat(const char *text, sc_bench_cpu_times *t);
void sc_bench_read_cpu_times(sc_bench_cpu_times *t);
/* Fills what can be known at the start; returns 0 or -ENOMEM. */
int sc_bench_env_start(scorch_bench_env *env, sc_bench_cpu_times *t0, bool debug_build);
/* Fills the end-of-run figures and the warnings. */
int sc_bench_env_finish(scorch_bench_env *env, const sc_bench_cpu_times *t0);
void sc_bench_env_release(scorch_bench_env *env);
/* Appends a warning (printf format) to env->warnings. Returns 0 or -ENOMEM. */
int sc_bench_env_warn(scorch_bench_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* --- perf.c --- */

/* Opens a user-space instruction counter for this thread; returns the fd or -errno. */
int sc_bench_instr_open(void);
uint64_t sc_bench_instr_read(void *fdp);

/* --- callgrind.c --- */

/* The callgrind clock's state: readings alternate start / stop-and-read (see callgrind.c). */
typedef struct sc_bench_callgrind {
	const char *out; /* the --callgrind-out-file path; dumps are OUT.1, OUT.2, ... */
	unsigned dumps;
	bool on;
	uint64_t total; /* instructions counted so far */
	int error;	/* -EIO once a dump could not be read */
} sc_bench_callgrind;

/* True in the child that sc_bench_callgrind_exec started (under valgrind, variable set). */
bool sc_bench_callgrind_active(void);
void sc_bench_callgrind_init(sc_bench_callgrind *cg);
uint64_t sc_bench_callgrind_read(void *cg);
/* Runs this program again with argv[1..] under callgrind and waits; *status gets its exit status
 * (128 + signal when killed). Returns 0, -ENOENT (valgrind could not be run), -EOPNOTSUPP (built
 * without <valgrind/callgrind.h>) or -errno. */
int sc_bench_callgrind_exec(int argc, char **argv, int *status);

/* --- guard.c --- */

/* Runs fn(arg) with SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT caught (on an alternate stack, so
 * that a stack overflow is caught too). Returns 0 after fn returned, the signal number when one
 * of them interrupted fn (fn's frames are abandoned: what it allocated is lost, the process
 * may be damaged), or -errno when the handlers could not be installed. The previous handlers
 * and signal stack are restored either way. Not reentrant: one guarded call at a time per
 * process (the handler's jump target is process-wide). */
int sc_bench_guarded_call(void (*fn)(void *), void *arg);

/* --- runner.c --- */

/* Fills the estimates of a result from its samples (used by the runner and by tests). */
int sc_bench_estimate(scorch_bench_result *r, const scorch_bench_config *c, uint64_t seed);
void sc_bench_result_release(scorch_bench_result *r);
uint64_t sc_bench_hash(const char *s);
/* Pairs two registered instances (each at its own argument) as an A/B entry named `name`. */
int sc_bench_add_ab_entries(scorch_bench_suite *s, const char *name, size_t ia, size_t ib);
/* Measures the registered instance `id` of s once more (warm-up and samples, with c's clock or
 * the real time clocks) into *out, which the caller releases (sc_bench_result_release) even
 * after a failure; calls c->on_result. Returns 0 (a benchmark failing through
 * scorch_bench_fail leaves out->error set), -ENOENT (no such id), -EOPNOTSUPP (counting
 * instructions without c->clock) or -ENOMEM. */
int sc_bench_measure_again(const scorch_bench_suite *s, const scorch_bench_config *c,
			   const char *id, scorch_bench_result *out);

/* --- json.c --- */

/* The most a report may be by default: 64 MiB of text and 4Mi values (numbers, strings, ...),
 * which bounds the reader's memory at a few hundred MB whatever the input (`/dev/zero`
 * included). A run of 100000 samples (--samples' maximum) holds some 300000 values per
 * benchmark. A larger byte cap allows one value per 16 bytes of it (a value costs a node of
 * some 50 bytes: memory stays about three times the cap). */
#define SC_BENCH_JSON_MAX_BYTES	 ((size_t)64 << 20)
#define SC_BENCH_JSON_MAX_VALUES ((size_t)4 << 20)

/* Loads a report written by scorch_bench_write_json (schema "scorch.bench" version 1) from
 * `text`, which must be NUL-terminated at text[len]. Fills *out (release it even after
 * failure); returns 0, -EINVAL with a diagnostic, or -ENOMEM. */
int sc_bench_report_from_json(const char *text, size_t len, scorch_bench_report *out, sc_diag *d);
/* Reads `path` (at most max_bytes, 0: SC_BENCH_JSON_MAX_BYTES) and loads it as above. Returns 0,
 * -EINVAL (d says why, naming the file), -EFBIG (over the byte or value cap; d says which),
 * -ENOMEM or -errno of reading (d names the file). */
int sc_bench_load_report(const char *path, size_t max_bytes, scorch_bench_report *out, sc_diag *d);

/* --- baseline.c --- */

/* Compares report `cur` against `base` by id, filling each matched result's comparison. */
int sc_bench_compare_reports(scorch_bench_report *cur, const scorch_bench_report *base);
/* scorch_bench_confirm_baseline with the baseline already loaded. */
int sc_bench_confirm_reports(scorch_bench_suite *s, const scorch_bench_config *c,
			     scorch_bench_report *cur, const scorch_bench_report *base);

/* `scorch bench compare A.json B.json`: loads both files (each under max_bytes, 0: the
 * default), compares B (new) against A (base) and leaves the result in *out (B's results with
 * comparisons filled, baseline_name = A's path); print it with scorch_bench_write_table().
 * `noise` < 0 keeps B's recorded threshold. B's resamples are lowered (shown in the output's
 * header) when the files' samples and resamples would ask for more than about 5e8 bootstrap draws
 * in all, so that a hand-edited file cannot make a comparison run for hours. Returns 0, -ENOENT/-errno (d names the file), -EINVAL
 * (not a scorch.bench file, d says why), -EFBIG (over the cap, d says so), -ENOMEM. */
int sc_bench_compare_files(const char *a_path, const char *b_path, double noise, size_t max_bytes,
			   scorch_bench_report *out, sc_diag *d);

/* --- output.c --- */

/* The compact table of `scorch bench compare`: one row per benchmark of r (the new run, with
 * comparisons filled and baseline_name set): base, new, change with interval, p, verdict. */
int sc_bench_write_comparison(const scorch_bench_report *r, FILE *fp);

const char *sc_bench_verdict_name(enum scorch_bench_verdict v);
/* "12.3 ns", "4.56 µs", ... into buf. */
const char *sc_bench_fmt_time(double ns, const char *unit, char *buf, size_t size);

#endif

/*
 * run_compare.c: `scorch run --compare A B`, two session folders mode by mode, on standard output:
 *
 *   cpu      A/cpu/profile.pb.gz against B/cpu/profile.pb.gz, as `scorch diff` prints it
 *            (report/diff.h: what got slower, what got faster)
 *   memory   the heap totals of A/memory/heap.json and B/memory/heap.json side by side
 *   trace    A/trace/spans.pb.gz against B/trace/spans.pb.gz, as `scorch diff` prints it
 *   gpu      A/gpu/gpu.pb.gz against B/gpu/gpu.pb.gz (the gpu command's profile of kernels by
 *            GPU time, each under the CPU stack that launched it), as `scorch diff` prints it
 *
 * A mode that only one session has is named as such. A and B must be session folders (they hold
 * session.json); anything else is a usage error.
 */
#include "cli/commands.h"
#include "cli/load.h"
#include "cli/run.h"
#include "report/diff.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool has(const char *dir, const char *file)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, R_OK) == 0;
}

/* Which of the two has `file`: prints a line and returns false unless both have it. */
static bool both(const char *a, const char *b, const char *mode, const char *file)
{
	bool ha = has(a, file), hb = has(b, file);
	if (ha && hb)
		return true;
	printf("%s: %s\n\n", mode,
	       !ha && !hb ? "in neither session"
	       : ha	  ? "only in the first session"
			  : "only in the second session");
	return false;
}

static int diff_profiles(const char *a, const char *b, const char *mode, const char *file)
{
	char pa[PATH_MAX], pb[PATH_MAX];
	sc_profile *base = NULL, *p = NULL;
	sc_diff d = {0};
	int bt, nt, rc = 0;
	if (!both(a, b, mode, file))
		return 0;
	snprintf(pa, sizeof(pa), "%s/%s", a, file);
	snprintf(pb, sizeof(pb), "%s/%s", b, file);
	printf("%s:\n", mode);
	if (sc_cli_load_profile("run", pa, &base) != 0 || sc_cli_load_profile("run", pb, &p) != 0 ||
	    (bt = sc_cli_pick_sample_type("run", base, NULL)) < 0 ||
	    (nt = sc_cli_pick_sample_type("run", p, NULL)) < 0) {
		rc = 1;
		goto out;
	}
	int r = sc_diff_compute(base, bt, p, nt, 0, &d);
	if (r < 0) {
		sc_cli_error("run", r, "--compare: cannot compare '%s' with '%s'", pa, pb);
		rc = 1;
		goto out;
	}
	d.base_name = d.base_path = pa;
	d.new_name = d.new_path = pb;
	sc_diff_print_text(&d, 10, stdout);
	putchar('\n');
out:
	sc_diff_release(&d);
	sc_profile_free(p);
	sc_profile_free(base);
	return rc;
}

static void heap_row(const char *what, int64_t a, int64_t b, bool bytes)
{
	char x[32], y[32];
	if (bytes)
		printf("  %-20s %12s %12s", what, run_fmt_bytes((double)a, x, sizeof(x)),
		       run_fmt_bytes((double)b, y, sizeof(y)));
	else
		printf("  %-20s %12" PRId64 " %12" PRId64, what, a, b);
	if (a > 0)
		printf("  %+.1f%%\n", 100.0 * (double)(b - a) / (double)a);
	else
		printf("  %s\n", b == a ? "=" : "new");
}

static int compare_heap(const char *a, const char *b)
{
	run_heap_totals ta, tb;
	if (!both(a, b, "memory", "memory/heap.json"))
		return 0;
	if (run_read_heap_totals(a, &ta) < 0 || run_read_heap_totals(b, &tb) < 0) {
		sc_cli_error("run", 0, "--compare: a heap.json cannot be read");
		return 1;
	}
	printf("memory:\n  %-20s %12s %12s  change\n", "", "first", "second");
	heap_row("allocations", ta.allocs, tb.allocs, false);
	heap_row("bytes allocated", ta.bytes_allocated, tb.bytes_allocated, true);
	heap_row("peak", ta.peak_bytes, tb.peak_bytes, true);
	heap_row("leaked", ta.leaked_bytes, tb.leaked_bytes, true);
	heap_row("leaked blocks", ta.leaked_blocks, tb.leaked_blocks, false);
	heap_row("largest allocation", ta.largest, tb.largest, true);
	putchar('\n');
	return 0;
}

int run_compare(const char *a, const char *b)
{
	const char *dirs[2] = {a, b};
	for (int i = 0; i < 2; i++)
		if (!has(dirs[i], "session.json")) {
			sc_cli_error(
			    "run", 0,
			    "--compare: '%s' is not a session folder (it has no session.json)",
			    dirs[i]);
			return 2;
		}
	printf("scorch run --compare: first %s, second %s\n\n", a, b);
	int rc = diff_profiles(a, b, "cpu", "cpu/profile.pb.gz");
	rc |= compare_heap(a, b);
	rc |= diff_profiles(a, b, "trace", "trace/spans.pb.gz");
	rc |= diff_profiles(a, b, "gpu", "gpu/gpu.pb.gz");
	return rc;
}

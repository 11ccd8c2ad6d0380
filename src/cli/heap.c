/*
 * heap.c: `scorch heap`, every allocation of a command with its call stack: leaks, the peak and
 * what held it, allocation sites, sizes and lifetimes, and gates for CI.
 *
 * Flow: parse options -> sc_heaprec_run (src/record/heaprec.h) runs the command with
 * libscorch-heap.so preloaded and hands each process image's allocation events, in order, to an
 * sc_heap analysis (src/heap/heap.h) of its own -> sc_symbolize_profile on the stacks -> each
 * image's files written as one set (heap.json, dhat.json, heap.pb.gz, peak.pb.gz, alloc.html,
 * leaks.html, peak.html, timeline.svg): the command's own (its last image, after any exec) in the
 * output folder, every other process image in DIR/pid-PID (DIR/pid-PID-2... for a process that
 * exec'd) -> a summary of the command's image on standard error -> the gates (--fail-on).
 *
 * Exit status: the command's (128 + signal when killed, 127/126 when it cannot be run), or 3
 * when a gate failed (a line per failed gate says which), 1 when scorch itself failed, 2 for bad
 * options.
 */
#include "cli/commands.h"
#include "cli/options.h"
#include "heap/heap.h"
#include "record/heaprec.h"
#include "report/frames.h"
#include "session/outdir.h"
#include "symbolize/symbolize.h"
#include "util/fileio.h"
#include "util/strbuf.h"
#include "util/vec.h"

#include <errno.h>
#include <regex.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *const usage[] = {
    "scorch heap [options] -- COMMAND [ARGS...]",
    NULL,
};

static const char *const examples[] = {
    "scorch heap -- ./myprog args",
    "scorch heap -o heap-out --depth 24 -- ./myprog",
    "scorch heap --fail-on 'leaks>1K,peak>1G' -- ./tests/run",
    NULL,
};

/* The allocator's statistics, kept until the image's events are all in (heaprec.h). */
struct alloc_stat {
	uint64_t time, held, in_use, free_bytes;
};

/* One process image and its analysis. */
struct image {
	uint32_t instance, pid;
	sc_heap *heap;
	SC_VEC(struct alloc_stat) stats;
	char dir[PATH_MAX]; /* where its files go */
};

/* Ends the analysis of `im`, its allocator statistics added first (they come from another
 * clock than the events, like RSS, and must not start the events' clock before them). */
static int finish_image(struct image *im, uint64_t time, bool exited)
{
	for (size_t i = 0; i < im->stats.len; i++) {
		const struct alloc_stat *a = &im->stats.data[i];
		int r = sc_heap_allocator(im->heap, a->time, a->held, a->in_use, a->free_bytes);
		if (r < 0)
			return r;
	}
	sc_vec_release(&im->stats);
	return sc_heap_finish(im->heap, time, exited);
}

struct run {
	sc_profile *p;
	SC_VEC(struct image) images;
	int err;
};

static struct image *image_of(struct run *r, uint32_t instance)
{
	/* Images are few and mostly the last one is asked for. */
	for (size_t i = r->images.len; i-- > 0;)
		if (r->images.data[i].instance == instance)
			return &r->images.data[i];
	return NULL;
}

static int on_begin(void *ctx, uint32_t instance, uint32_t pid)
{
	struct run *r = ctx;
	struct image im = {.instance = instance, .pid = pid, .heap = sc_heap_new(r->p, pid)};
	if (!im.heap || sc_vec_push(&r->images, im) < 0) {
		sc_heap_free(im.heap);
		return -ENOMEM;
	}
	return 0;
}

static int on_events(void *ctx, uint32_t instance, const sc_heap_event *e, size_t n)
{
	struct image *im = image_of(ctx, instance);
	return im ? sc_heap_add_many(im->heap, e, n) : 0;
}

static int on_rss(void *ctx, uint32_t instance, uint64_t time, uint64_t bytes)
{
	struct image *im = image_of(ctx, instance);
	return im && !sc_heap_is_finished(im->heap) ? sc_heap_rss(im->heap, time, bytes) : 0;
}

static int on_end(void *ctx, uint32_t instance, uint64_t time, bool exited)
{
	struct image *im = image_of(ctx, instance);
	return im && !sc_heap_is_finished(im->heap) ? finish_image(im, time, exited) : 0;
}

static int on_allocator(void *ctx, uint32_t instance, uint64_t time, uint64_t held, uint64_t in_use,
			uint64_t free_bytes)
{
	struct image *im = image_of(ctx, instance);
	if (!im || sc_heap_is_finished(im->heap))
		return 0;
	struct alloc_stat a = {time, held, in_use, free_bytes};
	return sc_vec_push(&im->stats, a) < 0 ? -ENOMEM : 0;
}

static int on_live(void *ctx, uint32_t instance, sc_heap_block **blocks, size_t *n)
{
	struct image *im = image_of(ctx, instance);
	if (!im) { /* an image with no event: nothing live */
		*blocks = NULL;
		*n = 0;
		return 0;
	}
	return sc_heap_live_blocks(im->heap, blocks, n);
}

static int on_kinds(void *ctx, uint32_t instance, const sc_heap_block *blocks, const uint8_t *kinds,
		    size_t n)
{
	struct image *im = image_of(ctx, instance);
	return im && !sc_heap_is_finished(im->heap) ? sc_heap_set_kinds(im->heap, blocks, kinds, n)
						    : 0;
}

/* ---- writing ------------------------------------------------------------------------------- */

static const char *const file_names[] = {"heap.json",  "dhat.json",  "heap.pb.gz", "peak.pb.gz",
					 "alloc.html", "leaks.html", "peak.html",  "timeline.svg"};
#define NFILES (sizeof(file_names) / sizeof(file_names[0]))

struct writing {
	const sc_heap *heap;
	const sc_heap_report *rep;
};

static int write_one(FILE *f, size_t i, void *ctx)
{
	const struct writing *w = ctx;
	switch (i) {
	case 0:
		return sc_heap_write_json(w->heap, w->rep, f);
	case 1:
		return sc_heap_write_dhat(w->heap, w->rep, f);
	case 2:
		return sc_heap_write_pprof(w->heap, SC_HEAP_PROFILE_ALL, f);
	case 3:
		return sc_heap_write_pprof(w->heap, SC_HEAP_PROFILE_PEAK, f);
	case 4:
		return sc_heap_write_flamegraph(w->heap, SC_HEAP_VIEW_ALLOC, f);
	case 5:
		return sc_heap_write_flamegraph(w->heap, SC_HEAP_VIEW_LEAKS, f);
	case 6:
		return sc_heap_write_flamegraph(w->heap, SC_HEAP_VIEW_PEAK, f);
	default:
		return sc_heap_write_timeline(w->heap, f);
	}
}

/* Chooses each image's folder: the command's last image gets `dir`, the others pid-PID[-K]. */
static int place_images(struct run *r, const char *dir, uint32_t root_pid)
{
	size_t main_image = SIZE_MAX;
	for (size_t i = 0; i < r->images.len; i++)
		if (r->images.data[i].pid == root_pid)
			main_image = i;
	for (size_t i = 0; i < r->images.len; i++) {
		struct image *im = &r->images.data[i];
		if (i == main_image) {
			snprintf(im->dir, sizeof(im->dir), "%s", dir);
			continue;
		}
		unsigned k = 1;
		for (size_t j = 0; j < i; j++)
			k += r->images.data[j].pid == im->pid && j != main_image;
		int n = k == 1
			    ? snprintf(im->dir, sizeof(im->dir), "%s/pid-%u", dir, im->pid)
			    : snprintf(im->dir, sizeof(im->dir), "%s/pid-%u-%u", dir, im->pid, k);
		if (n < 0 || (size_t)n >= sizeof(im->dir))
			return -ENAMETOOLONG;
		if (mkdir(im->dir, 0777) < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

/* ---- the summary ---------------------------------------------------------------------------- */

/* Bytes as every view writes them (sc_fmt_value: "10.1KiB", "300B"). */
static void human(uint64_t bytes, char *buf, size_t size)
{
	sc_fmt_value(buf, size, bytes > INT64_MAX ? INT64_MAX : (int64_t)bytes, "bytes");
}

/* "f <- g <- main" for a stack: its innermost frames, at most `max`. */
static void stack_text(const sc_profile *p, sc_stack_id id, size_t max, char *buf, size_t size)
{
	sc_frame frames[300]; /* deeper than any recorded stack (--depth is at most 256) */
	size_t n = sc_profile_stack_frames(p, id, frames, 300);
	if (n > 300)
		n = 300;
	size_t used = 0;
	buf[0] = 0;
	/* frames[] is outermost first: print from the leaf. */
	for (size_t i = 0; i < n && i < max && used + 1 < size; i++) {
		int w = snprintf(buf + used, size - used, "%s%s", i ? " <- " : "",
				 sc_profile_frame_name(p, &frames[n - 1 - i]));
		if (w < 0)
			break;
		used += (size_t)w < size - used ? (size_t)w : size - used - 1;
	}
	if (!n)
		snprintf(buf, size, "[unknown]");
}

static void print_sites(const sc_profile *p, const sc_heap *h, sc_heap_order order,
			const char *title, size_t top)
{
	const sc_heap_site **s = NULL;
	size_t n = 0;
	if (!top || sc_heap_sorted_sites(h, order, &s, &n) < 0 || !n) {
		free(s);
		return;
	}
	fprintf(stderr, "\n%s:\n", title);
	for (size_t i = 0; i < n && i < top; i++) {
		char b[32], where[512];
		stack_text(p, s[i]->stack, 4, where, sizeof(where));
		uint64_t bytes = order == SC_HEAP_BY_LIVE   ? s[i]->live_bytes
				 : order == SC_HEAP_BY_PEAK ? s[i]->peak_bytes
							    : s[i]->bytes;
		uint64_t blocks = order == SC_HEAP_BY_LIVE   ? s[i]->live_blocks
				  : order == SC_HEAP_BY_PEAK ? s[i]->peak_blocks
							     : s[i]->allocs;
		if (order == SC_HEAP_BY_TEMPORARY) {
			fprintf(stderr, "  %10llu of %8llu blocks  %s\n",
				(unsigned long long)s[i]->temporary,
				(unsigned long long)s[i]->allocs, where);
			continue;
		}
		human(bytes, b, sizeof(b));
		fprintf(stderr, "  %10s in %8llu block%s  %s\n", b, (unsigned long long)blocks,
			blocks == 1 ? " " : "s", where);
	}
	free(s);
}

/* "leaked: definitely lost 100B in 1 block, ..." or why the leaks are not classified. */
static void print_kinds(const sc_heap_totals *t)
{
	if (!t->classified) {
		fprintf(stderr,
			"scorch heap: leaks not classified (no exit scan: the process ended "
			"by _exit or a signal, or was recorded with --sample)\n");
		return;
	}
	fprintf(stderr, "scorch heap: leaked:");
	static const sc_heap_leak_kind order[] = {SC_HEAP_DEFINITE, SC_HEAP_INDIRECT,
						  SC_HEAP_POSSIBLE, SC_HEAP_REACHABLE,
						  SC_HEAP_UNCLASSIFIED};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		sc_heap_leak_kind k = order[i];
		if (k == SC_HEAP_UNCLASSIFIED && !t->kind_blocks[k])
			continue;
		char b[32];
		human(t->kind_bytes[k], b, sizeof(b));
		fprintf(stderr, "%s %s %s in %llu block%s", i ? "," : "", sc_heap_kind_name(k), b,
			(unsigned long long)t->kind_blocks[k], t->kind_blocks[k] == 1 ? "" : "s");
	}
	fprintf(stderr, "\n");
}

static void summary(const sc_profile *p, const struct image *im, bool main_image, uint32_t root,
		    size_t top)
{
	const sc_heap_totals *t = sc_heap_get_totals(im->heap);
	char a[32], f[32], pk[32], lk[32], lg[32];
	human(t->bytes_allocated, a, sizeof(a));
	human(t->bytes_freed, f, sizeof(f));
	human(t->peak_bytes, pk, sizeof(pk));
	human(t->exited ? t->leaked_bytes : t->live_bytes, lk, sizeof(lk));
	human(t->largest, lg, sizeof(lg));
	fprintf(stderr,
		"scorch heap: %s%u: %llu allocations (%s), %llu frees (%s); peak %s in %llu blocks "
		"at %.3f s; %s %s in %llu blocks; largest %s\n",
		main_image	  ? "pid "
		: im->pid == root ? "before an exec, pid "
				  : "other process ",
		im->pid, (unsigned long long)t->allocs, a, (unsigned long long)t->frees, f, pk,
		(unsigned long long)t->peak_blocks, (double)t->peak_time / 1e9,
		t->exited ? "leaked" : "live at the end", lk,
		(unsigned long long)(t->exited ? t->leaked_blocks : t->live_blocks), lg);
	if (t->exited && t->leaked_blocks)
		print_kinds(t);
	if (!main_image)
		return;
	if (t->suppressed_blocks) {
		char sb[32];
		human(t->suppressed_bytes, sb, sizeof(sb));
		fprintf(stderr, "scorch heap: %s in %llu blocks suppressed (--suppress)\n", sb,
			(unsigned long long)t->suppressed_blocks);
	}
	if (t->alloc_held) {
		char held[32], used[32], fr[32];
		human(t->alloc_held, held, sizeof(held));
		human(t->alloc_in_use, used, sizeof(used));
		human(t->alloc_free, fr, sizeof(fr));
		fprintf(
		    stderr,
		    "scorch heap: allocator (mallinfo2) at its largest: %s held from the system, "
		    "%s in use, %s free inside: %.1f%% fragmentation\n",
		    held, used, fr, 100.0 * (double)t->alloc_free / (double)t->alloc_held);
	}
	if (t->frees_unknown)
		fprintf(stderr,
			"scorch heap: %llu frees of blocks allocated before the tracker started "
			"(not counted)\n",
			(unsigned long long)t->frees_unknown);
	print_sites(p, im->heap, SC_HEAP_BY_BYTES, "allocated most", top);
	print_sites(p, im->heap, SC_HEAP_BY_PEAK, "live at the peak", top);
	print_sites(p, im->heap, SC_HEAP_BY_TEMPORARY,
		    "temporary (freed before their thread allocated again: churn)", top);
	print_sites(p, im->heap, SC_HEAP_BY_LIVE, t->exited ? "leaked" : "live at the end", top);
}

static int parse_call_graph(const char *s, sc_record_callgraph *out)
{
	if (!strcmp(s, "auto"))
		*out = SC_RECORD_CG_AUTO;
	else if (!strcmp(s, "dwarf"))
		*out = SC_RECORD_CG_DWARF;
	else if (!strcmp(s, "fp"))
		*out = SC_RECORD_CG_FP;
	else
		return -1;
	return 0;
}

/* --suppress: a stack matches when one of its frames' function names or modules does. */
struct suppress {
	const sc_profile *p;
	regex_t re;
};

static bool suppress_match(void *ctx, sc_stack_id stack)
{
	const struct suppress *s = ctx;
	sc_frame frames[300];
	size_t n = sc_profile_stack_frames(s->p, stack, frames, 300);
	if (n > 300)
		n = 300;
	for (size_t i = 0; i < n; i++) {
		const char *module = sc_profile_location_module(s->p, frames[i].location);
		if (regexec(&s->re, sc_profile_frame_name(s->p, &frames[i]), 0, NULL, 0) == 0 ||
		    (module && regexec(&s->re, module, 0, NULL, 0) == 0))
			return true;
	}
	return false;
}

/* "512K", "1M", "4096": bytes, 1 to 1 GiB. */
static int parse_bytes(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-')
		return -1;
	uint64_t mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1024;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024;
	else if (*end == 'G' || *end == 'g')
		mul = 1024 * 1024 * 1024;
	if (mul > 1)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || !v || v > (1ull << 30) / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int cmd_heap(int argc, char **argv)
{
	const char *outdir = NULL, *fail_on = NULL, *call_graph = NULL, *sample = NULL,
		   *suppress = NULL;
	int depth = 16, top = 5;
	double duration = 0;
	bool no_inherit = false, quiet = false;
	sc_option opts[] = {
	    SC_OPT_STR('o', "output", &outdir, "DIR",
		       "output folder (default scorch-out/heap-COMMAND-TIMESTAMP)"),
	    SC_OPT_INT_RANGE(0, "depth", &depth, "N", 1, 256,
			     "frames kept per allocation stack (default 16)"),
	    SC_OPT_STR(0, "call-graph", &call_graph, "MODE",
		       "how stacks are walked: auto (default), dwarf or fp"),
	    SC_OPT_STR(0, "sample", &sample, "BYTES",
		       "record one allocation per BYTES allocated on average (e.g. 512K), "
		       "with its weight: byte totals become estimates, cheaper"),
	    SC_OPT_STR(0, "fail-on", &fail_on, "GATES",
		       "exit 3 when a gate fails, e.g. 'leaks>1K,peak>1G,largest>64M,count>1M'; "
		       "'definite>0': bytes definitely lost (every leaked byte when the leaks "
		       "could not be classified)"),
	    SC_OPT_STR(0, "suppress", &suppress, "REGEX",
		       "leaks whose stack has a function or module matching REGEX are "
		       "suppressed: not reported as leaks, not counted by the gates"),
	    SC_OPT_FLAG('i', "no-inherit", &no_inherit,
			"the command's process only: not the processes it forks or runs"),
	    SC_OPT_DOUBLE_RANGE(0, "duration", &duration, "SECONDS", 0, 1e9,
				"stop after SECONDS (default: when the command exits)"),
	    SC_OPT_INT_RANGE('n', "top", &top, "N", 0, 1000,
			     "allocation sites shown per list in the summary (default 5)"),
	    SC_OPT_FLAG('q', "quiet", &quiet, "print no summary"),
	    SC_OPT_END(),
	};
	int argi = sc_options_parse("heap", usage, opts, examples, argc, argv);
	if (argi == SC_OPTIONS_HELP)
		return 0;
	if (argi < 0)
		return 2;
	if (argi >= argc) {
		sc_cli_error("heap", 0, "no command to profile (usage: scorch heap -- COMMAND)");
		return 2;
	}
	sc_heaprec_options o = {
	    .argv = argv + argi, .max_depth = depth, .inherit = !no_inherit, .duration = duration};
	if (call_graph && parse_call_graph(call_graph, &o.callgraph) < 0) {
		sc_cli_error("heap", 0, "--call-graph must be auto, dwarf or fp, not '%s'",
			     call_graph);
		return 2;
	}
	if (sample && parse_bytes(sample, &o.sample_bytes) < 0) {
		sc_cli_error(
		    "heap", 0,
		    "--sample must be a size in bytes, with an optional K, M or G (1024-based), "
		    "from 1 to 1G, not '%s'",
		    sample);
		return 2;
	}
	struct suppress sup = {0};
	if (suppress) {
		int e = regcomp(&sup.re, suppress, REG_EXTENDED | REG_NOSUB);
		if (e) {
			char msg[128];
			regerror(e, &sup.re, msg, sizeof(msg));
			sc_cli_error("heap", 0, "--suppress: bad regular expression '%s': %s",
				     suppress, msg);
			return 2;
		}
	}
	sc_heap_gates gates = {0};
	if (fail_on) {
		sc_diag d = {0};
		if (sc_heap_gates_parse(fail_on, &gates, &d) < 0) {
			sc_cli_error("heap", 0, "--fail-on: %s", d.message);
			return 2;
		}
	}
	char agent[PATH_MAX];
	if (sc_heaprec_agent(agent, sizeof(agent)) < 0) {
		sc_cli_error("heap", 0,
			     "the allocation tracker %s is not there (build it with make, or "
			     "install scorch)",
			     agent);
		return 1;
	}

	int rc = 1;
	sc_outdir dir = {0};
	struct run run = {0};
	sc_heaprec_result res = {0};
	run.p = sc_profile_new();
	if (!run.p) {
		sc_cli_error("heap", -ENOMEM, "cannot start");
		goto out;
	}
	const char *base = strrchr(o.argv[0], '/');
	char name[160];
	snprintf(name, sizeof(name), "heap-%s", base ? base + 1 : o.argv[0]);
	int r =
	    outdir ? sc_outdir_make(&dir, outdir) : sc_outdir_make_dated(&dir, "scorch-out", name);
	if (r < 0) {
		sc_cli_error("heap", r, "cannot create output folder '%s'",
			     dir.path.buf ? dir.path.buf : outdir);
		goto out;
	}
	sc_heaprec_callbacks cb = {.ctx = &run,
				   .begin = on_begin,
				   .events = on_events,
				   .rss = on_rss,
				   .end = on_end,
				   .live = on_live,
				   .kinds = on_kinds,
				   .allocator = on_allocator};
	const char *seed = getenv("SCORCH_HEAP_SAMPLE_SEED"); /* tests: reproducible samples */
	if (seed)
		o.sample_seed = strtoull(seed, NULL, 0);
	r = sc_heaprec_run(&o, agent, run.p, &cb, &res);
	if (r < 0) {
		if (res.err[0])
			sc_cli_error("heap", 0, "%s", res.err);
		else
			sc_cli_error("heap", r, "recording failed");
		rc = res.exec_errno == ENOENT ? 127 : res.exec_errno ? 126 : 1;
		goto out;
	}
	rc = sc_cli_exit_status(res.exited, res.wait_status);

	sc_sym_stats st = {0};
	sc_sym_options so = {0};
	if ((r = sc_symbolize_profile(run.p, &so, &st)) < 0)
		sc_cli_error("heap", r, "symbolization failed; writing unsymbolized addresses");
	uint32_t root = res.pid; /* the command's own process: its last image goes in DIR */
	if ((r = place_images(&run, dir.path.buf, root)) < 0) {
		sc_cli_error("heap", r, "cannot create the folders under '%s'", dir.path.buf);
		rc = 1;
		goto out;
	}
	char command[1024] = "";
	for (size_t i = 0, used = 0; o.argv[i] && used + 1 < sizeof(command); i++) {
		int w = snprintf(command + used, sizeof(command) - used, "%s%s", i ? " " : "",
				 o.argv[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	size_t failed_gates = 0;
	bool werr = false;
	for (size_t i = 0; i < run.images.len; i++) {
		struct image *im = &run.images.data[i];
		if (!sc_heap_is_finished(im->heap))
			finish_image(im, 0, true);
		if (suppress) {
			sup.p = run.p;
			sc_heap_suppress(im->heap, suppress_match, &sup);
		}
		sc_heap_gates g = gates;
		size_t nf = gates.n ? sc_heap_gates_eval(&g, sc_heap_get_totals(im->heap)) : 0;
		sc_heap_report rep = {.command = command, .gates = gates.n ? &g : NULL};
		struct writing w = {im->heap, &rep};
		size_t bad = 0;
		r = sc_afile_write_set(im->dir, file_names, NFILES, write_one, &w, &bad);
		if (r < 0) {
			sc_cli_error("heap", r, "cannot write '%s/%s'", im->dir, file_names[bad]);
			werr = true;
		}
		for (size_t k = 0; k < g.n; k++)
			if (g.gate[k].failed)
				fprintf(
				    stderr, "scorch heap: gate failed: %s (pid %u: %s is %llu)\n",
				    g.gate[k].text, im->pid, sc_heap_metric_name(g.gate[k].metric),
				    (unsigned long long)g.gate[k].value);
		failed_gates += nf;
	}
	if (!quiet) {
		for (size_t i = 0; i < run.images.len; i++)
			if (strcmp(run.images.data[i].dir, dir.path.buf))
				summary(run.p, &run.images.data[i], false, root, 0);
		for (size_t i = 0; i < run.images.len; i++)
			if (!strcmp(run.images.data[i].dir, dir.path.buf))
				summary(run.p, &run.images.data[i], true, root, (size_t)top);
		if (res.lost)
			fprintf(
			    stderr,
			    "scorch heap: warning: %llu events could not be recorded (no ring free "
			    "for a thread, or scorch did not keep up): leaks may be overstated\n",
			    (unsigned long long)res.lost);
		if (res.note[0])
			fprintf(stderr, "scorch heap: %s\n", res.note);
		if (!run.images.len)
			fprintf(stderr, "scorch heap: no allocation was recorded\n");
		fprintf(stderr,
			"scorch heap: wrote %s/{heap.json,dhat.json,heap.pb.gz,peak.pb.gz,"
			"alloc.html,leaks.html,peak.html,timeline.svg}\n",
			dir.path.buf);
	}
	if (werr)
		rc = 1;
	else if (failed_gates)
		rc = 3;
out:
	if (suppress)
		regfree(&sup.re);
	for (size_t i = 0; i < run.images.len; i++) {
		sc_heap_free(run.images.data[i].heap);
		sc_vec_release(&run.images.data[i].stats);
	}
	sc_vec_release(&run.images);
	sc_outdir_remove_if_empty(&dir);
	sc_outdir_release(&dir);
	sc_profile_free(run.p);
	return rc;
}

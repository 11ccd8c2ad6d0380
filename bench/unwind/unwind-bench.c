/*
 * unwind-bench.c: how fast src/unwind walks real stacks, and how much of each stack it recovers.
 *
 * Captures stacks the way the recorder will receive them (registers + a copy of the top of the
 * user stack, like PERF_SAMPLE_REGS_USER/STACK_USER) from distribution binaries built without
 * frame pointers, by stopping them with ptrace every couple of milliseconds: python3 serializing
 * JSON and sorting, and xz -9 compressing. Then unwinds the captured set in each mode and prints
 * frames per second, the cost per stack, and the share of stacks unwound to the outermost frame:
 *
 *   dwarf/libdw-each-step  libdw's dwarf_cfi_addrframe at every frame (no rule cache)
 *   dwarf/cold             a fresh unwinder: opening files and reading each pc's rule once
 *   dwarf, auto, fp        the same unwinder again (rules cached), several rounds
 *   dwfl/per-stack         elfutils' unwinder (libdwfl), a new Dwfl per stack, as perf does
 *   dwfl/one               elfutils' unwinder, one Dwfl for the whole run
 *
 * Usage: unwind-bench [SAMPLES [STACK_BYTES [ROUNDS]]]   (defaults 400, 16384, 20)
 * Needs ptrace on its own children. Timing output only; no test depends on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "unwind/maps.h"
#include "unwind/unwind.h"

struct workload {
	const char *name;
	const char *const *argv;
	struct sample *samples;
	size_t n;
	char maps[64]; /* a copy of /proc/PID/maps taken before the process was killed */
};

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t stack_end(pid_t pid, uint64_t sp)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "r");
	uint64_t end = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && sp >= lo && sp < hi)
			end = hi;
	}
	if (f)
		fclose(f);
	return end;
}

/* Waits for the interrupt's stop, passing on any signal that stops the child first. Returns 0, or
 * -1 when the child is gone. */
static int wait_stop(pid_t pid)
{
	for (;;) {
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
			return -1;
		if ((st >> 16) == PTRACE_EVENT_STOP)
			return 0;
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)WSTOPSIG(st));
	}
}

static int capture(struct workload *w, size_t want, size_t stack_bytes)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execvp(w->argv[0], (char *const *)w->argv);
		_exit(127);
	}
	usleep(300 * 1000); /* past start-up: imports, the input read */
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) != 0) {
		int e = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -e;
	}
	w->samples = calloc(want, sizeof(*w->samples));
	while (w->samples && w->n < want) {
		usleep(2000);
		if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) != 0 || wait_stop(pid) < 0)
			break;
		struct user_regs_struct ur;
		if (ptrace(PTRACE_GETREGS, pid, NULL, &ur) == 0) {
			uint64_t end = stack_end(pid, ur.rsp);
			size_t size = end > ur.rsp ? end - ur.rsp : 0;
			if (size > stack_bytes)
				size = stack_bytes;
			struct sample *s = &w->samples[w->n];
			s->stack = malloc(size ? size : 1);
			struct iovec l = {s->stack, size}, r = {(void *)(uintptr_t)ur.rsp, size};
			if (s->stack && process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)size) {
				s->size = size;
				s->regs = (sc_unwind_regs){.ip = ur.rip,
							   .sp = ur.rsp,
							   .bp = ur.rbp,
							   .bx = ur.rbx,
							   .r12 = ur.r12,
							   .r13 = ur.r13,
							   .r14 = ur.r14,
							   .r15 = ur.r15,
							   .have = 31};
				w->n++;
			} else {
				free(s->stack);
			}
		}
		ptrace(PTRACE_CONT, pid, NULL, NULL);
	}
	/* The mappings as they are at the end: a superset of those at each sample, as neither
	 * workload unmaps code. */
	char src[64], line[4096];
	snprintf(src, sizeof(src), "/proc/%d/maps", (int)pid);
	snprintf(w->maps, sizeof(w->maps), "/tmp/unwind-bench-%d.maps", (int)getpid());
	FILE *in = fopen(src, "r"), *out = fopen(w->maps, "w");
	while (in && out && fgets(line, sizeof(line), in))
		fputs(line, out);
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return w->n ? 0 : -EIO;
}

static int run(sc_unwind *u, sc_unwind_maps *maps, const struct workload *w,
	       const sc_unwind_options *o, int rounds, struct pass *p)
{
	uint64_t pcs[512];
	*p = (struct pass){0};
	double t0 = bench_now();
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < w->n; i++) {
			sc_unwind_result res;
			const struct sample *s = &w->samples[i];
			int n = sc_unwind_stack(u, o, &s->regs, s->stack, s->size,
						sc_unwind_maps_find, maps, pcs, 512, &res);
			if (n < 0)
				return n;
			p->frames += (uint64_t)n;
			p->stacks++;
			p->complete += res.stop == SC_UNWIND_STOP_OUTERMOST;
		}
	p->seconds = bench_now() - t0;
	return 0;
}

static void report(const char *wname, const char *mode, const struct pass *p)
{
	printf("%-8s %-24s %7llu %9llu %8.1f %12.0f %10.2f %8.1f%%\n", wname, mode,
	       (unsigned long long)p->stacks, (unsigned long long)p->frames,
	       (double)p->frames / (double)p->stacks, (double)p->frames / p->seconds,
	       p->seconds / (double)p->stacks * 1e6,
	       100.0 * (double)p->complete / (double)p->stacks);
}

int main(int argc, char **argv)
{
	size_t want = argc > 1 ? strtoul(argv[1], NULL, 10) : 400;
	size_t stack_bytes = argc > 2 ? strtoul(argv[2], NULL, 10) : 16384;
	int rounds = argc > 3 ? atoi(argv[3]) : 20;
	static const char *const py[] = {
	    "/usr/bin/python3", "-S", "-c",
	    "import json, random\n"
	    "d = [{'a': random.random(), 'b': [str(i)] * 5, 'c': {'x': i}} for i in range(20000)]\n"
	    "while True:\n"
	    "    json.loads(json.dumps(d)); sorted(d, key=lambda x: x['a'])\n",
	    NULL};
	static const char *const xz[] = {"xz", "-9", "-T1", "-c", "/usr/bin/python3", NULL};
	struct workload ws[] = {{"python3", py}, {"xz", xz}};
	if (!want || stack_bytes < 64 || rounds < 1) {
		fprintf(stderr, "usage: unwind-bench [SAMPLES [STACK_BYTES [ROUNDS]]]\n");
		return 2;
	}
	printf("%zu stacks per workload, copies of up to %zu bytes, %d rounds when warm\n\n", want,
	       stack_bytes, rounds);
	printf("%-8s %-24s %7s %9s %8s %12s %10s %9s\n", "workload", "mode", "stacks", "frames",
	       "depth", "frames/s", "us/stack", "complete");
	for (size_t k = 0; k < sizeof(ws) / sizeof(ws[0]); k++) {
		struct workload *w = &ws[k];
		int r = capture(w, want, stack_bytes);
		if (r < 0) {
			fprintf(stderr, "unwind-bench: cannot capture %s: %s\n", w->name,
				strerror(-r));
			return 1;
		}
		struct pass p;
		sc_unwind_options o = {.mode = SC_UNWIND_DWARF, .no_rule_cache = true};
		/* libdw at every step; files already open */
		sc_unwind *u = sc_unwind_new();
		sc_unwind_maps maps = {0};
		if (!u || sc_unwind_maps_load_file(&maps, u, w->maps, NULL) < 0)
			return 1;
		run(u, &maps, w, &o, 1, &p); /* opens the CFI */
		run(u, &maps, w, &o, 1, &p);
		report(w->name, "dwarf/libdw-each-step", &p);
		sc_unwind_maps_release(&maps);
		sc_unwind_free(u);
		/* cold: everything from scratch, files included */
		double t0 = bench_now();
		u = sc_unwind_new();
		if (!u || sc_unwind_maps_load_file(&maps, u, w->maps, NULL) < 0)
			return 1;
		double open_s = bench_now() - t0;
		o.no_rule_cache = false;
		run(u, &maps, w, &o, 1, &p);
		p.seconds += open_s;
		report(w->name, "dwarf/cold", &p);
		double cold_s = p.seconds;
		/* the cache must not change an answer: compare with libdw at every step */
		sc_unwind *fresh = sc_unwind_new_shared(sc_unwind_modules(u));
		size_t differ = 0;
		for (size_t i = 0; fresh && i < w->n; i++) {
			uint64_t a[512], b[512];
			const struct sample *s = &w->samples[i];
			sc_unwind_options nc = {.mode = SC_UNWIND_DWARF, .no_rule_cache = true};
			int na = sc_unwind_stack(u, &o, &s->regs, s->stack, s->size,
						 sc_unwind_maps_find, &maps, a, 512, NULL);
			int nb = sc_unwind_stack(fresh, &nc, &s->regs, s->stack, s->size,
						 sc_unwind_maps_find, &maps, b, 512, NULL);
			if (na != nb || memcmp(a, b, (size_t)(na > 0 ? na : 0) * 8)) {
				int f = 0;
				while (f < na && f < nb && a[f] == b[f])
					f++;
				if (!differ++)
					fprintf(
					    stderr,
					    "%s: stack %zu: cached and uncached differ at frame %d "
					    "(%#llx vs %#llx)\n",
					    w->name, i, f, f < na ? (unsigned long long)a[f] : 0ULL,
					    f < nb ? (unsigned long long)b[f] : 0ULL);
			}
		}
		sc_unwind_free(fresh);
		if (differ)
			printf("%-8s %zu of %zu stacks differ between cached and uncached rules\n",
			       w->name, differ, w->n);
		sc_unwind_stats st;
		sc_unwind_get_stats(u, &st);
		const sc_unwind_mode modes[] = {SC_UNWIND_DWARF, SC_UNWIND_AUTO, SC_UNWIND_FP};
		const char *names[] = {"dwarf", "auto", "fp"};
		for (int m = 0; m < 3; m++) {
			o.mode = modes[m];
			run(u, &maps, w, &o, 1, &p); /* auto: judge the modules once */
			run(u, &maps, w, &o, rounds, &p);
			report(w->name, names[m], &p);
		}
		/* elfutils' unwinder on the same stacks */
		if (dwfl_pass(w->maps, w->samples, w->n, 1, true, &p) == 0)
			report(w->name, "dwfl/per-stack", &p);
		if (dwfl_pass(w->maps, w->samples, w->n, 1, false, &p) == 0 &&
		    dwfl_pass(w->maps, w->samples, w->n, rounds, false, &p) == 0)
			report(w->name, "dwfl/one", &p);
		printf(
		    "%-8s %llu files, %llu distinct pcs (%llu without a rule); cold pass %.1f ms "
		    "of which opening files %.1f ms\n\n",
		    w->name, (unsigned long long)st.files, (unsigned long long)st.pcs,
		    (unsigned long long)st.pcs_failed, cold_s * 1e3, open_s * 1e3);
		sc_unwind_maps_release(&maps);
		sc_unwind_free(u);
		unlink(w->maps);
		for (size_t i = 0; i < w->n; i++)
			free(w->samples[i].stack);
		free(w->samples);
	}
	return 0;
}

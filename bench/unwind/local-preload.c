/*
 * local-preload.c: src/agent/unwind_local on real programs, without scorch: a preload library
 * that samples the main thread of the command it is preloaded into with a CPU-time timer
 * (ITIMER_PROF, every millisecond), walks the stack in the signal handler and, when the program
 * ends, appends one line to $LOCAL_PRELOAD_OUT (or stderr):
 *
 *   PROGRAM WALKER samples N frames/sample F outermost O end-of-stack E no-mapping M no-rule R
 *       max-frames X ns/walk W ns/frame P cache-hits H misses S
 *
 * and, if some walk did not reach the outermost frame, a second line with the first such walk's
 * stop reason and last pcs (module+offset).
 *
 * "outermost" counts the walks that reached the end of the chain (_start, or clone's frame): on
 * a distribution binary it is the share of right stacks. The time is CLOCK_MONOTONIC around each
 * walk inside the handler. Other threads are not sampled (the timer's signal goes to the
 * process; walks run only on the main thread, whose stack top is known). Programs that install
 * their own SIGPROF handler (coreutils sort) die of it: the agent samples with another signal.
 * A measuring tool for
 * docs/performance.md, not the agent (src/agent/cpu.c is).
 *
 * The walker, $LOCAL_PRELOAD_MODE: auto (the default: AUTO mode, one rule cache), dwarf (no
 * cache), fp, or backtrace (glibc's backtrace(), libgcc's unwinder, for comparison; the outermost
 * count means nothing there).
 *
 * Usage: LOCAL_PRELOAD_OUT=out.txt [LOCAL_PRELOAD_MODE=auto] \
 *        LD_PRELOAD=build/bench/unwind/liblocal-preload.so CMD...
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "agent/unwind_local.h"

static uint64_t stack_hi;
static pid_t main_tid;
static sc_lu_cache cache;
static uint64_t samples, frames, ns, stops[5];
static uint64_t cut_pcs[8], cut_sp_depth;
static int cut_n, cut_stop = -1;
static int mode = SC_AGENT_UNWIND_AUTO, use_cache = 1, use_backtrace;

static void on_prof(int signo, siginfo_t *si, void *uc)
{
	int saved = errno, stop = 0, n;
	uint64_t pcs[256];
	struct timespec t0, t1;
	sc_lu_regs r;

	(void)signo;
	(void)si;
	if (gettid() != main_tid)
		goto out;
	sc_lu_regs_from_ucontext(&r, uc);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (use_backtrace) /* not async-signal-safe in general: libgcc_s was loaded at start */
		n = backtrace((void **)pcs, 256);
	else
		n = sc_lu_unwind(&r, stack_hi, mode, use_cache ? &cache : NULL, pcs, 256, &stop);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (n > 0 && stop >= 0 && stop < 5) {
		samples++;
		frames += (uint64_t)n;
		stops[stop]++;
		if (stop != SC_AGENT_STOP_OUTERMOST && cut_stop < 0 && !use_backtrace) {
			cut_stop = stop;
			cut_n = n;
			cut_sp_depth = stack_hi - r.sp;
			for (int i = 0; i < 8; i++)
				cut_pcs[i] = pcs[n > 8 ? n - 8 + i : i < n ? i : 0];
		}
		ns += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec));
	}
out:
	errno = saved;
}

__attribute__((constructor)) static void start(void)
{
	struct sigaction sa = {.sa_sigaction = on_prof, .sa_flags = SA_SIGINFO | SA_RESTART};
	struct itimerval it = {{0, 1000}, {0, 1000}};
	pthread_attr_t a;
	void *addr;
	size_t size;

	const char *m = getenv("LOCAL_PRELOAD_MODE");
	void *bt[4];

	if (m && !strcmp(m, "dwarf")) {
		mode = SC_AGENT_UNWIND_DWARF;
		use_cache = 0;
	} else if (m && !strcmp(m, "fp")) {
		mode = SC_AGENT_UNWIND_FP;
	} else if (m && !strcmp(m, "backtrace")) {
		use_backtrace = 1;
		backtrace(bt, 4); /* loads libgcc_s now, not in the handler */
	}
	if (sc_lu_init() < 0 || pthread_getattr_np(pthread_self(), &a))
		return;
	if (pthread_attr_getstack(&a, &addr, &size) == 0) {
		stack_hi = (uint64_t)addr + size;
		main_tid = gettid();
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGPROF, &sa, NULL) == 0)
			setitimer(ITIMER_PROF, &it, NULL);
	}
	pthread_attr_destroy(&a);
}

__attribute__((destructor)) static void finish(void)
{
	struct itimerval off = {{0, 0}, {0, 0}};
	const char *path = getenv("LOCAL_PRELOAD_OUT");
	FILE *f = path ? fopen(path, "a") : stderr;
	char comm[64] = "?";
	const char *walker;
	FILE *c = fopen("/proc/self/comm", "r");

	setitimer(ITIMER_PROF, &off, NULL);
	if (c) {
		if (fgets(comm, sizeof comm, c))
			comm[strcspn(comm, "\n")] = 0;
		fclose(c);
	}
	if (!f || !samples)
		goto out;
	walker = use_backtrace		      ? "backtrace"
		 : mode == SC_AGENT_UNWIND_FP ? "fp"
		 : use_cache		      ? "auto"
					      : "dwarf-nocache";
	fprintf(f,
		"%s %s samples %llu frames/sample %.1f outermost %llu end-of-stack %llu "
		"no-mapping %llu no-rule %llu max-frames %llu ns/walk %.0f ns/frame %.1f "
		"cache-hits %llu misses %llu\n",
		comm, walker, (unsigned long long)samples, (double)frames / samples,
		(unsigned long long)stops[SC_AGENT_STOP_OUTERMOST],
		(unsigned long long)stops[SC_AGENT_STOP_END_OF_STACK],
		(unsigned long long)stops[SC_AGENT_STOP_NO_MAPPING],
		(unsigned long long)stops[SC_AGENT_STOP_NO_RULE],
		(unsigned long long)stops[SC_AGENT_STOP_MAX_FRAMES], (double)ns / samples,
		(double)ns / frames, (unsigned long long)cache.hits,
		(unsigned long long)cache.misses);
	if (cut_stop >= 0) {
		/* The first walk that did not reach the outermost frame: its last 8 pcs. */
		fprintf(f, "  first cut: stop %d after %d frames, sp %llu bytes below the top:",
			cut_stop, cut_n, (unsigned long long)cut_sp_depth);
		for (int i = 0; i < (cut_n < 8 ? cut_n : 8); i++) {
			Dl_info d;

			if (dladdr((void *)(uintptr_t)cut_pcs[i], &d) && d.dli_fname)
				fprintf(f, " %s+0x%llx",
					strrchr(d.dli_fname, '/') ? strrchr(d.dli_fname, '/') + 1
								  : d.dli_fname,
					(unsigned long long)(cut_pcs[i] -
							     (uint64_t)(uintptr_t)d.dli_fbase));
			else
				fprintf(f, " 0x%llx", (unsigned long long)cut_pcs[i]);
		}
		fprintf(f, "\n");
	}
out:
	if (f && f != stderr)
		fclose(f);
}

/*
 * test_unwind_local.c: the in-process unwinder (src/agent/unwind_local.c) on live stacks.
 *
 * Known answer: glibc's backtrace() (libgcc's CFI unwinder) called at the same point. Frames come
 * from test_unwind_local_chain.c, built without frame pointers:
 *   - lu_a -> lu_b -> lu_c, walked from lu_c's captured registers: the same return addresses as
 *     backtrace() in the same order, through cmocka, main, __libc_start_call_main,
 *     __libc_start_main and _start, ending "outermost"; with and without a cache, twice (the
 *     second walk from the cache), DWARF and AUTO;
 *   - a qsort callback (libc has no frame pointers): the same;
 *   - a thread: the chain ends at clone3 (its CFI says outermost), same as backtrace();
 *   - a timer signal (ITIMER_PROF) interrupting lu_spin: from the ucontext, the interrupted pc
 *     and then lu_spin's callers as lu_spin's own backtrace() saw them; from the handler's own
 *     registers, through the kernel's signal frame (glibc's __restore_rt), the same chain after
 *     the trampoline;
 *   - the same timer landing in the vDSO's clock_gettime: the walk reaches this test's caller;
 *   - a function stopped (int3) in its epilogue after a pop, whose CFI still locates the popped
 *     register below sp (in the red zone, as GCC's epilogues leave it): the walk goes on;
 *   - a leaf without CFI stopped the same way: the return address is taken at sp.
 * Reuse: walks with a cache that keeps walks (unwind_local.h, "Reuse") give exactly the frames of
 * walks by steps, from first frames that change in depth and caller (test_reuse).
 * Bounds: stack_hi just above sp stops at "end of stack"; a pc in an anonymous executable mapping
 * stops at "no mapping"; max frames stops at "max frames"; bad arguments give -EINVAL. FP mode
 * walks this file's frames (built with frame pointers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/time.h>

#include "agent/unwind_local.h"

#include "test_unwind_local.h"

#define MAXF 128

/* The top of the calling thread's stack. */
static uint64_t stack_top(void)
{
	pthread_attr_t a;
	void *addr;
	size_t size;

	assert_int_equal(pthread_getattr_np(pthread_self(), &a), 0);
	assert_int_equal(pthread_attr_getstack(&a, &addr, &size), 0);
	pthread_attr_destroy(&a);
	return (uint64_t)addr + size;
}

/* What a probe saw: our walk and backtrace() at the same point. */
static struct shot {
	uint64_t hi;
	int mode;
	sc_lu_cache *cache;
	uint64_t pcs[MAXF];
	int n, stop;
	void *bt[MAXF];
	int nbt;
} shot;

static void probe(const sc_lu_regs *r)
{
	shot.n = sc_lu_unwind(r, shot.hi, shot.mode, shot.cache, shot.pcs, MAXF, &shot.stop);
	shot.nbt = backtrace(shot.bt, MAXF);
}

/* bt[0] is in probe, bt[1] the return address into the capturing function (one frame more
 * under ASan, whose backtrace() interceptor is a frame of its own); pcs[0] is the captured ip (in
 * that function) and pcs[1..] its callers' return addresses: pcs[1..] must be the rest of bt. */
static void assert_same_as_backtrace(void)
{
	int k;

	assert_int_equal(shot.stop, SC_AGENT_STOP_OUTERMOST);
	assert_true(shot.nbt > 4 && shot.n > 2);
	for (k = 0; k < 4 && (uint64_t)shot.bt[k] != shot.pcs[1]; k++)
		;
	assert_in_range(k, 2, 3);
	assert_int_equal(shot.n - 1, shot.nbt - k);
	for (int i = 1; i < shot.n; i++)
		assert_int_equal(shot.pcs[i], (uint64_t)shot.bt[k + i - 1]);
}

static void walk_chain(int mode, sc_lu_cache *cache)
{
	memset(&shot, 0, sizeof shot);
	shot.hi = stack_top();
	shot.mode = mode;
	shot.cache = cache;
	lu_a(probe, 1);
	assert_same_as_backtrace();
}

static void test_chain(void **state)
{
	(void)state;
	walk_chain(SC_AGENT_UNWIND_DWARF, NULL);
	walk_chain(SC_AGENT_UNWIND_AUTO, NULL);
}

static void test_chain_cached(void **state)
{
	static sc_lu_cache cache;
	uint64_t misses[2];

	(void)state;
	sc_lu_cache_reset(&cache);
	/* One call site, so the second walk meets the same pcs: from the cache, but for pcs whose
	 * slot another pc of the walk took (the cache is direct-mapped; where they fall depends on
	 * where ASLR put the modules): fewer misses than the first walk in any case. */
	for (int i = 0; i < 2; i++) {
		walk_chain(SC_AGENT_UNWIND_AUTO, &cache);
		misses[i] = cache.misses;
	}
	assert_true(misses[0] > 0);
	assert_true(misses[1] - misses[0] < misses[0]);
	assert_true(cache.hits > 0);
	walk_chain(SC_AGENT_UNWIND_DWARF, &cache);
}

/* Walks with a cache of two kept walks (sc_lu_cache's own), from first frames at three depths,
 * with two inner call paths and under two alike outer callers (reuse_x, reuse_y: the same frames
 * at the same places, but for the return address into them) in turn, each compared with a walk by
 * steps (SCORCH_HEAP_NO_REUSE's no_reuse) from the same registers, whole (and cut at 5 frames):
 * frames are taken from the previous walk where the outer frames agree (this file's, cmocka's,
 * main's), from a kept walk's first frame by its plan when a place repeats, and the kept walk is
 * cut short and grown again. */
static sc_lu_cache reuse_cache, step_cache;
static int reuse_walks;

static void probe_reuse(const sc_lu_regs *r)
{
	uint64_t a[MAXF], b[MAXF];
	int sa, sb, na, nb;

	/* Whole; every fourth time also cut, which leaves a kept walk of 5 frames to grow again. */
	for (int max = MAXF; max >= 5; max = max == MAXF && reuse_walks % 4 == 3 ? 5 : 0) {
		na = sc_lu_unwind(r, shot.hi, SC_AGENT_UNWIND_AUTO, &reuse_cache, a, (size_t)max,
				  &sa);
		nb = sc_lu_unwind(r, shot.hi, SC_AGENT_UNWIND_AUTO, &step_cache, b, (size_t)max,
				  &sb);
		assert_true(na > 4);
		assert_int_equal(na, nb);
		assert_int_equal(sa, sb);
		assert_memory_equal(a, b, sizeof(a[0]) * (size_t)na);
	}
	reuse_walks++;
}

__attribute__((noinline)) static int reuse_depth(int d, int path)
{
	int x = d > 0  ? reuse_depth(d - 1, path)
		: path ? lu_a(probe_reuse, 1)
		       : lu_sort(probe_reuse);

	__asm__ volatile("" : "+r"(x) : : "memory");
	return x + 1;
}

__attribute__((noinline)) static int reuse_x(int d, int path)
{
	int x = reuse_depth(d, path);

	__asm__ volatile("" : "+r"(x) : : "memory");
	return x + 2;
}

__attribute__((noinline)) static int reuse_y(int d, int path)
{
	int x = reuse_depth(d, path);

	__asm__ volatile("" : "+r"(x) : : "memory");
	return x + 3;
}

static void test_reuse(void **state)
{
	(void)state;
	shot.hi = stack_top();
	sc_lu_cache_reset(&reuse_cache);
	sc_lu_cache_reset(&step_cache);
	step_cache.no_reuse = 1;
	for (int i = 0; i < 200; i++)
		(i % 2 ? reuse_x : reuse_y)((i / 2) % 3, (i / 6) % 2);
	assert_int_equal(reuse_walks, 200);
	assert_true(reuse_cache.reused > 0);
	assert_int_equal(step_cache.reused, 0);
}

static void test_qsort(void **state)
{
	static sc_lu_cache cache;

	(void)state;
	for (int i = 0; i < 2; i++) {
		memset(&shot, 0, sizeof shot);
		shot.hi = stack_top();
		shot.mode = SC_AGENT_UNWIND_DWARF;
		shot.cache = i ? &cache : NULL;
		lu_sort(probe);
		assert_same_as_backtrace();
	}
}

static void *thread_main(void *arg)
{
	(void)arg;
	memset(&shot, 0, sizeof shot);
	shot.hi = stack_top();
	shot.mode = SC_AGENT_UNWIND_DWARF;
	lu_a(probe, 2);
	return NULL;
}

static void test_thread(void **state)
{
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, thread_main, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_same_as_backtrace();
}

/* The signal test: the handler walks once, while lu_spin spins. */
static volatile int spinning, stop_spin;
static struct {
	uint64_t hi;
	uint64_t uc[MAXF], own[MAXF];
	int nuc, stop_uc, nown, stop_own;
} sig;

static void on_prof(int signo, siginfo_t *si, void *uc)
{
	sc_lu_regs r;

	(void)signo;
	(void)si;
	if (!spinning || stop_spin)
		return;
	sc_lu_regs_from_ucontext(&r, uc);
	sig.nuc = sc_lu_unwind(&r, sig.hi, SC_AGENT_UNWIND_DWARF, NULL, sig.uc, MAXF, &sig.stop_uc);
	sc_lu_capture(&r);
	sig.nown =
	    sc_lu_unwind(&r, sig.hi, SC_AGENT_UNWIND_DWARF, NULL, sig.own, MAXF, &sig.stop_own);
	stop_spin = 1;
}

static void test_signal(void **state)
{
	struct sigaction sa = {.sa_sigaction = on_prof, .sa_flags = SA_SIGINFO | SA_RESTART}, old;
	struct itimerval it = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
	int k;

	(void)state;
	memset(&sig, 0, sizeof sig);
	sig.hi = stack_top();
	spinning = stop_spin = 0;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGPROF, &sa, &old), 0);
	assert_int_equal(setitimer(ITIMER_PROF, &it, NULL), 0);
	lu_spin_caller(&spinning, &stop_spin);
	assert_int_equal(setitimer(ITIMER_PROF, &off, NULL), 0);
	assert_int_equal(sigaction(SIGPROF, &old, NULL), 0);

	/* From the ucontext: the pc in lu_spin, then what lu_spin's backtrace() saw from bt[1] on
	 * (lu_spin_caller, this test, cmocka, main, libc, _start). */
	assert_int_equal(sig.stop_uc, SC_AGENT_STOP_OUTERMOST);
	for (k = 0; k < 3 && (uint64_t)spin_bt[k] != sig.uc[1]; k++)
		;
	assert_in_range(k, 1, 2); /* 2 under ASan: its backtrace() interceptor */
	assert_int_equal(sig.nuc - 1, spin_nbt - k);
	for (int i = 1; i < sig.nuc; i++)
		assert_int_equal(sig.uc[i], (uint64_t)spin_bt[k + i - 1]);

	/* From the handler's own registers: on_prof, the trampoline, then the same chain. */
	assert_int_equal(sig.stop_own, SC_AGENT_STOP_OUTERMOST);
	for (k = 0; k < sig.nown && sig.own[k] != sig.uc[0]; k++)
		;
	assert_true(k >= 2); /* on_prof and __restore_rt at least */
	assert_int_equal(sig.nown - k, sig.nuc);
	for (int i = 0; i < sig.nuc; i++)
		assert_int_equal(sig.own[k + i], sig.uc[i]);
}

/* The vDSO test: a timer signal that lands in the vDSO's clock_gettime is walked from there. */
static struct {
	uint64_t lo, hi, stack_hi;
	uint64_t pcs[MAXF];
	int n, stop;
	volatile int caught, signals;
} vd;

static void on_prof_vdso(int signo, siginfo_t *si, void *uc)
{
	sc_lu_regs r;

	(void)signo;
	(void)si;
	vd.signals++;
	if (vd.caught)
		return;
	sc_lu_regs_from_ucontext(&r, uc);
	if (r.ip < vd.lo || r.ip >= vd.hi)
		return;
	vd.n = sc_lu_unwind(&r, vd.stack_hi, SC_AGENT_UNWIND_DWARF, NULL, vd.pcs, MAXF, &vd.stop);
	vd.caught = 1;
}

static __attribute__((noinline)) void test_vdso(void **state)
{
	struct sigaction sa = {.sa_sigaction = on_prof_vdso, .sa_flags = SA_SIGINFO | SA_RESTART},
			 old;
	struct itimerval it = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
	uint64_t vdso = getauxval(AT_SYSINFO_EHDR), ret = (uint64_t)__builtin_return_address(0);
	struct timespec ts;
	int found = 0;

	(void)state;
	if (!vdso || sc_lu_module(vdso, &vd.lo, &vd.hi, NULL) < 0)
		skip();
	vd.stack_hi = stack_top();
	vd.caught = vd.signals = 0;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGPROF, &sa, &old), 0);
	assert_int_equal(setitimer(ITIMER_PROF, &it, NULL), 0);
	while (!vd.caught && vd.signals < 100000)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	assert_int_equal(setitimer(ITIMER_PROF, &off, NULL), 0);
	assert_int_equal(sigaction(SIGPROF, &old, NULL), 0);
	if (!vd.caught)
		skip(); /* clock_gettime does not run in the vDSO here */
	/* The vDSO's frame, libc's clock_gettime, this function, and on into cmocka. */
	assert_int_equal(vd.stop, SC_AGENT_STOP_OUTERMOST);
	for (int i = 1; i < vd.n; i++)
		found |= vd.pcs[i] == ret;
	assert_true(found);
}

/* The red-zone test: a walk from a function stopped in its epilogue, where the CFI still says
 * where the registers it popped were saved (below its sp now). */
static struct {
	uint64_t hi, pcs[MAXF];
	int n, stop;
} rz;

static void on_trap(int signo, siginfo_t *si, void *uc)
{
	sc_lu_regs r;

	(void)signo;
	(void)si;
	sc_lu_regs_from_ucontext(&r, uc);
	rz.n = sc_lu_unwind(&r, rz.hi, SC_AGENT_UNWIND_DWARF, NULL, rz.pcs, MAXF, &rz.stop);
}

static __attribute__((noinline)) void test_red_zone(void **state)
{
	struct sigaction sa = {.sa_sigaction = on_trap, .sa_flags = SA_SIGINFO}, old;
	uint64_t ret = (uint64_t)__builtin_return_address(0);
	int found = 0;

	(void)state;
	memset(&rz, 0, sizeof rz);
	rz.hi = stack_top();
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGTRAP, &sa, &old), 0);
	lu_epilogue_trap();
	assert_int_equal(sigaction(SIGTRAP, &old, NULL), 0);
	assert_int_equal(rz.stop, SC_AGENT_STOP_OUTERMOST);
	for (int i = 1; i < rz.n; i++)
		found |= rz.pcs[i] == ret;
	assert_true(found);
}

/* A leaf without CFI stopped inside: its return address is the word at sp, so the walk gives
 * this function's frame next (a frame-pointer step would skip it, this file having frame
 * pointers: pcs[1] would be our return address). */
static __attribute__((noinline)) void test_no_cfi_leaf(void **state)
{
	struct sigaction sa = {.sa_sigaction = on_trap, .sa_flags = SA_SIGINFO}, old;
	uint64_t ret = (uint64_t)__builtin_return_address(0);

	(void)state;
	memset(&rz, 0, sizeof rz);
	rz.hi = stack_top();
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGTRAP, &sa, &old), 0);
	lu_nocfi_leaf();
	__asm__ volatile("" ::: "memory"); /* the call above is not a sibling call */
	assert_int_equal(sigaction(SIGTRAP, &old, NULL), 0);
	assert_int_equal(rz.stop, SC_AGENT_STOP_OUTERMOST);
	assert_true(rz.n > 3);
	assert_int_equal(rz.pcs[0], (uint64_t)(uintptr_t)lu_nocfi_leaf + 1);
	assert_int_equal(rz.pcs[2], ret);
}

static void test_end_of_stack(void **state)
{
	sc_lu_regs r;
	uint64_t pcs[MAXF];
	int stop = -1, n;

	(void)state;
	memset(&shot, 0, sizeof shot);
	sc_lu_capture(&r);
	/* Room for nothing but this frame's own slots: the walk ends at the stack's end. */
	n = sc_lu_unwind(&r, r.sp + 16, SC_AGENT_UNWIND_DWARF, NULL, pcs, MAXF, &stop);
	assert_true(n >= 1);
	assert_int_equal(stop, SC_AGENT_STOP_END_OF_STACK);
	assert_int_equal(pcs[0], r.ip);
	n = sc_lu_unwind(&r, r.sp, SC_AGENT_UNWIND_DWARF, NULL, pcs, MAXF, &stop);
	assert_int_equal(n, 1);
	assert_int_equal(stop, SC_AGENT_STOP_END_OF_STACK);
	n = sc_lu_unwind(&r, r.sp - 64, SC_AGENT_UNWIND_FP, NULL, pcs, MAXF, &stop);
	assert_int_equal(n, 1);
	assert_int_equal(stop, SC_AGENT_STOP_END_OF_STACK);
}

static void test_no_mapping(void **state)
{
	sc_lu_regs r;
	uint64_t pcs[MAXF];
	int stop = -1, n;
	void *page = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(page != MAP_FAILED);
	sc_lu_capture(&r);
	r.ip = (uint64_t)page + 64;
	n = sc_lu_unwind(&r, stack_top(), SC_AGENT_UNWIND_DWARF, NULL, pcs, MAXF, &stop);
	assert_int_equal(n, 1); /* the starting pc is returned, nothing after it */
	assert_int_equal(pcs[0], r.ip);
	assert_int_equal(stop, SC_AGENT_STOP_NO_MAPPING);
	assert_int_equal(sc_lu_module((uint64_t)page, NULL, NULL, NULL), -ENOENT);
	munmap(page, 4096);
}

static void test_max_frames(void **state)
{
	(void)state;
	memset(&shot, 0, sizeof shot);
	shot.hi = stack_top();
	shot.mode = SC_AGENT_UNWIND_DWARF;
	lu_a(probe, 1);
	int full = shot.n;
	sc_lu_regs r;
	uint64_t pcs[3];
	int stop = -1;

	sc_lu_capture(&r);
	assert_true(full > 3);
	assert_int_equal(sc_lu_unwind(&r, shot.hi, SC_AGENT_UNWIND_DWARF, NULL, pcs, 3, &stop), 3);
	assert_int_equal(stop, SC_AGENT_STOP_MAX_FRAMES);
	assert_int_equal(sc_lu_unwind(&r, shot.hi, SC_AGENT_UNWIND_DWARF, NULL, pcs, 0, &stop),
			 -EINVAL);
	assert_int_equal(sc_lu_unwind(&r, shot.hi, 7, NULL, pcs, 3, &stop), -EINVAL);
}

/* This file has frame pointers: FP mode steps fp_outer <- fp_inner. */
static __attribute__((noinline)) void fp_inner(uint64_t *pcs, int *n, int *stop, uint64_t hi,
					       uint64_t *ret)
{
	sc_lu_regs r;

	sc_lu_capture(&r);
	*ret = (uint64_t)__builtin_return_address(0);
	*n = sc_lu_unwind(&r, hi, SC_AGENT_UNWIND_FP, NULL, pcs, MAXF, stop);
}

static __attribute__((noinline)) void fp_outer(uint64_t *pcs, int *n, int *stop, uint64_t hi,
					       uint64_t *ret, uint64_t *ret2)
{
	fp_inner(pcs, n, stop, hi, ret);
	*ret2 = (uint64_t)__builtin_return_address(0);
	__asm__ volatile("" ::: "memory"); /* no sibling call */
}

static void test_fp(void **state)
{
	uint64_t pcs[MAXF], ret = 0, ret2 = 0;
	int n = 0, stop = -1;

	(void)state;
	fp_outer(pcs, &n, &stop, stack_top(), &ret, &ret2);
	assert_true(n >= 3);
	assert_int_equal(pcs[1], ret);
	assert_int_equal(pcs[2], ret2);
}

static void test_module(void **state)
{
	uint64_t start = 0, end = 0;
	void *lm = NULL;

	(void)state;
	assert_int_equal(sc_lu_module((uint64_t)(uintptr_t)&test_module, &start, &end, &lm), 0);
	assert_true(start <= (uint64_t)(uintptr_t)&test_module);
	assert_true((uint64_t)(uintptr_t)&test_module < end);
	assert_non_null(lm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chain),	cmocka_unit_test(test_chain_cached),
	    cmocka_unit_test(test_reuse),	cmocka_unit_test(test_qsort),
	    cmocka_unit_test(test_thread),	cmocka_unit_test(test_signal),
	    cmocka_unit_test(test_vdso),	cmocka_unit_test(test_red_zone),
	    cmocka_unit_test(test_no_cfi_leaf), cmocka_unit_test(test_end_of_stack),
	    cmocka_unit_test(test_no_mapping),	cmocka_unit_test(test_max_frames),
	    cmocka_unit_test(test_fp),		cmocka_unit_test(test_module),
	};

	if (sc_lu_init() < 0) {
		printf("_dl_find_object is missing (glibc < 2.35): skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

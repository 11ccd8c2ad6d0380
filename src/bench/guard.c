/*
 * guard.c: running a benchmark's callbacks so that a crash stops the benchmark, not the program
 * (scorch_bench_config.catch_crashes).
 *
 * A benchmark that dereferences a null pointer, divides by zero, aborts or overflows its stack
 * would otherwise kill the benchmark program before it names the culprit or writes the results
 * of the benchmarks that finished. sc_bench_guarded_call installs handlers for SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL and SIGABRT on an alternate signal stack (a stack overflow leaves no room on the
 * normal one), calls the function, and restores what was there before. When one of the signals
 * arrives the handler jumps back into sc_bench_guarded_call, which reports the signal; the
 * benchmark's frames are abandoned.
 *
 * Signal context: the handler only stores the signal number and siglongjmps; it takes no lock and
 * allocates nothing. Only a crash of the thread that runs the benchmark is caught; one in a thread
 * the benchmark started kills the program as before (its frames cannot be jumped out of). The jump
 * target is the one piece of process-wide state of the library, live only during a guarded call;
 * guarded calls do not nest.
 *
 * What this cannot promise: a crash that corrupted the heap or left a lock held (abort() from
 * malloc's consistency checks) may make what the program does next fail too. The caller says
 * which benchmark crashed before doing anything else.
 *
 * Not for: deciding what to do after a crash (runner.c stops the run; main.c prints and exits).
 */
#include "bench/bench_impl.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const int guarded_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define NSIGNALS (sizeof(guarded_signals) / sizeof(guarded_signals[0]))

/* Room for the handler alone: it calls nothing but siglongjmp. */
#define ALT_STACK_SIZE (64 * 1024)

static sigjmp_buf *volatile jump_target;
static volatile sig_atomic_t caught_signal;
static volatile pid_t guarded_tid; /* the thread that may jump back */

static void on_crash(int sig)
{
	/* Only the guarded thread can jump back to its own frames; a crash in a thread the
	 * benchmark started kills the program as it would without us. */
	if (jump_target && (pid_t)syscall(SYS_gettid) == guarded_tid) {
		caught_signal = sig;
		siglongjmp(*jump_target, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The frame the handler jumps back to; apart so that no local of the caller lives across the
 * jump. Returns 0 or the signal. */
static __attribute__((noinline)) int call_with_jump(void (*fn)(void *), void *arg)
{
	sigjmp_buf jb;
	caught_signal = 0;
	guarded_tid = (pid_t)syscall(SYS_gettid);
	if (sigsetjmp(jb, 1) != 0) {
		jump_target = NULL;
		return caught_signal;
	}
	jump_target = &jb;
	fn(arg);
	jump_target = NULL;
	return 0;
}

int sc_bench_guarded_call(void (*fn)(void *), void *arg)
{
	struct sigaction old[NSIGNALS];
	stack_t alt = {0}, old_alt;
	int err = 0;
	size_t installed = 0;

	alt.ss_sp = malloc(ALT_STACK_SIZE);
	alt.ss_size = ALT_STACK_SIZE;
	if (!alt.ss_sp)
		return -ENOMEM;
	if (sigaltstack(&alt, &old_alt) < 0) {
		err = -errno;
		goto free_stack;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (; installed < NSIGNALS; installed++)
		if (sigaction(guarded_signals[installed], &sa, &old[installed]) < 0) {
			err = -errno;
			goto restore;
		}

	err = call_with_jump(fn, arg);

restore:
	while (installed > 0) {
		installed--;
		sigaction(guarded_signals[installed], &old[installed], NULL);
	}
	/* The previous signal stack, or none: ours is about to be freed. */
	if (old_alt.ss_flags & SS_DISABLE) {
		stack_t off = {.ss_flags = SS_DISABLE};
		sigaltstack(&off, NULL);
	} else {
		sigaltstack(&old_alt, NULL);
	}
free_stack:
	free(alt.ss_sp);
	return err;
}

/*
 * test_record.c: the CPU recorder on known-answer workloads (tests/unit/record_helper.c).
 *
 * Each test runs record_helper under sc_record_run and checks what the profile must contain:
 * the frameless leaf attributed to each of its three callers (and, without the leaf fix, to
 * main), samples of a forked child under its own pid and of a thread under its own tid, the
 * samples of a command that crashes, attaching to a running process, and the errors (perf's event
 * names, several pids). Workloads
 * burn fixed amounts of CPU time, so the counts asserted are far from any boundary.
 *
 * Nothing here depends on timing: the cpu-clock event samples CPU time, so a loaded machine only
 * stretches a recording; whatever must happen after the helper has worked (a SIGTERM, an attach)
 * waits for the helper to say so or to stop itself, never for a while. Each test's profile (and
 * helper process) is released by the teardown, so a failed assertion leaks nothing. Skips when
 * perf_event_open is refused here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper_elf.h"
#include "record/record.h"

static char helper[PATH_MAX];
static struct helper_syms syms;

static int setup(void **state)
{
	(void)state;
	const char *h = helper_path();
	if (!h || !realpath(h, helper)) {
		fprintf(stderr, "record_helper not found next to the test: build it first\n");
		return -1;
	}
	if (helper_syms_load(helper, &syms) < 0 || !helper_sym(&syms, "leaf")) {
		fprintf(stderr, "cannot read the symbols of %s\n", helper);
		return -1;
	}
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The running test's profile, helper process and recording result (what it holds: the module
 * cache, kept descriptors), released by teardown() whatever the outcome. */
static sc_profile *prof;
static pid_t helper_pid;
static sc_record_result held;

/* sc_record_run, remembering the result for teardown() to release. */
static int run_record(const sc_record_options *o, sc_profile *p, sc_record_result *r)
{
	int rc = sc_record_run(o, p, r);
	sc_record_result_release(&held);
	held = *r;
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	sc_profile_free(prof);
	prof = NULL;
	sc_record_result_release(&held);
	memset(&held, 0, sizeof(held));
	if (helper_pid > 0) {
		kill(helper_pid, SIGKILL);
		waitpid(helper_pid, NULL, 0);
		helper_pid = 0;
	}
	return 0;
}

static sc_profile *new_profile(void)
{
	prof = sc_profile_new();
	assert_non_null(prof);
	return prof;
}

/* Skips the test when sc_record_run failed because this machine refuses perf events. */
static void skip_if_refused(int rc, const sc_record_result *r)
{
	if (rc < 0 && strstr(r->err, "perf_event_open")) {
		printf("skipped: %s\n", r->err);
		skip();
	}
}

/* The helper function a location is in, or NULL when it is not in the helper. */
static const char *loc_func(const sc_profile *p, uint32_t loc)
{
	const sc_location *l = sc_profile_location(p, loc);
	const sc_mapping *m = l ? sc_profile_mapping(p, l->mapping) : NULL;
	if (!m || strcmp(sc_profile_str(p, m->file), helper) != 0)
		return NULL;
	return helper_sym_at(&syms, l->address - m->start + m->offset);
}

static const char *leaf_func(const sc_profile *p, size_t i)
{
	const sc_stack_node *n = sc_profile_node(p, p->samples.data[i].stack);
	return n->location ? loc_func(p, n->location) : NULL;
}

static bool is(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

static size_t count_leaf(const sc_profile *p, const char *fn)
{
	size_t n = 0;
	for (size_t i = 0; i < p->samples.len; i++)
		n += is(leaf_func(p, i), fn);
	return n;
}

/* What every recording must satisfy, whatever the workload. */
static void check_common(const sc_profile *p, const sc_record_result *r, uint64_t t0, uint64_t t1)
{
	assert_int_equal(r->samples, p->samples.len);
	assert_int_equal(p->nsample_types, 2);
	assert_string_equal(sc_profile_str(p, p->sample_types[0].type), "samples");
	assert_string_equal(sc_profile_str(p, p->sample_types[1].type), "cpu");
	assert_string_equal(sc_profile_str(p, p->sample_types[1].unit), "nanoseconds");
	assert_string_equal(sc_profile_str(p, p->period_type.type), "cpu");
	assert_int_equal(p->period, 1000000); /* 1e9 / 1000 Hz */
	assert_true(p->time_nanos > 1600000000LL * 1000000000LL);
	assert_true(p->duration_nanos > 0);
	/* Every sample counts one period of CPU time (cpu-clock's period is fixed at 1/freq). */
	int64_t tot[2];
	sc_profile_totals(p, tot);
	assert_int_equal(tot[0], (int64_t)p->samples.len);
	assert_true(tot[1] >= (int64_t)p->samples.len * 900000);
	assert_true(tot[1] <= (int64_t)p->samples.len * 1100000);
	/* In time order, on CLOCK_MONOTONIC, within the recording. */
	for (size_t i = 0; i < p->samples.len; i++) {
		uint64_t t = p->samples.data[i].time_ns;
		assert_true(t >= t0 && t <= t1);
		if (i)
			assert_true(t >= p->samples.data[i - 1].time_ns);
	}
	bool helper_mapped = false;
	for (size_t i = 0; i < p->mappings.len; i++)
		helper_mapped |= !strcmp(sc_profile_str(p, p->mappings.data[i].file), helper);
	assert_true(helper_mapped);
	bool command = false, host = false;
	for (size_t i = 0; i < p->comments.len; i++) {
		const char *c = sc_profile_str(p, p->comments.data[i]);
		command |= !strncmp(c, "command: ", 9) && strstr(c, "record_helper");
		host |= !strncmp(c, "host: ", 6);
	}
	assert_true(command);
	assert_true(host);
}

/* The default options, launching `argv`. */
static sc_record_options launch(char **argv)
{
	sc_record_options o;
	sc_record_options_init(&o);
	o.argv = argv;
	return o;
}

/* Records with `o` into a new profile, which it returns; skips the test when this machine refuses
 * perf events. With `check`, checks what every recording must satisfy (check_common). */
static sc_profile *record(const sc_record_options *o, sc_record_result *r, bool check)
{
	sc_profile *p = new_profile();
	uint64_t t0 = mono_ns();
	int rc = run_record(o, p, r);
	skip_if_refused(rc, r);
	if (rc < 0)
		print_error("sc_record_run: %d %s\n", rc, r->err);
	assert_int_equal(rc, 0);
	if (check)
		check_common(p, r, t0, mono_ns());
	return p;
}

struct parents {
	size_t leaf, a, b, c, main, other;
};

static struct parents leaf_parents(const sc_profile *p)
{
	struct parents c = {0};
	for (size_t i = 0; i < p->samples.len; i++) {
		const sc_stack_node *n = sc_profile_node(p, p->samples.data[i].stack);
		if (!n->location || !is(loc_func(p, n->location), "leaf"))
			continue;
		c.leaf++;
		const sc_stack_node *up = sc_profile_node(p, n->parent);
		const char *f = up->location ? loc_func(p, up->location) : NULL;
		if (is(f, "caller_a"))
			c.a++;
		else if (is(f, "caller_b"))
			c.b++;
		else if (is(f, "caller_c"))
			c.c++;
		else if (is(f, "main"))
			c.main++;
		else
			c.other++;
	}
	return c;
}

static void test_leaf_callers_restored(void **state)
{
	(void)state;
	char *argv[] = {helper, "leaf", "400", NULL};
	sc_record_options o = launch(argv);
	o.callgraph = SC_RECORD_CG_FP; /* the leaf fix is frame-pointer mode's */
	sc_record_result r;
	sc_profile *p = record(&o, &r, true);
	assert_true(r.exited);
	assert_true(WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) == 0);
	struct parents c = leaf_parents(p);
	printf("leaf %zu: caller_a %zu caller_b %zu caller_c %zu main %zu other %zu; fixed %llu\n",
	       c.leaf, c.a, c.b, c.c, c.main, c.other, (unsigned long long)r.leaf_fixed);
	/* 400 ms at 1 kHz, nearly all in leaf; its callers share it 1:2:3. */
	assert_true(c.leaf >= 200);
	assert_true(c.a > 0 && c.b > 0 && c.c > 0);
	assert_true((c.a + c.b + c.c) * 10 >= c.leaf * 9);
	assert_true(c.a < c.b && c.b < c.c);
	assert_true(r.leaf_fixed >= c.a + c.b + c.c);
}

/* The control: without the stack copy, the frame-pointer chain skips the leaf's caller. */
static void test_leaf_callers_lost_without_fix(void **state)
{
	(void)state;
	char *argv[] = {helper, "leaf", "300", NULL};
	sc_record_options o = launch(argv);
	o.callgraph = SC_RECORD_CG_FP; /* the leaf fix is frame-pointer mode's */
	o.user_stack_bytes = 0;
	sc_record_result r;
	sc_profile *p = record(&o, &r, true);
	struct parents c = leaf_parents(p);
	printf("leaf %zu: caller_a %zu caller_b %zu caller_c %zu main %zu other %zu\n", c.leaf, c.a,
	       c.b, c.c, c.main, c.other);
	assert_true(c.leaf >= 150);
	assert_true(c.main * 10 >= c.leaf * 9);
	assert_int_equal(r.leaf_fixed, 0);
}

static void test_missing_command(void **state)
{
	(void)state;
	char *argv[] = {"scorch-test-no-such-command", "x", NULL};
	sc_record_options o = launch(argv);
	sc_profile *p = new_profile();
	sc_record_result r;
	int rc = run_record(&o, p, &r);
	skip_if_refused(rc, &r);
	assert_int_equal(rc, -ENOENT);
	assert_string_equal(r.err,
			    "cannot run 'scorch-test-no-such-command': No such file or directory");
	assert_int_equal(r.exec_errno, ENOENT);
	assert_int_equal(p->samples.len, 0);
}

static void test_crash_keeps_samples(void **state)
{
	(void)state;
	char *argv[] = {helper, "segv", "200", NULL};
	sc_record_options o = launch(argv);
	sc_record_result r;
	sc_profile *p = record(&o, &r, true);
	assert_true(r.exited);
	assert_true(WIFSIGNALED(r.wait_status));
	assert_int_equal(WTERMSIG(r.wait_status), SIGSEGV);
	size_t n = count_leaf(p, "spin_crash");
	printf("spin_crash %zu of %zu samples\n", n, p->samples.len);
	assert_true(n >= 100);
}

/* The file the helper writes a child's pid or a thread's tid into: made empty here (`file` is a
 * mkstemp template), read and removed by take_id (-1 when it holds no number). */
static void make_id_file(char *file)
{
	int fd = mkstemp(file);
	assert_true(fd >= 0);
	close(fd);
}

static long take_id(const char *file)
{
	FILE *f = fopen(file, "r");
	long id = -1;
	if (f) {
		if (fscanf(f, "%ld", &id) != 1)
			id = -1;
		fclose(f);
	}
	unlink(file);
	return id;
}

/* A command found but not executable: exec's own errno, so that the CLI exits 126 as a shell. */
static void test_not_executable(void **state)
{
	(void)state;
	char file[] = "/tmp/scorch-test-record-XXXXXX";
	make_id_file(file); /* an empty file, mode 0600: not executable */
	char *argv[] = {file, NULL};
	sc_record_options o = launch(argv);
	sc_profile *p = new_profile();
	sc_record_result r;
	int rc = run_record(&o, p, &r);
	unlink(file);
	skip_if_refused(rc, &r);
	assert_int_equal(rc, -EACCES);
	assert_int_equal(r.exec_errno, EACCES);
	assert_non_null(strstr(r.err, "Permission denied"));
}

static void test_forked_child_has_own_pid(void **state)
{
	(void)state;
	char file[] = "/tmp/scorch-test-record-XXXXXX";
	make_id_file(file);
	char *argv[] = {helper, "fork", "200", file, NULL};
	sc_record_options o = launch(argv);
	sc_record_result r;
	sc_profile *p = record(&o, &r, true);
	long child = take_id(file);
	assert_true(child > 0);
	size_t in_child = 0, in_parent = 0;
	for (size_t i = 0; i < p->samples.len; i++) {
		const char *f = leaf_func(p, i);
		uint32_t pid = p->samples.data[i].pid;
		if (is(f, "child_spin")) {
			assert_int_equal(pid, child);
			in_child++;
		} else if (is(f, "parent_spin")) {
			assert_int_not_equal(pid, child);
			in_parent++;
		}
	}
	printf("child_spin %zu parent_spin %zu; %llu processes\n", in_child, in_parent,
	       (unsigned long long)r.processes);
	assert_true(in_child >= 100 && in_parent >= 100);
	assert_true(r.processes >= 2);
}

static void test_no_children(void **state)
{
	(void)state;
	char file[] = "/tmp/scorch-test-record-XXXXXX";
	make_id_file(file);
	char *argv[] = {helper, "fork", "150", file, NULL};
	sc_record_options o = launch(argv);
	o.follow_children = false;
	sc_record_result r;
	sc_profile *p = record(&o, &r, false);
	long child = take_id(file);
	assert_true(child > 0);
	for (size_t i = 0; i < p->samples.len; i++)
		assert_int_not_equal(p->samples.data[i].pid, child);
	assert_int_equal(count_leaf(p, "child_spin"), 0);
	assert_true(count_leaf(p, "parent_spin") >= 75);
}

static void test_thread_has_own_tid(void **state)
{
	(void)state;
	char file[] = "/tmp/scorch-test-record-XXXXXX";
	make_id_file(file);
	char *argv[] = {helper, "thread", "200", file, NULL};
	sc_record_options o = launch(argv);
	sc_record_result r;
	sc_profile *p = record(&o, &r, true);
	long tid = take_id(file);
	assert_true(tid > 0);
	size_t in_thread = 0, in_main = 0;
	for (size_t i = 0; i < p->samples.len; i++) {
		const sc_sample *s = &p->samples.data[i];
		const char *f = leaf_func(p, i);
		if (is(f, "thread_spin")) {
			assert_int_equal(s->tid, tid);
			assert_int_not_equal(s->pid, tid);
			in_thread++;
		} else if (is(f, "main_spin")) {
			assert_int_equal(s->tid, s->pid);
			in_main++;
		}
	}
	printf("thread_spin %zu main_spin %zu; %llu threads\n", in_thread, in_main,
	       (unsigned long long)r.threads);
	assert_true(in_thread >= 100 && in_main >= 100);
	assert_true(r.threads >= 2);
	assert_int_equal(r.processes, 1);
}

/* A duration ends the recording of a launched command by terminating it; it is still reaped. */
static void test_duration_stops_command(void **state)
{
	(void)state;
	char *argv[] = {helper, "spin", "20000", NULL};
	sc_record_options o = launch(argv);
	o.duration = 0.2;
	sc_record_result r;
	sc_profile *p = record(&o, &r, true);
	assert_true(r.exited);
	assert_true(WIFSIGNALED(r.wait_status));
	assert_int_equal(WTERMSIG(r.wait_status), SIGTERM);
	/* Not how many samples: 0.2 s of wall time is no amount of CPU time on a loaded machine. */
	assert_true(r.duration >= 0.2);
	(void)p;
}

/* Reads the helper's byte from `fd`, then sends SIGTERM to this process (the recorder's handler
 * is installed by then: the helper was launched after it). Nothing when the helper never wrote. */
static void *sigterm_when_ready(void *arg)
{
	int fd = *(int *)arg;
	char c;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* delivered to the recording thread */
	ssize_t n;
	while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n == 1)
		kill(getpid(), SIGTERM);
	return NULL;
}

/* SIGTERM to the recorder stops it the same way, and its own handlers are gone afterwards. The
 * signal comes once the helper has spun 200 ms of CPU time in plain_spin. */
static void test_sigterm_stops_recording(void **state)
{
	(void)state;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	char fdarg[16];
	snprintf(fdarg, sizeof(fdarg), "%d", pfd[1]);
	char *argv[] = {helper, "ready", "200", fdarg, NULL};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, sigterm_when_ready, &pfd[0]), 0);
	sc_record_options o = launch(argv);
	sc_record_result r;
	sc_profile *p = new_profile();
	int rc = run_record(&o, p, &r);
	close(pfd[1]); /* the helper is gone: the thread's read ends */
	pthread_join(t, NULL);
	close(pfd[0]);
	skip_if_refused(rc, &r);
	assert_int_equal(rc, 0);
	assert_true(r.exited);
	assert_true(WIFSIGNALED(r.wait_status));
	assert_int_equal(WTERMSIG(r.wait_status), SIGTERM);
	size_t n = count_leaf(p, "plain_spin");
	printf("plain_spin %zu of %zu samples\n", n, p->samples.len);
	assert_true(n >= 100);
	struct sigaction sa;
	assert_int_equal(sigaction(SIGTERM, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_DFL);
}

/* Perf event descriptors open in this process. */
static long perf_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	long n = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char link[300], target[64];
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		ssize_t k = readlink(link, target, sizeof(target) - 1);
		if (k > 0) {
			target[k] = 0;
			n += !strcmp(target, "anon_inode:[perf_event]");
		}
	}
	if (d)
		closedir(d);
	return n;
}

struct release {
	pid_t pid;
	int done; /* set by the test when sc_record_run has returned */
};

/* Continues the stopped helper once the recorder has opened its events on every CPU (one per
 * CPU for a one-thread process), so that all of its spin is recorded. */
static void *continue_when_attached(void *arg)
{
	struct release *rl = arg;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	while (!__atomic_load_n(&rl->done, __ATOMIC_ACQUIRE)) {
		if (perf_fds() >= (ncpu > 0 ? ncpu : 1)) {
			kill(rl->pid, SIGCONT);
			break;
		}
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* Attaches to a helper that stopped itself, continues it once attached, and records it until it
 * exits: its 300 ms of CPU time in plain_spin are all there, however loaded the machine is. */
static void test_attach(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(helper, helper, "stopped", "300", (char *)NULL);
		_exit(127);
	}
	helper_pid = pid;
	int st;
	assert_int_equal(waitpid(pid, &st, WUNTRACED), pid);
	assert_true(WIFSTOPPED(st)); /* exec'd and stopped itself */
	struct release rl = {.pid = pid};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, continue_when_attached, &rl), 0);
	sc_record_options o;
	sc_record_options_init(&o);
	o.pid = pid;
	sc_profile *p = new_profile();
	sc_record_result r;
	uint64_t t0 = mono_ns();
	int rc = run_record(&o, p, &r);
	uint64_t t1 = mono_ns();
	__atomic_store_n(&rl.done, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	skip_if_refused(rc, &r);
	assert_int_equal(rc, 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	helper_pid = 0;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	check_common(p, &r, t0, t1);
	assert_false(r.exited);
	size_t n = count_leaf(p, "plain_spin");
	printf("attached: plain_spin %zu of %zu samples in %.2f s\n", n, p->samples.len,
	       r.duration);
	assert_true(n >= 150);
	for (size_t i = 0; i < p->samples.len; i++)
		assert_int_equal(p->samples.data[i].pid, pid);
}

static void test_attach_no_process(void **state)
{
	(void)state;
	sc_record_options o;
	sc_record_options_init(&o);
	o.pid = 999999999;
	sc_profile *p = new_profile();
	sc_record_result r;
	assert_int_equal(run_record(&o, p, &r), -ESRCH);
	assert_string_equal(r.err, "no process 999999999");
}

/* perf's event names and aliases, and the events the recorder refuses by name. */
static void test_event_names(void **state)
{
	(void)state;
	bool time = false, hw = true;
	assert_string_equal(sc_record_event_canonical(NULL, &time, &hw), "cpu-clock");
	assert_true(time);
	assert_false(hw);
	assert_string_equal(sc_record_event_canonical("faults", &time, &hw), "page-faults");
	assert_false(time);
	assert_string_equal(sc_record_event_canonical("cs", NULL, NULL), "context-switches");
	assert_string_equal(sc_record_event_canonical("cpu-cycles", &time, &hw), "cycles");
	assert_true(hw);
	assert_null(sc_record_event_canonical("cycle", NULL, NULL));
	assert_non_null(strstr(sc_record_event_names(), "major-faults"));

	sc_record_options o;
	sc_record_options_init(&o);
	o.system_wide = true;
	o.event = "bogus";
	sc_profile *p = new_profile();
	sc_record_result r;
	assert_int_equal(run_record(&o, p, &r), -EINVAL);
	assert_non_null(strstr(r.err, "unknown event 'bogus' (known: cpu-clock"));
}

/* Several pids: the missing one is named; pids with a command or system-wide are refused. */
static void test_attach_several(void **state)
{
	(void)state;
	pid_t pids[] = {getpid(), 999999999};
	sc_record_options o;
	sc_record_options_init(&o);
	o.pids = pids;
	o.npids = 2;
	sc_profile *p = new_profile();
	sc_record_result r;
	assert_int_equal(run_record(&o, p, &r), -ESRCH);
	assert_string_equal(r.err, "no process 999999999");
	o.tids = true;
	assert_int_equal(run_record(&o, p, &r), -ESRCH);
	assert_string_equal(r.err, "no thread 999999999");
	o.system_wide = true;
	assert_int_equal(run_record(&o, p, &r), -EINVAL);
	o.system_wide = false;
	char *argv[] = {"true", NULL};
	o.argv = argv;
	assert_int_equal(run_record(&o, p, &r), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_leaf_callers_restored, teardown),
	    cmocka_unit_test_teardown(test_leaf_callers_lost_without_fix, teardown),
	    cmocka_unit_test_teardown(test_missing_command, teardown),
	    cmocka_unit_test_teardown(test_not_executable, teardown),
	    cmocka_unit_test_teardown(test_crash_keeps_samples, teardown),
	    cmocka_unit_test_teardown(test_forked_child_has_own_pid, teardown),
	    cmocka_unit_test_teardown(test_no_children, teardown),
	    cmocka_unit_test_teardown(test_thread_has_own_tid, teardown),
	    cmocka_unit_test_teardown(test_duration_stops_command, teardown),
	    cmocka_unit_test_teardown(test_sigterm_stops_recording, teardown),
	    cmocka_unit_test_teardown(test_attach, teardown),
	    cmocka_unit_test_teardown(test_attach_no_process, teardown),
	    cmocka_unit_test_teardown(test_event_names, teardown),
	    cmocka_unit_test_teardown(test_attach_several, teardown),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

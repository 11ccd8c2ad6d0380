/*
 * test_trace_runtime_api.c: the rest of libscorch's API as raw records (the runs as in
 * test_trace_runtime.c: this program again, with an agent file in its environment).
 *
 *   marks    scorch_mark and scorch_frame_mark: MARK and FRAME events whose sites have those
 *            kinds;
 *   async    a request begun on one thread (ASYNC_BEGIN, arg = its id) and ended on another
 *            (ASYNC_END, same id), each site of kind ASYNC with the request's name;
 *   loop     the generic loop: per iteration LOOP_WAIT with the timeout in ns (UINT64_MAX for
 *            none), LOOP_WAKE, and the callback's span between a wake and the next wait; a
 *            NULL loop is accepted;
 *   uv       a real libuv loop (when the test was built with libuv) with a 2 ms repeating
 *            timer run 5 times: scorch_loop_uv's prepare and check handles give WAIT (with
 *            libuv's timeout, at most 2 ms) and WAKE around each poll, the timer callback's
 *            span after a WAKE, and the loop still ends when the timer stops (the handles are
 *            unreferenced);
 *   fork     a forked child is a new instance with a ring of its own: its sites are numbered
 *            again (LOCs in its own ring for every site it names), and the span its parent had
 *            open at the fork does not end in the child;
 *   exec     an exec'd image maps the file again: a new instance, its own LOC and mark, and the
 *            ring its image before the exec left open is closed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <scorch/trace.h>
#ifdef SC_HAVE_UV
#include <uv.h>
#endif

#include "agent/stream.h"

#include "trace_runtime_run.h"

/* ---- the instrumented child --------------------------------------------------------------- */

static int child_marks(void)
{
	for (int i = 0; i < 3; i++) {
		scorch_mark("tick");
		scorch_frame_mark("frame");
	}
	return 0;
}

static void *async_ender(void *arg)
{
	(void)arg;
	scorch_async_end("request", 42);
	return NULL;
}

static int child_async(void)
{
	scorch_async_begin("request", 42);
	pthread_t t;
	pthread_create(&t, NULL, async_ender, NULL);
	pthread_join(t, NULL);
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

static int child_loop(void)
{
	scorch_loop *l = scorch_loop_new("generic");
	if (!l)
		return 30;
	for (int i = 0; i < 3; i++) {
		scorch_loop_wait(l, i == 2 ? -1 : 5000000);
		sleep_ms(1);
		scorch_loop_wake(l);
		SCORCH_SPAN("callback");
	}
	scorch_loop_wait(NULL, 1);
	scorch_loop_wake(NULL);
	scorch_loop_free(l);
	return 0;
}

#ifdef SC_HAVE_UV
static int fired;

static void on_timer(uv_timer_t *t)
{
	SCORCH_SPAN("timer");
	if (++fired == 5)
		uv_timer_stop(t);
}

static int child_uv(void)
{
	uv_loop_t loop;
	uv_timer_t timer;
	if (uv_loop_init(&loop) != 0)
		return 40;
	if (scorch_loop_uv(&loop, "uv") != 0)
		return 41;
	uv_timer_init(&loop, &timer);
	uv_timer_start(&timer, on_timer, 2, 2);
	uv_run(&loop, UV_RUN_DEFAULT); /* returns once the timer stops: our handles are unref'd */
	/* The loop cannot be closed (scorch's handles live as long as the process): leave without
	 * the sanitizer build's leak check of what libuv holds. */
	fflush(stdout);
	_exit(fired == 5 ? 0 : 42);
}
#endif

/* One site, numbered by the parent before the fork. */
static __attribute__((noinline)) void count(int v)
{
	scorch_counter("x", v);
}

static int child_fork(void)
{
	count(1);
	pid_t pid;
	{
		SCORCH_SPAN("open_at_fork");
		pid = fork();
		if (pid == 0) {
			count(2);
			SCORCH_SPAN("in_child");
		}
	}
	if (pid == 0)
		_exit(0);
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return 50;
	return 0;
}

static int child_exec(const char *self)
{
	scorch_mark("before_exec");
	char *argv[] = {(char *)self, "--child", "exec2", NULL};
	execv("/proc/self/exe", argv);
	return 60;
}

static int child_exec2(void)
{
	scorch_mark("after_exec");
	return 0;
}

/* ---- checks ------------------------------------------------------------------------------- */

/* The events of kind `kind` in ring i of r, counted, and the last one in *last. */
static int count_events(const run *r, size_t i, uint32_t kind, const rec **last)
{
	int n = 0;
	for (size_t j = 0; j < r->rings[i].n; j++)
		if (r->rings[i].r[j].type == SC_AGENT_REC_TRACE &&
		    r->rings[i].r[j].ev.kind == kind) {
			n++;
			if (last)
				*last = &r->rings[i].r[j];
		}
	return n;
}

static void expect_ok(run *r)
{
	assert_true(WIFEXITED(r->status));
	assert_int_equal(WEXITSTATUS(r->status), 0);
}

static void check_site(const run *r, uint32_t instance, const rec *ev, const char *name,
		       uint32_t kind)
{
	assert_non_null(ev);
	const rec *l = find_loc(r, instance, ev->ev.loc);
	assert_non_null(l);
	assert_string_equal(l->s[0], name);
	assert_int_equal(l->loc.kind, kind);
}

static void test_marks(void **state)
{
	(void)state;
	run r;
	run_child(&r, "marks", 2, 1u << 16);
	expect_ok(&r);
	const rec *m = NULL, *f = NULL;
	assert_int_equal(count_events(&r, 0, SC_AGENT_EV_MARK, &m), 3);
	assert_int_equal(count_events(&r, 0, SC_AGENT_EV_FRAME, &f), 3);
	check_site(&r, 1, m, "tick", SC_AGENT_LOC_MARK);
	check_site(&r, 1, f, "frame", SC_AGENT_LOC_FRAME);
	run_free(&r);
}

static void test_async(void **state)
{
	(void)state;
	run r;
	run_child(&r, "async", 4, 1u << 16);
	expect_ok(&r);
	int begins = 0, ends = 0;
	for (size_t i = 0; i < MAX_RINGS; i++) {
		const rec *b = NULL, *e = NULL;
		int nb = count_events(&r, i, SC_AGENT_EV_ASYNC_BEGIN, &b);
		int ne = count_events(&r, i, SC_AGENT_EV_ASYNC_END, &e);
		/* Begun and ended on different threads: never in one ring. */
		assert_false(nb && ne);
		if (nb) {
			check_site(&r, 1, b, "request", SC_AGENT_LOC_ASYNC);
			assert_int_equal(b->ev.arg, 42);
			assert_int_equal(r.rings[i].tid, r.rings[i].pid);
		}
		if (ne) {
			check_site(&r, 1, e, "request", SC_AGENT_LOC_ASYNC);
			assert_int_equal(e->ev.arg, 42);
			assert_int_not_equal(r.rings[i].tid, r.rings[i].pid);
		}
		begins += nb;
		ends += ne;
	}
	assert_int_equal(begins, 1);
	assert_int_equal(ends, 1);
	run_free(&r);
}

/* The loop's events of ring 0 in order as letters: W (wait), K (wake), B and E (span), with the
 * waits' timeouts. */
static void loop_story(const run *r, char *story, size_t size, uint64_t *timeouts, size_t *nt)
{
	size_t n = 0;
	*nt = 0;
	for (size_t j = 0; j < r->rings[0].n && n + 1 < size; j++) {
		const rec *x = &r->rings[0].r[j];
		if (x->type != SC_AGENT_REC_TRACE)
			continue;
		switch (x->ev.kind) {
		case SC_AGENT_EV_LOOP_WAIT:
			assert_non_null(find_loc(r, 1, x->ev.loc));
			assert_int_equal(find_loc(r, 1, x->ev.loc)->loc.kind, SC_AGENT_LOC_LOOP);
			story[n++] = 'W';
			timeouts[(*nt)++] = x->ev.arg;
			break;
		case SC_AGENT_EV_LOOP_WAKE:
			story[n++] = 'K';
			break;
		case SC_AGENT_EV_BEGIN:
			story[n++] = 'B';
			break;
		case SC_AGENT_EV_END:
			story[n++] = 'E';
			break;
		}
	}
	story[n] = 0;
}

static void test_loop(void **state)
{
	(void)state;
	run r;
	run_child(&r, "loop", 2, 1u << 16);
	expect_ok(&r);
	char story[64];
	uint64_t to[16];
	size_t nt;
	loop_story(&r, story, sizeof(story), to, &nt);
	assert_string_equal(story, "WKBEWKBEWKBE");
	assert_int_equal(nt, 3);
	assert_int_equal(to[0], 5000000);
	assert_int_equal(to[1], 5000000);
	assert_int_equal(to[2], UINT64_MAX);
	const rec *w = NULL;
	count_events(&r, 0, SC_AGENT_EV_LOOP_WAIT, &w);
	check_site(&r, 1, w, "generic", SC_AGENT_LOC_LOOP);
	run_free(&r);
}

static void test_uv(void **state)
{
	(void)state;
#ifndef SC_HAVE_UV
	skip(); /* built without libuv (libuv1-dev) */
#else
	run r;
	run_child(&r, "uv", 2, 1u << 16);
	expect_ok(&r);
	char story[256];
	uint64_t to[128];
	size_t nt;
	loop_story(&r, story, sizeof(story), to, &nt);
	/* Each timer callback runs between a wake and the next wait. */
	int timers = 0;
	for (const char *p = story; (p = strstr(p, "KBE")); p += 3)
		timers++;
	assert_int_equal(timers, 5);
	assert_null(strstr(story, "WB"));
	assert_null(strstr(story, "WW"));
	assert_null(strstr(story, "KK"));
	assert_true(nt >= 5);
	for (size_t i = 0; i + 1 < nt; i++) /* while the timer runs, libuv waits 2 ms at most */
		assert_true(to[i] <= 2000000);
	const rec *w = NULL;
	count_events(&r, 0, SC_AGENT_EV_LOOP_WAIT, &w);
	check_site(&r, 1, w, "uv", SC_AGENT_LOC_LOOP);
	run_free(&r);
#endif
}

static void test_fork(void **state)
{
	(void)state;
	run r;
	run_child(&r, "fork", 4, 1u << 16);
	expect_ok(&r);
	assert_int_equal(r.f.hdr->processes, 2);
	int child_rings = 0;
	for (size_t i = 0; i < MAX_RINGS; i++) {
		ring_recs *rr = &r.rings[i];
		if (rr->instance != 2)
			continue;
		child_rings++;
		assert_int_not_equal(rr->pid, r.rings[0].pid);
		/* Every site it names has its LOC in the child's own instance. */
		int begins = 0, ends = 0, counters = 0;
		for (size_t j = 0; j < rr->n; j++) {
			const rec *x = &rr->r[j];
			if (x->type != SC_AGENT_REC_TRACE)
				continue;
			if (x->ev.loc)
				assert_non_null(find_loc(&r, 2, x->ev.loc));
			begins += x->ev.kind == SC_AGENT_EV_BEGIN;
			ends += x->ev.kind == SC_AGENT_EV_END;
			if (x->ev.kind == SC_AGENT_EV_COUNTER) {
				counters++;
				check_site(&r, 2, x, "x", SC_AGENT_LOC_COUNTER);
			}
			if (x->ev.kind == SC_AGENT_EV_BEGIN)
				check_site(&r, 2, x, "in_child", SC_AGENT_LOC_SPAN);
		}
		/* in_child begins and ends; open_at_fork's end is the parent's. */
		assert_int_equal(begins, 1);
		assert_int_equal(ends, 1);
		assert_int_equal(counters, 1);
	}
	assert_int_equal(child_rings, 1);
	/* The parent's ring: its span begins and ends there. */
	assert_int_equal(r.rings[0].instance, 1);
	assert_int_equal(count_events(&r, 0, SC_AGENT_EV_BEGIN, NULL), 1);
	assert_int_equal(count_events(&r, 0, SC_AGENT_EV_END, NULL), 1);
	run_free(&r);
}

static void test_exec(void **state)
{
	(void)state;
	run r;
	run_child(&r, "exec", 4, 1u << 16);
	expect_ok(&r);
	assert_int_equal(r.f.hdr->processes, 2);
	const char *want[3] = {NULL, "before_exec", "after_exec"};
	int seen = 0;
	for (size_t i = 0; i < MAX_RINGS; i++) {
		const rec *m = NULL;
		if (!count_events(&r, i, SC_AGENT_EV_MARK, &m))
			continue;
		uint32_t inst = r.rings[i].instance;
		assert_true(inst == 1 || inst == 2);
		check_site(&r, inst, m, want[inst], SC_AGENT_LOC_MARK);
		seen |= 1 << inst;
		/* The image before the exec: its main thread's ring closed by the new image. */
		if (inst == 1)
			assert_int_equal(r.rings[i].state, SC_AGENT_RING_CLOSED);
	}
	assert_int_equal(seen, 6);
	run_free(&r);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--child") == 0) {
		const char *m = argv[2];
		if (!strcmp(m, "marks"))
			return child_marks();
		if (!strcmp(m, "async"))
			return child_async();
		if (!strcmp(m, "loop"))
			return child_loop();
#ifdef SC_HAVE_UV
		if (!strcmp(m, "uv"))
			return child_uv();
#endif
		if (!strcmp(m, "fork"))
			return child_fork();
		if (!strcmp(m, "exec"))
			return child_exec(argv[0]);
		if (!strcmp(m, "exec2"))
			return child_exec2();
		return 2;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_marks), cmocka_unit_test(test_async), cmocka_unit_test(test_loop),
	    cmocka_unit_test(test_uv),	  cmocka_unit_test(test_fork),	cmocka_unit_test(test_exec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_trace_runtime.c: libscorch's records (src/trace/runtime.c) as scorch reads them. The test
 * makes an agent file (sc_agentfile_create), runs itself again with SCORCH_AGENT_FILE naming it
 * (the runtime maps the file in its constructor, so the instrumented part must be a new process)
 * and checks the raw records of every ring once that process has exited.
 *
 *   spans    two threads, each named, run N x (SCORCH_SPAN outer { begin inner; counter; end }):
 *            one closed ring per thread (the destructor ran), a TRACE_THREAD record first with
 *            the thread's id, then the new name; each site's TRACE_LOC with its name, kind,
 *            file, function and line before any event naming it; the events in order, nested,
 *            the counter's values, times that never go back and lie within the run; nothing
 *            lost; an end with no span open writes nothing; the kernel's thread name cut to
 *            15 bytes;
 *   off      without SCORCH_AGENT_FILE (or SCORCH_CONSOLE) the runtime is off: every macro runs,
 *            nothing is recorded, scorch_loop_new is NULL;
 *   samplers a file with a stack depth (a sampler's: scorch record's or scorch heap's agent) is
 *            left alone: the runtime stays off and claims no ring;
 *   full     one 4 KiB ring nobody drains: events are dropped and counted in the ring's `lost`,
 *            and what was written still nests (every BEGIN has its END, no END without BEGIN);
 *   clock    the TSC clock (src/agent/tsc.c, compiled into the test) against CLOCK_MONOTONIC
 *            read before and after it, over 100 ms of re-anchoring: never off by more than 100 us
 *            (its error is tens of ns; a wrong scale is off by ms), never going back, and (where
 *            the kernel's clocksource is the TSC) with a rate measured and real readings taken
 *            as it went (one per SC_TSC_SPAN ticks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <scorch/trace.h>

#include "agent/stream.h"
#include "agent/tsc.h"
#define N	 1000
#define MAX_RECS (8 * N + 64)
#include "trace_runtime_run.h"

#define LONG_NAME "worker-B-with-a-long-name"

/* ---- the instrumented child --------------------------------------------------------------- */

static int line_outer, line_inner, line_counter;

static void *worker(void *arg)
{
	const char *name = arg;
	scorch_thread_name(name);
	for (int i = 0; i < N; i++) {
		line_outer = __LINE__ + 1;
		SCORCH_SPAN("outer");
		line_inner = __LINE__ + 1;
		scorch_span_begin("inner");
		line_counter = __LINE__ + 1;
		scorch_counter("iter", i);
		scorch_span_end();
	}
	scorch_span_end(); /* nothing is open: no record (the depth is counted right) */
	char kname[32] = {0};
	prctl(PR_GET_NAME, kname);
	/* The kernel's name: the first 15 bytes. */
	if (strcmp(name, LONG_NAME) == 0 && strcmp(kname, "worker-B-with-a") != 0)
		return (void *)1;
	return NULL;
}

static int child_spans(void)
{
	if (!scorch_trace_enabled())
		return 10;
	pthread_t a, b;
	void *ra, *rb;
	pthread_create(&a, NULL, worker, "worker-A");
	pthread_create(&b, NULL, worker, LONG_NAME);
	pthread_join(a, &ra);
	pthread_join(b, &rb);
	/* The lines, for the parent to compare with the LOC records. */
	printf("%d %d %d\n", line_outer, line_inner, line_counter);
	return ra || rb ? 11 : 0;
}

static int child_off(void)
{
	if (scorch_trace_enabled() || scorch_trace_on_)
		return 20;
	worker("off");
	scorch_mark("m");
	scorch_frame_mark("f");
	scorch_async_begin("a", 1);
	scorch_async_end("a", 1);
	if (scorch_loop_new("loop") != NULL)
		return 21;
	return 0;
}

static int child_full(void)
{
	for (int i = 0; i < N; i++) {
		SCORCH_SPAN("l1");
		{
			SCORCH_SPAN("l2");
			scorch_counter("c", i);
			SCORCH_SPAN("l3");
			scorch_mark("m");
		}
	}
	return 0;
}

static void check_loc(const rec *l, const char *name, uint32_t kind, int line)
{
	assert_non_null(l);
	assert_string_equal(l->s[0], name);
	assert_int_equal(l->loc.kind, kind);
	assert_int_equal(l->loc.line, line);
	assert_string_equal(l->s[2], "worker");
	const char *file = l->s[1];
	size_t fl = strlen(file);
	assert_true(fl >= 20 && strcmp(file + fl - 20, "test_trace_runtime.c") == 0);
}

static void test_spans(void **state)
{
	(void)state;
	run r;
	run_child(&r, "spans", 4, 1u << 20);
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 0);
	int lo, li, lc;
	assert_int_equal(sscanf(r.out, "%d %d %d", &lo, &li, &lc), 3);
	assert_int_equal(r.f.hdr->processes, 1);
	int used = 0;
	bool long_seen = false, short_seen = false;
	for (size_t i = 0; i < 4; i++) {
		ring_recs *rr = &r.rings[i];
		if (rr->state == SC_AGENT_RING_FREE && !rr->n)
			continue;
		used++;
		/* Closed by the thread's exit (the key's destructor). */
		assert_int_equal(rr->state, SC_AGENT_RING_CLOSED);
		assert_int_equal(rr->instance, 1);
		assert_int_equal(rr->lost, 0);
		assert_true(rr->tid != rr->pid);
		/* The kernel's name at the claim (inherited from main), then the new name. */
		assert_true(rr->n >= 2);
		assert_int_equal(rr->r[0].type, SC_AGENT_REC_TRACE_THREAD);
		assert_int_equal(rr->r[0].th.tid, rr->tid);
		assert_int_equal(rr->r[1].type, SC_AGENT_REC_TRACE_THREAD);
		assert_int_equal(rr->r[1].th.tid, rr->tid);
		if (strcmp(rr->r[1].s[0], LONG_NAME) == 0)
			long_seen = true;
		else if (strcmp(rr->r[1].s[0], "worker-A") == 0)
			short_seen = true;
		/* The events: begin outer, begin inner, counter i, end (no site), end (outer). */
		static const uint32_t kinds[5] = {SC_AGENT_EV_BEGIN, SC_AGENT_EV_BEGIN,
						  SC_AGENT_EV_COUNTER, SC_AGENT_EV_END,
						  SC_AGENT_EV_END};
		size_t nev = 0;
		uint64_t last = r.t0;
		uint32_t outer = 0, inner = 0;
		for (size_t j = 2; j < rr->n; j++) {
			const rec *x = &rr->r[j];
			if (x->type == SC_AGENT_REC_TRACE_LOC)
				continue;
			assert_int_equal(x->type, SC_AGENT_REC_TRACE);
			size_t k = nev % 5;
			int iter = (int)(nev / 5);
			assert_int_equal(x->ev.kind, kinds[k]);
			assert_true(x->ev.time >= last && x->ev.time <= r.t1);
			last = x->ev.time;
			if (k == 0) {
				if (!outer) {
					outer = x->ev.loc;
					check_loc(find_loc(&r, 1, outer), "outer",
						  SC_AGENT_LOC_SPAN, lo);
				}
				assert_int_equal(x->ev.loc, outer);
			} else if (k == 1) {
				if (!inner) {
					inner = x->ev.loc;
					check_loc(find_loc(&r, 1, inner), "inner",
						  SC_AGENT_LOC_SPAN, li);
				}
				assert_int_equal(x->ev.loc, inner);
			} else if (k == 2) {
				check_loc(find_loc(&r, 1, x->ev.loc), "iter", SC_AGENT_LOC_COUNTER,
					  lc);
				double v;
				memcpy(&v, &x->ev.arg, sizeof(v));
				assert_true(v == (double)iter);
			} else if (k == 3) {
				assert_int_equal(x->ev.loc, 0); /* scorch_span_end names no site */
			} else {
				assert_int_equal(x->ev.loc, outer);
			}
			nev++;
		}
		assert_int_equal(nev, 5 * N);
		assert_true(outer && inner && outer != inner);
	}
	assert_int_equal(used, 2);
	assert_true(long_seen && short_seen);
	run_free(&r);
}

static void test_off(void **state)
{
	(void)state;
	run r;
	run_child(&r, "off", 0, 0);
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 0);
	run_free(&r);
}

static void test_samplers_file(void **state)
{
	(void)state;
	run r;
	run_max_depth = 16; /* a file made for libscorch-cpu or libscorch-heap: not ours */
	run_child(&r, "off", 1, 1u << 16);
	run_max_depth = 0;
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 0);
	assert_int_equal(r.rings[0].state, SC_AGENT_RING_FREE);
	assert_int_equal(r.f.hdr->processes, 0);
	run_free(&r);
}

static void test_full(void **state)
{
	(void)state;
	run r;
	run_child(&r, "full", 1, 4096);
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 0);
	ring_recs *rr = &r.rings[0];
	assert_true(rr->lost > 0);
	uint32_t stack[16];
	int depth = 0, begins = 0, ends = 0;
	for (size_t j = 0; j < rr->n; j++) {
		const rec *x = &rr->r[j];
		if (x->type != SC_AGENT_REC_TRACE)
			continue;
		if (x->ev.kind == SC_AGENT_EV_BEGIN) {
			assert_true(depth < 16);
			stack[depth++] = x->ev.loc;
			begins++;
		} else if (x->ev.kind == SC_AGENT_EV_END) {
			assert_true(depth > 0);
			assert_int_equal(x->ev.loc, stack[--depth]);
			ends++;
		}
	}
	assert_int_equal(depth, 0);
	assert_true(begins > 3);
	assert_int_equal(begins, ends);
	run_free(&r);
}

static void test_clock(void **state)
{
	(void)state;
	sc_tsc_init();
	sc_tsc c;
	sc_tsc_reset(&c);
	uint64_t start = sc_clock_ns(), last = 0, n = 0, anchors = 0, tsc0 = 0;
	for (;;) {
		uint64_t a = sc_clock_ns(), t = sc_tsc_ns(&c), b = sc_clock_ns();
		anchors += c.tsc0 != tsc0;
		tsc0 = c.tsc0;
		assert_true(t >= last);
		last = t;
		if (t + 100000 < a || t > b + 100000)
			fail_msg("TSC time %llu outside [%llu, %llu] by more than 100 us",
				 (unsigned long long)t, (unsigned long long)a,
				 (unsigned long long)b);
		n++;
		if (b - start > 100000000)
			break;
	}
	if (sc_tsc_on) {
		assert_true(c.ns_per_tick != 0);
		/* Re-anchored as it went: 100 ms are several spans of 2^24 ticks at any TSC rate
		 * above 1 GHz (the first reading and the rate's measure make two anchors). */
		assert_true(anchors >= 4);
	}
	print_message("clock: %llu readings, %llu anchors, TSC %s\n", (unsigned long long)n,
		      (unsigned long long)anchors, sc_tsc_on ? "used" : "not used (clocksource)");
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--child") == 0) {
		if (strcmp(argv[2], "spans") == 0)
			return child_spans();
		if (strcmp(argv[2], "off") == 0)
			return child_off();
		if (strcmp(argv[2], "full") == 0)
			return child_full();
		return 2;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spans),	  cmocka_unit_test(test_off),
	    cmocka_unit_test(test_samplers_file), cmocka_unit_test(test_full),
	    cmocka_unit_test(test_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

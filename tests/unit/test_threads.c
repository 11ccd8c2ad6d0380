/*
 * test_threads.c: sc_threads, cost by thread and by process, with the names samples carry.
 *
 * The profile (helper_profile.h; 1 ms of cpu per sample, times in ms from 1000):
 *
 *   main -> a   x 1   pid 100 tid 101   t = 1000        thread_name phases (before renaming)
 *   main -> a   x 4   pid 100 tid 101   t = 1001..1004  thread_name worker  -> one row "worker",
 *                                                                          5 samples, 0 .. 4 ms
 *   main -> b   x 2   pid 100 tid 100   t = 1005..1006  thread_name phases
 *   main -> c   x 3   pid 200 tid 201   t = 1007..1009  comm other (perf script text)
 *
 *   by thread:  worker 50% (5), other 30% (3), phases 20% (2)
 *   by process: 100 phases 70% (7), 200 other 30% (3)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "alloc_torture.h"
#include "helper_profile.h"
#include "report/threads.h"

static void add(struct fx *fx, int n, uint32_t pid, uint32_t tid, uint64_t ms, uint32_t *stack,
		const char *key, const char *name, bool process)
{
	for (int i = 0; i < n; i++) {
		fx_add(fx, 1, (struct fx_s){pid, tid, (ms + (uint64_t)i) * 1000000}, 2, stack);
		assert_int_equal(sc_profile_add_label(fx->p, key, name, 0, NULL), 0);
		if (process)
			assert_int_equal(
			    sc_profile_add_label(fx->p, "process_name", "phases", 0, NULL), 0);
	}
}

static sc_profile *thr_profile(void)
{
	struct fx fx;
	fx_init(&fx);
	uint32_t m = fx_fn(&fx, "main", FX_PROG, 1), a = fx_fn(&fx, "a", FX_PROG, 2);
	uint32_t b = fx_fn(&fx, "b", FX_PROG, 3), c = fx_fn(&fx, "c", FX_PROG, 4);
	add(&fx, 1, 100, 101, 1000, (uint32_t[]){m, a}, "thread_name", "phases", true);
	add(&fx, 4, 100, 101, 1001, (uint32_t[]){m, a}, "thread_name", "worker", true);
	add(&fx, 2, 100, 100, 1005, (uint32_t[]){m, b}, "thread_name", "phases", true);
	add(&fx, 3, 200, 201, 1007, (uint32_t[]){m, c}, "comm", "other", false);
	return fx.p;
}

static void test_by_thread(void **state)
{
	(void)state;
	sc_profile *p = thr_profile();
	sc_threads t;
	assert_int_equal(sc_threads_compute(p, 1, SC_THREADS_BY_THREAD, &t), 0);
	assert_true(t.timed);
	assert_int_equal(t.len, 3);
	assert_int_equal(t.grand_total, 10000000);
	/* The renamed thread is one row, under the name most of its cost carries. */
	assert_int_equal(t.rows[0].id, 101);
	assert_int_equal(t.rows[0].pid, 100);
	assert_string_equal(t.rows[0].name, "worker");
	assert_int_equal(t.rows[0].value, 5000000);
	assert_int_equal(t.rows[0].samples, 5);
	assert_int_equal(t.rows[0].first_ns, 0);
	assert_int_equal(t.rows[0].last_ns, 4000000);
	assert_int_equal(t.rows[1].id, 201);
	assert_string_equal(t.rows[1].name, "other");
	assert_int_equal(t.rows[1].first_ns, 7000000);
	assert_int_equal(t.rows[2].id, 100);
	assert_string_equal(t.rows[2].name, "phases");
	char *s = fx_print(sc_threads_print_text(p, &t, 2, f));
	assert_string_equal(s, "total: 10.0ms cpu (nanoseconds), 3 threads\n\n"
			       "  share     cpu   samples       tid       pid      first       last"
			       "  name\n"
			       " 50.00%  5.00ms         5       101       100     0.000s     0.004s"
			       "  worker\n"
			       " 30.00%  3.00ms         3       201       200     0.007s     0.009s"
			       "  other\n");
	free(s);
	s = fx_print(sc_threads_print_json(p, &t, 1, f));
	assert_string_equal(s,
			    "{\"schema\":\"scorch.threads\",\"version\":1,\"sample_type\":\"cpu\","
			    "\"unit\":\"nanoseconds\",\"total\":10000000,\"by\":\"thread\",\n"
			    "\"rows\":[\n{\"id\":101,\"pid\":100,\"name\":\"worker\","
			    "\"value\":5000000,\"pct\":50.00,\"samples\":5,\"first_s\":0.000000,"
			    "\"last_s\":0.004000}\n]}\n");
	free(s);
	sc_threads_release(&t);
	sc_threads_release(&t); /* idempotent */
	sc_threads_release(NULL);
	sc_profile_free(p);
}

static void test_by_process(void **state)
{
	(void)state;
	sc_profile *p = thr_profile();
	sc_threads t;
	assert_int_equal(sc_threads_compute(p, 0, SC_THREADS_BY_PROCESS, &t), 0);
	assert_int_equal(t.len, 2);
	assert_int_equal(t.rows[0].id, 100);
	assert_string_equal(t.rows[0].name, "phases");
	assert_int_equal(t.rows[0].value, 7);
	assert_int_equal(t.rows[0].last_ns, 6000000);
	assert_int_equal(t.rows[1].id, 200);
	assert_string_equal(t.rows[1].name, "other"); /* comm stands for the process name */
	char *s = fx_print(sc_threads_print_text(p, &t, 0, f));
	assert_non_null(strstr(s, ", 2 processes\n"));
	assert_non_null(strstr(s, "  pid      first"));
	sc_threads_release(&t);
	free(s);
	sc_profile_free(p);
}

/* Folded stacks have no ids, names or times: one row, and no time columns. */
static void test_anonymous(void **state)
{
	(void)state;
	sc_profile *p = fx_main_profile(NULL, NULL);
	sc_threads t;
	assert_int_equal(sc_threads_compute(p, 0, SC_THREADS_BY_THREAD, &t), 0);
	assert_false(t.timed);
	assert_int_equal(t.len, 1);
	assert_int_equal(t.rows[0].id, 0);
	assert_string_equal(t.rows[0].name, "");
	assert_int_equal(t.rows[0].value, 65);
	char *s = fx_print(sc_threads_print_text(p, &t, 0, f));
	assert_string_equal(s, "total: 65 samples (count), 1 thread\n\n"
			       "  share  samples   samples       tid       pid  name\n"
			       "100.00%       65        65         ?         ?  ?\n");
	free(s);
	sc_threads_release(&t);
	assert_int_equal(sc_threads_compute(p, 2, SC_THREADS_BY_THREAD, &t), -EINVAL);
	assert_int_equal(sc_threads_compute(p, -1, SC_THREADS_BY_THREAD, &t), -EINVAL);
	sc_profile_free(p);
}

/* Fails each allocation of the computation in turn: -ENOMEM, an empty table, nothing leaked. */
static void test_allocation_failures(void **state)
{
	(void)state;
#if !ALLOC_TORTURE
	print_message("skipped: allocation failure injection does not run under ASan\n");
	skip();
#else
	sc_profile *p = thr_profile();
	long failures = 0;
	for (long i = 0;; i++) {
		sc_threads t;
		long before = live_blocks;
		fail_countdown = i;
		int r = sc_threads_compute(p, 1, SC_THREADS_BY_THREAD, &t);
		bool injected = fail_countdown < 0;
		fail_countdown = -1;
		if (!injected) {
			assert_int_equal(r, 0);
			assert_int_equal(t.len, 3);
			sc_threads_release(&t);
			assert_int_equal(live_blocks, before);
			break;
		}
		assert_int_equal(r, -ENOMEM);
		assert_null(t.rows);
		assert_int_equal(t.len, 0);
		assert_int_equal(live_blocks, before);
		failures++;
	}
	assert_true(failures >= 3);
	sc_profile_free(p);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_by_thread),
	    cmocka_unit_test(test_by_process),
	    cmocka_unit_test(test_anonymous),
	    cmocka_unit_test(test_allocation_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

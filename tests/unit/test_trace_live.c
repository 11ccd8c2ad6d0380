/*
 * test_trace_live.c: the live console's windows (src/trace/live.c) on synthetic events with
 * known answers. Times are nanoseconds from an arbitrary origin of 1000 s.
 *
 *   buckets   the histogram's buckets cover every value once, in order, 1/8 wide at most;
 *   spans     100 spans/s of 1 ms for 20 s, then one of 50 ms: counts, totals, rates over the
 *             last second and the last 10, p50 1 ms, max 50 ms, p99 within 1/16 of 1 ms; the
 *             percentiles forget spans older than the window; sites of one name merge;
 *   equal     spans of one duration have it as p50 and p99;
 *   reused    names are copied: a buffer reused for another name makes another row;
 *   rates     10 s rates average over the seconds since the first event when it is more recent;
 *   threads   a thread inside outermost spans 100% of the time is busy 1 and warned about, one
 *             half the time is busy 0.5, nested spans do not count twice; a loop thread's busy
 *             time is its wake-to-wait time, not its spans';
 *   loops     iterations per second and lag percentiles; a callback (outermost span on a loop's
 *             thread) of 150 ms is BLOCKED with its count and worst, one of 50 ms is not;
 *   stuck     an open span older than the threshold is STUCK, a younger one is not, and the
 *             next round's open set replaces it;
 *   counters  the last value, one per second, seconds without a value hold the previous one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "trace/live.h"

#define MS  1000000ull
#define SEC 1000000000ull
#define T0  (1000 * SEC)

static const sc_live_span_row *span_row(const sc_live_view *v, const char *name)
{
	for (size_t i = 0; i < v->nspans; i++)
		if (strcmp(v->spans[i].name, name) == 0)
			return &v->spans[i];
	fail_msg("no span row %s", name);
	return NULL;
}

static const sc_live_thread_row *thread_row(const sc_live_view *v, uint32_t tid)
{
	for (size_t i = 0; i < v->nthreads; i++)
		if (v->threads[i].tid == tid)
			return &v->threads[i];
	fail_msg("no thread row %u", tid);
	return NULL;
}

static size_t count_warnings(const sc_live_view *v, int kind, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < v->nwarnings; i++)
		if (v->warnings[i].kind == kind &&
		    (!name || strcmp(v->warnings[i].name, name) == 0))
			n++;
	return n;
}

static void test_buckets(void **state)
{
	(void)state;
	unsigned prev = 0;
	for (uint64_t v = 0; v < 1u << 20; v++) {
		unsigned b = sc_live_bucket(v);
		assert_true(b == prev || b == prev + 1);
		assert_true(sc_live_bucket_lo(b) <= v && v < sc_live_bucket_lo(b + 1));
		prev = b;
	}
	for (unsigned b = 16; b + 1 < SC_LIVE_BUCKETS; b++) {
		uint64_t lo = sc_live_bucket_lo(b), hi = sc_live_bucket_lo(b + 1);
		assert_true(hi > lo);
		assert_true((hi - lo) * 8 <= lo);
		assert_int_equal(sc_live_bucket(lo), b);
		assert_int_equal(sc_live_bucket(hi - 1), b);
	}
	assert_int_equal(sc_live_bucket(UINT64_MAX), SC_LIVE_BUCKETS - 1);
}

static void test_spans(void **state)
{
	(void)state;
	sc_live *l = sc_live_new(NULL);
	assert_non_null(l);
	/* 20 s of "tick" every 10 ms lasting 1 ms, on thread 1, as two sites of one name. */
	for (uint64_t i = 0; i < 2000; i++) {
		uint64_t s = T0 + i * 10 * MS;
		assert_int_equal(sc_live_span(l, "tick", 1, s, s + MS, 0), 0);
	}
	/* One slow one, ending at 19.5 s. */
	assert_int_equal(sc_live_span(l, "tick", 1, T0 + 19450 * MS, T0 + 19500 * MS, 0), 0);
	sc_live_view v;
	assert_int_equal(sc_live_view_make(l, T0 + 20 * SEC + 500 * MS, &v), 0);
	assert_int_equal(v.nspans, 1);
	const sc_live_span_row *r = span_row(&v, "tick");
	assert_int_equal(r->count, 2001);
	assert_int_equal(r->total_ns, 2000 * MS + 50 * MS);
	/* The last completed second is [19 s, 20 s): 100 ticks and the slow one. */
	assert_true(r->rate1 == 101);
	assert_true(r->rate10 == 100.1);
	/* The window is seconds 10..20 (11 slots): 1000 ticks ended in [10 s, 20 s) + the slow. */
	assert_int_equal(r->win_count, 1001);
	assert_int_equal(r->max, 50 * MS);
	assert_true(r->p50 >= MS - MS / 16 && r->p50 <= MS + MS / 16);
	assert_true(r->p99 >= MS - MS / 16 && r->p99 <= MS + MS / 16);
	assert_int_equal(v.events, 2001);
	assert_true(v.events1 == 101);
	sc_live_view_release(&v);

	/* 15 s later with nothing new: the window forgets them, the totals do not. */
	assert_int_equal(sc_live_view_make(l, T0 + 35 * SEC, &v), 0);
	r = span_row(&v, "tick");
	assert_int_equal(r->count, 2001);
	assert_int_equal(r->win_count, 0);
	assert_int_equal(r->max, 0);
	assert_true(r->rate1 == 0 && r->rate10 == 0);
	sc_live_view_release(&v);
	sc_live_free(l);
}

static void test_rates_since_first(void **state)
{
	(void)state;
	sc_live *l = sc_live_new(NULL);
	assert_non_null(l);
	/* 4 s of 50 spans per second, the first at T0. */
	for (uint64_t i = 0; i < 200; i++)
		assert_int_equal(sc_live_span(l, "x", 7, T0 + i * 20 * MS, T0 + i * 20 * MS + 1, 0),
				 0);
	sc_live_view v;
	assert_int_equal(sc_live_view_make(l, T0 + 4 * SEC + 1, &v), 0);
	assert_true(span_row(&v, "x")->rate10 == 50);
	assert_true(span_row(&v, "x")->rate1 == 50);
	sc_live_view_release(&v);
	sc_live_free(l);
}

/* Names are copied: one buffer holding two names in turn makes two rows. */
static void test_reused_buffer(void **state)
{
	(void)state;
	sc_live *l = sc_live_new(NULL);
	assert_non_null(l);
	char buf[16];
	strcpy(buf, "first");
	assert_int_equal(sc_live_span(l, buf, 1, T0, T0 + MS, 0), 0);
	strcpy(buf, "second");
	assert_int_equal(sc_live_span(l, buf, 1, T0, T0 + MS, 0), 0);
	assert_int_equal(sc_live_span(l, buf, 1, T0, T0 + MS, 0), 0);
	sc_live_view v;
	assert_int_equal(sc_live_view_make(l, T0 + SEC, &v), 0);
	assert_int_equal(v.nspans, 2);
	assert_int_equal(span_row(&v, "first")->count, 1);
	assert_int_equal(span_row(&v, "second")->count, 2);
	sc_live_view_release(&v);
	sc_live_free(l);
}

/* Equal durations: the percentiles are the value itself (the window's min and max bound them). */
static void test_equal_durations(void **state)
{
	(void)state;
	sc_live *l = sc_live_new(NULL);
	assert_non_null(l);
	for (uint64_t i = 0; i < 10; i++)
		assert_int_equal(
		    sc_live_span(l, "slow", 1, T0 + i * SEC, T0 + i * SEC + 150 * MS, 0), 0);
	sc_live_view v;
	assert_int_equal(sc_live_view_make(l, T0 + 10 * SEC, &v), 0);
	assert_int_equal(span_row(&v, "slow")->p50, 150 * MS);
	assert_int_equal(span_row(&v, "slow")->p99, 150 * MS);
	assert_int_equal(span_row(&v, "slow")->max, 150 * MS);
	sc_live_view_release(&v);
	sc_live_free(l);
}

static void test_threads(void **state)
{
	(void)state;
	sc_live *l = sc_live_new(NULL);
	assert_non_null(l);
	assert_int_equal(sc_live_thread(l, 1, "spinner"), 0);
	assert_int_equal(sc_live_thread(l, 2, "half"), 0);
	/* Thread 1: back-to-back 5 ms spans with a nested one each; thread 2: 5 ms in every 10. */
	for (uint64_t i = 0; i < 2400; i++) {
		uint64_t s = T0 + i * 5 * MS;
		assert_int_equal(sc_live_span(l, "inner", 1, s + MS, s + 2 * MS, 1), 0);
		assert_int_equal(sc_live_span(l, "spin", 1, s, s + 5 * MS, 0), 0);
		if (i % 2 == 0) {
			assert_int_equal(sc_live_span(l, "inner", 2, s + MS, s + 2 * MS, 1), 0);
			assert_int_equal(sc_live_span(l, "work", 2, s, s + 5 * MS, 0), 0);
		}
	}
	sc_live_view v;
	assert_int_equal(sc_live_view_make(l, T0 + 12 * SEC, &v), 0);
	assert_true(thread_row(&v, 1)->busy > 0.999 && thread_row(&v, 1)->busy <= 1);
	assert_string_equal(thread_row(&v, 1)->name, "spinner");
	assert_true(thread_row(&v, 2)->busy > 0.499 && thread_row(&v, 2)->busy < 0.501);
	assert_int_equal(count_warnings(&v, SC_LIVE_WARN_BUSY, NULL), 1);
	assert_int_equal(v.warnings[0].tid, 1);
	assert_string_equal(v.warnings[0].thread, "spinner");
	sc_live_view_release(&v);
	/* A thread seen for less than a tenth: no share yet. */
	assert_int_equal(sc_live_span(l, "late", 3, T0 + 12 * SEC, T0 + 12 * SEC + MS, 0), 0);
	assert_int_equal(sc_live_view_make(l, T0 + 12 * SEC + 2 * MS, &v), 0);
	assert_true(thread_row(&v, 3)->busy < 0);
	sc_live_view_release(&v);
	sc_live_free(l);
}

static void test_loops(void **state)
{
	(void)state;
	sc_live_config cfg = {.block_ns = 100 * MS};
	sc_live *l = sc_live_new(&cfg);
	assert_non_null(l);
	/* A loop on thread 5 waking every 10 ms (timeout 8 ms, so 2 ms late: lag 2 ms) and busy 2
	 * ms; for 5 s; then one iteration busy with a 150 ms callback, and one with a 50 ms one. */
	uint64_t t = T0, prev_wake = 0;
	for (int i = 0; i < 500; i++) {
		uint64_t wait = prev_wake ? prev_wake + 2 * MS : t;
		if (prev_wake)
			assert_int_equal(sc_live_span(l, "tick", 5, prev_wake, wait, 0), 0);
		uint64_t wake = wait + 10 * MS;
		assert_int_equal(sc_live_loop(l, "main", 5, wait, wake, prev_wake ? 2 * MS : 0,
					      prev_wake != 0, 2 * MS),
				 0);
		prev_wake = wake;
	}
	assert_int_equal(sc_live_span(l, "slow", 5, prev_wake, prev_wake + 150 * MS, 0), 0);
	assert_int_equal(sc_live_loop(l, "main", 5, prev_wake + 150 * MS, prev_wake + 151 * MS,
				      150 * MS, true, 0),
			 0);
	prev_wake += 151 * MS;
	assert_int_equal(sc_live_span(l, "medium", 5, prev_wake, prev_wake + 50 * MS, 0), 0);
	assert_int_equal(
	    sc_live_loop(l, "main", 5, prev_wake + 50 * MS, prev_wake + 51 * MS, 50 * MS, true, 0),
	    0);
	sc_live_view v;
	assert_int_equal(sc_live_view_make(l, T0 + 5 * SEC + 500 * MS, &v), 0);
	assert_int_equal(v.nloops, 1);
	assert_string_equal(v.loops[0].name, "main");
	assert_int_equal(v.loops[0].iters, 502);
	assert_true(v.loops[0].rate1 == 83); /* wakes in [4 s, 5 s): every 12 ms from 10 ms */
	assert_true(v.loops[0].p50 >= 2 * MS - MS / 8 && v.loops[0].p50 <= 2 * MS + MS / 8);
	assert_int_equal(v.loops[0].max, 2 * MS);
	/* Thread 5's busy share is its loop's: 2 ms in 12 ms. */
	const sc_live_thread_row *tr = thread_row(&v, 5);
	assert_true(tr->loop);
	assert_true(tr->busy > 0.15 && tr->busy < 0.19);
	/* The slow callback blocked the loop (as a span and as the loop's iteration); the 50 ms
	 * one did not. */
	assert_int_equal(count_warnings(&v, SC_LIVE_WARN_BLOCKED, "slow"), 1);
	assert_int_equal(count_warnings(&v, SC_LIVE_WARN_BLOCKED, "main"), 1);
	assert_int_equal(count_warnings(&v, SC_LIVE_WARN_BLOCKED, "medium"), 0);
	assert_int_equal(count_warnings(&v, SC_LIVE_WARN_BLOCKED, "tick"), 0);
	for (size_t i = 0; i < v.nwarnings; i++)
		if (strcmp(v.warnings[i].name, "slow") == 0) {
			assert_int_equal(v.warnings[i].count, 1);
			assert_int_equal(v.warnings[i].ns, 150 * MS);
			assert_false(v.warnings[i].by_loop);
		}
	sc_live_view_release(&v);
	sc_live_free(l);
}

static void test_stuck(void **state)
{
	(void)state;
	sc_live_config cfg = {.stuck_ns = 10 * SEC};
	sc_live *l = sc_live_new(&cfg);
	assert_non_null(l);
	sc_live_open_reset(l);
	assert_int_equal(sc_live_open(l, "stuck", 9, T0), 0);
	assert_int_equal(sc_live_open(l, "young", 9, T0 + 5 * SEC), 0);
	sc_live_view v;
	assert_int_equal(sc_live_view_make(l, T0 + 12 * SEC, &v), 0);
	assert_int_equal(count_warnings(&v, SC_LIVE_WARN_STUCK, "stuck"), 1);
	assert_int_equal(count_warnings(&v, SC_LIVE_WARN_STUCK, "young"), 0);
	assert_int_equal(v.warnings[0].ns, 12 * SEC);
	sc_live_view_release(&v);
	/* It ended: the next round reports no open span. */
	sc_live_open_reset(l);
	assert_int_equal(sc_live_view_make(l, T0 + 13 * SEC, &v), 0);
	assert_int_equal(count_warnings(&v, SC_LIVE_WARN_STUCK, NULL), 0);
	sc_live_view_release(&v);
	sc_live_free(l);
}

static void test_counters(void **state)
{
	(void)state;
	sc_live *l = sc_live_new(NULL);
	assert_non_null(l);
	/* Values 1, 2, 3 at seconds 0, 1, 2, none at 3, 5 at 4 (twice: the last counts). */
	for (int i = 0; i < 3; i++)
		assert_int_equal(sc_live_counter(l, "depth", 1, T0 + (uint64_t)i * SEC, i + 1), 0);
	assert_int_equal(sc_live_counter(l, "depth", 1, T0 + 4 * SEC, 4), 0);
	assert_int_equal(sc_live_counter(l, "depth", 1, T0 + 4 * SEC + 1, 5), 0);
	sc_live_view v;
	assert_int_equal(sc_live_view_make(l, T0 + 4 * SEC + 500 * MS, &v), 0);
	assert_int_equal(v.ncounters, 1);
	const sc_live_counter_row *c = &v.counters[0];
	assert_true(c->last == 5);
	assert_int_equal(c->nhist, 5);
	const double want[5] = {1, 2, 3, 3, 5};
	const bool has[5] = {true, true, true, false, true};
	for (int i = 0; i < 5; i++) {
		assert_true(c->hist[i] == want[i]);
		assert_int_equal(c->has[i], has[i]);
	}
	sc_live_view_release(&v);
	/* 100 s later: a full history, all holding the last value. */
	assert_int_equal(sc_live_view_make(l, T0 + 104 * SEC, &v), 0);
	assert_int_equal(v.counters[0].nhist, SC_LIVE_SECONDS);
	assert_true(v.counters[0].hist[0] == 5 && v.counters[0].hist[SC_LIVE_SECONDS - 1] == 5);
	sc_live_view_release(&v);
	sc_live_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_buckets),
	    cmocka_unit_test(test_spans),
	    cmocka_unit_test(test_rates_since_first),
	    cmocka_unit_test(test_equal_durations),
	    cmocka_unit_test(test_reused_buffer),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_loops),
	    cmocka_unit_test(test_stuck),
	    cmocka_unit_test(test_counters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_trace_model.c: the trace model and its writers on crafted records (no runtime):
 *
 *   hist       the log-linear histogram: exact below 32, every bucket at most 1/32 of its lower
 *              bound wide, percentiles within SC_HIST_REL_ERROR of the exact value of their
 *              rank (checked against sorted values), merge;
 *   model      statistics per name (two sites of one name are one row), threads counted once,
 *              counters' min/mean/max/last, frame intervals, the profile of spans (stacks,
 *              self time, the async root, thread labels);
 *   pprof      a profile's intervals survive a pprof file (zero samples with a scorch_span
 *              label, read back as intervals);
 *   writers    spans.json and trace.json are valid JSON for a model with no event, and for
 *              names with quotes, control bytes and ill-formed UTF-8 (checked by python3's json
 *              when it is there, else by a scan for raw control bytes); open spans marked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/chrome_trace.h"
#include "formats/pprof.h"
#include "trace/hist.h"
#include "trace/model.h"
#include "trace/stats.h"

static _Alignas(8) unsigned char buf[4096];

static sc_agent_ring ring(uint32_t stream, uint32_t pid, uint32_t tid)
{
	sc_agent_ring r = {0};
	r.state = SC_AGENT_RING_OWNED;
	r.stream = stream;
	r.instance = 1;
	r.pid = pid;
	r.tid = tid;
	return r;
}

static const sc_agent_rec *loc(uint32_t id, uint32_t kind, const char *name)
{
	memset(buf, 0, sizeof(buf));
	sc_agent_rec *rec = (void *)buf;
	sc_agent_trace_loc *l = (void *)(rec + 1);
	l->id = id;
	l->kind = kind;
	l->line = id * 10;
	l->name_len = (uint16_t)strlen(name);
	l->file_len = 3;
	l->func_len = 1;
	char *p = (char *)(l + 1);
	memcpy(p, name, l->name_len);
	memcpy(p + l->name_len + 1, "x.c", 3);
	memcpy(p + l->name_len + 5, "f", 1);
	rec->type = SC_AGENT_REC_TRACE_LOC;
	rec->size = (uint32_t)((sizeof(*rec) + sizeof(*l) + l->name_len + 4 + 2 + 7) & ~7ul);
	return rec;
}

static const sc_agent_rec *ev(uint64_t time, uint32_t id, uint32_t kind, uint64_t arg)
{
	memset(buf, 0, sizeof(buf));
	sc_agent_rec *rec = (void *)buf;
	sc_agent_trace_ev *e = (void *)(rec + 1);
	*e = (sc_agent_trace_ev){time, id, kind, arg};
	rec->type = SC_AGENT_REC_TRACE;
	rec->size = sizeof(*rec) + sizeof(*e);
	return rec;
}

static const sc_agent_rec *thread(uint32_t tid, const char *name)
{
	memset(buf, 0, sizeof(buf));
	sc_agent_rec *rec = (void *)buf;
	sc_agent_trace_thread *t = (void *)(rec + 1);
	t->tid = tid;
	t->len = (uint32_t)strlen(name);
	memcpy(t + 1, name, t->len);
	rec->type = SC_AGENT_REC_TRACE_THREAD;
	rec->size = (uint32_t)((sizeof(*rec) + sizeof(*t) + t->len + 1 + 7) & ~7ul);
	return rec;
}

#define FEED(m, r, rec)                                                                            \
	assert_int_equal(sc_trace_decoder_feed(sc_trace_model_decoder(m), (r), (rec)), 0)

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_hist(void **state)
{
	(void)state;
	sc_hist h = {0};
	assert_int_equal(sc_hist_quantile(&h, 0.5), 0);
	for (uint64_t v = 0; v < 32; v++) {
		uint64_t lo, hi;
		sc_hist_bounds(sc_hist_bucket(v), &lo, &hi);
		assert_true(lo == v && hi == v);
	}
	/* Every value lies in its bucket; a bucket is at most 1/32 of its lower bound wide. */
	uint64_t probes[] = {32, 33, 63, 64, 65, 1000, 123456789, 1ull << 40, UINT64_MAX};
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint32_t b = sc_hist_bucket(probes[i]);
		assert_true(b < SC_HIST_BUCKETS);
		uint64_t lo, hi;
		sc_hist_bounds(b, &lo, &hi);
		assert_true(lo <= probes[i] && probes[i] <= hi);
		assert_true((hi - lo) * 32 <= lo);
	}
	/* Percentiles against the exact ones, on a spread of values. */
	enum { N = 5000 };
	uint64_t *v = malloc(N * sizeof(*v));
	assert_non_null(v);
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		v[i] = 1000 + x % 50000000; /* 1 us to 50 ms */
		assert_int_equal(sc_hist_add(&h, v[i]), 0);
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	double qs[] = {0.01, 0.5, 0.9, 0.99, 0.999};
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		size_t rank = (size_t)(qs[i] * N + 0.999999); /* ceil */
		double exact = (double)v[rank - 1], got = (double)sc_hist_quantile(&h, qs[i]);
		assert_true(got >= exact * (1 - SC_HIST_REL_ERROR) - 1);
		assert_true(got <= exact * (1 + SC_HIST_REL_ERROR) + 1);
	}
	assert_int_equal(sc_hist_quantile(&h, 0), v[0]);
	assert_int_equal(sc_hist_quantile(&h, 1), v[N - 1]);
	assert_int_equal(h.min, v[0]);
	assert_int_equal(h.max, v[N - 1]);
	assert_int_equal(h.count, N);
	sc_hist m = {0};
	assert_int_equal(sc_hist_merge(&m, &h), 0);
	assert_int_equal(sc_hist_merge(&m, &h), 0);
	assert_int_equal(m.count, 2 * N);
	assert_int_equal(sc_hist_quantile(&m, 0.5), sc_hist_quantile(&h, 0.5));
	sc_hist_reset(&m);
	assert_int_equal(m.count, 0);
	sc_hist_release(&m);
	sc_hist_release(&h);
	free(v);
}

/* Writes with `fn` into memory. */
static char *written(int (*fn)(const sc_trace_model *, FILE *), const sc_trace_model *m)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	assert_non_null(f);
	assert_int_equal(fn(m, f), 0);
	fclose(f);
	return text;
}

static int json_stats(const sc_trace_model *m, FILE *f)
{
	return sc_trace_write_json(m, NULL, f);
}

/* Valid JSON: python3's parser when there is one; always: no raw control byte inside. */
static void assert_json(const char *text, const char *name)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		assert_true(*p >= 0x20 || *p == '\n');
	if (system("python3 -c '' 2>/dev/null") != 0)
		return;
	char path[] = "/tmp/scorch-test-trace-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' %s",
		 path);
	int rc = system(cmd);
	unlink(path);
	if (rc != 0)
		fail_msg("%s is not valid JSON:\n%s", name, text);
}

static void test_empty(void **state)
{
	(void)state;
	sc_trace_model *m = sc_trace_model_new();
	assert_non_null(m);
	assert_int_equal(sc_trace_model_finish(m), 0);
	char *a = written(sc_chrome_trace_write, m), *b = written(json_stats, m);
	assert_json(a, "trace.json");
	assert_json(b, "spans.json");
	assert_non_null(strstr(a, "\"traceEvents\":[]"));
	assert_non_null(strstr(b, "\"spans\":[]"));
	free(a);
	free(b);
	sc_trace_model_free(m);
}

/* Thread 11 "main": A [0, 100] holds B [10, 30]; another site named "B" [40, 50]. Thread 12:
 * B [5, 25]. A counter (3, 1, 2), frames at 100, 110, 130, an async span 7 from thread 11 to
 * 12, and a span left open. */
static void test_model(void **state)
{
	(void)state;
	sc_trace_model *m = sc_trace_model_new();
	assert_non_null(m);
	m->root_pid = 10;
	m->root_name = "prog";
	sc_agent_ring r1 = ring(1, 10, 11), r2 = ring(2, 10, 12);
	FEED(m, &r1, thread(11, "main"));
	FEED(m, &r1, loc(1, SC_AGENT_LOC_SPAN, "A"));
	FEED(m, &r1, loc(2, SC_AGENT_LOC_SPAN, "B"));
	FEED(m, &r1, loc(3, SC_AGENT_LOC_SPAN, "B"));
	FEED(m, &r1, loc(4, SC_AGENT_LOC_COUNTER, "q"));
	FEED(m, &r1, loc(5, SC_AGENT_LOC_FRAME, "fr"));
	FEED(m, &r1, loc(6, SC_AGENT_LOC_ASYNC, "req"));
	FEED(m, &r1, loc(7, SC_AGENT_LOC_SPAN, "left open"));
	FEED(m, &r1, ev(0, 1, SC_AGENT_EV_BEGIN, 0));
	FEED(m, &r1, ev(10, 2, SC_AGENT_EV_BEGIN, 0));
	FEED(m, &r1, ev(30, 2, SC_AGENT_EV_END, 0));
	FEED(m, &r1, ev(40, 3, SC_AGENT_EV_BEGIN, 0));
	FEED(m, &r1, ev(50, 3, SC_AGENT_EV_END, 0));
	FEED(m, &r1, ev(100, 1, SC_AGENT_EV_END, 0));
	FEED(m, &r2, ev(5, 2, SC_AGENT_EV_BEGIN, 0));
	FEED(m, &r2, ev(25, 2, SC_AGENT_EV_END, 0));
	double vals[] = {3, 1, 2};
	for (int i = 0; i < 3; i++) {
		uint64_t bits;
		memcpy(&bits, &vals[i], 8);
		FEED(m, &r1, ev(100 + (uint64_t)i, 4, SC_AGENT_EV_COUNTER, bits));
	}
	FEED(m, &r1, ev(100, 5, SC_AGENT_EV_FRAME, 0));
	FEED(m, &r1, ev(110, 5, SC_AGENT_EV_FRAME, 0));
	FEED(m, &r1, ev(130, 5, SC_AGENT_EV_FRAME, 0));
	FEED(m, &r1, ev(60, 6, SC_AGENT_EV_ASYNC_BEGIN, 7));
	FEED(m, &r2, ev(90, 6, SC_AGENT_EV_ASYNC_END, 7));
	FEED(m, &r2, ev(95, 7, SC_AGENT_EV_BEGIN, 0));
	FEED(m, &r2, ev(99, 2, SC_AGENT_EV_BEGIN, 0)); /* open too, inside "left open" */
	assert_int_equal(sc_trace_model_finish(m), 0);

	const sc_trace_name **v = sc_trace_model_by_total(m);
	assert_non_null(v);
	assert_int_equal(m->names.len, 4);
	/* By total: A 100, B 20 + 10 + 20 + 0 (open) = 50, req 30, left open 4. */
	assert_string_equal(v[0]->name, "A");
	assert_int_equal(v[0]->self, 70);
	assert_string_equal(v[1]->name, "B");
	assert_int_equal(v[1]->count, 4);
	assert_int_equal(v[1]->total, 50);
	assert_int_equal(v[1]->threads, 2);
	assert_int_equal(v[1]->open, 1);
	assert_string_equal(v[2]->name, "req");
	assert_true(v[2]->async);
	assert_int_equal(v[2]->total, 30);
	assert_int_equal(v[2]->threads, 2);
	assert_string_equal(v[3]->name, "left open");
	assert_int_equal(v[3]->open, 1);
	assert_int_equal(v[3]->total, 4);
	assert_int_equal(v[3]->self, 4);
	free(v);
	const sc_trace_series *q = NULL, *fr = NULL;
	for (size_t i = 0; i < m->series.len; i++) {
		if (!strcmp(m->series.data[i].name, "q"))
			q = &m->series.data[i];
		if (!strcmp(m->series.data[i].name, "fr"))
			fr = &m->series.data[i];
	}
	assert_non_null(q);
	assert_true(q->min == 1 && q->max == 3 && q->sum == 6 && q->last == 2 && q->count == 3);
	assert_non_null(fr);
	assert_int_equal(fr->count, 3);
	assert_int_equal(fr->interval.count, 2);
	assert_int_equal(fr->interval.min, 10);
	assert_int_equal(fr->interval.max, 20);

	/* The profile: one sample per span and async span; values self time and 1. */
	const sc_profile *p = m->profile;
	assert_int_equal(p->samples.len, 7);
	int64_t tot[2];
	sc_profile_totals(p, tot);
	/* Self times: A 70, B 20 + 10 + 20 + 0, left open 4 - 0 = 4, req 30. */
	assert_int_equal(tot[0], 70 + 50 + 4 + 30);
	assert_int_equal(tot[1], 7);
	assert_string_equal(sc_profile_str(p, p->default_sample_type), "span_time");
	char *a = written(sc_chrome_trace_write, m), *b = written(json_stats, m);
	assert_json(a, "trace.json");
	assert_json(b, "spans.json");
	assert_non_null(strstr(a, "\"args\":{\"name\":\"prog\"}"));
	assert_non_null(strstr(a, "\"args\":{\"name\":\"main\"}"));
	assert_non_null(strstr(a, "\"args\":{\"name\":\"thread 12\"}"));
	assert_non_null(strstr(a, "\"open\":true"));
	assert_non_null(strstr(b, "\"open_spans\":2"));
	assert_non_null(
	    strstr(b, "{\"name\":\"q\",\"count\":3,\"min\":1,\"mean\":2,\"max\":3,\"last\":2}"));
	free(a);
	free(b);
	sc_trace_model_free(m);
}

/* Names are the program's bytes: quotes, backslashes, control bytes, ill-formed UTF-8. */
static void test_hostile_names(void **state)
{
	(void)state;
	sc_trace_model *m = sc_trace_model_new();
	assert_non_null(m);
	sc_agent_ring r = ring(1, 10, 11);
	FEED(m, &r, thread(11, "t\"\n\x1b[31m"));
	FEED(m, &r, loc(1, SC_AGENT_LOC_SPAN, "a\"b\\c\x01\xff\xfe</script>"));
	FEED(m, &r, loc(2, SC_AGENT_LOC_COUNTER, "\xc3("));
	FEED(m, &r, ev(1, 1, SC_AGENT_EV_BEGIN, 0));
	FEED(m, &r, ev(2, 1, SC_AGENT_EV_END, 0));
	double nan = 0.0 / 0.0;
	uint64_t bits;
	memcpy(&bits, &nan, 8);
	FEED(m, &r, ev(3, 2, SC_AGENT_EV_COUNTER, bits));
	assert_int_equal(sc_trace_model_finish(m), 0);
	char *a = written(sc_chrome_trace_write, m), *b = written(json_stats, m);
	assert_json(a, "trace.json");
	assert_json(b, "spans.json");
	assert_null(strstr(a, "</script>"));
	free(a);
	free(b);
	/* The text table shows no control byte either. */
	char *t = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&t, &n);
	assert_int_equal(sc_trace_write_text(m, NULL, 0, f), 0);
	fclose(f);
	for (const unsigned char *p = (const unsigned char *)t; *p; p++)
		assert_true(*p >= 0x20 || *p == '\n');
	free(t);
	sc_trace_model_free(m);
}

/* Intervals (the spans of record --trace) survive a pprof file: written as zero samples with a
 * scorch_span label, read back as intervals, not samples; the samples beside them unchanged. */
static void test_intervals_pprof(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	assert_non_null(p);
	assert_true(sc_profile_add_sample_type(p, "cpu", "nanoseconds") >= 0);
	int64_t v = 1000;
	assert_true(sc_profile_add_sample(p, 0, &v, 7, 8, 5000) >= 0);
	assert_int_equal(sc_profile_add_interval(p, 7, 8, 4000, 9000, 0, "outer", "worker"), 0);
	assert_int_equal(sc_profile_add_interval(p, 7, 9, 4500, 4600, 2, "inner \"q\"", NULL), 0);
	uint8_t *data = NULL;
	size_t n = 0;
	assert_int_equal(sc_pprof_encode(p, &data, &n), 0);
	sc_profile *q = NULL;
	assert_int_equal(sc_pprof_decode(data, n, &q, NULL), 0);
	assert_int_equal(q->samples.len, 1);
	assert_int_equal(q->samples.data[0].time_ns, 5000);
	assert_int_equal(q->intervals.len, 2);
	const sc_interval *a = &q->intervals.data[0], *b = &q->intervals.data[1];
	assert_true(a->pid == 7 && a->tid == 8 && a->start_ns == 4000 && a->end_ns == 9000);
	assert_int_equal(a->depth, 0);
	assert_string_equal(sc_profile_str(q, a->name), "outer");
	assert_string_equal(sc_profile_str(q, a->thread_name), "worker");
	assert_true(b->tid == 9 && b->start_ns == 4500 && b->end_ns == 4600 && b->depth == 2);
	assert_string_equal(sc_profile_str(q, b->name), "inner \"q\"");
	assert_int_equal(b->thread_name, 0);
	int64_t tot;
	sc_profile_totals(q, &tot);
	assert_int_equal(tot, 1000);
	free(data);
	sc_profile_free(q);
	sc_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hist),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_model),
	    cmocka_unit_test(test_hostile_names),
	    cmocka_unit_test(test_intervals_pprof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

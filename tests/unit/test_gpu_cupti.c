/*
 * test_gpu_cupti.c: the decoder of libscorch-cupti.so's records (src/gpu/cupti/activity.c) and
 * its tables and trace events (outputs.c), on crafted records, no library:
 *
 *   join       kernels and copies found in one ring, their launch stacks in another, fed in
 *              either order: each sample's stack is the launch stack then the kernel's frame,
 *              its values the GPU time and a kernel count; a kernel with no stack hangs from
 *              "[unknown launch site]"; a C++ kernel's name demangled, the raw one kept;
 *   same       a stack by reference (nframes 0: the stream's previous one), per stream;
 *   tables     calls, total, mean, min, max, the shapes by calls (a fifth shape: "more"), the
 *              most registers and shared memory; copies by kind with bytes and time;
 *   api        API calls: the version suffix dropped from names, thread and correlation kept;
 *   corrupt    records too short, a name without its NUL, an end before the start, an unknown
 *              copy op: counted and skipped; work without times (unfinished at a forced
 *              flush) counted apart;
 *   statuses   each status of the library becomes its warning line; STARTED without FLUSHED
 *              says what a crash lost;
 *   chrome     the trace events: thread names of the stream tracks, durations in microseconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/cupti/activity.h"
#include "gpu/cupti/outputs.h"

static _Alignas(8) unsigned char buf[4096];

static sc_agent_ring ring(uint32_t stream, uint32_t pid, uint32_t tid)
{
	sc_agent_ring r = {0};
	r.state = SC_AGENT_RING_OWNED;
	r.stream = stream;
	r.pid = pid;
	r.tid = tid;
	return r;
}

/* A record of `type` with `body` (n bytes) and the string s after it (NULL: none). */
static const sc_agent_rec *rec(uint16_t type, const void *body, size_t n, const char *s)
{
	size_t len = s ? strlen(s) + 1 : 0;
	size_t size = (sizeof(sc_agent_rec) + n + len + 7) & ~(size_t)7;
	memset(buf, 0, size);
	sc_agent_rec *r = (sc_agent_rec *)buf;
	r->type = type;
	r->size = (uint32_t)size;
	memcpy(r + 1, body, n);
	if (s)
		memcpy((char *)(r + 1) + n, s, len);
	return r;
}

static void feed_kernel(sc_cupti *d, const sc_agent_ring *r, const char *name, uint32_t corr,
			uint64_t start, uint64_t ns, int gx, int bx, uint32_t regs, uint32_t stream)
{
	sc_agent_gpu_kernel k = {.start = start,
				 .end = start + ns,
				 .stream = stream,
				 .correlation = corr,
				 .grid = {gx, 1, 1},
				 .block = {bx, 1, 1},
				 .registers = regs,
				 .name_len = (uint32_t)strlen(name)};
	assert_int_equal(
	    sc_cupti_record(d, NULL, r, rec(SC_AGENT_REC_GPU_KERNEL, &k, sizeof(k), name)), 0);
}

static void feed_stack(sc_cupti *d, const sc_agent_ring *r, uint32_t corr, const uint64_t *pcs,
		       uint32_t n)
{
	unsigned char body[sizeof(sc_agent_gpu_stack) + 8 * 16];
	sc_agent_gpu_stack s = {.correlation = corr, .nframes = n};
	memcpy(body, &s, sizeof(s));
	memcpy(body + sizeof(s), pcs, 8u * n);
	assert_int_equal(
	    sc_cupti_record(d, NULL, r,
			    rec(SC_AGENT_REC_GPU_STACK, body, sizeof(s) + 8u * n, NULL)),
	    0);
}

static void feed_copy(sc_cupti *d, const sc_agent_ring *r, uint8_t op, uint8_t kind, uint64_t bytes,
		      uint64_t ns, uint32_t corr)
{
	sc_agent_gpu_copy c = {.start = 1000,
			       .end = 1000 + ns,
			       .bytes = bytes,
			       .stream = 7,
			       .correlation = corr,
			       .op = op,
			       .kind = kind};
	assert_int_equal(
	    sc_cupti_record(d, NULL, r, rec(SC_AGENT_REC_GPU_COPY, &c, sizeof(c), NULL)), 0);
}

/* The names of a sample's frames, outermost first, joined by ';' (addresses as "0xADDR"). */
static void stack_text(const sc_profile *p, sc_stack_id id, char *out, size_t size)
{
	const char *names[64];
	size_t n = 0;
	char addr[64][24];
	while (id && n < 64) {
		const sc_stack_node *node = sc_profile_node(p, id);
		const sc_location *l = sc_profile_location(p, node->location);
		if (l->nlines) {
			const sc_line *ln = sc_profile_location_lines(p, l);
			names[n] = sc_profile_str(p, sc_profile_function(p, ln[0].function)->name);
		} else {
			snprintf(addr[n], sizeof(addr[n]), "0x%llx",
				 (unsigned long long)l->address);
			names[n] = addr[n];
		}
		n++;
		id = node->parent;
	}
	out[0] = 0;
	for (size_t i = n; i > 0; i--) {
		strncat(out, names[i - 1], size - strlen(out) - 1);
		if (i > 1)
			strncat(out, ";", size - strlen(out) - 1);
	}
}

static int64_t value_of(const sc_profile *p, const char *stack, const char *type)
{
	int t = sc_profile_find_sample_type(p, type);
	int64_t sum = 0;
	char text[1024];
	for (size_t i = 0; i < p->samples.len; i++) {
		stack_text(p, p->samples.data[i].stack, text, sizeof(text));
		if (!strcmp(text, stack))
			sum += sc_profile_sample_values(p, i)[t];
	}
	return sum;
}

static void test_join(void **state)
{
	(void)state;
	for (int order = 0; order < 2; order++) {
		sc_profile *p = sc_profile_new();
		sc_cupti d;
		assert_int_equal(sc_cupti_init(&d, p), 0);
		sc_agent_ring api = ring(1, 100, 100), gpu = ring(2, 100, 101);
		const uint64_t a[] = {0x1001, 0x2001, 0x3001}; /* innermost first */
		const uint64_t b[] = {0x1101, 0x2101, 0x3001};
		for (int pass = 0; pass < 2; pass++) {
			if (pass == order) {
				feed_stack(&d, &api, 1, a, 3);
				feed_stack(&d, &api, 2, a, 3);
				feed_stack(&d, &api, 3, b, 3);
				feed_stack(&d, &api, 9, b, 3);
			} else {
				feed_kernel(&d, &gpu, "axpy", 1, 1000, 2000000, 256, 128, 16, 13);
				feed_kernel(&d, &gpu, "axpy", 2, 3000000, 2000000, 256, 128, 16,
					    13);
				feed_kernel(&d, &gpu, "_Z6reducePfi", 3, 6000000, 5000000, 64, 256,
					    32, 14);
				feed_kernel(&d, &gpu, "lost_one", 4, 12000000, 1000, 1, 1, 8, 13);
				feed_copy(&d, &gpu, SC_AGENT_GPU_MEMCPY, 1, 4096, 500, 9);
			}
		}
		assert_int_equal(sc_cupti_finish(&d), 0);
		assert_int_equal(sc_cupti_finish(&d), 0); /* once */
		assert_int_equal(p->samples.len, 5);
		assert_int_equal(value_of(p, "0x3000;0x2000;0x1000;axpy", "gpu_time"), 4000000);
		assert_int_equal(value_of(p, "0x3000;0x2000;0x1000;axpy", "kernels"), 2);
		assert_int_equal(
		    value_of(p, "0x3000;0x2100;0x1100;reduce(float*, int)", "gpu_time"), 5000000);
		assert_int_equal(value_of(p, "[unknown launch site];lost_one", "kernels"), 1);
		assert_int_equal(value_of(p, "0x3000;0x2100;0x1100;[memcpy HtoD]", "gpu_time"),
				 500);
		assert_int_equal(value_of(p, "0x3000;0x2100;0x1100;[memcpy HtoD]", "kernels"), 0);
		/* The raw name is the frame's system name. */
		const sc_cupti_kernel *k = &d.kernels.data[2];
		assert_string_equal(sc_profile_str(p, k->name), "_Z6reducePfi");
		assert_string_equal(sc_profile_str(p, k->display), "reduce(float*, int)");
		assert_string_equal(sc_profile_str(p, p->default_sample_type), "gpu_time");
		sc_cupti_release(&d);
		sc_profile_free(p);
	}
}

/* nframes 0: the stream's previous stack (launches in a loop); none before it: corrupt. */
static void test_same_stack(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	sc_cupti d;
	assert_int_equal(sc_cupti_init(&d, p), 0);
	sc_agent_ring a = ring(1, 100, 100), b = ring(2, 100, 102), g = ring(3, 100, 101);
	const uint64_t x[] = {0x1001, 0x2001}, y[] = {0x1101, 0x2001};
	feed_stack(&d, &b, 7, x, 0); /* nothing before it in stream 2 */
	assert_int_equal(d.corrupt, 1);
	feed_stack(&d, &a, 1, x, 2);
	feed_stack(&d, &b, 2, y, 2);
	feed_stack(&d, &a, 3, x, 0); /* x again: stream 1's */
	feed_stack(&d, &b, 4, x, 0); /* y again: stream 2's */
	for (uint32_t c = 1; c <= 4; c++)
		feed_kernel(&d, &g, "k", c, 1000 * c, 10, 1, 1, 1, 7);
	assert_int_equal(sc_cupti_finish(&d), 0);
	assert_int_equal(value_of(p, "0x2000;0x1000;k", "kernels"), 2);
	assert_int_equal(value_of(p, "0x2000;0x1100;k", "kernels"), 2);
	sc_cupti_release(&d);
	sc_profile_free(p);
}

static void test_tables(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	sc_cupti d;
	assert_int_equal(sc_cupti_init(&d, p), 0);
	sc_agent_ring g = ring(1, 100, 101);
	feed_kernel(&d, &g, "k", 1, 500, 1000, 1, 32, 8, 7);
	feed_kernel(&d, &g, "k", 2, 500, 3000, 1, 32, 24, 7);
	feed_kernel(&d, &g, "k", 3, 500, 2000, 2, 32, 8, 7);
	for (int i = 0; i < 4; i++)
		feed_kernel(&d, &g, "k", 4, 500, 2000, 10 + i, 32, 8, 7); /* 5 shapes in all */
	feed_kernel(&d, &g, "big", 5, 500, 100000, 1, 1, 1, 7);
	feed_copy(&d, &g, SC_AGENT_GPU_MEMCPY, 1, 1000, 100, 6);
	feed_copy(&d, &g, SC_AGENT_GPU_MEMCPY, 1, 3000, 300, 6);
	feed_copy(&d, &g, SC_AGENT_GPU_MEMSET, 0, 64, 10, 6);
	feed_copy(&d, &g, SC_AGENT_GPU_MEMCPY, 8, 10, 1000, 6);
	sc_cupti_kstat *t;
	size_t n;
	assert_int_equal(sc_cupti_kernel_table(&d, &t, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(sc_profile_str(p, t[0].name), "big");
	assert_int_equal(t[1].calls, 7);
	assert_int_equal(t[1].total, 1000 + 3000 + 2000 + 4 * 2000);
	assert_int_equal(t[1].min, 1000);
	assert_int_equal(t[1].max, 3000);
	assert_int_equal(t[1].registers, 24);
	assert_int_equal(t[1].nshapes, SC_CUPTI_MAX_SHAPES);
	assert_true(t[1].more_shapes);
	assert_int_equal(t[1].shapes[0].grid[0], 1); /* 2 calls, first */
	assert_int_equal(t[1].shapes[0].calls, 2);
	free(t);
	sc_cupti_cstat *c;
	assert_int_equal(sc_cupti_copy_table(&d, &c, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(c[0].kind, "DtoD");
	assert_string_equal(c[1].kind, "HtoD");
	assert_int_equal(c[1].count, 2);
	assert_int_equal(c[1].bytes, 4000);
	assert_int_equal(c[1].total, 400);
	assert_string_equal(c[2].kind, "memset");
	free(c);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_int_equal(sc_cupti_write_text(&d, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "GPU kernels: 8 launches of 2 kernels, 0.114 ms of GPU time; "
				     "4 copies, 0.001 ms\n"));
	assert_non_null(strstr(text,
			       "      0.014  12.3%      7     0.002     0.001     0.003    24  "
			       "1x1x1 x 32x1x1, 2x1x1 x 32x1x1, 10x1x1 x 32x1x1, 11x1x1 x "
			       "32x1x1 +  k\n"));
	assert_non_null(strstr(text, "  HtoD          2           4000      0.000     10.00\n"));
	free(text);
	sc_cupti_release(&d);
	sc_profile_free(p);
}

static void test_api(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	sc_cupti d;
	assert_int_equal(sc_cupti_init(&d, p), 0);
	sc_agent_ring r = ring(1, 100, 102);
	const char *names[] = {"cudaLaunchKernel_v7000", "cuMemcpyHtoD_v2", "cuCtxSynchronize",
			       "cu_v", "cuFoo_v2x"};
	const char *want[] = {"cudaLaunchKernel", "cuMemcpyHtoD", "cuCtxSynchronize", "cu_v",
			      "cuFoo_v2x"};
	for (int i = 0; i < 5; i++) {
		sc_agent_gpu_api a = {.start = 10,
				      .end = 20,
				      .correlation = (uint32_t)i + 1,
				      .domain = SC_AGENT_GPU_DRIVER};
		assert_int_equal(
		    sc_cupti_record(&d, NULL, &r,
				    rec(SC_AGENT_REC_GPU_API, &a, sizeof(a), names[i])),
		    0);
	}
	assert_int_equal(d.apis.len, 5);
	for (int i = 0; i < 5; i++) {
		assert_string_equal(sc_profile_str(p, d.apis.data[i].name), want[i]);
		assert_int_equal(d.apis.data[i].tid, 102);
		assert_int_equal(d.apis.data[i].correlation, (uint32_t)i + 1);
	}
	sc_cupti_release(&d);
	sc_profile_free(p);
}

static void test_corrupt(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	sc_cupti d;
	assert_int_equal(sc_cupti_init(&d, p), 0);
	sc_agent_ring r = ring(1, 100, 100);
	sc_agent_gpu_kernel k = {.start = 10, .end = 20, .name_len = 40}; /* longer than the rest */
	assert_int_equal(
	    sc_cupti_record(&d, NULL, &r, rec(SC_AGENT_REC_GPU_KERNEL, &k, sizeof(k), "x")), 0);
	k.name_len = 1;
	k.end = 5; /* before its start */
	assert_int_equal(
	    sc_cupti_record(&d, NULL, &r, rec(SC_AGENT_REC_GPU_KERNEL, &k, sizeof(k), "x")), 0);
	assert_int_equal(sc_cupti_record(&d, NULL, &r, rec(SC_AGENT_REC_GPU_KERNEL, &k, 8, NULL)),
			 0);
	sc_agent_gpu_api a = {.start = 1, .end = 2};
	sc_agent_rec *ra = (sc_agent_rec *)rec(SC_AGENT_REC_GPU_API, &a, sizeof(a), "cuInit");
	memset((char *)(ra + 1) + sizeof(a), 'x', ra->size - sizeof(*ra) - sizeof(a)); /* no NUL */
	assert_int_equal(sc_cupti_record(&d, NULL, &r, ra), 0);
	sc_agent_gpu_stack s = {.correlation = 1, .nframes = 100}; /* more frames than bytes */
	assert_int_equal(
	    sc_cupti_record(&d, NULL, &r, rec(SC_AGENT_REC_GPU_STACK, &s, sizeof(s), NULL)), 0);
	sc_agent_gpu_copy c = {.start = 1, .end = 2, .op = 9};
	assert_int_equal(
	    sc_cupti_record(&d, NULL, &r, rec(SC_AGENT_REC_GPU_COPY, &c, sizeof(c), NULL)), 0);
	assert_int_equal(d.corrupt, 6);
	k.start = 0; /* unfinished at a forced flush: no times */
	k.end = 0;
	assert_int_equal(
	    sc_cupti_record(&d, NULL, &r, rec(SC_AGENT_REC_GPU_KERNEL, &k, sizeof(k), "x")), 0);
	c.op = SC_AGENT_GPU_MEMCPY;
	c.start = c.end = 0;
	assert_int_equal(
	    sc_cupti_record(&d, NULL, &r, rec(SC_AGENT_REC_GPU_COPY, &c, sizeof(c), NULL)), 0);
	assert_int_equal(d.incomplete, 2);
	assert_int_equal(d.kernels.len + d.apis.len + d.copies.len + d.launches.len, 0);
	char w[1024];
	sc_cupti_warnings(&d, true, w, sizeof(w));
	assert_string_equal(w, "2 kernels or copies had not finished when CUPTI's buffers were "
			       "flushed (no times): left out\n"
			       "6 GPU records made no sense and were skipped");
	sc_cupti_release(&d);
	sc_profile_free(p);
}

static void status(sc_cupti *d, const sc_agent_ring *r, uint32_t what, uint64_t value,
		   const char *text)
{
	sc_agent_gpu_status s = {.what = what, .value = value, .len = (uint32_t)strlen(text)};
	assert_int_equal(
	    sc_cupti_record(d, NULL, r, rec(SC_AGENT_REC_GPU_STATUS, &s, sizeof(s), text)), 0);
}

static void test_statuses(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	sc_cupti d;
	assert_int_equal(sc_cupti_init(&d, p), 0);
	sc_agent_ring r = ring(1, 100, 100);
	char w[2048];
	status(&d, &r, SC_AGENT_GPU_STARTED, 130001, "CUPTI loaded");
	status(&d, &r, SC_AGENT_GPU_FLUSHED, 0, "");
	sc_cupti_warnings(&d, true, w, sizeof(w));
	assert_string_equal(w, "");
	status(&d, &r, SC_AGENT_GPU_STARTED, 130001, "CUPTI loaded"); /* a second process */
	sc_cupti_warnings(&d, false, w, sizeof(w));
	assert_string_equal(w, "the command did not exit normally: the GPU activity CUPTI had not "
			       "handed over then is lost (kernels and copies after the last "
			       "flush); API calls and launch stacks are complete");
	status(&d, &r, SC_AGENT_GPU_FLUSHED, 0, "");
	status(&d, &r, SC_AGENT_GPU_DROPPED, 3, "x");
	status(&d, &r, SC_AGENT_GPU_DROPPED, 4, "x");
	status(&d, &r, SC_AGENT_GPU_LOST, 2, "x");
	status(&d, &r, SC_AGENT_GPU_CUPTI_ERROR, 39,
	       "cuptiSubscribe: CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED");
	status(&d, &r, SC_AGENT_GPU_CUPTI_ERROR, 1, "second: not kept");
	status(&d, &r, SC_AGENT_GPU_NO_CUPTI, 0, "libcupti.so.13 (last error: nope)");
	sc_cupti_warnings(&d, true, w, sizeof(w));
	assert_string_equal(
	    w,
	    "CUPTI (libcupti.so) not found: no kernel trace (libcupti.so.13 (last error: nope))\n"
	    "CUPTI is held by another tool (a profiler or tracer already subscribed in the "
	    "program): no kernel trace (cuptiSubscribe: "
	    "CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED)\n"
	    "CUPTI dropped 7 activity records (its buffers were full): the kernel and copy "
	    "tables miss them\n"
	    "2 GPU records were not written (a full ring, or no free ring for a thread): tables "
	    "and stacks miss them");
	sc_cupti_release(&d);
	sc_profile_free(p);
}

static void test_chrome(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	sc_cupti d;
	assert_int_equal(sc_cupti_init(&d, p), 0);
	sc_agent_ring g = ring(1, 100, 101), c = ring(2, 100, 100);
	feed_kernel(&d, &g, "axpy", 1, 5000, 2000000, 256, 128, 16, 13);
	feed_kernel(&d, &g, "axpy", 2, 2005000, 2000000, 256, 128, 16, 13);
	sc_agent_gpu_api a = {.start = 1000, .end = 1500, .correlation = 1};
	assert_int_equal(
	    sc_cupti_record(&d, NULL, &c,
			    rec(SC_AGENT_REC_GPU_API, &a, sizeof(a), "cuLaunchKernel")),
	    0);
	sc_strbuf sb = {0};
	size_t n = 0;
	assert_int_equal(sc_cupti_chrome_events(&d, &sb, &n), 0);
	assert_int_equal(n, 4); /* the API call, the track's name, two kernels */
	const char *s = sc_strbuf_cstr(&sb);
	assert_non_null(strstr(s, "{\"ph\":\"X\",\"cat\":\"cuda_api\",\"name\":\"cuLaunchKernel\","
				  "\"pid\":100,\"tid\":100,\"ts\":1.000,\"dur\":0.500,"
				  "\"args\":{\"correlation\":1}}"));
	char want[256];
	snprintf(want, sizeof(want),
		 "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":100,\"tid\":%u,\"args\":{\"name\":"
		 "\"GPU 0 stream 13\"}}",
		 SC_CUPTI_GPU_TID + 13);
	assert_non_null(strstr(s, want));
	assert_non_null(strstr(s, "\"ts\":2005.000,\"dur\":2000.000"));
	assert_null(strstr(s + 1, "thread_name\",\"pid\":100,\"tid\":536870925,\"args\":{\"name\":"
				  "\"GPU 0 stream 13\"}},\n{\"ph\":\"M\"")); /* named once */
	sc_strbuf_release(&sb);
	sc_cupti_release(&d);
	sc_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_join),    cmocka_unit_test(test_same_stack),
	    cmocka_unit_test(test_tables),  cmocka_unit_test(test_api),
	    cmocka_unit_test(test_corrupt), cmocka_unit_test(test_statuses),
	    cmocka_unit_test(test_chrome),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

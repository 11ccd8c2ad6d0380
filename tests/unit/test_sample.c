/*
 * test_sample.c: the recorder's sample decoder (src/record/sample.c) on synthetic perf records, no
 * perf events needed: junk hygiene in both ways user stacks arrive.
 *
 *   fp     a callchain whose third user entry is junk (0x3f3e3d3c3b3a3938, ASCII read as an
 *          address): the stack keeps the two frames before it, nothing after, and the cut is
 *          counted below the module of the last kept frame;
 *   dwarf  registers and a stack copy unwound by sc_unwind_stack: the module's file does not
 *          exist, so the unwinder steps by frame pointer; the first step finds a return address in
 *          the mapping, the second the junk one: same answer, counted through the stop reason;
 *          and a copy too short for the second frame counts as truncated.
 *   offcpu a sched_switch sample (raw data with prev_state D) is held until the thread's
 *          PERF_RECORD_SWITCH switch-in, then stored with the nanoseconds in between under the
 *          leaf pseudo-frame "[off-cpu: disk I/O]"; a cpu-clock sample among them (4 bytes of
 *          raw data, as in wall mode) is stored at once with its period; a switch-in with nothing
 *          pending and a switch-out record store nothing; at the end, a thread still blocked
 *          counts until the end when alive, not when gone.
 *   names  COMM records name threads (with the exec flag, and without it as pthread_setname_np
 *          makes them), a FORKed thread starts with its creator's name; samples carry them as
 *          labels thread_name and process_name (the name of tid = pid); a thread nobody named
 *          and /proc does not know carries none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/perf_event.h>
#include <string.h>

#include "record/sample.h"

#define MAP_START 0x400000ull
#define MAP_END	  0x500000ull
#define JUNK	  0x3f3e3d3c3b3a3938ull
#define PID	  4242u

struct rec {
	unsigned char buf[4096];
	size_t len;
};

static void put64(struct rec *r, uint64_t v)
{
	memcpy(r->buf + r->len, &v, 8);
	r->len += 8;
}

static void finish(struct rec *r, uint32_t type)
{
	struct perf_event_header h = {
	    .type = type, .misc = PERF_RECORD_MISC_USER, .size = (uint16_t)r->len};
	memcpy(r->buf, &h, sizeof(h));
}

/* An MMAP2 record: PID mapped [MAP_START, MAP_END) of a file that does not exist, executable. */
static void map_fake(sc_sample_decoder *d)
{
	struct rec r = {.len = 8};
	uint32_t pidtid[2] = {PID, PID};
	memcpy(r.buf + r.len, pidtid, 8);
	r.len += 8;
	put64(&r, MAP_START);
	put64(&r, MAP_END - MAP_START);
	put64(&r, 0);	 /* pgoff */
	put64(&r, 0);	 /* maj, min */
	put64(&r, 0);	 /* ino */
	put64(&r, 0);	 /* ino_generation */
	put64(&r, 5ull); /* prot = READ|EXEC, flags = 0 */
	memcpy(r.buf + r.len, "/nonexistent/libfake.so\0", 24);
	r.len += 24;
	finish(&r, PERF_RECORD_MMAP2);
	sc_sample_process(d, r.buf, r.len);
}

struct fixture {
	sc_profile *p;
	sc_addrspace as;
	sc_sample_decoder d;
};

static void setup(struct fixture *f, bool cfi)
{
	f->p = sc_profile_new();
	assert_non_null(f->p);
	/* as the recorder sets them up: a sample carries (1, period) */
	assert_true(sc_profile_add_sample_type(f->p, "samples", "count") >= 0);
	assert_true(sc_profile_add_sample_type(f->p, "cpu", "nanoseconds") >= 0);
	sc_addrspace_init(&f->as, f->p);
	assert_int_equal(sc_sample_init(&f->d, f->p, &f->as, 127), 0);
	f->d.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			   PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN;
	if (cfi) {
		f->d.sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
		f->d.regs_mask = SC_UNWIND_PERF_REGS_MASK;
		f->d.cfi = true;
		f->d.unwind_mode = SC_UNWIND_DWARF;
	}
	map_fake(&f->d);
	assert_int_equal(sc_sample_err(&f->d), 0);
}

static void teardown(struct fixture *f)
{
	sc_sample_release(&f->d);
	sc_addrspace_release(&f->as);
	sc_profile_free(f->p);
}

static void sample_head(struct rec *r, uint64_t ip)
{
	r->len = 8;
	put64(r, ip);
	put64(r, (uint64_t)PID | (uint64_t)PID << 32);
	put64(r, 1000);	   /* time */
	put64(r, 1000000); /* period */
}

/* A PERF_RECORD_COMM of thread `tid` of `pid` named `name`, `exec` or not. */
static void comm(sc_sample_decoder *d, uint32_t pid, uint32_t tid, const char *name, bool exec)
{
	struct rec r = {.len = 8};
	uint32_t ids[2] = {pid, tid};
	memcpy(r.buf + r.len, ids, 8);
	r.len += 8;
	memset(r.buf + r.len, 0, 16);
	memcpy(r.buf + r.len, name, strlen(name));
	r.len += 16;
	put64(&r, 900); /* sample_id_all: time */
	finish(&r, PERF_RECORD_COMM);
	if (exec)
		((struct perf_event_header *)r.buf)->misc |= PERF_RECORD_MISC_COMM_EXEC;
	sc_sample_process(d, r.buf, r.len);
}

/* A sample of thread `tid` of `pid` at MAP_START + 0x100, callchain of that one frame. */
static void tid_sample(sc_sample_decoder *d, uint32_t pid, uint32_t tid)
{
	struct rec r = {.len = 8};
	put64(&r, MAP_START + 0x100);
	put64(&r, (uint64_t)pid | (uint64_t)tid << 32);
	put64(&r, 1000);
	put64(&r, 1000000);
	put64(&r, 2);
	put64(&r, PERF_CONTEXT_USER);
	put64(&r, MAP_START + 0x100);
	finish(&r, PERF_RECORD_SAMPLE);
	sc_sample_process(d, r.buf, r.len);
}

/* The string label `key` of sample i, or NULL. */
static const char *label(const sc_profile *p, size_t i, const char *key)
{
	const sc_sample *s = &p->samples.data[i];
	for (uint32_t k = 0; k < s->nlabels; k++) {
		const sc_label *l = &p->labels.data[s->first_label + k];
		if (!strcmp(sc_profile_str(p, l->key), key))
			return sc_profile_str(p, l->str);
	}
	return NULL;
}

static void test_names(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f, false);
	comm(&f.d, PID, PID, "phases", true);
	tid_sample(&f.d, PID, PID);
	/* FORK {pid, ppid, tid, ptid, time}: a new thread of PID, made by PID. */
	struct rec r = {.len = 8};
	uint32_t ids[4] = {PID, PID, PID + 1, PID};
	memcpy(r.buf + r.len, ids, 16);
	r.len += 16;
	put64(&r, 950);
	finish(&r, PERF_RECORD_FORK);
	sc_sample_process(&f.d, r.buf, r.len);
	tid_sample(&f.d, PID, PID + 1);
	comm(&f.d, PID, PID + 1, "worker", false);
	tid_sample(&f.d, PID, PID + 1);
	/* No pid is this large (pid_max is at most 2^22): /proc has no name either. */
	tid_sample(&f.d, 0x7ffffff0, 0x7ffffff1);
	assert_int_equal(sc_sample_err(&f.d), 0);
	assert_int_equal(f.p->samples.len, 4);
	assert_string_equal(label(f.p, 0, "thread_name"), "phases");
	assert_string_equal(label(f.p, 0, "process_name"), "phases");
	assert_string_equal(label(f.p, 1, "thread_name"), "phases"); /* inherited */
	assert_string_equal(label(f.p, 2, "thread_name"), "worker");
	assert_string_equal(label(f.p, 2, "process_name"), "phases");
	assert_int_equal(f.p->samples.data[3].nlabels, 0);
	teardown(&f);
}

static void test_fp_cut_at_junk(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f, false);
	struct rec r;
	sample_head(&r, MAP_START + 0x100);
	const uint64_t chain[] = {PERF_CONTEXT_USER, MAP_START + 0x100, MAP_START + 0x2000, JUNK,
				  MAP_START + 0x3000};
	put64(&r, 5);
	for (size_t i = 0; i < 5; i++)
		put64(&r, chain[i]);
	finish(&r, PERF_RECORD_SAMPLE);
	sc_sample_process(&f.d, r.buf, r.len);
	assert_int_equal(sc_sample_err(&f.d), 0);
	assert_int_equal(f.d.samples, 1);
	/* ip and its caller; neither the junk nor what followed it */
	assert_int_equal(f.p->locations.len, 2);
	sc_record_cuts c;
	sc_sample_cuts(&f.d, &c);
	assert_int_equal(c.stacks, 1);
	assert_int_equal(c.no_mapping, 1);
	assert_string_equal(c.below, "libfake.so");
	assert_int_equal(c.below_count, 1);
	teardown(&f);
}

/* A sample with registers and a stack copy: sp = SP, a frame at SP + 16 holding the caller's bp
 * (SP + 48) and a return address in the mapping, and at SP + 48 a "frame" whose return address is
 * junk. `copy` bytes of the 96-byte stack are given. */
static void unwind_sample(struct fixture *f, size_t copy)
{
	const uint64_t SP = 0x7ffff0000000ull;
	uint64_t stack[12] = {0};
	stack[2] = SP + 48;	       /* saved bp */
	stack[3] = MAP_START + 0x2005; /* return address */
	stack[6] = 0x3736353433323130; /* saved bp: "01234567" */
	stack[7] = JUNK;
	struct rec r;
	sample_head(&r, MAP_START + 0x100);
	put64(&r, 0); /* no callchain (exclude_callchain_user) */
	put64(&r, PERF_SAMPLE_REGS_ABI_64);
	/* bx, bp, sp, ip, r12-r15 */
	const uint64_t regs[8] = {0, SP + 16, SP, MAP_START + 0x100, 0, 0, 0, 0};
	for (size_t i = 0; i < 8; i++)
		put64(&r, regs[i]);
	put64(&r, sizeof(stack));
	memcpy(r.buf + r.len, stack, sizeof(stack));
	r.len += sizeof(stack);
	put64(&r, copy); /* dyn_size */
	finish(&r, PERF_RECORD_SAMPLE);
	sc_sample_process(&f->d, r.buf, r.len);
	assert_int_equal(sc_sample_err(&f->d), 0);
}

static void test_dwarf_cut_at_junk(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f, true);
	unwind_sample(&f, 96);
	assert_int_equal(f.d.samples, 1);
	assert_int_equal(f.p->locations.len, 2);
	sc_record_cuts c;
	sc_sample_cuts(&f.d, &c);
	assert_int_equal(c.stacks, 1);
	assert_int_equal(c.no_mapping, 1);
	assert_int_equal(c.end_of_copy, 0);
	assert_string_equal(c.below, "libfake.so");
	teardown(&f);
}

static void test_dwarf_truncated_copy(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f, true);
	unwind_sample(&f, 40); /* the first frame's slots, not the second's */
	assert_int_equal(f.d.samples, 1);
	sc_record_cuts c;
	sc_sample_cuts(&f.d, &c);
	assert_int_equal(c.stacks, 1);
	assert_int_equal(c.no_mapping, 0);
	assert_int_equal(c.end_of_copy, 1);
	teardown(&f);
}

/* A sample with raw data: `raw_size` bytes, prev_state (at offset 32) = `state` when it fits. */
static void raw_sample(struct rec *r, uint64_t time, uint32_t raw_size, uint64_t state)
{
	r->len = 8;
	put64(r, MAP_START + 0x100);
	put64(r, (uint64_t)PID | (uint64_t)(PID + 1) << 32);
	put64(r, time);
	put64(r, raw_size > 4 ? 1 : 1000000); /* period: 1 for the tracepoint */
	put64(r, 3);
	put64(r, PERF_CONTEXT_USER);
	put64(r, MAP_START + 0x100);
	put64(r, MAP_START + 0x2000);
	memcpy(r->buf + r->len, &raw_size, 4);
	memset(r->buf + r->len + 4, 0, raw_size);
	if (raw_size >= 40)
		memcpy(r->buf + r->len + 4 + 32, &state, 8);
	r->len += 4 + raw_size;
	finish(r, PERF_RECORD_SAMPLE);
}

static void switch_rec(sc_sample_decoder *d, uint64_t time, bool out)
{
	struct rec r = {.len = 8};
	put64(&r, (uint64_t)PID | (uint64_t)(PID + 1) << 32);
	put64(&r, time);
	finish(&r, PERF_RECORD_SWITCH);
	if (out)
		((struct perf_event_header *)r.buf)->misc |= PERF_RECORD_MISC_SWITCH_OUT;
	sc_sample_process(d, r.buf, r.len);
}

static bool alive(uint32_t pid, uint32_t tid)
{
	return pid == PID && tid == PID + 1;
}

static bool dead(uint32_t pid, uint32_t tid)
{
	(void)pid;
	(void)tid;
	return false;
}

static void test_offcpu_interval(void **state)
{
	(void)state;
	struct fixture f;
	setup(&f, false);
	f.d.sample_type |= PERF_SAMPLE_RAW;
	f.d.offcpu_state_off = 32;
	struct rec r;
	switch_rec(&f.d, 500, false); /* nothing pending */
	raw_sample(&r, 1000, 44, 2);  /* switched out in D */
	sc_sample_process(&f.d, r.buf, r.len);
	switch_rec(&f.d, 1001, true); /* the switch-out record: nothing */
	assert_int_equal(f.d.samples, 0);
	raw_sample(&r, 2000, 4, 0); /* a cpu-clock sample of another thread meanwhile */
	sc_sample_process(&f.d, r.buf, r.len);
	assert_int_equal(f.d.samples, 1);
	switch_rec(&f.d, 6000, false); /* back in: 5000 ns off the CPU */
	switch_rec(&f.d, 7000, false); /* nothing pending any more */
	assert_int_equal(sc_sample_err(&f.d), 0);
	assert_int_equal(f.d.samples, 2);
	assert_int_equal(f.p->samples.len, 2);
	const int64_t *cpu = sc_profile_sample_values(f.p, 0);
	assert_int_equal(cpu[1], 1000000);
	const int64_t *off = sc_profile_sample_values(f.p, 1);
	assert_int_equal(off[0], 1);
	assert_int_equal(off[1], 5000);
	assert_int_equal(f.p->samples.data[1].time_ns, 1000);
	sc_frame fr[8]; /* outermost first */
	size_t n = sc_profile_stack_frames(f.p, f.p->samples.data[1].stack, fr, 8);
	assert_int_equal(n, 3);
	assert_string_equal(sc_profile_frame_name(f.p, &fr[2]), "[off-cpu: disk I/O]");
	assert_string_equal(sc_profile_location_module(f.p, fr[2].location), "[off-cpu]");
	n = sc_profile_stack_frames(f.p, f.p->samples.data[0].stack, fr, 8);
	assert_int_equal(n, 2);

	/* Blocked again (sleeping) when the recording ends: counted until the end if alive. */
	raw_sample(&r, 8000, 44, 1);
	sc_sample_process(&f.d, r.buf, r.len);
	sc_sample_offcpu_end(&f.d, 9000, dead);
	assert_int_equal(f.d.samples, 2);
	raw_sample(&r, 10000, 44, 1);
	sc_sample_process(&f.d, r.buf, r.len);
	sc_sample_offcpu_end(&f.d, 12500, alive);
	assert_int_equal(f.d.samples, 3);
	assert_int_equal(f.d.offcpu_intervals, 2);
	assert_int_equal(sc_profile_sample_values(f.p, 2)[1], 2500);
	n = sc_profile_stack_frames(f.p, f.p->samples.data[2].stack, fr, 8);
	assert_string_equal(sc_profile_frame_name(f.p, &fr[n - 1]), "[off-cpu: sleeping]");
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fp_cut_at_junk),
	    cmocka_unit_test(test_dwarf_cut_at_junk),
	    cmocka_unit_test(test_dwarf_truncated_copy),
	    cmocka_unit_test(test_offcpu_interval),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

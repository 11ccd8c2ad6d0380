/*
 * test_pprof.c: the pprof reader and writer: round trips of everything the model holds, files
 * from another producer (Go's runtime/pprof, tests/data/go-cpu.pb.gz), what `go tool pprof`
 * makes of our files, and malformed input (each case must give -EINVAL and say why).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "alloc_torture.h"
#include "formats/pprof.h"
#include "formats/profile.pb-c.h"
#include "profile/profile.h"
#include "util/fileio.h"

static uint32_t fn(sc_profile *p, const char *name, const char *file, int64_t start)
{
	sc_function f = {.name = (sc_str)sc_profile_intern(p, name),
			 .system_name = (sc_str)sc_profile_intern(p, name),
			 .filename = (sc_str)sc_profile_intern(p, file),
			 .start_line = start};
	int64_t id = sc_profile_add_function(p, &f);
	assert_true(id > 0);
	return (uint32_t)id;
}

/*
 * The fixture: two sample types, a symbolized mapping with an inline chain, a kernel mapping,
 * an unsymbolized location, labels, pid/tid, comments and all the metadata.
 *
 *   main -> work (work inlines helper at line 12)  samples: 3 x (1, 10ms), at times 1000, 1000,
 *                                                  1001 ns
 *   main -> [kernel] 0xffffffff81000010             samples: 1 x (1, 10ms), pid 42 tid 43
 *   main -> app+0x2200 (unsymbolized)               samples: 2 x (2, 20ms), label "phase"="io"
 */
static sc_profile *fixture(void)
{
	sc_profile *p = sc_profile_new();
	assert_non_null(p);
	assert_int_equal(sc_profile_add_sample_type(p, "samples", "count"), 0);
	assert_int_equal(sc_profile_add_sample_type(p, "cpu", "nanoseconds"), 1);
	p->default_sample_type = p->sample_types[1].type;
	p->period_type = (sc_value_type){(sc_str)sc_profile_intern(p, "cpu"),
					 (sc_str)sc_profile_intern(p, "nanoseconds")};
	p->period = 10000000;
	p->time_nanos = 1700000000123456789LL;
	p->duration_nanos = 2500000000LL;
	p->drop_frames = (sc_str)sc_profile_intern(p, "^runtime\\.");
	p->keep_frames = (sc_str)sc_profile_intern(p, "^runtime\\.main$");
	assert_int_equal(sc_profile_add_comment(p, "scorch record -- ./app"), 0);
	assert_int_equal(sc_profile_add_comment(p, "host: test"), 0);

	sc_mapping app = {.start = 0x400000,
			  .limit = 0x500000,
			  .offset = 0x1000,
			  .file = (sc_str)sc_profile_intern(p, "/usr/bin/app"),
			  .build_id = (sc_str)sc_profile_intern(p, "abcdef0123"),
			  .symbolized = true};
	sc_mapping kern = {.start = 0xffffffff81000000ULL,
			   .limit = 0xffffffff82000000ULL,
			   .file = (sc_str)sc_profile_intern(p, "[kernel.kallsyms]"),
			   .symbolized = false,
			   .kernel = true};
	uint32_t m_app = (uint32_t)sc_profile_add_mapping(p, &app);
	uint32_t m_kern = (uint32_t)sc_profile_add_mapping(p, &kern);

	uint32_t f_main = fn(p, "main", "app.c", 30);
	uint32_t f_work = fn(p, "work", "app.c", 20);
	uint32_t f_helper = fn(p, "helper", "util.h", 10);
	sc_line l_main = {f_main, 33, 5};
	sc_line l_work[] = {{f_helper, 12, 3}, {f_work, 22, 9}}; /* innermost first */
	uint32_t loc_main = (uint32_t)sc_profile_add_location(p, m_app, 0x401000, &l_main, 1);
	uint32_t loc_work = (uint32_t)sc_profile_add_location(p, m_app, 0x401100, l_work, 2);
	uint32_t loc_kern =
	    (uint32_t)sc_profile_location_for_address(p, m_kern, 0xffffffff81000010ULL);
	uint32_t loc_raw = (uint32_t)sc_profile_location_for_address(p, m_app, 0x401200);

	uint32_t s1[] = {loc_work, loc_main}, s2[] = {loc_kern, loc_main},
		 s3[] = {loc_raw, loc_main};
	sc_stack_id k1 = (sc_stack_id)sc_profile_intern_stack(p, s1, 2);
	sc_stack_id k2 = (sc_stack_id)sc_profile_intern_stack(p, s2, 2);
	sc_stack_id k3 = (sc_stack_id)sc_profile_intern_stack(p, s3, 2);
	int64_t one[] = {1, 10000000}, two[] = {2, 20000000};
	for (int i = 0; i < 3; i++)
		assert_true(sc_profile_add_sample(p, k1, one, 0, 0, 1000 + (i == 2)) >= 0);
	assert_true(sc_profile_add_sample(p, k2, one, 42, 43, 0) >= 0);
	for (int i = 0; i < 2; i++) {
		assert_true(sc_profile_add_sample(p, k3, two, 7, 0, 0) >= 0);
		assert_int_equal(sc_profile_add_label(p, "phase", "io", 0, NULL), 0);
		assert_int_equal(sc_profile_add_label(p, "bytes", NULL, 4096, "bytes"), 0);
	}
	return p;
}

static const char *S(const sc_profile *p, sc_str id)
{
	return sc_profile_str(p, id);
}

/* A sample described as text (frames, inline marks, pid, tid, labels) with its summed values. */
struct agg {
	char key[1024];
	int64_t v[SC_MAX_SAMPLE_TYPES];
};

static size_t aggregate(const sc_profile *p, struct agg *out)
{
	size_t n = 0;
	for (size_t i = 0; i < p->samples.len; i++) {
		const sc_sample *s = &p->samples.data[i];
		char key[1024];
		size_t len = 0;
		sc_frame f[64];
		size_t nf = sc_profile_stack_frames(p, s->stack, f, 64);
		assert_true(nf <= 64);
		for (size_t k = 0; k < nf; k++)
			len += (size_t)snprintf(key + len, sizeof(key) - len, "%s%s;",
						sc_profile_frame_name(p, &f[k]),
						f[k].inlined ? "(inline)" : "");
		len += (size_t)snprintf(key + len, sizeof(key) - len, "|pid=%u tid=%u time=%llu",
					s->pid, s->tid, (unsigned long long)s->time_ns);
		for (uint32_t k = 0; k < s->nlabels; k++) {
			const sc_label *l = &p->labels.data[s->first_label + k];
			len += (size_t)snprintf(key + len, sizeof(key) - len, "|%s=%s/%lld %s",
						S(p, l->key), S(p, l->str), (long long)l->num,
						S(p, l->num_unit));
		}
		assert_true(len < sizeof(key));
		size_t j = 0;
		while (j < n && strcmp(out[j].key, key) != 0)
			j++;
		if (j == n)
			memcpy(out[n++].key, key, sizeof(key));
		for (size_t t = 0; t < p->nsample_types; t++)
			out[j].v[t] += sc_profile_sample_values(p, i)[t];
	}
	return n;
}

/* Compares two profiles by content (names, not ids, wherever ids could differ). */
static void assert_same_profile(const sc_profile *a, const sc_profile *b)
{
	assert_int_equal(a->nsample_types, b->nsample_types);
	for (size_t i = 0; i < a->nsample_types; i++) {
		assert_string_equal(S(a, a->sample_types[i].type), S(b, b->sample_types[i].type));
		assert_string_equal(S(a, a->sample_types[i].unit), S(b, b->sample_types[i].unit));
	}
	assert_string_equal(S(a, a->default_sample_type), S(b, b->default_sample_type));
	assert_string_equal(S(a, a->period_type.type), S(b, b->period_type.type));
	assert_string_equal(S(a, a->period_type.unit), S(b, b->period_type.unit));
	assert_int_equal(a->period, b->period);
	assert_int_equal(a->time_nanos, b->time_nanos);
	assert_int_equal(a->duration_nanos, b->duration_nanos);
	assert_string_equal(S(a, a->drop_frames), S(b, b->drop_frames));
	assert_string_equal(S(a, a->keep_frames), S(b, b->keep_frames));
	assert_int_equal(a->comments.len, b->comments.len);
	for (size_t i = 0; i < a->comments.len; i++)
		assert_string_equal(S(a, a->comments.data[i]), S(b, b->comments.data[i]));

	assert_int_equal(a->mappings.len, b->mappings.len);
	for (size_t i = 0; i < a->mappings.len; i++) {
		const sc_mapping *x = &a->mappings.data[i], *y = &b->mappings.data[i];
		assert_int_equal(x->start, y->start);
		assert_int_equal(x->limit, y->limit);
		assert_int_equal(x->offset, y->offset);
		assert_string_equal(S(a, x->file), S(b, y->file));
		assert_string_equal(S(a, x->build_id), S(b, y->build_id));
		assert_int_equal(x->symbolized, y->symbolized);
		assert_int_equal(x->kernel, y->kernel);
	}
	assert_int_equal(a->functions.len, b->functions.len);
	for (size_t i = 0; i < a->functions.len; i++) {
		const sc_function *x = &a->functions.data[i], *y = &b->functions.data[i];
		assert_string_equal(S(a, x->name), S(b, y->name));
		assert_string_equal(S(a, x->system_name), S(b, y->system_name));
		assert_string_equal(S(a, x->filename), S(b, y->filename));
		assert_int_equal(x->start_line, y->start_line);
	}
	assert_int_equal(a->locations.len, b->locations.len);
	for (size_t i = 0; i < a->locations.len; i++) {
		const sc_location *x = &a->locations.data[i], *y = &b->locations.data[i];
		assert_int_equal(x->mapping, y->mapping);
		assert_int_equal(x->address, y->address);
		assert_int_equal(x->nlines, y->nlines);
		for (uint32_t k = 0; k < x->nlines; k++) {
			const sc_line *lx = &sc_profile_location_lines(a, x)[k];
			const sc_line *ly = &sc_profile_location_lines(b, y)[k];
			assert_int_equal(lx->function, ly->function);
			assert_int_equal(lx->line, ly->line);
			assert_int_equal(lx->column, ly->column);
		}
	}
	/* Samples: equal ones are merged on writing, so compare the sums per distinct sample. */
	struct agg *xa = calloc(a->samples.len + 1, sizeof(*xa));
	struct agg *xb = calloc(b->samples.len + 1, sizeof(*xb));
	assert_non_null(xa);
	assert_non_null(xb);
	size_t na = aggregate(a, xa), nb = aggregate(b, xb);
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		size_t k = 0;
		while (k < nb && strcmp(xa[i].key, xb[k].key) != 0)
			k++;
		if (k == nb)
			print_message("sample '%s' is missing after the round trip\n", xa[i].key);
		assert_true(k < nb);
		for (size_t t = 0; t < a->nsample_types; t++)
			assert_int_equal(xa[i].v[t], xb[k].v[t]);
	}
	free(xa);
	free(xb);
}

static void test_round_trip_memory(void **state)
{
	(void)state;
	sc_profile *p = fixture(), *q = NULL;
	uint8_t *buf;
	size_t n;
	assert_int_equal(sc_pprof_encode(p, &buf, &n), 0);
	assert_true(n > 100);
	assert_true(sc_pprof_sniff(buf, n));
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_pprof_decode(buf, n, &q, &d), 0);
	assert_same_profile(p, q);
	/* The frames a person reads, outermost first, with the inline chain expanded. */
	sc_frame f[8];
	assert_int_equal(sc_profile_stack_frames(q, q->samples.data[0].stack, f, 8), 3);
	assert_string_equal(sc_profile_frame_name(q, &f[0]), "main");
	assert_string_equal(sc_profile_frame_name(q, &f[1]), "work");
	assert_string_equal(sc_profile_frame_name(q, &f[2]), "helper");
	assert_true(f[2].inlined);
	assert_false(f[1].inlined);
	assert_int_equal(sc_profile_stack_frames(q, q->samples.data[3].stack, f, 8), 2);
	assert_string_equal(sc_profile_frame_name(q, &f[1]), "app+0x2200");
	/* The 3 + 1 + 2 samples were written as 4: equal ones (time included) merged, values
	 * summed; the two of main -> work at different times stay apart. */
	assert_int_equal(q->samples.len, 4);
	assert_int_equal(sc_profile_sample_values(q, 0)[0], 2);
	assert_int_equal(sc_profile_sample_values(q, 0)[1], 20000000);
	assert_int_equal(sc_profile_sample_values(q, 1)[0], 1);
	assert_int_equal(sc_profile_sample_values(q, 3)[0], 4);
	/* pid/tid/time came back as fields, not as labels. */
	assert_int_equal(q->samples.data[0].time_ns, 1000);
	assert_int_equal(q->samples.data[1].time_ns, 1001);
	assert_int_equal(q->samples.data[0].nlabels, 0);
	assert_int_equal(q->samples.data[2].pid, 42);
	assert_int_equal(q->samples.data[2].tid, 43);
	assert_int_equal(q->samples.data[2].time_ns, 0);
	assert_int_equal(q->samples.data[2].nlabels, 0);
	assert_int_equal(q->samples.data[3].pid, 7);
	assert_int_equal(q->samples.data[3].tid, 0);
	assert_int_equal(q->samples.data[3].nlabels, 2);
	int64_t tot[2];
	sc_profile_totals(q, tot);
	assert_int_equal(tot[0], 8);
	assert_int_equal(tot[1], 80000000);

	/* Encoding the decoded profile gives the same bytes: nothing drifts on a second trip. */
	uint8_t *buf2;
	size_t n2;
	assert_int_equal(sc_pprof_encode(q, &buf2, &n2), 0);
	assert_int_equal(n2, n);
	assert_memory_equal(buf, buf2, n);
	free(buf2);
	free(buf);
	sc_profile_free(q);
	sc_profile_free(p);
}

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/scorch-test-pprof-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_round_trip_file(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/rt.pb.gz", tmpdir);
	sc_profile *p = fixture(), *q = NULL;
	assert_int_equal(sc_pprof_write(p, path), 0);
	char *data;
	size_t n;
	assert_int_equal(sc_read_file(path, &data, &n), 0);
	assert_true(n > 20);
	assert_int_equal((uint8_t)data[0], 0x1f); /* gzip */
	assert_int_equal((uint8_t)data[1], 0x8b);
	assert_true(sc_pprof_sniff(data, n));
	free(data);
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_pprof_read(path, &q, &d), 0);
	assert_same_profile(p, q);
	sc_profile_free(q);

	/* A directory cannot be read; a missing file is -ENOENT. */
	assert_int_equal(sc_pprof_read(tmpdir, &q, &d), -EISDIR);
	snprintf(path, sizeof(path), "%s/missing.pb.gz", tmpdir);
	assert_int_equal(sc_pprof_read(path, &q, &d), -ENOENT);
	assert_null(q);
	/* Writing into a missing directory fails and leaves nothing behind. */
	snprintf(path, sizeof(path), "%s/no/such/dir.pb.gz", tmpdir);
	assert_int_equal(sc_pprof_write(p, path), -ENOENT);
	sc_profile_free(p);
}

static void test_sniff(void **state)
{
	(void)state;
	assert_false(sc_pprof_sniff("", 0));
	assert_false(sc_pprof_sniff("main;work 12\n", 13));
	assert_false(sc_pprof_sniff("\n\nmain;work 12\n", 15));
	assert_false(sc_pprof_sniff("# perf script\n", 14));
	assert_true(sc_pprof_sniff("\x1f\x8b\x08", 3));
	assert_true(sc_pprof_sniff("\x0a\x04\x08\x01\x10\x02", 6));
	/* Raw protobuf in another field order (issue 8 item 22): string_table first, then a
	 * varint field; what the buffer holds of a longer field is enough. */
	assert_true(sc_pprof_sniff("\x32\x00\x32\x03cpu\x48\x96\x01", 10));
	assert_true(sc_pprof_sniff("\x12\x40\x0a", 3));
	/* Zeros, a field above 15, a wrong wire type, a length past the end of a whole message. */
	assert_false(sc_pprof_sniff("\x00\x00\x00\x00", 4));
	assert_false(sc_pprof_sniff("\x82\x01\x00", 3));
	assert_false(sc_pprof_sniff("\x0b\x00", 2));
	assert_false(sc_pprof_sniff("\x4a\x00", 2)); /* field 9 (time_nanos) is a varint */
}

/* gzip-compresses n bytes into a malloc'd buffer. */
static uint8_t *gzip_bytes(const void *in, size_t n, size_t *outn)
{
	z_stream z = {0};
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, n) + 64;
	uint8_t *out = malloc(cap);
	assert_non_null(out);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*outn = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

static void test_gzip_caps(void **state)
{
	(void)state;
	/* 16 MiB of zeros: refused from its first decompressed bytes (item 4). */
	size_t big = 16u << 20, ngz;
	uint8_t *zeros = calloc(1, big);
	assert_non_null(zeros);
	uint8_t *gz = gzip_bytes(zeros, big, &ngz);
	sc_profile *q = (sc_profile *)1;
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_pprof_decode_max(gz, ngz, 0, &q, &d), -EINVAL);
	assert_null(q);
	assert_non_null(strstr(d.message, "not a pprof profile"));
	free(gz);
	/* A string table entry of 16 MiB: a plausible start, so the cap decides. */
	memcpy(zeros, "\x32\x80\x80\x80\x08", 5);
	gz = gzip_bytes(zeros, big, &ngz);
	assert_int_equal(sc_pprof_decode_max(gz, ngz, 1u << 20, &q, NULL), -EFBIG);
	assert_null(q);
	free(gz);
	free(zeros);
	/* Our own profile decodes under a cap just above its size, not under one below. */
	sc_profile *p = fixture();
	uint8_t *raw;
	size_t n;
	assert_int_equal(sc_pprof_encode(p, &raw, &n), 0);
	gz = gzip_bytes(raw, n, &ngz);
	assert_int_equal(sc_pprof_decode_max(gz, ngz, n, &q, NULL), 0);
	sc_profile_free(q);
	assert_int_equal(sc_pprof_decode_max(gz, ngz, n - 1, &q, NULL), -EFBIG);
	free(gz);
	free(raw);
	sc_profile_free(p);
}

/* Decodes `buf` expecting -EINVAL with a message containing `want`. */
static void expect_error(const void *buf, size_t n, const char *want)
{
	sc_diag d;
	sc_diag_clear(&d);
	sc_profile *q = (sc_profile *)1;
	int r = sc_pprof_decode(buf, n, &q, &d);
	if (r != -EINVAL || !strstr(d.message, want))
		print_message("got %d '%s', wanted -EINVAL '%s'\n", r, d.message, want);
	assert_int_equal(r, -EINVAL);
	assert_null(q);
	assert_non_null(strstr(d.message, want));
}

static void test_garbage(void **state)
{
	(void)state;
	expect_error("", 0, "empty");
	const char *text = "main;work 12\nmain;idle 3\n";
	expect_error(text, strlen(text), "");
	const char *gz = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage-garbage";
	expect_error(gz, 25, "gzip");
	/* Random bytes: never a crash, always -EINVAL with a message. */
	uint64_t x = 12345;
	uint8_t buf[512];
	for (int round = 0; round < 500; round++) {
		size_t n = 1 + round % sizeof(buf);
		for (size_t i = 0; i < n; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[i] = (uint8_t)(x >> 56);
		}
		expect_error(buf, n, "");
	}
}

static void test_truncated(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/trunc.pb.gz", tmpdir);
	sc_profile *p = fixture();
	assert_int_equal(sc_pprof_write(p, path), 0);
	char *gz;
	size_t ngz;
	assert_int_equal(sc_read_file(path, &gz, &ngz), 0);
	/* Every cut of the gzip file fails; cuts inside the deflate data say "truncated". */
	for (size_t cut = 1; cut < ngz; cut++) {
		sc_diag d;
		sc_diag_clear(&d);
		sc_profile *q = NULL;
		assert_int_equal(sc_pprof_decode(gz, cut, &q, &d), -EINVAL);
		assert_null(q);
		assert_true(d.message[0]);
	}
	expect_error(gz, ngz / 2, "truncated");
	free(gz);

	/* Cuts of the raw protobuf: most fail, a cut at a field boundary may still be a valid
	 * (smaller) profile; none may crash or leak (the ASan build checks that). */
	uint8_t *raw;
	size_t n;
	assert_int_equal(sc_pprof_encode(p, &raw, &n), 0);
	int failed = 0;
	for (size_t cut = 1; cut < n; cut++) {
		sc_diag d;
		sc_diag_clear(&d);
		sc_profile *q = NULL;
		int r = sc_pprof_decode(raw, cut, &q, &d);
		assert_true(r == 0 || r == -EINVAL);
		if (r == 0) {
			assert_non_null(q);
		} else {
			assert_null(q);
			assert_true(d.message[0]);
			failed++;
		}
		sc_profile_free(q);
	}
	assert_true(failed > (int)n / 2);
	/* Flipped bytes, likewise. */
	for (size_t i = 0; i < n; i++) {
		uint8_t saved = raw[i];
		raw[i] ^= 0xa5;
		sc_profile *q = NULL;
		int r = sc_pprof_decode(raw, n, &q, NULL);
		assert_true(r == 0 || r == -EINVAL);
		sc_profile_free(q);
		raw[i] = saved;
	}
	free(raw);
	sc_profile_free(p);
}

/*
 * Hand-built messages, for references no well-behaved writer makes. The base message: strings
 * "", "samples", "count", "main"; function 50 "main"; location 7 -> function 50 in mapping 3;
 * one sample at location 7 with value 5. Ids are deliberately not 1..N.
 */
struct msg {
	Perftools__Profiles__Profile p;
	ProtobufCBinaryData strings[4];
	Perftools__Profiles__ValueType vt, *vtp[1];
	Perftools__Profiles__Function f, *fp[1];
	Perftools__Profiles__Line line, *linep[1];
	Perftools__Profiles__Location loc, *locp[1];
	Perftools__Profiles__Mapping map, *mapp[1];
	Perftools__Profiles__Label label, *labelp[1];
	Perftools__Profiles__Sample s, *sp[1];
	uint64_t ids[1];
	int64_t values[2];
};

static void msg_init(struct msg *m)
{
	memset(m, 0, sizeof(*m));
	perftools__profiles__profile__init(&m->p);
	const char *strs[] = {"", "samples", "count", "main"};
	for (int i = 0; i < 4; i++)
		m->strings[i] = (ProtobufCBinaryData){strlen(strs[i]), (uint8_t *)strs[i]};
	m->p.string_table = m->strings;
	m->p.n_string_table = 4;
	perftools__profiles__value_type__init(&m->vt);
	m->vt.type = 1;
	m->vt.unit = 2;
	m->vtp[0] = &m->vt;
	m->p.sample_type = m->vtp;
	m->p.n_sample_type = 1;
	perftools__profiles__mapping__init(&m->map);
	m->map.id = 3;
	m->map.memory_start = 0x1000;
	m->map.memory_limit = 0x2000;
	m->mapp[0] = &m->map;
	m->p.mapping = m->mapp;
	m->p.n_mapping = 1;
	perftools__profiles__function__init(&m->f);
	m->f.id = 50;
	m->f.name = 3;
	m->fp[0] = &m->f;
	m->p.function = m->fp;
	m->p.n_function = 1;
	perftools__profiles__line__init(&m->line);
	m->line.function_id = 50;
	m->line.line = 9;
	m->linep[0] = &m->line;
	perftools__profiles__location__init(&m->loc);
	m->loc.id = 7;
	m->loc.mapping_id = 3;
	m->loc.address = 0x1234;
	m->loc.line = m->linep;
	m->loc.n_line = 1;
	m->locp[0] = &m->loc;
	m->p.location = m->locp;
	m->p.n_location = 1;
	perftools__profiles__label__init(&m->label);
	m->labelp[0] = &m->label;
	perftools__profiles__sample__init(&m->s);
	m->ids[0] = 7;
	m->s.location_id = m->ids;
	m->s.n_location_id = 1;
	m->values[0] = 5;
	m->s.value = m->values;
	m->s.n_value = 1;
	m->sp[0] = &m->s;
	m->p.sample = m->sp;
	m->p.n_sample = 1;
}

static int msg_decode(struct msg *m, sc_profile **q, sc_diag *d)
{
	size_t n = perftools__profiles__profile__get_packed_size(&m->p);
	uint8_t *buf = malloc(n + 1);
	assert_non_null(buf);
	perftools__profiles__profile__pack(&m->p, buf);
	sc_diag_clear(d);
	int r = sc_pprof_decode(buf, n, q, d);
	free(buf);
	return r;
}

static void msg_expect_error(struct msg *m, const char *want)
{
	sc_diag d;
	sc_profile *q = NULL;
	int r = msg_decode(m, &q, &d);
	if (r != -EINVAL || strcmp(d.message, want) != 0)
		print_message("got %d '%s'\n", r, d.message);
	assert_int_equal(r, -EINVAL);
	assert_null(q);
	assert_string_equal(d.message, want);
	assert_int_equal(d.offset, -1);
}

static void test_sparse_ids(void **state)
{
	(void)state;
	struct msg m;
	msg_init(&m);
	sc_diag d;
	sc_profile *q = NULL;
	assert_int_equal(msg_decode(&m, &q, &d), 0);
	assert_int_equal(q->samples.len, 1);
	assert_int_equal(q->mappings.len, 1);
	assert_int_equal(q->mappings.data[0].start, 0x1000);
	const sc_location *l = sc_profile_location(q, 1);
	assert_non_null(l);
	assert_int_equal(l->mapping, 1);
	assert_int_equal(l->address, 0x1234);
	sc_frame f[4];
	assert_int_equal(sc_profile_stack_frames(q, q->samples.data[0].stack, f, 4), 1);
	assert_string_equal(sc_profile_frame_name(q, &f[0]), "main");
	assert_int_equal(sc_profile_location_lines(q, l)[0].line, 9);
	assert_int_equal(sc_profile_sample_values(q, 0)[0], 5);
	sc_profile_free(q);

	/* A label keyed "pid" with a string value stays a label. */
	m.label.key = 3; /* "main" as a key, numeric */
	m.label.num = 99;
	m.s.label = m.labelp;
	m.s.n_label = 1;
	assert_int_equal(msg_decode(&m, &q, &d), 0);
	assert_int_equal(q->samples.data[0].nlabels, 1);
	assert_int_equal(q->labels.data[0].num, 99);
	assert_string_equal(sc_profile_str(q, q->labels.data[0].key), "main");
	sc_profile_free(q);
}

static void test_bad_references(void **state)
{
	(void)state;
	struct msg m;

	msg_init(&m);
	m.ids[0] = 999;
	msg_expect_error(&m, "sample 0 refers to location 999, which the profile does not define");

	msg_init(&m);
	m.line.function_id = 51;
	msg_expect_error(&m, "location 7 refers to function 51, which the profile does not define");

	msg_init(&m);
	m.loc.mapping_id = 4;
	msg_expect_error(&m, "location 7 refers to mapping 4, which the profile does not define");

	msg_init(&m);
	m.f.name = 4;
	msg_expect_error(&m, "function 50 refers to string 4, but the string table has 4 entries");

	msg_init(&m);
	m.vt.unit = -1;
	msg_expect_error(&m, "sample type 0 refers to string -1, but the string table has 4 "
			     "entries");

	msg_init(&m);
	m.label.key = 1;
	m.label.str = 17;
	m.s.label = m.labelp;
	m.s.n_label = 1;
	msg_expect_error(&m, "label 0 of sample 0 refers to string 17, but the string table has 4 "
			     "entries");

	msg_init(&m);
	m.s.n_value = 2;
	msg_expect_error(&m, "sample 0 has 2 values, but the profile has 1 sample types");

	msg_init(&m);
	m.p.n_sample_type = 0;
	m.s.n_value = 0;
	msg_expect_error(&m, "the profile defines no sample types");

	msg_init(&m);
	m.strings[0] = m.strings[1];
	msg_expect_error(&m, "the string table's first entry must be the empty string");

	/* Duplicate ids (two locations 7). */
	msg_init(&m);
	Perftools__Profiles__Location loc2 = m.loc;
	Perftools__Profiles__Location *locs[] = {&m.loc, &loc2};
	m.p.location = locs;
	m.p.n_location = 2;
	msg_expect_error(&m, "location id 7 is defined twice");
}

static void test_go_profile(void **state)
{
	(void)state;
	sc_profile *p = NULL;
	sc_diag d;
	sc_diag_clear(&d);
	int r = sc_pprof_read(SC_TEST_SRCDIR "/tests/data/go-cpu.pb.gz", &p, &d);
	if (r)
		print_message("%d %s\n", r, d.message);
	assert_int_equal(r, 0);
	assert_int_equal(p->nsample_types, 2);
	assert_string_equal(S(p, p->sample_types[0].type), "samples");
	assert_string_equal(S(p, p->sample_types[0].unit), "count");
	assert_string_equal(S(p, p->sample_types[1].type), "cpu");
	assert_string_equal(S(p, p->sample_types[1].unit), "nanoseconds");
	assert_string_equal(S(p, p->period_type.type), "cpu");
	assert_string_equal(S(p, p->period_type.unit), "nanoseconds");
	assert_int_equal(p->period, 10000000); /* Go samples at 100 Hz */
	assert_true(p->samples.len > 0);
	assert_true(p->duration_nanos > 900000000);

	/* main.burn ran for about a second, called by main.main: every sample whose leaf is
	 * main.burn has main.main right above it. */
	int64_t burn = 0, total[2];
	sc_profile_totals(p, total);
	for (size_t i = 0; i < p->samples.len; i++) {
		sc_frame f[64];
		size_t nf = sc_profile_stack_frames(p, p->samples.data[i].stack, f, 64);
		assert_true(nf >= 1 && nf <= 64);
		if (strcmp(sc_profile_frame_name(p, &f[nf - 1]), "main.burn") == 0) {
			assert_true(nf >= 2);
			assert_string_equal(sc_profile_frame_name(p, &f[nf - 2]), "main.main");
			burn += sc_profile_sample_values(p, i)[0];
		}
	}
	/* The file's figures (go tool pprof -top): 99 samples, 990ms, all of them in main.burn. */
	assert_int_equal(total[0], 99);
	assert_int_equal(total[1], 990000000);
	assert_int_equal(burn, 99);
	sc_profile_free(p);
}

static bool have_go(void)
{
	return system("command -v go >/dev/null 2>&1") == 0;
}

/* Runs `go tool pprof ARGS FILE` with a private Go cache; returns its output (caller frees). */
static char *go_pprof(const char *args, const char *file)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && HOME='%s' GOCACHE='%s/gocache' GOPATH='%s/gopath' GOFLAGS= "
		 "PPROF_TMPDIR='%s' go tool pprof %s '%s' 2>&1",
		 tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, args, file);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	char *out = calloc(1, 65536);
	assert_non_null(out);
	size_t n = fread(out, 1, 65535, f);
	out[n] = '\0';
	int st = pclose(f);
	if (st != 0)
		print_message("go tool pprof failed (%d):\n%s\n", st, out);
	assert_int_equal(st, 0);
	return out;
}

/* The flat and cum columns of function `name` in `go tool pprof -top` output. */
static bool top_row(const char *out, const char *name, long *flat, long *cum)
{
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char fname[128];
		float fp, sp, cp;
		if (sscanf(l, "%ld %f%% %f%% %ld %f%% %127s", flat, &fp, &sp, cum, &cp, fname) ==
			6 &&
		    strcmp(fname, name) == 0)
			return true;
	}
	return false;
}

static void test_go_tool_pprof_reads_ours(void **state)
{
	(void)state;
	if (!have_go()) {
		print_message("skipped: `go` is not installed, so `go tool pprof` cannot check our "
			      "files\n");
		skip();
	}
	/* main -> a: 300 samples; main -> b: 100 samples (b inlines c); 6 samples in pid 77. */
	sc_profile *p = sc_profile_new();
	assert_int_equal(sc_profile_add_sample_type(p, "samples", "count"), 0);
	sc_mapping m = {.start = 0x400000,
			.limit = 0x500000,
			.file = (sc_str)sc_profile_intern(p, "/bin/known"),
			.symbolized = true};
	uint32_t mid = (uint32_t)sc_profile_add_mapping(p, &m);
	sc_line lm = {fn(p, "main", "k.c", 1), 2, 0}, la = {fn(p, "a", "k.c", 10), 11, 0};
	sc_line lb[] = {{fn(p, "c", "k.c", 30), 31, 0}, {fn(p, "b", "k.c", 20), 21, 0}};
	uint32_t loc_m = (uint32_t)sc_profile_add_location(p, mid, 0x401000, &lm, 1);
	uint32_t loc_a = (uint32_t)sc_profile_add_location(p, mid, 0x402000, &la, 1);
	uint32_t loc_b = (uint32_t)sc_profile_add_location(p, mid, 0x403000, lb, 2);
	uint32_t sa[] = {loc_a, loc_m}, sb[] = {loc_b, loc_m};
	sc_stack_id ka = (sc_stack_id)sc_profile_intern_stack(p, sa, 2);
	sc_stack_id kb = (sc_stack_id)sc_profile_intern_stack(p, sb, 2);
	int64_t one = 1, hundred = 100;
	for (int i = 0; i < 200; i++)
		assert_true(sc_profile_add_sample(p, ka, &one, 0, 0, 0) >= 0);
	assert_true(sc_profile_add_sample(p, ka, &hundred, 0, 0, 0) >= 0);
	for (int i = 0; i < 94; i++)
		assert_true(sc_profile_add_sample(p, kb, &one, 0, 0, 0) >= 0);
	for (int i = 0; i < 6; i++)
		assert_true(sc_profile_add_sample(p, kb, &one, 77, 78, 0) >= 0);
	char path[128];
	snprintf(path, sizeof(path), "%s/known.pb.gz", tmpdir);
	assert_int_equal(sc_pprof_write(p, path), 0);
	sc_profile_free(p);

	char *out = go_pprof("-top -nodecount=100 -symbolize=none", path);
	long flat, cum;
	assert_true(top_row(out, "a", &flat, &cum));
	assert_int_equal(flat, 300);
	assert_int_equal(cum, 300);
	assert_true(top_row(out, "b", &flat, &cum));
	assert_int_equal(flat, 0);
	assert_int_equal(cum, 100);
	assert_true(top_row(out, "c", &flat, &cum)); /* the inlined frame is the leaf */
	assert_int_equal(flat, 100);
	assert_int_equal(cum, 100);
	assert_true(top_row(out, "main", &flat, &cum));
	assert_int_equal(flat, 0);
	assert_int_equal(cum, 400);
	assert_non_null(strstr(out, "of 400 total"));
	free(out);

	/* The pid label: pprof's -tags lists numeric label values with their sample counts. */
	out = go_pprof("-tags -symbolize=none", path);
	assert_non_null(strstr(out, "pid"));
	assert_non_null(strstr(out, "77"));
	assert_non_null(strstr(out, "tid"));
	assert_non_null(strstr(out, "78"));
	free(out);
}

/* 100k samples over 3000 functions, stacks 8..39 deep: encode, gzip, decode. Prints how long
 * encoding took (informational only: the test asserts contents, not time). */
static void test_large_profile(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	assert_int_equal(sc_profile_add_sample_type(p, "samples", "count"), 0);
	assert_int_equal(sc_profile_add_sample_type(p, "cpu", "nanoseconds"), 1);
	sc_mapping m = {.start = 0x400000,
			.limit = 0x8000000,
			.file = (sc_str)sc_profile_intern(p, "/usr/bin/big"),
			.symbolized = true};
	uint32_t mid = (uint32_t)sc_profile_add_mapping(p, &m);
	enum { NFUNC = 3000, NLOC = 6000, NSAMPLES = 100000 };
	static uint32_t locs[NLOC];
	for (int i = 0; i < NLOC; i++) {
		char name[64];
		snprintf(name, sizeof(name), "ns::Class%d::method%d", i % NFUNC / 10, i % NFUNC);
		sc_line l = {fn(p, name, "src/big.cc", i % NFUNC), 100 + i, 0};
		locs[i] =
		    (uint32_t)sc_profile_add_location(p, mid, 0x400000 + 16 * (uint64_t)i, &l, 1);
	}
	uint64_t x = 1;
	int64_t want = 0;
	for (int i = 0; i < NSAMPLES; i++) {
		uint32_t stack[40];
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t depth = 8 + (x >> 59);
		for (size_t k = 0; k < depth; k++) {
			/* Outer frames shared widely, leaves varied, as in real profiles. */
			uint64_t y = (x >> 20) % (k < depth - 3 ? 20 : NLOC);
			stack[depth - 1 - k] = locs[(k * 37 + y) % NLOC];
		}
		int64_t v[2] = {1, 10000000 + (int64_t)(x % 1000)};
		want += v[1];
		sc_stack_id id = (sc_stack_id)sc_profile_intern_stack(p, stack, depth);
		assert_true(sc_profile_add_sample(p, id, v, 1000, 1000 + i % 4, 0) >= 0);
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char path[128];
	snprintf(path, sizeof(path), "%s/large.pb.gz", tmpdir);
	assert_int_equal(sc_pprof_write(p, path), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	sc_profile *q = NULL;
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_pprof_read(path, &q, &d), 0);
	struct timespec t2;
	clock_gettime(CLOCK_MONOTONIC, &t2);
	double rms =
	    (double)(t2.tv_sec - t1.tv_sec) * 1e3 + (double)(t2.tv_nsec - t1.tv_nsec) / 1e6;
	print_message("large profile: %zu samples, %zu stack nodes: write %.1f ms, read %.1f ms\n",
		      p->samples.len, p->nodes.len, ms, rms);
	int64_t tot[2];
	sc_profile_totals(q, tot);
	assert_int_equal(tot[0], NSAMPLES);
	assert_int_equal(tot[1], want);
	assert_int_equal(q->nodes.len, p->nodes.len);
	assert_int_equal(q->samples.data[0].pid, 1000);
	assert_int_equal(q->samples.data[0].tid, 1000);
	sc_profile_free(q);
	sc_profile_free(p);
}

/* Fails each allocation of decoding (gzip, protobuf-c, the model) and of encoding in turn. */
static void test_allocation_failures(void **state)
{
	(void)state;
#if !ALLOC_TORTURE
	print_message("skipped: allocation failure injection does not run under ASan\n");
	skip();
#else
	sc_profile *p = fixture();
	char path[128];
	snprintf(path, sizeof(path), "%s/torture.pb.gz", tmpdir);
	assert_int_equal(sc_pprof_write(p, path), 0);
	char *gz;
	size_t ngz;
	assert_int_equal(sc_read_file(path, &gz, &ngz), 0);

	long i, failures = 0;
	for (i = 0;; i++) {
		sc_profile *q = NULL;
		sc_diag d;
		sc_diag_clear(&d);
		long before = live_blocks;
		fail_countdown = i;
		int r = sc_pprof_decode(gz, ngz, &q, &d);
		bool injected = fail_countdown < 0;
		fail_countdown = -1;
		if (!injected) {
			assert_int_equal(r, 0);
			sc_profile_free(q);
			assert_int_equal(live_blocks, before);
			break;
		}
		if (r != -ENOMEM)
			print_message("allocation %ld: got %d (%s)\n", i, r, d.message);
		assert_int_equal(r, -ENOMEM);
		assert_null(q);
		assert_int_equal(live_blocks, before); /* nothing leaked */
		failures++;
	}
	assert_true(failures > 20);

	for (i = 0;; i++) {
		uint8_t *buf = NULL;
		size_t n;
		long before = live_blocks;
		fail_countdown = i;
		int r = sc_pprof_encode(p, &buf, &n);
		bool injected = fail_countdown < 0;
		fail_countdown = -1;
		if (!injected) {
			assert_int_equal(r, 0);
			free(buf);
			assert_int_equal(live_blocks, before);
			break;
		}
		assert_int_equal(r, -ENOMEM);
		assert_null(buf);
		assert_int_equal(live_blocks, before);
	}
	free(gz);
	sc_profile_free(p);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_memory),
	    cmocka_unit_test(test_round_trip_file),
	    cmocka_unit_test(test_sniff),
	    cmocka_unit_test(test_gzip_caps),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_sparse_ids),
	    cmocka_unit_test(test_bad_references),
	    cmocka_unit_test(test_go_profile),
	    cmocka_unit_test(test_go_tool_pprof_reads_ours),
	    cmocka_unit_test(test_large_profile),
	    cmocka_unit_test(test_allocation_failures),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}

/*
 * test_push.c: the requests of src/push without a network: Pyroscope's /ingest URL (escaping,
 * labels, time range) and multipart body, Parca's gRPC frame (decoded back with protobuf-c),
 * the gRPC-Web trailer reader on good, missing and broken frames, the label rules, and whether
 * an answer counts as success.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "push/parca.pb-c.h"
#include "push/push.h"

static const uint8_t fake_profile[] = {0x1f, 0x8b, 0x08, 0x00, 'a', '\r', '\n', '-', '-', 0};

static const sc_push_label two_labels[] = {{"service", "demo"}, {"env", "test 1"}};

static void test_pyroscope_url(void **state)
{
	(void)state;
	sc_push_target t = {SC_PUSH_PYROSCOPE, "http://h:4040//", "my.app", two_labels, 2};
	sc_push_profile p = {fake_profile, sizeof(fake_profile), 1700000000, 1700000010, 99};
	char *url = sc_pyroscope_url(&t, &p);
	assert_non_null(url);
	assert_string_equal(url,
			    "http://h:4040/ingest?name=my.app%7Bservice%3Ddemo%2Cenv%3Dtest%201"
			    "%7D&from=1700000000&until=1700000010&format=pprof&spyName=scorch"
			    "&sampleRate=99");
	free(url);
	p.sample_rate = 0;
	t.nlabels = 0;
	url = sc_pyroscope_url(&t, &p);
	assert_string_equal(url, "http://h:4040/ingest?name=my.app%7B%7D&from=1700000000&until="
				 "1700000010&format=pprof&spyName=scorch");
	free(url);
	t.app = "a{b";
	assert_null(sc_pyroscope_url(&t, &p));
	assert_int_equal(errno, EINVAL);
	t.app = NULL;
	assert_null(sc_pyroscope_url(&t, &p));
}

static void test_pyroscope_body(void **state)
{
	(void)state;
	sc_push_target t = {SC_PUSH_PYROSCOPE, "http://h", "app", NULL, 0};
	sc_push_profile p = {fake_profile, sizeof(fake_profile), 1, 2, 0};
	sc_push_request req;
	assert_int_equal(sc_push_request_build(&t, &p, &req), 0);
	const char *b = strstr(req.content_type, "boundary=");
	assert_non_null(b);
	b += 9;
	char head[256];
	int len = snprintf(head, sizeof(head),
			   "--%s\r\nContent-Disposition: form-data; name=\"profile\"; "
			   "filename=\"profile.pb.gz\"\r\nContent-Type: application/octet-stream"
			   "\r\n\r\n",
			   b);
	assert_true(req.n == (size_t)len + sizeof(fake_profile) + strlen(b) + 8);
	assert_memory_equal(req.body, head, (size_t)len);
	assert_memory_equal(req.body + len, fake_profile, sizeof(fake_profile));
	assert_memory_equal(req.body + len + sizeof(fake_profile), "\r\n--", 4);
	assert_false(req.grpc);
	assert_false(req.http2);
	sc_push_request_release(&req);
}

static void test_pyroscope_config(void **state)
{
	(void)state;
	const char *types[] = {"alloc_objects", "inuse_space", "cpu", "samples", "kernels"};
	const char *units[] = {"count", "bytes", "nanoseconds", "count", "count"};
	char *json = sc_pyroscope_sample_type_config(types, units, 5);
	assert_string_equal(
	    json,
	    "{\"alloc_objects\":{\"units\":\"objects\",\"aggregation\":\"sum\",\"display-name\":"
	    "\"alloc_objects\",\"sampled\":false},\"inuse_space\":{\"units\":\"bytes\","
	    "\"aggregation\":\"average\",\"display-name\":\"inuse_space\",\"sampled\":false},"
	    "\"cpu\":{\"units\":\"samples\",\"aggregation\":\"sum\",\"display-name\":\"cpu\","
	    "\"sampled\":true},\"samples\":{\"units\":\"samples\",\"aggregation\":\"sum\","
	    "\"display-name\":\"samples\",\"sampled\":true},\"kernels\":{\"units\":\"samples\","
	    "\"aggregation\":\"sum\",\"display-name\":\"kernels\",\"sampled\":false}}");
	free(json);
	/* The form gets a second field holding it. */
	sc_push_target t = {SC_PUSH_PYROSCOPE, "http://h", "app", NULL, 0};
	sc_push_profile p = {fake_profile, sizeof(fake_profile), 1, 2, 0, "{\"x\":1}"};
	sc_push_request req;
	assert_int_equal(sc_push_request_build(&t, &p, &req), 0);
	const char *b = strstr(req.content_type, "boundary=") + 9;
	char tail[512];
	int len =
	    snprintf(tail, sizeof(tail),
		     "\r\n--%s\r\nContent-Disposition: form-data; name=\"sample_type_config\"; "
		     "filename=\"sample_type_config.json\"\r\nContent-Type: application/json"
		     "\r\n\r\n{\"x\":1}\r\n--%s--\r\n",
		     b, b);
	assert_true(req.n > (size_t)len);
	assert_memory_equal(req.body + req.n - (size_t)len, tail, (size_t)len);
	sc_push_request_release(&req);
}

static void test_parca_frame(void **state)
{
	(void)state;
	sc_push_target t = {SC_PUSH_PARCA, "http://h:7070/", NULL, two_labels, 2};
	sc_push_profile p = {fake_profile, sizeof(fake_profile), 1, 2, 0};
	sc_push_request req;
	assert_int_equal(sc_push_request_build(&t, &p, &req), 0);
	assert_string_equal(
	    req.url, "http://h:7070/parca.profilestore.v1alpha1.ProfileStoreService/WriteRaw");
	assert_string_equal(req.content_type, "application/grpc+proto");
	assert_true(req.http2 && req.grpc && !req.grpc_web);
	assert_true(req.n > 5);
	assert_int_equal(req.body[0], 0);
	size_t len = (size_t)req.body[1] << 24 | (size_t)req.body[2] << 16 |
		     (size_t)req.body[3] << 8 | req.body[4];
	assert_int_equal(len, req.n - 5);
	Parca__Profilestore__V1alpha1__WriteRawRequest *m =
	    parca__profilestore__v1alpha1__write_raw_request__unpack(NULL, len, req.body + 5);
	assert_non_null(m);
	assert_int_equal(m->n_series, 1);
	Parca__Profilestore__V1alpha1__RawProfileSeries *s = m->series[0];
	assert_int_equal(s->labels->n_labels, 2);
	/* Sorted by name. */
	assert_string_equal(s->labels->labels[0]->name, "env");
	assert_string_equal(s->labels->labels[0]->value, "test 1");
	assert_string_equal(s->labels->labels[1]->name, "service");
	assert_int_equal(s->n_samples, 1);
	assert_int_equal(s->samples[0]->raw_profile.len, sizeof(fake_profile));
	assert_memory_equal(s->samples[0]->raw_profile.data, fake_profile, sizeof(fake_profile));
	assert_false(m->normalized);
	parca__profilestore__v1alpha1__write_raw_request__free_unpacked(m, NULL);
	sc_push_request_release(&req);

	t.server = SC_PUSH_PARCA_WEB;
	assert_int_equal(sc_push_request_build(&t, &p, &req), 0);
	assert_string_equal(req.content_type, "application/grpc-web+proto");
	assert_true(!req.http2 && req.grpc && req.grpc_web);
	sc_push_request_release(&req);
}

static size_t frame(uint8_t *out, uint8_t flag, const char *text)
{
	size_t n = strlen(text);
	out[0] = flag;
	out[1] = (uint8_t)(n >> 24);
	out[2] = (uint8_t)(n >> 16);
	out[3] = (uint8_t)(n >> 8);
	out[4] = (uint8_t)n;
	memcpy(out + 5, text, n);
	return n + 5;
}

static void test_grpc_web_status(void **state)
{
	(void)state;
	uint8_t body[256];
	char msg[64];
	size_t n = frame(body, 0, "");
	n += frame(body + n, 0x80, "grpc-status: 3\r\ngrpc-message: bad%20labels\r\n");
	assert_int_equal(sc_parca_web_status(body, n, msg, sizeof(msg)), 3);
	assert_string_equal(msg, "bad labels");
	/* A message ending in a cut escape stays as it is (nothing read past the frame). */
	n = frame(body, 0x80, "grpc-status: 13\r\ngrpc-message: 50%25 %4");
	assert_int_equal(sc_parca_web_status(body, n, msg, sizeof(msg)), 13);
	assert_string_equal(msg, "50% %4");
	n = frame(body, 0x80, "Grpc-Status:0\r\n");
	assert_int_equal(sc_parca_web_status(body, n, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	/* No trailer frame; a frame longer than the body; a status that is not a number. */
	n = frame(body, 0, "xyz");
	assert_int_equal(sc_parca_web_status(body, n, msg, sizeof(msg)), -ENOENT);
	assert_int_equal(sc_parca_web_status(body, n - 1, msg, sizeof(msg)), -EINVAL);
	n = frame(body, 0x80, "grpc-status: x\r\n");
	assert_int_equal(sc_parca_web_status(body, n, msg, sizeof(msg)), -EINVAL);
}

static void test_labels(void **state)
{
	(void)state;
	assert_int_equal(sc_push_check_label("env", "prod"), 0);
	assert_int_equal(sc_push_check_label("__name__", "process_cpu"), 0);
	assert_int_equal(sc_push_check_label("a.b_2", ""), 0);
	assert_int_equal(sc_push_check_label("2a", "x"), -EINVAL);
	assert_int_equal(sc_push_check_label("a-b", "x"), -EINVAL);
	assert_int_equal(sc_push_check_label("", "x"), -EINVAL);
	assert_int_equal(sc_push_check_label("a", "x,y"), -EINVAL);
	assert_int_equal(sc_push_check_label("a", "x}"), -EINVAL);
	assert_int_equal(sc_push_check_label("a", "x\ny"), -EINVAL);
	sc_push_label bad[] = {{"a", "b=c"}};
	sc_push_target t = {SC_PUSH_PARCA, "http://h", NULL, bad, 1};
	sc_push_profile p = {fake_profile, sizeof(fake_profile), 1, 2, 0};
	sc_push_request req;
	assert_int_equal(sc_push_request_build(&t, &p, &req), -EINVAL);
	assert_null(req.url);
}

static void test_check(void **state)
{
	(void)state;
	sc_push_request http = {0}, grpc = {.grpc = true}, web = {.grpc = true, .grpc_web = true};
	sc_push_response res = {.status = 204, .grpc_status = -1};
	assert_int_equal(sc_push_check(&http, &res), 0);
	res.status = 400;
	assert_int_equal(sc_push_check(&http, &res), -EPROTO);
	res.status = 200;
	/* gRPC without a status is no success; with 0 it is. */
	assert_int_equal(sc_push_check(&grpc, &res), -EPROTO);
	res.grpc_status = 0;
	assert_int_equal(sc_push_check(&grpc, &res), 0);
	uint8_t body[64];
	res.grpc_status = -1;
	res.body = body;
	res.n = frame(body, 0x80, "grpc-status: 7\r\n");
	assert_int_equal(sc_push_check(&web, &res), -EPROTO);
	assert_int_equal(res.grpc_status, 7);
	res.grpc_status = -1;
	res.n = frame(body, 0x80, "grpc-status: 0\r\n");
	assert_int_equal(sc_push_check(&web, &res), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pyroscope_url),
	    cmocka_unit_test(test_pyroscope_body),
	    cmocka_unit_test(test_pyroscope_config),
	    cmocka_unit_test(test_parca_frame),
	    cmocka_unit_test(test_grpc_web_status),
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

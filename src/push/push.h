/*
 * push.h: uploading pprof profiles to the continuous-profiling servers people already run.
 *
 * Two servers, one flow: a target (which server, its URL, the app name and labels) and a profile
 * (its bytes, its kind, its time range) become one sc_push_request (URL, headers, body), built
 * without any network traffic so that --dry-run can show it and the unit tests can check it; then
 * sc_push_post (http.c, libcurl) sends it with timeouts and retries, and sc_push_check says
 * whether the server took it.
 *
 *   Grafana Pyroscope   POST URL/ingest?name=APP{labels}&from=S&until=S&format=pprof&spyName=scorch
 *                       &sampleRate=HZ, body multipart/form-data with the file in the field
 *                       "profile" (pyroscope.c). Pyroscope appends each sample type's name to APP.
 *   Parca               the gRPC method parca.profilestore.v1alpha1.ProfileStoreService/WriteRaw:
 *                       one series (a label set, the raw profile bytes) in a WriteRawRequest
 *                       (parca.proto, protobuf-c) framed as gRPC (5-byte prefix), over HTTP/2
 *                       (h2c with prior knowledge for http://, ALPN for https://) or as gRPC-Web
 *                       over HTTP/1.1 (parca.c). The grpc-status trailer decides success.
 *
 * Library code: returns 0 or -errno and never prints; retries are announced through a callback.
 * Not here: reading and validating the files, choosing labels from a profile (src/cli/push.c).
 */
#ifndef SC_PUSH_PUSH_H
#define SC_PUSH_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sc_push_server {
	SC_PUSH_PYROSCOPE,
	SC_PUSH_PARCA,	   /* gRPC over HTTP/2 */
	SC_PUSH_PARCA_WEB, /* gRPC-Web over HTTP/1.1 (or whatever the server offers) */
};

typedef struct sc_push_label {
	const char *name, *value; /* borrowed */
} sc_push_label;

/* Where profiles go. All strings are borrowed. */
typedef struct sc_push_target {
	enum sc_push_server server;
	const char *url; /* the server's base URL, e.g. http://host:4040 (a trailing / is fine) */
	const char *app; /* Pyroscope: the application name (required); Parca: unused */
	const sc_push_label *labels;
	size_t nlabels;
} sc_push_target;

/* One profile to send: `data` is a pprof file (gzip-compressed or not), borrowed. */
typedef struct sc_push_profile {
	const void *data;
	size_t n;
	int64_t from, until; /* UNIX seconds: the time the profile covers */
	int sample_rate;     /* Hz, 0 when unknown (Pyroscope reads the period from the file) */
	const char
	    *sample_type_config; /* Pyroscope: JSON for the form field of that name, or NULL */
} sc_push_profile;

/* A request ready to send; all of it owned (sc_push_request_release frees it). */
typedef struct sc_push_request {
	char *url;
	char *content_type;
	char **headers; /* extra "Name: value" lines, NULL-terminated, may be NULL */
	uint8_t *body;
	size_t n;
	bool http2;    /* gRPC: HTTP/2 required (prior knowledge for http://) */
	bool grpc;     /* the answer is a gRPC one: check grpc-status */
	bool grpc_web; /* ... carried in the body's trailer frame */
} sc_push_request;

/* Checks a label name for both servers: [A-Za-z_][A-Za-z0-9_.]*, as Pyroscope's and
 * Prometheus' label names (dots for Pyroscope's own "__session_id__"-like names). Values may not
 * hold the characters Pyroscope's name syntax uses: '{', '}', ',', '=', nor control characters.
 * Returns 0 or -EINVAL. */
int sc_push_check_label(const char *name, const char *value);

/* Builds the request for `profile` to `target`. Returns 0, -EINVAL (no app name for Pyroscope,
 * a bad label, an empty URL) or -ENOMEM; *req is empty after a failure. */
int sc_push_request_build(const sc_push_target *target, const sc_push_profile *profile,
			  sc_push_request *req);
void sc_push_request_release(sc_push_request *req);

/* pyroscope.c: the pieces, for the tests. */
/* The /ingest URL (malloc'ed, NULL on -ENOMEM/-EINVAL with errno set). */
char *sc_pyroscope_url(const sc_push_target *target, const sc_push_profile *profile);
/* The multipart/form-data body holding `profile` in the field "profile" (and its
 * sample_type_config, when set, in the field of that name), with `boundary`. Returns 0 or -ENOMEM.
 */
int sc_pyroscope_body(const sc_push_profile *profile, const char *boundary, uint8_t **out,
		      size_t *n);

/* Pyroscope's "sample type configuration" for a file's sample types (types[i] in units[i]), a
 * JSON object with one member per type: units "bytes" for bytes, "objects" for counts of
 * objects (a type ending in "_objects"), else "samples"; aggregation "average" for what is in
 * use at a moment (a type starting with "inuse"), else "sum"; display-name the type; sampled
 * true for time (nanoseconds) and sample counts, false for memory. Without it Pyroscope knows
 * only Go's own types (cpu, alloc_*, inuse_*); scorch's heap and GPU types need it. Returns a
 * malloc'ed string, or NULL with errno ENOMEM. */
char *sc_pyroscope_sample_type_config(const char *const *types, const char *const *units, size_t n);

/* parca.c: the gRPC message: a 5-byte prefix (0 = not compressed, then the length, big-endian)
 * and a WriteRawRequest with one series (the labels sorted by name, the raw profile). */
int sc_parca_frame(const sc_push_target *target, const sc_push_profile *profile, uint8_t **out,
		   size_t *n);
/* The path of the method, appended to the base URL. */
#define SC_PARCA_WRITERAW_PATH "/parca.profilestore.v1alpha1.ProfileStoreService/WriteRaw"
/* Finds grpc-status (and grpc-message) in a gRPC-Web response body: the frame whose flag has bit
 * 0x80 holds the trailers as "name: value\r\n" lines. Returns the status (>= 0), or -ENOENT
 * when there is no trailer frame, -EINVAL when the frames do not add up. `msg` gets the
 * grpc-message (percent-decoded) or "". */
int sc_parca_web_status(const uint8_t *body, size_t n, char *msg, size_t msgsize);

/* http.c: the client. */
typedef struct sc_push_client {
	double timeout;		/* seconds for the whole request (0: 30) */
	double connect_timeout; /* seconds to connect (0: 10) */
	int attempts;		/* tries in all (0: 3) */
	double backoff;		/* seconds before the first retry, doubled after each (0: 0.5) */
	bool insecure;		/* skip TLS certificate and host checks */
	const char *user_agent; /* NULL: "scorch" */
	const char *const *headers; /* "Name: value" lines added to every request, or NULL */
	size_t nheaders;
	/* Called before each retry (attempt counts from 1) with why the last try failed. */
	void (*on_retry)(void *ctx, int attempt, int attempts, double delay, const char *why);
	void *ctx;
} sc_push_client;

/* What came back. All owned; sc_push_response_release frees it. */
typedef struct sc_push_response {
	long status;   /* HTTP status, 0 when no answer came */
	uint8_t *body; /* NUL-terminated (the NUL is not counted in n) */
	size_t n;
	int grpc_status; /* from the headers or trailers, -1 when none */
	char grpc_message[256];
	char error[256]; /* the transport's error when status is 0 */
	int tries;
} sc_push_response;

/* Calls curl_global_init once (not thread-safe: call it from main before threads). */
int sc_push_global_init(void);

/* Sends `req`, retrying connection failures, timeouts, 5xx and 429 answers `attempts` times in
 * all with a doubling pause. Returns 0 when an answer came (any status: see sc_push_check),
 * -EHOSTUNREACH/-ETIMEDOUT/-ECONNREFUSED/-EIO when none did (res->error says why), -ENOMEM. */
int sc_push_post(const sc_push_client *client, const sc_push_request *req, sc_push_response *res);
void sc_push_response_release(sc_push_response *res);

/* Whether the server took the profile: HTTP 2xx, and for gRPC grpc-status 0 (from the headers,
 * the trailers, or the gRPC-Web trailer frame, which this fills in). Returns 0 or -EPROTO. */
int sc_push_check(const sc_push_request *req, sc_push_response *res);

#endif

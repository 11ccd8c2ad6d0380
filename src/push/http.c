/*
 * http.c: sending a push request with libcurl: timeouts, retries with a doubling pause, TLS
 * verification on unless asked otherwise, HTTP/2 for gRPC (prior knowledge on http://, ALPN on
 * https://), and the gRPC status picked from the answer's headers or trailers (libcurl hands
 * HTTP/2 trailers to the header callback like headers).
 *
 * Retried: no connection, a timeout, a connection that broke, 5xx and 429 answers. Not retried:
 * other 4xx answers (the request itself is wrong), TLS verification failures, bad URLs.
 * Not here: building the requests (pyroscope.c, parca.c), printing (src/cli).
 */
#include "push/push.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Keep at most this much of an answer's body: enough for any error message. */
#define BODY_MAX (1u << 20)

int sc_push_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

void sc_push_response_release(sc_push_response *res)
{
	if (!res)
		return;
	free(res->body);
	memset(res, 0, sizeof(*res));
	res->grpc_status = -1;
}

struct sink {
	sc_push_response *res;
	size_t cap;
	bool oom;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;
	size_t n = size * nmemb, keep = n;
	if (s->res->n + keep > BODY_MAX)
		keep = BODY_MAX - s->res->n;
	if (s->res->n + keep + 1 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		while (cap < s->res->n + keep + 1)
			cap *= 2;
		uint8_t *b = realloc(s->res->body, cap);
		if (!b) {
			s->oom = true;
			return 0;
		}
		s->res->body = b;
		s->cap = cap;
	}
	memcpy(s->res->body + s->res->n, data, keep);
	s->res->n += keep;
	s->res->body[s->res->n] = 0;
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	sc_push_response *res = ctx;
	size_t n = size * nmemb;
	char line[512];
	size_t len = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
	memcpy(line, data, len);
	line[len] = 0;
	line[strcspn(line, "\r\n")] = 0;
	if (!strncasecmp(line, "grpc-status:", 12)) {
		char *e;
		long s = strtol(line + 12, &e, 10);
		if (e != line + 12)
			res->grpc_status = (int)s;
	} else if (!strncasecmp(line, "grpc-message:", 13)) {
		const char *v = line + 13;
		while (*v == ' ')
			v++;
		size_t vl = strlen(v);
		if (vl >= sizeof(res->grpc_message))
			vl = sizeof(res->grpc_message) - 1;
		memcpy(res->grpc_message, v, vl);
		res->grpc_message[vl] = 0;
	}
	return n;
}

static bool transient(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static int errno_of(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static void pause_for(double seconds)
{
	struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One try: 0 when an answer came, else the curl code's errno with res->error set. */
static int try_once(CURL *h, const sc_push_client *c, const sc_push_request *req,
		    sc_push_response *res)
{
	struct curl_slist *hdrs = NULL, *next;
	char ct[300];
	snprintf(ct, sizeof(ct), "Content-Type: %s", req->content_type);
	int r = -ENOMEM;
	/* "Expect:" (empty) stops libcurl's 100-continue round trip on large bodies. */
	if (!(next = curl_slist_append(hdrs, ct)))
		goto out;
	hdrs = next;
	if (!(next = curl_slist_append(hdrs, "Expect:")))
		goto out;
	hdrs = next;
	for (char **x = req->headers; x && *x; x++) {
		if (!(next = curl_slist_append(hdrs, *x)))
			goto out;
		hdrs = next;
	}
	for (size_t i = 0; i < c->nheaders; i++) {
		if (!(next = curl_slist_append(hdrs, c->headers[i])))
			goto out;
		hdrs = next;
	}
	struct sink sink = {res, 0, false};
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)req->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->n);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent ? c->user_agent : "scorch");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)((c->timeout > 0 ? c->timeout : 30) * 1000));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)((c->connect_timeout > 0 ? c->connect_timeout : 10) * 1000));
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, res);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
			 req->http2 ? (strncasecmp(req->url, "https:", 6)
					   ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
					   : CURL_HTTP_VERSION_2TLS)
				    : CURL_HTTP_VERSION_1_1);
	if (c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	CURLcode code = curl_easy_perform(h);
	if (sink.oom) {
		r = -ENOMEM;
		goto out;
	}
	if (code != CURLE_OK) {
		snprintf(res->error, sizeof(res->error), "%s",
			 *errbuf ? errbuf : curl_easy_strerror(code));
		res->status = 0;
		r = errno_of(code);
		if (!transient(code))
			r = r == -EIO ? -EPROTO : r; /* marks "do not retry" for the caller */
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
	r = 0;
out:
	curl_slist_free_all(hdrs);
	return r;
}

int sc_push_post(const sc_push_client *c, const sc_push_request *req, sc_push_response *res)
{
	memset(res, 0, sizeof(*res));
	res->grpc_status = -1;
	CURL *h = curl_easy_init();
	if (!h)
		return -ENOMEM;
	int attempts = c->attempts > 0 ? c->attempts : 3;
	double delay = c->backoff > 0 ? c->backoff : 0.5;
	int r = 0;
	for (int i = 1;; i++) {
		free(res->body);
		memset(res, 0, sizeof(*res));
		res->grpc_status = -1;
		res->tries = i;
		r = try_once(h, c, req, res);
		if (r == -ENOMEM || r == -EPROTO)
			break;
		bool again = r < 0 || res->status >= 500 || res->status == 429;
		if (!again || i >= attempts)
			break;
		char why[320];
		if (r < 0)
			snprintf(why, sizeof(why), "%s", res->error);
		else
			snprintf(why, sizeof(why), "HTTP %ld", res->status);
		if (c->on_retry)
			c->on_retry(c->ctx, i, attempts, delay, why);
		pause_for(delay);
		delay *= 2;
	}
	curl_easy_cleanup(h);
	if (r == -EPROTO && res->status == 0)
		r = -EIO;
	return r;
}

/*
 * push.c: from a target and a profile to a request (which server wants what), and whether the
 * answer means the server took it. The wire formats are in pyroscope.c and parca.c, the sending
 * in http.c; the contract is in push.h.
 */
#include "push/push.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sc_push_check_label(const char *name, const char *value)
{
	if (!name || !value || !*name)
		return -EINVAL;
	for (const char *c = name; *c; c++) {
		bool alpha = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || *c == '_';
		bool digit = (*c >= '0' && *c <= '9') || *c == '.';
		if (!alpha && (c == name || !digit))
			return -EINVAL;
	}
	for (const unsigned char *c = (const unsigned char *)value; *c; c++)
		if (*c < 0x20 || *c == 0x7f || strchr("{},=", *c))
			return -EINVAL;
	return 0;
}

void sc_push_request_release(sc_push_request *req)
{
	if (!req)
		return;
	free(req->url);
	free(req->content_type);
	for (char **h = req->headers; h && *h; h++)
		free(*h);
	free(req->headers);
	free(req->body);
	memset(req, 0, sizeof(*req));
}

static char *url_with(const char *base, const char *path)
{
	size_t len = strlen(base);
	while (len && base[len - 1] == '/')
		len--;
	char *s = NULL;
	if (asprintf(&s, "%.*s%s", (int)len, base, path) < 0)
		return NULL;
	return s;
}

static int build_pyroscope(const sc_push_target *t, const sc_push_profile *p, sc_push_request *req)
{
	/* A boundary that cannot occur in the profile: random, then checked. */
	char boundary[48];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned seed = (unsigned)ts.tv_nsec ^ (unsigned)ts.tv_sec;
	for (;;) {
		snprintf(boundary, sizeof(boundary), "scorch-%08x%08x", rand_r(&seed),
			 rand_r(&seed));
		if (!memmem(p->data, p->n, boundary, strlen(boundary)))
			break;
	}
	req->url = sc_pyroscope_url(t, p);
	if (!req->url)
		return -errno;
	if (asprintf(&req->content_type, "multipart/form-data; boundary=%s", boundary) < 0) {
		req->content_type = NULL;
		return -ENOMEM;
	}
	return sc_pyroscope_body(p, boundary, &req->body, &req->n);
}

static int build_parca(const sc_push_target *t, const sc_push_profile *p, sc_push_request *req)
{
	bool web = t->server == SC_PUSH_PARCA_WEB;
	req->url = url_with(t->url, SC_PARCA_WRITERAW_PATH);
	req->content_type = strdup(web ? "application/grpc-web+proto" : "application/grpc+proto");
	req->headers = calloc(3, sizeof(char *));
	if (!req->url || !req->content_type || !req->headers)
		return -ENOMEM;
	/* gRPC over HTTP/2 wants "te: trailers"; gRPC-Web asks for the binary answer form. */
	req->headers[0] = strdup(web ? "X-Grpc-Web: 1" : "TE: trailers");
	if (!req->headers[0])
		return -ENOMEM;
	req->grpc = true;
	req->grpc_web = web;
	req->http2 = !web;
	return sc_parca_frame(t, p, &req->body, &req->n);
}

int sc_push_request_build(const sc_push_target *target, const sc_push_profile *profile,
			  sc_push_request *req)
{
	memset(req, 0, sizeof(*req));
	if (!target->url || !*target->url)
		return -EINVAL;
	int r = target->server == SC_PUSH_PYROSCOPE ? build_pyroscope(target, profile, req)
						    : build_parca(target, profile, req);
	if (r < 0)
		sc_push_request_release(req);
	return r;
}

int sc_push_check(const sc_push_request *req, sc_push_response *res)
{
	if (res->status < 200 || res->status > 299)
		return -EPROTO;
	if (!req->grpc)
		return 0;
	if (res->grpc_status < 0 && req->grpc_web) {
		char msg[sizeof(res->grpc_message)];
		int s = sc_parca_web_status(res->body, res->n, msg, sizeof(msg));
		if (s >= 0) {
			res->grpc_status = s;
			memcpy(res->grpc_message, msg, sizeof(msg));
		}
	}
	return res->grpc_status == 0 ? 0 : -EPROTO;
}

/*
 * parca.c: the gRPC request Parca's profile store takes, and reading its gRPC-Web answer.
 *
 * Request: the WriteRawRequest of parca.proto with one series: its labels (sorted by name, as
 * Prometheus-style label sets are) and one sample whose raw_profile is the file's bytes as they
 * are; `normalized` false. gRPC frames a message with 5 bytes: a flag (0: not compressed) and
 * the length, big-endian. The same frame is the body of a gRPC-Web request.
 *
 * gRPC-Web answer (grpc/doc/PROTOCOL-WEB.md): the body is frames too; a frame whose flag has
 * bit 0x80 holds the trailers as HTTP/1 header lines ("grpc-status: 0\r\n"). Over HTTP/2 the
 * trailers are real HTTP trailers, which http.c reads.
 * Not here: sending (http.c), the Parca labels' defaults (src/cli/push.c).
 */
#include "push/parca.pb-c.h"
#include "push/push.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int by_name(const void *a, const void *b)
{
	const sc_push_label *x = *(const sc_push_label *const *)a;
	const sc_push_label *y = *(const sc_push_label *const *)b;
	return strcmp(x->name, y->name);
}

int sc_parca_frame(const sc_push_target *target, const sc_push_profile *profile, uint8_t **out,
		   size_t *n)
{
	for (size_t i = 0; i < target->nlabels; i++)
		if (sc_push_check_label(target->labels[i].name, target->labels[i].value) < 0)
			return -EINVAL;
	int r = -ENOMEM;
	size_t nl = target->nlabels;
	const sc_push_label **sorted = calloc(nl ? nl : 1, sizeof(*sorted));
	Parca__Profilestore__V1alpha1__Label *labels = calloc(nl ? nl : 1, sizeof(*labels));
	Parca__Profilestore__V1alpha1__Label **lp = calloc(nl ? nl : 1, sizeof(*lp));
	uint8_t *buf = NULL;
	if (!sorted || !labels || !lp)
		goto out;
	for (size_t i = 0; i < nl; i++)
		sorted[i] = &target->labels[i];
	qsort(sorted, nl, sizeof(*sorted), by_name);
	for (size_t i = 0; i < nl; i++) {
		parca__profilestore__v1alpha1__label__init(&labels[i]);
		labels[i].name = (char *)sorted[i]->name;
		labels[i].value = (char *)sorted[i]->value;
		lp[i] = &labels[i];
	}
	Parca__Profilestore__V1alpha1__LabelSet set;
	parca__profilestore__v1alpha1__label_set__init(&set);
	set.n_labels = nl;
	set.labels = lp;
	Parca__Profilestore__V1alpha1__RawSample sample, *samples[1] = {&sample};
	parca__profilestore__v1alpha1__raw_sample__init(&sample);
	sample.raw_profile.data = (uint8_t *)profile->data;
	sample.raw_profile.len = profile->n;
	Parca__Profilestore__V1alpha1__RawProfileSeries series, *sp[1] = {&series};
	parca__profilestore__v1alpha1__raw_profile_series__init(&series);
	series.labels = &set;
	series.n_samples = 1;
	series.samples = samples;
	Parca__Profilestore__V1alpha1__WriteRawRequest req;
	parca__profilestore__v1alpha1__write_raw_request__init(&req);
	req.n_series = 1;
	req.series = sp;
	size_t len = parca__profilestore__v1alpha1__write_raw_request__get_packed_size(&req);
	if (len > 0xffffffffu) {
		r = -EFBIG;
		goto out;
	}
	buf = malloc(len + 5);
	if (!buf)
		goto out;
	buf[0] = 0;
	buf[1] = (uint8_t)(len >> 24);
	buf[2] = (uint8_t)(len >> 16);
	buf[3] = (uint8_t)(len >> 8);
	buf[4] = (uint8_t)len;
	parca__profilestore__v1alpha1__write_raw_request__pack(&req, buf + 5);
	*out = buf;
	*n = len + 5;
	buf = NULL;
	r = 0;
out:
	free(buf);
	free(lp);
	free(labels);
	free(sorted);
	return r;
}

static int hex(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* Percent-decodes grpc-message (the gRPC spec encodes it so) into `msg`; `s` is not
 * NUL-terminated, so nothing here may read past len. */
static void decode_message(const char *s, size_t len, char *msg, size_t msgsize)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < msgsize; i++) {
		int hi = s[i] == '%' && i + 2 < len ? hex(s[i + 1]) : -1;
		int lo = hi >= 0 ? hex(s[i + 2]) : -1;
		if (lo >= 0) {
			msg[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			msg[o++] = s[i];
		}
	}
	msg[o] = 0;
}

int sc_parca_web_status(const uint8_t *body, size_t n, char *msg, size_t msgsize)
{
	if (msgsize)
		msg[0] = 0;
	size_t at = 0;
	while (at < n) {
		if (n - at < 5)
			return -EINVAL;
		uint8_t flag = body[at];
		size_t len = (size_t)body[at + 1] << 24 | (size_t)body[at + 2] << 16 |
			     (size_t)body[at + 3] << 8 | body[at + 4];
		at += 5;
		if (len > n - at)
			return -EINVAL;
		if (flag & 0x80) {
			const char *p = (const char *)body + at, *end = p + len;
			int status = -ENOENT;
			while (p < end) {
				const char *eol = memchr(p, '\n', (size_t)(end - p));
				const char *stop = eol ? eol : end;
				const char *colon = memchr(p, ':', (size_t)(stop - p));
				if (colon) {
					size_t nlen = (size_t)(colon - p);
					const char *v = colon + 1;
					while (v < stop && *v == ' ')
						v++;
					size_t vlen = (size_t)(stop - v);
					while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
						vlen--;
					if (nlen == 11 && !strncasecmp(p, "grpc-status", 11)) {
						char num[16] = {0};
						memcpy(num, v, vlen < 15 ? vlen : 15);
						char *e;
						long s = strtol(num, &e, 10);
						if (e == num || *e || s < 0 || s > 1000)
							return -EINVAL;
						status = (int)s;
					} else if (nlen == 12 &&
						   !strncasecmp(p, "grpc-message", 12) && msgsize) {
						decode_message(v, vlen, msg, msgsize);
					}
				}
				p = eol ? eol + 1 : end;
			}
			return status;
		}
		at += len;
	}
	return -ENOENT;
}

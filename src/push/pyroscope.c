/*
 * pyroscope.c: the request Grafana Pyroscope's ingest API takes for a pprof file.
 *
 *   POST BASE/ingest?name=APP%7Bk%3Dv%2C...%7D&from=S&until=S&format=pprof&spyName=scorch
 *        &sampleRate=HZ
 *   Content-Type: multipart/form-data; boundary=B
 *   --B / Content-Disposition: form-data; name="profile"; filename="profile.pb.gz" / the file
 *
 * The name carries the labels in braces (APP{k=v,k2=v2}); with format=pprof, Pyroscope appends
 * each sample type to APP itself and ignores units and aggregation, reading them from the file's
 * sample types. `from` and `until` are UNIX seconds. Written from Pyroscope's server API docs.
 * Not here: sending (http.c), choosing the labels (src/cli/push.c).
 */
#include "push/push.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Percent-encodes everything but RFC 3986's unreserved characters. */
static int add_escaped(sc_strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int r;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			r = sc_strbuf_addc(sb, (char)c);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			r = sc_strbuf_add(sb, e, 3);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

char *sc_pyroscope_url(const sc_push_target *target, const sc_push_profile *profile)
{
	if (!target->url || !*target->url || !target->app || !*target->app ||
	    strpbrk(target->app, "{},= ")) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < target->nlabels; i++)
		if (sc_push_check_label(target->labels[i].name, target->labels[i].value) < 0) {
			errno = EINVAL;
			return NULL;
		}
	sc_strbuf name = {0}, sb = {0};
	int r = sc_strbuf_adds(&name, target->app);
	r = r ?: sc_strbuf_addc(&name, '{');
	for (size_t i = 0; i < target->nlabels && !r; i++)
		r = sc_strbuf_addf(&name, "%s%s=%s", i ? "," : "", target->labels[i].name,
				   target->labels[i].value);
	r = r ?: sc_strbuf_addc(&name, '}');
	size_t len = strlen(target->url);
	while (len && target->url[len - 1] == '/')
		len--;
	r = r ?: sc_strbuf_add(&sb, target->url, len);
	r = r ?: sc_strbuf_adds(&sb, "/ingest?name=");
	r = r ?: add_escaped(&sb, sc_strbuf_cstr(&name));
	r = r
		?: sc_strbuf_addf(&sb, "&from=%" PRId64 "&until=%" PRId64, profile->from,
				  profile->until);
	r = r ?: sc_strbuf_adds(&sb, "&format=pprof&spyName=scorch");
	if (profile->sample_rate > 0)
		r = r ?: sc_strbuf_addf(&sb, "&sampleRate=%d", profile->sample_rate);
	sc_strbuf_release(&name);
	if (r < 0) {
		sc_strbuf_release(&sb);
		errno = -r;
		return NULL;
	}
	return sc_strbuf_detach(&sb);
}

int sc_pyroscope_body(const sc_push_profile *profile, const char *boundary, uint8_t **out,
		      size_t *n)
{
	sc_strbuf sb = {0};
	int r = sc_strbuf_addf(&sb,
			       "--%s\r\n"
			       "Content-Disposition: form-data; name=\"profile\"; "
			       "filename=\"profile.pb.gz\"\r\n"
			       "Content-Type: application/octet-stream\r\n\r\n",
			       boundary);
	r = r ?: sc_strbuf_add(&sb, profile->data, profile->n);
	if (profile->sample_type_config)
		r = r
			?: sc_strbuf_addf(
			       &sb,
			       "\r\n--%s\r\n"
			       "Content-Disposition: form-data; name=\"sample_type_config\"; "
			       "filename=\"sample_type_config.json\"\r\n"
			       "Content-Type: application/json\r\n\r\n%s",
			       boundary, profile->sample_type_config);
	r = r ?: sc_strbuf_addf(&sb, "\r\n--%s--\r\n", boundary);
	if (r < 0) {
		sc_strbuf_release(&sb);
		return r;
	}
	*n = sb.len;
	*out = (uint8_t *)sc_strbuf_detach(&sb);
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

char *sc_pyroscope_sample_type_config(const char *const *types, const char *const *units, size_t n)
{
	sc_strbuf sb = {0};
	int r = sc_strbuf_addc(&sb, '{');
	for (size_t i = 0; i < n && !r; i++) {
		const char *t = types[i], *u = units[i];
		bool bytes = !strcmp(u, "bytes");
		bool objects = !bytes && ends_with(t, "_objects");
		bool sampled = !strcmp(u, "nanoseconds") || !strcmp(t, "samples");
		r = sc_strbuf_adds(&sb, i ? ",\"" : "\"");
		r = r ?: sc_strbuf_add_json(&sb, t);
		r = r
			?: sc_strbuf_addf(&sb, "\":{\"units\":\"%s\",\"aggregation\":\"%s\",",
					  bytes	    ? "bytes"
					  : objects ? "objects"
						    : "samples",
					  !strncmp(t, "inuse", 5) ? "average" : "sum");
		r = r ?: sc_strbuf_adds(&sb, "\"display-name\":\"");
		r = r ?: sc_strbuf_add_json(&sb, t);
		r = r ?: sc_strbuf_addf(&sb, "\",\"sampled\":%s}", sampled ? "true" : "false");
	}
	r = r ?: sc_strbuf_addc(&sb, '}');
	if (r < 0) {
		sc_strbuf_release(&sb);
		errno = ENOMEM;
		return NULL;
	}
	return sc_strbuf_detach(&sb);
}

/* strbuf.c: see strbuf.h. */
#include "util/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sc_strbuf_release(sc_strbuf *sb)
{
	if (!sb)
		return;
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

int sc_strbuf_grow(sc_strbuf *sb, size_t extra)
{
	if (sb->len + extra + 1 <= sb->cap)
		return 0;
	size_t ncap = sb->cap ? sb->cap : 64;
	while (ncap < sb->len + extra + 1)
		ncap *= 2;
	char *p = realloc(sb->buf, ncap);
	if (!p)
		return -ENOMEM;
	sb->buf = p;
	sb->cap = ncap;
	return 0;
}

int sc_strbuf_add(sc_strbuf *sb, const void *data, size_t n)
{
	if (sc_strbuf_grow(sb, n) < 0)
		return -ENOMEM;
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int sc_strbuf_adds(sc_strbuf *sb, const char *s)
{
	return sc_strbuf_add(sb, s, strlen(s));
}

int sc_strbuf_addc(sc_strbuf *sb, char c)
{
	return sc_strbuf_add(sb, &c, 1);
}

int sc_strbuf_vaddf(sc_strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -EINVAL;
	if (sc_strbuf_grow(sb, (size_t)n) < 0)
		return -ENOMEM;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int sc_strbuf_addf(sc_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = sc_strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return r;
}

int sc_strbuf_add_json(sc_strbuf *sb, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int r;
		switch (*p) {
		case '"':
			r = sc_strbuf_add(sb, "\\\"", 2);
			break;
		case '\\':
			r = sc_strbuf_add(sb, "\\\\", 2);
			break;
		case '\n':
			r = sc_strbuf_add(sb, "\\n", 2);
			break;
		case '\t':
			r = sc_strbuf_add(sb, "\\t", 2);
			break;
		case '\r':
			r = sc_strbuf_add(sb, "\\r", 2);
			break;
		default:
			/* '<' is escaped too so JSON can sit inside an HTML <script>. */
			if (*p < 0x20 || *p == '<')
				r = sc_strbuf_addf(sb, "\\u%04x", *p);
			else
				r = sc_strbuf_addc(sb, (char)*p);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int sc_strbuf_add_html(sc_strbuf *sb, const char *s)
{
	for (const char *p = s; *p; p++) {
		int r;
		switch (*p) {
		case '<':
			r = sc_strbuf_adds(sb, "&lt;");
			break;
		case '>':
			r = sc_strbuf_adds(sb, "&gt;");
			break;
		case '&':
			r = sc_strbuf_adds(sb, "&amp;");
			break;
		case '"':
			r = sc_strbuf_adds(sb, "&quot;");
			break;
		case '\'':
			r = sc_strbuf_adds(sb, "&#39;");
			break;
		default:
			r = sc_strbuf_addc(sb, *p);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

void sc_strbuf_reset(sc_strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

const char *sc_strbuf_cstr(const sc_strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

char *sc_strbuf_detach(sc_strbuf *sb)
{
	char *p = sb->buf;
	if (!p)
		p = calloc(1, 1);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

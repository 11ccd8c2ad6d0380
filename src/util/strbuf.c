/* strbuf.c: see strbuf.h. */
#include "util/strbuf.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
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

size_t sc_utf8_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned lo = 0x80, hi = 0xbf; /* the second byte's range (Unicode table 3-7) */
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Undoes a partial append after a failure: appends leave the contents unchanged. */
static int undo(sc_strbuf *sb, size_t len, int r)
{
	sb->len = len;
	if (sb->buf)
		sb->buf[len] = '\0';
	return r;
}

int sc_strbuf_add_json(sc_strbuf *sb, const char *s)
{
	size_t start = sb->len;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		int r;
		size_t n = 1;
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
			/* '<' is escaped too so JSON can sit inside an HTML <script>; DEL and
			 * C1 (U+0080..U+009F) are legal in JSON but would reach a terminal. */
			if (*p < 0x20 || *p == '<' || *p == 0x7f)
				r = sc_strbuf_addf(sb, "\\u%04x", *p);
			else if ((n = sc_utf8_len((const char *)p)) == 0) {
				/* JSON is UTF-8: one replacement character per ill-formed byte. */
				r = sc_strbuf_adds(sb, "\\ufffd");
				n = 1;
			} else if (n == 2 && p[0] == 0xc2 && p[1] <= 0x9f)
				r = sc_strbuf_addf(sb, "\\u%04x", p[1]);
			else
				r = sc_strbuf_add(sb, p, n);
		}
		if (r < 0)
			return undo(sb, start, r);
		p += n;
	}
	return 0;
}

int sc_strbuf_add_json_string(sc_strbuf *sb, const char *s)
{
	if (!s)
		return sc_strbuf_adds(sb, "null");
	int r = sc_strbuf_addc(sb, '"');
	if (r >= 0)
		r = sc_strbuf_add_json(sb, s);
	return r < 0 ? r : sc_strbuf_addc(sb, '"');
}

int sc_strbuf_add_json_number(sc_strbuf *sb, double v)
{
	return isfinite(v) ? sc_strbuf_addf(sb, "%.15g", v) : sc_strbuf_adds(sb, "null");
}

int sc_strbuf_add_html(sc_strbuf *sb, const char *s)
{
	size_t start = sb->len;
	for (const char *p = s; *p;) {
		int r;
		size_t n = 1;
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
			if ((n = sc_utf8_len(p)) == 0) {
				r = sc_strbuf_adds(sb, "\xef\xbf\xbd"); /* U+FFFD */
				n = 1;
			} else
				r = sc_strbuf_add(sb, p, n);
		}
		if (r < 0)
			return undo(sb, start, r);
		p += n;
	}
	return 0;
}

/* The next piece of `p` for text output: its length in bytes, and whether its bytes must be
 * shown escaped (a control character or ill-formed UTF-8). */
static size_t text_piece(const unsigned char *p, bool *escape)
{
	size_t n = sc_utf8_len((const char *)p);
	if (n == 0) {
		*escape = true;
		return 1;
	}
	/* C0 and DEL; C1 is U+0080..U+009F, encoded 0xc2 0x80..0x9f. */
	*escape = *p < 0x20 || *p == 0x7f || (n == 2 && p[0] == 0xc2 && p[1] <= 0x9f);
	return n;
}

int sc_strbuf_add_text(sc_strbuf *sb, const char *s)
{
	size_t start = sb->len;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		bool escape;
		size_t n = text_piece(p, &escape);
		for (size_t i = 0; escape && i < n; i++)
			if (sc_strbuf_addf(sb, "\\x%02x", p[i]) < 0)
				return undo(sb, start, -ENOMEM);
		if (!escape && sc_strbuf_add(sb, p, n) < 0)
			return undo(sb, start, -ENOMEM);
		p += n;
	}
	return 0;
}

size_t sc_text_columns(const char *s)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		bool escape;
		size_t n = text_piece(p, &escape);
		w += escape ? 4 * n : 1;
		p += n;
	}
	return w;
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

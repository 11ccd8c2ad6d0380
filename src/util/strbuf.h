/*
 * strbuf.h: a growable, always NUL-terminated byte string.
 *
 * A zeroed sc_strbuf is empty and valid (`buf` may be NULL until the first append; use
 * sc_strbuf_cstr() to read it). The strbuf owns `buf`; sc_strbuf_release() frees it, and
 * sc_strbuf_detach() hands it to the caller, who frees it with free(). Appends return 0 or
 * -ENOMEM and leave the contents unchanged on failure. Not thread-safe.
 */
#ifndef SC_UTIL_STRBUF_H
#define SC_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sc_strbuf {
	char *buf;
	size_t len, cap;
} sc_strbuf;

void sc_strbuf_release(sc_strbuf *sb);
int sc_strbuf_grow(sc_strbuf *sb, size_t extra);
int sc_strbuf_add(sc_strbuf *sb, const void *data, size_t n);
int sc_strbuf_adds(sc_strbuf *sb, const char *s);
int sc_strbuf_addc(sc_strbuf *sb, char c);
int sc_strbuf_addf(sc_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sc_strbuf_vaddf(sc_strbuf *sb, const char *fmt, va_list ap);
/* Appends `s` escaped for a JSON string body (no surrounding quotes). */
int sc_strbuf_add_json(sc_strbuf *sb, const char *s);
/* Appends `s` escaped for HTML text and attribute values. */
int sc_strbuf_add_html(sc_strbuf *sb, const char *s);
void sc_strbuf_reset(sc_strbuf *sb);
const char *sc_strbuf_cstr(const sc_strbuf *sb);
char *sc_strbuf_detach(sc_strbuf *sb);

#endif

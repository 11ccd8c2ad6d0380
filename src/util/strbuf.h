/*
 * strbuf.h: a growable, always NUL-terminated byte string.
 *
 * A zeroed sc_strbuf is empty and valid (`buf` may be NULL until the first append; use
 * sc_strbuf_cstr() to read it). The strbuf owns `buf`; sc_strbuf_release() frees it, and
 * sc_strbuf_detach() hands it to the caller, who frees it with free(). Appends return 0 or
 * -ENOMEM and leave the contents unchanged on failure. Not thread-safe.
 *
 * Names in profiles (symbols, file and module names) are bytes from the profiled program or a
 * file: they may be ill-formed UTF-8 and may hold terminal control sequences. The escapers below
 * are the only way such a name enters an output: JSON (valid UTF-8 always), HTML, and text for a
 * terminal or a text file (no control character ever reaches it).
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
/* Byte length (1 to 4) of the well-formed UTF-8 character `s` starts with, or 0 when it starts an
 * ill-formed sequence (a stray continuation byte, an overlong form, a surrogate, a code point
 * above U+10FFFF, a truncated sequence). `s` must not point at the terminating NUL. */
size_t sc_utf8_len(const char *s);
/* Appends `s` escaped for a JSON string body (no surrounding quotes): '"', '\\' and control
 * characters (C0, DEL, C1) escaped, '<' as \u003c (so JSON can sit in an HTML <script>), and each
 * byte of ill-formed UTF-8 replaced by U+FFFD, so the document is always valid UTF-8. */
int sc_strbuf_add_json(sc_strbuf *sb, const char *s);
/* Appends `s` as a JSON string value (quoted, escaped as above), or null when s is NULL. */
int sc_strbuf_add_json_string(sc_strbuf *sb, const char *s);
/* Appends v as a JSON number (%.15g: no binary noise in the last digits), or null when it is not
 * finite (JSON has no inf or nan). */
int sc_strbuf_add_json_number(sc_strbuf *sb, double v);
/* Appends `s` escaped for HTML text and attribute values; ill-formed UTF-8 becomes U+FFFD. */
int sc_strbuf_add_html(sc_strbuf *sb, const char *s);
/* Appends `s` for a terminal or a text file: each byte of a control character (C0, newline and
 * tab included, DEL, C1 U+0080..U+009F) and of ill-formed UTF-8 is shown as the four characters
 * \xNN; everything else is copied. sc_text_columns() is the width of the result. */
int sc_strbuf_add_text(sc_strbuf *sb, const char *s);
/* Columns sc_strbuf_add_text(s) takes: one per character, four per escaped byte. */
size_t sc_text_columns(const char *s);
void sc_strbuf_reset(sc_strbuf *sb);
const char *sc_strbuf_cstr(const sc_strbuf *sb);
char *sc_strbuf_detach(sc_strbuf *sb);

#endif

/*
 * toml_string.c: TOML's four kinds of strings, for the parser (toml.c): "basic" with escapes,
 * 'literal' as written, and their multi-line forms (a newline right after the opening quotes is
 * dropped, a backslash ending a line drops the line end and the blanks after it, up to two
 * quotes may stand next to the closing ones). Escapes: \b \t \n \f \r \" \\ and \uXXXX,
 * \UXXXXXXXX naming a Unicode scalar value (encoded as UTF-8); anything else is an error at
 * its backslash. CRLF inside a multi-line string becomes LF. Raw control characters never reach
 * here: toml.c refuses them before parsing.
 */
#include "config/toml_int.h"
#include "util/strbuf.h"

#include <errno.h>
#include <string.h>

static int add_utf8(sc_strbuf *sb, uint32_t cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return sc_strbuf_add(sb, b, n);
}

/* An escape at p->pos (the backslash) of a basic string. */
static int escape(toml_parser *p, sc_strbuf *sb)
{
	size_t at = p->pos;
	char c = p->s[at + 1];
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	const char *k = c ? strchr(from, c) : NULL;
	if (k) {
		p->pos += 2;
		return sc_strbuf_addc(sb, to[k - from]);
	}
	if (c != 'u' && c != 'U') {
		if (c == '\n' || c == '\r' || c == '\0')
			return sc_toml_err(p, at,
					   "a backslash at the end of a line is only allowed in "
					   "a multi-line string");
		return sc_toml_err(p, at, "invalid escape '\\%c'", c);
	}
	int n = c == 'u' ? 4 : 8;
	uint32_t cp = 0;
	for (int i = 0; i < n; i++) {
		char h = p->s[at + 2 + (size_t)i];
		int v = h >= '0' && h <= '9'   ? h - '0'
			: h >= 'a' && h <= 'f' ? h - 'a' + 10
			: h >= 'A' && h <= 'F' ? h - 'A' + 10
					       : -1;
		if (v < 0)
			return sc_toml_err(p, at, "'\\%c' needs %d hexadecimal digits", c, n);
		cp = cp * 16 + (uint32_t)v;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return sc_toml_err(p, at, "'\\%c%.*s' is not a Unicode scalar value", c, n,
				   p->s + at + 2);
	p->pos += 2 + (size_t)n;
	return add_utf8(sb, cp) < 0 ? -ENOMEM : 0;
}

/* A string at p->pos (its opening quote); the text goes to sb. `multi`: allow """ and '''. */
int sc_toml_string(toml_parser *p, sc_strbuf *sb, bool multi)
{
	size_t open = p->pos;
	char q = peek(p);
	bool ml = multi && p->s[open + 1] == q && p->s[open + 2] == q;
	int r = 0;
	if (!ml) {
		p->pos++;
		for (;;) {
			char c = peek(p);
			if (c == q) {
				p->pos++;
				return 0;
			}
			if (p->pos >= p->n || at_newline(p))
				return sc_toml_err(p, open,
						   "unterminated string: no closing %c on "
						   "this line",
						   q);
			if (c == '\\' && q == '"')
				r = escape(p, sb);
			else
				r = sc_strbuf_addc(sb, c), p->pos++;
			if (r < 0)
				return r;
		}
	}
	p->pos += 3;
	if (at_newline(p))
		skip_newline(p);
	for (;;) {
		char c = peek(p);
		if (p->pos >= p->n)
			return sc_toml_err(p, open,
					   "unterminated multi-line string: no closing "
					   "%c%c%c",
					   q, q, q);
		if (c == q) {
			size_t run = 0;
			while (p->s[p->pos + run] == q)
				run++;
			if (run >= 3) {
				if (run > 5)
					return sc_toml_err(p, p->pos + 5,
							   "too many quotes after a "
							   "multi-line string");
				for (size_t i = 3; i < run; i++)
					if (sc_strbuf_addc(sb, q) < 0)
						return -ENOMEM;
				p->pos += run;
				return 0;
			}
			for (size_t i = 0; i < run; i++)
				if (sc_strbuf_addc(sb, q) < 0)
					return -ENOMEM;
			p->pos += run;
			continue;
		}
		if (at_newline(p)) {
			skip_newline(p);
			r = sc_strbuf_addc(sb, '\n');
		} else if (c == '\\' && q == '"') {
			/* A backslash ending a line: the newline and the blanks after it go. */
			size_t k = p->pos + 1;
			while (p->s[k] == ' ' || p->s[k] == '\t')
				k++;
			if (p->s[k] == '\n' || (p->s[k] == '\r' && p->s[k + 1] == '\n')) {
				p->pos = k;
				while (peek(p) == ' ' || peek(p) == '\t' || at_newline(p))
					p->pos += peek(p) == '\r' ? 2 : 1;
				continue;
			}
			r = escape(p, sb);
		} else {
			r = sc_strbuf_addc(sb, c);
			p->pos++;
		}
		if (r < 0)
			return r;
	}
}

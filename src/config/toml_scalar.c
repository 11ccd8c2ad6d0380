/*
 * toml_scalar.c: TOML's numbers and dates, from a token the parser (toml.c) has cut out.
 *
 * Integers: decimal with an optional sign and no leading zero; 0x, 0o, 0b with no sign; an
 * underscore only between two digits; outside int64 is an error (never a silent wrap). Floats:
 * a decimal integer part, then a fraction, an exponent or both; inf and nan with an optional sign;
 * a finite number too large for a double is an error. Dates and times: RFC 3339 as TOML 1.0
 * narrows it (seconds required; 'T', 't' or one space between date and time), with the fields'
 * ranges checked (February 29 only in leap years, second 60 allowed for leap seconds).
 * Errors point at the offending character when there is one, else at the token's start.
 */
#include "config/toml_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* Consumes digits of `base` with single underscores between them from s[*i, end); returns how
 * many digits, or -EINVAL with the diag set. */
static int digits(toml_parser *p, size_t *i, size_t end, int base, const char *what)
{
	const char *s = p->s;
	int count = 0;
	while (*i < end) {
		char c = s[*i];
		if (c == '_') {
			if (!count || *i + 1 >= end || digit_value(s[*i + 1]) >= base)
				return sc_toml_err(
				    p, *i, "an underscore in %s must be between two digits", what);
			(*i)++;
			continue;
		}
		if (digit_value(c) >= base)
			break;
		count++;
		(*i)++;
	}
	return count;
}

static int prefixed_integer(toml_parser *p, size_t off, size_t end, sc_toml_value *out)
{
	const char *s = p->s;
	char kind = s[off + 1];
	int base = kind == 'x' ? 16 : kind == 'o' ? 8 : 2;
	const char *what = base == 16  ? "a hexadecimal integer"
			   : base == 8 ? "an octal integer"
				       : "a binary integer";
	size_t i = off + 2;
	if (i < end && s[i] == '_')
		return sc_toml_err(p, i, "an underscore in %s must be between two digits", what);
	size_t start = i;
	int n = digits(p, &i, end, base, what);
	if (n < 0)
		return n;
	if (n == 0 && i < end)
		return sc_toml_err(p, i, "invalid digit '%c' in %s", s[i], what);
	if (n == 0)
		return sc_toml_err(p, i, "%s needs digits after 0%c", what, kind);
	if (i < end)
		return sc_toml_err(p, i, "invalid digit '%c' in %s", s[i], what);
	uint64_t v = 0;
	for (size_t k = start; k < end; k++) {
		if (s[k] == '_')
			continue;
		unsigned dv = (unsigned)digit_value(s[k]);
		if (v > (UINT64_MAX - dv) / (unsigned)base || v * (unsigned)base + dv > INT64_MAX)
			return sc_toml_err(p, off, "integer out of range (beyond 64 bits)");
		v = v * (unsigned)base + dv;
	}
	out->type = SC_TOML_INTEGER;
	out->u.integer = (int64_t)v;
	return 0;
}

int sc_toml_parse_number(toml_parser *p, size_t off, size_t len, sc_toml_value *out)
{
	const char *s = p->s;
	size_t end = off + len, i = off;
	bool neg = false;
	if (s[i] == '+' || s[i] == '-')
		neg = s[i++] == '-';
	if (end - i == 3 && (!memcmp(s + i, "inf", 3) || !memcmp(s + i, "nan", 3))) {
		out->type = SC_TOML_FLOAT;
		out->u.real = s[i] == 'i' ? (neg ? -INFINITY : INFINITY) : (neg ? -NAN : NAN);
		return 0;
	}
	if (i + 1 < end && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b')) {
		if (i != off)
			return sc_toml_err(p, off,
					   "a hexadecimal, octal or binary integer cannot "
					   "have a sign");
		return prefixed_integer(p, off, end, out);
	}
	if (i >= end || !is_digit(s[i]))
		return sc_toml_err(p, i < end ? i : off, "invalid number '%.*s'", (int)len,
				   s + off);
	size_t int_start = i;
	int n = digits(p, &i, end, 10, "a number");
	if (n < 0)
		return n;
	if (s[int_start] == '0' && n > 1)
		return sc_toml_err(p, int_start, "leading zeros are not allowed in '%.*s'",
				   (int)len, s + off);
	bool is_float = false;
	if (i < end && s[i] == '.') {
		is_float = true;
		i++;
		if (i >= end || !is_digit(s[i]))
			return sc_toml_err(p, i < end ? i : i - 1,
					   "a decimal point must be followed by a digit");
		if ((n = digits(p, &i, end, 10, "a number")) < 0)
			return n;
	}
	if (i < end && (s[i] == 'e' || s[i] == 'E')) {
		is_float = true;
		i++;
		if (i < end && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= end || !is_digit(s[i]))
			return sc_toml_err(p, i < end ? i : i - 1, "an exponent needs digits");
		if ((n = digits(p, &i, end, 10, "a number")) < 0)
			return n;
	}
	if (i < end)
		return sc_toml_err(p, i, "invalid character '%c' in the number '%.*s'", s[i],
				   (int)len, s + off);
	char buf[512];
	size_t k = 0;
	for (size_t j = off; j < end; j++)
		if (s[j] != '_') {
			if (k + 1 >= sizeof(buf))
				return sc_toml_err(p, off, "number too long");
			buf[k++] = s[j];
		}
	buf[k] = '\0';
	if (is_float) {
		errno = 0;
		double v = strtod(buf, NULL);
		if (isinf(v))
			return sc_toml_err(p, off, "float out of range '%.*s'", (int)len, s + off);
		out->type = SC_TOML_FLOAT;
		out->u.real = v;
		return 0;
	}
	uint64_t mag = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (size_t j = neg || buf[0] == '+' ? 1 : 0; buf[j]; j++) {
		unsigned dv = (unsigned)(buf[j] - '0');
		if (mag > (limit - dv) / 10)
			return sc_toml_err(p, off, "integer out of range (beyond 64 bits): '%.*s'",
					   (int)len, s + off);
		mag = mag * 10 + dv;
	}
	out->type = SC_TOML_INTEGER;
	out->u.integer = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

/* n digits at s[i]: their value, or -1. */
static int fixed(const char *s, size_t i, size_t end, int n)
{
	int v = 0;
	for (int k = 0; k < n; k++) {
		if (i + (size_t)k >= end || !is_digit(s[i + (size_t)k]))
			return -1;
		v = v * 10 + (s[i + (size_t)k] - '0');
	}
	return v;
}

static int days_in(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

/* HH:MM:SS[.frac] at s[*i]. */
static int parse_time(toml_parser *p, size_t *i, size_t end, sc_toml_datetime *dt, size_t off,
		      size_t len)
{
	const char *s = p->s;
	size_t t = *i;
	dt->hour = fixed(s, t, end, 2);
	dt->minute = fixed(s, t + 3, end, 2);
	dt->second = fixed(s, t + 6, end, 2);
	if (dt->hour < 0 || t + 2 >= end || s[t + 2] != ':' || dt->minute < 0 || t + 5 >= end ||
	    s[t + 5] != ':' || dt->second < 0)
		return sc_toml_err(p, off, "invalid time in '%.*s' (expected HH:MM:SS)", (int)len,
				   s + off);
	if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
		return sc_toml_err(p, off, "time out of range in '%.*s'", (int)len, s + off);
	t += 8;
	if (t < end && s[t] == '.') {
		t++;
		if (t >= end || !is_digit(s[t]))
			return sc_toml_err(p, t < end ? t : off,
					   "a time's fraction needs digits after '.'");
		int ns = 0, nd = 0;
		for (; t < end && is_digit(s[t]); t++, nd++)
			if (nd < 9)
				ns = ns * 10 + (s[t] - '0');
		for (; nd < 9; nd++)
			ns *= 10;
		dt->nanosecond = ns;
	}
	*i = t;
	return 0;
}

int sc_toml_parse_datetime(toml_parser *p, size_t off, size_t len, sc_toml_value *out)
{
	const char *s = p->s;
	size_t end = off + len, i = off;
	sc_toml_datetime *dt = &out->u.dt;
	memset(dt, 0, sizeof(*dt));
	snprintf(dt->text, sizeof(dt->text), "%.*s", (int)len, s + off);
	int r;
	if (len >= 3 && s[off + 2] == ':') {
		if ((r = parse_time(p, &i, end, dt, off, len)) < 0)
			return r;
		if (i < end)
			return sc_toml_err(p, i, "unexpected '%c' after the time '%.*s'", s[i],
					   (int)(i - off), s + off);
		out->type = SC_TOML_LOCAL_TIME;
		return 0;
	}
	dt->year = fixed(s, i, end, 4);
	dt->month = fixed(s, i + 5, end, 2);
	dt->day = fixed(s, i + 8, end, 2);
	if (dt->year < 0 || s[i + 4] != '-' || dt->month < 0 || i + 7 >= end || s[i + 7] != '-' ||
	    dt->day < 0)
		return sc_toml_err(p, off, "invalid date in '%.*s' (expected YYYY-MM-DD)", (int)len,
				   s + off);
	if (dt->month < 1 || dt->month > 12 || dt->day < 1 ||
	    dt->day > days_in(dt->year, dt->month))
		return sc_toml_err(p, off, "date out of range '%.*s'", (int)len, s + off);
	i += 10;
	if (i == end) {
		out->type = SC_TOML_LOCAL_DATE;
		return 0;
	}
	if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
		return sc_toml_err(p, i, "unexpected '%c' after the date '%.*s'", s[i], 10,
				   s + off);
	i++;
	if ((r = parse_time(p, &i, end, dt, off, len)) < 0)
		return r;
	out->type = SC_TOML_LOCAL_DATETIME;
	if (i < end && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
		out->type = SC_TOML_DATETIME;
	} else if (i < end && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i] == '-' ? -1 : 1;
		int oh = fixed(s, i + 1, end, 2), om = fixed(s, i + 4, end, 2);
		if (oh < 0 || i + 3 >= end || s[i + 3] != ':' || om < 0)
			return sc_toml_err(p, i, "invalid offset in '%.*s' (expected +HH:MM)",
					   (int)len, s + off);
		if (oh > 23 || om > 59)
			return sc_toml_err(p, i, "offset out of range in '%.*s'", (int)len,
					   s + off);
		dt->offset_minutes = sign * (oh * 60 + om);
		i += 6;
		out->type = SC_TOML_DATETIME;
	}
	if (i < end)
		return sc_toml_err(p, i, "unexpected '%c' in the date-time '%.*s'", s[i], (int)len,
				   s + off);
	return 0;
}

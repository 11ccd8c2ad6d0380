/*
 * perfscript_header.c: the sample headers of `perf script` text ("comm pid/tid [cpu] time:
 * period event:"), read around their anchors into ps->hdr, with the shortcut for a header that
 * differs from the previous one only by its time; and sc_perfscript_sniff, which tells such text
 * from the other formats. The grammar and the tour are in perfscript.c.
 *
 * Not here: frame lines (perfscript_frame.c), samples and the streaming reader (perfscript.c).
 */
#include "formats/perfscript_int.h"

#include <stdlib.h>

/* ---------------------------------------------------------------------------------------------
 * Headers
 */

/* The index of event token t ("cpu-clock:u:"), added if new; -EINVAL when there are too many. */
static int event_index(struct parser *ps, const char *line, struct range t)
{
	t.n--; /* the ':' ending the token */
	/* Drop a modifier suffix (":u", ":ppp", ":uk"), keeping tracepoints' "sys:name". */
	const char *colon = memrchr(t.s, ':', t.n);
	if (colon && colon > t.s) {
		size_t a = (size_t)(colon - t.s), k;
		for (k = a + 1; k < t.n && strchr("ukhIGHpPSDWe", t.s[k]); k++)
			;
		if (k == t.n && k > a + 1)
			t.n = a;
	}
	for (size_t i = 0; i < ps->nevents; i++)
		if (name_eq(ps->p, ps->events[i], t.s, t.n))
			return (int)i;
	/* Event-less periods take a sample type of their own: keep one for them. */
	if (ps->nevents + ps->event_less_period == MAX_EVENTS)
		return sc_diag_error(ps->d, ps->lineno, (int64_t)(t.s - line) + 1, -1,
				     "more than %d different events", MAX_EVENTS);
	int r = intern_name(ps->p, t.s, t.n, &ps->events[ps->nevents]);
	if (r < 0)
		return r;
	return (int)ps->nevents++;
}

/* Reads time token t ("1857.244490:", is_time) as nanoseconds; false when out of range. */
static bool parse_time(struct range t, uint64_t *ns)
{
	const char *dot = memchr(t.s, '.', t.n);
	size_t a = (size_t)(dot - t.s), fn = t.n - a - 2;
	uint64_t secs, frac;
	if (!parse_u64(t.s, a, &secs) || fn > 9 || !parse_u64(dot + 1, fn, &frac) ||
	    secs > UINT64_MAX / 1000000000 - 1)
		return false;
	for (size_t i = fn; i < 9; i++)
		frac *= 10;
	*ns = secs * 1000000000 + frac;
	return true;
}

/* The time token at the start of s[0..n), read as is_time and parse_time would (with the token
 * ending at a blank or at n): sets *len to its length and *ns. False when it is not a time token
 * or it is out of range (then the full parse says which). */
static bool read_time(const char *s, size_t n, size_t *len, uint64_t *ns)
{
	size_t i = 0, f;
	uint64_t secs = 0, frac = 0;
	unsigned dgt;
	for (; i < n && (dgt = (unsigned char)s[i] - '0') <= 9; i++) {
		if (i == 18)
			return false;
		secs = secs * 10 + dgt;
	}
	if (!i || i == n || s[i] != '.' || secs > UINT64_MAX / 1000000000 - 1)
		return false;
	for (f = ++i; i < n && (dgt = (unsigned char)s[i] - '0') <= 9; i++) {
		if (i - f == 9)
			return false;
		frac = frac * 10 + dgt;
	}
	if (i == f || i == n || s[i] != ':' || (i + 1 < n && !is_space(s[i + 1])))
		return false;
	for (size_t k = i - f; k < 9; k++)
		frac *= 10;
	*len = i + 1;
	*ns = secs * 1000000000 + frac;
	return true;
}

/* memcmp(a, b, n) == 0 for the few dozen bytes of a header, without a call. */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
	if (n < 8) {
		for (size_t i = 0; i < n; i++)
			if (a[i] != b[i])
				return false;
		return true;
	}
	for (size_t i = 0; i + 8 < n; i += 8)
		if (load64(a + i) != load64(b + i))
			return false;
	return load64(a + n - 8) == load64(b + n - 8);
}

/*
 * Reads line[0..n) as the last header with another time, when it is: the same bytes before the
 * time token and after it. Then every token but the time is the same, so sc_ps_parse_header would
 * find the same pid, cpu, period, event and frame (all interned already): only the time is new.
 */
static bool reuse_last_header(struct parser *ps, const char *line, size_t n)
{
	const struct last_header *l = &ps->last;
	size_t start = l->time_start, tail = l->len - l->time_end, len;
	uint64_t ns;
	if (!l->valid || n <= start || !same_bytes(line, l->text, start) ||
	    !read_time(line + start, n - start, &len, &ns) || n - start - len != tail ||
	    !same_bytes(line + start + len, l->text + l->time_end, tail))
		return false;
	ps->hdr = l->hdr;
	ps->hdr.time_ns = ns;
	return true;
}

#define MAX_TOKENS 48

/* Parses a header line into ps->hdr. Returns 0, -EINVAL (diag set) or -ENOMEM. */
int sc_ps_parse_header(struct parser *ps, const char *line, size_t n)
{
	struct header *h = &ps->hdr;
	struct range tok[MAX_TOKENS];
	size_t ntok = 0, pos = 0;
	if (!(ps->flags & SC_PERFSCRIPT_LINE_BY_LINE) && reuse_last_header(ps, line, n))
		return 0;
	ps->last.valid = false;
	memset(h, 0, sizeof(*h));
	h->event = -1;
	h->period = 1; /* an event printed without a period counts 1 per sample */
	while (ntok < MAX_TOKENS && next_token(line, n, &pos, &tok[ntok]))
		ntok++;

	/* Find the pid: before the first cpu or time token, else before the event (or the first of
	 * two numbers before it: "pid period event:"), else the first number after the comm. */
	size_t anchor = ntok, pidx = ntok;
	for (size_t i = 0; i < ntok && anchor == ntok; i++)
		if (is_cpu(tok[i]) || is_time(tok[i]))
			anchor = i;
	if (anchor < ntok) {
		if (anchor > 0 && is_pid(tok[anchor - 1]))
			pidx = anchor - 1;
	} else {
		size_t ev = ntok;
		for (size_t i = 0; i < ntok && ev == ntok; i++)
			if (is_event(tok[i]))
				ev = i;
		for (size_t i = 1; i < ev && pidx == ntok; i++)
			if (is_pid(tok[i]))
				pidx = i;
		if (pidx == ntok && ev > 0 && is_pid(tok[0]))
			pidx = 0;
		anchor = pidx < ntok ? pidx + 1 : ev;
	}
	size_t k = anchor;
	if (pidx < ntok) {
		struct range t = tok[pidx];
		const char *slash = memchr(t.s, '/', t.n);
		uint64_t pid, tid;
		size_t a = slash ? (size_t)(slash - t.s) : t.n;
		if (!parse_u64(t.s, a, &pid) || pid > UINT32_MAX ||
		    (slash && (!parse_u64(slash + 1, t.n - a - 1, &tid) || tid > UINT32_MAX)))
			return syntax_error(ps, line, t.s, "the pid/tid is out of range");
		h->pid = (uint32_t)pid;
		h->tid = slash ? (uint32_t)tid : (uint32_t)pid;
		h->pid_unknown = !slash;
		k = pidx + 1;
		/* The command name: everything before the pid (it may hold spaces). */
		if (pidx > 0) {
			size_t len = (size_t)(tok[pidx - 1].s + tok[pidx - 1].n - tok[0].s);
			int64_t c = sc_profile_intern_n(ps->p, tok[0].s, len);
			if (c < 0)
				return (int)c;
			h->comm = (sc_str)c;
			h->java = len >= 4 && memcmp(tok[0].s, "java", 4) == 0;
		}
	}
	bool known = false; /* a header has a cpu, a time or an event (a pid is just a number) */
	if (k < ntok && is_cpu(tok[k]))
		k++, known = true;
	size_t time_tok = ntok;
	if (k < ntok && is_time(tok[k])) {
		if (!parse_time(tok[k], &h->time_ns))
			return syntax_error(ps, line, tok[k].s, "the time is out of range");
		time_tok = k;
		k++, known = true;
	}
	/* A number is a period when an event or the end of the line follows it (a frame's address
	 * may be all digits too). */
	if (k < ntok && all_digits(tok[k].s, tok[k].n) && (k + 1 == ntok || is_event(tok[k + 1]))) {
		uint64_t period;
		if (!parse_u64(tok[k].s, tok[k].n, &period) || period > INT64_MAX)
			return syntax_error(ps, line, tok[k].s, "the period is out of range");
		h->period = (int64_t)period;
		h->has_period = true;
		k++;
	}
	if (k < ntok && is_event(tok[k])) {
		int e = event_index(ps, line, tok[k]);
		if (e < 0)
			return e;
		h->event = e;
		k++, known = true;
	}
	if (h->event < 0)
		ps->event_less_sample = true;
	if (!known)
		return syntax_error(ps, line, ntok ? tok[0].s : line,
				    "expected a sample header: [comm] [pid/]tid [[cpu]] [time:] "
				    "[period] [event:], with a cpu, a time or an event");
	if (h->has_period) {
		if (h->event < 0 && !ps->event_less_period && ps->nevents == MAX_EVENTS)
			return syntax_error(ps, line, line,
					    "a period without an event, after 7 events");
		ps->any_period = true;
		if (h->event < 0)
			ps->event_less_period = true;
	}
	/* What follows is the sample's frame when there is no callchain, or an event's payload
	 * (tracepoint fields), which we do not read. */
	if (k < ntok) {
		size_t start = (size_t)(tok[k].s - line);
		if (is_hex(tok[k])) {
			int64_t loc = sc_ps_parse_frame(ps, line, line + start, n - start);
			if (loc < 0)
				return (int)loc;
			h->tail_location = (uint32_t)loc;
		}
	}
	if (time_tok < ntok && n <= LAST_HEADER_MAX) {
		struct last_header *l = &ps->last;
		l->valid = true;
		l->hdr = *h;
		l->len = n;
		l->time_start = (size_t)(tok[time_tok].s - line);
		l->time_end = l->time_start + tok[time_tok].n;
		memcpy(l->text, line, n);
	}
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Lines that are frames without their indentation
 */

/* Does s[0..n) read as a frame without indentation, "hexaddr sym (dso)" (callchains whose
 * indentation was lost)? Not when a token reads as a header's cpu, time or event: the line
 * "4242 1.5: cycles: 4005b1 main (/bin/x)" is a header whose tid is all hex digits. */
bool sc_ps_unindented_frame(const char *s, size_t n)
{
	size_t pos = 0;
	struct range t;
	if (!n || s[n - 1] != ')' || !next_token(s, n, &pos, &t) || !is_hex(t) || pos == n)
		return false;
	while (next_token(s, n, &pos, &t))
		if (is_cpu(t) || is_time(t) || is_event(t))
			return false;
	return true;
}

/* ---------------------------------------------------------------------------------------------
 * Sniffing
 */

/* Does line s[0..n) look like a frame ("hexaddr sym...")? */
static bool looks_like_frame(const char *s, size_t n)
{
	size_t pos = 0;
	struct range t;
	return next_token(s, n, &pos, &t) && is_hex(t) && pos < n;
}

/* Does line s[0..n) look like a sample header: a pid token ("tid" or "pid/tid"), then only cpu,
 * time and period tokens up to an event or time token? Sets *last_colon when its last token ends
 * with ':' (a folded line ends with its count, never so) and *after_event to where what follows
 * the event starts (0 without an event). */
static bool looks_like_header(const char *s, size_t n, bool *last_colon, size_t *after_event)
{
	struct range tok[MAX_TOKENS];
	size_t ntok = 0, pos = 0;
	while (ntok < MAX_TOKENS && next_token(s, n, &pos, &tok[ntok]))
		ntok++;
	*after_event = 0;
	*last_colon = ntok && tok[ntok - 1].s[tok[ntok - 1].n - 1] == ':';
	for (size_t i = 0; i < ntok; i++) {
		if (!is_pid(tok[i]))
			continue;
		size_t k = i + 1;
		bool timed = false;
		if (k < ntok && is_cpu(tok[k]))
			k++;
		if (k < ntok && is_time(tok[k]))
			k++, timed = true;
		if (k < ntok && all_digits(tok[k].s, tok[k].n) && k + 1 < ntok &&
		    is_event(tok[k + 1]))
			k++;
		if (k < ntok && is_event(tok[k])) {
			*after_event = (size_t)(tok[k].s + tok[k].n - s);
			return true;
		}
		if (timed)
			return true;
	}
	return false;
}

/* The line at data[*pos..n) that is neither blank nor a comment, advancing *pos past it; false
 * at the end. */
static bool next_significant(const char *data, size_t n, size_t *pos, const char **line,
			     size_t *len)
{
	while (*pos < n) {
		const char *l = data + *pos;
		const char *nl = memchr(l, '\n', n - *pos);
		size_t ln = nl ? (size_t)(nl - l) : n - *pos;
		*pos += ln + 1;
		if (!blank(l, ln) && l[0] != '#') {
			*line = l;
			*len = ln;
			return true;
		}
	}
	return false;
}

int sc_perfscript_sniff(const char *data, size_t n)
{
	size_t pos = 0, len, after_event;
	const char *line;
	bool last_colon;
	if (!next_significant(data, n, &pos, &line, &len))
		return 0;
	if (line[0] == '\t')
		return looks_like_frame(line, len);
	if (!looks_like_header(line, len, &last_colon, &after_event))
		return 0;
	/* A header line that ends with ':' (the event, or the time of `-F comm,tid,time`) is no
	 * folded line; nor one that carries its frame after the event. */
	if (last_colon || (after_event && looks_like_frame(line + after_event, len - after_event)))
		return 1;
	/* Else the next line decides: a frame (indented or not), or another header (samples without
	 * callchains whose headers end with a period: `-F comm,tid,time,period`). */
	if (pos < n && is_space(data[pos])) {
		const char *next = data + pos;
		const char *nl = memchr(next, '\n', n - pos);
		size_t nn = nl ? (size_t)(nl - next) : n - pos;
		size_t i = 0;
		while (i < nn && is_space(next[i]))
			i++;
		return i < nn && looks_like_frame(next + i, nn - i);
	}
	if (!next_significant(data, n, &pos, &line, &len))
		return 0;
	return sc_ps_unindented_frame(line, len) ||
	       looks_like_header(line, len, &last_colon, &after_event);
}

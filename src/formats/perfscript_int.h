/*
 * perfscript_int.h: private to the `perf script` reader (perfscript.c, perfscript_frame.c,
 * perfscript_header.c): the parser's state, the small lexing helpers over byte ranges (inline:
 * they run for every byte of the text) and the functions one file calls in another. The format
 * and the tour are in perfscript.c; the public contract in perfscript.h.
 *
 * Errors: functions returning int or int64_t return a value >= 0, -EINVAL with ps->d set to the
 * line and column, or -ENOMEM. Not thread-safe: one parser per thread (perfscript_split.c runs
 * several, each with its own profile, and merges them on one thread).
 */
#ifndef SC_FORMATS_PERFSCRIPT_INT_H
#define SC_FORMATS_PERFSCRIPT_INT_H

#include "formats/perfscript.h"
#include "util/hashmap.h"
#include "util/strbuf.h"
#include "util/vec.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MAX_EVENTS (SC_MAX_SAMPLE_TYPES - 1)
/* The longest line a stream may have: the buffer grows to hold one, so this bounds memory. */
#define MAX_LINE ((size_t)64 << 20)

/* An interned byte string: its profile string id and length (for comparisons without strlen). */
struct name {
	sc_str str;
	uint32_t len;
};

struct frame_ent {
	struct name sym, dso;
	bool java; /* read in a java process: a JIT "Lpkg/Class;::m" name loses its 'L' */
	uint32_t location;
};

struct dso_ent {
	struct name name;
	uint32_t mapping;
};

/* Aggregated samples: one per (stack, pid, tid, event), or one per sample with times. */
struct rec {
	sc_stack_id stack;
	uint32_t pid, tid;
	sc_str comm;	  /* the process name, 0 when the header has none */
	bool pid_unknown; /* the header had only the tid */
	int32_t event;	  /* index in events, -1 when the header names none */
	uint64_t time_ns;
	int64_t count, period;
};

/* A sample header as parsed. */
struct header {
	uint32_t pid, tid; /* pid = tid when the header has only the tid (pid_unknown) */
	bool pid_unknown;
	sc_str comm; /* the command name, 0 when the header has none */
	bool java;   /* the command name starts with "java" (see frame_ent) */
	uint64_t time_ns;
	int64_t period;
	bool has_period;
	int32_t event;
	/* The frame on the header line (samples without callchain), as a location; 0 if none. */
	uint32_t tail_location;
};

/* The last header parsed in full, kept to read the next one when only its time differs. */
#define LAST_HEADER_MAX 256
struct last_header {
	bool valid;
	struct header hdr;
	size_t len, time_start, time_end; /* the time token is text[time_start..time_end) */
	char text[LAST_HEADER_MAX];
};

/* A callchain block already parsed: its bytes (in block_text) and the stack they gave. */
struct block {
	uint32_t off, len;
	bool java; /* the stack's names depend on it (see frame_ent) */
	sc_stack_id stack;
	uint32_t nlines;
	size_t rec; /* 1 + the record its last sample went to (0: none yet), tried first */
};
/* The block cache's memory: its text plus, per block, its entry and (at worst) 4 table slots. */
#define BLOCK_CACHE_BYTES (64u << 20)
/* With SC_PERFSCRIPT_SMALL_CACHE (tests of the full cache). */
#define BLOCK_CACHE_SMALL (4u << 20)
#define BLOCK_COST	  (sizeof(struct block) + 4 * 2 * sizeof(uint64_t))

struct range {
	const char *s;
	size_t n;
};

struct parser {
	sc_profile *p;
	unsigned flags;
	sc_diag *d;
	int64_t lineno;

	sc_hashmap frame_index; /* hash(sym, dso) -> index in frames */
	SC_VEC(struct frame_ent) frames;
	sc_hashmap dso_index; /* hash(dso) -> index in dsos */
	SC_VEC(struct dso_ent) dsos;
	int64_t unknown_fn; /* the function "[unknown]", 0 until needed */
	sc_strbuf name_buf; /* a frame's display name being built */

	struct name events[MAX_EVENTS];
	size_t nevents;
	bool any_period, event_less_period;
	bool event_less_sample; /* a header without an event */

	/* The sample being read. */
	bool in_sample;
	struct header hdr;
	bool just_header; /* the line just read was that sample's header */
	struct last_header last;
	SC_VEC(uint32_t) stack; /* its locations, leaf first */

	/* The previous sample's stack, outermost first, with the node of each prefix. */
	SC_VEC(uint32_t) prev_locs;
	SC_VEC(sc_stack_id) prev_nodes;

	sc_hashmap rec_index; /* hash(stack, pid, tid, event) -> index in recs */
	SC_VEC(struct rec) recs;

	sc_hashmap block_index; /* hash_block(bytes) -> index in blocks */
	SC_VEC(struct block) blocks;
	char *block_text; /* block_limit bytes reserved (mmap), block_text_len used */
	size_t block_text_len;
	size_t block_bytes; /* what the cache costs, counted as BLOCK_CACHE_BYTES says */
	size_t block_limit; /* BLOCK_CACHE_BYTES, or BLOCK_CACHE_SMALL */
	size_t block_hits, block_misses; /* since the cache last started over */
	size_t block_pause;		 /* samples still to read without the cache */
};

/* ---------------------------------------------------------------------------------------------
 * Small lexing helpers over byte ranges
 */

static inline bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static inline int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static inline bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] - '0' > 9)
			return false;
	return true;
}

/* Parses decimal s[0..n) into *v; false on overflow or a non-digit. */
static inline bool parse_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned dgt = (unsigned char)s[i] - '0';
		if (dgt > 9 || x > (UINT64_MAX - dgt) / 10)
			return false;
		x = x * 10 + dgt;
	}
	*v = x;
	return true;
}

/* "pid/tid" or "tid". */
static inline bool is_pid(struct range t)
{
	const char *slash = memchr(t.s, '/', t.n);
	if (!slash)
		return all_digits(t.s, t.n);
	size_t a = (size_t)(slash - t.s);
	return all_digits(t.s, a) && all_digits(slash + 1, t.n - a - 1);
}

/* "[001]" */
static inline bool is_cpu(struct range t)
{
	return t.n >= 3 && t.s[0] == '[' && t.s[t.n - 1] == ']' && all_digits(t.s + 1, t.n - 2);
}

/* "1857.244490:" */
static inline bool is_time(struct range t)
{
	if (t.n < 4 || t.s[t.n - 1] != ':')
		return false;
	const char *dot = memchr(t.s, '.', t.n);
	if (!dot)
		return false;
	size_t a = (size_t)(dot - t.s);
	return all_digits(t.s, a) && all_digits(dot + 1, t.n - a - 2);
}

/* "cpu-clock:" "cycles:ppp:" "sched:sched_switch:" "r003c:": a name, so it starts with a letter or
 * '_' (not a time, nor "[3:" or "13:" of pprof's legacy heap profiles) */
static inline bool is_event(struct range t)
{
	char c = (char)(t.s[0] | 0x20);
	return t.n >= 2 && t.s[t.n - 1] == ':' && ((c >= 'a' && c <= 'z') || t.s[0] == '_');
}

static inline bool is_hex(struct range t)
{
	if (!t.n || t.n > 16)
		return false;
	for (size_t i = 0; i < t.n; i++)
		if (hexval(t.s[i]) < 0)
			return false;
	return true;
}

/* The next space-separated token at or after *pos in line[0..n); false at the end. */
static inline bool next_token(const char *line, size_t n, size_t *pos, struct range *t)
{
	size_t i = *pos;
	while (i < n && is_space(line[i]))
		i++;
	if (i == n)
		return false;
	size_t start = i;
	while (i < n && !is_space(line[i]))
		i++;
	t->s = line + start;
	t->n = i - start;
	*pos = i;
	return true;
}

static inline int syntax_error(struct parser *ps, const char *line, const char *at,
			       const char *what)
{
	return sc_diag_error(ps->d, ps->lineno, (int64_t)(at - line) + 1, -1, "%s", what);
}

static inline bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_space(s[i]) && s[i] != '\r')
			return false;
	return true;
}

/* ---------------------------------------------------------------------------------------------
 * Interning
 */

static inline bool name_eq(const sc_profile *p, struct name a, const char *s, size_t n)
{
	return a.len == n && memcmp(p->strings.data[a.str], s, n) == 0;
}

static inline int intern_name(sc_profile *p, const char *s, size_t n, struct name *out)
{
	if (n > UINT32_MAX)
		return -ENOMEM;
	int64_t id = sc_profile_intern_n(p, s, n);
	if (id < 0)
		return (int)id;
	out->str = (sc_str)id;
	out->len = (uint32_t)n;
	return 0;
}

static inline uint64_t load64(const char *s)
{
	uint64_t w;
	memcpy(&w, s, 8);
	return w;
}

/* ---- perfscript.c: the parser's life, for the split reader ---- */

int sc_ps_parser_init(struct parser *ps, unsigned flags, sc_diag *d);
/* Reads the complete lines of data[0..n), and the last one too when `final`. Sets *used to the
 * bytes consumed. Returns 0 or an error of parse_line. */
int sc_ps_parse_lines(struct parser *ps, const char *data, size_t n, bool final, size_t *used);
/* Ends the sample being read, if any (its stack interned, its record added). 0 or -ENOMEM. */
int sc_ps_end_sample(struct parser *ps);
/* Adds record r (in this parser's ids) to the records, summed into an equal one (same stack,
 * pid, tid, comm, event) unless SC_PERFSCRIPT_TIMES. 0 or -ENOMEM. */
int sc_ps_merge_rec(struct parser *ps, const struct rec *r);
/* What the parser holds besides its profile: the merge table and the caches. */
size_t sc_ps_parser_memory(const struct parser *ps);
/* Finishes the profile (when r is 0: the last sample ended, the records made samples) into *out
 * and frees the parser; with r < 0 (or a finishing error) the profile is freed too. Returns r
 * or the finishing error. */
int sc_ps_parser_finish(struct parser *ps, int r, sc_profile **out);

/* ---- perfscript_split.c ---- */

/* Parses the `perf script` text of the regular file `fd` from offset `start` to its end in up
 * to `threads` parts at once, one parser each, cut at sample boundaries (a blank line and then a
 * line that is not indented), each of part_bytes at least (0: 8 MiB), and merges the parts in
 * order, so the profile is the one a single parser gives. Returns 0 with *out set; 1 when it did
 * not try (not a regular file, too small to be worth it, no boundary found, threads <= 1); -EFBIG
 * past max_memory (0: no limit), -EINVAL, -ENOMEM or -errno when a part failed: the caller parses
 * alone then (which also gives the diagnostic with the right line). */
int sc_ps_read_split(int fd, long start, unsigned flags, size_t max_memory, int threads,
		     size_t part_bytes, sc_profile **out);

/* ---- perfscript_frame.c ---- */

/* The location of frame (sym, dso) read in a java process or not (`java`: a JIT name whose
 * 'L' is dropped), at address addr, created on first sight (with its mapping and function). */
int64_t sc_ps_frame_location(struct parser *ps, struct range sym, struct range dso, bool java,
			     uint64_t addr);

/* Parses "hexaddr [symbol[+0xoff]] [(dso)]" in s[0..n) (no leading blanks) and returns its
 * location, or -EINVAL (diag set; `line` is the start of the line, for the column) / -ENOMEM. */
int64_t sc_ps_parse_frame(struct parser *ps, const char *line, const char *s, size_t n);

/* ---- perfscript_header.c ---- */

/* Parses a header line into ps->hdr. Returns 0, -EINVAL (diag set) or -ENOMEM. */
int sc_ps_parse_header(struct parser *ps, const char *line, size_t n);
/* Does s[0..n) read as a frame without indentation, "hexaddr sym (dso)" (callchains whose
 * indentation was lost)? See perfscript_header.c. */
bool sc_ps_unindented_frame(const char *s, size_t n);

#endif

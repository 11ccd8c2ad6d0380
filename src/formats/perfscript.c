/*
 * perfscript.c: `perf script` text read into a profile (see perfscript.h for the contract).
 *
 * The grammar, as perf 6.x prints it (fields in [] may be absent, depending on `perf script -F`
 * and on what was recorded):
 *
 *     header  := [comm] [pid/]tid [ "[" cpu "]" ] [ secs.frac ":" ] [period] [event ":"] [frame]
 *                (with at least a cpu, a time or an event: a line "main;f 12" is no header)
 *     frame   := hexaddr [symbol[+0xoff]] [ "(" dso ")" ]
 *     sample  := header NL { TAB frame NL } [ NL ]
 *
 *     hot 14457/14457 [001]  1857.244490:    1001001 cpu-clock:u:
 *     	            127b hot_a+0x2b (/work/build/tests/programs/hot)
 *     	           2724a __libc_start_call_main+0x7a (/usr/lib/x86_64-linux-gnu/libc.so.6)
 *
 * The command name may contain spaces, so the header is read around anchors: the pid is the token
 * just before the first "[cpu]" or "secs.frac:" token (or before the event, or the first number
 * after the command name). The symbol may contain spaces and parentheses (C++), so the dso is the
 * balanced parenthesized group that ends the line. Lines starting with '#' are comments (perf
 * script --header). A header without callchain carries its one frame after the event.
 *
 * Built for perf.data files of millions of samples (about 1.5 GiB/s on one core): the text is
 * never copied or split into strings, and most of it is not even parsed, thanks to two caches:
 *
 *   - callchain blocks: the frame lines of a sample (between its header and the blank line) are
 *     hashed as one byte range, and equal bytes mean an equal stack, so a block seen before costs
 *     one hash and one memcmp. Only a new block is parsed line by line: frames are hashed as byte
 *     ranges (symbol without its +0xoff, dso) and interned once as a location, and a stack
 *     shares its outer frames' nodes with the previous sample's when they agree. Then its bytes
 *     are kept (up to BLOCK_CACHE_BYTES in all; past that the cache starts over).
 *   - the last header: a header equal to the previous one but for its time token (same comm,
 *     pid, cpu, period, event) is the previous one with a new time; only the time is read.
 *
 * Both give exactly what parsing every line would (SC_PERFSCRIPT_LINE_BY_LINE turns them off, so
 * the tests can compare). Samples with equal (stack, pid, tid, comm, event) become one record, so
 * memory grows with distinct stacks, not with samples. Records are turned into profile samples at
 * the end, once every event (= sample type) is known. Streams are read in 1 MiB chunks (reading
 * regular files through a sliding mmap window instead was measured slower: the page table work
 * costs more than the copy).
 */
#include "formats/perfscript.h"
#include "util/hashmap.h"
#include "util/strbuf.h"
#include "util/vec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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
#define BLOCK_CACHE_BYTES (16u << 20)
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
	SC_VEC(char) block_text;
	size_t block_bytes; /* what the cache costs, counted as BLOCK_CACHE_BYTES says */
	size_t block_hits, block_misses; /* since the cache last started over */
	size_t block_pause;		 /* samples still to read without the cache */
};

/* ---------------------------------------------------------------------------------------------
 * Small lexing helpers over byte ranges
 */

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] - '0' > 9)
			return false;
	return true;
}

/* Parses decimal s[0..n) into *v; false on overflow or a non-digit. */
static bool parse_u64(const char *s, size_t n, uint64_t *v)
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
static bool is_pid(struct range t)
{
	const char *slash = memchr(t.s, '/', t.n);
	if (!slash)
		return all_digits(t.s, t.n);
	size_t a = (size_t)(slash - t.s);
	return all_digits(t.s, a) && all_digits(slash + 1, t.n - a - 1);
}

/* "[001]" */
static bool is_cpu(struct range t)
{
	return t.n >= 3 && t.s[0] == '[' && t.s[t.n - 1] == ']' && all_digits(t.s + 1, t.n - 2);
}

/* "1857.244490:" */
static bool is_time(struct range t)
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
static bool is_event(struct range t)
{
	char c = (char)(t.s[0] | 0x20);
	return t.n >= 2 && t.s[t.n - 1] == ':' && ((c >= 'a' && c <= 'z') || t.s[0] == '_');
}

static bool is_hex(struct range t)
{
	if (!t.n || t.n > 16)
		return false;
	for (size_t i = 0; i < t.n; i++)
		if (hexval(t.s[i]) < 0)
			return false;
	return true;
}

/* The next space-separated token at or after *pos in line[0..n); false at the end. */
static bool next_token(const char *line, size_t n, size_t *pos, struct range *t)
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

static int syntax_error(struct parser *ps, const char *line, const char *at, const char *what)
{
	return sc_diag_error(ps->d, ps->lineno, (int64_t)(at - line) + 1, -1, "%s", what);
}

/* ---------------------------------------------------------------------------------------------
 * Interning
 */

static bool name_eq(const sc_profile *p, struct name a, const char *s, size_t n)
{
	return a.len == n && memcmp(p->strings.data[a.str], s, n) == 0;
}

static int intern_name(sc_profile *p, const char *s, size_t n, struct name *out)
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

/* A hash of s[0..n) for the frame table: 8 bytes at a time, the tail read as the last 8 bytes
 * (overlapping) rather than byte by byte: frames are hashed once per line, millions of times. */
static uint64_t hash_range(const char *s, size_t n, uint64_t seed)
{
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL), w;
	if (n < 8) {
		w = 0;
		memcpy(&w, s, n);
		return sc_hash_u64(h ^ w);
	}
	for (size_t i = 0; i + 8 < n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	memcpy(&w, s + n - 8, 8);
	return sc_hash_u64(h ^ w);
}

static inline uint64_t load64(const char *s)
{
	uint64_t w;
	memcpy(&w, s, 8);
	return w;
}

/* The 128-bit product of a and b, folded to 64 bits: one multiply mixes 16 bytes of input. */
static inline uint64_t mul_fold(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* A hash of a callchain block (hundreds of bytes, once per sample): each 16 bytes are multiplied
 * (128-bit product, folded) independently of the others, the multiplier depending on their offset,
 * and the products summed in two lanes, so no multiply waits for another; the tail is the last 16
 * bytes read again (overlapping) and the length is mixed in. Equal hashes are checked with memcmp,
 * so this only has to be fast and spread blocks over the table. */
static __attribute__((noinline)) uint64_t hash_block(const char *s, size_t n)
{
	const uint64_t k0 = 0x91d93080f9b439fdULL, k1 = 0x3ceaaf308142c8ebULL,
		       k2 = 0x627655daa05f1119ULL, k3 = 0x9dfb369bab13dfafULL;
	uint64_t a = k0 ^ n, b = k1;
	size_t i = 0;
	for (; i + 32 <= n; i += 32) {
		a += mul_fold(load64(s + i) ^ (k1 + i), load64(s + i + 8) ^ k2);
		b += mul_fold(load64(s + i + 16) ^ (k3 + i), load64(s + i + 24) ^ k0);
	}
	uint64_t x = 0, y = 0;
	if (n >= 16) {
		if (n - i > 16)
			a += mul_fold(load64(s + i) ^ (k1 + i), load64(s + i + 8) ^ k2);
		x = load64(s + n - 16);
		y = load64(s + n - 8);
	} else if (n >= 8) {
		x = load64(s);
		y = load64(s + n - 8);
	} else {
		memcpy(&x, s, n);
	}
	b += mul_fold(x ^ k2, y ^ k3);
	return mul_fold(a ^ k3, b ^ k0);
}

/* Where the tab-indented lines starting at s[i] (a '\t') end: just past the first '\n' that
 * the end of the data or a byte other than '\t' follows; 0 when the last line has no '\n'. */
static size_t block_end(const char *s, size_t i, size_t n)
{
#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n');
	for (; i + 32 < n; i += 32) {
		__m128i x = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + i)), nl);
		__m128i y = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + i + 16)), nl);
		uint32_t m = (uint32_t)_mm_movemask_epi8(x) | (uint32_t)_mm_movemask_epi8(y) << 16;
		for (; m; m &= m - 1) {
			size_t at = i + (size_t)__builtin_ctz(m);
			if (s[at + 1] != '\t')
				return at + 1;
		}
	}
#endif
	for (; i < n; i++)
		if (s[i] == '\n' && (i + 1 == n || s[i + 1] != '\t'))
			return i + 1;
	return 0;
}

struct frame_key {
	struct range sym, dso;
	bool java;
};

static bool frame_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct parser *ps = ctx;
	const struct frame_ent *e = &ps->frames.data[value];
	const struct frame_key *k = key;
	return e->java == k->java && name_eq(ps->p, e->sym, k->sym.s, k->sym.n) &&
	       name_eq(ps->p, e->dso, k->dso.s, k->dso.n);
}

static bool dso_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct parser *ps = ctx;
	const struct range *k = key;
	return name_eq(ps->p, ps->dsos.data[value].name, k->s, k->n);
}

/* The mapping standing for dso d (0 for an empty dso), created on first sight. */
static int64_t dso_mapping(struct parser *ps, struct range d)
{
	if (!d.n)
		return 0;
	uint64_t h = hash_range(d.s, d.n, 0x5eed), v;
	if (sc_hashmap_get(&ps->dso_index, h, dso_eq, &d, ps, &v))
		return ps->dsos.data[v].mapping;
	struct dso_ent e;
	int r = intern_name(ps->p, d.s, d.n, &e.name);
	if (r < 0)
		return r;
	sc_mapping m = {.file = e.name.str, .symbolized = true};
	m.kernel = d.n >= 7 && memcmp(d.s, "[kernel", 7) == 0;
	int64_t id = sc_profile_add_mapping(ps->p, &m);
	if (id < 0)
		return id;
	e.mapping = (uint32_t)id;
	if (sc_vec_push(&ps->dsos, e) < 0 ||
	    sc_hashmap_put(&ps->dso_index, h, ps->dsos.len - 1) < 0)
		return -ENOMEM;
	return id;
}

/*
 * The name a person reads for raw symbol `sym` of `dso`, as FlameGraph's stackcollapse-perf.pl
 * shows it (so that folded output agrees with it), into sb:
 *   - "[unknown]" with a known dso becomes "[BASENAME]" of the dso ("[perf-10939.map]");
 *   - the argument list goes: everything from the first '(' that does not open
 *     "(anonymous namespace)", unless the name is a Go method ("pkg.(*T).M");
 *   - quotes (" and ') are dropped;
 *   - in a java process, a JIT name with a '/' loses its leading 'L' ("Ljava/io/File;::read").
 * The raw symbol stays the function's system name.
 */
static int display_name(sc_strbuf *sb, struct range sym, struct range dso, bool java)
{
	sb->len = 0;
	if (sym.n == 9 && memcmp(sym.s, "[unknown]", 9) == 0 && dso.n) {
		const char *slash = memrchr(dso.s, '/', dso.n);
		size_t a = slash ? (size_t)(slash + 1 - dso.s) : 0;
		if (sc_strbuf_addc(sb, '[') < 0 || sc_strbuf_add(sb, dso.s + a, dso.n - a) < 0 ||
		    sc_strbuf_addc(sb, ']') < 0)
			return -ENOMEM;
		return 0;
	}
	size_t n = sym.n;
	/* A Go method: ".(" and later ")." */
	const char *go = memmem(sym.s, sym.n, ".(", 2);
	bool is_go = go && memmem(go + 2, sym.n - (size_t)(go + 2 - sym.s), ").", 2);
	if (!is_go) {
		for (size_t i = 0; i < n; i++) {
			static const char anon[] = "(anonymous namespace)";
			if (sym.s[i] != '(')
				continue;
			if (n - i >= sizeof(anon) - 1 &&
			    memcmp(sym.s + i, anon, sizeof(anon) - 1) == 0)
				continue;
			n = i;
			break;
		}
	}
	size_t from = 0;
	if (java && n && sym.s[0] == 'L' && memchr(sym.s, '/', n))
		from = 1;
	for (size_t i = from; i < n; i++)
		if (sym.s[i] != '"' && sym.s[i] != '\'' && sc_strbuf_addc(sb, sym.s[i]) < 0)
			return -ENOMEM;
	return 0;
}

/* The location of frame (sym, dso) at address addr, created on first sight. */
static int64_t frame_location(struct parser *ps, struct range sym, struct range dso, uint64_t addr)
{
	/* Only a JIT name's reading depends on the process. */
	bool java = ps->hdr.java && sym.n && sym.s[0] == 'L' && memchr(sym.s, '/', sym.n);
	struct frame_key k = {sym, dso, java};
	uint64_t h = hash_range(sym.s, sym.n, dso.n + java), v;
	if (dso.n)
		h ^= hash_range(dso.s, dso.n, h);
	if (sc_hashmap_get(&ps->frame_index, h, frame_eq, &k, ps, &v))
		return ps->frames.data[v].location;

	struct frame_ent e = {.java = java};
	int r;
	if ((r = intern_name(ps->p, sym.s, sym.n, &e.sym)) < 0 ||
	    (r = intern_name(ps->p, dso.s, dso.n, &e.dso)) < 0)
		return r;
	int64_t mapping = dso_mapping(ps, dso);
	if (mapping < 0)
		return mapping;
	if ((r = display_name(&ps->name_buf, sym, dso, java)) < 0)
		return r;
	int64_t name =
	    sc_profile_intern_n(ps->p, ps->name_buf.buf ? ps->name_buf.buf : "", ps->name_buf.len);
	if (name < 0)
		return name;
	sc_function fn = {.name = (sc_str)name, .system_name = e.sym.str};
	int64_t f = sc_profile_add_function(ps->p, &fn);
	if (f < 0)
		return f;
	sc_line line = {.function = (uint32_t)f};
	int64_t loc = sc_profile_add_location(ps->p, (uint32_t)mapping, addr, &line, 1);
	if (loc < 0)
		return loc;
	e.location = (uint32_t)loc;
	if (sc_vec_push(&ps->frames, e) < 0 ||
	    sc_hashmap_put(&ps->frame_index, h, ps->frames.len - 1) < 0)
		return -ENOMEM;
	return loc;
}

/* ---------------------------------------------------------------------------------------------
 * Frames
 */

/*
 * Parses "hexaddr [symbol[+0xoff]] [(dso)]" in s[0..n) (no leading blanks) and returns its
 * location, or -EINVAL (diag set; `line` is the start of the line, for the column) / -ENOMEM.
 */
static int64_t parse_frame(struct parser *ps, const char *line, const char *s, size_t n)
{
	while (n && (is_space(s[n - 1]) || s[n - 1] == '\r'))
		n--;
	size_t i = 0;
	uint64_t addr = 0;
	while (i < n && !is_space(s[i])) {
		int x = hexval(s[i]);
		if (x < 0 || i >= 16)
			return syntax_error(ps, line, s + i,
					    "expected a frame: a hex address, a symbol and (dso)");
		addr = addr << 4 | (uint64_t)x;
		i++;
	}
	if (!i)
		return syntax_error(ps, line, s,
				    "expected a frame: a hex address, a symbol and (dso)");
	while (i < n && is_space(s[i]))
		i++;
	struct range sym = {s + i, n - i}, dso = {"", 0};
	/* The dso is the balanced "(...)" group ending the line, preceded by a space. Most dsos
	 * have no parentheses inside: the last '(' is then the group's start. */
	if (sym.n && sym.s[sym.n - 1] == ')') {
		const char *open = memrchr(sym.s, '(', sym.n - 1);
		size_t j = open ? (size_t)(open - sym.s) : sym.n;
		if (open && memchr(open, ')', sym.n - 1 - j)) {
			size_t depth = 0;
			for (j = sym.n; j-- > 0;) {
				if (sym.s[j] == ')')
					depth++;
				else if (sym.s[j] == '(' && --depth == 0)
					break;
			}
		}
		if (j < sym.n && (j == 0 || is_space(sym.s[j - 1]))) {
			dso.s = sym.s + j + 1;
			dso.n = sym.n - j - 2;
			sym.n = j;
			while (sym.n && is_space(sym.s[sym.n - 1]))
				sym.n--;
		}
	}
	/* Drop "+0x1f" (the offset in the symbol): the frame is the function. */
	for (size_t j = sym.n; j-- > 0 && sym.n - j <= 19;) {
		if (sym.s[j] == '+') {
			if (sym.n - j >= 4 && sym.s[j + 1] == '0' && sym.s[j + 2] == 'x' &&
			    is_hex((struct range){sym.s + j + 3, sym.n - j - 3}))
				sym.n = j;
			break;
		}
	}
	if (!sym.n)
		sym = (struct range){"[unknown]", 9};
	if (dso.n == 9 && memcmp(dso.s, "[unknown]", 9) == 0)
		dso.n = 0;
	return frame_location(ps, sym, dso, addr);
}

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
 * time token and after it. Then every token but the time is the same, so parse_header would find
 * the same pid, cpu, period, event and frame (all interned already): only the time is new.
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
static int parse_header(struct parser *ps, const char *line, size_t n)
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
			int64_t loc = parse_frame(ps, line, line + start, n - start);
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
 * Samples
 */

/* Interns ps->stack (leaf first), reusing the outer frames it shares with the previous sample. */
static int64_t intern_stack(struct parser *ps)
{
	size_t n = ps->stack.len, same = 0;
	const uint32_t *leaf_first = ps->stack.data;
	while (same < n && same < ps->prev_locs.len &&
	       ps->prev_locs.data[same] == leaf_first[n - 1 - same])
		same++;
	if (sc_vec_reserve(&ps->prev_locs, n) < 0 || sc_vec_reserve(&ps->prev_nodes, n) < 0)
		return -ENOMEM;
	sc_stack_id node = same ? ps->prev_nodes.data[same - 1] : 0;
	for (size_t i = same; i < n; i++) {
		uint32_t loc = leaf_first[n - 1 - i];
		int64_t c = sc_profile_stack_child(ps->p, node, loc);
		if (c < 0) {
			ps->prev_locs.len = ps->prev_nodes.len = i;
			return c;
		}
		node = (sc_stack_id)c;
		ps->prev_locs.data[i] = loc;
		ps->prev_nodes.data[i] = node;
	}
	ps->prev_locs.len = ps->prev_nodes.len = n;
	return node;
}

static bool rec_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct parser *ps = ctx;
	const struct rec *a = &ps->recs.data[value], *b = key;
	return a->stack == b->stack && a->pid == b->pid && a->tid == b->tid &&
	       a->event == b->event && a->comm == b->comm && a->pid_unknown == b->pid_unknown;
}

static void merge_record(struct rec *r, int64_t period)
{
	r->count++;
	/* Saturate rather than wrap: a sum past 2^63 is not a real profile anyway. */
	r->period = r->period > INT64_MAX - period ? INT64_MAX : r->period + period;
}

/* Adds the sample being read, whose stack is `stack`, to the records; sets *index (when not NULL)
 * to 1 + the record it went to, or to 0 with times (one record per sample). */
static int add_record(struct parser *ps, sc_stack_id stack, size_t *index)
{
	const struct header *h = &ps->hdr;
	struct rec r = {.stack = stack,
			.pid = h->pid,
			.tid = h->tid,
			.comm = h->comm,
			.pid_unknown = h->pid_unknown,
			.event = h->event,
			.count = 1,
			.period = h->period};
	if (index)
		*index = 0;
	if (ps->flags & SC_PERFSCRIPT_TIMES) {
		r.time_ns = h->time_ns;
		return sc_vec_push(&ps->recs, r);
	}
	uint64_t hash = sc_hash_combine(sc_hash_combine(sc_hash_u64(r.stack), r.pid),
					((uint64_t)r.comm << 40) ^ (uint64_t)r.tid << 8 ^
					    (uint64_t)(r.event + 1)),
		 v;
	if (sc_hashmap_get(&ps->rec_index, hash, rec_eq, &r, ps, &v)) {
		merge_record(&ps->recs.data[v], r.period);
	} else {
		if (sc_vec_push(&ps->recs, r) < 0 ||
		    sc_hashmap_put(&ps->rec_index, hash, ps->recs.len - 1))
			return -ENOMEM;
		v = ps->recs.len - 1;
	}
	if (index)
		*index = v + 1;
	return 0;
}

/* Ends the sample being read: interns its stack and adds it to the records. Sets *stack_out and
 * *rec_out (when not NULL) to the stack and as add_record. */
static int end_sample(struct parser *ps, sc_stack_id *stack_out, size_t *rec_out)
{
	if (!ps->in_sample)
		return 0;
	ps->in_sample = false;
	const struct header *h = &ps->hdr;
	if (!ps->stack.len && h->tail_location && sc_vec_push(&ps->stack, h->tail_location) < 0)
		return -ENOMEM;
	int64_t stack = intern_stack(ps);
	ps->stack.len = 0;
	if (stack < 0)
		return (int)stack;
	if (stack_out)
		*stack_out = (sc_stack_id)stack;
	return add_record(ps, (sc_stack_id)stack, rec_out);
}

/* Turns the records into the profile's sample types and samples. */
static int emit_samples(struct parser *ps)
{
	sc_profile *p = ps->p;
	/* Sample type index of each event, and of samples without an event; -1: none. */
	int type_of[MAX_EVENTS], anon = -1, counted = -1;
	if (ps->nevents >= 2) {
		/* Different events are different quantities (cycles, instructions): each is a type
		 * of its own, valued by its periods (1 per sample without periods), and there is
		 * no "samples" type that would add them up. */
		for (size_t i = 0; i < ps->nevents; i++) {
			const char *name = p->strings.data[ps->events[i].str];
			bool ns = ps->any_period && (strcmp(name, "cpu-clock") == 0 ||
						     strcmp(name, "task-clock") == 0);
			if ((type_of[i] = sc_profile_add_sample_type(
				 p, name, ns ? "nanoseconds" : "count")) < 0)
				return type_of[i];
		}
		if (ps->event_less_period || ps->event_less_sample) {
			anon = sc_profile_add_sample_type(p, ps->any_period ? "events" : "samples",
							  "count");
			if (anon < 0)
				return anon;
		}
		p->default_sample_type = p->sample_types[type_of[0]].type;
	} else {
		/* One event or none: (samples, count), and the periods as a second type. */
		if ((counted = sc_profile_add_sample_type(p, "samples", "count")) < 0)
			return -ENOMEM;
		p->default_sample_type = p->sample_types[0].type;
		type_of[0] = -1;
		if (ps->any_period) {
			for (size_t i = 0; i < ps->nevents; i++) {
				const char *name = p->strings.data[ps->events[i].str];
				bool ns = strcmp(name, "cpu-clock") == 0 ||
					  strcmp(name, "task-clock") == 0;
				int t = sc_profile_add_sample_type(p, name,
								   ns ? "nanoseconds" : "count");
				if (t < 0)
					return t;
				type_of[i] = t;
			}
			if (ps->event_less_period || !ps->nevents) {
				if ((anon = sc_profile_add_sample_type(p, "events", "count")) < 0)
					return anon;
			}
			p->default_sample_type =
			    p->sample_types[ps->nevents ? type_of[0] : anon].type;
		}
	}
	int64_t values[SC_MAX_SAMPLE_TYPES];
	for (size_t i = 0; i < ps->recs.len; i++) {
		const struct rec *r = &ps->recs.data[i];
		memset(values, 0, sizeof(values));
		if (counted >= 0)
			values[counted] = r->count;
		int t = r->event >= 0 ? type_of[r->event] : anon;
		if (t >= 0)
			values[t] = counted >= 0 || ps->any_period ? r->period : r->count;
		if (sc_profile_add_sample(p, r->stack, values, r->pid, r->tid, r->time_ns) < 0 ||
		    (r->comm &&
		     sc_profile_add_label(p, "comm", p->strings.data[r->comm], 0, NULL) < 0) ||
		    (r->pid_unknown && sc_profile_add_label(p, "pid_unknown", NULL, 1, NULL) < 0))
			return -ENOMEM;
	}
	return 0;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_space(s[i]) && s[i] != '\r')
			return false;
	return true;
}

/* Does s[0..n) read as a frame without indentation, "hexaddr sym (dso)" (callchains whose
 * indentation was lost)? Not when a token reads as a header's cpu, time or event: the line
 * "4242 1.5: cycles: 4005b1 main (/bin/x)" is a header whose tid is all hex digits. */
static bool unindented_frame(const char *s, size_t n)
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

/* Is this line a frame of the current sample? Callchain frames are tab-indented; we also take
 * space-indented "hexaddr sym" lines inside a callchain (text whose tabs were expanded), and
 * unindented "hexaddr sym (dso)" lines right after a header or another frame. */
static bool is_frame_line(const struct parser *ps, const char *s, size_t n)
{
	if (n && !is_space(s[0]))
		return ps->in_sample && !ps->hdr.tail_location && unindented_frame(s, n);
	if (!n)
		return false;
	if (s[0] == '\t')
		return true;
	if (!ps->in_sample || ps->hdr.tail_location)
		return false;
	size_t pos = 0;
	struct range t;
	return next_token(s, n, &pos, &t) && is_hex(t) && (pos == n || is_space(s[pos]));
}

/* Reads one line (without its '\n'). Returns 0, -EINVAL (diag set) or -ENOMEM. */
static int parse_line(struct parser *ps, const char *line, size_t len)
{
	int r;
	ps->lineno++;
	if (len && line[len - 1] == '\r')
		len--;
	if (is_frame_line(ps, line, len)) {
		size_t i = 0;
		while (i < len && is_space(line[i]))
			i++;
		if (i == len)
			return end_sample(ps, NULL, NULL);
		/* A callchain without a header (perf script -F ip,sym): a sample of its own, with
		 * no pid, time or event. */
		if (!ps->in_sample) {
			memset(&ps->hdr, 0, sizeof(ps->hdr));
			ps->hdr.event = -1;
			ps->in_sample = true;
			ps->event_less_sample = true;
		}
		int64_t loc = parse_frame(ps, line, line + i, len - i);
		if (loc < 0)
			return (int)loc;
		return sc_vec_push(&ps->stack, (uint32_t)loc);
	}
	if ((r = end_sample(ps, NULL, NULL)) < 0)
		return r;
	if (blank(line, len) || line[0] == '#')
		return 0;
	if ((r = parse_header(ps, line, len)) < 0)
		return r;
	ps->in_sample = true;
	ps->just_header = true;
	return 0;
}

static bool block_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct parser *ps = ctx;
	const struct block *b = &ps->blocks.data[value];
	const struct range *k = key;
	return b->len == k->n && b->java == ps->hdr.java &&
	       memcmp(ps->block_text.data + b->off, k->s, k->n) == 0;
}

/* Remembers that block k (parsed line by line, `nlines` lines) gave `stack` and went to record
 * `rec` (as add_record). The cache starts over when it would cost more than BLOCK_CACHE_BYTES. */
static int remember_block(struct parser *ps, struct range k, uint64_t hash, sc_stack_id stack,
			  size_t nlines, size_t rec)
{
	if (k.n > BLOCK_CACHE_BYTES / 4)
		return 0;
	if (ps->block_bytes + k.n + BLOCK_COST > BLOCK_CACHE_BYTES) {
		/* Filled mostly with blocks never seen again (every sample's callchain differs,
		 * say): the cache cost more than it saved, so read the next 3 times as many samples
		 * without it, which bounds that cost to a quarter, before trying it again. */
		if (ps->block_hits * 3 < ps->block_misses)
			ps->block_pause = 3 * ps->block_misses;
		sc_hashmap_release(&ps->block_index);
		ps->blocks.len = ps->block_text.len = ps->block_bytes = 0;
		ps->block_hits = ps->block_misses = 0;
		if (ps->block_pause)
			return 0;
	}
	struct block b = {.off = (uint32_t)ps->block_text.len,
			  .len = (uint32_t)k.n,
			  .java = ps->hdr.java,
			  .stack = stack,
			  .nlines = (uint32_t)nlines,
			  .rec = rec};
	if (sc_vec_reserve(&ps->block_text, k.n) < 0 || sc_vec_push(&ps->blocks, b) < 0)
		return -ENOMEM;
	if (sc_hashmap_put(&ps->block_index, hash, ps->blocks.len - 1) < 0) {
		ps->blocks.len--;
		return -ENOMEM;
	}
	memcpy(ps->block_text.data + b.off, k.s, k.n);
	ps->block_text.len += k.n;
	ps->block_bytes += k.n + BLOCK_COST;
	return 0;
}

/*
 * Reads the callchain block at data[*pos..n), right after a header: the tab-indented lines up to
 * the first line that is not, when that line surely ends the sample (it does not start with a
 * space: is_frame_line takes space-indented frames too) or the data ends there and is `final`.
 * A block seen before ends the sample with its stack. A new one is parsed line by line, and
 * remembered when it gave one stack of one frame per line (a tab-indented blank line inside
 * would end the sample early: not cached). Otherwise leaves *pos alone: the lines are then read
 * one by one. Returns 0, or an error of parse_line.
 */
static int read_block(struct parser *ps, const char *data, size_t n, bool final, size_t *pos)
{
	size_t start = *pos, end, nlines = 0;
	if (start == n || data[start] != '\t' || !(end = block_end(data, start, n)) ||
	    (end == n ? !final : data[end] == ' '))
		return 0;
	struct range k = {data + start, end - start};
	uint64_t hash = hash_block(k.s, k.n) ^ ps->hdr.java, v;
	*pos = end;
	if (sc_hashmap_get(&ps->block_index, hash, block_eq, &k, ps, &v)) {
		struct block *b = &ps->blocks.data[v];
		ps->block_hits++;
		const struct header *h = &ps->hdr;
		ps->lineno += b->nlines;
		ps->in_sample = false;
		/* Most often the sample goes where this block's last one went. */
		struct rec *last = b->rec ? &ps->recs.data[b->rec - 1] : NULL;
		if (last && last->pid == h->pid && last->tid == h->tid && last->event == h->event &&
		    last->comm == h->comm && last->pid_unknown == h->pid_unknown) {
			merge_record(last, h->period);
			return 0;
		}
		return add_record(ps, b->stack, &b->rec);
	}
	int r;
	ps->block_misses++;
	for (size_t i = start; i < end; nlines++) {
		size_t len = (size_t)((const char *)memchr(data + i, '\n', end - i) - (data + i));
		if ((r = parse_line(ps, data + i, len)) < 0)
			return r;
		i += len + 1;
	}
	if (!ps->in_sample || ps->stack.len != nlines)
		return 0;
	sc_stack_id stack = 0;
	size_t rec = 0;
	if ((r = end_sample(ps, &stack, &rec)) < 0)
		return r;
	return remember_block(ps, k, hash, stack, nlines, rec);
}

/* Reads the complete lines of data[0..n), and the last one too when `final`. Sets *used to the
 * bytes consumed. Returns 0 or an error of parse_line. */
static int parse_lines(struct parser *ps, const char *data, size_t n, bool final, size_t *used)
{
	size_t pos = 0;
	int r = 0;
	while (pos < n) {
		const char *line = data + pos;
		if (*line == '\n' && !ps->in_sample) { /* an empty line between samples */
			ps->lineno++;
			pos++;
			continue;
		}
		const char *nl = memchr(line, '\n', n - pos);
		if (!nl && !final)
			break;
		size_t len = nl ? (size_t)(nl - line) : n - pos;
		ps->just_header = false;
		if ((r = parse_line(ps, line, len)) < 0)
			break;
		pos += nl ? len + 1 : len;
		if (!ps->just_header || (ps->flags & SC_PERFSCRIPT_LINE_BY_LINE))
			continue;
		if (ps->block_pause)
			ps->block_pause--;
		else if ((r = read_block(ps, data, n, final, &pos)) < 0)
			break;
	}
	*used = pos;
	return r;
}

static int parser_init(struct parser *ps, unsigned flags, sc_diag *d)
{
	memset(ps, 0, sizeof(*ps));
	ps->flags = flags;
	ps->d = d;
	ps->p = sc_profile_new();
	return ps->p ? 0 : -ENOMEM;
}

/* Finishes the profile (when r is 0) and frees the parser. Returns r or the finishing error. */
static int parser_finish(struct parser *ps, int r, sc_profile **out)
{
	if (r == 0 && (r = end_sample(ps, NULL, NULL)) == 0)
		r = emit_samples(ps);
	sc_hashmap_release(&ps->frame_index);
	sc_vec_release(&ps->frames);
	sc_hashmap_release(&ps->dso_index);
	sc_vec_release(&ps->dsos);
	sc_vec_release(&ps->stack);
	sc_vec_release(&ps->prev_locs);
	sc_vec_release(&ps->prev_nodes);
	sc_hashmap_release(&ps->rec_index);
	sc_vec_release(&ps->recs);
	sc_hashmap_release(&ps->block_index);
	sc_vec_release(&ps->blocks);
	sc_vec_release(&ps->block_text);
	sc_strbuf_release(&ps->name_buf);
	if (r < 0)
		sc_profile_free(ps->p);
	else
		*out = ps->p;
	ps->p = NULL;
	return r;
}

int sc_perfscript_parse_flags(const char *data, size_t n, unsigned flags, sc_profile **out,
			      sc_diag *d)
{
	struct parser ps;
	size_t used;
	*out = NULL;
	if (parser_init(&ps, flags, d) < 0)
		return -ENOMEM;
	return parser_finish(&ps, parse_lines(&ps, data, n, true, &used), out);
}

/* What the parser holds besides its profile: the merge table and the caches. */
static size_t parser_memory(const struct parser *ps)
{
	return sc_vec_bytes(ps->frames) + sc_hashmap_bytes(&ps->frame_index) +
	       sc_vec_bytes(ps->dsos) + sc_hashmap_bytes(&ps->dso_index) + sc_vec_bytes(ps->recs) +
	       sc_hashmap_bytes(&ps->rec_index) + sc_vec_bytes(ps->blocks) +
	       sc_hashmap_bytes(&ps->block_index) + sc_vec_bytes(ps->block_text) +
	       sc_vec_bytes(ps->prev_locs) + sc_vec_bytes(ps->prev_nodes) + sc_vec_bytes(ps->stack);
}

int sc_perfscript_read_stream(FILE *f, const void *head, size_t nhead, unsigned flags,
			      sc_profile **out, sc_diag *d)
{
	return sc_perfscript_read_stream_max(f, head, nhead, flags, 0, out, d);
}

int sc_perfscript_read_stream_max(FILE *f, const void *head, size_t nhead, unsigned flags,
				  size_t max_memory, sc_profile **out, sc_diag *d)
{
	struct parser ps;
	size_t cap = 1 << 20, len = 0, used;
	char *buf = NULL;
	int r = 0;
	*out = NULL;
	if (parser_init(&ps, flags, d) < 0 || !(buf = malloc(cap))) {
		r = -ENOMEM;
		goto out;
	}
	/* The buffer holds the unread end of the previous chunk (a partial line) plus new data:
	 * memory stays one chunk, or the longest line, whatever the input's size. */
	for (bool eof = false; !eof;) {
		if (len == cap) {
			if (cap >= MAX_LINE) {
				r = sc_diag_error(d, ps.lineno + 1, 0, -1,
						  "a line longer than %d MiB: not perf script text",
						  (int)(MAX_LINE >> 20));
				goto out;
			}
			char *grown = realloc(buf, cap * 2);
			if (!grown) {
				r = -ENOMEM;
				goto out;
			}
			buf = grown;
			cap *= 2;
		}
		size_t got;
		if (nhead) {
			got = nhead < cap - len ? nhead : cap - len;
			memcpy(buf + len, head, got);
			head = (const char *)head + got;
			nhead -= got;
		} else {
			got = fread(buf + len, 1, cap - len, f);
			if (got == 0 && ferror(f)) {
				r = errno ? -errno : -EIO;
				goto out;
			}
			eof = got == 0;
		}
		len += got;
		if ((r = parse_lines(&ps, buf, len, eof, &used)) < 0)
			goto out;
		memmove(buf, buf + used, len - used);
		len -= used;
		/* Text is streamed, but what it builds grows with distinct stacks (and with
		 * samples when times are kept): an endless stream of new ones must not take all
		 * memory. */
		if (max_memory && ps.p &&
		    sc_profile_memory(ps.p) + parser_memory(&ps) + cap > max_memory) {
			r = -EFBIG;
			goto out;
		}
	}
out:
	free(buf);
	if (!ps.p)
		return r;
	return parser_finish(&ps, r, out);
}

int sc_perfscript_parse(const char *data, size_t n, sc_profile **out, sc_diag *d)
{
	return sc_perfscript_parse_flags(data, n, 0, out, d);
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
	return unindented_frame(line, len) ||
	       looks_like_header(line, len, &last_colon, &after_event);
}

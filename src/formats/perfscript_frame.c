/*
 * perfscript_frame.c: the frames of `perf script` text: a frame line ("hexaddr sym+0xoff (dso)")
 * parsed into a location of the profile, its function named as FlameGraph's stackcollapse-perf
 * names it, its dso a mapping; each (symbol, dso) interned once, found again by a hash of its
 * bytes. The grammar and the tour are in perfscript.c.
 *
 * Not here: headers (perfscript_header.c), samples and the streaming reader (perfscript.c).
 */
#include "formats/perfscript_int.h"

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

int64_t sc_ps_frame_location(struct parser *ps, struct range sym, struct range dso, bool java,
			     uint64_t addr)
{
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

/* The location of frame (sym, dso) at address addr, created on first sight. */
static int64_t frame_location(struct parser *ps, struct range sym, struct range dso, uint64_t addr)
{
	/* Only a JIT name's reading depends on the process. */
	bool java = ps->hdr.java && sym.n && sym.s[0] == 'L' && memchr(sym.s, '/', sym.n);
	return sc_ps_frame_location(ps, sym, dso, java, addr);
}

/* ---------------------------------------------------------------------------------------------
 * Frames
 */

/*
 * Parses "hexaddr [symbol[+0xoff]] [(dso)]" in s[0..n) (no leading blanks) and returns its
 * location, or -EINVAL (diag set; `line` is the start of the line, for the column) / -ENOMEM.
 */
int64_t sc_ps_parse_frame(struct parser *ps, const char *line, const char *s, size_t n)
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

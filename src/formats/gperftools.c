/*
 * gperftools.c: gperftools' binary CPU profile read into a profile (see gperftools.h for the
 * format and the contract).
 *
 * The word size and byte order are found by trying the four readings of the header (0, 3, 0,
 * PERIOD > 0, 0 can only be read one way). Records are read into one flat array of addresses
 * first, because dropping the signal handler's frames needs every sample's second frame before
 * any stack is interned; then the maps text is parsed, and each address goes to the mapping
 * holding it (binary search over the mappings sorted by start).
 *
 * Memory is bounded by the input: a record's depth is checked against the words left before
 * anything is allocated for it.
 */
#include "formats/gperftools.h"
#include "util/vec.h"
#include "util/search.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const uint8_t *b;
	size_t n, pos;
	size_t word; /* 4 or 8 */
	bool big;    /* big-endian */
};

/* Reads the word at r->pos into *v and advances; false at the end of the data. */
static bool next_word(struct reader *r, uint64_t *v)
{
	if (r->n - r->pos < r->word)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < r->word; i++) {
		size_t k = r->big ? i : r->word - 1 - i;
		x = x << 8 | r->b[r->pos + k];
	}
	*v = x;
	r->pos += r->word;
	return true;
}

/* Finds the reading of the header; sets *version and *period_us, leaves r after the header. */
static bool read_header(struct reader *r, uint64_t *version, uint64_t *period_us)
{
	static const struct {
		size_t word;
		bool big;
	} ways[] = {{8, false}, {8, true}, {4, false}, {4, true}};
	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		uint64_t h[5];
		r->pos = 0;
		r->word = ways[i].word;
		r->big = ways[i].big;
		size_t k = 0;
		while (k < 5 && next_word(r, &h[k]))
			k++;
		if (k == 5 && h[0] == 0 && h[1] == 3 && h[2] <= 1 && h[3] > 0 && h[4] == 0) {
			*version = h[2];
			*period_us = h[3];
			return true;
		}
	}
	return false;
}

int sc_gperftools_sniff(const void *data, size_t n)
{
	struct reader r = {.b = data, .n = n};
	uint64_t version, period;
	return read_header(&r, &version, &period);
}

struct record {
	uint64_t count;
	size_t first, depth; /* into the address array */
};

struct map_ent {
	uint64_t start, limit, offset;
	uint32_t id;
};

typedef SC_VEC(struct map_ent) map_vec;

static int map_cmp(const void *a, const void *b)
{
	const struct map_ent *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Parses hex s[*i..] up to a non-hex byte; false when there is no digit or it overflows. */
static bool hex(const char *s, size_t n, size_t *i, uint64_t *v)
{
	uint64_t x = 0;
	size_t start = *i;
	for (; *i < n; (*i)++) {
		char c = s[*i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			break;
		if (x >> 60)
			return false;
		x = x << 4 | (uint64_t)d;
	}
	*v = x;
	return *i > start;
}

static void skip_blanks(const char *s, size_t n, size_t *i)
{
	while (*i < n && (s[*i] == ' ' || s[*i] == '\t'))
		(*i)++;
}

static void skip_field(const char *s, size_t n, size_t *i)
{
	while (*i < n && s[*i] != ' ' && s[*i] != '\t')
		(*i)++;
}

/* One /proc/self/maps line: "start-end perms offset dev inode [path]". Adds a mapping for an
 * executable one; other lines (not executable, or not of that form) are skipped, as pprof does. */
static int add_maps_line(sc_profile *p, const char *s, size_t n, map_vec *maps)
{
	size_t i = 0;
	uint64_t start, end, offset;
	skip_blanks(s, n, &i);
	if (!hex(s, n, &i, &start) || i == n || s[i++] != '-' || !hex(s, n, &i, &end) ||
	    end <= start)
		return 0;
	skip_blanks(s, n, &i);
	size_t perm = i;
	skip_field(s, n, &i);
	if (!memchr(s + perm, 'x', i - perm))
		return 0;
	skip_blanks(s, n, &i);
	if (!hex(s, n, &i, &offset))
		return 0;
	skip_blanks(s, n, &i);
	skip_field(s, n, &i); /* dev */
	skip_blanks(s, n, &i);
	skip_field(s, n, &i); /* inode */
	skip_blanks(s, n, &i);
	size_t path = i, end_path = n;
	while (end_path > path && (s[end_path - 1] == ' ' || s[end_path - 1] == '\r'))
		end_path--;
	int64_t file = sc_profile_intern_n(p, s + path, end_path - path);
	if (file < 0)
		return (int)file;
	sc_mapping m = {.start = start, .limit = end, .offset = offset, .file = (sc_str)file};
	m.kernel = end_path - path >= 7 && memcmp(s + path, "[kernel", 7) == 0;
	int64_t id = sc_profile_add_mapping(p, &m);
	if (id < 0)
		return (int)id;
	struct map_ent e = {start, end, offset, (uint32_t)id};
	return sc_vec_push(maps, e) < 0 ? -ENOMEM : 0;
}

/* The mapping holding addr (0: none), by binary search over maps sorted by start. */
static uint32_t mapping_of(const struct map_ent *maps, size_t n, uint64_t addr)
{
	size_t lo = SC_UPPER_BOUND(maps, n, start, addr);
	return lo && addr < maps[lo - 1].limit ? maps[lo - 1].id : 0;
}

/* pprof's rule for the signal handler's frames: when all samples but one in 32 have the same
 * second frame, it is the handler's, not the program's: drop it (twice at most). */
static void drop_handler_frames(struct record *recs, size_t nrecs, uint64_t *addrs)
{
	for (int iter = 0; iter < 2 && nrecs; iter++) {
		/* A majority vote (Boyer-Moore), then a count to confirm. */
		uint64_t cand = 0;
		size_t votes = 0, with = 0, same = 0;
		for (size_t i = 0; i < nrecs; i++) {
			if (recs[i].depth < 2)
				continue;
			uint64_t a = addrs[recs[i].first + 1];
			with++;
			if (!votes)
				cand = a, votes = 1;
			else
				votes += a == cand ? 1 : (size_t)-1;
		}
		if (!with)
			return;
		for (size_t i = 0; i < nrecs; i++)
			same += recs[i].depth >= 2 && addrs[recs[i].first + 1] == cand;
		if (same < nrecs - nrecs / 32)
			return;
		for (size_t i = 0; i < nrecs; i++) {
			struct record *r = &recs[i];
			if (r->depth < 2 || addrs[r->first + 1] != cand)
				continue;
			memmove(&addrs[r->first + 1], &addrs[r->first + 2],
				(r->depth - 2) * sizeof(*addrs));
			r->depth--;
		}
	}
}

struct addr_loc {
	uint64_t addr;
	uint32_t loc;
};

static int addr_loc_cmp(const void *a, const void *b)
{
	const struct addr_loc *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The location of `addr` in index[0..n) sorted by address, 0 if none. */
static uint32_t find_location(const struct addr_loc *index, size_t n, uint64_t addr)
{
	size_t lo = SC_LOWER_BOUND(index, n, addr, addr);
	return lo < n && index[lo].addr == addr ? index[lo].loc : 0;
}

/*
 * The Java variant's names: after the trailer, lines " 0xID NAME" where NAME is
 * "method (File.java:LINE)", "function (/path/lib.so)", "... generated stub/JIT ..." or a state
 * ("GC", "VM"), read as pprof reads them. Each named location gets its function and line; lines
 * of other shapes, and ids no sample uses, are skipped.
 */
static int java_names(sc_profile *p, const char *text, size_t left)
{
	/* Location ids by address (all without mapping here), sorted for the lookups. */
	size_t nidx = p->locations.len;
	struct addr_loc *index = malloc((nidx ? nidx : 1) * sizeof(*index));
	int r = 0;
	if (!index)
		return -ENOMEM;
	for (size_t i = 0; i < nidx; i++)
		index[i] = (struct addr_loc){p->locations.data[i].address, (uint32_t)(i + 1)};
	qsort(index, nidx, sizeof(*index), addr_loc_cmp);
	while (left) {
		const char *nl = memchr(text, '\n', left);
		size_t len = nl ? (size_t)(nl - text) : left, i = 0;
		const char *s = text;
		text += len + (nl != NULL);
		left -= len + (nl != NULL);
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
			len--;
		skip_blanks(s, len, &i);
		uint64_t addr;
		if (len - i < 3 || s[i] != '0' || s[i + 1] != 'x')
			continue;
		i += 2;
		if (!hex(s, len, &i, &addr) || i == len || (s[i] != ' ' && s[i] != '\t'))
			continue;
		skip_blanks(s, len, &i);
		uint32_t loc = find_location(index, nidx, addr);
		if (!loc)
			continue;
		const char *name = s + i, *file = "";
		size_t nname = len - i, nfile = 0;
		int64_t line = 0;
		const char *open =
		    nname && name[nname - 1] == ')' ? memrchr(name, '(', nname) : NULL;
		if (open && open > name && (open[-1] == ' ' || open[-1] == '\t')) {
			const char *in = open + 1;
			size_t nin = (size_t)(name + nname - 1 - in);
			const char *colon = memrchr(in, ':', nin);
			size_t k = colon ? (size_t)(colon + 1 - in) : nin;
			bool num = colon && k < nin;
			int64_t v = 0;
			for (size_t j = k; num && j < nin; j++) {
				if (in[j] < '0' || in[j] > '9' || v > INT64_MAX / 10 - 9)
					num = false;
				else
					v = v * 10 + (in[j] - '0');
			}
			if (num) { /* "method (File.java:LINE)" */
				file = in;
				nfile = (size_t)(colon - in);
				line = v;
			} else { /* "function (/path/lib.so)": the library's base name */
				const char *slash = memrchr(in, '/', nin);
				file = slash ? slash + 1 : in;
				nfile = (size_t)(in + nin - file);
			}
			nname = (size_t)(open - name);
			while (nname && (name[nname - 1] == ' ' || name[nname - 1] == '\t'))
				nname--;
		} else if (memmem(name, nname, "generated stub/JIT", 18)) {
			name = "STUB";
			nname = 4;
		}
		int64_t fname = sc_profile_intern_n(p, name, nname);
		int64_t ffile = sc_profile_intern_n(p, file, nfile);
		if (fname < 0 || ffile < 0) {
			r = -ENOMEM;
			break;
		}
		sc_function f = {
		    .name = (sc_str)fname, .system_name = (sc_str)fname, .filename = (sc_str)ffile};
		int64_t fn = sc_profile_add_function(p, &f);
		if (fn < 0) {
			r = (int)fn;
			break;
		}
		sc_line l = {.function = (uint32_t)fn, .line = line};
		if ((r = sc_profile_set_location_lines(p, loc, &l, 1)) < 0)
			break;
	}
	free(index);
	return r;
}

int sc_gperftools_parse(const void *data, size_t n, sc_profile **out, sc_diag *d)
{
	struct reader rd = {.b = data, .n = n};
	uint64_t version, period_us;
	SC_VEC(struct record) recs = {0};
	SC_VEC(uint64_t) addrs = {0};
	map_vec maps = {0};
	SC_VEC(uint32_t) stack = {0};
	sc_profile *p = NULL;
	int r = 0;
	*out = NULL;
	if (!read_header(&rd, &version, &period_us)) {
		r = sc_diag_error(d, 0, 0, 0,
				  "not a gperftools CPU profile: no header 0, 3, 0, PERIOD, 0");
		goto out;
	}
	bool java = version == 1;
	if (period_us > INT64_MAX / 1000) {
		r = sc_diag_error(d, 0, 0, (int64_t)(3 * rd.word),
				  "the sampling period %" PRIu64 " us is out of range", period_us);
		goto out;
	}
	bool trailer = false;
	while (!trailer && rd.pos < n) {
		size_t at = rd.pos;
		uint64_t count, depth;
		if (!next_word(&rd, &count) || !next_word(&rd, &depth) ||
		    depth > (n - rd.pos) / rd.word) {
			r = sc_diag_error(d, 0, 0, (int64_t)at,
					  "truncated record: the file ends inside a stack");
			goto out;
		}
		struct record rec = {count, addrs.len, (size_t)depth};
		if (sc_vec_reserve(&addrs, (size_t)depth) < 0) {
			r = -ENOMEM;
			goto out;
		}
		for (uint64_t i = 0; i < depth; i++)
			next_word(&rd, &addrs.data[addrs.len++]);
		if (count == 0 && depth == 1 && addrs.data[rec.first] == 0) {
			addrs.len--;
			trailer = true;
			break;
		}
		if (count > INT64_MAX) {
			r = sc_diag_error(d, 0, 0, (int64_t)at,
					  "a sample count of %" PRIu64 " is out of range", count);
			goto out;
		}
		/* Return addresses point after the call: step back into it. (The Java variant's
		 * "addresses" are method ids.) */
		for (size_t i = 1; !java && i < rec.depth; i++)
			addrs.data[rec.first + i]--;
		if (sc_vec_push(&recs, rec) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (!java)
		drop_handler_frames(recs.data, recs.len, addrs.data);

	if (!(p = sc_profile_new())) {
		r = -ENOMEM;
		goto out;
	}
	if (sc_profile_add_sample_type(p, "samples", "count") < 0 ||
	    sc_profile_add_sample_type(p, "cpu", "nanoseconds") < 0) {
		r = -ENOMEM;
		goto out;
	}
	int64_t cpu = sc_profile_intern(p, "cpu"), ns = sc_profile_intern(p, "nanoseconds");
	if (cpu < 0 || ns < 0) {
		r = -ENOMEM;
		goto out;
	}
	p->default_sample_type = (sc_str)cpu;
	p->period_type = (sc_value_type){(sc_str)cpu, (sc_str)ns};
	p->period = (int64_t)period_us * 1000;

	/* The maps text after the trailer (gperftools), or the method names (Java). */
	const char *text = (const char *)rd.b + rd.pos;
	size_t left = n - rd.pos;
	while (!java && left) {
		const char *nl = memchr(text, '\n', left);
		size_t len = nl ? (size_t)(nl - text) : left;
		if ((r = add_maps_line(p, text, len, &maps)) < 0)
			goto out;
		text += len + (nl != NULL);
		left -= len + (nl != NULL);
	}
	if (maps.len)
		qsort(maps.data, maps.len, sizeof(*maps.data), map_cmp);

	for (size_t i = 0; i < recs.len; i++) {
		const struct record *rec = &recs.data[i];
		stack.len = 0;
		if (sc_vec_reserve(&stack, rec->depth) < 0) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t k = 0; k < rec->depth; k++) {
			uint64_t a = addrs.data[rec->first + k];
			int64_t loc = sc_profile_location_for_address(
			    p, mapping_of(maps.data, maps.len, a), a);
			if (loc < 0) {
				r = (int)loc;
				goto out;
			}
			stack.data[stack.len++] = (uint32_t)loc;
		}
		int64_t node = sc_profile_intern_stack(p, stack.data, stack.len);
		int64_t v[2] = {(int64_t)rec->count, 0};
		if (__builtin_mul_overflow(v[0], p->period, &v[1]))
			v[1] = INT64_MAX;
		if (node < 0 || sc_profile_add_sample(p, (sc_stack_id)node, v, 0, 0, 0) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (java && (r = java_names(p, text, left)) < 0)
		goto out;
out:
	sc_vec_release(&recs);
	sc_vec_release(&addrs);
	sc_vec_release(&maps);
	sc_vec_release(&stack);
	if (r < 0)
		sc_profile_free(p);
	else
		*out = p;
	return r;
}

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
 *     are kept (up to BLOCK_CACHE_BYTES, 64 MiB, in all: 80k callchains of 800 bytes; past that
 *     the cache starts over, which costs every block a parse again: 16 MiB made the spread input
 *     of bench/flamegraph-vs.sh, 18k callchains, run 1.5 times slower once its text grew).
 *   - the last header: a header equal to the previous one but for its time token (same comm,
 *     pid, cpu, period, event) is the previous one with a new time; only the time is read.
 *
 * Both give exactly what parsing every line would (SC_PERFSCRIPT_LINE_BY_LINE turns them off, so
 * the tests can compare). Samples with equal (stack, pid, tid, comm, event) become one record, so
 * memory grows with distinct stacks, not with samples. Records are turned into profile samples at
 * the end, once every event (= sample type) is known. Streams are read in 1 MiB chunks (reading
 * regular files through a sliding mmap window instead was measured slower: the page table work
 * costs more than the copy).
 *
 * Files: perfscript_frame.c parses frame lines into locations (names as stackcollapse-perf shows
 * them), perfscript_header.c sample headers and sniffing, perfscript_int.h holds the parser's
 * state and the lexing helpers they share; this file reads lines and samples, keeps the block
 * cache and runs the streaming reader; perfscript_split.c reads a big regular file in parts on
 * several threads, with the same result.
 */
#include "formats/perfscript_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---------------------------------------------------------------------------------------------
 * Hashing callchain blocks
 */

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

static uint64_t rec_hash(const struct rec *r)
{
	return sc_hash_combine(sc_hash_combine(sc_hash_u64(r->stack), r->pid),
			       ((uint64_t)r->comm << 40) ^ (uint64_t)r->tid << 8 ^
				   (uint64_t)(r->event + 1));
}

int sc_ps_merge_rec(struct parser *ps, const struct rec *r)
{
	if (ps->flags & SC_PERFSCRIPT_TIMES)
		return sc_vec_push(&ps->recs, *r);
	uint64_t hash = rec_hash(r), v;
	if (sc_hashmap_get(&ps->rec_index, hash, rec_eq, r, ps, &v)) {
		struct rec *m = &ps->recs.data[v];
		m->count = sc_sat_add(m->count, r->count);
		m->period = sc_sat_add(m->period, r->period);
		return 0;
	}
	if (sc_vec_push(&ps->recs, *r) < 0 ||
	    sc_hashmap_put(&ps->rec_index, hash, ps->recs.len - 1))
		return -ENOMEM;
	return 0;
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
	uint64_t hash = rec_hash(&r), v;
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

int sc_ps_end_sample(struct parser *ps)
{
	return end_sample(ps, NULL, NULL);
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

/* Is this line a frame of the current sample? Callchain frames are tab-indented; we also take
 * space-indented "hexaddr sym" lines inside a callchain (text whose tabs were expanded), and
 * unindented "hexaddr sym (dso)" lines right after a header or another frame. */
static bool is_frame_line(const struct parser *ps, const char *s, size_t n)
{
	if (n && !is_space(s[0]))
		return ps->in_sample && !ps->hdr.tail_location && sc_ps_unindented_frame(s, n);
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
		int64_t loc = sc_ps_parse_frame(ps, line, line + i, len - i);
		if (loc < 0)
			return (int)loc;
		return sc_vec_push(&ps->stack, (uint32_t)loc);
	}
	if ((r = end_sample(ps, NULL, NULL)) < 0)
		return r;
	if (blank(line, len) || line[0] == '#')
		return 0;
	if ((r = sc_ps_parse_header(ps, line, len)) < 0)
		return r;
	ps->in_sample = true;
	ps->just_header = true;
	return 0;
}

/* A block's entry in block_index: its text's offset in the high half, its index in blocks in the
 * low half, so a lookup starts reading the text and the entry at once (two independent cache
 * misses instead of one after the other). */
static uint64_t block_value(uint32_t off, size_t index)
{
	return (uint64_t)off << 32 | (uint32_t)index;
}

static bool block_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct parser *ps = ctx;
	const char *text = ps->block_text + (value >> 32);
	__builtin_prefetch(text);
	const struct block *b = &ps->blocks.data[(uint32_t)value];
	const struct range *k = key;
	return b->len == k->n && b->java == ps->hdr.java && memcmp(text, k->s, k->n) == 0;
}

/* Remembers that block k (parsed line by line, `nlines` lines) gave `stack` and went to record
 * `rec` (as add_record). The cache starts over when it would cost more than BLOCK_CACHE_BYTES. */
static int remember_block(struct parser *ps, struct range k, uint64_t hash, sc_stack_id stack,
			  size_t nlines, size_t rec)
{
	if (k.n > ps->block_limit / 4)
		return 0;
	if (ps->block_bytes + k.n + BLOCK_COST > ps->block_limit) {
		/* Filled mostly with blocks never seen again (every sample's callchain differs,
		 * say): the cache cost more than it saved, so read the next 3 times as many samples
		 * without it, which bounds that cost to a quarter, before trying it again. */
		if (ps->block_hits * 3 < ps->block_misses)
			ps->block_pause = 3 * ps->block_misses;
		sc_hashmap_release(&ps->block_index);
		ps->blocks.len = ps->block_text_len = ps->block_bytes = 0;
		ps->block_hits = ps->block_misses = 0;
		if (ps->block_pause)
			return 0;
	}
	if (!ps->block_text) {
		/* One reservation for the whole cache (pages are only backed once written), asked
		 * for huge pages, as blocks are looked up at random, once per sample (fewer TLB
		 * misses; measured within noise on the 15 MiB cache of the spread input), and
		 * nothing is copied as it grows. */
		void *m = mmap(NULL, ps->block_limit, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED) /* (an address-space limit): no cache, the same profile */
			return 0;
		madvise(m, ps->block_limit, MADV_HUGEPAGE);
		ps->block_text = m;
	}
	struct block b = {.off = (uint32_t)ps->block_text_len,
			  .len = (uint32_t)k.n,
			  .java = ps->hdr.java,
			  .stack = stack,
			  .nlines = (uint32_t)nlines,
			  .rec = rec};
	if (sc_vec_push(&ps->blocks, b) < 0)
		return -ENOMEM;
	if (sc_hashmap_put(&ps->block_index, hash, block_value(b.off, ps->blocks.len - 1)) < 0) {
		ps->blocks.len--;
		return -ENOMEM;
	}
	memcpy(ps->block_text + b.off, k.s, k.n);
	ps->block_text_len += k.n;
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
		struct block *b = &ps->blocks.data[(uint32_t)v];
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

int sc_ps_parse_lines(struct parser *ps, const char *data, size_t n, bool final, size_t *used)
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

int sc_ps_parser_init(struct parser *ps, unsigned flags, sc_diag *d)
{
	memset(ps, 0, sizeof(*ps));
	ps->flags = flags;
	ps->d = d;
	ps->block_limit = flags & SC_PERFSCRIPT_SMALL_CACHE ? BLOCK_CACHE_SMALL : BLOCK_CACHE_BYTES;
	ps->p = sc_profile_new();
	return ps->p ? 0 : -ENOMEM;
}

int sc_ps_parser_finish(struct parser *ps, int r, sc_profile **out)
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
	if (ps->block_text)
		munmap(ps->block_text, ps->block_limit);
	ps->block_text = NULL;
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
	if (sc_ps_parser_init(&ps, flags, d) < 0)
		return -ENOMEM;
	return sc_ps_parser_finish(&ps, sc_ps_parse_lines(&ps, data, n, true, &used), out);
}

size_t sc_ps_parser_memory(const struct parser *ps)
{
	return sc_vec_bytes(ps->frames) + sc_hashmap_bytes(&ps->frame_index) +
	       sc_vec_bytes(ps->dsos) + sc_hashmap_bytes(&ps->dso_index) + sc_vec_bytes(ps->recs) +
	       sc_hashmap_bytes(&ps->rec_index) + sc_vec_bytes(ps->blocks) +
	       sc_hashmap_bytes(&ps->block_index) + ps->block_text_len +
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
	sc_perfscript_stream_options o = {.flags = flags, .max_memory = max_memory, .threads = 1};
	return sc_perfscript_read_stream_opts(f, head, nhead, &o, out, d);
}

int sc_perfscript_read_stream_opts(FILE *f, const void *head, size_t nhead,
				   const sc_perfscript_stream_options *o, sc_profile **out,
				   sc_diag *d)
{
	unsigned flags = o->flags;
	size_t max_memory = o->max_memory;
	/* A regular file is read in parts on several cores when it is big enough; the head the
	 * caller read is the file's bytes before its position. Anything but success (a part that
	 * does not parse, the cap) is read again here, alone, for the exact diagnostic. */
	long pos = o->threads > 1 ? ftell(f) : -1;
	if (pos >= 0 && (size_t)pos >= nhead &&
	    sc_ps_read_split(fileno(f), pos - (long)nhead, flags, max_memory, o->threads,
			     o->part_bytes, out) == 0)
		return 0;
	struct parser ps;
	size_t cap = 1 << 20, len = 0, used;
	char *buf = NULL;
	int r = 0;
	*out = NULL;
	if (sc_ps_parser_init(&ps, flags, d) < 0 || !(buf = malloc(cap))) {
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
		if ((r = sc_ps_parse_lines(&ps, buf, len, eof, &used)) < 0)
			goto out;
		memmove(buf, buf + used, len - used);
		len -= used;
		/* Text is streamed, but what it builds grows with distinct stacks (and with
		 * samples when times are kept): an endless stream of new ones must not take all
		 * memory. */
		if (max_memory && ps.p &&
		    sc_profile_memory(ps.p) + sc_ps_parser_memory(&ps) + cap > max_memory) {
			r = -EFBIG;
			goto out;
		}
	}
out:
	free(buf);
	if (!ps.p)
		return r;
	return sc_ps_parser_finish(&ps, r, out);
}

int sc_perfscript_parse(const char *data, size_t n, sc_profile **out, sc_diag *d)
{
	return sc_perfscript_parse_flags(data, n, 0, out, d);
}

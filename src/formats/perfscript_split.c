/*
 * perfscript_split.c: `perf script` text of a regular file parsed on several cores at once.
 *
 * The text is cut into parts at sample boundaries (a blank line followed by a line that does not
 * start with a blank: the next sample's header), each part is read by a parser of its own (its
 * own profile, caches and records; perfscript.c) on a thread of its own, reading the file with
 * pread in 1 MiB chunks, and the parts are merged into the first one in order:
 *
 *   strings   interned in the order the part interned them;
 *   frames    each (symbol, dso, java) looked up, or created with its mapping, function and
 *             location exactly as the parser creates them (sc_ps_frame_location);
 *   stacks    the part's nodes in id order (a parent before its children) re-interned;
 *   events    by name, appended when new; the period/event flags ORed;
 *   records   summed into equal ones, or appended (every sample's own with times).
 *
 * Every table of a parser grows in the order things are first seen, and a part's "first seen"
 * that the earlier parts already had finds them again, so the merged profile has the same ids
 * in the same order as one parser reading the whole text: every writer (folded, pprof, html)
 * gives the same bytes (tests/unit/test_perfscript.c and tests/cli/perfscript_threads.sh
 * compare them). What differs is only how each part's caches warm up, which never changes a
 * result.
 *
 * Anything unusual makes the caller read the text alone instead (exact diagnostics with the
 * right line numbers come from there): a part that fails to parse, a boundary that cannot be
 * found, events past the limit once merged, memory past the cap (the parts' sum, checked after
 * every chunk).
 *
 * Not here: the grammar (perfscript.c, _header.c, _frame.c); streams that are not regular files
 * (pipes) are read by one parser (sc_perfscript_read_stream_opts).
 */
#include "formats/perfscript_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Below this many bytes a part costs more in thread start and merging than it saves. */
#define MIN_PART_BYTES ((size_t)8 << 20)
#define MAX_PARTS      16
/* How far past its ideal start a part's boundary is looked for. */
#define BOUNDARY_SEARCH ((off_t)16 << 20)
#define CHUNK		((size_t)1 << 20)

struct part {
	int fd;
	off_t from, to;
	struct parser ps;
	sc_diag diag;
	size_t max_memory;
	_Atomic size_t *memory; /* every part's current memory, MAX_PARTS slots */
	size_t index, nparts;
	int r;
};

/* Reads [from, to) of the file through the part's parser. Returns 0, -EFBIG, or an error of
 * parsing or reading. */
static int read_part(struct part *pt)
{
	size_t cap = CHUNK, len = 0, used;
	char *buf = malloc(cap);
	off_t at = pt->from;
	int r = 0;
	if (!buf)
		return -ENOMEM;
	/* As the stream reader: the buffer holds the unread end of the previous chunk (a partial
	 * line) plus new data. */
	for (bool end = false; !end;) {
		if (len == cap) {
			char *grown = cap < MAX_LINE ? realloc(buf, cap * 2) : NULL;
			if (!grown) {
				r = cap < MAX_LINE ? -ENOMEM : -EINVAL;
				break;
			}
			buf = grown;
			cap *= 2;
		}
		size_t want = cap - len;
		if ((off_t)want > pt->to - at)
			want = (size_t)(pt->to - at);
		ssize_t got = want ? pread(pt->fd, buf + len, want, at) : 0;
		if (got < 0) {
			r = -errno;
			break;
		}
		if (got == 0 && want) { /* the file shrank */
			r = -EIO;
			break;
		}
		at += got;
		len += (size_t)got;
		end = at == pt->to;
		if ((r = sc_ps_parse_lines(&pt->ps, buf, len, end, &used)) < 0)
			break;
		memmove(buf, buf + used, len - used);
		len -= used;
		if (pt->max_memory) {
			size_t mine =
				   sc_profile_memory(pt->ps.p) + sc_ps_parser_memory(&pt->ps) + cap,
			       sum = mine;
			atomic_store(&pt->memory[pt->index], mine);
			for (size_t i = 0; i < pt->nparts; i++)
				sum += i == pt->index ? 0 : atomic_load(&pt->memory[i]);
			if (sum > pt->max_memory) {
				r = -EFBIG;
				break;
			}
		}
	}
	free(buf);
	if (r == 0)
		r = sc_ps_end_sample(&pt->ps);
	return r;
}

static void *part_main(void *arg)
{
	struct part *pt = arg;
	pt->r = read_part(pt);
	return NULL;
}

/* The first sample boundary at or after `at` and before `limit`: the offset of a line that does
 * not start with a blank and follows a blank line. -1 when there is none; -errno on a read error.
 */
static off_t find_boundary(int fd, off_t at, off_t limit)
{
	char buf[65536];
	/* Two bytes before `at` are read too, so a "\n\n" just before it counts. */
	off_t pos = at >= 2 ? at - 2 : 0;
	while (pos < limit) {
		size_t want = sizeof(buf);
		if ((off_t)want > limit - pos)
			want = (size_t)(limit - pos);
		ssize_t got = pread(fd, buf, want, pos);
		if (got < 0)
			return -errno;
		if (got < 3)
			return -1;
		for (ssize_t i = 2; i < got; i++) {
			char c = buf[i];
			if (buf[i - 1] == '\n' && buf[i - 2] == '\n' && c != '\n' && c != '\r' &&
			    !is_space(c) && pos + i >= at)
				return pos + i;
		}
		pos += got - 2; /* the last two bytes again, for a boundary across the read */
	}
	return -1;
}

/* Merges part b (ended, its profile untouched since) into part a. Returns 0, -EINVAL (events
 * past the limit) or -ENOMEM. */
static int merge(struct parser *a, struct parser *b)
{
	sc_profile *pa = a->p, *pb = b->p;
	uint32_t *smap = malloc((pb->strings.len + 1) * sizeof(*smap));
	uint32_t *lmap = calloc(pb->locations.len + 1, sizeof(*lmap));
	uint32_t *nmap = malloc((pb->nodes.len + 1) * sizeof(*nmap));
	int32_t emap[MAX_EVENTS];
	int r = -ENOMEM;
	if (!smap || !lmap || !nmap)
		goto out;
	for (size_t i = 0; i < pb->strings.len; i++) {
		int64_t id = sc_profile_intern(pa, pb->strings.data[i]);
		if (id < 0)
			goto out;
		smap[i] = (uint32_t)id;
	}
	for (size_t i = 0; i < b->frames.len; i++) {
		const struct frame_ent *e = &b->frames.data[i];
		const sc_location *l = sc_profile_location(pb, e->location);
		struct range sym = {pb->strings.data[e->sym.str], e->sym.len},
			     dso = {pb->strings.data[e->dso.str], e->dso.len};
		int64_t loc = sc_ps_frame_location(a, sym, dso, e->java, l ? l->address : 0);
		if (loc < 0)
			goto out;
		lmap[e->location] = (uint32_t)loc;
	}
	nmap[0] = 0;
	for (size_t i = 1; i < pb->nodes.len; i++) {
		const sc_stack_node *n = &pb->nodes.data[i];
		int64_t c = sc_profile_stack_child(pa, nmap[n->parent], lmap[n->location]);
		if (c < 0)
			goto out;
		nmap[i] = (uint32_t)c;
	}
	a->any_period |= b->any_period;
	a->event_less_period |= b->event_less_period;
	a->event_less_sample |= b->event_less_sample;
	for (size_t i = 0; i < b->nevents; i++) {
		size_t j = 0;
		const char *name = pb->strings.data[b->events[i].str];
		while (j < a->nevents && !name_eq(pa, a->events[j], name, b->events[i].len))
			j++;
		if (j == a->nevents) {
			if (a->nevents + a->event_less_period >= MAX_EVENTS) {
				r = -EINVAL;
				goto out;
			}
			a->events[a->nevents++] =
			    (struct name){smap[b->events[i].str], b->events[i].len};
		}
		emap[i] = (int32_t)j;
	}
	if (a->nevents + a->event_less_period > MAX_EVENTS) {
		r = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < b->recs.len; i++) {
		struct rec x = b->recs.data[i];
		x.stack = nmap[x.stack];
		x.comm = smap[x.comm];
		x.event = x.event >= 0 ? emap[x.event] : -1;
		if ((r = sc_ps_merge_rec(a, &x)) < 0)
			goto out;
	}
	r = 0;
out:
	free(smap);
	free(lmap);
	free(nmap);
	return r;
}

int sc_ps_read_split(int fd, long start, unsigned flags, size_t max_memory, int threads,
		     size_t part_bytes, sc_profile **out)
{
	struct stat st;
	*out = NULL;
	off_t least = (off_t)(part_bytes ? part_bytes : MIN_PART_BYTES);
	if (threads <= 1 || fd < 0 || start < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size - start < 2 * least)
		return 1;
	size_t nparts = (size_t)((st.st_size - start) / least);
	if (nparts > (size_t)threads)
		nparts = (size_t)threads;
	if (nparts > MAX_PARTS)
		nparts = MAX_PARTS;
	off_t bound[MAX_PARTS + 1];
	bound[0] = start;
	size_t n = 1;
	for (size_t i = 1; i < nparts; i++) {
		off_t ideal = start + (off_t)((st.st_size - start) / (off_t)nparts * (off_t)i);
		if (ideal <= bound[n - 1])
			continue;
		off_t lim =
		    ideal + BOUNDARY_SEARCH < st.st_size ? ideal + BOUNDARY_SEARCH : st.st_size;
		off_t b = find_boundary(fd, ideal, lim);
		if (b < 0)
			break;
		bound[n++] = b;
	}
	if (n < 2)
		return 1;
	bound[n] = st.st_size;

	struct part *parts = calloc(n, sizeof(*parts));
	_Atomic size_t *memory = calloc(n, sizeof(*memory));
	pthread_t tid[MAX_PARTS];
	bool started[MAX_PARTS] = {false};
	int r = -ENOMEM;
	if (!parts || !memory)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct part *pt = &parts[i];
		*pt = (struct part){.fd = fd,
				    .from = bound[i],
				    .to = bound[i + 1],
				    .max_memory = max_memory,
				    .memory = memory,
				    .index = i,
				    .nparts = n};
		sc_diag_clear(&pt->diag);
		if (sc_ps_parser_init(&pt->ps, flags, &pt->diag) < 0)
			goto out;
	}
	/* Part 0 on this thread; a part whose thread cannot start is read here after it. */
	for (size_t i = 1; i < n; i++)
		started[i] = pthread_create(&tid[i], NULL, part_main, &parts[i]) == 0;
	part_main(&parts[0]);
	for (size_t i = 1; i < n; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			part_main(&parts[i]);
	}
	r = 0;
	for (size_t i = 0; i < n && r == 0; i++)
		r = parts[i].r;
	for (size_t i = 1; i < n && r == 0; i++)
		r = merge(&parts[0].ps, &parts[i].ps);
out:
	for (size_t i = n; parts && i-- > 0;) {
		if (!parts[i].ps.p)
			continue;
		if (i == 0 && r == 0)
			r = sc_ps_parser_finish(&parts[0].ps, 0, out);
		else
			sc_ps_parser_finish(&parts[i].ps, -ECANCELED, &(sc_profile *){NULL});
	}
	free(parts);
	free(memory);
	return r;
}

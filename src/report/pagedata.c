/*
 * pagedata.c: the timeline and annotate sections of the flamegraph page's JSON (pagedata.h says
 * what they are; flamegraph.c's opening comment shows their JSON).
 *
 * Timeline: the samples with a time are counted into (track, time bucket, page node) cells,
 * which is all the page needs to draw each thread's activity and to rebuild the flamegraph of a
 * brushed range: a range's flamegraph is the sum of its cells' values at their nodes, folded up
 * the tree. Cells are sorted by track, bucket and node and written with the bucket as a delta
 * from the previous cell's, so a long run of one hot stack costs a few characters a bucket, not
 * a number per sample (the page stays small whatever the run's length: at most buckets x drawn
 * nodes cells per track).
 *
 * Annotate: sc_annotate_compute over every function, the hottest written with their lines and,
 * when the source file can be read now, the text of the sampled lines with a little context.
 *
 * Not here: the call tree (flamegraph.c), the text views of --annotate (annotate.c).
 */
#include "report/pagedata.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "profile/filter.h"
#include "report/annotate.h"
#include "report/frames.h"
#include "util/fileio.h"

#define NONE UINT32_MAX

static int flush(sc_strbuf *sb, FILE *f)
{
	return sb->len < (1 << 16) ? 0 : sc_flush_strbuf(sb, f);
}

struct cell {
	uint32_t track, bucket, node;
	int64_t value;
};

struct thread {
	uint32_t pid, tid;
	uint64_t first;	  /* time of its first sample */
	int64_t total;	  /* its value, to pick the tracks drawn */
	sc_str name;	  /* the last name its samples carried */
	uint32_t track;	  /* after numbering */
	uint32_t nmerged; /* threads folded into this track (the "other threads" one) */
};

static int cmp_cell(const void *x, const void *y)
{
	const struct cell *a = x, *b = y;
	if (a->track != b->track)
		return a->track < b->track ? -1 : 1;
	if (a->bucket != b->bucket)
		return a->bucket < b->bucket ? -1 : 1;
	return a->node < b->node ? -1 : a->node > b->node;
}

static int cmp_total(const void *x, const void *y, void *ctx)
{
	const struct thread *t = ctx;
	const uint32_t *a = x, *b = y;
	int c = sc_cmp_desc(t[*a].total, t[*b].total);
	return c ? c : (*a < *b ? -1 : *a > *b);
}

static int cmp_first(const void *x, const void *y, void *ctx)
{
	const struct thread *t = ctx;
	const uint32_t *a = x, *b = y;
	if (t[*a].first != t[*b].first)
		return t[*a].first < t[*b].first ? -1 : 1;
	return *a < *b ? -1 : *a > *b;
}

/* How many distinct (track, bucket, node) cells sorted `cells` hold. */
static size_t distinct(const struct cell *cells, size_t n)
{
	size_t d = n ? 1 : 0;
	for (size_t i = 1; i < n; i++)
		d += cells[i].track != cells[i - 1].track ||
		     cells[i].bucket != cells[i - 1].bucket || cells[i].node != cells[i - 1].node;
	return d;
}

static bool cell_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct cell *c = &((const struct cell *)ctx)[value], *k = key;
	return c->track == k->track && c->bucket == k->bucket && c->node == k->node;
}

static bool thread_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct thread *t = &((const struct thread *)ctx)[value];
	const uint32_t *k = key;
	return t->pid == k[0] && t->tid == k[1];
}

static bool counted(const sc_profile *p, int type, const uint32_t *node_of_stack, size_t i)
{
	const sc_sample *s = &p->samples.data[i];
	return s->time_ns && sc_profile_sample_values(p, i)[type] &&
	       node_of_stack[s->stack] != NONE;
}

/* Writes the tracks: one per thread, or the SC_TIMELINE_TRACKS - 1 busiest and one for the
 * rest, in order of their first sample. Sets each thread's track. */
static int write_tracks(const sc_profile *p, struct thread *th, size_t n, sc_strbuf *sb)
{
	uint32_t *order = malloc((n ? n : 1) * sizeof(*order));
	size_t shown = n <= SC_TIMELINE_TRACKS ? n : SC_TIMELINE_TRACKS - 1;
	int r = -ENOMEM;
	if (!order)
		return r;
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, n, sizeof(*order), cmp_total, th);
	qsort_r(order, shown, sizeof(*order), cmp_first, th);
	if (sc_strbuf_adds(sb, ",\"tracks\":[") < 0)
		goto out;
	for (size_t k = 0; k < shown; k++) {
		struct thread *t = &th[order[k]];
		t->track = (uint32_t)k;
		if (sc_strbuf_addf(sb, "%s{\"name\":", k ? "," : "") < 0 ||
		    sc_add_json_quoted(sb, sc_profile_str(p, t->name)) < 0 ||
		    sc_strbuf_addf(sb, ",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 "}", t->pid,
				   t->tid) < 0)
			goto out;
	}
	if (shown < n) {
		for (size_t k = shown; k < n; k++)
			th[order[k]].track = (uint32_t)shown;
		if (sc_strbuf_addf(sb, ",{\"name\":\"%zu other threads\",\"threads\":%zu}",
				   n - shown, n - shown) < 0)
			goto out;
	}
	r = sc_strbuf_adds(sb, "]");
out:
	free(order);
	return r;
}

static int by_length(const void *x, const void *y, void *ctx)
{
	const sc_interval *iv = ctx;
	const sc_interval *a = &iv[*(const uint32_t *)x], *b = &iv[*(const uint32_t *)y];
	uint64_t la = a->end_ns - a->start_ns, lb = b->end_ns - b->start_ns;
	if (la != lb)
		return la > lb ? -1 : 1;
	return a->start_ns < b->start_ns ? -1 : a->start_ns > b->start_ns;
}

/* `,"spans":{"names":[...],"data":[track,start,length,depth,name,...]}`: the profile's
 * intervals on the tracks of their threads (start in ns from the timeline's start, may be
 * negative; name an index into names), the SC_TIMELINE_SPANS longest; none on the track of
 * "other threads". */
static int write_spans(const sc_profile *p, const struct thread *th, size_t nth,
		       const sc_hashmap *index, uint64_t t0, sc_strbuf *sb)
{
	size_t n = p->intervals.len, keep = n < SC_TIMELINE_SPANS ? n : SC_TIMELINE_SPANS;
	uint32_t other = nth > SC_TIMELINE_TRACKS ? SC_TIMELINE_TRACKS - 1 : UINT32_MAX;
	uint32_t *order = malloc((n ? n : 1) * sizeof(*order));
	uint32_t *name_of = calloc(p->strings.len + 1, sizeof(*name_of)); /* string -> index + 1 */
	SC_VEC(sc_str) names = {0};
	sc_strbuf data = {0};
	int r = -ENOMEM;
	if (!order || !name_of)
		goto out;
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, n, sizeof(*order), by_length, p->intervals.data);
	bool first = true;
	for (size_t k = 0; k < keep; k++) {
		const sc_interval *iv = &p->intervals.data[order[k]];
		uint32_t key[2] = {iv->pid, iv->tid};
		uint64_t h = sc_hash_combine(sc_hash_u64(iv->pid), iv->tid), v;
		if (!sc_hashmap_get(index, h, thread_eq, key, th, &v) || th[v].track == other)
			continue;
		if (!name_of[iv->name]) {
			if (sc_vec_push(&names, iv->name) < 0)
				goto out;
			name_of[iv->name] = (uint32_t)names.len;
		}
		if (sc_strbuf_addf(&data,
				   "%s%" PRIu32 ",%" PRId64 ",%" PRIu64 ",%" PRIu32 ",%" PRIu32,
				   first ? "" : ",", th[v].track, (int64_t)(iv->start_ns - t0),
				   iv->end_ns - iv->start_ns, iv->depth, name_of[iv->name] - 1) < 0)
			goto out;
		first = false;
	}
	if (sc_strbuf_adds(sb, ",\n\"spans\":{\"names\":[") < 0)
		goto out;
	for (size_t i = 0; i < names.len; i++)
		if ((i && sc_strbuf_addc(sb, ',') < 0) ||
		    sc_add_json_quoted(sb, sc_profile_str(p, names.data[i])) < 0)
			goto out;
	if (sc_strbuf_adds(sb, "],\"data\":[") < 0 ||
	    sc_strbuf_add(sb, data.buf ? data.buf : "", data.len) < 0 ||
	    sc_strbuf_adds(sb, "]}") < 0)
		goto out;
	r = 0;
out:
	free(order);
	free(name_of);
	sc_vec_release(&names);
	sc_strbuf_release(&data);
	return r;
}

/* `,"counters":[{"name":"...","data":[time,value,...]},...]`: the profile's counter series
 * (scorch record --gpu's GPU metrics) in the order they first appear, each point's time in ns
 * from the timeline's start (may be negative), at most SC_TIMELINE_COUNTER_POINTS points a
 * series (every k-th beyond). */
static int write_counters(const sc_profile *p, uint64_t t0, sc_strbuf *sb)
{
	SC_VEC(sc_str) series = {0};
	uint8_t *seen = calloc(p->strings.len + 1, 1);
	int r = -ENOMEM;
	if (!seen)
		goto out;
	for (size_t i = 0; i < p->counters.len; i++) {
		sc_str s = p->counters.data[i].series;
		if (!seen[s]) {
			seen[s] = 1;
			if (sc_vec_push(&series, s) < 0)
				goto out;
		}
	}
	if (sc_strbuf_adds(sb, ",\n\"counters\":[") < 0)
		goto out;
	for (size_t k = 0; k < series.len; k++) {
		size_t n = 0;
		for (size_t i = 0; i < p->counters.len; i++)
			n += p->counters.data[i].series == series.data[k];
		size_t stride = n / SC_TIMELINE_COUNTER_POINTS + 1, j = 0;
		if ((k && sc_strbuf_addc(sb, ',') < 0) || sc_strbuf_adds(sb, "{\"name\":") < 0 ||
		    sc_add_json_quoted(sb, sc_profile_str(p, series.data[k])) < 0 ||
		    sc_strbuf_adds(sb, ",\"data\":[") < 0)
			goto out;
		bool first = true;
		for (size_t i = 0; i < p->counters.len; i++) {
			const sc_counter_point *c = &p->counters.data[i];
			if (c->series != series.data[k] || j++ % stride)
				continue;
			if (sc_strbuf_addf(sb, "%s%" PRId64 ",%.15g", first ? "" : ",",
					   (int64_t)(c->time_ns - t0), c->value) < 0)
				goto out;
			first = false;
		}
		if (sc_strbuf_adds(sb, "]}") < 0)
			goto out;
	}
	r = sc_strbuf_adds(sb, "]") < 0 ? -ENOMEM : 0;
out:
	free(seen);
	sc_vec_release(&series);
	return r;
}

int sc_page_write_timeline(const sc_profile *p, int type, const uint32_t *node_of_stack,
			   sc_strbuf *sb, FILE *f)
{
	uint64_t t0 = UINT64_MAX, t1 = 0;
	size_t ncells = 0;
	for (size_t i = 0; i < p->samples.len; i++) {
		if (!counted(p, type, node_of_stack, i))
			continue;
		uint64_t t = p->samples.data[i].time_ns;
		t0 = t < t0 ? t : t0;
		t1 = t > t1 ? t : t1;
		ncells++;
	}
	if (!ncells)
		return 0;
	/* The spans' times count too: the run is from the first sample or span to the last. */
	for (size_t i = 0; i < p->intervals.len; i++) {
		const sc_interval *iv = &p->intervals.data[i];
		t0 = iv->start_ns < t0 ? iv->start_ns : t0;
		t1 = iv->end_ns > t1 ? iv->end_ns : t1;
	}
	uint64_t span = t1 - t0;
	uint32_t nb = span ? SC_TIMELINE_BUCKETS : 1;
	uint64_t width = span / nb + 1; /* every time falls in 0..nb-1 */
	SC_VEC(struct thread) th = {0};
	sc_hashmap index = {0}, cell_index = {0};
	/* Summed as they come (track: the thread's index until the tracks are chosen), so only the
	 * distinct cells are sorted, not the samples. */
	SC_VEC(struct cell) cv = {0};
	sc_names names;
	sc_strbuf tracks = {0};
	int r = -ENOMEM;
	sc_names_init(&names, p);
	for (size_t i = 0; i < p->samples.len; i++) {
		if (!counted(p, type, node_of_stack, i))
			continue;
		const sc_sample *s = &p->samples.data[i];
		uint32_t key[2] = {s->pid, s->tid};
		uint64_t h = sc_hash_combine(sc_hash_u64(s->pid), s->tid), v;
		if (!sc_hashmap_get(&index, h, thread_eq, key, th.data, &v)) {
			v = th.len;
			struct thread t = {.pid = s->pid, .tid = s->tid, .first = s->time_ns};
			if (sc_vec_push(&th, t) < 0 || sc_hashmap_put(&index, h, v) < 0)
				goto out;
		}
		struct thread *t = &th.data[v];
		int64_t value = sc_profile_sample_values(p, i)[type];
		sc_str name = sc_sample_thread_name(p, &names, i);
		if (name)
			t->name = name;
		t->first = s->time_ns < t->first ? s->time_ns : t->first;
		t->total = sc_sat_add(t->total, value);
		struct cell x = {.track = (uint32_t)v,
				 .bucket = (uint32_t)((s->time_ns - t0) / width),
				 .node = node_of_stack[s->stack],
				 .value = value};
		uint64_t ch =
		    sc_hash_combine(sc_hash_combine(sc_hash_u64(x.track), x.bucket), x.node);
		if (sc_hashmap_get(&cell_index, ch, cell_eq, &x, cv.data, &v)) {
			cv.data[v].value = sc_sat_add(cv.data[v].value, value);
		} else if (sc_vec_push(&cv, x) < 0 ||
			   sc_hashmap_put(&cell_index, ch, cv.len - 1) < 0) {
			goto out;
		}
	}
	/* Threads with spans (scorch record --trace) but no sample get a track too: a thread that
	 * only waits inside its spans is what they show best. */
	for (size_t i = 0; i < p->intervals.len; i++) {
		const sc_interval *iv = &p->intervals.data[i];
		uint32_t key[2] = {iv->pid, iv->tid};
		uint64_t h = sc_hash_combine(sc_hash_u64(iv->pid), iv->tid), v;
		if (sc_hashmap_get(&index, h, thread_eq, key, th.data, &v)) {
			struct thread *t = &th.data[v];
			if (!t->name)
				t->name = iv->thread_name;
			continue;
		}
		struct thread t = {
		    .pid = iv->pid, .tid = iv->tid, .first = iv->start_ns, .name = iv->thread_name};
		if (sc_vec_push(&th, t) < 0 || sc_hashmap_put(&index, h, th.len - 1) < 0)
			goto out;
	}
	if (write_tracks(p, th.data, th.len, &tracks) < 0)
		goto out;
	struct cell *cells = cv.data;
	ncells = cv.len;
	for (size_t i = 0; i < ncells; i++)
		cells[i].track = th.data[cells[i].track].track;
	/* Coarser buckets (two at a time) while the cells would exceed the cap. */
	unsigned shift = 0;
	qsort(cells, ncells, sizeof(*cells), cmp_cell);
	while (distinct(cells, ncells) > SC_TIMELINE_CELLS && (nb - 1) >> shift) {
		shift++;
		for (size_t i = 0; i < ncells; i++)
			cells[i].bucket >>= 1;
		qsort(cells, ncells, sizeof(*cells), cmp_cell);
	}
	if (sc_strbuf_addf(sb,
			   ",\n\"timeline\":{\"start_ns\":%" PRIu64 ",\"bucket_ns\":%" PRIu64
			   ",\"buckets\":%" PRIu32,
			   t0, width << shift, ((nb - 1) >> shift) + 1) < 0 ||
	    sc_strbuf_add(sb, tracks.buf, tracks.len) < 0)
		goto out;
	if (p->intervals.len && write_spans(p, th.data, th.len, &index, t0, sb) < 0)
		goto out;
	if (p->counters.len && write_counters(p, t0, sb) < 0)
		goto out;
	/* Per track: bucket delta, node, value, for each (bucket, node) with a value. */
	if (sc_strbuf_adds(sb, ",\n\"cells\":[[") < 0)
		goto out;
	uint32_t track = 0, bucket = 0;
	bool first = true;
	for (size_t i = 0; i < ncells;) {
		struct cell x = cells[i++];
		while (i < ncells && cells[i].track == x.track && cells[i].bucket == x.bucket &&
		       cells[i].node == x.node)
			x.value = sc_sat_add(x.value, cells[i++].value);
		for (; track < x.track; track++, bucket = 0, first = true)
			if (sc_strbuf_adds(sb, "],\n[") < 0)
				goto out;
		if (sc_strbuf_addf(sb, "%s%" PRIu32 ",%" PRIu32 ",%" PRId64, first ? "" : ",",
				   x.bucket - bucket, x.node, x.value) < 0 ||
		    flush(sb, f) < 0)
			goto out;
		bucket = x.bucket;
		first = false;
	}
	r = sc_strbuf_adds(sb, "]]}");
out:
	if (r == -ENOMEM && ferror(f))
		r = -EIO; /* a flush that failed, not an allocation */
	sc_vec_release(&cv);
	sc_hashmap_release(&cell_index);
	sc_strbuf_release(&tracks);
	sc_vec_release(&th);
	sc_hashmap_release(&index);
	return r;
}

/*
 * Annotate.
 */

struct source {
	sc_str file; /* the file `text` holds, 0 for none */
	char *text;
	SC_VEC(const char *) lines; /* lines.data[n - 1]: start of line n in text */
	bool readable;
};

static void source_release(struct source *s)
{
	free(s->text);
	sc_vec_release(&s->lines);
	*s = (struct source){0};
}

/* Loads `file` into `s` unless it is already there. Returns 0 (s->readable says whether it
 * could be read) or -ENOMEM. */
static int source_load(struct source *s, const sc_profile *p, sc_str file)
{
	if (s->file == file)
		return 0;
	source_release(s);
	s->file = file;
	size_t n;
	if (!file || sc_read_file_max(sc_profile_str(p, file), 64u << 20, &s->text, &n) < 0)
		return 0;
	for (char *c = s->text; c < s->text + n;) {
		if (sc_vec_push(&s->lines, c) < 0)
			return -ENOMEM;
		char *nl = memchr(c, '\n', (size_t)(s->text + n - c));
		if (!nl)
			break;
		*nl = '\0';
		c = nl + 1;
	}
	s->readable = true;
	return 0;
}

typedef SC_VEC(sc_str) str_vec;

/* The index of `file` in the section's file table, added if new. */
static int64_t file_index(str_vec *files, sc_str file)
{
	for (size_t i = 0; i < files->len; i++)
		if (files->data[i] == file)
			return (int64_t)i;
	if (sc_vec_push(files, file) < 0)
		return -ENOMEM;
	return (int64_t)files->len - 1;
}

static bool has_lines(const sc_annotate_func *fn)
{
	for (size_t i = 0; i < fn->nlines; i++)
		if (fn->lines[i].line > 0)
			return true;
	return false;
}

/* Lines shown around each sampled line (as the text view shows them). */
#define CONTEXT 2

/* Writes "src":[line,"text",...]: the function's first line and its sampled lines of its own
 * file with CONTEXT lines around them, within *budget bytes of text. */
static int write_source(const sc_annotate_func *fn, const sc_function *f, struct source *src,
			size_t *budget, sc_strbuf *sb)
{
	size_t nl = src->lines.len;
	uint8_t *want = calloc(nl + 1, 1);
	int r = -ENOMEM;
	if (!want)
		return r;
	if (f->start_line > 0 && (size_t)f->start_line <= nl)
		want[f->start_line] = 1;
	for (size_t i = 0; i < fn->nlines; i++) {
		const sc_annotate_line *l = &fn->lines[i];
		if (l->file != f->filename || l->line <= 0 || (size_t)l->line > nl)
			continue;
		for (int64_t k = l->line - CONTEXT; k <= l->line + CONTEXT; k++)
			if (k >= 1 && (size_t)k <= nl)
				want[k] = 1;
	}
	if (sc_strbuf_adds(sb, ",\"src\":[") < 0)
		goto out;
	bool first = true;
	for (size_t k = 1; k <= nl; k++) {
		if (!want[k])
			continue;
		const char *text = src->lines.data[k - 1];
		size_t len = strlen(text);
		if (len > *budget)
			break;
		*budget -= len;
		if (sc_strbuf_addf(sb, "%s%zu,", first ? "" : ",", k) < 0 ||
		    sc_add_json_quoted(sb, text) < 0)
			goto out;
		first = false;
	}
	r = sc_strbuf_adds(sb, "]");
out:
	free(want);
	return r;
}

int sc_page_write_annotate(const sc_profile *p, int type, sc_strbuf *sb, FILE *f)
{
	sc_annotate a;
	int r = sc_annotate_compute(p, type, ".", &a);
	if (r == -ENOENT || r == -EINVAL)
		return 0;
	if (r < 0)
		return r;
	str_vec files = {0};
	struct source src = {0};
	size_t budget = SC_PAGE_SOURCE_BYTES, written = 0;
	r = -ENOMEM;
	for (size_t i = 0; i < a.len && written < SC_PAGE_ANNOTATE_FUNCS; i++) {
		const sc_annotate_func *fn = &a.funcs[i];
		const sc_function *func = sc_profile_function(p, fn->function);
		if (!func || !has_lines(fn))
			continue;
		int64_t own = file_index(&files, func->filename);
		if (own < 0)
			goto out;
		if (sc_strbuf_adds(sb, written ? ",\n{\"name\":"
					       : ",\n\"annotate\":{\"funcs\":[{"
						 "\"name\":") < 0 ||
		    sc_add_json_quoted(sb, sc_profile_str(p, func->name)) < 0 ||
		    sc_strbuf_addf(sb,
				   ",\"file\":%" PRId64 ",\"start\":%" PRId64 ",\"self\":%" PRId64
				   ",\"total\":%" PRId64 ",\"lines\":[",
				   own, func->start_line, fn->self, fn->total) < 0)
			goto out;
		for (size_t k = 0; k < fn->nlines; k++) {
			const sc_annotate_line *l = &fn->lines[k];
			int64_t fi = file_index(&files, l->file);
			if (fi < 0 ||
			    sc_strbuf_addf(sb, "%s%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64,
					   k ? "," : "", fi, l->line, l->self, l->total) < 0)
				goto out;
		}
		if (sc_strbuf_adds(sb, "]") < 0 || source_load(&src, p, func->filename) < 0 ||
		    (src.readable && write_source(fn, func, &src, &budget, sb) < 0) ||
		    sc_strbuf_adds(sb, "}") < 0 || flush(sb, f) < 0)
			goto out;
		written++;
	}
	if (written) {
		if (sc_strbuf_adds(sb, "],\"files\":[") < 0)
			goto out;
		for (size_t i = 0; i < files.len; i++)
			if ((i && sc_strbuf_addc(sb, ',') < 0) ||
			    sc_add_json_quoted(sb, sc_profile_str(p, files.data[i])) < 0)
				goto out;
		if (sc_strbuf_adds(sb, "]}") < 0)
			goto out;
	}
	r = 0;
out:
	if (r == -ENOMEM && ferror(f))
		r = -EIO; /* a flush that failed, not an allocation */
	source_release(&src);
	sc_vec_release(&files);
	sc_annotate_release(&a);
	return r;
}

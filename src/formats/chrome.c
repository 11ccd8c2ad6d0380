/*
 * chrome.c: the Chrome trace event format, written (see chrome.h for the contract and for why
 * complete "X" events).
 *
 *     {"traceEvents":[
 *     {"ph":"M","name":"process_name","pid":14457,"tid":0,"args":{"name":"hot"}},
 *     {"ph":"M","name":"thread_name","pid":14457,"tid":14458,"args":{"name":"worker"}},
 *     {"ph":"X","name":"main","cat":"hot","pid":14457,"tid":14457,
 *      "ts":1857244490.000,"dur":30030.030},                    <- microseconds
 *     {"ph":"X","name":"hot_a","cat":"hot","pid":14457,"tid":14457,
 *      "ts":1857244490.000,"dur":15015.015},
 *     ...],
 *     "displayTimeUnit":"ns",
 *     "otherData":{"version":"scorch chrome trace 1"}}          <- our version (SC_CHROME_V)
 *
 * A profile's intervals (profile.h: the spans of scorch record --trace) are X events with "cat"
 * "span" on a track of their own per thread (tid + SC_CHROME_SPAN_TID, named "THREAD spans"):
 * spans nest exactly and sampled slices approximately, so one track could not hold both.
 *
 * Process and thread names are the samples' (sc_sample_process_name / sc_sample_thread_name,
 * profile/filter.h); a process without one is named after the options' name.
 *
 * ts and dur are microseconds (the format's unit) with three decimals, so nanoseconds survive;
 * ts is the sample's own clock (perf's, or the recorder's CLOCK_MONOTONIC). "cat" is the frame's
 * module. Events of a thread are sorted by start, outer frames first, so a viewer that does not
 * sort still nests them.
 *
 * How slices are built, per thread, samples in time order: keep the stack of open slices; for each
 * sample, close the open slices below the frames it shares with them (at the previous sample's
 * end), open its remaining frames at its start. Frames compare by function (by location when not
 * symbolized), so two call sites of one function continue one slice.
 */
#include "formats/chrome.h"
#include "profile/filter.h"
#include "util/strbuf.h"
#include "util/vec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define SC_CHROME_V "scorch chrome trace 1"

struct open_slice {
	uint64_t key; /* function id, or location id | 1 << 32 */
	sc_frame frame;
	uint64_t start;
};

struct slice {
	uint64_t start, dur;
	uint32_t depth;
	sc_frame frame;
};

struct writer {
	const sc_profile *p;
	int type;
	bool ns; /* the type's unit is nanoseconds */
	SC_VEC(struct open_slice) open;
	SC_VEC(struct slice) slices; /* the current thread's */
	SC_VEC(sc_frame) frames;
	SC_VEC(uint64_t) gaps;
	uint32_t *preorder; /* stack node -> rank in a depth-first walk of the call tree */
	sc_strbuf out;
	size_t nevents;
};

/* Starts an event in w->out: the separator from the previous one. */
static int begin_event(struct writer *w)
{
	return sc_strbuf_adds(&w->out, w->nevents++ ? ",\n{" : "\n{");
}

static int by_thread_time(const void *a, const void *b, void *ctx)
{
	const struct writer *w = ctx;
	const sc_sample *x = &w->p->samples.data[*(const size_t *)a];
	const sc_sample *y = &w->p->samples.data[*(const size_t *)b];
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	/* Equal times: call-tree order, then recording order. */
	uint32_t u = w->preorder[x->stack], v = w->preorder[y->stack];
	if (u != v)
		return u < v ? -1 : 1;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	return i < j ? -1 : i > j;
}

static int by_start(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->depth < y->depth ? -1 : x->depth > y->depth;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Ranks every stack node in depth-first order (iterative: stacks can be deep). */
static int rank_nodes(struct writer *w)
{
	const sc_profile *p = w->p;
	w->preorder = calloc(p->nodes.len + 1, sizeof(*w->preorder));
	if (!w->preorder)
		return -ENOMEM;
	uint32_t rank = 0;
	sc_stack_id id = 0;
	for (;;) {
		w->preorder[id] = rank++;
		const sc_stack_node *n = sc_profile_node(p, id);
		if (n->first_child) {
			id = n->first_child;
			continue;
		}
		while (id && !sc_profile_node(p, id)->next_sibling)
			id = sc_profile_node(p, id)->parent;
		if (!id)
			break;
		id = sc_profile_node(p, id)->next_sibling;
	}
	return 0;
}

static uint64_t frame_key(const sc_frame *f)
{
	return f->function ? f->function : (uint64_t)f->location | 1ull << 32;
}

/* Closes open slices deeper than `keep`, ending at `end`. */
static int close_to(struct writer *w, size_t keep, uint64_t end)
{
	while (w->open.len > keep) {
		struct open_slice *o = &w->open.data[--w->open.len];
		struct slice s = {o->start, end > o->start ? end - o->start : 0,
				  (uint32_t)w->open.len, o->frame};
		if (sc_vec_push(&w->slices, s) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int add_us(sc_strbuf *sb, const char *key, uint64_t ns)
{
	return sc_strbuf_addf(sb, ",\"%s\":%" PRIu64 ".%03u", key, ns / 1000,
			      (unsigned)(ns % 1000));
}

/* A metadata event naming process `pid` (tid 0) or thread `tid`: "process_name" or
 * "thread_name", the names Perfetto and chrome://tracing label tracks with. */
static int meta_event(struct writer *w, const char *what, uint32_t pid, uint32_t tid,
		      const char *name)
{
	if (begin_event(w) < 0 ||
	    sc_strbuf_addf(&w->out,
			   "\"ph\":\"M\",\"name\":\"%s\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32
			   ",\"args\":{\"name\":\"",
			   what, pid, tid) < 0 ||
	    sc_strbuf_add_json(&w->out, name) < 0 || sc_strbuf_adds(&w->out, "\"}}") < 0)
		return -ENOMEM;
	return 0;
}

/* Writes the slices of thread (pid, tid) into w->out and forgets them. */
static int flush_slices(struct writer *w, uint32_t pid, uint32_t tid)
{
	if (w->slices.len)
		qsort(w->slices.data, w->slices.len, sizeof(*w->slices.data), by_start);
	sc_strbuf *sb = &w->out;
	int r = 0;
	for (size_t i = 0; i < w->slices.len && !r; i++) {
		const struct slice *s = &w->slices.data[i];
		r |= begin_event(w);
		r |= sc_strbuf_adds(sb, "\"ph\":\"X\",\"name\":\"");
		r |= sc_strbuf_add_json(sb, sc_profile_frame_name(w->p, &s->frame));
		r |= sc_strbuf_adds(sb, "\",\"cat\":\"");
		r |= sc_strbuf_add_json(sb, sc_profile_location_module(w->p, s->frame.location));
		r |= sc_strbuf_addf(sb, "\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32, pid, tid);
		r |= add_us(sb, "ts", s->start);
		r |= add_us(sb, "dur", s->dur);
		r |= sc_strbuf_addc(sb, '}');
	}
	w->slices.len = 0;
	return r ? -ENOMEM : 0;
}

/* One thread: samples order[0..n), all of one (pid, tid), sorted by time. */
static int add_thread(struct writer *w, const size_t *order, size_t n)
{
	const sc_profile *p = w->p;
	const sc_sample *first = &p->samples.data[order[0]];
	int r;

	/* The typical interval: the median gap between samples (1 ms when unknown). */
	uint64_t typical = 1000000;
	w->gaps.len = 0;
	for (size_t k = 1; k < n; k++) {
		uint64_t g =
		    p->samples.data[order[k]].time_ns - p->samples.data[order[k - 1]].time_ns;
		if (g && sc_vec_push(&w->gaps, g) < 0)
			return -ENOMEM;
	}
	if (w->gaps.len) {
		qsort(w->gaps.data, w->gaps.len, sizeof(*w->gaps.data), cmp_u64);
		typical = w->gaps.data[w->gaps.len / 2];
	}

	uint64_t prev_end = 0;
	bool any = false;
	for (size_t k = 0; k < n; k++) {
		const sc_sample *s = &p->samples.data[order[k]];
		int64_t v = sc_profile_sample_values(p, order[k])[w->type];
		if (v <= 0)
			continue;
		uint64_t start = s->time_ns, width = w->ns ? (uint64_t)v : typical;
		if (k + 1 < n) {
			uint64_t next = p->samples.data[order[k + 1]].time_ns;
			if (next >= start && next - start < width)
				width = next - start;
		}
		size_t nf = sc_profile_stack_frames(p, s->stack, w->frames.data, w->frames.cap);
		if (nf > w->frames.cap) {
			if (sc_vec_reserve(&w->frames, nf) < 0)
				return -ENOMEM;
			sc_profile_stack_frames(p, s->stack, w->frames.data, w->frames.cap);
		}
		/* Off CPU for longer than a sample interval: the open slices end. */
		size_t common = 0;
		if (any && start <= prev_end + typical)
			while (common < nf && common < w->open.len &&
			       w->open.data[common].key == frame_key(&w->frames.data[common]))
				common++;
		if ((r = close_to(w, common, prev_end)) < 0)
			return r;
		if (sc_vec_reserve(&w->open, nf) < 0)
			return -ENOMEM;
		for (size_t i = common; i < nf; i++) {
			struct open_slice o = {frame_key(&w->frames.data[i]), w->frames.data[i],
					       start};
			w->open.data[w->open.len++] = o;
		}
		prev_end = start + width < start ? UINT64_MAX : start + width;
		any = true;
	}
	if ((r = close_to(w, 0, prev_end)) < 0)
		return r;
	return flush_slices(w, first->pid, first->tid);
}

/* The profile's intervals (spans of scorch record --trace): an X event each on a track of their
 * own beside their thread's (tid + SC_CHROME_SPAN_TID), named "THREAD spans". */
static int add_intervals(struct writer *w)
{
	const sc_profile *p = w->p;
	size_t n = p->intervals.len;
	size_t *order = sc_profile_intervals_by_thread(p);
	if (!order)
		return -ENOMEM;
	int r = 0;
	for (size_t k = 0; k < n && !r; k++) {
		const sc_interval *iv = &p->intervals.data[order[k]];
		uint32_t tid = iv->tid + SC_CHROME_SPAN_TID;
		if (!k || iv->pid != p->intervals.data[order[k - 1]].pid ||
		    iv->tid != p->intervals.data[order[k - 1]].tid) {
			char name[160];
			snprintf(name, sizeof(name), "%s spans",
				 iv->thread_name ? sc_profile_str(p, iv->thread_name) : "thread");
			if ((r = meta_event(w, "thread_name", iv->pid, tid, name)) < 0)
				break;
		}
		if (begin_event(w) < 0 || sc_strbuf_adds(&w->out, "\"ph\":\"X\",\"name\":\"") < 0 ||
		    sc_strbuf_add_json(&w->out, sc_profile_str(p, iv->name)) < 0 ||
		    sc_strbuf_addf(&w->out,
				   "\",\"cat\":\"span\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32,
				   iv->pid, tid) < 0 ||
		    add_us(&w->out, "ts", iv->start_ns) < 0 ||
		    add_us(&w->out, "dur", iv->end_ns - iv->start_ns) < 0 ||
		    sc_strbuf_adds(&w->out, "}") < 0)
			r = -ENOMEM;
	}
	free(order);
	return r;
}

int sc_chrome_check(const sc_profile *p, int type)
{
	if (type < 0 || (size_t)type >= p->nsample_types)
		return -EINVAL;
	for (size_t i = 0; i < p->samples.len; i++)
		if (!p->samples.data[i].time_ns && sc_profile_sample_values(p, i)[type] > 0)
			return -ENODATA;
	return 0;
}

int sc_chrome_write(const sc_profile *p, const sc_chrome_options *o, FILE *f)
{
	/* A timeline without times would put every slice at 0, or at made-up places. */
	int r = sc_chrome_check(p, o->type);
	if (r < 0)
		return r;
	struct writer w = {.p = p, .type = o->type};
	w.ns = strcmp(sc_profile_str(p, p->sample_types[o->type].unit), "nanoseconds") == 0;
	r = -ENOMEM;
	size_t *order = malloc((p->samples.len + 1) * sizeof(*order));
	if (!order || rank_nodes(&w) < 0)
		goto out;
	for (size_t i = 0; i < p->samples.len; i++)
		order[i] = i;
	if (p->samples.len)
		qsort_r(order, p->samples.len, sizeof(*order), by_thread_time, &w);
	if (sc_strbuf_adds(&w.out, "{\"traceEvents\":[") < 0)
		goto out;
	uint32_t last_pid = 0;
	bool named = false;
	sc_names names;
	sc_names_init(&names, p);
	for (size_t start = 0; start < p->samples.len;) {
		const sc_sample *s = &p->samples.data[order[start]];
		size_t end = start;
		while (end < p->samples.len && p->samples.data[order[end]].pid == s->pid &&
		       p->samples.data[order[end]].tid == s->tid)
			end++;
		/* The first name the process's samples carry; the thread's last name, the one it
		 * had for most of its life usually (a thread names itself once, early). */
		sc_str pname = 0, tname = 0;
		for (size_t k = start; k < end && !pname; k++)
			pname = sc_sample_process_name(p, &names, order[k]);
		for (size_t k = end; k > start && !tname; k--)
			tname = sc_sample_thread_name(p, &names, order[k - 1]);
		const char *proc = pname ? sc_profile_str(p, pname) : o->name;
		if (proc && (!named || s->pid != last_pid)) {
			if (meta_event(&w, "process_name", s->pid, 0, proc) < 0)
				goto out;
			named = true;
			last_pid = s->pid;
		}
		if (tname &&
		    meta_event(&w, "thread_name", s->pid, s->tid, sc_profile_str(p, tname)) < 0)
			goto out;
		if ((r = add_thread(&w, order + start, end - start)) < 0)
			goto out;
		r = -ENOMEM;
		start = end;
	}
	if (p->intervals.len && (r = add_intervals(&w)) < 0)
		goto out;
	if (o->more && (r = o->more(o->more_ctx, &w.out, &w.nevents)) < 0)
		goto out;
	r = -ENOMEM;
	if (sc_strbuf_adds(
		&w.out, "],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"version\":\"" SC_CHROME_V
			"\"}}\n") < 0)
		goto out;
	r = 0;
	if (fwrite(w.out.buf, 1, w.out.len, f) != w.out.len || ferror(f))
		r = -EIO;
out:
	free(order);
	free(w.preorder);
	sc_vec_release(&w.open);
	sc_vec_release(&w.slices);
	sc_vec_release(&w.frames);
	sc_vec_release(&w.gaps);
	sc_strbuf_release(&w.out);
	return r;
}

/*
 * speedscope.c: speedscope's JSON format, written (see speedscope.h for the contract).
 *
 *     {"$schema":"https://www.speedscope.app/file-format-schema.json",   <- the format's version
 *      "exporter":"scorch 1",                                            <- ours (SC_SPEEDSCOPE_V)
 *      "name":"hot",
 *      "activeProfileIndex":0,                                           <- the heaviest thread
 *      "shared":{"frames":[                                              <- one per function
 *        {"name":"main","file":"hot.c","line":38},
 *        {"name":"hot_a","file":"hot.c","line":14}]},
 *      "profiles":[
 *        {"type":"sampled","name":"hot (pid 14457 tid 14457)","unit":"nanoseconds",
 *         "startValue":0,"endValue":3000000,                             <- sum of the weights
 *         "samples":[[0,1],[0,1],[0]],                                   <- frame indexes,
 *         "weights":[1000000,1000000,1000000]}]}                            outermost first
 *
 * A profile is named after its thread's name when the samples carry one (sc_sample_thread_name,
 * profile/filter.h), else "pid N tid M". Samples are in time order; speedscope's sampled
 * profiles have no timestamps, so the time-order view puts them end to end (gaps off the CPU
 * do not show: --format chrome keeps them).
 *
 * A profile's intervals (profile.h: the spans of scorch record --trace) come after the sampled
 * profiles, one "evented" profile per thread named "THREAD spans (pid P tid T)", its events
 * {"type":"O"|"C","frame":N,"at":NS} opening and closing each span in time order.
 *
 * Units other than speedscope's (nanoseconds, microseconds, milliseconds, seconds, bytes) become
 * "none". Frames are numbered in order of first use, so equal profiles give equal files.
 */
#include "formats/speedscope.h"
#include "profile/filter.h"
#include "util/strbuf.h"
#include "util/vec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define SC_SPEEDSCOPE_V "scorch 1"

struct writer {
	const sc_profile *p;
	int type;
	FILE *f;
	sc_strbuf out;		/* the file, built in memory then written at once */
	uint32_t *frame_of_fn;	/* function id -> frame index + 1 */
	uint32_t *frame_of_loc; /* location id -> frame index + 1 (unsymbolized frames) */
	uint32_t *frame_of_str; /* string id -> frame index + 1 (the intervals' names) */
	sc_strbuf frames;	/* the "frames" array's elements */
	uint32_t nframes;
	SC_VEC(sc_frame) buf;
};

/* The frame index of f, added to w->frames on first use; or -ENOMEM. */
static int64_t frame_index(struct writer *w, const sc_frame *f)
{
	uint32_t *slot = f->function ? &w->frame_of_fn[f->function] : &w->frame_of_loc[f->location];
	if (*slot)
		return *slot - 1;
	const sc_function *fn = sc_profile_function(w->p, f->function);
	sc_strbuf *sb = &w->frames;
	int r = 0;
	r |= sc_strbuf_adds(sb, w->nframes ? ",\n{\"name\":\"" : "{\"name\":\"");
	r |= sc_strbuf_add_json(sb, sc_profile_frame_name(w->p, f));
	r |= sc_strbuf_addc(sb, '"');
	if (fn && fn->filename) {
		r |= sc_strbuf_adds(sb, ",\"file\":\"");
		r |= sc_strbuf_add_json(sb, sc_profile_str(w->p, fn->filename));
		r |= sc_strbuf_addc(sb, '"');
	}
	if (fn && fn->start_line > 0)
		r |= sc_strbuf_addf(sb, ",\"line\":%" PRId64, fn->start_line);
	r |= sc_strbuf_addc(sb, '}');
	if (r)
		return -ENOMEM;
	*slot = ++w->nframes;
	return *slot - 1;
}

/* The frame index of a span named `name` (a string of the profile); or -ENOMEM. */
static int64_t span_frame(struct writer *w, sc_str name)
{
	uint32_t *slot = &w->frame_of_str[name];
	if (*slot)
		return *slot - 1;
	sc_strbuf *sb = &w->frames;
	if (sc_strbuf_adds(sb, w->nframes ? ",\n{\"name\":\"" : "{\"name\":\"") < 0 ||
	    sc_strbuf_add_json(sb, sc_profile_str(w->p, name)) < 0 || sc_strbuf_adds(sb, "\"}") < 0)
		return -ENOMEM;
	*slot = ++w->nframes;
	return *slot - 1;
}

/* One evented profile per thread for the profile's intervals (the spans of scorch record
 * --trace), "THREAD spans (pid P tid T)": each span opened at its start and closed at its end,
 * nested (a span reaching past its parent's end is cut there). Returns how many profiles were
 * added, or -ENOMEM. */
static int add_spans(struct writer *w, bool first)
{
	const sc_profile *p = w->p;
	size_t n = p->intervals.len, nprof = 0;
	size_t *order = sc_profile_intervals_by_thread(p);
	struct open {
		int64_t frame;
		uint64_t end;
	} *stack = malloc((n ? n : 1) * sizeof(*stack));
	sc_strbuf *sb = &w->out;
	int r = 0;
	if (!order || !stack)
		goto nomem;
	for (size_t start = 0; start < n;) {
		const sc_interval *t = &p->intervals.data[order[start]];
		size_t end = start, depth = 0;
		uint64_t lo = t->start_ns, hi = t->end_ns;
		while (end < n && p->intervals.data[order[end]].pid == t->pid &&
		       p->intervals.data[order[end]].tid == t->tid) {
			const sc_interval *iv = &p->intervals.data[order[end++]];
			hi = iv->end_ns > hi ? iv->end_ns : hi;
		}
		char name[160];
		snprintf(name, sizeof(name), "%.64s spans (pid %" PRIu32 " tid %" PRIu32 ")",
			 t->thread_name ? sc_profile_str(p, t->thread_name) : "thread", t->pid,
			 t->tid);
		r |= sc_strbuf_adds(sb, first && !nprof ? "\n{\"type\":\"evented\",\"name\":\""
							: ",\n{\"type\":\"evented\",\"name\":\"");
		r |= sc_strbuf_add_json(sb, name);
		r |= sc_strbuf_addf(sb,
				    "\",\"unit\":\"nanoseconds\",\"startValue\":%" PRIu64
				    ",\"endValue\":%" PRIu64 ",\n\"events\":[",
				    lo, hi);
		bool any = false;
		for (size_t k = start; k <= end && !r; k++) {
			const sc_interval *iv = k < end ? &p->intervals.data[order[k]] : NULL;
			/* Close what ended before this one starts (everything at the end). */
			while (depth && (!iv || stack[depth - 1].end <= iv->start_ns)) {
				depth--;
				r |= sc_strbuf_addf(
				    sb,
				    "%s{\"type\":\"C\",\"frame\":%" PRId64 ",\"at\":%" PRIu64 "}",
				    any ? "," : "", stack[depth].frame, stack[depth].end);
				any = true;
			}
			if (!iv)
				break;
			int64_t f = span_frame(w, iv->name);
			if (f < 0)
				goto nomem;
			uint64_t e = iv->end_ns;
			if (depth && e > stack[depth - 1].end)
				e = stack[depth - 1].end;
			stack[depth++] = (struct open){f, e};
			r |= sc_strbuf_addf(
			    sb, "%s{\"type\":\"O\",\"frame\":%" PRId64 ",\"at\":%" PRIu64 "}",
			    any ? "," : "", f, iv->start_ns);
			any = true;
		}
		r |= sc_strbuf_adds(sb, "]}");
		nprof++;
		start = end;
	}
	free(order);
	free(stack);
	return r ? -ENOMEM : (int)nprof;
nomem:
	free(order);
	free(stack);
	return -ENOMEM;
}

static int by_thread_time(const void *a, const void *b, void *ctx)
{
	const sc_profile *p = ctx;
	const sc_sample *x = &p->samples.data[*(const size_t *)a];
	const sc_sample *y = &p->samples.data[*(const size_t *)b];
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	return i < j ? -1 : i > j;
}

static const char *unit_name(const char *unit)
{
	static const char *const units[] = {"nanoseconds", "microseconds", "milliseconds",
					    "seconds",	   "bytes",	   NULL};
	for (int i = 0; units[i]; i++)
		if (strcmp(unit, units[i]) == 0)
			return units[i];
	return "none";
}

/* Appends one thread's profile: samples order[0..n). Returns its total weight or -ENOMEM. */
static int64_t add_profile(struct writer *w, const size_t *order, size_t n, const char *name,
			   bool first)
{
	const sc_profile *p = w->p;
	sc_strbuf *sb = &w->out, weights = {0};
	int r = 0;
	int64_t total = 0;
	r |= sc_strbuf_adds(sb, first ? "\n{\"type\":\"sampled\",\"name\":\""
				      : ",\n{\"type\":\"sampled\",\"name\":\"");
	r |= sc_strbuf_add_json(sb, name);
	r |= sc_strbuf_addf(sb, "\",\"unit\":\"%s\",\"startValue\":0,\n\"samples\":[",
			    unit_name(sc_profile_str(p, p->sample_types[w->type].unit)));
	size_t written = 0;
	for (size_t k = 0; k < n && !r; k++) {
		int64_t v = sc_profile_sample_values(p, order[k])[w->type];
		if (v <= 0)
			continue;
		sc_stack_id id = p->samples.data[order[k]].stack;
		size_t nf = sc_profile_stack_frames(p, id, w->buf.data, w->buf.cap);
		if (nf > w->buf.cap) {
			if (sc_vec_reserve(&w->buf, nf) < 0)
				goto nomem;
			sc_profile_stack_frames(p, id, w->buf.data, w->buf.cap);
		}
		r |= sc_strbuf_adds(sb, written ? ",[" : "[");
		for (size_t i = 0; i < nf; i++) {
			int64_t fi = frame_index(w, &w->buf.data[i]);
			if (fi < 0)
				goto nomem;
			r |= sc_strbuf_addf(sb, i ? ",%" PRId64 : "%" PRId64, fi);
		}
		r |= sc_strbuf_addc(sb, ']');
		r |= sc_strbuf_addf(&weights, written ? ",%" PRId64 : "%" PRId64, v);
		total = sc_sat_add(total, v);
		written++;
	}
	r |= sc_strbuf_adds(sb, "],\n\"weights\":[");
	if (weights.len)
		r |= sc_strbuf_add(sb, weights.buf, weights.len);
	r |= sc_strbuf_addf(sb, "],\n\"endValue\":%" PRId64 "}", total);
	sc_strbuf_release(&weights);
	return r ? -ENOMEM : total;
nomem:
	sc_strbuf_release(&weights);
	return -ENOMEM;
}

int sc_speedscope_write(const sc_profile *p, const sc_speedscope_options *o, FILE *f)
{
	if (o->type < 0 || (size_t)o->type >= p->nsample_types)
		return -EINVAL;
	struct writer w = {.p = p, .type = o->type, .f = f};
	const char *group = o->name ? o->name : "scorch";
	sc_strbuf head = {0};
	int r = -ENOMEM;
	size_t *order = malloc((p->samples.len + 1) * sizeof(*order));
	w.frame_of_fn = calloc(p->functions.len + 1, sizeof(*w.frame_of_fn));
	w.frame_of_loc = calloc(p->locations.len + 1, sizeof(*w.frame_of_loc));
	w.frame_of_str = calloc(p->strings.len + 1, sizeof(*w.frame_of_str));
	if (!order || !w.frame_of_fn || !w.frame_of_loc || !w.frame_of_str)
		goto out;
	for (size_t i = 0; i < p->samples.len; i++)
		order[i] = i;
	if (p->samples.len)
		qsort_r(order, p->samples.len, sizeof(*order), by_thread_time, (void *)p);

	int64_t best = 0;
	size_t nprofiles = 0, active = 0;
	sc_names names;
	sc_names_init(&names, p);
	for (size_t start = 0; start < p->samples.len;) {
		size_t end = start, mark = w.out.len;
		const sc_sample *s = &p->samples.data[order[start]];
		while (end < p->samples.len && p->samples.data[order[end]].pid == s->pid &&
		       p->samples.data[order[end]].tid == s->tid)
			end++;
		/* The thread's last name (the one it set for itself, usually early). */
		sc_str tname = 0;
		for (size_t k = end; k > start && !tname; k--)
			tname = sc_sample_thread_name(p, &names, order[k - 1]);
		char name[128];
		if (!s->pid && !s->tid)
			snprintf(name, sizeof(name), "%s",
				 tname ? sc_profile_str(p, tname) : "all samples");
		else if (tname)
			snprintf(name, sizeof(name), "%.64s (pid %" PRIu32 " tid %" PRIu32 ")",
				 sc_profile_str(p, tname), s->pid, s->tid);
		else
			snprintf(name, sizeof(name), "pid %" PRIu32 " tid %" PRIu32, s->pid,
				 s->tid);
		int64_t total = add_profile(&w, order + start, end - start, name, !nprofiles);
		if (total < 0)
			goto out;
		start = end;
		if (!total) {
			w.out.len = mark; /* a thread with nothing to draw */
			w.out.buf[mark] = '\0';
			continue;
		}
		if (total > best) {
			best = total;
			active = nprofiles;
		}
		nprofiles++;
	}
	if (p->intervals.len) {
		int k = add_spans(&w, !nprofiles);
		if (k < 0)
			goto out;
		nprofiles += (size_t)k;
	}
	/* Nothing to draw at all: one empty profile, so the file still opens. */
	if (!nprofiles && add_profile(&w, order, 0, "all samples", true) < 0)
		goto out;
	if (sc_strbuf_adds(&head, "{\"$schema\":\"https://www.speedscope.app/"
				  "file-format-schema.json\",\n\"exporter\":\"" SC_SPEEDSCOPE_V
				  "\",\n\"name\":\"") < 0 ||
	    sc_strbuf_add_json(&head, group) < 0 ||
	    sc_strbuf_addf(&head, "\",\n\"activeProfileIndex\":%zu,\n\"shared\":{\"frames\":[\n",
			   active) < 0)
		goto out;
	r = 0;
	if (fwrite(head.buf, 1, head.len, f) != head.len ||
	    (w.frames.len && fwrite(w.frames.buf, 1, w.frames.len, f) != w.frames.len) ||
	    fputs("]},\n\"profiles\":[", f) < 0 ||
	    (w.out.len && fwrite(w.out.buf, 1, w.out.len, f) != w.out.len) ||
	    fputs("]}\n", f) < 0 || ferror(f))
		r = -EIO;
out:
	free(order);
	free(w.frame_of_fn);
	free(w.frame_of_loc);
	free(w.frame_of_str);
	sc_strbuf_release(&w.out);
	sc_strbuf_release(&w.frames);
	sc_strbuf_release(&head);
	sc_vec_release(&w.buf);
	return r;
}

/*
 * chrome_trace.c: a trace model in the Chrome trace event format. See chrome_trace.h.
 *
 *     {"traceEvents":[
 *     {"ph":"M","name":"process_name","pid":7,"tid":0,"args":{"name":"server"}},
 *     {"ph":"M","name":"thread_name","pid":7,"tid":8,"args":{"name":"worker-1"}},
 *     {"ph":"X","name":"handle","cat":"span","pid":7,"tid":8,"ts":5120.250,"dur":2000.125,
 *      "args":{"file":"server.c:42","self_us":1500.000}},           <- "open":true if never ended
 *     {"ph":"C","name":"queue","pid":7,"tid":8,"ts":5121.000,"args":{"value":3}},
 *     {"ph":"i","name":"tick","cat":"mark","s":"t","pid":7,"tid":8,"ts":5122.000},
 *     {"ph":"i","name":"frame","cat":"frame","s":"p","pid":7,"tid":8,"ts":5123.000},
 *     {"ph":"b","name":"request","cat":"async","id":"0x2a","pid":7,"tid":8,"ts":5124.000},
 *     {"ph":"e","name":"request","cat":"async","id":"0x2a","pid":7,"tid":9,"ts":5200.000},
 *     {"ph":"C","name":"loop ev","pid":7,"tid":8,"ts":5300.000,
 *      "args":{"busy_us":12.000,"idle_us":80.000,"lag_us":0.000}}],
 *     "displayTimeUnit":"ms",
 *     "otherData":{"version":"scorch trace 1"}}
 *
 * Spans are sorted by thread, then start, outer first, so a viewer that does not sort still
 * nests them. An async span's "b" is on the thread that began it, its "e" on the one that ended
 * it; one never ended gets its "e" at the end of the run with "open":true in its args. A
 * process is named as sc_trace_model_process_name says (the command's own: its file's name); a
 * thread without a name is "thread N".
 */
#include "formats/chrome_trace.h"

#include "util/strbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VERSION "scorch trace 1"

struct w {
	FILE *f; /* flushed to now and then; NULL: everything stays in sb */
	sc_strbuf *sb;
	size_t *n; /* events written */
	uint32_t tid_offset;
	const char *suffix; /* appended to thread names ("" or " spans") */
	bool process_names;
	bool no_spans; /* the X events are someone else's (chrome.c's intervals) */
	bool bad;
	const char *last_name; /* the name in `name`, escaped */
	sc_strbuf name;
};

static void add(struct w *w, const char *s)
{
	w->bad |= sc_strbuf_adds(w->sb, s) < 0;
}

static void addf(struct w *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(struct w *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	w->bad |= sc_strbuf_vaddf(w->sb, fmt, ap) < 0;
	va_end(ap);
}

static void str(struct w *w, const char *s)
{
	add(w, "\"");
	w->bad |= sc_strbuf_add_json(w->sb, s) < 0;
	add(w, "\"");
}

/* Numbers by hand: printf is most of the writer's time on a big trace. */
static char *digits(char *end, uint64_t v)
{
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

/* ,"key":N */
static void num(struct w *w, const char *key, uint64_t v)
{
	char b[24], *p = digits(b + sizeof(b), v);
	add(w, ",\"");
	add(w, key);
	add(w, "\":");
	w->bad |= sc_strbuf_add(w->sb, p, (size_t)(b + sizeof(b) - p)) < 0;
}

/* ,"key":MICROSECONDS with three decimals: exact nanoseconds. */
static void us(struct w *w, const char *key, uint64_t ns)
{
	char b[32], *end = b + sizeof(b), *p;
	unsigned frac = (unsigned)(ns % 1000);
	*--end = (char)('0' + frac % 10);
	*--end = (char)('0' + frac / 10 % 10);
	*--end = (char)('0' + frac / 100);
	*--end = '.';
	p = digits(end, ns / 1000);
	add(w, ",\"");
	add(w, key);
	add(w, "\":");
	w->bad |= sc_strbuf_add(w->sb, p, (size_t)(b + sizeof(b) - p)) < 0;
}

/* Starts an event; flushes what is buffered now and then (traces are large). */
static void begin(struct w *w, const char *ph, const char *name)
{
	/* The name escaped last (names come in runs: a thread's spans of one site). */
	if (name != w->last_name) {
		sc_strbuf_reset(&w->name);
		w->bad |= sc_strbuf_add_json(&w->name, name) < 0;
		w->last_name = name;
	}
	if (w->f && w->sb->len > (1u << 20) && !w->bad) {
		if (fwrite(w->sb->buf, 1, w->sb->len, w->f) != w->sb->len)
			w->bad = true;
		sc_strbuf_reset(w->sb);
	}
	add(w, (*w->n)++ ? ",\n{\"ph\":\"" : "\n{\"ph\":\"");
	add(w, ph);
	add(w, "\",\"name\":\"");
	w->bad |= sc_strbuf_add(w->sb, w->name.buf ? w->name.buf : "", w->name.len) < 0;
	add(w, "\"");
}

static int by_thread_start(const void *a, const void *b)
{
	const sc_trace_span_rec *x = *(const sc_trace_span_rec *const *)a;
	const sc_trace_span_rec *y = *(const sc_trace_span_rec *const *)b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return 0;
}

/* The (pid, tid) pairs that have an event, each once, sorted. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int names(struct w *w, const sc_trace_model *m)
{
	SC_VEC(uint64_t) ids = {0};
	int r = 0;
#define PUSH(pid, tid)                                                                             \
	do {                                                                                       \
		if (sc_vec_push(&ids, (uint64_t)(pid) << 32 | (tid)) < 0) {                        \
			r = -ENOMEM;                                                               \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)
	for (size_t i = 0; i < m->spans.len; i++)
		PUSH(m->spans.data[i].pid, m->spans.data[i].tid);
	for (size_t i = 0; i < m->points.len; i++)
		PUSH(m->points.data[i].pid, m->points.data[i].tid);
	for (size_t i = 0; i < m->asyncs.len; i++) {
		PUSH(m->asyncs.data[i].pid, m->asyncs.data[i].begin_tid);
		if (m->asyncs.data[i].end_tid)
			PUSH(m->asyncs.data[i].pid, m->asyncs.data[i].end_tid);
	}
	for (size_t i = 0; i < m->loops.len; i++)
		PUSH(m->loops.data[i].pid, m->loops.data[i].tid);
	for (size_t i = 0; i < m->threads.len; i++)
		PUSH(m->threads.data[i].pid, m->threads.data[i].tid);
#undef PUSH
	if (ids.len)
		qsort(ids.data, ids.len, sizeof(*ids.data), cmp_u64);
	uint32_t last_pid = 0;
	for (size_t i = 0; i < ids.len; i++) {
		if (i && ids.data[i] == ids.data[i - 1])
			continue;
		uint32_t pid = (uint32_t)(ids.data[i] >> 32), tid = (uint32_t)ids.data[i];
		char buf[32];
		if (w->process_names && (!i || pid != last_pid)) {
			const char *pn = sc_trace_model_process_name(m, pid, buf, sizeof(buf));
			begin(w, "M", "process_name");
			addf(w, ",\"pid\":%u,\"tid\":0,\"args\":{\"name\":", pid);
			str(w, pn);
			add(w, "}}");
			last_pid = pid;
		}
		const char *tn = sc_trace_model_thread_name(m, pid, tid);
		if (!tn) {
			snprintf(buf, sizeof(buf), "thread %u", tid);
			tn = buf;
		}
		begin(w, "M", "thread_name");
		addf(w, ",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":", pid, tid + w->tid_offset);
		sc_strbuf nm = {0};
		w->bad |= sc_strbuf_adds(&nm, tn) < 0 || sc_strbuf_adds(&nm, w->suffix) < 0;
		str(w, nm.buf ? nm.buf : "");
		sc_strbuf_release(&nm);
		add(w, "}}");
	}
out:
	sc_vec_release(&ids);
	return r;
}

static int spans(struct w *w, const sc_trace_model *m)
{
	const sc_trace_span_rec **v = malloc((m->spans.len + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < m->spans.len; i++)
		v[i] = &m->spans.data[i];
	qsort(v, m->spans.len, sizeof(*v), by_thread_start);
	/* The "file:line" of the site last written, escaped: spans of one site come in runs. */
	const sc_trace_site *last = NULL;
	sc_strbuf loc = {0};
	for (size_t i = 0; i < m->spans.len; i++) {
		const sc_trace_span_rec *s = v[i];
		begin(w, "X", s->site->name);
		add(w, ",\"cat\":\"span\"");
		num(w, "pid", s->pid);
		num(w, "tid", (uint64_t)s->tid + w->tid_offset);
		us(w, "ts", s->start);
		us(w, "dur", s->end - s->start);
		add(w, ",\"args\":{\"file\":\"");
		if (s->site != last) {
			char line[16];
			snprintf(line, sizeof(line), ":%u", s->site->line);
			sc_strbuf_reset(&loc);
			w->bad |= sc_strbuf_add_json(&loc, s->site->file) < 0 ||
				  sc_strbuf_adds(&loc, line) < 0;
			last = s->site;
		}
		w->bad |= sc_strbuf_add(w->sb, loc.buf ? loc.buf : "", loc.len) < 0;
		add(w, "\"");
		us(w, "self_us", s->self);
		add(w, s->open ? ",\"open\":true}}" : "}}");
	}
	sc_strbuf_release(&loc);
	free(v);
	return 0;
}

static void points(struct w *w, const sc_trace_model *m)
{
	for (size_t i = 0; i < m->points.len; i++) {
		const sc_trace_point_rec *p = &m->points.data[i];
		if (p->kind == SC_AGENT_EV_COUNTER) {
			begin(w, "C", p->site->name);
			addf(w, ",\"pid\":%u,\"tid\":%u", p->pid, p->tid + w->tid_offset);
			us(w, "ts", p->time);
			if (isfinite(p->value))
				addf(w, ",\"args\":{\"value\":%.17g}}", p->value);
			else
				add(w, ",\"args\":{\"value\":null}}");
			continue;
		}
		bool frame = p->kind == SC_AGENT_EV_FRAME;
		begin(w, "i", p->site->name);
		addf(w, ",\"cat\":\"%s\",\"s\":\"%s\",\"pid\":%u,\"tid\":%u",
		     frame ? "frame" : "mark", frame ? "p" : "t", p->pid, p->tid + w->tid_offset);
		us(w, "ts", p->time);
		add(w, "}");
	}
}

static void asyncs(struct w *w, const sc_trace_model *m)
{
	for (size_t i = 0; i < m->asyncs.len; i++) {
		const sc_trace_async *a = &m->asyncs.data[i];
		begin(w, "b", a->site->name);
		addf(w, ",\"cat\":\"async\",\"id\":\"0x%" PRIx64 "\",\"pid\":%u,\"tid\":%u", a->id,
		     a->pid, a->begin_tid + w->tid_offset);
		us(w, "ts", a->start);
		add(w, "}");
		begin(w, "e", a->site->name);
		addf(w, ",\"cat\":\"async\",\"id\":\"0x%" PRIx64 "\",\"pid\":%u,\"tid\":%u", a->id,
		     a->pid, (a->end_tid ? a->end_tid : a->begin_tid) + w->tid_offset);
		us(w, "ts", a->end);
		add(w, a->open ? ",\"args\":{\"open\":true}}" : "}");
	}
}

static void loops(struct w *w, const sc_trace_model *m)
{
	sc_strbuf name = {0};
	for (size_t i = 0; i < m->loops.len; i++) {
		const sc_trace_loop_rec *l = &m->loops.data[i];
		sc_strbuf_reset(&name);
		w->bad |= sc_strbuf_addf(&name, "loop %s", l->site->name) < 0;
		w->last_name = NULL; /* `name` is reused: its address says nothing */
		begin(w, "C", name.buf ? name.buf : "loop");
		addf(w, ",\"pid\":%u,\"tid\":%u", l->pid, l->tid + w->tid_offset);
		us(w, "ts", l->wake);
		us(w, "args\":{\"busy_us", l->busy);
		us(w, "idle_us", l->wake - l->wait);
		us(w, "lag_us", l->lag);
		add(w, "}}");
	}
	sc_strbuf_release(&name);
}

static int events(struct w *w, const sc_trace_model *m)
{
	int r = names(w, m);
	if (r == 0 && !w->no_spans)
		r = spans(w, m);
	if (r == 0) {
		points(w, m);
		asyncs(w, m);
		loops(w, m);
	}
	sc_strbuf_release(&w->name);
	return r == 0 && w->bad ? -ENOMEM : r;
}

int sc_chrome_trace_events(const sc_trace_model *m, uint32_t tid_offset, bool spans, sc_strbuf *sb,
			   size_t *nevents)
{
	struct w w = {.sb = sb,
		      .n = nevents,
		      .tid_offset = tid_offset,
		      .suffix = " spans",
		      .no_spans = !spans};
	return events(&w, m);
}

int sc_chrome_trace_write(const sc_trace_model *m, FILE *f)
{
	sc_strbuf sb = {0};
	size_t n = 0;
	struct w w = {.f = f, .sb = &sb, .n = &n, .suffix = "", .process_names = true};
	add(&w, "{\"traceEvents\":[");
	int r = events(&w, m);
	if (r == 0) {
		add(&w, "],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{\"version\":\"" VERSION
			"\"}}\n");
		if (w.bad)
			r = -ENOMEM;
	}
	if (r == 0 && sb.len && fwrite(sb.buf, 1, sb.len, f) != sb.len)
		r = -EIO;
	if (r == 0 && ferror(f))
		r = -EIO;
	sc_strbuf_release(&sb);
	return r;
}

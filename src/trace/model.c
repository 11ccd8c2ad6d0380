/*
 * model.c: a whole run of trace events. See model.h.
 *
 * The decoder's callbacks append records and update the statistics; tables by name are hash
 * maps from the name's hash to an index (names compared on collision). The profile's locations
 * are one per site (a map from the site's address), its stacks interned as spans end, its
 * samples added at finish, when every thread has its last name.
 */
#include "trace/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct name_key {
	const char *name;
	int kind; /* names: async or not; series: the event kind; loops: 0 */
};

static uint64_t name_hash(const char *name, int kind)
{
	uint64_t h = sc_hash_bytes(name, strlen(name), (uint64_t)kind + 1);
	return h == UINT64_MAX ? 0 : h;
}

static bool names_eq(uint64_t v, const void *key, const void *ctx)
{
	const sc_trace_model *m = ctx;
	const struct name_key *k = key;
	const sc_trace_name *n = &m->names.data[v];
	return n->async == (k->kind != 0) && strcmp(n->name, k->name) == 0;
}

static bool series_eq(uint64_t v, const void *key, const void *ctx)
{
	const sc_trace_model *m = ctx;
	const struct name_key *k = key;
	const sc_trace_series *s = &m->series.data[v];
	return s->kind == (uint32_t)k->kind && strcmp(s->name, k->name) == 0;
}

static bool loops_eq(uint64_t v, const void *key, const void *ctx)
{
	const sc_trace_model *m = ctx;
	return strcmp(m->loopstats.data[v].name, ((const struct name_key *)key)->name) == 0;
}

static sc_trace_name *name_of(sc_trace_model *m, const sc_trace_site *site, bool async)
{
	struct name_key k = {site->name, async};
	uint64_t h = name_hash(site->name, async), v;
	if (sc_hashmap_get(&m->name_index, h, names_eq, &k, m, &v))
		return &m->names.data[v];
	sc_trace_name n = {.name = site->name, .async = async, .site = site};
	if (sc_vec_push(&m->names, n) < 0)
		return NULL;
	if (sc_hashmap_put(&m->name_index, h, m->names.len - 1) < 0) {
		m->names.len--;
		return NULL;
	}
	return &m->names.data[m->names.len - 1];
}

static sc_trace_series *series_of(sc_trace_model *m, const sc_trace_site *site, uint32_t kind)
{
	struct name_key k = {site->name, (int)kind};
	uint64_t h = name_hash(site->name, (int)kind), v;
	if (sc_hashmap_get(&m->series_index, h, series_eq, &k, m, &v))
		return &m->series.data[v];
	sc_trace_series s = {.name = site->name, .kind = kind};
	if (sc_vec_push(&m->series, s) < 0)
		return NULL;
	if (sc_hashmap_put(&m->series_index, h, m->series.len - 1) < 0) {
		m->series.len--;
		return NULL;
	}
	return &m->series.data[m->series.len - 1];
}

static sc_trace_loopstat *loop_of(sc_trace_model *m, const sc_trace_site *site)
{
	struct name_key k = {site->name, 0};
	uint64_t h = name_hash(site->name, 100), v;
	if (sc_hashmap_get(&m->loop_index, h, loops_eq, &k, m, &v))
		return &m->loopstats.data[v];
	sc_trace_loopstat l = {.name = site->name};
	if (sc_vec_push(&m->loopstats, l) < 0)
		return NULL;
	if (sc_hashmap_put(&m->loop_index, h, m->loopstats.len - 1) < 0) {
		m->loopstats.len--;
		return NULL;
	}
	return &m->loopstats.data[m->loopstats.len - 1];
}

static void note_time(sc_trace_model *m, uint64_t t)
{
	if (!m->first_time || t < m->first_time)
		m->first_time = t;
	if (t > m->last_time)
		m->last_time = t;
}

static uint64_t thread_key(uint32_t pid, uint32_t tid)
{
	uint64_t h = sc_hash_u64((uint64_t)pid << 32 | tid);
	return h == UINT64_MAX ? 0 : h;
}

/* Counts thread (pid, tid) in n->threads once. */
static int count_thread(sc_trace_name *n, uint32_t pid, uint32_t tid)
{
	uint64_t h = thread_key(pid, tid), v;
	/* The hash stands for the pair: two threads of one name colliding in 64 bits would count
	 * once, which a statistic can live with. */
	if (sc_hashmap_get(&n->thread_set, h, NULL, NULL, NULL, &v))
		return 0;
	if (sc_hashmap_put(&n->thread_set, h, 1) < 0)
		return -ENOMEM;
	n->threads++;
	return 0;
}

/* The profile's location standing for `site` ("async" for NULL). */
static int64_t location_of(sc_trace_model *m, const sc_trace_site *site)
{
	uint64_t h = sc_hash_u64((uint64_t)(uintptr_t)site), v;
	if (h == UINT64_MAX)
		h = 0;
	if (sc_hashmap_get(&m->loc_index, h, NULL, NULL, NULL, &v))
		return (int64_t)v;
	int64_t name = sc_profile_intern(m->profile, site ? site->name : "async");
	int64_t file = sc_profile_intern(m->profile, site ? site->file : "");
	if (name < 0 || file < 0)
		return -ENOMEM;
	sc_function fn = {
	    .name = (sc_str)name, .system_name = (sc_str)name, .filename = (sc_str)file};
	int64_t f = sc_profile_add_function(m->profile, &fn);
	if (f < 0)
		return f;
	sc_line line = {.function = (uint32_t)f, .line = site ? site->line : 0};
	int64_t loc = sc_profile_add_location(m->profile, 0, 0, &line, 1);
	if (loc < 0)
		return loc;
	if (sc_hashmap_put(&m->loc_index, h, (uint64_t)loc) < 0)
		return -ENOMEM;
	return loc;
}

/* The stack node of `n` sites, outermost first. */
static int64_t stack_of(sc_trace_model *m, const sc_trace_site *const *sites, size_t n)
{
	int64_t node = 0;
	for (size_t i = 0; i < n && node >= 0; i++) {
		int64_t loc = location_of(m, sites[i]);
		if (loc < 0)
			return loc;
		node = sc_profile_stack_child(m->profile, (sc_stack_id)node, (uint32_t)loc);
	}
	return node;
}

static int on_span(void *ctx, const sc_trace_span *s)
{
	sc_trace_model *m = ctx;
	uint64_t dur = s->end - s->start;
	sc_trace_name *n = name_of(m, s->site, false);
	if (!n || sc_hist_add(&n->hist, dur) < 0 || count_thread(n, s->pid, s->tid) < 0)
		return -ENOMEM;
	n->count++;
	n->total += dur;
	n->self += s->self;
	n->open += s->open;
	int64_t node = stack_of(m, s->stack, s->depth);
	if (node >= 0) {
		int64_t loc = location_of(m, s->site);
		node = loc < 0
			   ? loc
			   : sc_profile_stack_child(m->profile, (sc_stack_id)node, (uint32_t)loc);
	}
	if (node < 0)
		return (int)node;
	sc_trace_span_rec r = {s->site, s->pid,	 s->tid,   s->start,
			       s->end,	s->self, s->depth, (sc_stack_id)node,
			       s->open};
	note_time(m, s->start);
	note_time(m, s->end);
	return sc_vec_push(&m->spans, r);
}

static int on_point(void *ctx, const sc_trace_point *p)
{
	sc_trace_model *m = ctx;
	sc_trace_series *s = series_of(m, p->site, p->kind);
	if (!s)
		return -ENOMEM;
	if (p->kind == SC_AGENT_EV_COUNTER) {
		if (!s->count || p->value < s->min)
			s->min = p->value;
		if (!s->count || p->value > s->max)
			s->max = p->value;
		s->sum += p->value;
		if (!s->count || p->time >= s->last_time)
			s->last = p->value;
	} else if (p->kind == SC_AGENT_EV_FRAME && s->count && s->last_tid == p->tid &&
		   p->time >= s->last_time) {
		if (sc_hist_add(&s->interval, p->time - s->last_time) < 0)
			return -ENOMEM;
	}
	if (!s->count || p->time >= s->last_time) {
		s->last_time = p->time;
		s->last_tid = p->tid;
	}
	s->count++;
	sc_trace_point_rec r = {p->site, p->kind, p->pid, p->tid, p->time, p->value};
	note_time(m, p->time);
	return sc_vec_push(&m->points, r);
}

static int on_async(void *ctx, const sc_trace_async *a)
{
	sc_trace_model *m = ctx;
	sc_trace_name *n = name_of(m, a->site, true);
	uint64_t dur = a->end - a->start;
	if (!n || sc_hist_add(&n->hist, dur) < 0 || count_thread(n, a->pid, a->begin_tid) < 0 ||
	    (a->end_tid && count_thread(n, a->pid, a->end_tid) < 0))
		return -ENOMEM;
	n->count++;
	n->total += dur;
	n->self += dur;
	n->open += a->open;
	note_time(m, a->start);
	note_time(m, a->end);
	return sc_vec_push(&m->asyncs, *a);
}

static int on_loop(void *ctx, const sc_trace_loop_iter *l)
{
	sc_trace_model *m = ctx;
	sc_trace_loopstat *s = loop_of(m, l->site);
	if (!s || sc_hist_add(&s->lag, l->lag) < 0)
		return -ENOMEM;
	s->iterations++;
	s->busy += l->busy;
	s->idle += l->idle;
	sc_trace_loop_rec r = {l->site, l->pid,	 l->tid, l->wait,
			       l->wake, l->busy, l->lag, l->has_busy};
	note_time(m, l->wait);
	note_time(m, l->wake);
	return sc_vec_push(&m->loops, r);
}

static int on_thread(void *ctx, const sc_trace_thread *t)
{
	sc_trace_model *m = ctx;
	uint64_t h = thread_key(t->pid, t->tid), v;
	char *name = strdup(t->name);
	if (!name)
		return -ENOMEM;
	if (sc_hashmap_get(&m->thread_index, h, NULL, NULL, NULL, &v)) {
		free(m->threads.data[v].name);
		m->threads.data[v].name = name;
		return 0;
	}
	sc_trace_thread_rec r = {t->pid, t->tid, name};
	if (sc_vec_push(&m->threads, r) < 0 ||
	    sc_hashmap_put(&m->thread_index, h, m->threads.len - 1) < 0) {
		free(name);
		return -ENOMEM;
	}
	return 0;
}

static const sc_trace_ops model_ops = {
    .thread = on_thread, .span = on_span, .point = on_point, .async = on_async, .loop = on_loop};

sc_trace_model *sc_trace_model_new(void)
{
	sc_trace_model *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->dec = sc_trace_decoder_new(&model_ops, m);
	m->profile = sc_profile_new();
	if (!m->dec || !m->profile ||
	    sc_profile_add_sample_type(m->profile, "span_time", "nanoseconds") < 0 ||
	    sc_profile_add_sample_type(m->profile, "spans", "count") < 0 ||
	    sc_profile_intern(m->profile, "span_time") < 0) {
		sc_trace_model_free(m);
		return NULL;
	}
	m->profile->default_sample_type = (sc_str)sc_profile_intern(m->profile, "span_time");
	return m;
}

void sc_trace_model_free(sc_trace_model *m)
{
	if (!m)
		return;
	sc_trace_decoder_free(m->dec);
	sc_vec_release(&m->spans);
	sc_vec_release(&m->points);
	sc_vec_release(&m->asyncs);
	sc_vec_release(&m->loops);
	for (size_t i = 0; i < m->threads.len; i++)
		free(m->threads.data[i].name);
	sc_vec_release(&m->threads);
	for (size_t i = 0; i < m->names.len; i++) {
		sc_hist_release(&m->names.data[i].hist);
		sc_hashmap_release(&m->names.data[i].thread_set);
	}
	sc_vec_release(&m->names);
	for (size_t i = 0; i < m->series.len; i++)
		sc_hist_release(&m->series.data[i].interval);
	sc_vec_release(&m->series);
	for (size_t i = 0; i < m->loopstats.len; i++)
		sc_hist_release(&m->loopstats.data[i].lag);
	sc_vec_release(&m->loopstats);
	sc_hashmap_release(&m->name_index);
	sc_hashmap_release(&m->series_index);
	sc_hashmap_release(&m->loop_index);
	sc_hashmap_release(&m->thread_index);
	sc_hashmap_release(&m->loc_index);
	sc_profile_free(m->profile);
	free(m);
}

const char *sc_trace_model_thread_name(const sc_trace_model *m, uint32_t pid, uint32_t tid)
{
	uint64_t v;
	if (sc_hashmap_get(&m->thread_index, thread_key(pid, tid), NULL, NULL, NULL, &v))
		return m->threads.data[v].name;
	return NULL;
}

const char *sc_trace_model_process_name(const sc_trace_model *m, uint32_t pid, char *buf,
					size_t size)
{
	if (pid == m->root_pid && m->root_name)
		return m->root_name;
	const char *p = sc_trace_model_thread_name(m, pid, pid);
	if (p)
		return p;
	snprintf(buf, size, "pid %u", pid);
	return buf;
}

/* The sample's labels: thread_name and process_name. */
static int add_labels(sc_trace_model *m, uint32_t pid, uint32_t tid)
{
	char buf[32];
	const char *t = sc_trace_model_thread_name(m, pid, tid);
	const char *p = sc_trace_model_process_name(m, pid, buf, sizeof(buf));
	if (t && sc_profile_add_label(m->profile, "thread_name", t, 0, NULL) < 0)
		return -ENOMEM;
	return sc_profile_add_label(m->profile, "process_name", p, 0, NULL) < 0 ? -ENOMEM : 0;
}

/* The profile's samples: one per (stack, pid, tid), summed. */
struct agg {
	sc_stack_id stack;
	uint32_t pid, tid;
	int64_t v[2];
};

typedef SC_VEC(struct agg) agg_vec;

static bool agg_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct agg *a = &((const struct agg *)ctx)[value], *k = key;
	return a->stack == k->stack && a->pid == k->pid && a->tid == k->tid;
}

static int aggregate(agg_vec *v, sc_hashmap *index, sc_stack_id stack, uint32_t pid, uint32_t tid,
		     int64_t value)
{
	struct agg k = {stack, pid, tid, {value, 1}};
	uint64_t h = sc_hash_combine(sc_hash_combine(sc_hash_u64(stack), pid), tid), i;
	if (h == UINT64_MAX)
		h = 0;
	if (sc_hashmap_get(index, h, agg_eq, &k, v->data, &i)) {
		v->data[i].v[0] = sc_sat_add(v->data[i].v[0], value);
		v->data[i].v[1]++;
		return 0;
	}
	if (sc_vec_push(v, k) < 0 || sc_hashmap_put(index, h, v->len - 1) < 0)
		return -ENOMEM;
	return 0;
}

int sc_trace_model_finish(sc_trace_model *m)
{
	if (m->finished)
		return 0;
	m->finished = true;
	int r = sc_trace_decoder_finish(m->dec);
	if (r < 0)
		return r;
	/* Equal stacks of a thread are one sample: a run's millions of spans make a profile of
	 * its distinct nestings (the times are trace.json's business). */
	agg_vec v = {0};
	sc_hashmap index = {0};
	r = -ENOMEM;
	for (size_t i = 0; i < m->spans.len; i++) {
		const sc_trace_span_rec *s = &m->spans.data[i];
		if (aggregate(&v, &index, s->stack, s->pid, s->tid, (int64_t)s->self) < 0)
			goto out;
	}
	for (size_t i = 0; i < m->asyncs.len; i++) {
		const sc_trace_async *a = &m->asyncs.data[i];
		const sc_trace_site *sites[2] = {NULL, a->site};
		int64_t node = stack_of(m, sites, 2);
		if (node < 0 || aggregate(&v, &index, (sc_stack_id)node, a->pid, a->begin_tid,
					  (int64_t)(a->end - a->start)) < 0)
			goto out;
	}
	for (size_t i = 0; i < v.len; i++)
		if (sc_profile_add_sample(m->profile, v.data[i].stack, v.data[i].v, v.data[i].pid,
					  v.data[i].tid, 0) < 0 ||
		    add_labels(m, v.data[i].pid, v.data[i].tid) < 0)
			goto out;
	if (m->last_time > m->first_time)
		m->profile->duration_nanos = (int64_t)(m->last_time - m->first_time);
	r = 0;
out:
	sc_vec_release(&v);
	sc_hashmap_release(&index);
	return r;
}

static int by_total(const void *a, const void *b)
{
	const sc_trace_name *x = *(const sc_trace_name *const *)a;
	const sc_trace_name *y = *(const sc_trace_name *const *)b;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	int c = strcmp(x->name, y->name);
	return c ? c : (int)x->async - (int)y->async;
}

const sc_trace_name **sc_trace_model_by_total(const sc_trace_model *m)
{
	const sc_trace_name **v = malloc((m->names.len + 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < m->names.len; i++)
		v[i] = &m->names.data[i];
	qsort(v, m->names.len, sizeof(*v), by_total);
	return v;
}

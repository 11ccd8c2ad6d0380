/*
 * live.c: the live console's sliding windows. See live.h.
 *
 * Each table (spans, loops, counters, blocked callbacks) is an array of pointers to entries
 * whose first member is the name, found by the name's hash (util/hashmap.h). Windows are rings
 * of per-second slots stamped with their second: a slot whose stamp is not the second asked for
 * is empty (it was never written, or holds an older second that has been reused), so nothing has
 * to be cleared as time passes. Threads' busy time uses tenths of a second the same way.
 */
#include "trace/live.h"

#include "util/hashmap.h"
#include "util/vec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NS	1000000000ull
#define TENTH	100000000ull
#define WSLOTS	(SC_LIVE_WINDOW + 1) /* the window's seconds and the current one */
#define TSLOTS	128		     /* tenths kept per thread (> the window's 100) */
#define WTENTHS (SC_LIVE_WINDOW * 10)
#define NO_SEC	UINT64_MAX

typedef struct hist_slot {
	uint64_t sec;		  /* NO_SEC: empty */
	uint64_t count, min, max; /* min, max: of the histogram's values */
	uint32_t hist[SC_LIVE_BUCKETS];
} hist_slot;

typedef struct lspan {
	char *name; /* first: see named_eq */
	uint64_t count, total;
	hist_slot slots[WSLOTS];
} lspan;

typedef struct lloop {
	char *name;
	uint32_t tid;
	uint64_t iters;
	hist_slot slots[WSLOTS]; /* count: iterations; hist: their lags */
} lloop;

typedef struct lcounter {
	char *name;
	double last;
	uint64_t first_sec;
	uint64_t sec[SC_LIVE_SECONDS];
	double val[SC_LIVE_SECONDS];
} lcounter;

typedef struct lblock {
	char *name;
	bool by_loop;
	uint32_t tid;
	uint64_t count, worst, last;
} lblock;

typedef struct lthread {
	uint32_t tid;
	char *name;	/* NULL until known */
	uint64_t first; /* its first event's time */
	bool loop;	/* it runs a loop: busy time from the loop's iterations */
	uint64_t tenth[TSLOTS];
	uint64_t busy_span[TSLOTS], busy_loop[TSLOTS];
} lthread;

typedef struct lopen {
	char *name;
	uint32_t tid;
	uint64_t start;
} lopen;

/* A table and, in front of its map, a small cache by the name's address (a decoder hands the
 * same string for every event of a site), checked with strcmp so that a reused buffer is safe.
 * Seeded tables (blocks: a span and a loop may share a name) do not use it. */
#define CACHE 64
typedef struct table {
	SC_VEC(void *) items;
	sc_hashmap map;
	struct {
		const char *key;
		void *entry;
	} cache[CACHE];
} table;

struct sc_live {
	sc_live_config cfg;
	table spans, loops, counters, blocks;
	SC_VEC(lthread *) threads;
	sc_hashmap thread_map; /* tid -> index */
	SC_VEC(lopen) open;
	uint64_t events;
	uint64_t first_sec; /* of the first event; NO_SEC before */
	uint64_t ev_sec[WSLOTS], ev_count[WSLOTS];
};

unsigned sc_live_bucket(uint64_t v)
{
	if (v < 16)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);
	unsigned b = 16 + (e - 4) * 8 + (unsigned)((v >> (e - 3)) & 7);
	return b < SC_LIVE_BUCKETS ? b : SC_LIVE_BUCKETS - 1;
}

uint64_t sc_live_bucket_lo(unsigned b)
{
	if (b < 16)
		return b;
	unsigned e = 4 + (b - 16) / 8, sub = (b - 16) % 8;
	return (uint64_t)(8 + sub) << (e - 3);
}

static void slots_init(hist_slot *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i].sec = NO_SEC;
}

/* The slot of second `sec`, emptied if it held an older second; NULL for a second too old to
 * keep beside `newest` (the newest second written so far into this ring). */
static hist_slot *slot_at(hist_slot *slots, uint64_t sec)
{
	hist_slot *s = &slots[sec % WSLOTS];
	if (s->sec == sec)
		return s;
	if (s->sec != NO_SEC && s->sec > sec)
		return NULL; /* reused by a later second: this one is out of the window */
	memset(s, 0, sizeof(*s));
	s->sec = sec;
	return s;
}

static void slot_add(hist_slot *slots, uint64_t sec, uint64_t v, bool hist)
{
	hist_slot *s = slot_at(slots, sec);
	if (!s)
		return;
	s->count++;
	if (hist) {
		if (s->count == 1)
			s->min = v;
		s->hist[sc_live_bucket(v)]++;
		if (v > s->max)
			s->max = v;
		if (v < s->min)
			s->min = v;
	}
}

/* Percentiles and max of the slots of seconds [from, to]. */
static uint64_t window_hist(const hist_slot *slots, uint64_t from, uint64_t to, uint64_t *p50,
			    uint64_t *p99, uint64_t *max)
{
	uint32_t sum[SC_LIVE_BUCKETS] = {0};
	uint64_t n = 0, min = UINT64_MAX;
	*max = 0;
	for (uint64_t sec = from; sec <= to; sec++) {
		const hist_slot *s = &slots[sec % WSLOTS];
		if (s->sec != sec)
			continue;
		if (s->count && s->min < min)
			min = s->min;
		for (unsigned b = 0; b < SC_LIVE_BUCKETS; b++) {
			sum[b] += s->hist[b];
			n += s->hist[b];
		}
		if (s->max > *max)
			*max = s->max;
	}
	const double q[2] = {0.50, 0.99};
	uint64_t *out[2] = {p50, p99};
	for (int k = 0; k < 2; k++) {
		*out[k] = 0;
		if (!n)
			continue;
		uint64_t rank = (uint64_t)(q[k] * (double)n + 0.999999), acc = 0;
		if (rank < 1)
			rank = 1;
		for (unsigned b = 0; b < SC_LIVE_BUCKETS; b++) {
			acc += sum[b];
			if (acc < rank)
				continue;
			uint64_t lo = sc_live_bucket_lo(b);
			uint64_t v = b < 16 ? lo : lo + (sc_live_bucket_lo(b + 1) - lo) / 2;
			*out[k] = v > *max ? *max : v < min ? min : v;
			break;
		}
	}
	return n;
}

static uint64_t window_count(const hist_slot *slots, uint64_t from, uint64_t to)
{
	uint64_t n = 0;
	for (uint64_t sec = from; sec <= to; sec++)
		if (slots[sec % WSLOTS].sec == sec)
			n += slots[sec % WSLOTS].count;
	return n;
}

static bool named_eq(uint64_t value, const void *key, const void *ctx)
{
	const table *t = ctx;
	return strcmp(*(char *const *)t->items.data[value], key) == 0;
}

/* The entry named `name` in `t`, created with `size` zeroed bytes (then `init`) if new; NULL on
 * ENOMEM. `seed` tells apart entries of one name in one table (a span's and a loop's blocks). */
static void *table_get(table *t, const char *name, uint64_t seed, size_t size, void (*init)(void *))
{
	size_t c = seed ? CACHE : ((uintptr_t)name >> 3) % CACHE;
	if (c < CACHE && t->cache[c].key == name && strcmp(*(char **)t->cache[c].entry, name) == 0)
		return t->cache[c].entry;
	uint64_t h = sc_hash_bytes(name, strlen(name), seed), idx;
	if (sc_hashmap_get(&t->map, h, named_eq, name, t, &idx)) {
		if (c < CACHE) {
			t->cache[c].key = name;
			t->cache[c].entry = t->items.data[idx];
		}
		return t->items.data[idx];
	}
	char *copy = strdup(name);
	void *e = calloc(1, size);
	if (!copy || !e || sc_vec_reserve(&t->items, 1) < 0 ||
	    sc_hashmap_put(&t->map, h, t->items.len) < 0) {
		free(copy);
		free(e);
		return NULL;
	}
	*(char **)e = copy;
	if (init)
		init(e);
	t->items.data[t->items.len++] = e;
	if (c < CACHE) {
		t->cache[c].key = name;
		t->cache[c].entry = e;
	}
	return e;
}

static void table_release(table *t, void (*fin)(void *))
{
	for (size_t i = 0; i < t->items.len; i++) {
		if (fin)
			fin(t->items.data[i]);
		free(*(char **)t->items.data[i]);
		free(t->items.data[i]);
	}
	sc_vec_release(&t->items);
	sc_hashmap_release(&t->map);
}

static void span_init(void *e)
{
	slots_init(((lspan *)e)->slots, WSLOTS);
}

static void loop_init(void *e)
{
	slots_init(((lloop *)e)->slots, WSLOTS);
}

static void counter_init(void *e)
{
	lcounter *c = e;
	c->first_sec = NO_SEC;
	for (size_t i = 0; i < SC_LIVE_SECONDS; i++)
		c->sec[i] = NO_SEC;
}

sc_live *sc_live_new(const sc_live_config *cfg)
{
	sc_live *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	if (cfg)
		l->cfg = *cfg;
	if (!l->cfg.block_ns)
		l->cfg.block_ns = 100000000ull;
	if (!l->cfg.stuck_ns)
		l->cfg.stuck_ns = 10 * NS;
	l->first_sec = NO_SEC;
	for (size_t i = 0; i < WSLOTS; i++)
		l->ev_sec[i] = NO_SEC;
	return l;
}

void sc_live_free(sc_live *l)
{
	if (!l)
		return;
	table_release(&l->spans, NULL);
	table_release(&l->loops, NULL);
	table_release(&l->counters, NULL);
	table_release(&l->blocks, NULL);
	for (size_t i = 0; i < l->threads.len; i++) {
		free(l->threads.data[i]->name);
		free(l->threads.data[i]);
	}
	sc_vec_release(&l->threads);
	sc_hashmap_release(&l->thread_map);
	sc_live_open_reset(l);
	sc_vec_release(&l->open);
	free(l);
}

static void count_event(sc_live *l, uint64_t time)
{
	uint64_t sec = time / NS;
	l->events++;
	if (l->first_sec == NO_SEC || sec < l->first_sec)
		l->first_sec = sec;
	size_t i = sec % WSLOTS;
	if (l->ev_sec[i] != NO_SEC && l->ev_sec[i] > sec)
		return;
	if (l->ev_sec[i] != sec) {
		l->ev_sec[i] = sec;
		l->ev_count[i] = 0;
	}
	l->ev_count[i]++;
}

void sc_live_event(sc_live *l, uint64_t time)
{
	count_event(l, time);
}

static lthread *thread_get(sc_live *l, uint32_t tid, uint64_t time)
{
	uint64_t idx;
	lthread *t;
	if (sc_hashmap_get(&l->thread_map, sc_hash_u64(tid), NULL, NULL, NULL, &idx)) {
		t = l->threads.data[idx];
	} else {
		t = calloc(1, sizeof(*t));
		if (!t || sc_vec_reserve(&l->threads, 1) < 0 ||
		    sc_hashmap_put(&l->thread_map, sc_hash_u64(tid), l->threads.len) < 0) {
			free(t);
			return NULL;
		}
		t->tid = tid;
		t->first = time;
		for (size_t i = 0; i < TSLOTS; i++)
			t->tenth[i] = NO_SEC;
		l->threads.data[l->threads.len++] = t;
	}
	if (time && (time < t->first || !t->first))
		t->first = time;
	return t;
}

/* Adds [start, end) to the thread's busy time, tenth by tenth. */
static void thread_busy(lthread *t, uint64_t start, uint64_t end, bool loop)
{
	if (end <= start)
		return;
	if (end - start > (uint64_t)TSLOTS * TENTH)
		start = end - (uint64_t)TSLOTS * TENTH;
	for (uint64_t x = start / TENTH; x <= (end - 1) / TENTH; x++) {
		size_t i = x % TSLOTS;
		if (t->tenth[i] != NO_SEC && t->tenth[i] > x)
			continue;
		if (t->tenth[i] != x) {
			t->tenth[i] = x;
			t->busy_span[i] = t->busy_loop[i] = 0;
		}
		uint64_t a = x * TENTH > start ? x * TENTH : start;
		uint64_t b = (x + 1) * TENTH < end ? (x + 1) * TENTH : end;
		(loop ? t->busy_loop : t->busy_span)[i] += b - a;
	}
}

int sc_live_thread(sc_live *l, uint32_t tid, const char *name)
{
	lthread *t = thread_get(l, tid, 0);
	if (!t)
		return -ENOMEM;
	char *copy = strdup(name ? name : "");
	if (!copy)
		return -ENOMEM;
	free(t->name);
	t->name = copy;
	return 0;
}

static int note_block(sc_live *l, const char *name, bool by_loop, uint32_t tid, uint64_t ns,
		      uint64_t end)
{
	lblock *b = table_get(&l->blocks, name, by_loop ? 2 : 1, sizeof(lblock), NULL);
	if (!b)
		return -ENOMEM;
	b->by_loop = by_loop;
	b->tid = tid;
	b->count++;
	if (ns > b->worst)
		b->worst = ns;
	if (end > b->last)
		b->last = end;
	return 0;
}

int sc_live_span(sc_live *l, const char *name, uint32_t tid, uint64_t start, uint64_t end,
		 uint32_t depth)
{
	if (end < start)
		end = start;
	lspan *s = table_get(&l->spans, name, 0, sizeof(lspan), span_init);
	lthread *t = thread_get(l, tid, start);
	if (!s || !t)
		return -ENOMEM;
	uint64_t d = end - start;
	count_event(l, end);
	s->count++;
	s->total += d;
	slot_add(s->slots, end / NS, d, true);
	if (depth == 0) {
		thread_busy(t, start, end, false);
		if (t->loop && d > l->cfg.block_ns)
			return note_block(l, name, false, tid, d, end);
	}
	return 0;
}

int sc_live_counter(sc_live *l, const char *name, uint32_t tid, uint64_t time, double value)
{
	lcounter *c = table_get(&l->counters, name, 0, sizeof(lcounter), counter_init);
	if (!c || !thread_get(l, tid, time))
		return -ENOMEM;
	count_event(l, time);
	uint64_t sec = time / NS;
	size_t i = sec % SC_LIVE_SECONDS;
	if (c->sec[i] != NO_SEC && c->sec[i] > sec)
		return 0;
	c->sec[i] = sec;
	c->val[i] = value;
	if (c->first_sec == NO_SEC || sec < c->first_sec)
		c->first_sec = sec;
	c->last = value;
	return 0;
}

int sc_live_loop(sc_live *l, const char *name, uint32_t tid, uint64_t wait, uint64_t wake,
		 uint64_t busy, bool has_busy, uint64_t lag)
{
	lloop *lp = table_get(&l->loops, name, 0, sizeof(lloop), loop_init);
	lthread *t = thread_get(l, tid, has_busy && busy <= wait ? wait - busy : wait);
	if (!lp || !t)
		return -ENOMEM;
	count_event(l, wake);
	lp->tid = tid;
	lp->iters++;
	slot_add(lp->slots, wake / NS, lag, true);
	if (!t->loop) {
		/* From now on its busy time is the loop's: drop what its spans said. */
		t->loop = true;
		t->first = has_busy && busy <= wait ? wait - busy : wait;
	}
	if (has_busy && busy <= wait) {
		thread_busy(t, wait - busy, wait, true);
		if (busy > l->cfg.block_ns)
			return note_block(l, name, true, tid, busy, wait);
	}
	return 0;
}

void sc_live_open_reset(sc_live *l)
{
	for (size_t i = 0; i < l->open.len; i++)
		free(l->open.data[i].name);
	l->open.len = 0;
}

int sc_live_open(sc_live *l, const char *name, uint32_t tid, uint64_t start)
{
	lopen o = {strdup(name), tid, start};
	if (!o.name || sc_vec_push(&l->open, o) < 0) {
		free(o.name);
		return -ENOMEM;
	}
	return thread_get(l, tid, start) ? 0 : -ENOMEM;
}

static const lthread *thread_find(const sc_live *l, uint32_t tid)
{
	uint64_t idx;
	if (!sc_hashmap_get(&l->thread_map, sc_hash_u64(tid), NULL, NULL, NULL, &idx))
		return NULL;
	return l->threads.data[idx];
}

/* The thread's busy share over the window ending before the tenth of `now`, or -1 with less
 * than a tenth observed; *observed: the tenths counted. */
static double busy_share(const lthread *t, uint64_t now, uint64_t *observed)
{
	uint64_t cur = now / TENTH, from = cur > WTENTHS ? cur - WTENTHS : 0;
	if (t->first / TENTH + 1 > from)
		from = t->first / TENTH + 1;
	*observed = 0;
	if (from >= cur)
		return -1;
	uint64_t busy = 0;
	for (uint64_t x = from; x < cur; x++) {
		size_t i = x % TSLOTS;
		if (t->tenth[i] == x)
			busy += t->loop ? t->busy_loop[i] : t->busy_span[i];
	}
	*observed = cur - from;
	double share = (double)busy / ((double)(cur - from) * TENTH);
	return share > 1 ? 1 : share;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static int add_warning(sc_live_view *v, size_t *cap, sc_live_warning w)
{
	if (v->nwarnings == *cap) {
		size_t n = *cap ? *cap * 2 : 8;
		sc_live_warning *p = realloc(v->warnings, n * sizeof(*p));
		if (!p) {
			free(w.name);
			free(w.thread);
			return -ENOMEM;
		}
		v->warnings = p;
		*cap = n;
	}
	v->warnings[v->nwarnings++] = w;
	return w.name && w.thread ? 0 : -ENOMEM;
}

static int view_warnings(sc_live *l, uint64_t now, sc_live_view *v)
{
	size_t cap = 0;
	for (size_t i = 0; i < l->blocks.items.len; i++) {
		const lblock *b = l->blocks.items.data[i];
		const lthread *t = thread_find(l, b->tid);
		sc_live_warning w = {.kind = SC_LIVE_WARN_BLOCKED,
				     .name = dup_or_empty(b->name),
				     .thread = dup_or_empty(t ? t->name : NULL),
				     .tid = b->tid,
				     .count = b->count,
				     .ns = b->worst,
				     .last = b->last,
				     .by_loop = b->by_loop};
		if (add_warning(v, &cap, w) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < l->open.len; i++) {
		const lopen *o = &l->open.data[i];
		if (now < o->start || now - o->start <= l->cfg.stuck_ns)
			continue;
		const lthread *t = thread_find(l, o->tid);
		sc_live_warning w = {.kind = SC_LIVE_WARN_STUCK,
				     .name = dup_or_empty(o->name),
				     .thread = dup_or_empty(t ? t->name : NULL),
				     .tid = o->tid,
				     .ns = now - o->start};
		if (add_warning(v, &cap, w) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < l->threads.len; i++) {
		const lthread *t = l->threads.data[i];
		uint64_t observed;
		double busy = busy_share(t, now, &observed);
		if (observed < 10 || busy <= SC_LIVE_BUSY_WARN)
			continue;
		sc_live_warning w = {.kind = SC_LIVE_WARN_BUSY,
				     .name = dup_or_empty(""),
				     .thread = dup_or_empty(t->name),
				     .tid = t->tid,
				     .busy = busy};
		if (add_warning(v, &cap, w) < 0)
			return -ENOMEM;
	}
	return 0;
}

int sc_live_view_make(sc_live *l, uint64_t now, sc_live_view *v)
{
	memset(v, 0, sizeof(*v));
	v->now = now;
	uint64_t cur = now / NS;
	uint64_t from = cur >= SC_LIVE_WINDOW ? cur - SC_LIVE_WINDOW : 0;
	/* The rates' seconds: the last SC_LIVE_WINDOW completed ones, or since the first event. */
	uint64_t rfrom = from, rn;
	if (l->first_sec != NO_SEC && l->first_sec > rfrom)
		rfrom = l->first_sec;
	rn = cur > rfrom ? cur - rfrom : 0;
	v->events = l->events;
	if (cur && l->ev_sec[(cur - 1) % WSLOTS] == cur - 1)
		v->events1 = (double)l->ev_count[(cur - 1) % WSLOTS];

	v->spans = calloc(l->spans.items.len + 1, sizeof(*v->spans));
	v->threads = calloc(l->threads.len + 1, sizeof(*v->threads));
	v->loops = calloc(l->loops.items.len + 1, sizeof(*v->loops));
	v->counters = calloc(l->counters.items.len + 1, sizeof(*v->counters));
	if (!v->spans || !v->threads || !v->loops || !v->counters)
		return -ENOMEM;
	for (size_t i = 0; i < l->spans.items.len; i++) {
		const lspan *s = l->spans.items.data[i];
		sc_live_span_row *r = &v->spans[v->nspans++];
		if (!(r->name = strdup(s->name)))
			return -ENOMEM;
		r->count = s->count;
		r->total_ns = s->total;
		r->rate1 = cur ? (double)window_count(s->slots, cur - 1, cur - 1) : 0;
		r->rate10 = rn ? (double)window_count(s->slots, cur - rn, cur - 1) / (double)rn : 0;
		r->win_count = window_hist(s->slots, from, cur, &r->p50, &r->p99, &r->max);
	}
	for (size_t i = 0; i < l->threads.len; i++) {
		const lthread *t = l->threads.data[i];
		sc_live_thread_row *r = &v->threads[v->nthreads++];
		uint64_t observed;
		r->tid = t->tid;
		if (!(r->name = dup_or_empty(t->name)))
			return -ENOMEM;
		r->busy = busy_share(t, now, &observed);
		r->loop = t->loop;
	}
	for (size_t i = 0; i < l->loops.items.len; i++) {
		const lloop *lp = l->loops.items.data[i];
		sc_live_loop_row *r = &v->loops[v->nloops++];
		if (!(r->name = strdup(lp->name)))
			return -ENOMEM;
		r->tid = lp->tid;
		r->iters = lp->iters;
		r->rate1 = cur ? (double)window_count(lp->slots, cur - 1, cur - 1) : 0;
		r->win_lags = window_hist(lp->slots, from, cur, &r->p50, &r->p99, &r->max);
	}
	for (size_t i = 0; i < l->counters.items.len; i++) {
		const lcounter *c = l->counters.items.data[i];
		sc_live_counter_row *r = &v->counters[v->ncounters++];
		if (!(r->name = strdup(c->name)))
			return -ENOMEM;
		r->last = c->last;
		if (c->first_sec == NO_SEC || c->first_sec > cur)
			continue;
		uint64_t n = cur - c->first_sec + 1;
		if (n > SC_LIVE_SECONDS)
			n = SC_LIVE_SECONDS;
		/* Seconds without a value hold the previous one (the first value found, before). */
		double prev = c->last;
		for (uint64_t j = 0; j < n; j++) {
			uint64_t sec = cur + 1 - n + j;
			if (c->sec[sec % SC_LIVE_SECONDS] == sec) {
				prev = c->val[sec % SC_LIVE_SECONDS];
				break;
			}
		}
		r->nhist = (size_t)n;
		for (uint64_t j = 0; j < n; j++) {
			uint64_t sec = cur + 1 - n + j;
			size_t k = sec % SC_LIVE_SECONDS;
			r->has[j] = c->sec[k] == sec;
			if (r->has[j])
				prev = c->val[k];
			r->hist[j] = prev;
		}
	}
	return view_warnings(l, now, v);
}

void sc_live_view_release(sc_live_view *v)
{
	for (size_t i = 0; v->spans && i < v->nspans; i++)
		free(v->spans[i].name);
	for (size_t i = 0; v->threads && i < v->nthreads; i++)
		free(v->threads[i].name);
	for (size_t i = 0; v->loops && i < v->nloops; i++)
		free(v->loops[i].name);
	for (size_t i = 0; v->counters && i < v->ncounters; i++)
		free(v->counters[i].name);
	for (size_t i = 0; i < v->nwarnings; i++) {
		free(v->warnings[i].name);
		free(v->warnings[i].thread);
	}
	free(v->spans);
	free(v->threads);
	free(v->loops);
	free(v->counters);
	free(v->warnings);
	memset(v, 0, sizeof(*v));
}

/*
 * heap.c: the heap analysis: events in, totals, sites, histograms and the timeline out (see
 * heap.h for the contract and the rules: peak epochs, temporaries).
 *
 * Tour, in the order an event flows:
 *   - flush_pending: a temporary candidate from the thread's previous FREE is counted unless this
 *     event, the thread's next, is the realloc ALLOC that replaced it;
 *   - live_*: the open-addressing table of live blocks (linear probing, deletion by backward
 *     shift so no tombstones accumulate over a long run);
 *   - site_for / site_change: the per-stack counters; site_change saves "live at the peak" before
 *     a site's first change after a new global maximum;
 *   - note_heap: the global live bytes, the peak, and the timeline bucket.
 *
 * Not here: the writers (heap_json.c, heap_profile.c, heap_svg.c) and the gates (gates.c).
 */
#include "heap/heap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/hashmap.h"
#include "util/vec.h"

#define EMPTY_SITE UINT32_MAX
#define SITE_CACHE 1024u /* a power of two */

struct block {
	uint64_t addr, size, time;
	uint32_t site; /* EMPTY_SITE marks a free slot */
	uint32_t tid;
};

struct thread {
	uint32_t tid;
	bool has_last;
	uint64_t last_addr; /* the thread's latest allocation, while it is live */
	/* A temporary candidate this thread freed, decided by the thread's next event: a realloc's
	 * FREE is followed by its ALLOC in the same thread, whatever the other threads do between
	 * and whatever the clock said (the interposer may read it twice). */
	bool pending;
	uint32_t pending_site;
};

struct sc_heap {
	sc_profile *p;
	uint32_t pid;

	struct block *live; /* live blocks, cap a power of two, at most half full */
	size_t live_cap, live_len;

	SC_VEC(sc_heap_site) sites;
	sc_hashmap site_index; /* hash(stack) -> site index */
	/* in front of it, direct-mapped by stack: stack -> site index + 1 (0: empty) */
	struct {
		sc_stack_id stack;
		uint32_t site1;
	} site_cache[SITE_CACHE];

	SC_VEC(struct thread) threads;
	sc_hashmap thread_index; /* hash(tid) -> thread index */

	/* the last thread and site looked up: runs of events from one thread or one stack skip the
	 * hash tables; and the thread before the last (two threads taking turns skip them too) */
	size_t last_thread, last_site, prev_thread; /* index + 1, 0 = none */

	uint64_t epoch; /* bumped at each new global maximum */
	uint64_t heap_bytes, heap_blocks;

	bool started, finished;
	uint64_t t0, last_time;

	sc_heap_bucket sizes[SC_HEAP_SIZE_BUCKETS];
	sc_heap_bucket lifetimes[SC_HEAP_LIFETIME_BUCKETS];

	sc_heap_point points[SC_HEAP_TIMELINE_POINTS];
	uint64_t width;		     /* ns per point */
	size_t npoints;		     /* up to the last point touched */
	uint64_t pt_lo, pt_hi, pt_i; /* the last point found, for times in [pt_lo, pt_hi) from t0 */

	sc_heap_totals t;

	/* The exit scan's answer (sc_heap_set_kinds), sorted by address; counted at the finish. */
	sc_heap_block *scanned;
	uint8_t *scanned_kind;
	size_t nscanned;
	bool have_kinds;
};

sc_heap *sc_heap_new(sc_profile *p, uint32_t pid)
{
	sc_heap *h = calloc(1, sizeof(*h));
	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	h->p = p;
	h->pid = pid;
	h->width = 1000000; /* 1 ms per point to start with; doubles as the run grows */
	for (size_t i = 0; i < SC_HEAP_SIZE_BUCKETS; i++)
		h->sizes[i].le = i < 64 ? (uint64_t)1 << i : UINT64_MAX;
	uint64_t le = 1000;
	for (size_t i = 0; i < SC_HEAP_LIFETIME_BUCKETS; i++, le *= 10)
		h->lifetimes[i].le = le;
	return h;
}

void sc_heap_free(sc_heap *h)
{
	if (!h)
		return;
	free(h->live);
	sc_vec_release(&h->sites);
	sc_hashmap_release(&h->site_index);
	sc_vec_release(&h->threads);
	sc_hashmap_release(&h->thread_index);
	free(h->scanned);
	free(h->scanned_kind);
	free(h);
}

/* ---- live blocks ---- */

static size_t slot_of(uint64_t addr, size_t cap)
{
	return (size_t)sc_hash_u64(addr) & (cap - 1);
}

static struct block *live_find(sc_heap *h, uint64_t addr)
{
	if (!h->live_cap)
		return NULL;
	for (size_t i = slot_of(addr, h->live_cap);; i = (i + 1) & (h->live_cap - 1)) {
		struct block *b = &h->live[i];
		if (b->site == EMPTY_SITE)
			return NULL;
		if (b->addr == addr)
			return b;
	}
}

static void live_insert_nogrow(struct block *tab, size_t cap, const struct block *b)
{
	size_t i = slot_of(b->addr, cap);
	while (tab[i].site != EMPTY_SITE)
		i = (i + 1) & (cap - 1);
	tab[i] = *b;
}

/* A table of cap slots; from 2 MiB up in transparent huge pages where the kernel allows (each
 * event looks up a random slot: with 4 KiB pages it missed the TLB as well as the cache). */
static struct block *live_alloc(size_t cap)
{
	size_t bytes = cap * sizeof(struct block), huge = (size_t)2 << 20;
	if (bytes < huge)
		return malloc(bytes);
	struct block *tab = aligned_alloc(huge, bytes);
	if (tab)
		madvise(tab, bytes, MADV_HUGEPAGE); /* advice: without it, 4 KiB pages */
	return tab;
}

static int live_insert(sc_heap *h, const struct block *b)
{
	if ((h->live_len + 1) * 2 > h->live_cap) {
		size_t cap = h->live_cap ? h->live_cap * 2 : 1024;
		struct block *tab = live_alloc(cap);
		if (!tab)
			return -ENOMEM;
		for (size_t i = 0; i < cap; i++)
			tab[i].site = EMPTY_SITE;
		for (size_t i = 0; i < h->live_cap; i++)
			if (h->live[i].site != EMPTY_SITE)
				live_insert_nogrow(tab, cap, &h->live[i]);
		free(h->live);
		h->live = tab;
		h->live_cap = cap;
	}
	live_insert_nogrow(h->live, h->live_cap, b);
	h->live_len++;
	return 0;
}

/* Removes the block `b` points at (a slot of the table): the entries after it in its probe run
 * move back so that every entry stays reachable from its home slot. */
static void live_remove(sc_heap *h, struct block *b)
{
	size_t mask = h->live_cap - 1;
	size_t hole = (size_t)(b - h->live);
	for (size_t i = (hole + 1) & mask; h->live[i].site != EMPTY_SITE; i = (i + 1) & mask) {
		size_t home = slot_of(h->live[i].addr, h->live_cap);
		/* Move i into the hole when its home is not in (hole, i] (cyclically). */
		bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
		if (!stays) {
			h->live[hole] = h->live[i];
			hole = i;
		}
	}
	h->live[hole].site = EMPTY_SITE;
	h->live_len--;
}

/* ---- sites and threads ---- */

static bool site_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_heap *h = ctx;
	return h->sites.data[value].stack == *(const sc_stack_id *)key;
}

static int64_t site_for(sc_heap *h, sc_stack_id stack)
{
	if (h->last_site && h->sites.data[h->last_site - 1].stack == stack)
		return (int64_t)(h->last_site - 1);
	size_t c = (size_t)stack & (SITE_CACHE - 1);
	uint64_t hash = sc_hash_u64(stack), v;
	if (h->site_cache[c].site1 && h->site_cache[c].stack == stack) {
		v = h->site_cache[c].site1 - 1;
	} else if (!sc_hashmap_get(&h->site_index, hash, site_eq, &stack, h, &v)) {
		sc_heap_site s = {.stack = stack, .epoch_ = h->epoch};
		if (h->sites.len >= EMPTY_SITE || sc_vec_push(&h->sites, s) < 0)
			return -ENOMEM;
		v = h->sites.len - 1;
		if (sc_hashmap_put(&h->site_index, hash, v) < 0) {
			h->sites.len--;
			return -ENOMEM;
		}
	}
	h->site_cache[c].stack = stack;
	h->site_cache[c].site1 = (uint32_t)(v + 1);
	h->last_site = v + 1;
	return (int64_t)v;
}

static bool thread_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_heap *h = ctx;
	return h->threads.data[value].tid == *(const uint32_t *)key;
}

static struct thread *thread_for(sc_heap *h, uint32_t tid, bool add)
{
	if (h->last_thread && h->threads.data[h->last_thread - 1].tid == tid)
		return &h->threads.data[h->last_thread - 1];
	if (h->prev_thread && h->threads.data[h->prev_thread - 1].tid == tid) {
		size_t i = h->prev_thread;
		h->prev_thread = h->last_thread;
		h->last_thread = i;
		return &h->threads.data[i - 1];
	}
	uint64_t hash = sc_hash_u64((uint64_t)tid + 1), v;
	if (sc_hashmap_get(&h->thread_index, hash, thread_eq, &tid, h, &v)) {
		h->prev_thread = h->last_thread;
		h->last_thread = v + 1;
		return &h->threads.data[v];
	}
	if (!add)
		return NULL;
	struct thread t = {.tid = tid};
	if (sc_vec_push(&h->threads, t) < 0)
		return NULL;
	if (sc_hashmap_put(&h->thread_index, hash, h->threads.len - 1) < 0) {
		h->threads.len--;
		return NULL;
	}
	h->prev_thread = h->last_thread;
	h->last_thread = h->threads.len;
	return &h->threads.data[h->threads.len - 1];
}

/* Saves the site's live values as "at the peak" when a new global maximum happened since its last
 * change: its values then are its values now. */
static void site_sync(sc_heap *h, sc_heap_site *s)
{
	if (s->epoch_ != h->epoch) {
		s->peak_bytes = s->live_bytes;
		s->peak_blocks = s->live_blocks;
		s->epoch_ = h->epoch;
	}
}

/* ---- the timeline ---- */

static void merge_point(sc_heap_point *into, const sc_heap_point *a, const sc_heap_point *b)
{
	sc_heap_point m = *a;
	if (b->has_heap) {
		if (!m.has_heap) {
			m.heap_min = b->heap_min;
			m.heap_max = b->heap_max;
		} else {
			m.heap_min = b->heap_min < m.heap_min ? b->heap_min : m.heap_min;
			m.heap_max = b->heap_max > m.heap_max ? b->heap_max : m.heap_max;
		}
		m.heap_last = b->heap_last;
		m.has_heap = true;
	}
	if (b->has_rss) {
		m.rss = m.has_rss && m.rss > b->rss ? m.rss : b->rss;
		m.has_rss = true;
	}
	if (b->has_alloc && (!m.has_alloc || b->alloc_held > m.alloc_held)) {
		m.alloc_held = b->alloc_held;
		m.alloc_in_use = b->alloc_in_use;
		m.alloc_free = b->alloc_free;
		m.has_alloc = true;
	}
	*into = m;
}

static sc_heap_point *point_at(sc_heap *h, uint64_t time)
{
	uint64_t rel = time - h->t0;
	if (rel >= h->pt_lo && rel < h->pt_hi)
		return &h->points[h->pt_i];
	while (rel / h->width >= SC_HEAP_TIMELINE_POINTS) {
		/* Halve the resolution: points 2i and 2i+1 become point i. */
		for (size_t i = 0; i < SC_HEAP_TIMELINE_POINTS / 2; i++)
			merge_point(&h->points[i], &h->points[2 * i], &h->points[2 * i + 1]);
		memset(&h->points[SC_HEAP_TIMELINE_POINTS / 2], 0, sizeof(h->points) / 2);
		h->npoints = (h->npoints + 1) / 2;
		h->width *= 2;
	}
	size_t i = (size_t)(rel / h->width);
	if (i + 1 > h->npoints)
		h->npoints = i + 1;
	h->pt_i = i;
	h->pt_lo = i * h->width;
	h->pt_hi = h->pt_lo + h->width;
	return &h->points[i];
}

static uint64_t clamp_time(sc_heap *h, uint64_t time)
{
	if (!h->started) {
		h->started = true;
		h->t0 = h->last_time = time;
	}
	if (time < h->last_time)
		time = h->last_time;
	h->last_time = time;
	return time;
}

/* The heap size changed at `time`: the peak and the timeline. */
static void note_heap(sc_heap *h, uint64_t time)
{
	if (h->heap_bytes > h->t.peak_bytes) {
		h->t.peak_bytes = h->heap_bytes;
		h->t.peak_blocks = h->heap_blocks;
		h->t.peak_time = time - h->t0;
		h->epoch++;
	}
	sc_heap_point *pt = point_at(h, time);
	if (!pt->has_heap) {
		pt->heap_min = pt->heap_max = h->heap_bytes;
		pt->has_heap = true;
	}
	if (h->heap_bytes < pt->heap_min)
		pt->heap_min = h->heap_bytes;
	if (h->heap_bytes > pt->heap_max)
		pt->heap_max = h->heap_bytes;
	pt->heap_last = h->heap_bytes;
}

/* ---- events ---- */

/* Decides thread t's temporary candidate at its next event `e` (NULL: the end). */
static void flush_pending(sc_heap *h, struct thread *t, const sc_heap_event *e)
{
	if (!t->pending)
		return;
	t->pending = false;
	if (e && e->kind == SC_HEAP_ALLOC && e->realloc)
		return;
	h->sites.data[t->pending_site].temporary++;
	h->t.temporary++;
}

static void lifetime_note(sc_heap *h, uint64_t ns)
{
	size_t i = 0;
	while (i + 1 < SC_HEAP_LIFETIME_BUCKETS && ns > h->lifetimes[i].le)
		i++;
	h->lifetimes[i].allocs++;
}

/* Takes block `b` out of the live set at `time`: a FREE by thread `freer`, or a replacement when
 * `freer` is NULL. */
static void drop_block(sc_heap *h, struct block *b, uint64_t time, struct thread *freer)
{
	sc_heap_site *s = &h->sites.data[b->site];
	site_sync(h, s);
	s->live_bytes -= b->size;
	s->live_blocks--;
	s->lifetime_ns += time - b->time;
	h->heap_bytes -= b->size;
	h->heap_blocks--;
	if (freer) {
		s->frees++;
		s->bytes_freed += b->size;
		h->t.frees++;
		h->t.bytes_freed += b->size;
		lifetime_note(h, time - b->time);
		/* the allocating thread's (a lookup that adds nothing: `freer` stays valid) */
		struct thread *t = thread_for(h, b->tid, false);
		if (t && t->has_last && t->last_addr == b->addr) {
			t->has_last = false;
			freer->pending = true;
			freer->pending_site = b->site;
		}
	} else {
		h->t.replaced_blocks++;
		h->t.replaced_bytes += b->size;
	}
	live_remove(h, b);
}

static int add_alloc(sc_heap *h, struct thread *t, const sc_heap_event *e, uint64_t time)
{
	t->has_last = true;
	t->last_addr = e->addr;
	struct block *old = live_find(h, e->addr);
	if (old)
		drop_block(h, old, time, NULL);
	int64_t si = site_for(h, e->stack);
	if (si < 0)
		return (int)si;
	struct block b = {
	    .addr = e->addr, .size = e->size, .time = time, .site = (uint32_t)si, .tid = e->tid};
	if (live_insert(h, &b) < 0)
		return -ENOMEM;
	sc_heap_site *s = &h->sites.data[si];
	site_sync(h, s);
	s->allocs++;
	s->bytes += e->size;
	s->usable += e->usable;
	s->live_bytes += e->size;
	s->live_blocks++;
	if (s->live_bytes > s->max_bytes) {
		s->max_bytes = s->live_bytes;
		s->max_blocks = s->live_blocks;
	}
	h->t.allocs++;
	h->t.reallocs += e->realloc;
	h->t.bytes_allocated += e->size;
	h->t.usable_allocated += e->usable;
	if (e->size > h->t.largest)
		h->t.largest = e->size;
	/* the smallest i with size <= 2^i: the bit length of size - 1 */
	size_t bi = e->size <= 1 ? 0 : 64 - (size_t)__builtin_clzll(e->size - 1);
	h->sizes[bi].allocs++;
	h->sizes[bi].bytes += e->size;
	h->heap_bytes += e->size;
	h->heap_blocks++;
	note_heap(h, time);
	return 0;
}

int sc_heap_add(sc_heap *h, const sc_heap_event *e)
{
	if (h->finished || (e->kind != SC_HEAP_ALLOC && e->kind != SC_HEAP_FREE))
		return -EINVAL;
	if (e->kind == SC_HEAP_ALLOC && e->stack >= h->p->nodes.len)
		return -EINVAL;
	uint64_t time = clamp_time(h, e->time);
	struct thread *t = thread_for(h, e->tid, true);
	if (!t)
		return -ENOMEM;
	flush_pending(h, t, e);
	if (e->kind == SC_HEAP_ALLOC)
		return add_alloc(h, t, e, time);
	struct block *b = live_find(h, e->addr);
	if (!b) {
		h->t.frees_unknown++;
		return 0;
	}
	drop_block(h, b, time, t);
	note_heap(h, time);
	return 0;
}

/* How many events ahead sc_heap_add_many prefetches the live table's slot: enough to cover a
 * memory access (~100 ns) with the work of the events in between. */
#define PREFETCH_AHEAD 8

int sc_heap_add_many(sc_heap *h, const sc_heap_event *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n && h->live_cap) {
			/* the slot and the next (a removal looks at the slots after it) */
			size_t s = slot_of(e[i + PREFETCH_AHEAD].addr, h->live_cap);
			__builtin_prefetch(&h->live[s]);
			__builtin_prefetch(&h->live[(s + 1) & (h->live_cap - 1)]);
		}
		int r = sc_heap_add(h, &e[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int sc_heap_rss(sc_heap *h, uint64_t time, uint64_t rss_bytes)
{
	if (h->finished)
		return -EINVAL;
	/* RSS samples do not move the events' clock: they come from another source. */
	if (!h->started) {
		h->started = true;
		h->t0 = h->last_time = time;
	}
	if (time < h->t0)
		time = h->t0;
	sc_heap_point *pt = point_at(h, time);
	if (!pt->has_rss || rss_bytes > pt->rss)
		pt->rss = rss_bytes;
	pt->has_rss = true;
	if (rss_bytes > h->t.max_rss)
		h->t.max_rss = rss_bytes;
	return 0;
}

int sc_heap_allocator(sc_heap *h, uint64_t time, uint64_t held, uint64_t in_use,
		      uint64_t free_bytes)
{
	if (h->finished)
		return -EINVAL;
	if (!h->started) { /* as RSS samples: not the events' clock */
		h->started = true;
		h->t0 = h->last_time = time;
	}
	if (time < h->t0)
		time = h->t0;
	sc_heap_point *pt = point_at(h, time);
	if (!pt->has_alloc || held > pt->alloc_held) {
		pt->alloc_held = held;
		pt->alloc_in_use = in_use;
		pt->alloc_free = free_bytes;
		pt->has_alloc = true;
	}
	if (held > h->t.alloc_held) {
		h->t.alloc_held = held;
		h->t.alloc_in_use = in_use;
		h->t.alloc_free = free_bytes;
	}
	return 0;
}

/* ---- leak kinds (the exit scan's answer) ---- */

const char *sc_heap_kind_name(sc_heap_leak_kind k)
{
	static const char *const names[SC_HEAP_KINDS] = {"unclassified", "definitely lost",
							 "indirectly lost", "possibly lost",
							 "still reachable"};
	return (unsigned)k < SC_HEAP_KINDS ? names[k] : "?";
}

const char *sc_heap_kind_key(sc_heap_leak_kind k)
{
	static const char *const keys[SC_HEAP_KINDS] = {"unclassified", "definite", "indirect",
							"possible", "reachable"};
	return (unsigned)k < SC_HEAP_KINDS ? keys[k] : "?";
}

int sc_heap_live_blocks(const sc_heap *h, sc_heap_block **out, size_t *n)
{
	*out = malloc((h->live_len ? h->live_len : 1) * sizeof(**out));
	*n = 0;
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < h->live_cap; i++) {
		const struct block *b = &h->live[i];
		if (b->site != EMPTY_SITE)
			(*out)[(*n)++] = (sc_heap_block){b->addr, b->size, b->time};
	}
	return 0;
}

int sc_heap_set_kinds(sc_heap *h, const sc_heap_block *blocks, const uint8_t *kinds, size_t n)
{
	if (h->finished)
		return -EINVAL;
	sc_heap_block *b = malloc((n ? n : 1) * sizeof(*b));
	uint8_t *k = malloc(n ? n : 1);
	if (!b || !k) {
		free(b);
		free(k);
		return -ENOMEM;
	}
	if (n) {
		memcpy(b, blocks, n * sizeof(*b));
		memcpy(k, kinds, n);
	}
	free(h->scanned);
	free(h->scanned_kind);
	h->scanned = b;
	h->scanned_kind = k;
	h->nscanned = n;
	h->have_kinds = true;
	return 0;
}

/* The kind the scan gave block `b`, UNCLASSIFIED when it was not scanned (allocated later). */
static sc_heap_leak_kind kind_of(const sc_heap *h, const struct block *b)
{
	size_t lo = 0, hi = h->nscanned;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->scanned[mid].addr < b->addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->nscanned && h->scanned[lo].addr == b->addr && h->scanned[lo].time == b->time &&
	    h->scanned_kind[lo] < SC_HEAP_KINDS)
		return (sc_heap_leak_kind)h->scanned_kind[lo];
	return SC_HEAP_UNCLASSIFIED;
}

/* At the finish of a process that exited: each leaked block counted by its kind. */
static void count_kinds(sc_heap *h)
{
	h->t.classified = h->have_kinds;
	for (size_t i = 0; i < h->live_cap; i++) {
		const struct block *b = &h->live[i];
		if (b->site == EMPTY_SITE)
			continue;
		sc_heap_leak_kind k = h->have_kinds ? kind_of(h, b) : SC_HEAP_UNCLASSIFIED;
		sc_heap_site *s = &h->sites.data[b->site];
		s->kind_bytes[k] += b->size;
		s->kind_blocks[k]++;
		h->t.kind_bytes[k] += b->size;
		h->t.kind_blocks[k]++;
	}
}

int sc_heap_finish(sc_heap *h, uint64_t end_time, bool exited)
{
	if (h->finished)
		return -EINVAL;
	uint64_t end = clamp_time(h, end_time);
	for (size_t i = 0; i < h->threads.len; i++)
		flush_pending(h, &h->threads.data[i], NULL);
	for (size_t i = 0; i < h->live_cap; i++) {
		const struct block *b = &h->live[i];
		if (b->site != EMPTY_SITE)
			h->sites.data[b->site].lifetime_ns += end - b->time;
	}
	for (size_t i = 0; i < h->sites.len; i++)
		site_sync(h, &h->sites.data[i]);
	h->t.live_bytes = h->heap_bytes;
	h->t.live_blocks = h->heap_blocks;
	if (exited) {
		h->t.leaked_bytes = h->heap_bytes;
		h->t.leaked_blocks = h->heap_blocks;
		count_kinds(h);
	}
	h->t.exited = exited;
	h->t.duration = end - h->t0;
	h->finished = true;
	return 0;
}

int sc_heap_suppress(sc_heap *h, bool (*match)(void *ctx, sc_stack_id stack), void *ctx)
{
	if (!h->finished)
		return -EINVAL;
	int n = 0;
	for (size_t i = 0; i < h->sites.len; i++) {
		sc_heap_site *s = &h->sites.data[i];
		if (s->suppressed || !s->live_blocks || !match(ctx, s->stack))
			continue;
		s->suppressed = true;
		h->t.suppressed_bytes += s->live_bytes;
		h->t.suppressed_blocks += s->live_blocks;
		if (h->t.exited) {
			h->t.leaked_bytes -= s->live_bytes;
			h->t.leaked_blocks -= s->live_blocks;
			for (size_t k = 0; k < SC_HEAP_KINDS; k++) {
				h->t.kind_bytes[k] -= s->kind_bytes[k];
				h->t.kind_blocks[k] -= s->kind_blocks[k];
			}
		}
		n++;
	}
	return n;
}

/* ---- results ---- */

const sc_heap_totals *sc_heap_get_totals(const sc_heap *h)
{
	return &h->t;
}

uint32_t sc_heap_pid(const sc_heap *h)
{
	return h->pid;
}

size_t sc_heap_memory(const sc_heap *h)
{
	return sizeof(*h) + h->live_cap * sizeof(*h->live) + sc_vec_bytes(h->sites) +
	       sc_hashmap_bytes(&h->site_index) + sc_vec_bytes(h->threads) +
	       sc_hashmap_bytes(&h->thread_index);
}

const sc_profile *sc_heap_profile_of(const sc_heap *h)
{
	return h->p;
}

bool sc_heap_is_finished(const sc_heap *h)
{
	return h->finished;
}

size_t sc_heap_nsites(const sc_heap *h)
{
	return h->sites.len;
}

const sc_heap_site *sc_heap_site_at(const sc_heap *h, size_t i)
{
	return i < h->sites.len ? &h->sites.data[i] : NULL;
}

static void site_key(const sc_heap_site *s, sc_heap_order o, uint64_t k[2])
{
	switch (o) {
	case SC_HEAP_BY_BYTES:
		k[0] = s->bytes, k[1] = s->allocs;
		break;
	case SC_HEAP_BY_COUNT:
		k[0] = s->allocs, k[1] = s->bytes;
		break;
	case SC_HEAP_BY_LIVE:
		k[0] = s->suppressed ? 0 : s->live_bytes, k[1] = s->suppressed ? 0 : s->live_blocks;
		break;
	case SC_HEAP_BY_PEAK:
		k[0] = s->peak_bytes, k[1] = s->peak_blocks;
		break;
	default:
		k[0] = s->temporary, k[1] = 0;
		break;
	}
}

static int cmp_sites(const void *a, const void *b, void *ctx)
{
	const sc_heap_site *x = *(const sc_heap_site *const *)a,
			   *y = *(const sc_heap_site *const *)b;
	sc_heap_order order = *(const sc_heap_order *)ctx;
	uint64_t kx[2], ky[2];
	site_key(x, order, kx);
	site_key(y, order, ky);
	for (int i = 0; i < 2; i++)
		if (kx[i] != ky[i])
			return kx[i] > ky[i] ? -1 : 1;
	return x->stack < y->stack ? -1 : x->stack > y->stack;
}

int sc_heap_sorted_sites(const sc_heap *h, sc_heap_order order, const sc_heap_site ***out,
			 size_t *n)
{
	const sc_heap_site **v = malloc((h->sites.len ? h->sites.len : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < h->sites.len; i++) {
		uint64_t key[2];
		site_key(&h->sites.data[i], order, key);
		if (key[0] || key[1])
			v[k++] = &h->sites.data[i];
	}
	qsort_r(v, k, sizeof(*v), cmp_sites, &order);
	*out = v;
	*n = k;
	return 0;
}

const sc_heap_bucket *sc_heap_size_histogram(const sc_heap *h)
{
	return h->sizes;
}

const sc_heap_bucket *sc_heap_lifetime_histogram(const sc_heap *h)
{
	return h->lifetimes;
}

const sc_heap_point *sc_heap_timeline(const sc_heap *h, size_t *n, uint64_t *width)
{
	*n = h->npoints;
	*width = h->width;
	return h->points;
}

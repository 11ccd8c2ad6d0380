/*
 * runtime.c: libscorch's core, behind include/scorch/trace.h: start-up, per-thread rings, call
 * sites, and the events of spans, counters, marks, frames, async spans and thread names. The
 * records are agent/stream.h's TRACE_THREAD, TRACE_LOC and TRACE (version 1.2).
 *
 * Start-up (a constructor, once per process image): with SCORCH_AGENT_FILE in the environment
 * (`scorch trace` started us) the runtime maps that file, unless it is a sampler's (a max_depth:
 * libscorch-cpu's or libscorch-heap's, when an instrumented program runs under scorch record or
 * scorch heap, whose readers have no use for trace records); else with SCORCH_CONSOLE=1 it makes an
 * event file of its own and opens the console socket (server.c); else it stays off and every
 * macro costs a load and a branch (scorch_trace_on_ is 0). A file whose header asks for no
 * inheritance (SC_AGENT_NO_INHERIT) is used only by the launched process (root_pid).
 *
 * Threads: a thread's first event maps its state (sc_rt_thread, mmap'ed: we allocate nothing
 * with malloc on that path), claims a ring (sc_shm_claim) and writes a TRACE_THREAD record with
 * its kernel name. A thread-specific-data destructor closes the ring at the thread's exit. The
 * state is found through an initial-exec TLS pointer: one load from %fs.
 *
 * An event: the site's number (a load: numbered already), the time (tsc.h: rdtsc and a
 * multiply), a 32-byte record written at the head of the ring, and the new head published with a
 * release store (a plain store on x86). No system call, no lock, no atomic read-modify-write;
 * the consumer's tail is read again only when the one read last says the ring may be full.
 *
 * Full rings drop events, counted in the ring's `lost`. Nesting survives drops: a BEGIN that
 * cannot be written drops the span's whole subtree, its END included (depth counting: drop_at),
 * and every record but an END is written only when the ring keeps room for the ENDs of the
 * spans open and recorded (64 bytes each), so a recorded BEGIN always gets its END. A thread
 * that found no free ring counts its events in the header's lost_no_ring.
 *
 * Call sites (scorch_loc) are numbered per process image, as stream.h's ordering rule says: the
 * thread that numbers a site takes a number, writes and publishes the TRACE_LOC record, then
 * stores the number into the site by compare-and-swap. Two threads meeting a new site at once
 * both write a LOC; the loser uses the winner's number (its own LOC names no event: harmless).
 * A forked child is a new image with a new instance number; the sites keep the parent's numbers
 * in memory, so the child numbers only above `id_base` (the parent's count at the fork) and
 * takes any site below it for new: numbers stay unique within each instance.
 *
 * The catalogue (a console's event file only, stream.h): each TRACE_LOC and TRACE_THREAD record
 * is also appended there, so that a console attached later learns the sites and thread names
 * that an earlier console took from the rings.
 *
 * Fork: the child's forking thread gets a new ring (its parent's belongs to the parent); spans
 * it had open at the fork are the parent's, so their ENDs in the child are not written (floor).
 * Exec: the new image maps the file again (the environment carries it) with a new instance, and
 * closes the rings its pid still owns (the old image's main thread never exited to close its own).
 */
#include "trace/runtime.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "trace/proto.h"

#define KEEP_PER_SPAN 64u /* ring bytes kept for an open span's END (32, and a PAD before it) */
#define EV_BYTES      ((uint32_t)(sizeof(sc_agent_rec) + sizeof(sc_agent_trace_ev)))
#define MAX_STR	      1024u /* bytes of a name, file or function kept in a LOC record */
#define NO_RING_FLUSH 256u  /* events counted per thread before adding them to the header */

SCORCH_API int scorch_trace_on_;

static uint32_t instance;	   /* this process image's number in the file */
static uint64_t ring_bytes;	   /* data bytes per ring */
static _Atomic uint32_t next_site; /* the last site number handed out */
static uint32_t id_base = 1;	   /* site numbers below this are an ancestor image's */
static unsigned char *catalog;	   /* the file's catalogue (console files), or NULL */
static uint64_t catalog_bytes;
static pthread_key_t thr_key;
static __thread sc_rt_thread *self __attribute__((tls_model("initial-exec")));
static __thread bool thread_gone __attribute__((tls_model("initial-exec")));

_Static_assert(sizeof(sc_agent_rec) + sizeof(sc_agent_trace_ev) == 32,
	       "a TRACE record is 32 bytes");

/* ---- records ------------------------------------------------------------------------------ */

static void count_lost(sc_rt_thread *t)
{
	if (t->w.ring) { /* single producer: no read-modify-write needed */
		_Atomic uint64_t *l = (_Atomic uint64_t *)&t->w.ring->lost;
		atomic_store_explicit(l, atomic_load_explicit(l, memory_order_relaxed) + 1,
				      memory_order_relaxed);
	} else if (++t->no_ring >= NO_RING_FLUSH) {
		atomic_fetch_add((_Atomic uint64_t *)&sc_shm_hdr->lost_no_ring, t->no_ring);
		t->no_ring = 0;
	}
}

/* Room for `size` bytes at the head, keeping `keep` bytes free after them, with the tail read
 * again. A PAD fills the end of the data when the record would cross it. */
static __attribute__((noinline)) unsigned char *reserve_slow(sc_rt_thread *t, uint32_t size,
							     uint64_t keep)
{
	if (!t->w.ring)
		return NULL;
	t->tail = atomic_load_explicit((_Atomic uint64_t *)&t->w.ring->tail, memory_order_acquire);
	uint64_t off = t->w.head & (ring_bytes - 1);
	uint64_t pad = off + size > ring_bytes ? ring_bytes - off : 0;
	if (t->w.head + pad + size + keep - t->tail > ring_bytes)
		return NULL;
	if (pad) {
		sc_agent_rec *p = (sc_agent_rec *)(t->w.data + off);
		p->type = SC_AGENT_REC_PAD;
		p->reserved = 0;
		p->size = (uint32_t)pad;
		t->w.head += pad;
		off = 0;
	}
	return t->w.data + off;
}

static inline unsigned char *reserve(sc_rt_thread *t, uint32_t size, uint64_t keep)
{
	uint64_t head = t->w.head, off = head & (ring_bytes - 1);
	if (__builtin_expect(off + size <= ring_bytes &&
				 head + size + keep - t->tail <= ring_bytes && t->w.ring != NULL,
			     1))
		return t->w.data + off;
	return reserve_slow(t, size, keep);
}

static inline void publish(sc_rt_thread *t, uint32_t size)
{
	t->w.head += size;
	atomic_store_explicit((_Atomic uint64_t *)&t->w.ring->head, t->w.head,
			      memory_order_release);
}

static inline uint64_t keep_for(const sc_rt_thread *t)
{
	return (uint64_t)t->open * KEEP_PER_SPAN;
}

static inline void put_header(unsigned char *at, uint16_t type, uint32_t size)
{
	sc_agent_rec *rec = (sc_agent_rec *)at;
	rec->type = type;
	rec->reserved = 0;
	rec->size = size;
}

static size_t cut_len(const char *s, size_t max)
{
	size_t n = 0;
	while (s && n < max && s[n])
		n++;
	return n;
}

/* A copy of record `rec` in the catalogue (stream.h), when the file has one: what a console
 * attached later reads to name the sites and threads of the events it finds. Dropped when the
 * catalogue is full. */
static void catalog_add(const sc_rt_thread *t, const sc_agent_rec *rec)
{
	if (!catalog)
		return;
	uint64_t size = sizeof(sc_agent_catalog_entry) + rec->size;
	uint64_t off = atomic_fetch_add((_Atomic uint64_t *)&sc_shm_hdr->catalog_end, size);
	if (off > catalog_bytes || size > catalog_bytes - off)
		return;
	sc_agent_catalog_entry *e = (sc_agent_catalog_entry *)(catalog + off);
	e->instance = instance;
	e->pid = t->pid;
	e->size = rec->size;
	memcpy(e + 1, rec, rec->size);
	atomic_store_explicit((_Atomic uint32_t *)&e->ready, 1, memory_order_release);
}

/* A TRACE_THREAD record: the thread's name now (in the catalogue too, even when the ring is
 * full: the name outlives the events dropped). */
static void put_thread(sc_rt_thread *t, const char *name)
{
	size_t len = cut_len(name, 255);
	uint32_t size =
	    (uint32_t)((sizeof(sc_agent_rec) + sizeof(sc_agent_trace_thread) + len + 1 + 7) &
		       ~(size_t)7);
	uint64_t buf[(sizeof(sc_agent_rec) + sizeof(sc_agent_trace_thread) + 256 + 7) / 8];
	unsigned char *rec = (unsigned char *)buf;
	put_header(rec, SC_AGENT_REC_TRACE_THREAD, size);
	sc_agent_trace_thread *th = (sc_agent_trace_thread *)(rec + sizeof(sc_agent_rec));
	th->time = sc_tsc_ns(&t->clock);
	th->tid = t->tid;
	th->len = (uint32_t)len;
	char *s = (char *)(th + 1);
	memcpy(s, name, len);
	memset(s + len, 0, size - sizeof(sc_agent_rec) - sizeof(*th) - len);
	catalog_add(t, (const sc_agent_rec *)rec);
	unsigned char *at = reserve(t, size, keep_for(t));
	if (!at) {
		count_lost(t);
		return;
	}
	memcpy(at, rec, size);
	publish(t, size);
}

/* The number of `loc` in this image: numbers it (and writes its TRACE_LOC) the first time.
 * 0 when its LOC could not be written (a full ring: the event is dropped too). */
static __attribute__((noinline)) uint32_t site_number(sc_rt_thread *t, scorch_loc *loc,
						      uint32_t kind, uint32_t seen)
{
	size_t nl = cut_len(loc->name, MAX_STR), fl = cut_len(loc->file, MAX_STR),
	       gl = cut_len(loc->func, MAX_STR);
	uint32_t size =
	    (uint32_t)((sizeof(sc_agent_rec) + sizeof(sc_agent_trace_loc) + nl + fl + gl + 3 + 7) &
		       ~(size_t)7);
	unsigned char *at = reserve(t, size, keep_for(t));
	if (!at)
		return 0;
	uint32_t n = atomic_fetch_add(&next_site, 1) + 1;
	put_header(at, SC_AGENT_REC_TRACE_LOC, size);
	sc_agent_trace_loc *l = (sc_agent_trace_loc *)(at + sizeof(sc_agent_rec));
	l->id = n;
	l->line = loc->line;
	l->kind = kind;
	l->name_len = (uint16_t)nl;
	l->file_len = (uint16_t)fl;
	l->func_len = (uint16_t)gl;
	l->reserved = 0;
	char *s = (char *)(l + 1);
	memset(s, 0, size - sizeof(sc_agent_rec) - sizeof(*l));
	if (nl)
		memcpy(s, loc->name, nl);
	if (fl)
		memcpy(s + nl + 1, loc->file, fl);
	if (gl)
		memcpy(s + nl + 1 + fl + 1, loc->func, gl);
	publish(t, size);
	catalog_add(t, (const sc_agent_rec *)at);
	/* Published first, then named: whoever reads the number, its LOC is out already. */
	if (__atomic_compare_exchange_n(&loc->id, &seen, n, false, __ATOMIC_RELEASE,
					__ATOMIC_ACQUIRE))
		return n;
	return seen >= id_base ? seen : n; /* another thread numbered it meanwhile */
}

static inline uint32_t site_id(sc_rt_thread *t, scorch_loc *loc, uint32_t kind)
{
	uint32_t id = __atomic_load_n(&loc->id, __ATOMIC_ACQUIRE);
	if (__builtin_expect(id >= id_base, 1))
		return id;
	return site_number(t, loc, kind, id);
}

/* Writes a TRACE event naming site number `id` (0 for none), keeping `keep` bytes. */
static inline bool put_event(sc_rt_thread *t, uint32_t id, uint32_t kind, uint64_t arg,
			     uint64_t keep)
{
	uint64_t ns = sc_tsc_ns(&t->clock);
	unsigned char *at = reserve(t, EV_BYTES, keep);
	if (__builtin_expect(!at, 0)) {
		count_lost(t);
		return false;
	}
	put_header(at, SC_AGENT_REC_TRACE, EV_BYTES);
	sc_agent_trace_ev *e = (sc_agent_trace_ev *)(at + sizeof(sc_agent_rec));
	e->time = ns;
	e->loc = id;
	e->kind = kind;
	e->arg = arg;
	publish(t, EV_BYTES);
	return true;
}

bool sc_rt_event(sc_rt_thread *t, scorch_loc *loc, uint32_t loc_kind, uint32_t ev_kind,
		 uint64_t arg)
{
	uint32_t id = site_id(t, loc, loc_kind);
	if (!id) {
		count_lost(t);
		return false;
	}
	return put_event(t, id, ev_kind, arg, keep_for(t));
}

/* ---- threads ------------------------------------------------------------------------------ */

static void thread_begin(sc_rt_thread *t)
{
	t->pid = (uint32_t)getpid();
	t->tid = (uint32_t)syscall(SYS_gettid);
	t->tail = 0;
	t->open = 0;
	t->drop_at = 0;
	t->floor = t->depth; /* spans open at a fork are the parent's */
	sc_tsc_reset(&t->clock);
	sc_shm_claim(&t->w, t->pid, t->tid, instance);
	char name[17] = {0};
	prctl(PR_GET_NAME, name);
	if (t->w.ring)
		put_thread(t, name);
}

static void flush_no_ring(sc_rt_thread *t)
{
	if (t->no_ring)
		atomic_fetch_add((_Atomic uint64_t *)&sc_shm_hdr->lost_no_ring, t->no_ring);
	t->no_ring = 0;
}

static void thread_end(void *p)
{
	sc_rt_thread *t = p;
	if (!t)
		return;
	self = NULL;
	thread_gone = true;
	flush_no_ring(t);
	sc_shm_close(&t->w);
	sc_shm_pages_free(t, sizeof(*t));
}

static __attribute__((noinline)) sc_rt_thread *thread_new(void)
{
	if (!scorch_trace_on_ || thread_gone)
		return NULL;
	sc_rt_thread *t = sc_shm_pages(sizeof(*t));
	if (!t)
		return NULL;
	thread_begin(t);
	pthread_setspecific(thr_key, t);
	self = t;
	return t;
}

sc_rt_thread *sc_rt_thread_get(void)
{
	sc_rt_thread *t = self;
	return __builtin_expect(t != NULL, 1) ? t : thread_new();
}

static void after_fork_child(void)
{
	if (!scorch_trace_on_)
		return;
	if ((sc_shm_hdr->flags & SC_AGENT_NO_INHERIT)) {
		scorch_trace_on_ = 0;
		return;
	}
	instance = sc_shm_new_instance();
	id_base = atomic_load(&next_site) + 1;
	if (self) {
		self->w.ring = NULL; /* the parent's */
		flush_no_ring(self);
		thread_begin(self);
	}
}

/* ---- start-up ----------------------------------------------------------------------------- */

bool sc_rt_attach_fd(int fd)
{
	if (!sc_shm_map_fd(fd))
		return false;
	sc_agent_header *h = sc_shm_hdr;
	/* A file with a stack depth is a sampler's (scorch record's signal backend, scorch heap):
	 * its reader takes our records for junk, and its rings are for its agent's threads. */
	if (h->max_depth)
		return false;
	if ((h->flags & SC_AGENT_NO_INHERIT) && h->root_pid && h->root_pid != (uint32_t)getpid())
		return false;
	if (h->ring_bytes < 4 * KEEP_PER_SPAN)
		return false;
	struct stat st;
	if (h->catalog_bytes && fstat(fd, &st) == 0 && h->catalog_offset % 8 == 0 &&
	    h->catalog_offset >=
		h->header_bytes + (SC_AGENT_RING_HEADER + (uint64_t)h->ring_bytes) * h->nrings &&
	    h->catalog_offset <= (uint64_t)st.st_size &&
	    h->catalog_bytes <= (uint64_t)st.st_size - h->catalog_offset) {
		catalog = (unsigned char *)h + h->catalog_offset;
		catalog_bytes = h->catalog_bytes;
	}
	sc_tsc_init();
	if (pthread_key_create(&thr_key, thread_end) != 0)
		return false;
	pthread_atfork(NULL, NULL, after_fork_child);
	ring_bytes = h->ring_bytes;
	/* Rings this pid still owns are its image's before an exec (no thread of this image has
	 * one yet): closed, so that scorch gives them back once drained. */
	sc_shm_close_stale((uint32_t)getpid());
	instance = sc_shm_new_instance();
	scorch_trace_on_ = 1;
	return true;
}

__attribute__((constructor)) static void runtime_start(void)
{
	const char *path = getenv(SC_AGENT_ENV_FILE);
	if (path && *path) {
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			sc_rt_attach_fd(fd);
			close(fd);
		}
		return;
	}
	const char *console = getenv(SC_CONSOLE_ENV);
	if (console && strcmp(console, "1") == 0)
		sc_rt_console_start();
}

/* ---- the API ------------------------------------------------------------------------------ */

SCORCH_API int scorch_trace_enabled(void)
{
	return scorch_trace_on_;
}

/* The general paths of a span's begin and end: a new thread, a new site, drops, a fork's
 * spans, a full-looking ring, the clock's re-anchoring. */
static __attribute__((noinline)) scorch_loc *enter_slow(scorch_loc *loc)
{
	sc_rt_thread *t = sc_rt_thread_get();
	if (__builtin_expect(!t, 0))
		return loc;
	uint32_t d = ++t->depth;
	if (__builtin_expect(t->drop_at != 0, 0)) {
		count_lost(t); /* inside a dropped span */
		return loc;
	}
	uint32_t id = site_id(t, loc, SC_AGENT_LOC_SPAN);
	if (__builtin_expect(
		id && put_event(t, id, SC_AGENT_EV_BEGIN, 0, keep_for(t) + KEEP_PER_SPAN), 1))
		t->open++;
	else {
		if (!id)
			count_lost(t);
		t->drop_at = d;
	}
	return loc;
}

static __attribute__((noinline)) void leave_slow(scorch_loc *loc)
{
	sc_rt_thread *t = self;
	if (__builtin_expect(!t || !t->depth, 0))
		return; /* no span open on this thread: nothing to end */
	uint32_t d = t->depth--;
	if (__builtin_expect((t->drop_at | t->floor) != 0, 0)) {
		if (d <= t->floor) { /* a span open at the fork: the parent's */
			t->floor = d - 1;
			return;
		}
		if (t->drop_at) {
			count_lost(t);
			if (d == t->drop_at)
				t->drop_at = 0;
			return;
		}
	}
	uint32_t id = loc ? __atomic_load_n(&loc->id, __ATOMIC_RELAXED) : 0;
	t->open--;
	/* The room for it was kept: this cannot fail but on a corrupt tail. */
	put_event(t, id >= id_base ? id : 0, SC_AGENT_EV_END, 0, 0);
}

/* The fast paths: a thread with a ring, a known site, room at the head without reading the
 * tail, and a TSC time without re-anchoring; anything else goes the general way. They call
 * nothing, so they need no stack frame of their own. */
static inline unsigned char *fast_room(sc_rt_thread *t, uint64_t keep)
{
	uint64_t head = t->w.head, off = head & (ring_bytes - 1);
	if (off + EV_BYTES <= ring_bytes && head + EV_BYTES + keep - t->tail <= ring_bytes &&
	    t->w.ring)
		return t->w.data + off;
	return NULL;
}

static inline void fast_put(sc_rt_thread *t, unsigned char *at, uint64_t ns, uint32_t id,
			    uint32_t kind)
{
	put_header(at, SC_AGENT_REC_TRACE, EV_BYTES);
	sc_agent_trace_ev *e = (sc_agent_trace_ev *)(at + sizeof(sc_agent_rec));
	e->time = ns;
	e->loc = id;
	e->kind = kind;
	e->arg = 0;
	publish(t, EV_BYTES);
}

SCORCH_API scorch_loc *scorch_span_enter_(scorch_loc *loc)
{
	sc_rt_thread *t = self;
	if (__builtin_expect(t != NULL && !t->drop_at, 1)) {
		uint32_t id = __atomic_load_n(&loc->id, __ATOMIC_ACQUIRE);
		unsigned char *at = fast_room(t, keep_for(t) + KEEP_PER_SPAN);
		uint64_t ns;
		if (__builtin_expect(id >= id_base && at && sc_tsc_fast(&t->clock, &ns), 1)) {
			fast_put(t, at, ns, id, SC_AGENT_EV_BEGIN);
			t->depth++;
			t->open++;
			return loc;
		}
	}
	return enter_slow(loc);
}

SCORCH_API void scorch_span_leave_(scorch_loc *loc)
{
	sc_rt_thread *t = self;
	if (__builtin_expect(t != NULL && t->depth && !(t->drop_at | t->floor), 1)) {
		uint32_t id = loc ? __atomic_load_n(&loc->id, __ATOMIC_RELAXED) : 0;
		unsigned char *at = fast_room(t, 0);
		uint64_t ns;
		if (__builtin_expect(at && sc_tsc_fast(&t->clock, &ns), 1)) {
			fast_put(t, at, ns, id >= id_base ? id : 0, SC_AGENT_EV_END);
			t->depth--;
			t->open--;
			return;
		}
	}
	leave_slow(loc);
}

SCORCH_API void scorch_counter_(scorch_loc *loc, double value)
{
	sc_rt_thread *t = sc_rt_thread_get();
	if (!t)
		return;
	uint64_t bits;
	memcpy(&bits, &value, sizeof(bits));
	sc_rt_event(t, loc, SC_AGENT_LOC_COUNTER, SC_AGENT_EV_COUNTER, bits);
}

SCORCH_API void scorch_mark_(scorch_loc *loc)
{
	sc_rt_thread *t = sc_rt_thread_get();
	if (t)
		sc_rt_event(t, loc, SC_AGENT_LOC_MARK, SC_AGENT_EV_MARK, 0);
}

SCORCH_API void scorch_frame_mark_(scorch_loc *loc)
{
	sc_rt_thread *t = sc_rt_thread_get();
	if (t)
		sc_rt_event(t, loc, SC_AGENT_LOC_FRAME, SC_AGENT_EV_FRAME, 0);
}

SCORCH_API void scorch_async_begin_(scorch_loc *loc, uint64_t id)
{
	sc_rt_thread *t = sc_rt_thread_get();
	if (t)
		sc_rt_event(t, loc, SC_AGENT_LOC_ASYNC, SC_AGENT_EV_ASYNC_BEGIN, id);
}

SCORCH_API void scorch_async_end_(scorch_loc *loc, uint64_t id)
{
	sc_rt_thread *t = sc_rt_thread_get();
	if (t)
		sc_rt_event(t, loc, SC_AGENT_LOC_ASYNC, SC_AGENT_EV_ASYNC_END, id);
}

/* The first `max` bytes of name at most, not cutting a UTF-8 sequence. */
static size_t cut_utf8(const char *name, size_t max)
{
	size_t n = cut_len(name, max + 1);
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
		n--;
	return n;
}

SCORCH_API void scorch_thread_name(const char *name)
{
	if (!name)
		return;
	char kname[16];
	size_t n = cut_utf8(name, 15);
	memcpy(kname, name, n);
	kname[n] = 0;
	pthread_setname_np(pthread_self(), kname);
	sc_rt_thread *t = sc_rt_thread_get();
	if (t && t->w.ring)
		put_thread(t, name);
}

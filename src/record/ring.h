/*
 * ring.h: the perf ring buffers of a recording (one per CPU) and the time-ordered queue their
 * records go through.
 *
 * Records written on different CPUs must be processed in time order (a mapping recorded on one CPU
 * before a sample on another that uses it), but a ring may show a record only in the round after
 * the one whose read raced with its writing. So each round (sc_rings_round) copies every new
 * record out of every ring into a queue, then hands to `process`, in time order, the records not
 * newer than the newest one seen in the previous round; the last round hands over everything.
 * MMAP and MMAP2 records are also shown to `on_read` as soon as they are read, before their turn
 * (the recorder opens the mapped file while its process likely still lives).
 *
 * Only SAMPLE, MMAP, MMAP2, COMM, FORK, SWITCH and SWITCH_CPU_WIDE records are queued
 * (sample_id_all must be set, so the others end with a time); LOST and LOST_SAMPLES add to `lost`;
 * the rest is dropped. A corrupt record drops the rest of that ring's data for the round.
 *
 * Ownership: sc_rings maps the rings (munmap at sc_rings_release); the event descriptors stay the
 * caller's. Not thread-safe.
 */
#ifndef SC_RECORD_RING_H
#define SC_RECORD_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/vec.h"

/* Ring sizes, in data pages (each ring has one header page more); see sc_rings_pages for the
 * choice. SC_RING_PAGES (512 KiB with 4 KiB pages) is the smallest chosen and what an unprivileged
 * user may lock per CPU by default (kernel.perf_event_mlock_kb = 516); SC_RING_MAX_PAGES (8 MiB)
 * the largest; SC_RING_MIN_PAGES the smallest tried when the kernel refuses larger ones. */
#define SC_RING_PAGES	  128
#define SC_RING_MAX_PAGES 2048
#define SC_RING_MIN_PAGES 16
/* How many of the largest records a ring is sized to hold, and what all rings together may take
 * at most (bytes). */
#define SC_RING_RECORDS	  256
#define SC_RING_MAX_TOTAL (64u << 20)

struct perf_event_mmap_page;

typedef struct sc_ring {
	int fd; /* the event the ring belongs to, or -1 while none is mapped */
	struct perf_event_mmap_page *meta;
	const unsigned char *data;
	uint64_t mask;
	size_t map_size;
} sc_ring;

/* A record copied out of a ring, waiting for its turn (off/len into the arena). */
typedef struct sc_ring_qent {
	uint64_t time, seq;
	size_t off;
	uint32_t len;
} sc_ring_qent;

typedef struct sc_rings {
	SC_VEC(sc_ring) rings; /* by CPU index */
	SC_VEC(unsigned char) arena, spare;
	SC_VEC(sc_ring_qent) queue;
	size_t pages; /* data pages the next sc_rings_map tries first (a power of 2) */
	uint64_t seq, seen_max;
	uint64_t lost; /* samples the kernel reported lost */
} sc_rings;

/* What a round does with records. Each returns 0, or a negative error that stops the round (the
 * rings' unread data of the round is dropped). */
typedef struct sc_rings_sink {
	int (*on_read)(void *ctx, const unsigned char *rec, size_t len); /* MMAP, MMAP2 */
	int (*process)(void *ctx, const unsigned char *rec, size_t len); /* in time order */
	void *ctx;
} sc_rings_sink;

/* The data pages of each of `ncpus` rings whose records may be up to `record_bytes` long (a
 * sample with its stack copy): a power of 2 holding SC_RING_RECORDS of them, between
 * SC_RING_PAGES and SC_RING_MAX_PAGES; halved while all rings (header pages included) would take
 * more than SC_RING_MAX_TOTAL, then while more than `lock_budget` bytes (what the user may lock:
 * UINT64_MAX when unlimited), not below SC_RING_MIN_PAGES. `page` is the page size. Pure. */
size_t sc_rings_pages(size_t record_bytes, size_t ncpus, size_t page, uint64_t lock_budget);
/* `ncpus` unmapped rings of `pages` data pages (a power of 2, at least SC_RING_MIN_PAGES) each.
 * Returns 0, -EINVAL for a bad `pages`, or -ENOMEM; release `rs` (zeroed first) in any case. */
int sc_rings_init(sc_rings *rs, size_t ncpus, size_t pages);
/* Maps the ring of CPU index `ci` on event `fd` with rs->pages data pages, halving them down to
 * SC_RING_MIN_PAGES while the kernel refuses (EPERM, ENOMEM: the user's locked-memory budget is
 * spent); rs->pages keeps the size that worked, so later rings do not ask for more. Returns 0 or
 * -errno. */
int sc_rings_map(sc_rings *rs, size_t ci, int fd);
/* Unmaps the ring of CPU index `ci` (the event stays open, the caller's); -1 in its fd again. */
void sc_rings_unmap(sc_rings *rs, size_t ci);
/* The wakeup watermark (bytes) for the event that will own a ring of rs->pages: a quarter of it. */
uint32_t sc_rings_watermark(const sc_rings *rs);
/* One round, as described above (`last`: process everything). Returns 0 or the first error. */
int sc_rings_round(sc_rings *rs, bool last, const sc_rings_sink *sink);
/* Unmaps the rings and frees the queue. NULL-safe, idempotent. */
void sc_rings_release(sc_rings *rs);

#endif

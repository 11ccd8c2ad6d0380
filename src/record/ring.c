/*
 * ring.c: perf ring buffers and the time-ordered queue; the contract and the reason for the queue
 * are in ring.h. Records are copied out of the ring (they may wrap around its end) into an arena;
 * after each round, the records left for the next one are packed at the front of a second arena,
 * and the two swap, so memory stays at about one round's worth.
 *
 * Not here: what records mean (sample.c), opening events (events.c).
 */
#include "record/ring.h"
#include "record/bytes.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* What `ncpus` rings of `pages` data pages lock: their data pages and a header page each. */
static uint64_t locked(size_t ncpus, size_t pages, size_t page)
{
	return (uint64_t)ncpus * ((uint64_t)pages + 1) * page;
}

size_t sc_rings_pages(size_t record_bytes, size_t ncpus, size_t page, uint64_t lock_budget)
{
	if (!page)
		page = 4096;
	if (!ncpus)
		ncpus = 1;
	size_t pages = SC_RING_PAGES;
	uint64_t want = (uint64_t)record_bytes * SC_RING_RECORDS;
	while (pages < SC_RING_MAX_PAGES && (uint64_t)pages * page < want)
		pages *= 2;
	while (pages > SC_RING_PAGES && locked(ncpus, pages, page) > SC_RING_MAX_TOTAL)
		pages /= 2;
	while (pages > SC_RING_MIN_PAGES && locked(ncpus, pages, page) > lock_budget)
		pages /= 2;
	return pages;
}

int sc_rings_init(sc_rings *rs, size_t ncpus, size_t pages)
{
	if (pages < SC_RING_MIN_PAGES || (pages & (pages - 1)))
		return -EINVAL;
	rs->pages = pages;
	if (sc_vec_reserve(&rs->rings, ncpus) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ncpus; i++)
		rs->rings.data[rs->rings.len++] = (sc_ring){.fd = -1};
	return 0;
}

int sc_rings_map(sc_rings *rs, size_t ci, int fd)
{
	sc_ring *rg = &rs->rings.data[ci];
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int e = ENOMEM;
	for (size_t pages = rs->pages; pages >= SC_RING_MIN_PAGES; pages /= 2) {
		size_t size = (pages + 1) * page;
		void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED) {
			rg->fd = fd;
			rg->meta = m;
			rg->data = (const unsigned char *)m + page;
			rg->mask = pages * page - 1;
			rg->map_size = size;
			rs->pages = pages;
			return 0;
		}
		e = errno;
		if (e != EPERM && e != ENOMEM)
			break;
	}
	return -e;
}

void sc_rings_unmap(sc_rings *rs, size_t ci)
{
	sc_ring *rg = &rs->rings.data[ci];
	if (rg->meta)
		munmap(rg->meta, rg->map_size);
	*rg = (sc_ring){.fd = -1};
}

uint32_t sc_rings_watermark(const sc_rings *rs)
{
	return (uint32_t)(rs->pages * (size_t)sysconf(_SC_PAGESIZE) / 4);
}

/* Copies the new records of one ring into the queue and hands the space back to the kernel. */
static int read_ring(sc_rings *rs, sc_ring *rg, const sc_rings_sink *sink)
{
	uint64_t head = __atomic_load_n(&rg->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = rg->meta->data_tail;
	int err = 0;
	while (tail < head && !err) {
		struct perf_event_header hdr;
		/* Records are 8-byte aligned, so a header never wraps around the end. */
		memcpy(&hdr, rg->data + (tail & rg->mask), sizeof(hdr));
		if (hdr.size < sizeof(hdr) || hdr.size > head - tail)
			break; /* corrupt: drop the rest of this ring's data */
		uint64_t time = 0;
		bool keep = true;
		switch (hdr.type) {
		case PERF_RECORD_LOST:
		case PERF_RECORD_LOST_SAMPLES: {
			unsigned char b[8];
			uint64_t at = tail + (hdr.type == PERF_RECORD_LOST ? 16 : 8);
			for (int i = 0; i < 8; i++)
				b[i] = rg->data[(at + (uint64_t)i) & rg->mask];
			rs->lost += sc_get64(b);
			keep = false;
			break;
		}
		case PERF_RECORD_SAMPLE:
		case PERF_RECORD_MMAP:
		case PERF_RECORD_MMAP2:
		case PERF_RECORD_COMM:
		case PERF_RECORD_FORK:
		case PERF_RECORD_SWITCH: /* off-CPU: a thread switched in (or out) */
		case PERF_RECORD_SWITCH_CPU_WIDE:
			break;
		default:
			keep = false;
		}
		/* The smallest record kept, a SWITCH: a header and sample_id {tid, time}. */
		size_t min = hdr.type == PERF_RECORD_SWITCH ? 24 : 32;
		if (keep && hdr.size >= min && sc_vec_reserve(&rs->arena, hdr.size) == 0 &&
		    sc_vec_reserve(&rs->queue, 1) == 0) {
			unsigned char *dst = rs->arena.data + rs->arena.len;
			uint64_t at = tail & rg->mask, first = rg->mask + 1 - at;
			if (first >= hdr.size) {
				memcpy(dst, rg->data + at, hdr.size);
			} else {
				memcpy(dst, rg->data + at, first);
				memcpy(dst + first, rg->data, hdr.size - first);
			}
			/* Samples carry TIME after IP and TID; the others end with sample_id {tid,
			 * time}. */
			time = sc_get64(hdr.type == PERF_RECORD_SAMPLE ? dst + 24
								       : dst + hdr.size - 8);
			if (hdr.type == PERF_RECORD_MMAP || hdr.type == PERF_RECORD_MMAP2)
				err = sink->on_read(sink->ctx, dst, hdr.size);
			rs->queue.data[rs->queue.len++] =
			    (sc_ring_qent){time, rs->seq++, rs->arena.len, hdr.size};
			rs->arena.len += hdr.size;
			if (time > rs->seen_max)
				rs->seen_max = time;
		} else if (keep && hdr.size >= min) {
			err = -ENOMEM;
		}
		tail += hdr.size;
	}
	__atomic_store_n(&rg->meta->data_tail, head, __ATOMIC_RELEASE);
	return err;
}

static int qent_cmp(const void *a, const void *b)
{
	const sc_ring_qent *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Processes queued records up to `limit` (all of them if `all`), in time order. */
static int flush(sc_rings *rs, uint64_t limit, bool all, const sc_rings_sink *sink)
{
	if (!rs->queue.len)
		return 0;
	qsort(rs->queue.data, rs->queue.len, sizeof(sc_ring_qent), qent_cmp);
	size_t i = 0;
	int err = 0;
	for (; i < rs->queue.len && !err; i++) {
		const sc_ring_qent *q = &rs->queue.data[i];
		if (!all && q->time > limit)
			break;
		err = sink->process(sink->ctx, rs->arena.data + q->off, q->len);
	}
	if (err)
		return err;
	/* Keep the rest for the next round, packed at the front of the other arena. */
	rs->spare.len = 0;
	size_t keep = rs->queue.len - i, bytes = 0;
	for (size_t j = i; j < rs->queue.len; j++)
		bytes += rs->queue.data[j].len;
	if (sc_vec_reserve(&rs->spare, bytes) < 0)
		return -ENOMEM;
	for (size_t j = 0; j < keep; j++) {
		sc_ring_qent q = rs->queue.data[i + j];
		memcpy(rs->spare.data + rs->spare.len, rs->arena.data + q.off, q.len);
		q.off = rs->spare.len;
		rs->spare.len += q.len;
		rs->queue.data[j] = q;
	}
	rs->queue.len = keep;
	unsigned char *d = rs->arena.data;
	size_t cap = rs->arena.cap;
	rs->arena.data = rs->spare.data;
	rs->arena.len = rs->spare.len;
	rs->arena.cap = rs->spare.cap;
	rs->spare.data = d;
	rs->spare.cap = cap;
	rs->spare.len = 0;
	return 0;
}

int sc_rings_round(sc_rings *rs, bool last, const sc_rings_sink *sink)
{
	uint64_t limit = rs->seen_max;
	for (size_t i = 0; i < rs->rings.len; i++) {
		if (rs->rings.data[i].fd < 0)
			continue;
		int err = read_ring(rs, &rs->rings.data[i], sink);
		if (err)
			return err;
	}
	return flush(rs, limit, last, sink);
}

void sc_rings_release(sc_rings *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->rings.len; i++)
		sc_rings_unmap(rs, i);
	sc_vec_release(&rs->rings);
	sc_vec_release(&rs->arena);
	sc_vec_release(&rs->spare);
	sc_vec_release(&rs->queue);
}

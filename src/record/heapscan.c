/*
 * heapscan.c: scorch's side of the exit scan (see heapscan.h; the agent's side is
 * src/agent/heap_scan.c).
 */
#include "record/heapscan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sc_heapscan_init(sc_heapscan *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < SC_AGENT_SCANS; i++)
		s->fd[i] = -1;
}

static void drop(sc_heapscan *s, size_t i)
{
	if (s->fd[i] >= 0) {
		close(s->fd[i]);
		unlink(s->path[i]);
	}
	s->fd[i] = -1;
	free(s->blocks[i]);
	s->blocks[i] = NULL;
	s->n[i] = 0;
}

static void set_state(struct sc_agent_scan *sl, uint32_t st)
{
	atomic_store_explicit((_Atomic uint32_t *)&sl->state, st, memory_order_release);
}

/* Writes the file for slot i: header, blocks (addr, size), room for the kinds. */
static int write_file(sc_heapscan *s, size_t i, const char *shared_path)
{
	int n = snprintf(s->path[i], sizeof(s->path[i]), "%s.scan%zu", shared_path, i);
	if (n < 0 || (size_t)n >= sizeof(s->path[i]))
		return -ENAMETOOLONG;
	unlink(s->path[i]); /* one left by a killed run of ours would hold this unique name */
	int fd = open(s->path[i], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	s->fd[i] = fd;
	size_t nb = s->n[i];
	sc_agent_scanfile head = {.nblocks = nb};
	memcpy(head.magic, SC_AGENT_SCAN_MAGIC, 8);
	size_t bytes = sizeof(head) + nb * sizeof(sc_agent_block) + ((nb + 7) & ~(size_t)7);
	sc_agent_block *out = malloc(nb ? nb * sizeof(*out) : 1);
	if (!out)
		return -ENOMEM;
	for (size_t k = 0; k < nb; k++)
		out[k] = (sc_agent_block){s->blocks[i][k].addr, s->blocks[i][k].size};
	int r = 0;
	if (ftruncate(fd, (off_t)bytes) < 0 || pwrite(fd, &head, sizeof(head), 0) != sizeof(head) ||
	    (nb &&
	     pwrite(fd, out, nb * sizeof(*out), sizeof(head)) != (ssize_t)(nb * sizeof(*out))))
		r = errno ? -errno : -EIO;
	free(out);
	return r;
}

static int cmp_block(const void *a, const void *b)
{
	const sc_heap_block *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int sc_heapscan_round(sc_heapscan *s, sc_agent_header *hdr, const char *shared_path,
		      const sc_heaprec_callbacks *cb,
		      bool (*caught_up)(void *ctx, uint32_t instance, uint64_t seq), void *ctx)
{
	for (size_t i = 0; i < SC_AGENT_SCANS; i++) {
		struct sc_agent_scan *sl = &hdr->scan[i];
		uint32_t st =
		    atomic_load_explicit((_Atomic uint32_t *)&sl->state, memory_order_acquire);
		if (st == SC_AGENT_SCAN_GAVE_UP) {
			drop(s, i);
			set_state(sl, SC_AGENT_SCAN_FREE);
		} else if (st == SC_AGENT_SCAN_DONE) {
			int r = 0;
			if (s->fd[i] >= 0 && cb->kinds) {
				size_t n = s->n[i];
				uint8_t *k = malloc(n ? n : 1);
				off_t at =
				    (off_t)(sizeof(sc_agent_scanfile) + n * sizeof(sc_agent_block));
				if (!k)
					r = -ENOMEM;
				else if (!n || pread(s->fd[i], k, n, at) == (ssize_t)n) {
					r = cb->kinds(cb->ctx, sl->instance, s->blocks[i], k, n);
					s->answered++;
				}
				free(k);
			}
			drop(s, i);
			set_state(sl, SC_AGENT_SCAN_FREE);
			if (r < 0)
				return r;
		} else if (st == SC_AGENT_SCAN_ASKED && s->fd[i] < 0 && !s->blocks[i]) {
			if (!caught_up(ctx, sl->instance, sl->seq))
				continue;
			sc_heap_block *b = NULL;
			size_t n = 0;
			int r = cb->live ? cb->live(cb->ctx, sl->instance, &b, &n) : -ENOTSUP;
			if (r == 0) {
				qsort(b, n, sizeof(*b), cmp_block);
				s->blocks[i] = b;
				s->n[i] = n;
				r = write_file(s, i, shared_path);
			} else {
				free(b);
			}
			if (r < 0) { /* answered with no file: the agent stops waiting */
				drop(s, i);
				sl->path[0] = 0;
				sl->nblocks = 0;
				if (r == -ENOMEM)
					return r;
			} else {
				memcpy(sl->path, s->path[i], sizeof(sl->path));
				sl->nblocks = s->n[i];
			}
			uint32_t asked =
			    SC_AGENT_SCAN_ASKED; /* unless the agent gave up meanwhile */
			atomic_compare_exchange_strong((_Atomic uint32_t *)&sl->state, &asked,
						       SC_AGENT_SCAN_READY);
		}
	}
	return 0;
}

void sc_heapscan_release(sc_heapscan *s)
{
	for (size_t i = 0; i < SC_AGENT_SCANS; i++)
		drop(s, i);
}

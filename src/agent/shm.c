/*
 * shm.c: the agents' side of the shared file. See shm.h; the format is stream.h.
 */
#include "agent/shm.h"
#include "agent/unwind_local.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

sc_agent_header *sc_shm_hdr;
long sc_shm_page_size = 4096;

static unsigned char *rings_base;
static uint64_t ring_stride, ring_mask;
static size_t map_bytes;
static char exe_path[4096];
static uint64_t vdso_base;
static uint64_t own_start, own_end;

void sc_shm_error(const char *fmt, ...)
{
	sc_agent_header *h = sc_shm_hdr;
	if (!h)
		return;
	uint32_t expected = 0;
	if (!atomic_compare_exchange_strong((_Atomic uint32_t *)&h->error_set, &expected, 2))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->error, sizeof(h->error), fmt, ap);
	va_end(ap);
	atomic_store_explicit((_Atomic uint32_t *)&h->error_set, 1, memory_order_release);
}

static sc_agent_ring *ring_at(uint32_t i)
{
	return (sc_agent_ring *)(rings_base + (uint64_t)i * ring_stride);
}

bool sc_shm_map_fd(int fd)
{
	sc_shm_page_size = sysconf(_SC_PAGESIZE);
	struct stat st;
	void *m = MAP_FAILED;
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size >= SC_AGENT_HEADER_BYTES)
		m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return false;
	sc_agent_header *h = m;
	uint64_t stride = SC_AGENT_RING_HEADER + (uint64_t)h->ring_bytes;
	if (memcmp(h->magic, SC_AGENT_MAGIC, 8) || h->version != SC_AGENT_VERSION ||
	    h->header_bytes != SC_AGENT_HEADER_BYTES || !h->ring_bytes ||
	    (h->ring_bytes & (h->ring_bytes - 1)) || h->ring_bytes % 8 ||
	    h->header_bytes + stride * h->nrings > (uint64_t)st.st_size) {
		munmap(m, (size_t)st.st_size);
		return false;
	}
	rings_base = (unsigned char *)m + h->header_bytes;
	ring_stride = stride;
	ring_mask = h->ring_bytes - 1;
	map_bytes = (size_t)st.st_size;
	sc_shm_hdr = h;
	return true;
}

bool sc_shm_map(void)
{
	const char *path = getenv(SC_AGENT_ENV_FILE);
	if (!path || !*path)
		return false;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = sc_shm_map_fd(fd);
	close(fd);
	if (ok && !sc_shm_hdr->max_depth) { /* the samplers' walks need a depth */
		munmap(sc_shm_hdr, map_bytes);
		sc_shm_hdr = NULL;
		ok = false;
	}
	return ok;
}

uint32_t sc_shm_new_instance(void)
{
	return atomic_fetch_add((_Atomic uint32_t *)&sc_shm_hdr->processes, 1) + 1;
}

uint32_t sc_shm_process(const void *own)
{
	ssize_t n = readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1);
	exe_path[n > 0 ? n : 0] = 0;
	vdso_base = getauxval(AT_SYSINFO_EHDR);
	void *lm;
	if (sc_lu_module((uint64_t)(uintptr_t)own, &own_start, &own_end, &lm) < 0)
		own_start = own_end = 0;
	return sc_shm_new_instance();
}

void sc_shm_close_stale(uint32_t pid)
{
	for (uint32_t i = 0; i < sc_shm_hdr->nrings; i++) {
		sc_agent_ring *r = ring_at(i);
		uint32_t expected = SC_AGENT_RING_OWNED;
		if (r->pid == pid)
			atomic_compare_exchange_strong((_Atomic uint32_t *)&r->state, &expected,
						       SC_AGENT_RING_CLOSED);
	}
}

void sc_shm_claim(sc_shm_writer *w, uint32_t pid, uint32_t tid, uint32_t instance)
{
	w->ring = NULL;
	w->nseen = 0;
	for (uint32_t i = 0; i < sc_shm_hdr->nrings; i++) {
		sc_agent_ring *r = ring_at(i);
		uint32_t expected = SC_AGENT_RING_FREE;
		if (!atomic_compare_exchange_strong((_Atomic uint32_t *)&r->state, &expected,
						    SC_AGENT_RING_CLAIMING))
			continue;
		r->stream = atomic_fetch_add((_Atomic uint32_t *)&sc_shm_hdr->next_stream, 1) + 1;
		r->pid = pid;
		r->tid = tid;
		r->instance = instance;
		atomic_store_explicit((_Atomic uint64_t *)&r->head, 0, memory_order_relaxed);
		atomic_store_explicit((_Atomic uint64_t *)&r->tail, 0, memory_order_relaxed);
		atomic_store_explicit((_Atomic uint64_t *)&r->lost, 0, memory_order_relaxed);
		atomic_store_explicit((_Atomic uint32_t *)&r->state, SC_AGENT_RING_OWNED,
				      memory_order_release);
		w->ring = r;
		w->data = (unsigned char *)r + SC_AGENT_RING_HEADER;
		w->head = 0;
		return;
	}
}

void sc_shm_close(sc_shm_writer *w)
{
	if (w->ring)
		atomic_store_explicit((_Atomic uint32_t *)&w->ring->state, SC_AGENT_RING_CLOSED,
				      memory_order_release);
	w->ring = NULL;
}

void *sc_shm_reserve(sc_shm_writer *w, uint32_t size)
{
	sc_agent_ring *r = w->ring;
	if (!r)
		return NULL;
	uint64_t tail = atomic_load_explicit((_Atomic uint64_t *)&r->tail, memory_order_acquire);
	uint64_t bytes = sc_shm_hdr->ring_bytes;
	uint64_t off = w->head & ring_mask;
	uint64_t pad = off + size > bytes ? bytes - off : 0;
	if (size > bytes || w->head + pad + size - tail > bytes)
		return NULL;
	if (pad) {
		sc_agent_rec *p = (sc_agent_rec *)(w->data + off);
		p->type = SC_AGENT_REC_PAD;
		p->reserved = 0;
		p->size = (uint32_t)pad;
		w->head += pad;
		off = 0;
	}
	return w->data + off;
}

void sc_shm_publish(sc_shm_writer *w, uint32_t size)
{
	w->head += size;
	atomic_store_explicit((_Atomic uint64_t *)&w->ring->head, w->head, memory_order_release);
}

static size_t str_len(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

/* Writes a MAP record for each executable segment of the module [start, end) whose link map is
 * `lm`, read from its program headers in memory (the loader maps the ELF header with the first
 * segment). */
static void announce(sc_shm_writer *w, uint64_t start, uint64_t end, const struct link_map *lm)
{
	const char *path = lm && lm->l_name && lm->l_name[0] ? lm->l_name : exe_path;
	bool vdso = vdso_base && start <= vdso_base && vdso_base < end;
	if (vdso)
		path = "[vdso]";
	uint64_t pagemask = ~(uint64_t)(sc_shm_page_size - 1);
	uint64_t ehdr_at = vdso ? vdso_base : start & pagemask;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)ehdr_at;
	if (end - ehdr_at < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > end - ehdr_at)
		return;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(ehdr_at + eh->e_phoff);
	uint64_t bias = lm ? (uint64_t)lm->l_addr : 0;
	if (vdso) {
		/* The vDSO is linked at 0 (or its own base): its bias is where it lies. */
		uint64_t first = UINT64_MAX;
		for (int i = 0; i < eh->e_phnum; i++)
			if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < first)
				first = ph[i].p_vaddr;
		bias = first == UINT64_MAX ? 0 : vdso_base - (first & pagemask);
	}
	size_t plen = str_len(path, 4095);
	uint32_t size =
	    (uint32_t)((sizeof(sc_agent_rec) + sizeof(sc_agent_map) + plen + 1 + 7) & ~(size_t)7);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X))
			continue;
		unsigned char *at = sc_shm_reserve(w, size);
		if (!at)
			return;
		sc_agent_rec *rec = (sc_agent_rec *)at;
		sc_agent_map *m = (sc_agent_map *)(rec + 1);
		uint64_t s = bias + ph[i].p_vaddr, a = s & pagemask;
		rec->type = SC_AGENT_REC_MAP;
		rec->reserved = 0;
		rec->size = size;
		m->start = a;
		m->end = s + ph[i].p_memsz;
		m->pgoff = ph[i].p_offset - (s - a);
		char *name = (char *)(m + 1);
		memcpy(name, path, plen);
		memset(name + plen, 0, size - sizeof(*rec) - sizeof(*m) - plen);
		sc_shm_publish(w, size);
	}
}

void sc_shm_module_of(sc_shm_writer *w, uint64_t pc)
{
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen_start[i] <= pc && pc < w->seen_end[i])
			return;
	uint64_t start, end;
	void *lm;
	if (sc_lu_module(pc, &start, &end, &lm) < 0)
		return; /* anonymous or JIT code */
	if (w->nseen == SC_SHM_MAX_SEEN)
		w->nseen = 0; /* forget: announcing again is harmless */
	w->seen_start[w->nseen] = start;
	w->seen_end[w->nseen] = end;
	w->nseen++;
	announce(w, start, end, lm);
}

int sc_shm_drop_own(uint64_t *pcs, int n)
{
	int kept = 0;
	for (int i = 0; i < n; i++)
		if (pcs[i] < own_start || pcs[i] >= own_end)
			pcs[kept++] = pcs[i];
	return kept ? kept : (n ? 1 : 0);
}

uint64_t sc_shm_stack_top(void)
{
	pthread_attr_t a;
	void *addr;
	size_t size;
	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return 0;
	int r = pthread_attr_getstack(&a, &addr, &size);
	pthread_attr_destroy(&a);
	return r == 0 ? (uint64_t)addr + size : 0;
}

static size_t whole_pages(size_t bytes)
{
	return (bytes + (size_t)sc_shm_page_size - 1) & ~((size_t)sc_shm_page_size - 1);
}

void *sc_shm_pages(size_t bytes)
{
	void *m = mmap(NULL, whole_pages(bytes), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return m == MAP_FAILED ? NULL : m;
}

void sc_shm_pages_free(void *p, size_t bytes)
{
	if (p)
		munmap(p, whole_pages(bytes));
}

/*
 * sample.c: perf records to profile samples and address-space updates; the contract is in
 * sample.h. The layout of a SAMPLE record follows the sample_type record.c asks for: IP, TID,
 * TIME, PERIOD, CALLCHAIN, then optionally REGS_USER (abi, bp, sp, ip) and STACK_USER (size,
 * bytes, dynamic size). A record too short for what it claims is dropped.
 *
 * Not here: reading the rings (ring.c), the tables themselves (addrspace.c), the CFI (src/unwind).
 */
#include "record/sample.h"
#include "record/bytes.h"

#include <errno.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* ---- sets of ids ---------------------------------------------------------------------------- */

static bool u32_eq(uint64_t value, const void *key, const void *ctx)
{
	(void)ctx;
	return value == *(const uint32_t *)key;
}

int sc_idset_add(sc_hashmap *m, uint32_t id, uint64_t *count)
{
	uint64_t h = sc_hash_u64(id), v;
	if (sc_hashmap_get(m, h, u32_eq, &id, NULL, &v))
		return 0;
	if (sc_hashmap_put(m, h, id) < 0)
		return -ENOMEM;
	(*count)++;
	return 0;
}

/* The unwinder's handle for a model mapping's file (or -errno), opened once per mapping. */
static int unwind_file(sc_sample_decoder *d, uint32_t mapping)
{
	if (!mapping || mapping > d->p->mappings.len)
		return -ENOENT;
	/* One slot per model mapping, added as mappings appear. */
	if (mapping > d->unwind_files.len) {
		if (sc_vec_reserve(&d->unwind_files, mapping - d->unwind_files.len) < 0) {
			d->err = -ENOMEM;
			return -ENOMEM;
		}
		while (d->unwind_files.len < mapping)
			d->unwind_files.data[d->unwind_files.len++] = INT_MIN;
	}
	int *h = &d->unwind_files.data[mapping - 1];
	if (*h == INT_MIN) {
		sc_str name = d->p->mappings.data[mapping - 1].file;
		const char *file = sc_profile_str(d->p, name);
		/* The file as it was mapped, when we hold it open (it may be deleted by now). */
		char kept[32];
		int fd = sc_addrspace_kept_fd(d->as, name);
		if (fd >= 0) {
			snprintf(kept, sizeof(kept), "/proc/self/fd/%d", fd);
			file = kept;
		}
		/* [vdso], //anon, memfd:... name nothing we can open by that name. */
		*h = file[0] == '/' && file[1] != '/' ? sc_unwind_file(d->unwind, file) : -ENOENT;
		if (*h == -ENOMEM) {
			*h = INT_MIN;
			d->err = -ENOMEM;
		}
	}
	return *h;
}

/* ---- records ----------------------------------------------------------------------------- */

struct cursor {
	const unsigned char *p, *end;
	bool bad;
};

static uint64_t take64(struct cursor *c)
{
	if (c->end - c->p < 8) {
		c->bad = true;
		return 0;
	}
	uint64_t v = sc_get64(c->p);
	c->p += 8;
	return v;
}

static const unsigned char *take(struct cursor *c, uint64_t n)
{
	if ((uint64_t)(c->end - c->p) < n) {
		c->bad = true;
		return NULL;
	}
	const unsigned char *p = c->p;
	c->p += n;
	return p;
}

/* Inserts the caller that the frame-pointer walk skipped, if the CFI says one was skipped.
 * `user` indexes the first user frame in d->frames. */
static void leaf_fix(sc_sample_decoder *d, const sc_proc *pr, size_t user, const uint64_t *regs,
		     const unsigned char *stack, uint64_t stack_size)
{
	const sc_raw_frame *leaf = &d->frames.data[user];
	/* regs are bp, sp, ip (ascending perf register numbers) */
	sc_unwind_regs rg = {.bp = regs[0], .sp = regs[1], .ip = regs[2]};
	if (rg.ip != leaf->addr)
		return;
	const sc_vma *v = sc_addrspace_find(pr, rg.ip);
	if (!v)
		return;
	int file = unwind_file(d, v->mapping);
	if (file < 0)
		return;
	const sc_mapping *m = &d->p->mappings.data[v->mapping - 1];
	uint64_t ra;
	int rc = sc_unwind_return_address(d->unwind, file, rg.ip - m->start + m->offset, &rg, stack,
					  stack_size, &ra);
	if (rc < 0)
		d->err = rc;
	if (rc <= 0)
		return;
	if (user + 1 < d->frames.len && d->frames.data[user + 1].addr == ra)
		return; /* the chain already has it: the leaf had a frame */
	if (!sc_addrspace_find(pr, ra))
		return; /* not code we know: do not trust it */
	if (sc_vec_reserve(&d->frames, 1) < 0) {
		d->err = -ENOMEM;
		return;
	}
	memmove(&d->frames.data[user + 2], &d->frames.data[user + 1],
		(d->frames.len - user - 1) * sizeof(sc_raw_frame));
	d->frames.data[user + 1] = (sc_raw_frame){ra, false};
	d->frames.len++;
	d->leaf_fixed++;
}

static void on_sample(sc_sample_decoder *d, const unsigned char *rec, size_t len)
{
	struct cursor c = {rec + sizeof(struct perf_event_header), rec + len, false};
	uint64_t ip = take64(&c);
	uint64_t pt = take64(&c);
	uint32_t pid = (uint32_t)pt, tid = (uint32_t)(pt >> 32);
	uint64_t time = take64(&c);
	uint64_t period = take64(&c);
	uint64_t nr = take64(&c);
	const unsigned char *ips = take(&c, nr * 8);
	uint64_t regs[3] = {0}, abi = 0, stack_size = 0;
	const unsigned char *stack = NULL;
	if (d->sample_type & PERF_SAMPLE_REGS_USER) {
		abi = take64(&c);
		for (int i = 0; abi && i < 3; i++)
			regs[i] = take64(&c);
	}
	if (d->sample_type & PERF_SAMPLE_STACK_USER) {
		uint64_t size = take64(&c);
		if (size) {
			stack = take(&c, size);
			stack_size = take64(&c);
			if (stack_size > size)
				stack_size = size;
		}
	}
	if (c.bad || nr > 0xffff)
		return;
	if (d->only_pid && pid != d->only_pid)
		return;

	const sc_proc *pr = sc_addrspace_proc(d->as, pid, false);
	d->frames.len = 0;
	if (sc_vec_reserve(&d->frames, nr + 2) < 0) {
		d->err = -ENOMEM;
		return;
	}
	bool kernel = false, skip = false;
	size_t user = SIZE_MAX;
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t a = sc_get64(ips + i * 8);
		if (a >= PERF_CONTEXT_MAX) {
			kernel = a == PERF_CONTEXT_KERNEL;
			skip = a != PERF_CONTEXT_KERNEL && a != PERF_CONTEXT_USER; /* guest, hv */
			continue;
		}
		if (skip)
			continue;
		if (!kernel && user == SIZE_MAX)
			user = d->frames.len;
		d->frames.data[d->frames.len++] = (sc_raw_frame){a, kernel};
	}
	if (!d->frames.len)
		d->frames.data[d->frames.len++] = (sc_raw_frame){ip, false};
	if (user != SIZE_MAX && stack && abi)
		leaf_fix(d, pr, user, regs, stack, stack_size);

	size_t n = d->frames.len;
	if (n > d->max_depth)
		n = d->max_depth;
	d->locs.len = 0;
	if (sc_vec_reserve(&d->locs, n) < 0) {
		d->err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const sc_raw_frame *f = &d->frames.data[i];
		/* Callers point inside their call instruction, not at the one after it. */
		uint64_t a = i ? f->addr - 1 : f->addr;
		uint32_t m;
		if (f->kernel) {
			m = sc_addrspace_kernel_mapping(d->as);
		} else {
			const sc_vma *v = sc_addrspace_find(pr, f->addr);
			m = v ? v->mapping : 0;
		}
		int64_t l = sc_profile_location_for_address(d->p, m, a);
		if (l < 0) {
			d->err = -ENOMEM;
			return;
		}
		d->locs.data[d->locs.len++] = (uint32_t)l;
	}
	int64_t stack_id = sc_profile_intern_stack(d->p, d->locs.data, d->locs.len);
	int64_t values[2] = {1, (int64_t)period};
	if (stack_id < 0 ||
	    sc_profile_add_sample(d->p, (sc_stack_id)stack_id, values, pid, tid, time) < 0 ||
	    sc_idset_add(&d->pids, pid, &d->processes) < 0 ||
	    sc_idset_add(&d->tids, tid, &d->threads) < 0) {
		d->err = -ENOMEM;
		return;
	}
	d->samples++;
}

/* An MMAP or MMAP2 record of user code we follow: its fields and file name (in `name`). */
static bool parse_mmap(const sc_sample_decoder *d, const unsigned char *rec, size_t len, bool v2,
		       uint32_t *pid, uint64_t *addr, uint64_t *size, uint64_t *pgoff, char *name,
		       size_t name_size)
{
	const struct perf_event_header *h = (const void *)rec;
	size_t name_off = v2 ? 72 : 40;
	if (len <= name_off || (h->misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL)
		return false;
	*pid = sc_get32(rec + 8);
	*addr = sc_get64(rec + 16);
	*size = sc_get64(rec + 24);
	*pgoff = sc_get64(rec + 32);
	if (v2 && !(sc_get32(rec + 64) & PROT_EXEC))
		return false;
	if (*pid == UINT32_MAX || (d->only_pid && *pid != d->only_pid))
		return false;
	size_t n = strnlen((const char *)rec + name_off, len - name_off);
	if (n >= name_size)
		n = name_size - 1;
	memcpy(name, rec + name_off, n);
	name[n] = 0;
	return true;
}

static void on_mmap(sc_sample_decoder *d, const unsigned char *rec, size_t len, bool v2)
{
	uint32_t pid;
	uint64_t addr, size, pgoff;
	char name[PATH_MAX];
	if (!parse_mmap(d, rec, len, v2, &pid, &addr, &size, &pgoff, name, sizeof(name)))
		return;
	sc_addrspace_map(d->as, pid, addr, addr + size, pgoff, name);
}

/* As soon as a mapping is read from a ring (not when its turn comes), its file is opened: the
 * sooner, the likelier the process still lives to show it if it is already deleted. */
void sc_sample_on_read(sc_sample_decoder *d, const unsigned char *rec, size_t len)
{
	bool v2 = ((const struct perf_event_header *)rec)->type == PERF_RECORD_MMAP2;
	uint32_t pid;
	uint64_t addr, size, pgoff;
	char name[PATH_MAX];
	if (parse_mmap(d, rec, len, v2, &pid, &addr, &size, &pgoff, name, sizeof(name)))
		sc_addrspace_keep_file(d->as, name, pid, addr, addr + size);
}

static void on_comm(sc_sample_decoder *d, const unsigned char *rec, size_t len)
{
	const struct perf_event_header *h = (const void *)rec;
	if (len < 16 || !(h->misc & PERF_RECORD_MISC_COMM_EXEC))
		return;
	sc_addrspace_exec(d->as, sc_get32(rec + 8));
}

static void on_fork(sc_sample_decoder *d, const unsigned char *rec, size_t len)
{
	if (len < 24)
		return;
	uint32_t pid = sc_get32(rec + 8), ppid = sc_get32(rec + 12), tid = sc_get32(rec + 16);
	if (d->only_pid && pid != d->only_pid)
		return;
	if (sc_idset_add(&d->pids, pid, &d->processes) < 0 ||
	    sc_idset_add(&d->tids, tid, &d->threads) < 0)
		d->err = -ENOMEM;
	if (pid == ppid)
		return; /* a new thread shares its process's table */
	/* A new process starts with a copy of its parent's table (replacing a reused pid's). */
	sc_addrspace_fork(d->as, pid, ppid);
}

void sc_sample_process(sc_sample_decoder *d, const unsigned char *rec, size_t len)
{
	const struct perf_event_header *h = (const void *)rec;
	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		on_sample(d, rec, len);
		break;
	case PERF_RECORD_MMAP:
		on_mmap(d, rec, len, false);
		break;
	case PERF_RECORD_MMAP2:
		on_mmap(d, rec, len, true);
		break;
	case PERF_RECORD_COMM:
		on_comm(d, rec, len);
		break;
	case PERF_RECORD_FORK:
		on_fork(d, rec, len);
		break;
	}
}

/* ---- setting up -------------------------------------------------------------------------- */

bool sc_idset_has(const sc_hashmap *m, uint32_t id)
{
	uint64_t v;
	return sc_hashmap_get(m, sc_hash_u64(id), u32_eq, &id, NULL, &v);
}

int sc_sample_init(sc_sample_decoder *d, sc_profile *p, sc_addrspace *as, size_t max_depth)
{
	memset(d, 0, sizeof(*d));
	d->p = p;
	d->as = as;
	d->max_depth = max_depth;
	d->unwind = sc_unwind_new();
	return d->unwind ? 0 : -ENOMEM;
}

void sc_sample_count_process(sc_sample_decoder *d, uint32_t pid)
{
	if (sc_idset_add(&d->pids, pid, &d->processes) < 0)
		d->err = -ENOMEM;
}

void sc_sample_count_thread(sc_sample_decoder *d, uint32_t tid)
{
	if (sc_idset_add(&d->tids, tid, &d->threads) < 0)
		d->err = -ENOMEM;
}

int sc_sample_err(const sc_sample_decoder *d)
{
	return d->err ? d->err : d->as->err;
}

void sc_sample_release(sc_sample_decoder *d)
{
	if (!d)
		return;
	sc_vec_release(&d->unwind_files);
	sc_unwind_free(d->unwind);
	d->unwind = NULL;
	sc_hashmap_release(&d->pids);
	sc_hashmap_release(&d->tids);
	sc_vec_release(&d->frames);
	sc_vec_release(&d->locs);
}

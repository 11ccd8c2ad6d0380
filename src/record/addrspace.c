/*
 * addrspace.c: per-process mapping tables and the mapped files kept open; the contract is in
 * addrspace.h. Tables are small sorted arrays (a binary search per frame), rebuilt on each new
 * mapping since mmap records are rare; the last process looked up is cached, as consecutive
 * samples mostly come from the same one.
 *
 * Not here: parsing perf records (sample.c), symbolization (src/symbolize).
 */
#include "record/addrspace.h"
#include "util/search.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void sc_addrspace_init(sc_addrspace *as, sc_profile *p)
{
	memset(as, 0, sizeof(*as));
	as->p = p;
}

/* ---- tables ------------------------------------------------------------------------------- */

static bool proc_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_addrspace *as = ctx;
	return as->procs.data[value].pid == *(const uint32_t *)key;
}

/* The process table of `pid`, created empty if `create`; NULL if absent (or out of memory, which
 * sets as->err). */
sc_proc *sc_addrspace_proc(sc_addrspace *as, uint32_t pid, bool create)
{
	if (as->last_proc && as->procs.data[as->last_proc - 1].pid == pid)
		return &as->procs.data[as->last_proc - 1];
	uint64_t h = sc_hash_u64(pid), v;
	if (sc_hashmap_get(&as->proc_index, h, proc_eq, &pid, as, &v)) {
		as->last_proc = v + 1;
		return &as->procs.data[v];
	}
	if (!create)
		return NULL;
	if (sc_vec_reserve(&as->procs, 1) < 0 ||
	    sc_hashmap_put(&as->proc_index, h, as->procs.len) < 0) {
		as->err = -ENOMEM;
		return NULL;
	}
	sc_proc *pr = &as->procs.data[as->procs.len++];
	memset(pr, 0, sizeof(*pr));
	pr->pid = pid;
	as->last_proc = as->procs.len;
	return pr;
}

const sc_vma *sc_addrspace_find(const sc_proc *pr, uint64_t addr)
{
	if (!pr)
		return NULL;
	size_t lo = SC_UPPER_BOUND(pr->vmas.data, pr->vmas.len, start, addr);
	if (!lo)
		return NULL;
	const sc_vma *v = &pr->vmas.data[lo - 1];
	return addr < v->end ? v : NULL;
}

/* Adds [start, end) to a process's table, cutting away whatever it overlaps (as mmap does). */
static int proc_add_vma(sc_proc *pr, uint64_t start, uint64_t end, uint32_t mapping)
{
	if (start >= end)
		return 0;
	/* Tables are small and mmap records rare, so rebuilding is simpler than splicing. */
	SC_VEC(sc_vma) out = {0};
	if (sc_vec_reserve(&out, pr->vmas.len + 2) < 0)
		return -ENOMEM;
	bool placed = false;
	for (size_t i = 0; i < pr->vmas.len; i++) {
		sc_vma v = pr->vmas.data[i];
		if (!placed && v.start >= start) {
			out.data[out.len++] = (sc_vma){start, end, mapping};
			placed = true;
		}
		if (v.end <= start || v.start >= end) {
			out.data[out.len++] = v;
			continue;
		}
		if (v.start < start)
			out.data[out.len++] = (sc_vma){v.start, start, v.mapping};
		if (v.end > end) {
			if (!placed) {
				out.data[out.len++] = (sc_vma){start, end, mapping};
				placed = true;
			}
			out.data[out.len++] = (sc_vma){end, v.end, v.mapping};
		}
	}
	if (!placed)
		out.data[out.len++] = (sc_vma){start, end, mapping};
	sc_vec_release(&pr->vmas);
	pr->vmas.data = out.data;
	pr->vmas.len = out.len;
	pr->vmas.cap = out.cap;
	return 0;
}

struct mapping_key {
	sc_str file;
	uint64_t start, limit, offset;
};

static bool mapping_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_profile *p = ctx;
	const struct mapping_key *k = key;
	const sc_mapping *m = &p->mappings.data[value - 1];
	return m->file == k->file && m->start == k->start && m->limit == k->limit &&
	       m->offset == k->offset && !m->kernel;
}

/* The model mapping for (file, start, limit, offset), added if new: its id, or 0 when out of
 * memory (as->err set). */
static uint32_t intern_mapping(sc_addrspace *as, const char *file, uint64_t start, uint64_t limit,
			       uint64_t offset)
{
	int64_t f = sc_profile_intern(as->p, file);
	if (f < 0)
		goto nomem;
	struct mapping_key k = {(sc_str)f, start, limit, offset};
	uint64_t h = sc_hash_combine(sc_hash_combine(sc_hash_u64(start), limit),
				     sc_hash_combine(offset, k.file)),
		 v;
	if (sc_hashmap_get(&as->mapping_index, h, mapping_eq, &k, as->p, &v))
		return (uint32_t)v;
	sc_mapping m = {.start = start, .limit = limit, .offset = offset, .file = k.file};
	int64_t id = sc_profile_add_mapping(as->p, &m);
	if (id < 0)
		goto nomem;
	/* On failure below the mapping stays, unindexed: harmless. */
	if (sc_hashmap_put(&as->mapping_index, h, (uint64_t)id) < 0)
		goto nomem;
	return (uint32_t)id;
nomem:
	as->err = -ENOMEM;
	return 0;
}

uint32_t sc_addrspace_kernel_mapping(sc_addrspace *as)
{
	if (!as->kernel_mapping) {
		int64_t f = sc_profile_intern(as->p, "[kernel.kallsyms]");
		sc_mapping m = {.start = 0,
				.limit = UINT64_MAX,
				.file = (sc_str)(f < 0 ? 0 : f),
				.kernel = true};
		int64_t id = f < 0 ? -ENOMEM : sc_profile_add_mapping(as->p, &m);
		if (id < 0)
			as->err = -ENOMEM;
		else
			as->kernel_mapping = (uint32_t)id;
	}
	return as->kernel_mapping;
}

/* ---- mapped files kept open --------------------------------------------------------------- */

static bool kept_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_addrspace *as = ctx;
	return as->kept.data[value].file == *(const sc_str *)key;
}

/* `a` and `b` name the same file, ignoring a " (deleted)" suffix the kernel adds. */
static bool same_name(const char *a, const char *b)
{
	static const char del[] = " (deleted)";
	size_t la = strlen(a), lb = strlen(b), ld = sizeof(del) - 1;
	if (la >= ld && !strcmp(a + la - ld, del))
		la -= ld;
	if (lb >= ld && !strcmp(b + lb - ld, del))
		lb -= ld;
	return la == lb && !memcmp(a, b, la);
}

/* Opens what process `pid` mapped at [start, end) from `name`, which is no longer at its path:
 * through /proc/PID/root (the process's own root: a container's files), map_files (the mapping
 * itself; CAP_SYS_ADMIN only), or /proc/PID/exe when that is the file. Returns the fd, or -1 with
 * *err set to map_files' error. */
static int open_mapped(const char *name, uint32_t pid, uint64_t start, uint64_t end, int *err)
{
	char path[96], link[PATH_MAX];
	/* A process in a container (another mount namespace) names files as it sees them: its
	 * root shows them to us. */
	if (snprintf(link, sizeof(link), "/proc/%u/root%s", pid, name) < (int)sizeof(link)) {
		int fd = open(link, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	snprintf(path, sizeof(path), "/proc/%u/map_files/%" PRIx64 "-%" PRIx64, pid, start, end);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	*err = -errno;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -1;
	link[n] = 0;
	if (!same_name(link, name))
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Called for each file mapping as it is first seen, while its process (probably) lives. */
void sc_addrspace_keep_file(sc_addrspace *as, const char *name, uint32_t pid, uint64_t start,
			    uint64_t end)
{
	if (name[0] != '/' || name[1] == '/')
		return; /* [vdso], //anon, memfd:...: nothing to read by name */
	int64_t f = sc_profile_intern(as->p, name);
	if (f < 0) {
		as->err = -ENOMEM;
		return;
	}
	sc_str file = (sc_str)f;
	uint64_t h = sc_hash_u64(file), v;
	if (sc_hashmap_get(&as->kept_index, h, kept_eq, &file, as, &v))
		return;
	sc_kept k = {.file = file, .fd = -1};
	if (as->nkept_open < SC_MAX_KEPT_FILES) {
		k.fd = open(name, O_RDONLY | O_CLOEXEC);
		if (k.fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
			k.gone = true;
			k.fd = open_mapped(name, pid, start, end, &k.alt_err);
		}
	}
	if (k.fd >= 0)
		as->nkept_open++;
	if (sc_vec_push(&as->kept, k) < 0 ||
	    sc_hashmap_put(&as->kept_index, h, as->kept.len - 1) < 0) {
		if (as->kept.len && as->kept.data[as->kept.len - 1].file == file)
			as->kept.len--;
		if (k.fd >= 0)
			close(k.fd);
		as->err = -ENOMEM;
	}
}

/* At the end: the files still at their path are closed; the others go to *gone. */
int sc_addrspace_finish(sc_addrspace *as, sc_record_gone **gone, size_t *ngone)
{
	size_t n = 0;
	for (size_t i = 0; i < as->kept.len; i++) {
		sc_kept *k = &as->kept.data[i];
		struct stat a, b;
		if (k->fd >= 0 && !k->gone) {
			const char *name = sc_profile_str(as->p, k->file);
			if (stat(name, &a) == 0 && fstat(k->fd, &b) == 0 && a.st_dev == b.st_dev &&
			    a.st_ino == b.st_ino) {
				close(k->fd);
				k->fd = -1;
				continue;
			}
		} else if (!k->gone) {
			continue; /* not opened (too many, or unreadable): no worse than before */
		}
		as->kept.data[n++] = *k;
	}
	as->kept.len = n;
	if (!n)
		return 0;
	*gone = calloc(n, sizeof(**gone));
	if (!*gone)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const sc_kept *k = &as->kept.data[i];
		(*gone)[i] = (sc_record_gone){k->file, k->fd, k->fd < 0 ? k->alt_err : 0};
	}
	*ngone = n;
	as->kept.len = 0; /* the descriptors are the result's now */
	return 0;
}

int sc_addrspace_kept_fd(const sc_addrspace *as, sc_str file)
{
	uint64_t k;
	if (sc_hashmap_get(&as->kept_index, sc_hash_u64(file), kept_eq, &file, as, &k))
		return as->kept.data[k].fd;
	return -1;
}

/* ---- what the records say ------------------------------------------------------------------ */

void sc_addrspace_map(sc_addrspace *as, uint32_t pid, uint64_t start, uint64_t end, uint64_t pgoff,
		      const char *file)
{
	uint32_t m = intern_mapping(as, file, start, end, pgoff);
	sc_proc *pr = m ? sc_addrspace_proc(as, pid, true) : NULL;
	if (pr && proc_add_vma(pr, start, end, m) < 0)
		as->err = -ENOMEM;
}

void sc_addrspace_exec(sc_addrspace *as, uint32_t pid)
{
	/* A new program image: the old mappings are gone; its own MMAP records follow. */
	sc_proc *pr = sc_addrspace_proc(as, pid, false);
	if (pr)
		pr->vmas.len = 0;
}

void sc_addrspace_fork(sc_addrspace *as, uint32_t pid, uint32_t ppid)
{
	sc_proc *child = sc_addrspace_proc(as, pid, true);
	if (!child)
		return;
	size_t ci = (size_t)(child - as->procs.data);
	child->vmas.len = 0;
	const sc_proc *parent = sc_addrspace_proc(as, ppid, false);
	if (!parent)
		return;
	size_t n = parent->vmas.len;
	size_t pi = (size_t)(parent - as->procs.data);
	if (sc_vec_reserve(&as->procs.data[ci].vmas, n) < 0) {
		as->err = -ENOMEM;
		return;
	}
	memcpy(as->procs.data[ci].vmas.data, as->procs.data[pi].vmas.data, n * sizeof(sc_vma));
	as->procs.data[ci].vmas.len = n;
}

void sc_addrspace_release(sc_addrspace *as)
{
	if (!as)
		return;
	for (size_t i = 0; i < as->procs.len; i++)
		sc_vec_release(&as->procs.data[i].vmas);
	sc_vec_release(&as->procs);
	sc_hashmap_release(&as->proc_index);
	sc_hashmap_release(&as->mapping_index);
	for (size_t i = 0; i < as->kept.len; i++)
		if (as->kept.data[i].fd >= 0)
			close(as->kept.data[i].fd);
	sc_vec_release(&as->kept);
	sc_hashmap_release(&as->kept_index);
}

/*
 * record.c: the CPU recorder: perf_event_open sampling of a launched command or a running process
 * into an sc_profile of raw addresses. The contract is in record.h; this comment is the tour.
 *
 * Events. One cpu-clock software event per (task, CPU), sampling at o->frequency Hz with call
 * chains, user registers (ip, sp, bp) and a few hundred bytes of user stack, with inherit=1 so
 * threads and forked children are followed, and with the side-band records we need to place
 * addresses: MMAP2 (code mapped), COMM with the exec flag (a new program image), FORK, EXIT.
 *   launch   fork; the child waits on a pipe while we open one event per CPU on its pid
 *            (enable_on_exec, so nothing of the fork/exec dance is sampled), then execs. An exec
 *            failure comes back through a close-on-exec pipe as the child's errno.
 *   attach   one event per (thread of the process, CPU), all events of a CPU writing into the
 *            ring of the first one (PERF_EVENT_IOC_SET_OUTPUT), so there are never more rings
 *            than CPUs; the mappings that already exist come from /proc/PID/maps.
 *
 * Reading. One ring buffer per CPU, woken at a quarter full or by a poll timeout. Each round
 * copies every new record out of every ring into a queue, then processes, in time order, the
 * records not newer than the newest one seen in the previous round: a record written on one CPU
 * (a new mapping) must be processed before a sample taken on another CPU that uses it, and a
 * record only ever shows up in the round after the one whose reads raced with it. The last round
 * (the command exited, the duration elapsed, a signal came) takes everything.
 *
 * Placing addresses. Each process has a sorted table of its executable mappings (forks copy their
 * parent's, exec empties it); each entry points at a model mapping, deduplicated by (file, start,
 * limit, offset) so that forty `sh` processes share one. Kernel frames share one kernel mapping.
 * Caller frames are stored as return address - 1 so that they symbolize to the call's line.
 *
 * Leaf fix. When the sampled user function had no frame of its own (see src/unwind/unwind.h), the
 * CFI-derived return address differs from the chain's first caller; it is inserted as the
 * missing caller when it lands in a known mapping.
 *
 * Not here: symbolization (src/symbolize), output (src/formats), anything that prints.
 */
#include "record/record.h"
#include "record/bytes.h"
#include "record/ring.h"
#include "session/session.h"
#include "unwind/unwind.h"
#include "util/hashmap.h"
#include "util/strbuf.h"
#include "util/vec.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <asm/perf_regs.h>
#define REGS_MASK                                                                                  \
	((1ULL << PERF_REG_X86_BP) | (1ULL << PERF_REG_X86_SP) | (1ULL << PERF_REG_X86_IP))
#else
#define REGS_MASK 0ULL /* the leaf fix is x86-64 only */
#endif

/* Longest sleep in poll(): bounds the lag of the time-ordered flush, of stop requests, and of
 * opening newly mapped files (a program that deletes its own code is caught if it lives longer). */
#define POLL_MS 50
/* The kernel's cap on call-chain entries; a --depth above it is cut there (see check_max_stack). */
#define MAX_STACK_SYSCTL "/proc/sys/kernel/perf_event_max_stack"
/* Mapped files kept open at most (one descriptor each), against RLIMIT_NOFILE's usual 1024. */
#define MAX_KEPT_FILES 256

/* One executable mapping of a process; the file offset of an address is computed from the model
 * mapping, so trimming an entry only moves start/end. */
struct vma {
	uint64_t start, end;
	uint32_t mapping;
};

struct proc {
	uint32_t pid;
	SC_VEC(struct vma) vmas; /* sorted by start, non-overlapping */
};

/* A mapped file, opened when first seen so that it can still be read if it is deleted or replaced
 * before the recording ends (see record.h, "Deleted files"). */
struct kept {
	sc_str file;
	int fd;	     /* -1 when it could not be opened (or too many are open) */
	bool gone;   /* it was already gone from its path when first seen */
	int alt_err; /* then: why /proc/PID/map_files and /proc/PID/exe failed too */
};

struct frame {
	uint64_t addr;
	bool kernel;
};

struct rec {
	const sc_record_options *o;
	sc_profile *p;
	sc_record_result *r;
	struct perf_event_attr attr;
	sc_session sess; /* the launched command or the attached process (sess.pid) */
	bool launched;
	int err; /* sticky -ENOMEM from record processing */

	SC_VEC(int) cpus;
	SC_VEC(int) fds; /* every event fd, rings' included */
	sc_rings rings;	 /* by CPU index */

	SC_VEC(struct proc) procs;
	sc_hashmap proc_index; /* hash(pid) -> index into procs */
	size_t last_proc;      /* index + 1 of the last process looked up */
	sc_hashmap mapping_index;
	SC_VEC(int) unwind_files; /* by mapping id - 1: sc_unwind handle, -errno, or INT_MIN */
	uint32_t kernel_mapping;
	sc_unwind *unwind;
	sc_hashmap pids, tids; /* sets, for the result's counts */

	SC_VEC(struct kept) kept;
	sc_hashmap kept_index; /* file string id -> index into kept */
	size_t nkept_open;

	SC_VEC(struct frame) frames;
	SC_VEC(uint32_t) locs;
	int64_t values[2];
};

void sc_record_options_init(sc_record_options *o)
{
	memset(o, 0, sizeof(*o));
	o->frequency = 1000;
	o->max_depth = 127;
	o->kernel = true;
	o->follow_children = true;
	o->user_stack_bytes = 512;
}

static int fail(sc_record_result *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(sc_record_result *r, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return err;
}

/* Reads a small /proc or /sys file into buf (NUL-terminated, trailing newline dropped). */
static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, size - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return (int)n;
}

static bool read_int(const char *path, long *out)
{
	char buf[64], *end;
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	*out = strtol(buf, &end, 10);
	return end != buf;
}

/* Online CPUs from /sys ("0-3,6"), or 0..n-1 when that cannot be read. */
static int list_cpus(struct rec *s)
{
	char buf[4096];
	if (read_small("/sys/devices/system/cpu/online", buf, sizeof(buf)) > 0) {
		char *p = buf;
		while (*p) {
			char *end;
			long a = strtol(p, &end, 10), b = a;
			if (end == p)
				break;
			p = end;
			if (*p == '-') {
				b = strtol(p + 1, &end, 10);
				p = end;
			}
			for (long c = a; c <= b; c++)
				if (sc_vec_push(&s->cpus, (int)c) < 0)
					return -ENOMEM;
			if (*p == ',')
				p++;
		}
	}
	if (!s->cpus.len) {
		long n = sysconf(_SC_NPROCESSORS_CONF);
		for (long c = 0; c < (n > 0 ? n : 1); c++)
			if (sc_vec_push(&s->cpus, (int)c) < 0)
				return -ENOMEM;
	}
	return 0;
}

/* ---- sets and tables ---------------------------------------------------------------------- */

static bool u32_eq(uint64_t value, const void *key, const void *ctx)
{
	(void)ctx;
	return value == *(const uint32_t *)key;
}

static int set_add(sc_hashmap *m, uint32_t id, uint64_t *count)
{
	uint64_t h = sc_hash_u64(id), v;
	if (sc_hashmap_get(m, h, u32_eq, &id, NULL, &v))
		return 0;
	if (sc_hashmap_put(m, h, id) < 0)
		return -ENOMEM;
	(*count)++;
	return 0;
}

static bool proc_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct rec *s = ctx;
	return s->procs.data[value].pid == *(const uint32_t *)key;
}

/* The process table of `pid`, created empty if `create`; NULL if absent (or out of memory, which
 * sets s->err). */
static struct proc *get_proc(struct rec *s, uint32_t pid, bool create)
{
	if (s->last_proc && s->procs.data[s->last_proc - 1].pid == pid)
		return &s->procs.data[s->last_proc - 1];
	uint64_t h = sc_hash_u64(pid), v;
	if (sc_hashmap_get(&s->proc_index, h, proc_eq, &pid, s, &v)) {
		s->last_proc = v + 1;
		return &s->procs.data[v];
	}
	if (!create)
		return NULL;
	if (sc_vec_reserve(&s->procs, 1) < 0 ||
	    sc_hashmap_put(&s->proc_index, h, s->procs.len) < 0) {
		s->err = -ENOMEM;
		return NULL;
	}
	struct proc *pr = &s->procs.data[s->procs.len++];
	memset(pr, 0, sizeof(*pr));
	pr->pid = pid;
	s->last_proc = s->procs.len;
	return pr;
}

static const struct vma *find_vma(const struct proc *pr, uint64_t addr)
{
	if (!pr)
		return NULL;
	size_t lo = 0, hi = pr->vmas.len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pr->vmas.data[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	const struct vma *v = &pr->vmas.data[lo - 1];
	return addr < v->end ? v : NULL;
}

/* Adds [start, end) to a process's table, cutting away whatever it overlaps (as mmap does). */
static int proc_add_vma(struct proc *pr, uint64_t start, uint64_t end, uint32_t mapping)
{
	if (start >= end)
		return 0;
	/* Tables are small and mmap records rare, so rebuilding is simpler than splicing. */
	SC_VEC(struct vma) out = {0};
	if (sc_vec_reserve(&out, pr->vmas.len + 2) < 0)
		return -ENOMEM;
	bool placed = false;
	for (size_t i = 0; i < pr->vmas.len; i++) {
		struct vma v = pr->vmas.data[i];
		if (!placed && v.start >= start) {
			out.data[out.len++] = (struct vma){start, end, mapping};
			placed = true;
		}
		if (v.end <= start || v.start >= end) {
			out.data[out.len++] = v;
			continue;
		}
		if (v.start < start)
			out.data[out.len++] = (struct vma){v.start, start, v.mapping};
		if (v.end > end) {
			if (!placed) {
				out.data[out.len++] = (struct vma){start, end, mapping};
				placed = true;
			}
			out.data[out.len++] = (struct vma){end, v.end, v.mapping};
		}
	}
	if (!placed)
		out.data[out.len++] = (struct vma){start, end, mapping};
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
 * memory (s->err set). */
static uint32_t intern_mapping(struct rec *s, const char *file, uint64_t start, uint64_t limit,
			       uint64_t offset)
{
	int64_t f = sc_profile_intern(s->p, file);
	if (f < 0)
		goto nomem;
	struct mapping_key k = {(sc_str)f, start, limit, offset};
	uint64_t h = sc_hash_combine(sc_hash_combine(sc_hash_u64(start), limit),
				     sc_hash_combine(offset, k.file)),
		 v;
	if (sc_hashmap_get(&s->mapping_index, h, mapping_eq, &k, s->p, &v))
		return (uint32_t)v;
	sc_mapping m = {.start = start, .limit = limit, .offset = offset, .file = k.file};
	int64_t id = sc_profile_add_mapping(s->p, &m);
	if (id < 0)
		goto nomem;
	/* On failure below the mapping stays, unindexed: harmless. */
	if (sc_hashmap_put(&s->mapping_index, h, (uint64_t)id) < 0 ||
	    sc_vec_reserve(&s->unwind_files, (size_t)id - s->unwind_files.len) < 0)
		goto nomem;
	while (s->unwind_files.len < (size_t)id)
		s->unwind_files.data[s->unwind_files.len++] = INT_MIN;
	return (uint32_t)id;
nomem:
	s->err = -ENOMEM;
	return 0;
}

static uint32_t kernel_mapping(struct rec *s)
{
	if (!s->kernel_mapping) {
		int64_t f = sc_profile_intern(s->p, "[kernel.kallsyms]");
		sc_mapping m = {.start = 0,
				.limit = UINT64_MAX,
				.file = (sc_str)(f < 0 ? 0 : f),
				.kernel = true};
		int64_t id = f < 0 ? -ENOMEM : sc_profile_add_mapping(s->p, &m);
		if (id < 0)
			s->err = -ENOMEM;
		else
			s->kernel_mapping = (uint32_t)id;
	}
	return s->kernel_mapping;
}

/* ---- mapped files kept open --------------------------------------------------------------- */

static bool kept_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct rec *s = ctx;
	return s->kept.data[value].file == *(const sc_str *)key;
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
 * through map_files (the mapping itself; CAP_SYS_ADMIN only), or /proc/PID/exe when that is the
 * file. Returns the fd, or -1 with *err set to map_files' error. */
static int open_mapped(const char *name, uint32_t pid, uint64_t start, uint64_t end, int *err)
{
	char path[96], link[PATH_MAX];
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
static void keep_file(struct rec *s, const char *name, uint32_t pid, uint64_t start, uint64_t end)
{
	if (name[0] != '/' || name[1] == '/')
		return; /* [vdso], //anon, memfd:...: nothing to read by name */
	int64_t f = sc_profile_intern(s->p, name);
	if (f < 0) {
		s->err = -ENOMEM;
		return;
	}
	sc_str file = (sc_str)f;
	uint64_t h = sc_hash_u64(file), v;
	if (sc_hashmap_get(&s->kept_index, h, kept_eq, &file, s, &v))
		return;
	struct kept k = {.file = file, .fd = -1};
	if (s->nkept_open < MAX_KEPT_FILES) {
		k.fd = open(name, O_RDONLY | O_CLOEXEC);
		if (k.fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
			k.gone = true;
			k.fd = open_mapped(name, pid, start, end, &k.alt_err);
		}
	}
	if (k.fd >= 0)
		s->nkept_open++;
	if (sc_vec_push(&s->kept, k) < 0 ||
	    sc_hashmap_put(&s->kept_index, h, s->kept.len - 1) < 0) {
		if (s->kept.len && s->kept.data[s->kept.len - 1].file == file)
			s->kept.len--;
		if (k.fd >= 0)
			close(k.fd);
		s->err = -ENOMEM;
	}
}

/* At the end: the files still at their path are closed; the others go to r->gone. */
static int finish_kept(struct rec *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->kept.len; i++) {
		struct kept *k = &s->kept.data[i];
		struct stat a, b;
		if (k->fd >= 0 && !k->gone) {
			const char *name = sc_profile_str(s->p, k->file);
			if (stat(name, &a) == 0 && fstat(k->fd, &b) == 0 && a.st_dev == b.st_dev &&
			    a.st_ino == b.st_ino) {
				close(k->fd);
				k->fd = -1;
				continue;
			}
		} else if (!k->gone) {
			continue; /* not opened (too many, or unreadable): no worse than before */
		}
		s->kept.data[n++] = *k;
	}
	s->kept.len = n;
	if (!n)
		return 0;
	s->r->gone = calloc(n, sizeof(*s->r->gone));
	if (!s->r->gone)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct kept *k = &s->kept.data[i];
		s->r->gone[i] = (sc_record_gone){k->file, k->fd, k->fd < 0 ? k->alt_err : 0};
	}
	s->r->ngone = n;
	s->kept.len = 0; /* the descriptors are the result's now */
	return 0;
}

void sc_record_result_release(sc_record_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ngone; i++)
		if (r->gone[i].fd >= 0)
			close(r->gone[i].fd);
	free(r->gone);
	r->gone = NULL;
	r->ngone = 0;
}

/* The unwinder's handle for a model mapping's file (or -errno), opened once per mapping. */
static int unwind_file(struct rec *s, uint32_t mapping)
{
	if (!mapping || mapping > s->unwind_files.len)
		return -ENOENT;
	int *h = &s->unwind_files.data[mapping - 1];
	if (*h == INT_MIN) {
		sc_str name = s->p->mappings.data[mapping - 1].file;
		const char *file = sc_profile_str(s->p, name);
		/* The file as it was mapped, when we hold it open (it may be deleted by now). */
		char kept[32];
		uint64_t k;
		if (sc_hashmap_get(&s->kept_index, sc_hash_u64(name), kept_eq, &name, s, &k) &&
		    s->kept.data[k].fd >= 0) {
			snprintf(kept, sizeof(kept), "/proc/self/fd/%d", s->kept.data[k].fd);
			file = kept;
		}
		/* [vdso], //anon, memfd:... name nothing we can open by that name. */
		*h = file[0] == '/' && file[1] != '/' ? sc_unwind_file(s->unwind, file) : -ENOENT;
		if (*h == -ENOMEM) {
			*h = INT_MIN;
			s->err = -ENOMEM;
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
 * `user` indexes the first user frame in s->frames. */
static void leaf_fix(struct rec *s, const struct proc *pr, size_t user, const uint64_t *regs,
		     const unsigned char *stack, uint64_t stack_size)
{
	const struct frame *leaf = &s->frames.data[user];
	/* regs are bp, sp, ip (ascending perf register numbers) */
	sc_unwind_regs rg = {.bp = regs[0], .sp = regs[1], .ip = regs[2]};
	if (rg.ip != leaf->addr)
		return;
	const struct vma *v = find_vma(pr, rg.ip);
	if (!v)
		return;
	int file = unwind_file(s, v->mapping);
	if (file < 0)
		return;
	const sc_mapping *m = &s->p->mappings.data[v->mapping - 1];
	uint64_t ra;
	int rc = sc_unwind_return_address(s->unwind, file, rg.ip - m->start + m->offset, &rg, stack,
					  stack_size, &ra);
	if (rc < 0)
		s->err = rc;
	if (rc <= 0)
		return;
	if (user + 1 < s->frames.len && s->frames.data[user + 1].addr == ra)
		return; /* the chain already has it: the leaf had a frame */
	if (!find_vma(pr, ra))
		return; /* not code we know: do not trust it */
	if (sc_vec_reserve(&s->frames, 1) < 0) {
		s->err = -ENOMEM;
		return;
	}
	memmove(&s->frames.data[user + 2], &s->frames.data[user + 1],
		(s->frames.len - user - 1) * sizeof(struct frame));
	s->frames.data[user + 1] = (struct frame){ra, false};
	s->frames.len++;
	s->r->leaf_fixed++;
}

static void on_sample(struct rec *s, const unsigned char *rec, size_t len)
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
	if (s->attr.sample_type & PERF_SAMPLE_REGS_USER) {
		abi = take64(&c);
		for (int i = 0; abi && i < 3; i++)
			regs[i] = take64(&c);
	}
	if (s->attr.sample_type & PERF_SAMPLE_STACK_USER) {
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
	if (!s->o->follow_children && pid != (uint32_t)s->sess.pid)
		return;

	const struct proc *pr = get_proc(s, pid, false);
	s->frames.len = 0;
	if (sc_vec_reserve(&s->frames, nr + 2) < 0) {
		s->err = -ENOMEM;
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
			user = s->frames.len;
		s->frames.data[s->frames.len++] = (struct frame){a, kernel};
	}
	if (!s->frames.len)
		s->frames.data[s->frames.len++] = (struct frame){ip, false};
	if (user != SIZE_MAX && stack && abi)
		leaf_fix(s, pr, user, regs, stack, stack_size);

	size_t n = s->frames.len;
	if (n > (size_t)s->o->max_depth)
		n = (size_t)s->o->max_depth;
	s->locs.len = 0;
	if (sc_vec_reserve(&s->locs, n) < 0) {
		s->err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct frame *f = &s->frames.data[i];
		/* Callers point inside their call instruction, not at the one after it. */
		uint64_t a = i ? f->addr - 1 : f->addr;
		uint32_t m;
		if (f->kernel) {
			m = kernel_mapping(s);
		} else {
			const struct vma *v = find_vma(pr, f->addr);
			m = v ? v->mapping : 0;
		}
		int64_t l = sc_profile_location_for_address(s->p, m, a);
		if (l < 0) {
			s->err = -ENOMEM;
			return;
		}
		s->locs.data[s->locs.len++] = (uint32_t)l;
	}
	int64_t stack_id = sc_profile_intern_stack(s->p, s->locs.data, s->locs.len);
	s->values[0] = 1;
	s->values[1] = (int64_t)period;
	if (stack_id < 0 ||
	    sc_profile_add_sample(s->p, (sc_stack_id)stack_id, s->values, pid, tid, time) < 0 ||
	    set_add(&s->pids, pid, &s->r->processes) < 0 ||
	    set_add(&s->tids, tid, &s->r->threads) < 0) {
		s->err = -ENOMEM;
		return;
	}
	s->r->samples++;
}

/* An MMAP or MMAP2 record of user code we follow: its fields and file name (in `name`). */
static bool parse_mmap(const struct rec *s, const unsigned char *rec, size_t len, bool v2,
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
	if (*pid == UINT32_MAX || (!s->o->follow_children && *pid != (uint32_t)s->sess.pid))
		return false;
	size_t n = strnlen((const char *)rec + name_off, len - name_off);
	if (n >= name_size)
		n = name_size - 1;
	memcpy(name, rec + name_off, n);
	name[n] = 0;
	return true;
}

static void on_mmap(struct rec *s, const unsigned char *rec, size_t len, bool v2)
{
	uint32_t pid;
	uint64_t addr, size, pgoff;
	char name[PATH_MAX];
	if (!parse_mmap(s, rec, len, v2, &pid, &addr, &size, &pgoff, name, sizeof(name)))
		return;
	uint32_t m = intern_mapping(s, name, addr, addr + size, pgoff);
	struct proc *pr = m ? get_proc(s, pid, true) : NULL;
	if (pr && proc_add_vma(pr, addr, addr + size, m) < 0)
		s->err = -ENOMEM;
}

/* As soon as a mapping is read from a ring (not when its turn comes), its file is opened: the
 * sooner, the likelier the process still lives to show it if it is already deleted. */
static void keep_mmap_file(struct rec *s, const unsigned char *rec, size_t len, bool v2)
{
	uint32_t pid;
	uint64_t addr, size, pgoff;
	char name[PATH_MAX];
	if (parse_mmap(s, rec, len, v2, &pid, &addr, &size, &pgoff, name, sizeof(name)))
		keep_file(s, name, pid, addr, addr + size);
}

static void on_comm(struct rec *s, const unsigned char *rec, size_t len)
{
	const struct perf_event_header *h = (const void *)rec;
	if (len < 16 || !(h->misc & PERF_RECORD_MISC_COMM_EXEC))
		return;
	/* A new program image: the old mappings are gone; its own MMAP records follow. */
	struct proc *pr = get_proc(s, sc_get32(rec + 8), false);
	if (pr)
		pr->vmas.len = 0;
}

static void on_fork(struct rec *s, const unsigned char *rec, size_t len)
{
	if (len < 24)
		return;
	uint32_t pid = sc_get32(rec + 8), ppid = sc_get32(rec + 12), tid = sc_get32(rec + 16);
	if (!s->o->follow_children && pid != (uint32_t)s->sess.pid)
		return;
	if (set_add(&s->pids, pid, &s->r->processes) < 0 ||
	    set_add(&s->tids, tid, &s->r->threads) < 0)
		s->err = -ENOMEM;
	if (pid == ppid)
		return; /* a new thread shares its process's table */
	/* A new process starts with a copy of its parent's table (replacing a reused pid's). */
	struct proc *child = get_proc(s, pid, true);
	if (!child)
		return;
	size_t ci = (size_t)(child - s->procs.data);
	child->vmas.len = 0;
	const struct proc *parent = get_proc(s, ppid, false);
	if (!parent)
		return;
	size_t n = parent->vmas.len;
	size_t pi = (size_t)(parent - s->procs.data);
	if (sc_vec_reserve(&s->procs.data[ci].vmas, n) < 0) {
		s->err = -ENOMEM;
		return;
	}
	memcpy(s->procs.data[ci].vmas.data, s->procs.data[pi].vmas.data, n * sizeof(struct vma));
	s->procs.data[ci].vmas.len = n;
}

static void process(struct rec *s, const unsigned char *rec, size_t len)
{
	const struct perf_event_header *h = (const void *)rec;
	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		on_sample(s, rec, len);
		break;
	case PERF_RECORD_MMAP:
		on_mmap(s, rec, len, false);
		break;
	case PERF_RECORD_MMAP2:
		on_mmap(s, rec, len, true);
		break;
	case PERF_RECORD_COMM:
		on_comm(s, rec, len);
		break;
	case PERF_RECORD_FORK:
		on_fork(s, rec, len);
		break;
	}
}

/* ---- the rings ---------------------------------------------------------------------------- */

static int on_read(void *ctx, const unsigned char *rec, size_t len)
{
	struct rec *s = ctx;
	keep_mmap_file(s, rec, len,
		       ((const struct perf_event_header *)rec)->type == PERF_RECORD_MMAP2);
	return s->err;
}

static int on_process(void *ctx, const unsigned char *rec, size_t len)
{
	struct rec *s = ctx;
	process(s, rec, len);
	return s->err;
}

/* One round: read every ring, then process what can no longer be overtaken. */
static void round_trip(struct rec *s, bool last)
{
	sc_rings_sink sink = {.on_read = on_read, .process = on_process, .ctx = s};
	int r = sc_rings_round(&s->rings, last, &sink);
	if (r < 0 && !s->err)
		s->err = r;
}

/* ---- events ------------------------------------------------------------------------------ */

static void setup_attr(struct rec *s)
{
	const sc_record_options *o = s->o;
	struct perf_event_attr *a = &s->attr;
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = PERF_TYPE_SOFTWARE;
	a->config = PERF_COUNT_SW_CPU_CLOCK;
	a->freq = 1;
	a->sample_freq = (uint64_t)o->frequency;
	a->sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			 PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_PERIOD;
	if (o->user_stack_bytes >= 8 && REGS_MASK) {
		a->sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
		a->sample_regs_user = REGS_MASK;
		a->sample_stack_user = (uint32_t)o->user_stack_bytes & ~7u;
	}
	a->exclude_kernel = !o->kernel;
	a->exclude_callchain_kernel = !o->kernel;
	a->exclude_hv = 1;
	a->mmap = 1;
	a->mmap2 = 1;
	a->comm = 1;
	a->comm_exec = 1;
	a->task = 1;
	a->inherit = 1;
	a->sample_id_all = 1;
	a->disabled = s->launched;
	a->enable_on_exec = s->launched;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	a->watermark = 1;
	a->wakeup_watermark = (uint32_t)(SC_RING_PAGES * (size_t)sysconf(_SC_PAGESIZE) / 4);
	long max_stack = 127;
	read_int(MAX_STACK_SYSCTL, &max_stack);
	long depth = o->max_depth < max_stack ? o->max_depth : max_stack;
	a->sample_max_stack = (uint16_t)(depth > 0 && depth <= 0xffff ? depth : 127);
}

/* --depth above the kernel's limit: the kernel cuts every call chain at the limit. We do not raise
 * it, even as root: it is system-wide, and the kernel refuses to change it (EBUSY) while any
 * profiler's call-chain events exist, so it could not be put back reliably. */
static void check_max_stack(const sc_record_options *o, sc_record_result *r)
{
	long limit;
	if (read_int(MAX_STACK_SYSCTL, &limit) && limit > 0 && o->max_depth > limit)
		r->depth_limit = (int)limit;
}

/* Opens one event, dropping in turn the optional attributes an older kernel refuses, and kernel
 * sampling when the kernel refuses that (as perf does at perf_event_paranoid 2). */
static int open_event(struct rec *s, pid_t pid, int cpu)
{
	for (;;) {
		int fd =
		    (int)syscall(SYS_perf_event_open, &s->attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd >= 0)
			return fd;
		int e = errno;
		if ((e == EINVAL || e == E2BIG || e == EOVERFLOW) && s->attr.sample_max_stack) {
			s->attr.sample_max_stack = 0;
		} else if (e == EINVAL && s->attr.use_clockid) {
			s->attr.use_clockid = 0;
			s->attr.clockid = 0;
		} else if ((e == EACCES || e == EPERM) && !s->attr.exclude_kernel) {
			s->attr.exclude_kernel = 1;
			s->attr.exclude_callchain_kernel = 1;
			s->r->kernel_excluded = true;
		} else {
			return -e;
		}
	}
}

static int open_failed(struct rec *s, int err)
{
	long paranoid;
	char val[32] = "unknown";
	if (read_int("/proc/sys/kernel/perf_event_paranoid", &paranoid))
		snprintf(val, sizeof(val), "%ld", paranoid);
	char proc[64];
	struct stat st;
	snprintf(proc, sizeof(proc), "/proc/%d", (int)s->sess.pid);
	if ((err == -EACCES || err == -EPERM) && !s->launched && geteuid() != 0 &&
	    stat(proc, &st) == 0 && st.st_uid != geteuid())
		return fail(s->r, -EACCES,
			    "perf_event_open was refused: process %d belongs to another user; run "
			    "as root or as its owner",
			    (int)s->sess.pid);
	if (err == -EACCES || err == -EPERM)
		return fail(s->r, -EACCES,
			    "perf_event_open was refused (kernel.perf_event_paranoid = %s); run as "
			    "root or: sudo sysctl kernel.perf_event_paranoid=1",
			    val);
	if (err == -ESRCH)
		return fail(s->r, -ESRCH, "no process %d", (int)s->sess.pid);
	/* Not -ENOENT even when that is the errno: it would read as "no such command". */
	if (err == -ENOENT || err == -ENOSYS || err == -EOPNOTSUPP || err == -ENODEV)
		return fail(s->r, -EOPNOTSUPP,
			    "perf_event_open is not available: %s (no perf events in this kernel, "
			    "or a sandbox blocks them)",
			    strerror(-err));
	if (err == -EMFILE)
		return fail(s->r, err,
			    "perf_event_open: too many open files (one per thread and CPU); raise "
			    "the limit with ulimit -n");
	return fail(s->r, err, "perf_event_open failed: %s", strerror(-err));
}

/* Opens the event of (pid, CPU index ci): the CPU's ring if it has none yet, else redirected into
 * it. Returns 0 or -errno. */
static int add_event(struct rec *s, pid_t pid, size_t ci)
{
	int fd = open_event(s, pid, s->cpus.data[ci]);
	if (fd < 0)
		return fd;
	if (sc_vec_push(&s->fds, fd) < 0) {
		close(fd);
		return -ENOMEM;
	}
	const sc_ring *rg = &s->rings.rings.data[ci];
	if (rg->fd < 0) {
		int r = sc_rings_map(&s->rings, ci, fd);
		if (r < 0)
			return fail(s->r, r,
				    "cannot map the perf ring buffer: %s (see "
				    "kernel.perf_event_mlock_kb)",
				    strerror(-r));
		return 0;
	}
	if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, rg->fd) < 0)
		return fail(s->r, -errno, "cannot share a perf ring buffer: %s", strerror(errno));
	return 0;
}

/* Launch mode: one event per CPU on the (still waiting) child. */
static int open_launch_events(struct rec *s)
{
	size_t opened = 0;
	for (size_t i = 0; i < s->cpus.len; i++) {
		int r = add_event(s, s->sess.pid, i);
		if (r == 0) {
			opened++;
			continue;
		}
		if (s->r->err[0])
			return r;
		/* A CPU that went offline is not fatal; a refusal is. */
		if (r == -ENODEV && opened)
			continue;
		return open_failed(s, r);
	}
	return opened ? 0 : open_failed(s, -ENODEV);
}

static bool tid_opened(const sc_hashmap *opened, uint32_t tid)
{
	uint64_t v;
	return sc_hashmap_get(opened, sc_hash_u64(tid), u32_eq, &tid, NULL, &v);
}

/* Attach mode: events for every thread, rescanning until no thread appeared meanwhile (threads
 * created after a thread's events exist are covered by inherit). */
static int open_attach_events(struct rec *s)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)s->sess.pid);
	sc_hashmap opened = {0};
	int r = 0;
	uint64_t nopened = 0;
	for (int pass = 0; pass < 16; pass++) {
		DIR *d = opendir(path);
		if (!d) {
			r = errno == ENOENT ? open_failed(s, -ESRCH) : -errno;
			if (r != -ESRCH)
				fail(s->r, r, "cannot read %s: %s", path, strerror(-r));
			goto out;
		}
		bool added = false;
		struct dirent *de;
		while ((de = readdir(d))) {
			char *end;
			long tid = strtol(de->d_name, &end, 10);
			if (end == de->d_name || *end || tid <= 0 ||
			    tid_opened(&opened, (uint32_t)tid))
				continue;
			bool any = false;
			for (size_t i = 0; i < s->cpus.len; i++) {
				r = add_event(s, (pid_t)tid, i);
				if (r == -ESRCH || (r == -ENODEV && !s->r->err[0]))
					continue; /* the thread exited meanwhile; CPU offline */
				if (r < 0) {
					closedir(d);
					if (!s->r->err[0])
						r = open_failed(s, r);
					goto out;
				}
				any = true;
			}
			r = 0;
			if (any && (set_add(&opened, (uint32_t)tid, &nopened) < 0 ||
				    set_add(&s->tids, (uint32_t)tid, &s->r->threads) < 0)) {
				closedir(d);
				r = -ENOMEM;
				goto out;
			}
			added |= any;
		}
		closedir(d);
		if (!added)
			break;
	}
	if (!nopened)
		r = open_failed(s, -ESRCH);
out:
	sc_hashmap_release(&opened);
	return r;
}

/* The executable mappings that exist already when attaching (MMAP records report only new
 * ones). */
static int read_proc_maps(struct rec *s)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)s->sess.pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0; /* the events are open: a process gone now simply records nothing */
	char *line = NULL;
	size_t cap = 0;
	struct proc *pr = get_proc(s, (uint32_t)s->sess.pid, true);
	while (pr && !s->err && getline(&line, &cap, f) > 0) {
		unsigned long long start, end, off;
		char perms[8];
		int name_at = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &off,
			   &name_at) < 4 ||
		    !strchr(perms, 'x'))
			continue;
		char *name = name_at ? line + name_at : line + strlen(line);
		name[strcspn(name, "\n")] = 0;
		if (!*name)
			name = "//anon";
		uint32_t m = intern_mapping(s, name, start, end, off);
		pr = get_proc(s, (uint32_t)s->sess.pid,
			      true); /* interning may not move procs, but */
		if (m && pr && proc_add_vma(pr, start, end, m) < 0)
			s->err = -ENOMEM;
		keep_file(s, name, (uint32_t)s->sess.pid, start, end);
	}
	free(line);
	fclose(f);
	return s->err;
}

/* ---- the recording ----------------------------------------------------------------------- */

static int add_metadata(struct rec *s)
{
	sc_profile *p = s->p;
	if (sc_profile_add_sample_type(p, "samples", "count") < 0 ||
	    sc_profile_add_sample_type(p, "cpu", "nanoseconds") < 0)
		return -ENOMEM;
	int64_t cpu = sc_profile_intern(p, "cpu"), ns = sc_profile_intern(p, "nanoseconds");
	if (cpu < 0 || ns < 0)
		return -ENOMEM;
	p->period_type = (sc_value_type){(sc_str)cpu, (sc_str)ns};
	p->default_sample_type = (sc_str)cpu;
	p->period = 1000000000LL / s->o->frequency;

	sc_strbuf sb = {0};
	int r = sc_strbuf_adds(&sb, "command: ");
	if (s->o->argv) {
		for (size_t i = 0; s->o->argv[i] && r == 0; i++)
			r = sc_strbuf_addf(&sb, "%s%s", i ? " " : "", s->o->argv[i]);
	} else {
		char path[64], buf[4096];
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)s->sess.pid);
		int n = read_small(path, buf, sizeof(buf));
		for (int i = 0; i < n - 1; i++)
			if (!buf[i])
				buf[i] = ' ';
		r = sc_strbuf_addf(&sb, "%s (pid %d)", n > 0 ? buf : "?", (int)s->sess.pid);
	}
	if (r == 0)
		r = sc_profile_add_comment(p, sb.buf);
	sc_strbuf_reset(&sb);
	char host[256];
	if (r == 0 && gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = 0;
		if ((r = sc_strbuf_addf(&sb, "host: %s", host)) == 0)
			r = sc_profile_add_comment(p, sb.buf);
	}
	sc_strbuf_release(&sb);
	return r < 0 ? -ENOMEM : 0;
}

/* One round of the session's loop: read every ring, then process what can no longer be overtaken
 * (everything when `last`). */
static int loop_round(void *ctx, bool last)
{
	struct rec *s = ctx;
	round_trip(s, last);
	return s->err;
}

/* Polls the rings until the session's target is done (see session.h for when that is). */
static int record_loop(struct rec *s, double start)
{
	SC_VEC(int) fds = {0};
	for (size_t i = 0; i < s->rings.rings.len; i++)
		if (s->rings.rings.data[i].fd >= 0 &&
		    sc_vec_push(&fds, s->rings.rings.data[i].fd) < 0) {
			sc_vec_release(&fds);
			return -ENOMEM;
		}
	sc_session_loop l = {.fds = fds.data,
			     .nfds = fds.len,
			     .poll_ms = POLL_MS,
			     .deadline = s->o->duration > 0 ? start + s->o->duration : 0,
			     .round = loop_round,
			     .ctx = s};
	int r = sc_session_loop_run(&s->sess, &l);
	sc_vec_release(&fds);
	if (r < 0 && s->sess.err[0])
		fail(s->r, r, "%s", s->sess.err);
	return r;
}

static void close_events(struct rec *s)
{
	sc_rings_release(&s->rings);
	for (size_t i = 0; i < s->fds.len; i++)
		close(s->fds.data[i]);
	s->fds.len = 0;
}

static void rec_release(struct rec *s)
{
	close_events(s);
	sc_vec_release(&s->cpus);
	sc_vec_release(&s->fds);
	for (size_t i = 0; i < s->procs.len; i++)
		sc_vec_release(&s->procs.data[i].vmas);
	sc_vec_release(&s->procs);
	sc_hashmap_release(&s->proc_index);
	sc_hashmap_release(&s->mapping_index);
	sc_vec_release(&s->unwind_files);
	sc_unwind_free(s->unwind);
	sc_hashmap_release(&s->pids);
	sc_hashmap_release(&s->tids);
	for (size_t i = 0; i < s->kept.len; i++)
		if (s->kept.data[i].fd >= 0)
			close(s->kept.data[i].fd);
	sc_vec_release(&s->kept);
	sc_hashmap_release(&s->kept_index);
	sc_vec_release(&s->frames);
	sc_vec_release(&s->locs);
}

static int before_exec(void *ctx, pid_t pid)
{
	(void)pid; /* s->sess.pid already */
	return open_launch_events(ctx);
}

/* Launch: fork (child waits), open events on it, let it exec, learn whether exec worked. */
static int launch(struct rec *s)
{
	sc_session_launch_options lo = {.argv = s->o->argv, .before_exec = before_exec, .ctx = s};
	int r = sc_session_launch(&s->sess, &lo);
	s->r->exec_errno = s->sess.exec_errno;
	if (r < 0 && s->sess.err[0])
		fail(s->r, r, "%s", s->sess.err);
	return r;
}

int sc_record_run(const sc_record_options *o, sc_profile *p, sc_record_result *r)
{
	memset(r, 0, sizeof(*r));
	if (!o->argv && o->pid <= 0)
		return fail(r, -EINVAL, "nothing to record: no command and no pid");
	if (o->argv && !o->argv[0])
		return fail(r, -EINVAL, "nothing to record: empty command");
	if (o->frequency < 1 || o->max_depth < 1 || o->user_stack_bytes < 0)
		return fail(r, -EINVAL, "invalid recording options");
	if (p->nsample_types || p->samples.len)
		return fail(r, -EINVAL, "the profile to record into is not empty");

	struct rec s = {.o = o, .p = p, .r = r, .launched = o->argv != NULL};
	sc_session_init(&s.sess);
	sc_session_sigsave sigs;
	bool sigs_installed = false;
	int ret;
	s.unwind = sc_unwind_new();
	if (!s.unwind || list_cpus(&s) < 0 || sc_rings_init(&s.rings, s.cpus.len) < 0) {
		ret = fail(r, -ENOMEM, "out of memory");
		goto out;
	}
	if (!s.launched && (ret = sc_session_attach(&s.sess, o->pid)) < 0) {
		fail(r, ret, "%s", s.sess.err);
		goto out;
	}
	long max_rate;
	if (read_int("/proc/sys/kernel/perf_event_max_sample_rate", &max_rate) &&
	    o->frequency > max_rate) {
		ret = fail(r, -EINVAL,
			   "%d Hz is above the kernel's limit (kernel.perf_event_max_sample_rate = "
			   "%ld); sample less often or: sudo sysctl "
			   "kernel.perf_event_max_sample_rate=%d",
			   o->frequency, max_rate, o->frequency);
		goto out;
	}
	check_max_stack(o, r);
	setup_attr(&s);
	sc_session_signals_install(&sigs);
	sigs_installed = true;

	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	double start = sc_session_now();
	ret = s.launched ? launch(&s) : open_attach_events(&s);
	if (ret < 0)
		goto out;
	if ((!s.launched && read_proc_maps(&s) < 0) || add_metadata(&s) < 0) {
		ret = -ENOMEM;
		goto stop;
	}
	if (set_add(&s.pids, (uint32_t)s.sess.pid, &r->processes) < 0 ||
	    set_add(&s.tids, (uint32_t)s.sess.pid, &r->threads) < 0) {
		ret = -ENOMEM;
		goto stop;
	}
	p->time_nanos = (int64_t)wall.tv_sec * 1000000000LL + wall.tv_nsec;
	ret = record_loop(&s, start);
	if (ret == 0)
		ret = finish_kept(&s);
stop:
	/* We cannot record any more: do not leave the command running unobserved. */
	if (ret < 0)
		sc_session_kill(&s.sess);
	r->exited = s.sess.exited;
	r->wait_status = s.sess.wait_status;
	r->lost = s.rings.lost;
	r->duration = sc_session_now() - start;
	p->duration_nanos = (int64_t)(r->duration * 1e9);
	if (ret == -ENOMEM && !r->err[0])
		fail(r, ret, "out of memory while recording");
out:
	sc_session_end(&s.sess);
	if (sigs_installed)
		sc_session_signals_restore(&sigs);
	rec_release(&s);
	return ret < 0 ? ret : 0;
}

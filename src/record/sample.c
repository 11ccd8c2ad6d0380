/*
 * sample.c: perf records to profile samples and address-space updates; the contract is in
 * sample.h. The layout of a SAMPLE record follows the sample_type record.c asks for: IP, TID,
 * TIME, PERIOD, CALLCHAIN, then optionally REGS_USER (abi, then the registers of regs_mask in
 * increasing order) and STACK_USER (size, bytes, dynamic size). A record too short for what it
 * claims is dropped.
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

static bool tid_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_sample_decoder *d = ctx;
	return d->offcpu_pending.data[value - 1].tid == *(const uint32_t *)key;
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
		/* //anon, memfd:... name nothing we can open by that name; [vdso] is read from
		 * memory (the same image in every process). */
		bool path = (file[0] == '/' && file[1] != '/') || !strcmp(file, "[vdso]");
		*h = path ? sc_unwind_file(d->unwind, file) : -ENOENT;
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
static void leaf_fix(sc_sample_decoder *d, const sc_proc *pr, size_t user,
		     const sc_unwind_regs *regs, const unsigned char *stack, uint64_t stack_size)
{
	const sc_raw_frame *leaf = &d->frames.data[user];
	sc_unwind_regs rg = *regs;
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

/* The unwinder's `find` callback, answered from the sampled process's table. */
struct find_ctx {
	sc_sample_decoder *d;
	const sc_proc *pr;
};

static bool find_mapping(void *ctx, uint64_t addr, sc_unwind_map *out)
{
	struct find_ctx *f = ctx;
	const sc_vma *v = sc_addrspace_find(f->pr, addr);
	if (!v)
		return false;
	const sc_mapping *m = &f->d->p->mappings.data[v->mapping - 1];
	out->start = v->start;
	out->end = v->end;
	out->pgoff = m->offset + (v->start - m->start);
	out->file = unwind_file(f->d, v->mapping);
	return true;
}

/* Counts a stack cut at an address no mapping holds, below the frame at `addr`. */
static void count_cut(sc_sample_decoder *d, const sc_proc *pr, uint64_t addr)
{
	d->cuts.no_mapping++;
	const sc_vma *v = sc_addrspace_find(pr, addr);
	if (!v)
		return;
	if (v->mapping > d->cut_at.len) {
		size_t more = v->mapping - d->cut_at.len;
		if (sc_vec_reserve(&d->cut_at, more) < 0) {
			d->err = -ENOMEM;
			return;
		}
		memset(d->cut_at.data + d->cut_at.len, 0, more * sizeof(uint64_t));
		d->cut_at.len = v->mapping;
	}
	d->cut_at.data[v->mapping - 1]++;
}

/* Appends the user frames unwound from the sample's registers and stack copy. */
static void unwind_user(sc_sample_decoder *d, const sc_proc *pr, const sc_unwind_regs *rg,
			const unsigned char *stack, uint64_t stack_size)
{
	size_t max = d->max_depth > d->frames.len ? d->max_depth - d->frames.len : 1;
	if (sc_vec_reserve(&d->pcs, max) < 0) {
		d->err = -ENOMEM;
		return;
	}
	struct find_ctx f = {d, pr};
	sc_unwind_options uo = {.mode = d->unwind_mode};
	sc_unwind_result res;
	int n = sc_unwind_stack(d->unwind, &uo, rg, stack, stack ? stack_size : 0, find_mapping, &f,
				d->pcs.data, max, &res);
	if (n < 0) {
		d->err = n;
		return;
	}
	if (sc_vec_reserve(&d->frames, (size_t)n) < 0) {
		d->err = -ENOMEM;
		return;
	}
	for (int i = 0; i < n; i++)
		d->frames.data[d->frames.len++] = (sc_raw_frame){d->pcs.data[i], false};
	d->cuts.stacks++;
	switch (res.stop) {
	case SC_UNWIND_STOP_NO_MAPPING:
		count_cut(d, pr, d->pcs.data[n - 1]);
		break;
	case SC_UNWIND_STOP_END_OF_COPY:
		d->cuts.end_of_copy++;
		break;
	case SC_UNWIND_STOP_NOT_GROWING:
	case SC_UNWIND_STOP_NO_RULE:
		d->cuts.no_rule++;
		break;
	case SC_UNWIND_STOP_OUTERMOST:
	case SC_UNWIND_STOP_MAX_FRAMES:
		break;
	}
}

/* Junk hygiene for a callchain's user frames (from index `user`): the stack ends at the first
 * caller that no executable mapping holds. The sampled pc itself is kept whatever it is. */
static void cut_junk(sc_sample_decoder *d, const sc_proc *pr, size_t user)
{
	d->cuts.stacks++;
	for (size_t i = user + 1; i < d->frames.len; i++) {
		if (!sc_addrspace_find(pr, d->frames.data[i].addr)) {
			count_cut(d, pr, d->frames.data[i - 1].addr);
			d->frames.len = i;
			return;
		}
	}
}

/* ---- off-CPU intervals ------------------------------------------------------------------- */

static const char *const offcpu_names[5] = {"[off-cpu: sleeping]", "[off-cpu: disk I/O]",
					    "[off-cpu: runnable]", "[off-cpu: stopped]",
					    "[off-cpu: other]"};

/* The pseudo-frame of a blocking state (sched_switch's prev_state: the kernel's TASK_REPORT
 * bits, S 0x1, D 0x2, T 0x4, t 0x8, ..., I 0x80; none of them for a preempted task, which the
 * kernel may mark with a bit above them, "R+"). Returns a location id or -ENOMEM. */
static int64_t offcpu_location(sc_sample_decoder *d, uint64_t state)
{
	size_t k = (state & 0xff) == 0 ? 2
		   : (state & 0x2)     ? 1
		   : (state & 0x81)    ? 0
		   : (state & 0xc)     ? 3
				       : 4;
	if (d->offcpu_locs[k])
		return d->offcpu_locs[k];
	if (!d->offcpu_mapping) {
		int64_t f = sc_profile_intern(d->p, "[off-cpu]");
		if (f < 0)
			return -ENOMEM;
		sc_mapping m = {.file = (sc_str)f, .symbolized = true};
		int64_t id = sc_profile_add_mapping(d->p, &m);
		if (id < 0)
			return -ENOMEM;
		d->offcpu_mapping = (uint32_t)id;
	}
	int64_t name = sc_profile_intern(d->p, offcpu_names[k]);
	if (name < 0)
		return -ENOMEM;
	sc_function fn = {.name = (sc_str)name, .system_name = (sc_str)name};
	int64_t fid = sc_profile_add_function(d->p, &fn);
	if (fid < 0)
		return -ENOMEM;
	sc_line line = {.function = (uint32_t)fid};
	int64_t l = sc_profile_add_location(d->p, d->offcpu_mapping, k + 1, &line, 1);
	if (l < 0)
		return -ENOMEM;
	d->offcpu_locs[k] = (uint32_t)l;
	return l;
}

/* The pending interval of thread `tid`, added when `add`; NULL when none (or out of memory). */
static sc_offcpu_pending *offcpu_slot(sc_sample_decoder *d, uint32_t tid, bool add)
{
	uint64_t h = sc_hash_u64(tid), v;
	if (sc_hashmap_get(&d->offcpu_tids, h, tid_eq, &tid, d, &v))
		return &d->offcpu_pending.data[v - 1];
	if (!add)
		return NULL;
	if (sc_vec_reserve(&d->offcpu_pending, 1) < 0 ||
	    sc_hashmap_put(&d->offcpu_tids, h, d->offcpu_pending.len + 1) < 0) {
		d->err = -ENOMEM;
		return NULL;
	}
	sc_offcpu_pending *pd = &d->offcpu_pending.data[d->offcpu_pending.len++];
	memset(pd, 0, sizeof(*pd));
	pd->tid = tid;
	return pd;
}

/* ---- thread names -------------------------------------------------------------------------- */

/* The slot of thread `tid` in d->names, added (name 0) when `add`; NULL when absent or on
 * -ENOMEM (d->err set). */
static sc_thread_name *name_slot(sc_sample_decoder *d, uint32_t tid, bool add)
{
	uint64_t v;
	/* sc_hash_u64 is a bijection: the hash is the key. */
	if (sc_hashmap_get(&d->name_index, sc_hash_u64(tid), NULL, NULL, NULL, &v))
		return &d->names.data[v - 1];
	if (!add)
		return NULL;
	if (sc_vec_reserve(&d->names, 1) < 0 ||
	    sc_hashmap_put(&d->name_index, sc_hash_u64(tid), d->names.len + 1) < 0) {
		d->err = -ENOMEM;
		return NULL;
	}
	sc_thread_name *n = &d->names.data[d->names.len++];
	*n = (sc_thread_name){tid, 0};
	return n;
}

void sc_sample_set_name(sc_sample_decoder *d, uint32_t tid, const char *name, size_t len)
{
	len = strnlen(name, len);
	if (!len)
		return;
	sc_thread_name *n = name_slot(d, tid, true);
	int64_t id = n ? sc_profile_intern_n(d->p, name, len) : 0;
	if (id < 0)
		d->err = -ENOMEM;
	else if (n)
		n->name = (sc_str)id;
}

/* The name of thread `tid` of `pid`: the one given, else /proc's (read once per thread); 0 when
 * neither is known. */
static sc_str thread_name(sc_sample_decoder *d, uint32_t pid, uint32_t tid)
{
	sc_thread_name *n = name_slot(d, tid, false);
	if (n)
		return n->name;
	char path[64], buf[32] = "";
	snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", pid, tid);
	FILE *f = fopen(path, "re");
	size_t len = 0;
	if (f) {
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	while (len && buf[len - 1] == '\n')
		len--;
	buf[len] = 0;
	if (!(n = name_slot(d, tid, true)))
		return 0;
	if (len) {
		int64_t id = sc_profile_intern_n(d->p, buf, len);
		if (id < 0) {
			d->err = -ENOMEM;
			return 0;
		}
		n->name = (sc_str)id;
	}
	return n->name;
}

/* Appends the label (key, str) to the sample just added; the ids are interned already (a sample
 * a second costs no string hashing). */
static int push_label(sc_profile *p, sc_str key, sc_str str)
{
	sc_label l = {.key = key, .str = str};
	if (sc_vec_push(&p->labels, l) < 0)
		return -ENOMEM;
	p->samples.data[p->samples.len - 1].nlabels++;
	return 0;
}

/* Labels the sample just added with its thread's and process's names. */
static int label_names(sc_sample_decoder *d, uint32_t pid, uint32_t tid)
{
	sc_str t = tid ? thread_name(d, pid, tid) : 0;
	sc_str p = pid ? (pid == tid ? t : thread_name(d, pid, pid)) : 0;
	if ((t || p) && !d->name_keys[0]) {
		int64_t k0 = sc_profile_intern(d->p, "thread_name");
		int64_t k1 = sc_profile_intern(d->p, "process_name");
		if (k0 < 0 || k1 < 0)
			return -ENOMEM;
		d->name_keys[0] = (sc_str)k0;
		d->name_keys[1] = (sc_str)k1;
	}
	if ((t && push_label(d->p, d->name_keys[0], t) < 0) ||
	    (p && push_label(d->p, d->name_keys[1], p) < 0))
		return -ENOMEM;
	return d->err;
}

/* Thread `tid` switched out at `time`, blocking in `stack`. */
static void offcpu_out(sc_sample_decoder *d, uint32_t pid, uint32_t tid, uint64_t time,
		       sc_stack_id stack)
{
	sc_offcpu_pending *pd = offcpu_slot(d, tid, true);
	if (!pd)
		return;
	if (pd->time)
		d->offcpu_dropped++; /* switched out twice: the switch-in was lost */
	pd->time = time;
	pd->stack = stack;
	pd->pid = pid;
}

/* Stores the pending interval `pd`, ended at `time`. */
static void offcpu_store(sc_sample_decoder *d, sc_offcpu_pending *pd, uint64_t time)
{
	uint64_t out = pd->time;
	pd->time = 0;
	if (time < out)
		return;
	int64_t values[2] = {1, (int64_t)(time - out)};
	if (sc_profile_add_sample(d->p, pd->stack, values, pd->pid, pd->tid, out) < 0 ||
	    label_names(d, pd->pid, pd->tid) < 0 ||
	    sc_idset_add(&d->pids, pd->pid, &d->processes) < 0 ||
	    sc_idset_add(&d->tids, pd->tid, &d->threads) < 0) {
		d->err = -ENOMEM;
		return;
	}
	d->samples++;
	d->offcpu_intervals++;
}

void sc_sample_offcpu_end(sc_sample_decoder *d, uint64_t end,
			  bool (*alive)(uint32_t pid, uint32_t tid))
{
	for (size_t i = 0; i < d->offcpu_pending.len && !d->err; i++) {
		sc_offcpu_pending *pd = &d->offcpu_pending.data[i];
		if (pd->time && alive(pd->pid, pd->tid))
			offcpu_store(d, pd, end);
	}
}

/* PERF_RECORD_SWITCH (per-task events) or PERF_RECORD_SWITCH_CPU_WIDE (-a): a thread switched
 * in ends its pending interval, stored with its length. */
static void on_switch(sc_sample_decoder *d, const unsigned char *rec, size_t len)
{
	const struct perf_event_header *h = (const void *)rec;
	if (!d->offcpu_state_off || (h->misc & PERF_RECORD_MISC_SWITCH_OUT) || len < 24)
		return;
	/* Both end with sample_id_all's {pid, tid}, time: the task switched in. */
	uint32_t tid = sc_get32(rec + len - 12);
	uint64_t time = sc_get64(rec + len - 8);
	sc_offcpu_pending *pd = offcpu_slot(d, tid, false);
	if (pd && pd->time)
		offcpu_store(d, pd, time);
}

/* Stores d->frames (innermost first) as a sample of thread `tid` of `pid` at `time`, worth
 * `period`, attributed with the table `pr`; with `offcpu`, as the start of an off-CPU interval in
 * `state` instead. */
static void store_frames(sc_sample_decoder *d, const sc_proc *pr, uint32_t pid, uint32_t tid,
			 uint64_t time, uint64_t period, bool offcpu, uint64_t state)
{
	size_t n = d->frames.len;
	if (n > d->max_depth)
		n = d->max_depth;
	d->locs.len = 0;
	if (sc_vec_reserve(&d->locs, n + 1) < 0) {
		d->err = -ENOMEM;
		return;
	}
	if (offcpu) {
		int64_t l = offcpu_location(d, state);
		if (l < 0) {
			d->err = (int)l;
			return;
		}
		d->locs.data[d->locs.len++] = (uint32_t)l;
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
	if (offcpu) {
		if (stack_id < 0)
			d->err = -ENOMEM;
		else
			offcpu_out(d, pid, tid, time, (sc_stack_id)stack_id);
		return;
	}
	int64_t values[2] = {1, (int64_t)period};
	if (stack_id < 0 ||
	    sc_profile_add_sample(d->p, (sc_stack_id)stack_id, values, pid, tid, time) < 0 ||
	    label_names(d, pid, tid) < 0 || sc_idset_add(&d->pids, pid, &d->processes) < 0 ||
	    sc_idset_add(&d->tids, tid, &d->threads) < 0) {
		d->err = -ENOMEM;
		return;
	}
	d->samples++;
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
	const unsigned char *raw = NULL;
	uint32_t raw_size = 0;
	if (d->sample_type & PERF_SAMPLE_RAW) {
		const unsigned char *rs = take(&c, 4);
		raw_size = rs ? sc_get32(rs) : 0;
		raw = take(&c, raw_size);
	}
	uint64_t regs[64] = {0}, abi = 0, stack_size = 0;
	size_t nregs = (size_t)__builtin_popcountll(d->regs_mask);
	const unsigned char *stack = NULL;
	if (d->sample_type & PERF_SAMPLE_REGS_USER) {
		abi = take64(&c);
		for (size_t i = 0; abi && i < nregs; i++)
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
	/* A sched_switch tracepoint's sample: the thread is switching out. */
	bool offcpu = d->offcpu_state_off && raw && raw_size >= d->offcpu_state_off + 8;
	if (offcpu && !tid)
		return; /* -a: a CPU's idle task, which "waits" whenever the CPU works */
	uint64_t state = offcpu ? sc_get64(raw + d->offcpu_state_off) : 0;

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
		if (skip || (d->cfi && !kernel))
			continue;
		if (!kernel && user == SIZE_MAX)
			user = d->frames.len;
		d->frames.data[d->frames.len++] = (sc_raw_frame){a, kernel};
	}
	sc_unwind_regs rg;
	bool have_regs = abi == PERF_SAMPLE_REGS_ABI_64 &&
			 sc_unwind_regs_from_perf(&rg, d->regs_mask, regs, nregs) == 0;
	if (d->cfi && have_regs) {
		unwind_user(d, pr, &rg, stack, stack_size);
	} else if (d->cfi && abi) {
		d->cuts.not_64bit++; /* a 32-bit process: its sampled pc alone */
		if (!d->frames.len)
			d->frames.data[d->frames.len++] = (sc_raw_frame){ip, false};
	} else if (!d->cfi && user != SIZE_MAX) {
		if (stack && have_regs)
			leaf_fix(d, pr, user, &rg, stack, stack_size);
		cut_junk(d, pr, user);
	}
	if (!d->frames.len)
		d->frames.data[d->frames.len++] = (sc_raw_frame){ip, false};
	store_frames(d, pr, pid, tid, time, period, offcpu, state);
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

/* COMM: {pid, tid, comm[] NUL-terminated, padded}, then sample_id_all's fields. With the exec
 * flag a new program image; without it a name set later (prctl PR_SET_NAME,
 * pthread_setname_np). Both name the thread. */
static void on_comm(sc_sample_decoder *d, const unsigned char *rec, size_t len)
{
	const struct perf_event_header *h = (const void *)rec;
	if (len < 16)
		return;
	uint32_t pid = sc_get32(rec + 8), tid = sc_get32(rec + 12);
	if (!d->only_pid || pid == d->only_pid)
		sc_sample_set_name(d, tid, (const char *)rec + 16, len - 16);
	if (h->misc & PERF_RECORD_MISC_COMM_EXEC)
		sc_addrspace_exec(d->as, pid);
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
	/* {pid, ppid, tid, ptid}: the new task starts with its creator's name. */
	sc_thread_name *parent = name_slot(d, sc_get32(rec + 20), false);
	sc_str inherited = parent ? parent->name : 0;
	sc_thread_name *child = inherited ? name_slot(d, tid, true) : NULL;
	if (child)
		child->name = inherited;
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
	case PERF_RECORD_SWITCH:
	case PERF_RECORD_SWITCH_CPU_WIDE:
		on_switch(d, rec, len);
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

void sc_sample_cuts(const sc_sample_decoder *d, sc_record_cuts *out)
{
	*out = d->cuts;
	out->below[0] = 0;
	out->below_count = 0;
	size_t best = 0;
	for (size_t i = 0; i < d->cut_at.len; i++)
		if (d->cut_at.data[i] > out->below_count) {
			out->below_count = d->cut_at.data[i];
			best = i + 1;
		}
	if (!best)
		return;
	const char *file = sc_profile_str(d->p, d->p->mappings.data[best - 1].file);
	const char *base = strrchr(file, '/');
	snprintf(out->below, sizeof(out->below), "%s", base ? base + 1 : file);
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
	sc_vec_release(&d->pcs);
	sc_vec_release(&d->cut_at);
	sc_hashmap_release(&d->offcpu_tids);
	sc_vec_release(&d->offcpu_pending);
	sc_hashmap_release(&d->name_index);
	sc_vec_release(&d->names);
}

void sc_sample_store_pcs(sc_sample_decoder *d, uint32_t space, uint32_t pid, uint32_t tid,
			 uint64_t time, const uint64_t *pcs, size_t n, uint64_t weight,
			 sc_sample_stop stop)
{
	if (d->err || !n)
		return;
	const sc_proc *pr = sc_addrspace_proc(d->as, space, false);
	d->frames.len = 0;
	if (sc_vec_reserve(&d->frames, n) < 0) {
		d->err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < n; i++)
		d->frames.data[d->frames.len++] = (sc_raw_frame){pcs[i], false};
	d->cuts.stacks++;
	switch (stop) {
	case SC_SAMPLE_STOP_NO_MAPPING:
		count_cut(d, pr, pcs[n - 1]);
		break;
	case SC_SAMPLE_STOP_END_OF_STACK:
		d->cuts.end_of_copy++;
		break;
	case SC_SAMPLE_STOP_NO_RULE:
		d->cuts.no_rule++;
		break;
	case SC_SAMPLE_STOP_COMPLETE:
		break;
	}
	store_frames(d, pr, pid, tid, time, weight, false, 0);
}

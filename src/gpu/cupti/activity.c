/*
 * activity.c: the GPU records of the agent stream decoded (activity.h). Each record is checked
 * against its size before a field is read; strings are copied into the profile's string table.
 *
 * Not here: the tables and files made from what is decoded (outputs.c), the library that writes
 * the records (inject.c).
 */
#include "gpu/cupti/activity.h"

#include "symbolize/symbolize.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t launch_key(uint32_t pid, uint32_t correlation)
{
	return sc_hash_u64((uint64_t)pid << 32 | correlation);
}

static bool launch_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_cupti *d = ctx;
	const sc_cupti_launch *k = key, *l = &d->launches.data[value];
	return l->pid == k->pid && l->correlation == k->correlation;
}

int sc_cupti_init(sc_cupti *d, sc_profile *p)
{
	memset(d, 0, sizeof(*d));
	d->p = p;
	sc_addrspace_init(&d->as, p);
	if (!p->nsample_types) {
		int64_t def = sc_profile_intern(p, "gpu_time");
		if (def < 0 || sc_profile_add_sample_type(p, "gpu_time", "nanoseconds") < 0 ||
		    sc_profile_add_sample_type(p, "kernels", "count") < 0)
			return -ENOMEM;
		p->default_sample_type = (sc_str)def;
	}
	return 0;
}

void sc_cupti_release(sc_cupti *d)
{
	if (!d)
		return;
	sc_addrspace_release(&d->as);
	sc_vec_release(&d->kernels);
	sc_vec_release(&d->copies);
	sc_vec_release(&d->syncs);
	sc_vec_release(&d->apis);
	sc_vec_release(&d->launches);
	sc_hashmap_release(&d->launch);
	sc_hashmap_release(&d->named);
	sc_hashmap_release(&d->last_stack);
	sc_vec_release(&d->stream_last);
}

/* The NUL-terminated string of `len` bytes after a record's fixed part, or NULL when the record
 * is too short for it. */
static const char *tail_str(const sc_agent_rec *rec, size_t fixed, size_t len)
{
	if (rec->size < sizeof(*rec) + fixed + len + 1)
		return NULL;
	const char *s = (const char *)(rec + 1) + fixed;
	return s[len] ? NULL : s;
}

/* An API function's name without the runtime's version suffix ("cudaMalloc_v3020"). */
static int64_t api_name(sc_profile *p, const char *s)
{
	size_t n = strlen(s);
	const char *v = strstr(s, "_v");
	if (v && v > s && v[2]) {
		const char *q = v + 2;
		while (*q >= '0' && *q <= '9')
			q++;
		if (!*q)
			n = (size_t)(v - s);
	}
	return sc_profile_intern_n(p, s, n);
}

static int on_api(sc_cupti *d, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	const sc_agent_gpu_api *a = (const sc_agent_gpu_api *)(rec + 1);
	size_t room = rec->size - sizeof(*rec);
	if (room < sizeof(*a) + 1 || a->end < a->start) {
		d->corrupt++;
		return 0;
	}
	const char *name = (const char *)(a + 1);
	if (!memchr(name, 0, room - sizeof(*a))) {
		d->corrupt++;
		return 0;
	}
	int64_t s = api_name(d->p, name);
	if (s < 0)
		return -ENOMEM;
	sc_cupti_api x = {.start = a->start,
			  .end = a->end,
			  .pid = r->pid,
			  .tid = r->tid,
			  .correlation = a->correlation,
			  .cbid = a->cbid,
			  .domain = a->domain,
			  .depth = a->depth,
			  .name = (sc_str)s};
	return sc_vec_push(&d->apis, x);
}

static int on_stack(sc_cupti *d, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	const sc_agent_gpu_stack *s = (const sc_agent_gpu_stack *)(rec + 1);
	size_t room = rec->size - sizeof(*rec);
	if (room < sizeof(*s) || s->nframes > (room - sizeof(*s)) / 8 || s->nframes > 4096) {
		d->corrupt++;
		return 0;
	}
	const uint64_t *pcs = (const uint64_t *)(s + 1);
	int64_t id;
	uint64_t skey = sc_hash_u64(r->stream), prev;
	if (!s->nframes) { /* the stream's previous stack again */
		if (!sc_hashmap_get(&d->last_stack, skey, NULL, NULL, NULL, &prev)) {
			d->corrupt++;
			return 0;
		}
		id = (int64_t)d->stream_last.data[prev];
	} else {
		const sc_proc *pr = sc_addrspace_proc(&d->as, r->stream, false);
		uint32_t locs[4096];
		for (uint32_t i = 0; i < s->nframes; i++) {
			const sc_vma *v = sc_addrspace_find(pr, pcs[i]);
			/* Return addresses: the call is the instruction before. */
			int64_t l =
			    sc_profile_location_for_address(d->p, v ? v->mapping : 0, pcs[i] - 1);
			if (l < 0)
				return -ENOMEM;
			locs[i] = (uint32_t)l;
		}
		id = sc_profile_intern_stack(d->p, locs, s->nframes);
		if (id < 0)
			return -ENOMEM;
		/* The stream's last stack (the hash of a number is the number: no compare). */
		if (sc_hashmap_get(&d->last_stack, skey, NULL, NULL, NULL, &prev)) {
			d->stream_last.data[prev] = (sc_stack_id)id;
		} else if (sc_vec_push(&d->stream_last, (sc_stack_id)id) < 0 ||
			   sc_hashmap_put(&d->last_stack, skey, d->stream_last.len - 1) < 0) {
			return -ENOMEM;
		}
	}
	sc_cupti_launch key = {.pid = r->pid, .correlation = s->correlation};
	uint64_t h = launch_key(r->pid, s->correlation), at;
	if (sc_hashmap_get(&d->launch, h, launch_eq, &key, d, &at)) {
		d->launches.data[at].stack =
		    (sc_stack_id)id; /* a correlation id reused: the last */
		return 0;
	}
	key.stack = (sc_stack_id)id;
	if (sc_vec_push(&d->launches, key) < 0 ||
	    sc_hashmap_put(&d->launch, h, d->launches.len - 1) < 0)
		return -ENOMEM;
	return 0;
}

static int on_kernel(sc_cupti *d, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	const sc_agent_gpu_kernel *k = (const sc_agent_gpu_kernel *)(rec + 1);
	if (rec->size < sizeof(*rec) + sizeof(*k) || k->end < k->start) {
		d->corrupt++;
		return 0;
	}
	const char *name = tail_str(rec, sizeof(*k), k->name_len);
	if (!name) {
		d->corrupt++;
		return 0;
	}
	if (!k->start || !k->end) { /* not finished at a forced flush: CUPTI gives no times */
		d->incomplete++;
		return 0;
	}
	int64_t s = sc_profile_intern(d->p, name);
	char *dm = sc_demangle(name);
	int64_t ds = dm ? sc_profile_intern(d->p, dm) : s;
	free(dm);
	if (s < 0 || ds < 0)
		return -ENOMEM;
	sc_cupti_kernel x = {.start = k->start,
			     .end = k->end,
			     .pid = r->pid,
			     .device = k->device,
			     .context = k->context,
			     .stream = k->stream,
			     .correlation = k->correlation,
			     .static_shared = k->static_shared,
			     .dynamic_shared = k->dynamic_shared,
			     .registers = k->registers,
			     .name = (sc_str)s,
			     .display = (sc_str)ds};
	memcpy(x.grid, k->grid, sizeof(x.grid));
	memcpy(x.block, k->block, sizeof(x.block));
	return sc_vec_push(&d->kernels, x);
}

static int on_copy(sc_cupti *d, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	const sc_agent_gpu_copy *c = (const sc_agent_gpu_copy *)(rec + 1);
	if (rec->size < sizeof(*rec) + sizeof(*c) || c->end < c->start ||
	    (c->op != SC_AGENT_GPU_MEMCPY && c->op != SC_AGENT_GPU_MEMSET)) {
		d->corrupt++;
		return 0;
	}
	if (!c->start || !c->end) {
		d->incomplete++;
		return 0;
	}
	sc_cupti_copy x = {.start = c->start,
			   .end = c->end,
			   .bytes = c->bytes,
			   .pid = r->pid,
			   .device = c->device,
			   .context = c->context,
			   .stream = c->stream,
			   .correlation = c->correlation,
			   .op = c->op,
			   .kind = c->kind,
			   .src = c->src,
			   .dst = c->dst,
			   .value = c->value};
	return sc_vec_push(&d->copies, x);
}

static int on_sync(sc_cupti *d, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	const sc_agent_gpu_sync *s = (const sc_agent_gpu_sync *)(rec + 1);
	if (rec->size < sizeof(*rec) + sizeof(*s) || s->end < s->start) {
		d->corrupt++;
		return 0;
	}
	sc_cupti_sync x = {.start = s->start,
			   .end = s->end,
			   .pid = r->pid,
			   .type = s->type,
			   .context = s->context,
			   .stream = s->stream,
			   .correlation = s->correlation};
	return sc_vec_push(&d->syncs, x);
}

static void on_status(sc_cupti *d, const sc_agent_rec *rec)
{
	const sc_agent_gpu_status *s = (const sc_agent_gpu_status *)(rec + 1);
	const char *text =
	    rec->size >= sizeof(*rec) + sizeof(*s) ? tail_str(rec, sizeof(*s), s->len) : NULL;
	if (!text) {
		d->corrupt++;
		return;
	}
	switch (s->what) {
	case SC_AGENT_GPU_STARTED:
		d->started++;
		break;
	case SC_AGENT_GPU_NO_CUPTI:
		if (!d->no_cupti[0])
			snprintf(d->no_cupti, sizeof(d->no_cupti), "%s", text);
		break;
	case SC_AGENT_GPU_CUPTI_ERROR:
		if (!d->cupti_error[0]) {
			snprintf(d->cupti_error, sizeof(d->cupti_error), "%s", text);
			d->cupti_error_code = (uint32_t)s->value;
		}
		break;
	case SC_AGENT_GPU_DROPPED:
		d->dropped += s->value;
		break;
	case SC_AGENT_GPU_LOST:
		d->lost += s->value;
		break;
	case SC_AGENT_GPU_FLUSHED:
		d->flushed++;
		break;
	default:
		break;
	}
}

int sc_cupti_record(sc_cupti *d, sc_agentfile *f, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	if (rec->size < sizeof(*rec))
		return 0;
	switch (rec->type) {
	case SC_AGENT_REC_MAP:
		if (!f)
			return 0;
		return sc_agentfile_map(f, &d->as, r->stream, r->pid, rec);
	case SC_AGENT_REC_GPU_API:
		return on_api(d, r, rec);
	case SC_AGENT_REC_GPU_STACK:
		return on_stack(d, r, rec);
	case SC_AGENT_REC_GPU_KERNEL:
		return on_kernel(d, r, rec);
	case SC_AGENT_REC_GPU_COPY:
		return on_copy(d, r, rec);
	case SC_AGENT_REC_GPU_SYNC:
		return on_sync(d, r, rec);
	case SC_AGENT_REC_GPU_STATUS:
		on_status(d, rec);
		return 0;
	default:
		return 0;
	}
}

struct drain_ctx {
	sc_cupti *d;
	sc_agentfile *f;
};

static int drain_one(void *ctx, uint32_t ring, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	(void)ring;
	struct drain_ctx *c = ctx;
	return sc_cupti_record(c->d, c->f, r, rec);
}

int sc_cupti_drain(sc_cupti *d, sc_agentfile *f, bool last)
{
	struct drain_ctx c = {.d = d, .f = f};
	for (uint32_t i = 0; i < f->nrings; i++) {
		int r = sc_agentfile_drain(f, i, last, drain_one, &c);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The location of a frame named `name` (no address: a kernel, a copy), one per name. */
static int64_t named_location(sc_cupti *d, const char *name, const char *system_name)
{
	sc_profile *p = d->p;
	int64_t s = sc_profile_intern(p, name);
	int64_t ss = sc_profile_intern(p, system_name ? system_name : name);
	if (s < 0 || ss < 0)
		return -ENOMEM;
	sc_function fn = {.name = (sc_str)s, .system_name = (sc_str)ss};
	int64_t f = sc_profile_add_function(p, &fn);
	if (f < 0)
		return -ENOMEM;
	uint64_t h = sc_hash_u64((uint64_t)f), at; /* invertible: the hash is the key */
	if (sc_hashmap_get(&d->named, h, NULL, NULL, NULL, &at))
		return (int64_t)at;
	sc_line line = {.function = (uint32_t)f};
	int64_t l = sc_profile_add_location(p, 0, 0, &line, 1);
	if (l < 0 || sc_hashmap_put(&d->named, h, (uint64_t)l) < 0)
		return -ENOMEM;
	return l;
}

static sc_stack_id launch_stack(sc_cupti *d, uint32_t pid, uint32_t correlation, int *err)
{
	sc_cupti_launch key = {.pid = pid, .correlation = correlation};
	uint64_t at;
	if (sc_hashmap_get(&d->launch, launch_key(pid, correlation), launch_eq, &key, d, &at))
		return d->launches.data[at].stack;
	if (!d->unknown_loc) {
		int64_t l = named_location(d, "[unknown launch site]", NULL);
		if (l < 0) {
			*err = -ENOMEM;
			return 0;
		}
		d->unknown_loc = (uint32_t)l;
	}
	int64_t id = sc_profile_stack_child(d->p, 0, d->unknown_loc);
	if (id < 0)
		*err = -ENOMEM;
	return id < 0 ? 0 : (sc_stack_id)id;
}

static int add_work(sc_cupti *d, sc_stack_id launch, const char *name, const char *system_name,
		    uint64_t ns, int64_t kernels, uint32_t pid, uint64_t time, sc_stack_id *out)
{
	int64_t loc = named_location(d, name, system_name);
	if (loc < 0)
		return -ENOMEM;
	int64_t node = sc_profile_stack_child(d->p, launch, (uint32_t)loc);
	if (node < 0)
		return -ENOMEM;
	int64_t v[SC_MAX_SAMPLE_TYPES] = {0};
	int gt = sc_profile_find_sample_type(d->p, "gpu_time");
	int kc = sc_profile_find_sample_type(d->p, "kernels");
	if (gt >= 0)
		v[gt] = (int64_t)ns;
	if (kc >= 0)
		v[kc] = kernels;
	if (sc_profile_add_sample(d->p, (sc_stack_id)node, v, pid, 0, time) < 0)
		return -ENOMEM;
	if (out)
		*out = (sc_stack_id)node;
	return 0;
}

const char *sc_cupti_copy_kind(const sc_cupti_copy *c)
{
	static const char *const kinds[] = {"unknown", "HtoD", "DtoH", "HtoA", "AtoH", "AtoA",
					    "AtoD",    "DtoA", "DtoD", "HtoH", "PtoP"};
	if (c->op == SC_AGENT_GPU_MEMSET)
		return "memset";
	return c->kind < sizeof(kinds) / sizeof(kinds[0]) ? kinds[c->kind] : "unknown";
}

int sc_cupti_finish(sc_cupti *d)
{
	if (d->finished)
		return 0;
	d->finished = true;
	int err = 0;
	for (size_t i = 0; i < d->kernels.len; i++) {
		sc_cupti_kernel *k = &d->kernels.data[i];
		sc_stack_id s = launch_stack(d, k->pid, k->correlation, &err);
		if (err < 0 ||
		    add_work(d, s, sc_profile_str(d->p, k->display), sc_profile_str(d->p, k->name),
			     k->end - k->start, 1, k->pid, k->start, &k->stack) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < d->copies.len; i++) {
		const sc_cupti_copy *c = &d->copies.data[i];
		sc_stack_id s = launch_stack(d, c->pid, c->correlation, &err);
		char name[32];
		if (c->op == SC_AGENT_GPU_MEMSET)
			snprintf(name, sizeof(name), "[memset]");
		else
			snprintf(name, sizeof(name), "[memcpy %s]", sc_cupti_copy_kind(c));
		if (err < 0 ||
		    add_work(d, s, name, NULL, c->end - c->start, 0, c->pid, c->start, NULL) < 0)
			return -ENOMEM;
	}
	return 0;
}

void sc_cupti_warnings(const sc_cupti *d, bool exited, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = 0;
#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (used < size) {                                                                 \
			int w_ = snprintf(buf + used, size - used, __VA_ARGS__);                   \
			if (w_ > 0)                                                                \
				used += (size_t)w_;                                                \
		}                                                                                  \
	} while (0)
	if (d->no_cupti[0])
		ADD("CUPTI (libcupti.so) not found: no kernel trace (%s)\n", d->no_cupti);
	if (d->cupti_error[0]) {
		if (d->cupti_error_code == 39) /* CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED */
			ADD("CUPTI is held by another tool (a profiler or tracer already "
			    "subscribed "
			    "in the program): no kernel trace (%s)\n",
			    d->cupti_error);
		else
			ADD("CUPTI failed, no kernel trace: %s\n", d->cupti_error);
	}
	if (d->dropped)
		ADD("CUPTI dropped %llu activity records (its buffers were full): the kernel "
		    "and copy tables miss them\n",
		    (unsigned long long)d->dropped);
	if (d->lost)
		ADD("%llu GPU records were not written (a full ring, or no free ring for a "
		    "thread): tables and stacks miss them\n",
		    (unsigned long long)d->lost);
	if (d->started > d->flushed)
		ADD("%s: the GPU activity CUPTI had not handed over then is lost (kernels and "
		    "copies after the last flush); API calls and launch stacks are complete\n",
		    exited ? "a process ended without its flush at exit"
			   : "the command did not exit normally");
	if (d->incomplete)
		ADD("%llu kernels or copies had not finished when CUPTI's buffers were flushed (no "
		    "times): left out\n",
		    (unsigned long long)d->incomplete);
	if (d->corrupt)
		ADD("%llu GPU records made no sense and were skipped\n",
		    (unsigned long long)d->corrupt);
#undef ADD
	if (used && used <= size && buf[used - 1] == '\n')
		buf[used - 1] = 0;
}

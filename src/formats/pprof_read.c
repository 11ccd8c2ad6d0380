/*
 * pprof_read.c: reads pprof files, gzip-compressed or not (see pprof.h for the contract;
 * pprof_write.c writes them).
 *
 * Reading unpacks with protobuf-c and copies into a new sc_profile, translating the producer's
 * string indexes and mapping/location/function ids into ours. Ids of other producers need not be
 * dense or ordered; they go through an id table (a direct index when they are 1..N in order, as
 * Go and scorch write them, a hashmap otherwise). Every reference is checked before use, so a
 * malformed file gives -EINVAL and a sentence saying which record points where.
 *
 * Beyond the field-by-field copies: numeric labels "pid" and "tid" become sample.pid/tid, and
 * "time_ns" (in "nanoseconds", or without a unit) sample.time_ns (not labels); a sample with no
 * location, every value 0 and a "scorch_span" label is an interval (profile.h; pprof_write.c
 * writes them so), not a sample; mapping.symbolized
 * is read from has_functions; mapping.kernel is not a pprof field, so a mapping whose file name
 * starts with "[kernel" (perf's "[kernel.kallsyms]") is marked kernel.
 *
 * Not here: choosing the input format (the CLI sniffs with sc_pprof_sniff), symbolization.
 */
#include "formats/pprof.h"
#include "formats/pprof_pb.h"
#include "util/fileio.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Decompressed size above which a gzip stream is refused when the caller sets no cap (a bomb,
 * not a profile). */
#define MAX_RAW_SIZE ((size_t)4 << 30)
/* Decompressed bytes looked at before going on: enough for the first field's tag and length. */
#define EARLY_CHECK_BYTES 16

/* ---------------------------------------------------------------------------------------------
 * Decoding
 */

static bool is_gzip(const uint8_t *b, size_t n)
{
	return n >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

/* Does raw protobuf data start like a Profile message? Walks the top-level fields in b[0..n)
 * (a prefix of the message when `prefix`): each tag must be a Profile field (1..15) with that
 * field's wire type (varint, or length-delimited: repeated scalars may be packed), and each
 * length must fit what follows (when not `prefix`, the last field must end exactly at n).
 * Looks at `max_fields` fields at most. Zeros, text and other formats fail on the first tag. */
static bool looks_like_profile(const uint8_t *b, size_t n, bool prefix, int max_fields)
{
	/* Fields 1..15: 2 = length-delimited (messages, strings), 0 = a varint (int64 scalars),
	 * 1 = varint or length-delimited (comment: repeated int64, which may be packed). */
	static const uint8_t wire[16] = {9, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 2, 0, 1, 0, 0};
	size_t i = 0;
	int fields = 0;
	if (!n)
		return false;
	while (i < n && fields < max_fields) {
		uint64_t tag = 0, len = 0;
		int shift = 0;
		do {
			if (i == n)
				return prefix;
			if (shift > 28)
				return false;
			tag |= (uint64_t)(b[i] & 0x7f) << shift;
			shift += 7;
		} while (b[i++] & 0x80);
		uint64_t field = tag >> 3, type = tag & 7;
		if (field < 1 || field > 15)
			return false;
		if (type == 0 && wire[field] != 2) {
			do {
				if (i == n)
					return prefix;
			} while (b[i++] & 0x80);
		} else if (type == 2 && wire[field] != 0) {
			shift = 0;
			do {
				if (i == n)
					return prefix;
				if (shift > 56)
					return false;
				len |= (uint64_t)(b[i] & 0x7f) << shift;
				shift += 7;
			} while (b[i++] & 0x80);
			if (len > n - i) {
				if (!prefix)
					return false;
				return true; /* the field goes on past what we have */
			}
			i += len;
		} else {
			return false;
		}
		fields++;
	}
	return true;
}

/* Inflates one or more concatenated gzip members, refusing more than `max` bytes of output
 * (-EFBIG), and refusing at once (-EINVAL, diag set) output that does not start like a
 * profile.proto message. */
static int gunzip(const uint8_t *in, size_t n, size_t max, uint8_t **out, size_t *outn, sc_diag *d)
{
	z_stream z = {0};
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return -ENOMEM;
	/* Start small: the first bytes are checked before anything big is allocated. */
	size_t cap = n < (SIZE_MAX / 8) ? n * 4 + 4096 : n, len = 0, pos = 0;
	if (cap > max && max >= EARLY_CHECK_BYTES)
		cap = max;
	if (cap < EARLY_CHECK_BYTES)
		cap = EARLY_CHECK_BYTES;
	uint8_t *buf = malloc(cap);
	bool checked = false;
	int r = 0;
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (!checked && len >= EARLY_CHECK_BYTES) {
			checked = true;
			if (!looks_like_profile(buf, len, true, 4)) {
				r = sc_diag_error(
				    d, 0, 0, -1,
				    "not a pprof profile: the gzip data does not hold a "
				    "profile.proto message");
				goto out;
			}
		}
		if (len == cap) {
			if (cap >= max) {
				r = -EFBIG;
				goto out;
			}
			size_t ncap = cap > max / 2 ? max : cap * 2;
			uint8_t *nb = realloc(buf, ncap);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		size_t ci = n - pos > UINT_MAX ? UINT_MAX : n - pos;
		size_t co = cap - len > UINT_MAX ? UINT_MAX : cap - len;
		/* Before the check, inflate only the bytes it needs. */
		if (!checked && co > EARLY_CHECK_BYTES - len)
			co = EARLY_CHECK_BYTES - len;
		z.next_in = (Bytef *)in + pos;
		z.avail_in = (uInt)ci;
		z.next_out = buf + len;
		z.avail_out = (uInt)co;
		int zr = inflate(&z, Z_NO_FLUSH);
		pos += ci - z.avail_in;
		len += co - z.avail_out;
		if (zr == Z_STREAM_END) {
			/* Another member may follow (gzip files may be concatenated). */
			if (pos < n && is_gzip(in + pos, n - pos)) {
				inflateReset(&z);
				continue;
			}
			break;
		}
		if (zr == Z_MEM_ERROR) {
			r = -ENOMEM;
			goto out;
		}
		if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT || zr == Z_STREAM_ERROR) {
			r = sc_diag_error(d, 0, 0, (int64_t)pos, "corrupt gzip data (%s)",
					  z.msg ? z.msg : "inflate failed");
			goto out;
		}
		if (pos == n && z.avail_out) {
			/* All input consumed, output room left, and no end of stream. */
			r = sc_diag_error(d, 0, 0, (int64_t)n,
					  "truncated gzip data: the file ends inside the "
					  "compressed stream");
			goto out;
		}
	}
	if (!checked && len && !looks_like_profile(buf, len, false, 4)) {
		r = sc_diag_error(
		    d, 0, 0, -1,
		    "not a pprof profile: the gzip data does not hold a profile.proto "
		    "message");
		goto out;
	}
	*out = buf;
	*outn = len;
	buf = NULL;
out:
	free(buf);
	inflateEnd(&z);
	return r;
}

/* Producer id -> our id, for one kind of record. */
struct idmap {
	bool dense; /* producer ids are 1..n in order: our id = position + 1 */
	sc_hashmap map;
	size_t n;
};

static int idmap_build(struct idmap *m, size_t n, uint64_t (*get)(const void *, size_t),
		       const void *arr, const uint32_t *ours, const char *what, sc_diag *d)
{
	m->n = n;
	m->dense = true;
	for (size_t i = 0; i < n; i++)
		if (get(arr, i) != i + 1) {
			m->dense = false;
			break;
		}
	if (m->dense)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t id = get(arr, i), v;
		if (id == 0)
			return sc_diag_error(d, 0, 0, -1, "%s %zu has id 0, which is reserved",
					     what, i);
		/* sc_hash_u64 is a bijection, so the hash is the key and no eq is needed. */
		if (sc_hashmap_get(&m->map, sc_hash_u64(id), NULL, NULL, NULL, &v))
			return sc_diag_error(d, 0, 0, -1, "%s id %" PRIu64 " is defined twice",
					     what, id);
		if (sc_hashmap_put(&m->map, sc_hash_u64(id), ours ? ours[i] : i + 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Our id for producer id `id`, or 0 when the profile does not define it. */
static uint32_t idmap_get(const struct idmap *m, uint64_t id, const uint32_t *ours)
{
	uint64_t v;
	if (m->dense)
		return id && id <= m->n ? (ours ? ours[id - 1] : (uint32_t)id) : 0;
	if (!id || !sc_hashmap_get(&m->map, sc_hash_u64(id), NULL, NULL, NULL, &v))
		return 0;
	return (uint32_t)v;
}

static uint64_t mapping_id(const void *a, size_t i)
{
	return ((pb_mapping *const *)a)[i]->id;
}
static uint64_t location_id(const void *a, size_t i)
{
	return ((pb_location *const *)a)[i]->id;
}
static uint64_t function_id(const void *a, size_t i)
{
	return ((pb_function *const *)a)[i]->id;
}

struct dec {
	const pb_profile *in;
	sc_profile *p;
	sc_diag *d;
	sc_str *strs; /* producer string index -> our string id */
	size_t nstrs;
	sc_str span_key, end_key, depth_key, tname_key; /* "scorch_span", "span_end_ns",
							   "span_depth", "thread_name" */
	sc_str pid_key, tid_key, time_key, ns_unit;	/* our ids of "pid", "tid", "time_ns",
							 * "nanoseconds"; 0 when absent */
	struct idmap mappings, locations, functions;
	uint32_t *function_ids; /* our id of each producer function (deduplicated by the model) */
	SC_VEC(sc_line) line_buf;
	SC_VEC(uint32_t) stack_buf;
};

/* Translates string index `idx`; on failure fills the diag, naming the referrer. */
static int str_ref(struct dec *x, int64_t idx, sc_str *out, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int str_ref(struct dec *x, int64_t idx, sc_str *out, const char *fmt, ...)
{
	if (idx >= 0 && (uint64_t)idx < x->nstrs) {
		*out = x->strs[idx];
		return 0;
	}
	char who[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(who, sizeof(who), fmt, ap);
	va_end(ap);
	return sc_diag_error(
	    x->d, 0, 0, -1, "%s refers to string %" PRId64 ", but the string table has %zu entries",
	    who, idx, x->nstrs);
}

static int dec_strings(struct dec *x)
{
	const pb_profile *in = x->in;
	x->nstrs = in->n_string_table ? in->n_string_table : 1;
	x->strs = calloc(x->nstrs, sizeof(*x->strs));
	if (!x->strs)
		return -ENOMEM;
	if (in->n_string_table && in->string_table[0].len != 0)
		return sc_diag_error(x->d, 0, 0, -1,
				     "the string table's first entry must be the empty string");
	for (size_t i = 1; i < in->n_string_table; i++) {
		const ProtobufCBinaryData *s = &in->string_table[i];
		int64_t id = sc_profile_intern_n(x->p, (const char *)s->data, s->len);
		if (id < 0)
			return (int)id;
		x->strs[i] = (sc_str)id;
		if (s->len == 3 && memcmp(s->data, "pid", 3) == 0)
			x->pid_key = (sc_str)id;
		if (s->len == 3 && memcmp(s->data, "tid", 3) == 0)
			x->tid_key = (sc_str)id;
		if (s->len == 7 && memcmp(s->data, "time_ns", 7) == 0)
			x->time_key = (sc_str)id;
		if (s->len == 11 && memcmp(s->data, "nanoseconds", 11) == 0)
			x->ns_unit = (sc_str)id;
		if (s->len == 11 && memcmp(s->data, "scorch_span", 11) == 0)
			x->span_key = (sc_str)id;
		if (s->len == 11 && memcmp(s->data, "span_end_ns", 11) == 0)
			x->end_key = (sc_str)id;
		if (s->len == 10 && memcmp(s->data, "span_depth", 10) == 0)
			x->depth_key = (sc_str)id;
		if (s->len == 11 && memcmp(s->data, "thread_name", 11) == 0)
			x->tname_key = (sc_str)id;
	}
	return 0;
}

static int dec_metadata(struct dec *x)
{
	const pb_profile *in = x->in;
	sc_profile *p = x->p;
	int r;
	if (in->n_sample_type == 0)
		return sc_diag_error(x->d, 0, 0, -1, "the profile defines no sample types");
	if (in->n_sample_type > SC_MAX_SAMPLE_TYPES)
		return sc_diag_error(x->d, 0, 0, -1,
				     "the profile has %zu sample types; scorch reads at most %d",
				     in->n_sample_type, SC_MAX_SAMPLE_TYPES);
	for (size_t i = 0; i < in->n_sample_type; i++) {
		sc_value_type *t = &p->sample_types[i];
		if ((r = str_ref(x, in->sample_type[i]->type, &t->type, "sample type %zu", i)) <
			0 ||
		    (r = str_ref(x, in->sample_type[i]->unit, &t->unit, "sample type %zu", i)) < 0)
			return r;
	}
	p->nsample_types = in->n_sample_type;
	if ((r = str_ref(x, in->default_sample_type, &p->default_sample_type,
			 "default_sample_type")) < 0 ||
	    (r = str_ref(x, in->drop_frames, &p->drop_frames, "drop_frames")) < 0 ||
	    (r = str_ref(x, in->keep_frames, &p->keep_frames, "keep_frames")) < 0)
		return r;
	if (in->period_type &&
	    ((r = str_ref(x, in->period_type->type, &p->period_type.type, "period_type")) < 0 ||
	     (r = str_ref(x, in->period_type->unit, &p->period_type.unit, "period_type")) < 0))
		return r;
	p->period = in->period;
	p->time_nanos = in->time_nanos;
	p->duration_nanos = in->duration_nanos;
	for (size_t i = 0; i < in->n_comment; i++) {
		sc_str c;
		if ((r = str_ref(x, in->comment[i], &c, "comment %zu", i)) < 0)
			return r;
		if (sc_vec_push(&p->comments, c) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int dec_mappings(struct dec *x)
{
	const pb_profile *in = x->in;
	int r;
	for (size_t i = 0; i < in->n_mapping; i++) {
		const pb_mapping *m = in->mapping[i];
		sc_mapping o = {.start = m->memory_start,
				.limit = m->memory_limit,
				.offset = m->file_offset,
				.symbolized = m->has_functions};
		if ((r = str_ref(x, m->filename, &o.file, "mapping %" PRIu64, m->id)) < 0 ||
		    (r = str_ref(x, m->build_id, &o.build_id, "mapping %" PRIu64, m->id)) < 0)
			return r;
		o.kernel = strncmp(sc_profile_str(x->p, o.file), "[kernel", 7) == 0;
		if (sc_profile_add_mapping(x->p, &o) < 0)
			return -ENOMEM;
	}
	return idmap_build(&x->mappings, in->n_mapping, mapping_id, in->mapping, NULL, "mapping",
			   x->d);
}

static int dec_functions(struct dec *x)
{
	const pb_profile *in = x->in;
	int r;
	x->function_ids = calloc(in->n_function ? in->n_function : 1, sizeof(*x->function_ids));
	if (!x->function_ids)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_function; i++) {
		const pb_function *f = in->function[i];
		sc_function o = {.start_line = f->start_line};
		if ((r = str_ref(x, f->name, &o.name, "function %" PRIu64, f->id)) < 0 ||
		    (r = str_ref(x, f->system_name, &o.system_name, "function %" PRIu64, f->id)) <
			0 ||
		    (r = str_ref(x, f->filename, &o.filename, "function %" PRIu64, f->id)) < 0)
			return r;
		int64_t id = sc_profile_add_function(x->p, &o);
		if (id < 0)
			return (int)id;
		x->function_ids[i] = (uint32_t)id;
	}
	return idmap_build(&x->functions, in->n_function, function_id, in->function,
			   x->function_ids, "function", x->d);
}

static int dec_locations(struct dec *x)
{
	const pb_profile *in = x->in;
	for (size_t i = 0; i < in->n_location; i++) {
		const pb_location *l = in->location[i];
		uint32_t mapping = 0;
		if (l->mapping_id && !(mapping = idmap_get(&x->mappings, l->mapping_id, NULL)))
			return sc_diag_error(x->d, 0, 0, -1,
					     "location %" PRIu64 " refers to mapping %" PRIu64
					     ", which the profile does not define",
					     l->id, l->mapping_id);
		x->line_buf.len = 0;
		if (sc_vec_reserve(&x->line_buf, l->n_line) < 0)
			return -ENOMEM;
		for (size_t k = 0; k < l->n_line; k++) {
			const pb_line *ln = l->line[k];
			uint32_t f = 0;
			if (ln->function_id &&
			    !(f = idmap_get(&x->functions, ln->function_id, x->function_ids)))
				return sc_diag_error(x->d, 0, 0, -1,
						     "location %" PRIu64
						     " refers to function %" PRIu64
						     ", which the profile does not define",
						     l->id, ln->function_id);
			x->line_buf.data[x->line_buf.len++] =
			    (sc_line){.function = f, .line = ln->line, .column = ln->column};
		}
		if (sc_profile_add_location(x->p, mapping, l->address, x->line_buf.data,
					    x->line_buf.len) < 0)
			return -ENOMEM;
	}
	return idmap_build(&x->locations, in->n_location, location_id, in->location, NULL,
			   "location", x->d);
}

/* pid/tid labels become sample fields when they are numeric and fit. */
static bool is_id_label(const pb_label *l, sc_str key, sc_str want)
{
	return want && key == want && l->str == 0 && l->num > 0 && l->num <= UINT32_MAX;
}

/* A "time_ns" label becomes sample.time_ns when numeric, positive and in nanoseconds. */
static bool is_time_label(const struct dec *x, const pb_label *l, sc_str key, sc_str unit)
{
	return x->time_key && key == x->time_key && l->str == 0 && l->num > 0 &&
	       (unit == 0 || unit == x->ns_unit);
}

/* A sample that stands for an interval (pprof_write.c: no location, every value 0, a
 * "scorch_span" label naming it): added to p->intervals. 1 when it was one, 0 when not, or
 * -ENOMEM. */
static int dec_interval(struct dec *x, const pb_sample *s, uint32_t pid, uint32_t tid,
			uint64_t time)
{
	for (size_t k = 0; k < s->n_value; k++)
		if (s->value[k])
			return 0;
	sc_str name = 0, tname = 0;
	uint64_t end = time;
	uint32_t depth = 0;
	for (size_t k = 0; k < s->n_label; k++) {
		const pb_label *l = s->label[k];
		sc_str key = x->strs[l->key];
		if (key == x->span_key && l->str)
			name = x->strs[l->str];
		else if (key == x->tname_key && l->str)
			tname = x->strs[l->str];
		else if (key == x->end_key && !l->str && l->num >= 0)
			end = (uint64_t)l->num;
		else if (key == x->depth_key && !l->str && l->num >= 0 && l->num < UINT32_MAX)
			depth = (uint32_t)l->num;
	}
	if (!name || !time)
		return 0;
	sc_profile *p = x->p;
	return sc_profile_add_interval(p, pid, tid, time, end, depth, sc_profile_str(p, name),
				       tname ? sc_profile_str(p, tname) : NULL) < 0
		   ? -ENOMEM
		   : 1;
}

static int dec_samples(struct dec *x)
{
	const pb_profile *in = x->in;
	sc_profile *p = x->p;
	int r;
	if (sc_vec_reserve(&p->samples, in->n_sample) < 0 ||
	    sc_vec_reserve(&p->values, in->n_sample * p->nsample_types) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_sample; i++) {
		const pb_sample *s = in->sample[i];
		if (s->n_value != p->nsample_types)
			return sc_diag_error(x->d, 0, 0, -1,
					     "sample %zu has %zu values, but the profile has %zu "
					     "sample types",
					     i, s->n_value, p->nsample_types);
		x->stack_buf.len = 0;
		if (sc_vec_reserve(&x->stack_buf, s->n_location_id) < 0)
			return -ENOMEM;
		for (size_t k = 0; k < s->n_location_id; k++) {
			uint32_t loc = idmap_get(&x->locations, s->location_id[k], NULL);
			if (!loc)
				return sc_diag_error(x->d, 0, 0, -1,
						     "sample %zu refers to location %" PRIu64
						     ", which the profile does not define",
						     i, s->location_id[k]);
			x->stack_buf.data[x->stack_buf.len++] = loc;
		}
		int64_t stack = sc_profile_intern_stack(p, x->stack_buf.data, x->stack_buf.len);
		if (stack < 0)
			return (int)stack;

		/* Check the labels and pick out pid/tid/time before the sample exists... */
		uint32_t pid = 0, tid = 0;
		uint64_t time = 0;
		for (size_t k = 0; k < s->n_label; k++) {
			const pb_label *l = s->label[k];
			sc_str key, str, unit;
			if ((r = str_ref(x, l->key, &key, "label %zu of sample %zu", k, i)) < 0 ||
			    (r = str_ref(x, l->str, &str, "label %zu of sample %zu", k, i)) < 0 ||
			    (r = str_ref(x, l->num_unit, &unit, "label %zu of sample %zu", k, i)) <
				0)
				return r;
			if (!pid && is_id_label(l, key, x->pid_key))
				pid = (uint32_t)l->num;
			else if (!tid && is_id_label(l, key, x->tid_key))
				tid = (uint32_t)l->num;
			else if (!time && is_time_label(x, l, key, unit))
				time = (uint64_t)l->num;
		}
		if (x->span_key && !s->n_location_id) {
			if ((r = dec_interval(x, s, pid, tid, time)) < 0)
				return r;
			if (r)
				continue;
		}
		if (sc_profile_add_sample(p, (sc_stack_id)stack, s->value, pid, tid, time) < 0)
			return -ENOMEM;
		/* ...then attach the others to it. */
		sc_sample *ss = &p->samples.data[p->samples.len - 1];
		bool pid_taken = false, tid_taken = false, time_taken = false;
		for (size_t k = 0; k < s->n_label; k++) {
			const pb_label *l = s->label[k];
			sc_str key = x->strs[l->key];
			if (pid && !pid_taken && is_id_label(l, key, x->pid_key) && l->num == pid) {
				pid_taken = true;
				continue;
			}
			if (tid && !tid_taken && is_id_label(l, key, x->tid_key) && l->num == tid) {
				tid_taken = true;
				continue;
			}
			if (time && !time_taken && is_time_label(x, l, key, x->strs[l->num_unit]) &&
			    (uint64_t)l->num == time) {
				time_taken = true;
				continue;
			}
			sc_label o = {.key = key,
				      .str = x->strs[l->str],
				      .num = l->num,
				      .num_unit = x->strs[l->num_unit]};
			if (sc_vec_push(&p->labels, o) < 0)
				return -ENOMEM;
			ss->nlabels++;
		}
	}
	return 0;
}

static void dec_release(struct dec *x)
{
	free(x->strs);
	free(x->function_ids);
	sc_hashmap_release(&x->mappings.map);
	sc_hashmap_release(&x->locations.map);
	sc_hashmap_release(&x->functions.map);
	sc_vec_release(&x->line_buf);
	sc_vec_release(&x->stack_buf);
}

static int convert(const pb_profile *in, sc_profile **out, sc_diag *d)
{
	struct dec x = {.in = in, .d = d};
	int r;
	x.p = sc_profile_new();
	if (!x.p)
		return -ENOMEM;
	if ((r = dec_strings(&x)) < 0 || (r = dec_metadata(&x)) < 0 || (r = dec_mappings(&x)) < 0 ||
	    (r = dec_functions(&x)) < 0 || (r = dec_locations(&x)) < 0 ||
	    (r = dec_samples(&x)) < 0) {
		sc_profile_free(x.p);
		x.p = NULL;
	}
	dec_release(&x);
	*out = x.p;
	return r;
}

/* protobuf-c's allocator hooks, only to tell a failed allocation from malformed input. */
static void *pb_alloc(void *oom, size_t n)
{
	void *p = malloc(n);
	if (!p)
		*(bool *)oom = true;
	return p;
}

static void pb_free(void *oom, void *p)
{
	(void)oom;
	free(p);
}

int sc_pprof_decode(const void *data, size_t n, sc_profile **out, sc_diag *d)
{
	return sc_pprof_decode_max(data, n, 0, out, d);
}

int sc_pprof_decode_max(const void *data, size_t n, size_t max, sc_profile **out, sc_diag *d)
{
	const uint8_t *bytes = data;
	uint8_t *raw = NULL;
	size_t nraw = n;
	int r;
	*out = NULL;
	if (n == 0)
		return sc_diag_error(d, 0, 0, -1, "empty file: not a pprof profile");
	if (is_gzip(bytes, n)) {
		if ((r = gunzip(bytes, n, max ? max : MAX_RAW_SIZE, &raw, &nraw, d)) < 0)
			return r;
		bytes = raw;
		if (nraw == 0) {
			r = sc_diag_error(d, 0, 0, -1, "the gzip data decompresses to nothing");
			goto out;
		}
	}
	bool oom = false;
	ProtobufCAllocator alloc = {pb_alloc, pb_free, &oom};
	pb_profile *msg = perftools__profiles__profile__unpack(&alloc, nraw, bytes);
	if (!msg) {
		/* protobuf-c says neither where nor why, so the message covers both causes. */
		r = oom ? -ENOMEM
			: sc_diag_error(d, 0, 0, -1,
					"not a pprof profile: the protobuf data is malformed or "
					"truncated");
		goto out;
	}
	r = convert(msg, out, d);
	perftools__profiles__profile__free_unpacked(msg, &alloc);
out:
	free(raw);
	return r;
}

int sc_pprof_read(const char *path, sc_profile **out, sc_diag *d)
{
	char *data;
	size_t n;
	*out = NULL;
	int r = sc_read_file(path, &data, &n);
	if (r < 0)
		return r;
	sc_diag_set_file(d, strcmp(path, "-") == 0 ? "<stdin>" : path);
	r = sc_pprof_decode(data, n, out, d);
	free(data);
	return r;
}

int sc_pprof_sniff(const void *data, size_t n)
{
	const uint8_t *b = data;
	if (is_gzip(b, n))
		return 1;
	/* Raw protobuf: the first fields must be Profile fields with their wire types. Text never
	 * passes: printable bytes are tags of fields above 15 or of wire types 3..7 ('#' is field 4
	 * type 3), and a NUL byte (field 0) is no tag. Producers write fields in any order. */
	return looks_like_profile(b, n, true, 8);
}

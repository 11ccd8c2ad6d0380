/*
 * pprof.c: reads and writes pprof files (see pprof.h for the contract).
 *
 * Writing builds protobuf-c structs that point into the sc_profile's strings and into a few flat
 * arrays allocated once per call (one per message kind plus one of pointers to them), so encoding
 * a large profile costs a handful of allocations, not one per sample. Equal samples are merged
 * first, and samples that share a stack share one location-id list. The bytes are then
 * gzip-compressed and written atomically (sc_write_file: temporary file, then rename).
 *
 * Reading unpacks with protobuf-c and copies into a new sc_profile, translating the producer's
 * string indexes and mapping/location/function ids into ours. Ids of other producers need not be
 * dense or ordered; they go through an id table (a direct index when they are 1..N in order, as
 * Go and scorch write them, a hashmap otherwise). Every reference is checked before use, so a
 * malformed file gives -EINVAL and a sentence saying which record points where.
 *
 * How the model maps onto the format, beyond the obvious field-by-field copies:
 *   - sample pid/tid are numeric labels "pid" and "tid", written only when nonzero and turned
 *     back into sample.pid/tid (not labels) when read;
 *   - sample time_ns is not written (pprof has no such field; a label per sample would bloat
 *     every file), so samples with equal stack, pid, tid and labels are written as one sample
 *     with summed values, as Go's runtime/pprof writes them: files shrink by the repeat factor
 *     and every view sees the same totals;
 *   - mapping.symbolized becomes has_functions/has_filenames/has_line_numbers/has_inline_frames
 *     and is read back from has_functions;
 *   - mapping.kernel is not a pprof field: on reading, a mapping whose file name starts with
 *     "[kernel" (perf's "[kernel.kallsyms]") is marked kernel.
 *
 * Not here: choosing the input format (the CLI sniffs with sc_pprof_sniff), symbolization.
 */
#include "formats/pprof.h"
#include "formats/profile.pb-c.h"
#include "util/fileio.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

/* Decompressed size above which a gzip stream is refused when the caller sets no cap (a bomb,
 * not a profile). */
#define MAX_RAW_SIZE ((size_t)4 << 30)
/* Decompressed bytes looked at before going on: enough for the first field's tag and length. */
#define EARLY_CHECK_BYTES 16

/* Level 1: on our profiles level 6 made files about 15% smaller for three times the CPU. */
#define GZIP_LEVEL 1

/* ---------------------------------------------------------------------------------------------
 * Encoding
 */

/* Every array the message points into; freed together. */
struct enc {
	pb_profile msg;
	ProtobufCBinaryData *strings;
	pb_value_type types[SC_MAX_SAMPLE_TYPES], *type_ptrs[SC_MAX_SAMPLE_TYPES], period_type;
	pb_sample *samples;
	pb_sample **sample_ptrs;
	uint64_t *stack_ids;   /* location-id lists, leaf first, one per distinct stack */
	uint32_t *stack_first; /* per stack node: 1 + start of its list in stack_ids, 0 if none */
	pb_label *labels;
	pb_label **label_ptrs;
	pb_mapping *mappings;
	pb_mapping **mapping_ptrs;
	pb_location *locations;
	pb_location **location_ptrs;
	pb_line *lines;
	pb_line **line_ptrs;
	pb_function *functions;
	pb_function **function_ptrs;
	int64_t *comments;
	int64_t *sums; /* values of merged samples */
};

static void enc_release(struct enc *e)
{
	free(e->strings);
	free(e->samples);
	free(e->sample_ptrs);
	free(e->stack_ids);
	free(e->stack_first);
	free(e->labels);
	free(e->label_ptrs);
	free(e->mappings);
	free(e->mapping_ptrs);
	free(e->locations);
	free(e->location_ptrs);
	free(e->lines);
	free(e->line_ptrs);
	free(e->functions);
	free(e->function_ptrs);
	free(e->comments);
	free(e->sums);
}

static void *alloc_array(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* Index of string `s` in the profile, or 0 when it is not there. */
static size_t find_string(const sc_profile *p, const char *s)
{
	for (size_t i = 1; i < p->strings.len; i++)
		if (strcmp(p->strings.data[i], s) == 0)
			return i;
	return 0;
}

static int enc_strings(struct enc *e, const sc_profile *p, int64_t *pid_key, int64_t *tid_key)
{
	bool want_pid = false, want_tid = false;
	for (size_t i = 0; i < p->samples.len; i++) {
		want_pid |= p->samples.data[i].pid != 0;
		want_tid |= p->samples.data[i].tid != 0;
	}
	size_t pid = want_pid ? find_string(p, "pid") : 0;
	size_t tid = want_tid ? find_string(p, "tid") : 0;
	size_t n = p->strings.len;
	e->strings = alloc_array(n + 2, sizeof(*e->strings));
	if (!e->strings)
		return -ENOMEM;
	for (size_t i = 0; i < p->strings.len; i++)
		e->strings[i] = (ProtobufCBinaryData){strlen(p->strings.data[i]),
						      (uint8_t *)p->strings.data[i]};
	if (want_pid && !pid) {
		pid = n;
		e->strings[n++] = (ProtobufCBinaryData){3, (uint8_t *)"pid"};
	}
	if (want_tid && !tid) {
		tid = n;
		e->strings[n++] = (ProtobufCBinaryData){3, (uint8_t *)"tid"};
	}
	e->msg.string_table = e->strings;
	e->msg.n_string_table = n;
	*pid_key = (int64_t)pid;
	*tid_key = (int64_t)tid;
	return 0;
}

/* The leaf-first location-id list of stack `id`, built once per distinct stack. */
static uint64_t *stack_list(struct enc *e, const sc_profile *p, sc_stack_id id, size_t *used)
{
	if (!e->stack_first[id]) {
		e->stack_first[id] = (uint32_t)(*used + 1);
		for (sc_stack_id n = id; n; n = p->nodes.data[n].parent)
			e->stack_ids[(*used)++] = p->nodes.data[n].location;
	}
	return &e->stack_ids[e->stack_first[id] - 1];
}

/* Samples are merged when stack, pid, tid and labels are equal; the group's first sample stands
 * for all of them. */
struct groups {
	const sc_profile *p;
	uint32_t *first; /* group -> index of its first sample */
	size_t n;
	sc_hashmap index; /* sample hash -> group */
};

static uint64_t sample_hash(const sc_profile *p, const sc_sample *s)
{
	uint64_t h = sc_hash_combine(sc_hash_u64(s->stack), ((uint64_t)s->pid << 32) | s->tid);
	for (uint32_t k = 0; k < s->nlabels; k++) {
		const sc_label *l = &p->labels.data[s->first_label + k];
		h = sc_hash_combine(h, ((uint64_t)l->key << 32) | l->str);
		h = sc_hash_combine(h, ((uint64_t)l->num_unit << 32) ^ (uint64_t)l->num);
	}
	return h;
}

static bool sample_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct groups *g = ctx;
	const sc_sample *a = &g->p->samples.data[g->first[value]], *b = key;
	if (a->stack != b->stack || a->pid != b->pid || a->tid != b->tid ||
	    a->nlabels != b->nlabels)
		return false;
	for (uint32_t k = 0; k < a->nlabels; k++) {
		const sc_label *x = &g->p->labels.data[a->first_label + k];
		const sc_label *y = &g->p->labels.data[b->first_label + k];
		if (x->key != y->key || x->str != y->str || x->num != y->num ||
		    x->num_unit != y->num_unit)
			return false;
	}
	return true;
}

/* Groups equal samples and sums their values into e->sums (group-major). */
static int merge_samples(struct enc *e, const sc_profile *p, struct groups *g)
{
	size_t ns = p->samples.len, nt = p->nsample_types;
	g->p = p;
	g->first = alloc_array(ns, sizeof(*g->first));
	e->sums = alloc_array(ns * nt, sizeof(*e->sums));
	if (!g->first || !e->sums)
		return -ENOMEM;
	for (size_t i = 0; i < ns; i++) {
		const sc_sample *s = &p->samples.data[i];
		const int64_t *v = sc_profile_sample_values(p, i);
		uint64_t h = sample_hash(p, s), grp;
		if (!sc_hashmap_get(&g->index, h, sample_eq, s, g, &grp)) {
			grp = g->n++;
			g->first[grp] = (uint32_t)i;
			if (sc_hashmap_put(&g->index, h, grp) < 0)
				return -ENOMEM;
			memcpy(&e->sums[grp * nt], v, nt * sizeof(*v));
			continue;
		}
		/* Saturating, as every sum of sample values (profile.h). */
		for (size_t t = 0; t < nt; t++)
			e->sums[grp * nt + t] = sc_sat_add(e->sums[grp * nt + t], v[t]);
	}
	return 0;
}

static int enc_samples(struct enc *e, const sc_profile *p, int64_t pid_key, int64_t tid_key)
{
	struct groups g = {0};
	int r = merge_samples(e, p, &g);
	if (r < 0)
		goto out;
	size_t ng = g.n, nlabels = 0, nids = 0;
	/* Room for every distinct stack's list: count it exactly with a marking pass. */
	e->stack_first = alloc_array(p->nodes.len, sizeof(*e->stack_first));
	if (!e->stack_first) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ng; i++) {
		const sc_sample *s = &p->samples.data[g.first[i]];
		if (!e->stack_first[s->stack]) {
			e->stack_first[s->stack] = 1;
			nids += p->nodes.data[s->stack].depth;
		}
		nlabels += s->nlabels + (s->pid != 0) + (s->tid != 0);
	}
	memset(e->stack_first, 0, p->nodes.len * sizeof(*e->stack_first));
	r = -ENOMEM;
	if (nids >= UINT32_MAX)
		goto out;
	e->samples = alloc_array(ng, sizeof(*e->samples));
	e->sample_ptrs = alloc_array(ng, sizeof(*e->sample_ptrs));
	e->stack_ids = alloc_array(nids, sizeof(*e->stack_ids));
	e->labels = alloc_array(nlabels, sizeof(*e->labels));
	e->label_ptrs = alloc_array(nlabels, sizeof(*e->label_ptrs));
	if (!e->samples || !e->sample_ptrs || !e->stack_ids || !e->labels || !e->label_ptrs)
		goto out;

	size_t used = 0, nl = 0;
	for (size_t i = 0; i < ng; i++) {
		const sc_sample *s = &p->samples.data[g.first[i]];
		pb_sample *o = &e->samples[i];
		perftools__profiles__sample__init(o);
		o->n_location_id = p->nodes.data[s->stack].depth;
		o->location_id = o->n_location_id ? stack_list(e, p, s->stack, &used) : NULL;
		o->n_value = p->nsample_types;
		o->value = &e->sums[i * p->nsample_types];
		o->label = &e->label_ptrs[nl];
		for (uint32_t k = 0; k < s->nlabels; k++) {
			const sc_label *l = &p->labels.data[s->first_label + k];
			pb_label *ol = &e->labels[nl];
			perftools__profiles__label__init(ol);
			ol->key = l->key;
			ol->str = l->str;
			ol->num = l->num;
			ol->num_unit = l->num_unit;
			e->label_ptrs[nl++] = ol;
		}
		if (s->pid) {
			pb_label *ol = &e->labels[nl];
			perftools__profiles__label__init(ol);
			ol->key = pid_key;
			ol->num = s->pid;
			e->label_ptrs[nl++] = ol;
		}
		if (s->tid) {
			pb_label *ol = &e->labels[nl];
			perftools__profiles__label__init(ol);
			ol->key = tid_key;
			ol->num = s->tid;
			e->label_ptrs[nl++] = ol;
		}
		o->n_label = (size_t)(&e->label_ptrs[nl] - o->label);
		e->sample_ptrs[i] = o;
	}
	e->msg.sample = e->sample_ptrs;
	e->msg.n_sample = ng;
	r = 0;
out:
	free(g.first);
	sc_hashmap_release(&g.index);
	return r;
}

static int enc_tables(struct enc *e, const sc_profile *p)
{
	size_t nm = p->mappings.len, nloc = p->locations.len, nf = p->functions.len, nlines = 0;
	for (size_t i = 0; i < nloc; i++)
		nlines += p->locations.data[i].nlines;
	e->mappings = alloc_array(nm, sizeof(*e->mappings));
	e->mapping_ptrs = alloc_array(nm, sizeof(*e->mapping_ptrs));
	e->locations = alloc_array(nloc, sizeof(*e->locations));
	e->location_ptrs = alloc_array(nloc, sizeof(*e->location_ptrs));
	e->lines = alloc_array(nlines, sizeof(*e->lines));
	e->line_ptrs = alloc_array(nlines, sizeof(*e->line_ptrs));
	e->functions = alloc_array(nf, sizeof(*e->functions));
	e->function_ptrs = alloc_array(nf, sizeof(*e->function_ptrs));
	if (!e->mappings || !e->mapping_ptrs || !e->locations || !e->location_ptrs || !e->lines ||
	    !e->line_ptrs || !e->functions || !e->function_ptrs)
		return -ENOMEM;

	for (size_t i = 0; i < nm; i++) {
		const sc_mapping *m = &p->mappings.data[i];
		pb_mapping *o = &e->mappings[i];
		perftools__profiles__mapping__init(o);
		o->id = i + 1;
		o->memory_start = m->start;
		o->memory_limit = m->limit;
		o->file_offset = m->offset;
		o->filename = m->file;
		o->build_id = m->build_id;
		o->has_functions = o->has_filenames = m->symbolized;
		o->has_line_numbers = o->has_inline_frames = m->symbolized;
		e->mapping_ptrs[i] = o;
	}
	size_t nl = 0;
	for (size_t i = 0; i < nloc; i++) {
		const sc_location *l = &p->locations.data[i];
		pb_location *o = &e->locations[i];
		perftools__profiles__location__init(o);
		o->id = i + 1;
		o->mapping_id = l->mapping;
		o->address = l->address;
		o->line = &e->line_ptrs[nl];
		o->n_line = l->nlines;
		for (uint32_t k = 0; k < l->nlines; k++) {
			const sc_line *sl = &p->lines.data[l->first_line + k];
			pb_line *ol = &e->lines[nl];
			perftools__profiles__line__init(ol);
			ol->function_id = sl->function;
			ol->line = sl->line;
			ol->column = sl->column;
			e->line_ptrs[nl++] = ol;
		}
		e->location_ptrs[i] = o;
	}
	for (size_t i = 0; i < nf; i++) {
		const sc_function *f = &p->functions.data[i];
		pb_function *o = &e->functions[i];
		perftools__profiles__function__init(o);
		o->id = i + 1;
		o->name = f->name;
		o->system_name = f->system_name;
		o->filename = f->filename;
		o->start_line = f->start_line;
		e->function_ptrs[i] = o;
	}
	e->msg.mapping = e->mapping_ptrs;
	e->msg.n_mapping = nm;
	e->msg.location = e->location_ptrs;
	e->msg.n_location = nloc;
	e->msg.function = e->function_ptrs;
	e->msg.n_function = nf;
	return 0;
}

static int enc_metadata(struct enc *e, const sc_profile *p)
{
	pb_profile *m = &e->msg;
	for (size_t i = 0; i < p->nsample_types; i++) {
		perftools__profiles__value_type__init(&e->types[i]);
		e->types[i].type = p->sample_types[i].type;
		e->types[i].unit = p->sample_types[i].unit;
		e->type_ptrs[i] = &e->types[i];
	}
	m->sample_type = e->type_ptrs;
	m->n_sample_type = p->nsample_types;
	m->default_sample_type = p->default_sample_type;
	if (p->period_type.type || p->period_type.unit) {
		perftools__profiles__value_type__init(&e->period_type);
		e->period_type.type = p->period_type.type;
		e->period_type.unit = p->period_type.unit;
		m->period_type = &e->period_type;
	}
	m->period = p->period;
	m->time_nanos = p->time_nanos;
	m->duration_nanos = p->duration_nanos;
	m->drop_frames = p->drop_frames;
	m->keep_frames = p->keep_frames;
	e->comments = alloc_array(p->comments.len, sizeof(*e->comments));
	if (!e->comments)
		return -ENOMEM;
	for (size_t i = 0; i < p->comments.len; i++)
		e->comments[i] = p->comments.data[i];
	m->comment = e->comments;
	m->n_comment = p->comments.len;
	return 0;
}

int sc_pprof_encode(const sc_profile *p, uint8_t **out, size_t *n)
{
	struct enc e = {0};
	int64_t pid_key, tid_key;
	int r;
	*out = NULL;
	*n = 0;
	perftools__profiles__profile__init(&e.msg);
	if ((r = enc_strings(&e, p, &pid_key, &tid_key)) < 0 ||
	    (r = enc_samples(&e, p, pid_key, tid_key)) < 0 || (r = enc_tables(&e, p)) < 0 ||
	    (r = enc_metadata(&e, p)) < 0)
		goto out;
	size_t size = perftools__profiles__profile__get_packed_size(&e.msg);
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	*n = perftools__profiles__profile__pack(&e.msg, buf);
	*out = buf;
out:
	enc_release(&e);
	return r;
}

/* gzip-compresses `in` into a malloc'd buffer. */
static int gzip_compress(const uint8_t *in, size_t n, uint8_t **out, size_t *outn)
{
	z_stream z = {0};
	if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	int r = 0;
	size_t cap = deflateBound(&z, n);
	uint8_t *buf = malloc(cap);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	z.next_in = (Bytef *)in;
	z.next_out = buf;
	/* zlib counts in uInt: feed and drain in chunks so inputs over 4 GiB work too. */
	size_t left_in = n, left_out = cap;
	int zr;
	do {
		uInt ci = left_in > UINT_MAX ? UINT_MAX : (uInt)left_in;
		uInt co = left_out > UINT_MAX ? UINT_MAX : (uInt)left_out;
		z.avail_in = ci;
		z.avail_out = co;
		zr = deflate(&z, ci == left_in ? Z_FINISH : Z_NO_FLUSH);
		left_in -= ci - z.avail_in;
		left_out -= co - z.avail_out;
	} while (zr == Z_OK);
	if (zr != Z_STREAM_END) {
		free(buf);
		r = -ENOMEM;
		goto out;
	}
	*out = buf;
	*outn = cap - left_out;
out:
	deflateEnd(&z);
	return r;
}

/* The gzip-compressed encoding of `p`, malloc'd. */
static int encode_gz(const sc_profile *p, uint8_t **gz, size_t *ngz)
{
	uint8_t *raw = NULL;
	size_t nraw;
	int r = sc_pprof_encode(p, &raw, &nraw);
	if (r < 0)
		return r;
	r = gzip_compress(raw, nraw, gz, ngz);
	free(raw);
	return r;
}

int sc_pprof_write(const sc_profile *p, const char *path)
{
	uint8_t *gz = NULL;
	size_t ngz;
	int r = encode_gz(p, &gz, &ngz);
	if (r == 0)
		r = sc_write_file(path, gz, ngz);
	free(gz);
	return r;
}

int sc_pprof_write_stream(const sc_profile *p, FILE *f)
{
	uint8_t *gz = NULL;
	size_t ngz;
	int r = encode_gz(p, &gz, &ngz);
	if (r == 0 && fwrite(gz, 1, ngz, f) != ngz)
		r = -EIO;
	free(gz);
	return r;
}

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
	sc_str pid_key, tid_key; /* our ids of "pid" and "tid", 0 when absent */
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

		/* Check the labels and pick out pid/tid before the sample exists... */
		uint32_t pid = 0, tid = 0;
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
		}
		if (sc_profile_add_sample(p, (sc_stack_id)stack, s->value, pid, tid, 0) < 0)
			return -ENOMEM;
		/* ...then attach the others to it. */
		sc_sample *ss = &p->samples.data[p->samples.len - 1];
		bool pid_taken = false, tid_taken = false;
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

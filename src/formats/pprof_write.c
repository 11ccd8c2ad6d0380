/*
 * pprof_write.c: writes pprof files (see pprof.h for the contract; pprof_read.c reads them).
 *
 * Writing builds protobuf-c structs that point into the sc_profile's strings and into a few flat
 * arrays allocated once per call (one per message kind plus one of pointers to them), so encoding
 * a large profile costs a handful of allocations, not one per sample. Equal samples are merged
 * first, and samples that share a stack share one location-id list. The bytes are then
 * gzip-compressed and written atomically (sc_write_file: temporary file, then rename).
 *
 * How the model maps onto the format, beyond the obvious field-by-field copies:
 *   - sample pid/tid are numeric labels "pid" and "tid", and time_ns a numeric label "time_ns"
 *     in unit "nanoseconds", each written only when nonzero (pprof_read.c turns them back into
 *     sample fields); pprof has no fields for them, and labels are what `pprof -tagfocus` and
 *     the Go tools already read. Thread and process names are the recorder's string labels
 *     "thread_name" and "process_name", written like any label (one string-table entry each,
 *     so a name costs a few bytes per sample);
 *   - samples with equal stack, pid, tid, time and labels are written as one sample with summed
 *     values, as Go's runtime/pprof writes them: profiles without times (folded stacks, merged
 *     perf script) shrink by the repeat factor and every view sees the same totals;
 *   - mapping.symbolized becomes has_functions/has_filenames/has_line_numbers/has_inline_frames.
 *
 * Not here: reading (pprof_read.c).
 */
#include "formats/pprof.h"
#include "formats/pprof_pb.h"
#include "util/fileio.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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
	int64_t *sums;	/* values of merged samples */
	int64_t *zeros; /* the values of an interval's sample */
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
	free(e->zeros);
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

/* The string ids of the keys (and unit) of the labels the sample fields become, and of those of
 * an interval's sample; 0 when unused. */
struct keys {
	int64_t pid, tid, time, ns;
	int64_t span, end, depth, tname;
};

/* Copies the string table, adding the label strings the sample fields need that `p` lacks. */
static int enc_strings(struct enc *e, const sc_profile *p, struct keys *k)
{
	bool want[8] = {false};
	for (size_t i = 0; i < p->samples.len; i++) {
		want[0] |= p->samples.data[i].pid != 0;
		want[1] |= p->samples.data[i].tid != 0;
		want[2] |= p->samples.data[i].time_ns != 0;
	}
	if (p->intervals.len)
		for (int i = 0; i < 8; i++)
			want[i] = true;
	want[3] = want[2];
	static const char *const names[8] = {"pid",	    "tid",	   "time_ns",
					     "nanoseconds", "scorch_span", "span_end_ns",
					     "span_depth",  "thread_name"};
	size_t id[8], n = p->strings.len;
	e->strings = alloc_array(n + 8, sizeof(*e->strings));
	if (!e->strings)
		return -ENOMEM;
	for (size_t i = 0; i < p->strings.len; i++)
		e->strings[i] = (ProtobufCBinaryData){strlen(p->strings.data[i]),
						      (uint8_t *)p->strings.data[i]};
	for (int i = 0; i < 8; i++) {
		id[i] = want[i] ? find_string(p, names[i]) : 0;
		if (want[i] && !id[i]) {
			id[i] = n;
			e->strings[n++] =
			    (ProtobufCBinaryData){strlen(names[i]), (uint8_t *)names[i]};
		}
	}
	e->msg.string_table = e->strings;
	e->msg.n_string_table = n;
	*k = (struct keys){(int64_t)id[0], (int64_t)id[1], (int64_t)id[2], (int64_t)id[3],
			   (int64_t)id[4], (int64_t)id[5], (int64_t)id[6], (int64_t)id[7]};
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
	h = sc_hash_combine(h, s->time_ns);
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
	    a->time_ns != b->time_ns || a->nlabels != b->nlabels)
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

static int enc_samples(struct enc *e, const sc_profile *p, const struct keys *ky)
{
	struct groups g = {0};
	int r = merge_samples(e, p, &g);
	if (r < 0)
		goto out;
	size_t ng = g.n, ni = p->intervals.len, nlabels = 7 * ni, nids = 0;
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
		nlabels += s->nlabels + (s->pid != 0) + (s->tid != 0) + (s->time_ns != 0);
	}
	memset(e->stack_first, 0, p->nodes.len * sizeof(*e->stack_first));
	r = -ENOMEM;
	if (nids >= UINT32_MAX)
		goto out;
	e->samples = alloc_array(ng + ni, sizeof(*e->samples));
	e->sample_ptrs = alloc_array(ng + ni, sizeof(*e->sample_ptrs));
	e->zeros = alloc_array(p->nsample_types + 1, sizeof(*e->zeros));
	e->stack_ids = alloc_array(nids, sizeof(*e->stack_ids));
	e->labels = alloc_array(nlabels, sizeof(*e->labels));
	e->label_ptrs = alloc_array(nlabels, sizeof(*e->label_ptrs));
	if (!e->samples || !e->sample_ptrs || !e->stack_ids || !e->labels || !e->label_ptrs ||
	    !e->zeros)
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
			ol->key = ky->pid;
			ol->num = s->pid;
			e->label_ptrs[nl++] = ol;
		}
		if (s->tid) {
			pb_label *ol = &e->labels[nl];
			perftools__profiles__label__init(ol);
			ol->key = ky->tid;
			ol->num = s->tid;
			e->label_ptrs[nl++] = ol;
		}
		if (s->time_ns) {
			pb_label *ol = &e->labels[nl];
			perftools__profiles__label__init(ol);
			ol->key = ky->time;
			ol->num = (int64_t)s->time_ns;
			ol->num_unit = ky->ns;
			e->label_ptrs[nl++] = ol;
		}
		o->n_label = (size_t)(&e->label_ptrs[nl] - o->label);
		e->sample_ptrs[i] = o;
	}
	for (size_t j = 0; j < ni; j++) {
		const sc_interval *iv = &p->intervals.data[j];
		pb_sample *o = &e->samples[ng + j];
		perftools__profiles__sample__init(o);
		o->n_value = p->nsample_types;
		o->value = e->zeros;
		o->label = &e->label_ptrs[nl];
		struct {
			int64_t key, str, num, unit;
			bool on;
		} ls[7] = {{ky->pid, 0, iv->pid, 0, iv->pid != 0},
			   {ky->tid, 0, iv->tid, 0, iv->tid != 0},
			   {ky->time, 0, (int64_t)iv->start_ns, ky->ns, true},
			   {ky->span, iv->name, 0, 0, true},
			   {ky->end, 0, (int64_t)iv->end_ns, ky->ns, true},
			   {ky->depth, 0, iv->depth, 0, true},
			   {ky->tname, iv->thread_name, 0, 0, iv->thread_name != 0}};
		for (int k = 0; k < 7; k++) {
			if (!ls[k].on)
				continue;
			pb_label *ol = &e->labels[nl];
			perftools__profiles__label__init(ol);
			ol->key = ls[k].key;
			ol->str = ls[k].str;
			ol->num = ls[k].num;
			ol->num_unit = ls[k].unit;
			e->label_ptrs[nl++] = ol;
		}
		o->n_label = (size_t)(&e->label_ptrs[nl] - o->label);
		e->sample_ptrs[ng + j] = o;
	}
	e->msg.sample = e->sample_ptrs;
	e->msg.n_sample = ng + ni;
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
	struct keys k;
	int r;
	*out = NULL;
	*n = 0;
	perftools__profiles__profile__init(&e.msg);
	if ((r = enc_strings(&e, p, &k)) < 0 || (r = enc_samples(&e, p, &k)) < 0 ||
	    (r = enc_tables(&e, p)) < 0 || (r = enc_metadata(&e, p)) < 0)
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

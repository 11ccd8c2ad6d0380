/*
 * profile.c: the sc_profile model (see profile.h for the shape and the contract).
 *
 * Interning tables hash the key to 64 bits and store the element's index as the map value; the
 * equality callbacks compare against the element arrays, so each key is stored once.
 */
#include "profile/profile.h"
#include "util/strbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct str_key {
	const char *s;
	size_t n;
};

static bool str_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_profile *p = ctx;
	const struct str_key *k = key;
	const char *s = p->strings.data[value];
	return strncmp(s, k->s, k->n) == 0 && s[k->n] == '\0';
}

int64_t sc_profile_intern_n(sc_profile *p, const char *s, size_t n)
{
	if (!s || !n) /* protobuf hands empty strings over as (NULL, 0) */
		s = "", n = 0;
	struct str_key k = {s, n};
	uint64_t h = sc_hash_bytes(s, n, 0);
	uint64_t v;
	if (sc_hashmap_get(&p->string_index, h, str_eq, &k, p, &v))
		return (int64_t)v;
	if (sc_vec_reserve(&p->strings, 1) < 0)
		return -ENOMEM;
	char *copy = malloc(n + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s, n);
	copy[n] = '\0';
	uint64_t id = p->strings.len;
	if (sc_hashmap_put(&p->string_index, h, id) < 0) {
		free(copy);
		return -ENOMEM;
	}
	p->strings.data[p->strings.len++] = copy;
	p->string_bytes += n + 1;
	return (int64_t)id;
}

int64_t sc_profile_intern(sc_profile *p, const char *s)
{
	return sc_profile_intern_n(p, s ? s : "", s ? strlen(s) : 0);
}

const char *sc_profile_str(const sc_profile *p, sc_str id)
{
	return id < p->strings.len ? p->strings.data[id] : "";
}

sc_profile *sc_profile_new(void)
{
	sc_profile *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	sc_stack_node root = {0};
	if (sc_profile_intern(p, "") != 0 || sc_vec_push(&p->nodes, root) < 0) {
		sc_profile_free(p);
		return NULL;
	}
	return p;
}

size_t sc_profile_memory(const sc_profile *p)
{
	return sizeof(*p) + p->string_bytes + sc_vec_bytes(p->strings) +
	       sc_hashmap_bytes(&p->string_index) + sc_vec_bytes(p->mappings) +
	       sc_vec_bytes(p->functions) + sc_hashmap_bytes(&p->function_index) +
	       sc_vec_bytes(p->locations) + sc_hashmap_bytes(&p->location_index) +
	       sc_vec_bytes(p->lines) + sc_vec_bytes(p->nodes) + sc_hashmap_bytes(&p->node_index) +
	       sc_vec_bytes(p->samples) + sc_vec_bytes(p->values) + sc_vec_bytes(p->labels) +
	       sc_vec_bytes(p->comments) + sc_vec_bytes(p->intervals) + sc_vec_bytes(p->counters);
}

void sc_profile_free(sc_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->strings.len; i++)
		free(p->strings.data[i]);
	sc_vec_release(&p->strings);
	sc_hashmap_release(&p->string_index);
	sc_vec_release(&p->mappings);
	sc_vec_release(&p->functions);
	sc_hashmap_release(&p->function_index);
	sc_vec_release(&p->locations);
	sc_hashmap_release(&p->location_index);
	sc_vec_release(&p->lines);
	sc_vec_release(&p->nodes);
	sc_hashmap_release(&p->node_index);
	sc_vec_release(&p->samples);
	sc_vec_release(&p->values);
	sc_vec_release(&p->labels);
	sc_vec_release(&p->comments);
	sc_vec_release(&p->intervals);
	sc_vec_release(&p->counters);
	free(p);
}

int sc_profile_add_interval(sc_profile *p, uint32_t pid, uint32_t tid, uint64_t start_ns,
			    uint64_t end_ns, uint32_t depth, const char *name,
			    const char *thread_name)
{
	int64_t s = sc_profile_intern(p, name);
	int64_t t = thread_name ? sc_profile_intern(p, thread_name) : 0;
	if (s < 0 || t < 0)
		return -ENOMEM;
	sc_interval iv = {pid,	 tid,	    start_ns, end_ns < start_ns ? start_ns : end_ns,
			  depth, (sc_str)s, (sc_str)t};
	return sc_vec_push(&p->intervals, iv);
}

int sc_profile_add_counter(sc_profile *p, const char *series, uint64_t time_ns, double value)
{
	int64_t s = sc_profile_intern(p, series);
	if (s < 0)
		return -ENOMEM;
	sc_counter_point c = {(sc_str)s, time_ns, value};
	return sc_vec_push(&p->counters, c);
}

static int by_thread_start(const void *a, const void *b, void *ctx)
{
	const sc_interval *x = &((const sc_interval *)ctx)[*(const size_t *)a];
	const sc_interval *y = &((const sc_interval *)ctx)[*(const size_t *)b];
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return x->depth < y->depth ? -1 : x->depth > y->depth;
}

size_t *sc_profile_intervals_by_thread(const sc_profile *p)
{
	size_t n = p->intervals.len;
	size_t *order = malloc((n ? n : 1) * sizeof(*order));
	if (!order)
		return NULL;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), by_thread_start, p->intervals.data);
	return order;
}

int sc_profile_add_sample_type(sc_profile *p, const char *type, const char *unit)
{
	if (p->nsample_types >= SC_MAX_SAMPLE_TYPES || p->samples.len)
		return -EINVAL;
	int64_t t = sc_profile_intern(p, type), u = sc_profile_intern(p, unit);
	if (t < 0 || u < 0)
		return -ENOMEM;
	p->sample_types[p->nsample_types] = (sc_value_type){(sc_str)t, (sc_str)u};
	return (int)p->nsample_types++;
}

int sc_profile_find_sample_type(const sc_profile *p, const char *type)
{
	for (size_t i = 0; i < p->nsample_types; i++)
		if (strcmp(sc_profile_str(p, p->sample_types[i].type), type) == 0)
			return (int)i;
	return -1;
}

int64_t sc_profile_add_mapping(sc_profile *p, const sc_mapping *m)
{
	if (sc_vec_push(&p->mappings, *m) < 0)
		return -ENOMEM;
	return (int64_t)p->mappings.len;
}

static uint64_t function_hash(const sc_function *f)
{
	uint64_t h = sc_hash_u64(f->name);
	h = sc_hash_combine(h, f->system_name);
	h = sc_hash_combine(h, f->filename);
	return sc_hash_combine(h, (uint64_t)f->start_line);
}

static bool function_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_profile *p = ctx;
	const sc_function *a = &p->functions.data[value], *b = key;
	return a->name == b->name && a->system_name == b->system_name &&
	       a->filename == b->filename && a->start_line == b->start_line;
}

int64_t sc_profile_add_function(sc_profile *p, const sc_function *f)
{
	uint64_t h = function_hash(f), v;
	if (sc_hashmap_get(&p->function_index, h, function_eq, f, p, &v))
		return (int64_t)v + 1;
	if (sc_vec_reserve(&p->functions, 1) < 0 ||
	    sc_hashmap_put(&p->function_index, h, p->functions.len) < 0)
		return -ENOMEM;
	p->functions.data[p->functions.len++] = *f;
	return (int64_t)p->functions.len;
}

struct loc_key {
	uint32_t mapping;
	uint64_t address;
};

static bool location_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_profile *p = ctx;
	const struct loc_key *k = key;
	const sc_location *l = &p->locations.data[value];
	return l->mapping == k->mapping && l->address == k->address;
}

int64_t sc_profile_location_for_address(sc_profile *p, uint32_t mapping, uint64_t address)
{
	struct loc_key k = {mapping, address};
	uint64_t h = sc_hash_combine(sc_hash_u64(address), mapping), v;
	if (sc_hashmap_get(&p->location_index, h, location_eq, &k, p, &v))
		return (int64_t)v + 1;
	sc_location l = {.mapping = mapping, .address = address};
	if (sc_vec_reserve(&p->locations, 1) < 0 ||
	    sc_hashmap_put(&p->location_index, h, p->locations.len) < 0)
		return -ENOMEM;
	p->locations.data[p->locations.len++] = l;
	return (int64_t)p->locations.len;
}

int64_t sc_profile_add_location(sc_profile *p, uint32_t mapping, uint64_t address,
				const sc_line *lines, size_t nlines)
{
	if (sc_vec_reserve(&p->locations, 1) < 0 || sc_vec_reserve(&p->lines, nlines) < 0)
		return -ENOMEM;
	sc_location l = {.mapping = mapping,
			 .address = address,
			 .first_line = (uint32_t)p->lines.len,
			 .nlines = (uint32_t)nlines};
	if (nlines)
		memcpy(&p->lines.data[p->lines.len], lines, nlines * sizeof(*lines));
	p->lines.len += nlines;
	p->locations.data[p->locations.len++] = l;
	return (int64_t)p->locations.len;
}

int sc_profile_set_location_lines(sc_profile *p, uint32_t location, const sc_line *lines,
				  size_t nlines)
{
	sc_location *l = sc_profile_location(p, location);
	if (!l)
		return -EINVAL;
	if (nlines <= l->nlines) {
		/* Reuse the old slots: symbolizing twice must not grow the line array. */
		if (nlines)
			memcpy(&p->lines.data[l->first_line], lines, nlines * sizeof(*lines));
		l->nlines = (uint32_t)nlines;
		return 0;
	}
	if (sc_vec_reserve(&p->lines, nlines) < 0)
		return -ENOMEM;
	memcpy(&p->lines.data[p->lines.len], lines, nlines * sizeof(*lines));
	l->first_line = (uint32_t)p->lines.len;
	l->nlines = (uint32_t)nlines;
	p->lines.len += nlines;
	return 0;
}

struct node_key {
	sc_stack_id parent;
	uint32_t location;
};

static bool node_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_profile *p = ctx;
	const struct node_key *k = key;
	const sc_stack_node *n = &p->nodes.data[value];
	return n->parent == k->parent && n->location == k->location;
}

int64_t sc_profile_stack_child(sc_profile *p, sc_stack_id parent, uint32_t location)
{
	struct node_key k = {parent, location};
	uint64_t h = sc_hash_combine(sc_hash_u64(parent), location), v;
	if (sc_hashmap_get(&p->node_index, h, node_eq, &k, p, &v))
		return (int64_t)v;
	if (p->nodes.len >= UINT32_MAX)
		return -ENOMEM;
	if (sc_vec_reserve(&p->nodes, 1) < 0 || sc_hashmap_put(&p->node_index, h, p->nodes.len) < 0)
		return -ENOMEM;
	sc_stack_id id = (sc_stack_id)p->nodes.len;
	sc_stack_node *par = &p->nodes.data[parent];
	sc_stack_node n = {.parent = parent,
			   .location = location,
			   .depth = par->depth + 1,
			   .first_child = 0,
			   .next_sibling = par->first_child};
	par->first_child = id;
	p->nodes.data[p->nodes.len++] = n;
	return id;
}

int64_t sc_profile_intern_stack(sc_profile *p, const uint32_t *locations_leaf_first, size_t n)
{
	sc_stack_id id = 0;
	for (size_t i = n; i-- > 0;) {
		int64_t c = sc_profile_stack_child(p, id, locations_leaf_first[i]);
		if (c < 0)
			return c;
		id = (sc_stack_id)c;
	}
	return id;
}

int64_t sc_profile_add_sample(sc_profile *p, sc_stack_id stack, const int64_t *values, uint32_t pid,
			      uint32_t tid, uint64_t time_ns)
{
	if (sc_vec_reserve(&p->samples, 1) < 0 || sc_vec_reserve(&p->values, p->nsample_types) < 0)
		return -ENOMEM;
	sc_sample s = {.stack = stack,
		       .pid = pid,
		       .tid = tid,
		       .time_ns = time_ns,
		       .first_label = (uint32_t)p->labels.len};
	memcpy(&p->values.data[p->values.len], values, p->nsample_types * sizeof(*values));
	p->values.len += p->nsample_types;
	p->samples.data[p->samples.len++] = s;
	return (int64_t)p->samples.len - 1;
}

int sc_profile_add_label(sc_profile *p, const char *key, const char *str, int64_t num,
			 const char *num_unit)
{
	if (!p->samples.len)
		return -EINVAL;
	int64_t k = sc_profile_intern(p, key);
	int64_t s = str ? sc_profile_intern(p, str) : 0;
	int64_t u = num_unit ? sc_profile_intern(p, num_unit) : 0;
	if (k < 0 || s < 0 || u < 0)
		return -ENOMEM;
	sc_label l = {.key = (sc_str)k, .str = (sc_str)s, .num = num, .num_unit = (sc_str)u};
	if (sc_vec_push(&p->labels, l) < 0)
		return -ENOMEM;
	p->samples.data[p->samples.len - 1].nlabels++;
	return 0;
}

int sc_profile_add_comment(sc_profile *p, const char *s)
{
	int64_t id = sc_profile_intern(p, s);
	if (id < 0)
		return (int)id;
	return sc_vec_push(&p->comments, (sc_str)id);
}

int sc_profile_add_command_comment(sc_profile *p, char *const *argv)
{
	sc_strbuf sb = {0};
	int r = sc_strbuf_adds(&sb, "command: ");
	for (size_t i = 0; argv[i] && r == 0; i++)
		r = sc_strbuf_addf(&sb, "%s%s", i ? " " : "", argv[i]);
	if (r == 0)
		r = sc_profile_add_comment(p, sb.buf);
	sc_strbuf_release(&sb);
	return r < 0 ? -ENOMEM : 0;
}

int sc_profile_add_host_comment(sc_profile *p)
{
	char host[256], line[300];
	if (gethostname(host, sizeof(host)) != 0)
		return 0;
	host[sizeof(host) - 1] = 0;
	snprintf(line, sizeof(line), "host: %s", host);
	return sc_profile_add_comment(p, line) < 0 ? -ENOMEM : 0;
}

void sc_profile_totals(const sc_profile *p, int64_t *out)
{
	for (size_t t = 0; t < p->nsample_types; t++)
		out[t] = 0;
	for (size_t i = 0; i < p->samples.len; i++) {
		const int64_t *v = sc_profile_sample_values(p, i);
		for (size_t t = 0; t < p->nsample_types; t++)
			out[t] = sc_sat_add(out[t], v[t]);
	}
}

size_t sc_profile_stack_frames(const sc_profile *p, sc_stack_id id, sc_frame *out, size_t cap)
{
	/* Count first so frames can be written outermost first while walking leaf to root. */
	size_t total = 0;
	for (sc_stack_id n = id; n; n = p->nodes.data[n].parent) {
		const sc_location *l = sc_profile_location(p, p->nodes.data[n].location);
		total += l && l->nlines ? l->nlines : 1;
	}
	size_t pos = total;
	for (sc_stack_id n = id; n; n = p->nodes.data[n].parent) {
		uint32_t loc = p->nodes.data[n].location;
		const sc_location *l = sc_profile_location(p, loc);
		if (!l || !l->nlines) {
			pos--;
			if (pos < cap)
				out[pos] = (sc_frame){loc, UINT32_MAX, 0, false};
			continue;
		}
		/* lines[0] is innermost, so it is the deepest of this location's frames. */
		for (uint32_t i = 0; i < l->nlines; i++) {
			pos--;
			if (pos < cap)
				out[pos] =
				    (sc_frame){loc, i, p->lines.data[l->first_line + i].function,
					       i + 1 < l->nlines};
		}
	}
	return total;
}

const char *sc_profile_location_module(const sc_profile *p, uint32_t location)
{
	const sc_location *l = sc_profile_location(p, location);
	const sc_mapping *m = l ? sc_profile_mapping(p, l->mapping) : NULL;
	if (!m)
		return "?";
	if (m->kernel)
		return "[kernel]";
	const char *f = sc_profile_str(p, m->file);
	const char *slash = strrchr(f, '/');
	return slash ? slash + 1 : (*f ? f : "?");
}

const char *sc_profile_frame_name(const sc_profile *p, const sc_frame *f)
{
	static __thread char buf[512];
	const sc_function *fn = sc_profile_function(p, f->function);
	if (fn) {
		const char *name = sc_profile_str(p, fn->name);
		if (!*name)
			name = sc_profile_str(p, fn->system_name);
		if (*name)
			return name;
	}
	const sc_location *l = sc_profile_location(p, f->location);
	if (!l)
		return "[unknown]";
	const sc_mapping *m = sc_profile_mapping(p, l->mapping);
	if (!m) {
		snprintf(buf, sizeof(buf), "0x%" PRIx64, l->address);
	} else if (m->kernel) {
		snprintf(buf, sizeof(buf), "[kernel]+0x%" PRIx64, l->address);
	} else {
		uint64_t off = l->address - m->start + m->offset;
		snprintf(buf, sizeof(buf), "%s+0x%" PRIx64,
			 sc_profile_location_module(p, f->location), off);
	}
	return buf;
}

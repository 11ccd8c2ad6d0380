/*
 * frames.c: frame keys, the tree walk and per-node values shared by the views (see frames.h).
 *
 * Keys are interned through an sc_hashmap keyed by a hash of what makes a key in the mode
 * (name and module; plus file and line; or module and offset); the value is the key's index and
 * the equality callback compares the fields. The text and JSON helpers at the end are the
 * printers' common vocabulary (value scaling, column cells, JSON heads).
 */
#include "report/frames.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct key_probe {
	const char *name, *module, *file;
	int64_t line;
	uint64_t address;
};

static bool key_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_fkeys *k = ctx;
	const struct key_probe *probe = key;
	const sc_fkey *e = &k->keys.data[value];
	if (strcmp(e->module, probe->module) != 0)
		return false;
	switch (k->mode) {
	case SC_KEY_ADDRESS:
		return e->address == probe->address;
	case SC_KEY_LINE:
		if (e->line != probe->line || strcmp(e->file, probe->file) != 0)
			return false;
		break;
	case SC_KEY_FUNCTION:
		break;
	}
	return strcmp(e->name, probe->name) == 0;
}

static uint64_t key_hash(const sc_fkeys *k, const struct key_probe *probe)
{
	uint64_t h = sc_hash_bytes(probe->module, strlen(probe->module), 1);
	if (k->mode == SC_KEY_ADDRESS)
		return sc_hash_combine(h, probe->address);
	h = sc_hash_combine(h, sc_hash_bytes(probe->name, strlen(probe->name), 0));
	if (k->mode == SC_KEY_LINE)
		h = sc_hash_combine(sc_hash_combine(h, (uint64_t)probe->line),
				    sc_hash_bytes(probe->file, strlen(probe->file), 2));
	return h;
}

/* True when sc_profile_frame_name returns a profile string (stable) rather than its buffer. */
static bool name_is_borrowed(const sc_profile *p, const sc_frame *f)
{
	const sc_function *fn = sc_profile_function(p, f->function);
	return fn && (*sc_profile_str(p, fn->name) || *sc_profile_str(p, fn->system_name));
}

/* The offset of a location's address in its module's file, or the address itself for kernel
 * frames and frames without a mapping. */
static uint64_t module_offset(const sc_profile *p, const sc_location *l)
{
	const sc_mapping *m = sc_profile_mapping(p, l->mapping);
	if (!m || m->kernel)
		return l->address;
	return l->address - m->start + m->offset;
}

/* The key of one frame, added if new. Returns the key id or -ENOMEM. */
static int64_t frame_key(sc_fkeys *k, const sc_profile *p, const sc_frame *f)
{
	struct key_probe probe = {sc_profile_frame_name(p, f),
				  sc_profile_location_module(p, f->location), "", 0, 0};
	if (k->mode != SC_KEY_FUNCTION && f->line != UINT32_MAX) {
		const sc_location *l = sc_profile_location(p, f->location);
		const sc_line *ln = &p->lines.data[l->first_line + f->line];
		const sc_function *fn = sc_profile_function(p, ln->function);
		probe.file = fn ? sc_profile_str(p, fn->filename) : "";
		probe.line = ln->line;
	}
	if (k->mode == SC_KEY_ADDRESS)
		probe.address = module_offset(p, sc_profile_location(p, f->location));
	uint64_t h = key_hash(k, &probe);
	uint64_t v;
	if (sc_hashmap_get(&k->index, h, key_eq, &probe, k, &v))
		return (int64_t)v;
	sc_fkey e = {probe.name, probe.module, f->function, probe.file, probe.line, probe.address};
	if (!name_is_borrowed(p, f)) {
		char *copy = strdup(probe.name);
		if (!copy || sc_vec_push(&k->owned, copy) < 0) {
			free(copy);
			return -ENOMEM;
		}
		e.name = copy;
	}
	if (k->keys.len >= UINT32_MAX || sc_vec_reserve(&k->keys, 1) < 0 ||
	    sc_hashmap_put(&k->index, h, k->keys.len) < 0)
		return -ENOMEM;
	k->keys.data[k->keys.len] = e;
	return (int64_t)k->keys.len++;
}

int sc_fkeys_init(sc_fkeys *k, const sc_profile *p)
{
	return sc_fkeys_init_mode(k, p, SC_KEY_FUNCTION);
}

int sc_fkeys_init_mode(sc_fkeys *k, const sc_profile *p, sc_key_mode mode)
{
	*k = (sc_fkeys){.mode = mode};
	k->line_key = calloc(p->lines.len ? p->lines.len : 1, sizeof(*k->line_key));
	k->loc_key = calloc(p->locations.len ? p->locations.len : 1, sizeof(*k->loc_key));
	if (!k->line_key || !k->loc_key)
		goto fail;
	for (uint32_t id = 1; id <= p->locations.len; id++) {
		const sc_location *l = sc_profile_location(p, id);
		if (!l->nlines) {
			sc_frame f = {id, UINT32_MAX, 0, false};
			int64_t key = frame_key(k, p, &f);
			if (key < 0)
				goto fail;
			k->loc_key[id - 1] = (uint32_t)key;
			continue;
		}
		if (mode == SC_KEY_ADDRESS) {
			/* One key per address, named after its innermost frame (lines[0]). */
			const sc_line *ln = &p->lines.data[l->first_line];
			sc_frame f = {id, 0, ln->function, l->nlines > 1};
			int64_t key = frame_key(k, p, &f);
			if (key < 0)
				goto fail;
			for (uint32_t i = 0; i < l->nlines; i++)
				k->line_key[l->first_line + i] = (uint32_t)key;
			continue;
		}
		for (uint32_t i = 0; i < l->nlines; i++) {
			const sc_line *ln = &p->lines.data[l->first_line + i];
			sc_frame f = {id, i, ln->function, i + 1 < l->nlines};
			int64_t key = frame_key(k, p, &f);
			if (key < 0)
				goto fail;
			k->line_key[l->first_line + i] = (uint32_t)key;
		}
	}
	return 0;
fail:
	sc_fkeys_release(k);
	return -ENOMEM;
}

void sc_fkeys_release(sc_fkeys *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->owned.len; i++)
		free(k->owned.data[i]);
	sc_vec_release(&k->owned);
	sc_vec_release(&k->keys);
	sc_hashmap_release(&k->index);
	free(k->line_key);
	free(k->loc_key);
	k->line_key = k->loc_key = NULL;
}

uint32_t sc_fkeys_max_lines(const sc_profile *p)
{
	uint32_t max = 1;
	for (size_t i = 0; i < p->locations.len; i++)
		if (p->locations.data[i].nlines > max)
			max = p->locations.data[i].nlines;
	return max;
}

int sc_walk_tree(const sc_profile *p, int (*visit)(void *ctx, sc_stack_id id, bool leave),
		 void *ctx)
{
	/* Entries are node ids shifted left by one; the low bit marks "leaving this node". Each
	 * node is pushed twice (entering, then leaving below its children), so no recursion: stacks
	 * can be deep. */
	SC_VEC(uint64_t) stack = {0};
	int r = -ENOMEM;
	if (sc_vec_push(&stack, 0) < 0)
		goto out;
	while (stack.len) {
		uint64_t x = stack.data[--stack.len];
		sc_stack_id id = (sc_stack_id)(x >> 1);
		if ((r = visit(ctx, id, x & 1)) < 0)
			goto out;
		r = -ENOMEM;
		if (x & 1)
			continue;
		if (sc_vec_push(&stack, x | 1) < 0)
			goto out;
		for (sc_stack_id c = sc_profile_node(p, id)->first_child; c;
		     c = sc_profile_node(p, c)->next_sibling)
			if (sc_vec_push(&stack, (uint64_t)c << 1) < 0)
				goto out;
	}
	r = 0;
out:
	sc_vec_release(&stack);
	return r;
}

int sc_node_values(const sc_profile *p, int type, int64_t **self, int64_t **total)
{
	size_t n = p->nodes.len;
	int64_t *s = calloc(n ? n : 1, sizeof(*s));
	int64_t *t = NULL;
	if (!s)
		return -ENOMEM;
	if (type >= 0 && (size_t)type < p->nsample_types)
		for (size_t i = 0; i < p->samples.len; i++)
			s[p->samples.data[i].stack] = sc_sat_add(
			    s[p->samples.data[i].stack], sc_profile_sample_values(p, i)[type]);
	if (total) {
		t = malloc((n ? n : 1) * sizeof(*t));
		if (!t) {
			free(s);
			return -ENOMEM;
		}
		memcpy(t, s, n * sizeof(*t));
		/* A child's id is always larger than its parent's (the tree only grows at the
		 * leaves), so one backwards pass folds every subtree into its root. */
		for (size_t i = n; i-- > 1;)
			t[p->nodes.data[i].parent] = sc_sat_add(t[p->nodes.data[i].parent], t[i]);
		*total = t;
	}
	*self = s;
	return 0;
}

double sc_pct(int64_t v, int64_t total)
{
	return total ? 100.0 * (double)v / (double)total : 0.0;
}

/* `d` with three significant digits (two decimals at most) and a unit suffix. */
static void scaled(char *buf, size_t size, double d, const char *suffix)
{
	double a = d < 0 ? -d : d;
	snprintf(buf, size, "%.*f%s", a >= 99.95 ? 0 : a >= 9.995 ? 1 : 2, d, suffix);
}

void sc_fmt_value(char *buf, size_t size, int64_t v, const char *unit)
{
	double d = (double)v, a = d < 0 ? -d : d; /* -v would overflow for INT64_MIN */
	if (v != 0 && strcmp(unit, "nanoseconds") == 0) {
		if (a >= 1e9)
			scaled(buf, size, d / 1e9, "s");
		else if (a >= 1e6)
			scaled(buf, size, d / 1e6, "ms");
		else if (a >= 1e3)
			scaled(buf, size, d / 1e3, "us");
		else
			snprintf(buf, size, "%" PRId64 "ns", v);
	} else if (v != 0 && strcmp(unit, "bytes") == 0) {
		if (a >= 1024.0 * 1024 * 1024)
			scaled(buf, size, d / (1024.0 * 1024 * 1024), "GiB");
		else if (a >= 1024.0 * 1024)
			scaled(buf, size, d / (1024.0 * 1024), "MiB");
		else if (a >= 1024.0)
			scaled(buf, size, d / 1024.0, "KiB");
		else
			snprintf(buf, size, "%" PRId64 "B", v);
	} else {
		snprintf(buf, size, "%" PRId64, v);
	}
}

void sc_fit_value(size_t *width, int64_t v, const char *unit)
{
	char buf[32];
	sc_fmt_value(buf, sizeof(buf), v, unit);
	if (strlen(buf) > *width)
		*width = strlen(buf);
}

size_t sc_text_width(const char *s)
{
	return sc_text_columns(s);
}

int sc_add_cell(sc_strbuf *sb, const char *s, size_t width, bool pad)
{
	/* Neutralised first (control characters and ill-formed UTF-8 as \xNN), then measured and
	 * cut: what is left is well-formed UTF-8, one column per code point. */
	size_t start = sb->len;
	if (sc_strbuf_add_text(sb, s) < 0)
		return -ENOMEM;
	const char *t = sb->buf ? sb->buf + start : "";
	size_t w = 0;
	for (const char *q = t; *q; q++)
		if (((unsigned char)*q & 0xc0) != 0x80)
			w++;
	if (w <= width) {
		for (; pad && w < width; w++)
			if (sc_strbuf_addc(sb, ' ') < 0)
				return -ENOMEM;
		return 0;
	}
	size_t cols = 0;
	const char *q = t;
	while (*q) {
		if (((unsigned char)*q & 0xc0) != 0x80 && cols++ == width - 1)
			break;
		q++;
	}
	sb->len = start + (size_t)(q - t);
	sb->buf[sb->len] = '\0';
	return sc_strbuf_adds(sb, "\u2026") < 0 ? -ENOMEM : 0;
}

int sc_add_type_unit(sc_strbuf *sb, const char *type, const char *unit)
{
	if (sc_strbuf_add_text(sb, type) < 0 || sc_strbuf_adds(sb, " (") < 0 ||
	    sc_strbuf_add_text(sb, unit) < 0 || sc_strbuf_addc(sb, ')') < 0)
		return -ENOMEM;
	return 0;
}

int sc_end_row(sc_strbuf *sb)
{
	while (sb->len && sb->buf[sb->len - 1] == ' ')
		sb->buf[--sb->len] = '\0';
	return sc_strbuf_addc(sb, '\n');
}

int sc_write_strbuf(const sc_strbuf *sb, FILE *f)
{
	if (sb->len && fwrite(sb->buf, 1, sb->len, f) != sb->len)
		return -EIO;
	return ferror(f) ? -EIO : 0;
}

int sc_flush_strbuf(sc_strbuf *sb, FILE *f)
{
	if (sb->len && fwrite(sb->buf, 1, sb->len, f) != sb->len)
		return -EIO;
	sc_strbuf_reset(sb);
	return 0;
}

int sc_add_json_quoted(sc_strbuf *sb, const char *value)
{
	if (sc_strbuf_addc(sb, '"') < 0 || sc_strbuf_add_json(sb, value) < 0 ||
	    sc_strbuf_addc(sb, '"') < 0)
		return -ENOMEM;
	return 0;
}

int sc_add_json_str(sc_strbuf *sb, const char *key, const char *value)
{
	if (sc_strbuf_addf(sb, "\"%s\":", key) < 0 || sc_add_json_quoted(sb, value) < 0)
		return -ENOMEM;
	return 0;
}

int sc_add_json_head(sc_strbuf *sb, const char *schema, int version, const sc_profile *p, int type,
		     int64_t total)
{
	if (sc_strbuf_adds(sb, "{") < 0 || sc_add_json_str(sb, "schema", schema) < 0 ||
	    sc_strbuf_addf(sb, ",\"version\":%d,", version) < 0 ||
	    sc_add_json_str(sb, "sample_type", sc_profile_str(p, p->sample_types[type].type)) < 0 ||
	    sc_strbuf_addc(sb, ',') < 0 ||
	    sc_add_json_str(sb, "unit", sc_profile_str(p, p->sample_types[type].unit)) < 0 ||
	    sc_strbuf_addf(sb, ",\"total\":%" PRId64, total) < 0)
		return -ENOMEM;
	return 0;
}

const char *sc_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

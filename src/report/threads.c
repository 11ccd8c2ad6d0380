/*
 * threads.c: cost by thread or by process (see threads.h for the contract).
 *
 * One pass over the samples sums values per (id, name) pair in a hash table; sorting the pairs by
 * id, heaviest name first, then merges each id's pairs into one row named after its heaviest
 * pair. Work is linear in the samples plus a sort of the distinct pairs.
 *
 *     total: 802ms cpu (nanoseconds), 1 thread
 *
 *       share    cpu   samples       tid       pid      first       last  name
 *     100.00%  802ms       802       636       635     0.000s     0.801s  worker
 *
 * Not here: where the names come from (the recorder, src/record/sample.c; labels, filter.h).
 */
#include "report/threads.h"
#include "profile/filter.h"
#include "report/frames.h"
#include "util/hashmap.h"
#include "util/strbuf.h"
#include "util/vec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct pair {
	uint32_t id, pid;
	sc_str name;
	int64_t value, samples;
	uint64_t first, last; /* sample times, absolute; first UINT64_MAX when none */
};

struct pairs {
	SC_VEC(struct pair) v;
	sc_hashmap index;
};

struct pair_key {
	uint32_t id;
	sc_str name;
};

static bool pair_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct pairs *ps = ctx;
	const struct pair_key *k = key;
	const struct pair *a = &ps->v.data[value];
	return a->id == k->id && a->name == k->name;
}

/* By id, then heaviest first (the name a row takes), then name id for a stable order. */
static int by_id_value(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	int c = sc_cmp_desc(x->value, y->value);
	if (c)
		return c;
	return x->name < y->name ? -1 : x->name > y->name;
}

static int by_value(const void *a, const void *b)
{
	const sc_thread_row *x = a, *y = b;
	int c = sc_cmp_desc(x->value, y->value);
	if (c)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

int sc_threads_compute(const sc_profile *p, int type, sc_threads_key key, sc_threads *t)
{
	memset(t, 0, sizeof(*t));
	if (type < 0 || (size_t)type >= p->nsample_types)
		return -EINVAL;
	t->type = type;
	t->key = key;
	struct pairs ps = {0};
	sc_names names;
	sc_names_init(&names, p);
	bool process = key == SC_THREADS_BY_PROCESS;
	int r = -ENOMEM;
	uint64_t t0 = UINT64_MAX;
	for (size_t i = 0; i < p->samples.len; i++)
		if (p->samples.data[i].time_ns && p->samples.data[i].time_ns < t0)
			t0 = p->samples.data[i].time_ns;
	t->timed = t0 != UINT64_MAX;
	for (size_t i = 0; i < p->samples.len; i++) {
		const sc_sample *s = &p->samples.data[i];
		int64_t v = sc_profile_sample_values(p, i)[type];
		struct pair_key k = {process ? s->pid : s->tid,
				     process ? sc_sample_process_name(p, &names, i)
					     : sc_sample_thread_name(p, &names, i)};
		uint64_t h = sc_hash_combine(sc_hash_u64(k.id), k.name), at;
		if (!sc_hashmap_get(&ps.index, h, pair_eq, &k, &ps, &at)) {
			struct pair np = {k.id, s->pid, k.name, 0, 0, UINT64_MAX, 0};
			at = ps.v.len;
			if (sc_vec_push(&ps.v, np) < 0 || sc_hashmap_put(&ps.index, h, at) < 0)
				goto out;
		}
		struct pair *e = &ps.v.data[at];
		e->value = sc_sat_add(e->value, v);
		e->samples++;
		if (s->time_ns && s->time_ns < e->first)
			e->first = s->time_ns;
		if (s->time_ns > e->last)
			e->last = s->time_ns;
		t->grand_total = sc_sat_add(t->grand_total, v);
	}
	if (ps.v.len)
		qsort(ps.v.data, ps.v.len, sizeof(*ps.v.data), by_id_value);
	t->rows = calloc(ps.v.len ? ps.v.len : 1, sizeof(*t->rows));
	if (!t->rows)
		goto out;
	for (size_t i = 0; i < ps.v.len; i++) {
		const struct pair *e = &ps.v.data[i];
		if (i && e->id == ps.v.data[i - 1].id) {
			sc_thread_row *row = &t->rows[t->len - 1];
			row->value = sc_sat_add(row->value, e->value);
			row->samples += e->samples;
			if (e->first != UINT64_MAX && e->first - t0 < row->first_ns)
				row->first_ns = e->first - t0;
			if (e->last && e->last - t0 > row->last_ns)
				row->last_ns = e->last - t0;
			continue;
		}
		bool timed = t->timed && e->first != UINT64_MAX;
		t->rows[t->len++] = (sc_thread_row){e->id,
						    e->pid,
						    sc_profile_str(p, e->name),
						    e->value,
						    e->samples,
						    timed ? e->first - t0 : 0,
						    timed ? e->last - t0 : 0};
	}
	if (t->len)
		qsort(t->rows, t->len, sizeof(*t->rows), by_value);
	r = 0;
out:
	sc_vec_release(&ps.v);
	sc_hashmap_release(&ps.index);
	if (r < 0)
		sc_threads_release(t);
	return r;
}

void sc_threads_release(sc_threads *t)
{
	if (!t)
		return;
	free(t->rows);
	t->rows = NULL;
	t->len = 0;
}

int sc_threads_print_text(const sc_profile *p, const sc_threads *t, size_t n, FILE *f)
{
	const char *unit = sc_profile_str(p, p->sample_types[t->type].unit);
	const char *type = sc_profile_str(p, p->sample_types[t->type].type);
	bool process = t->key == SC_THREADS_BY_PROCESS;
	const char *what = process ? "process" : "thread";
	size_t rows = sc_limit(t->len, n), value_w = sc_text_width(type);
	for (size_t i = 0; i < rows; i++)
		sc_fit_value(&value_w, t->rows[i].value, unit);
	sc_strbuf sb = {0};
	char tot[32];
	sc_fmt_value(tot, sizeof(tot), t->grand_total, unit);
	int r = -ENOMEM;
	if (sc_strbuf_addf(&sb, "total: %s ", tot) < 0 || sc_add_type_unit(&sb, type, unit) < 0 ||
	    sc_strbuf_addf(&sb, ", %zu %s%s\n\n", t->len, process ? "process" : what,
			   t->len == 1 ? "" : (process ? "es" : "s")) < 0 ||
	    sc_strbuf_addf(&sb, "%7s  ", "share") < 0 ||
	    sc_strbuf_addf(&sb, "%*s", (int)(value_w - sc_text_width(type)), "") < 0 ||
	    sc_strbuf_add_text(&sb, type) < 0 ||
	    sc_strbuf_addf(&sb, "  %8s  %8s", "samples", process ? "pid" : "tid") < 0 ||
	    (!process && sc_strbuf_addf(&sb, "  %8s", "pid") < 0) ||
	    (t->timed && sc_strbuf_addf(&sb, "  %9s  %9s", "first", "last") < 0) ||
	    sc_strbuf_adds(&sb, "  name\n") < 0)
		goto out;
	for (size_t i = 0; i < rows; i++) {
		const sc_thread_row *row = &t->rows[i];
		char pct[16], v[32], id[16], pid[16];
		snprintf(pct, sizeof(pct), "%.2f%%", sc_pct(row->value, t->grand_total));
		sc_fmt_value(v, sizeof(v), row->value, unit);
		snprintf(id, sizeof(id), row->id ? "%" PRIu32 : "?", row->id);
		snprintf(pid, sizeof(pid), row->pid ? "%" PRIu32 : "?", row->pid);
		if (sc_strbuf_addf(&sb, "%7s  %*s  %8" PRId64 "  %8s", pct, (int)value_w, v,
				   row->samples, id) < 0 ||
		    (!process && sc_strbuf_addf(&sb, "  %8s", pid) < 0) ||
		    (t->timed && sc_strbuf_addf(&sb, "  %8.3fs  %8.3fs", row->first_ns / 1e9,
						row->last_ns / 1e9) < 0) ||
		    sc_strbuf_adds(&sb, "  ") < 0 ||
		    sc_strbuf_add_text(&sb, *row->name ? row->name : "?") < 0 ||
		    sc_strbuf_addc(&sb, '\n') < 0)
			goto out;
	}
	r = sc_write_strbuf(&sb, f);
out:
	sc_strbuf_release(&sb);
	return r;
}

int sc_threads_print_json(const sc_profile *p, const sc_threads *t, size_t n, FILE *f)
{
	sc_strbuf sb = {0};
	int r = -ENOMEM;
	size_t rows = sc_limit(t->len, n);
	if (sc_add_json_head(&sb, "scorch.threads", 1, p, t->type, t->grand_total) < 0 ||
	    sc_strbuf_addf(&sb, ",\"by\":\"%s\",\n\"rows\":[",
			   t->key == SC_THREADS_BY_PROCESS ? "process" : "thread") < 0)
		goto out;
	for (size_t i = 0; i < rows; i++) {
		const sc_thread_row *row = &t->rows[i];
		if (sc_strbuf_addf(&sb, "%s{\"id\":%" PRIu32 ",\"pid\":%" PRIu32 ",",
				   i ? ",\n" : "\n", row->id, row->pid) < 0 ||
		    sc_add_json_str(&sb, "name", row->name) < 0 ||
		    sc_strbuf_addf(&sb, ",\"value\":%" PRId64 ",\"pct\":%.2f,\"samples\":%" PRId64,
				   row->value, sc_pct(row->value, t->grand_total),
				   row->samples) < 0 ||
		    (t->timed && sc_strbuf_addf(&sb, ",\"first_s\":%.6f,\"last_s\":%.6f",
						row->first_ns / 1e9, row->last_ns / 1e9) < 0) ||
		    sc_strbuf_addc(&sb, '}') < 0)
			goto out;
	}
	if (sc_strbuf_adds(&sb, rows ? "\n]}\n" : "]}\n") < 0)
		goto out;
	r = sc_write_strbuf(&sb, f);
out:
	sc_strbuf_release(&sb);
	return r;
}

/*
 * diff.c: comparing two profiles function by function (see diff.h for the contract).
 *
 * How: sc_top_compute on each profile gives every function's self and total; the rows are joined
 * on (name, module), or on the name alone when either profile has no modules (every module "?",
 * as in folded stacks), through an sc_hashmap of the base's rows. Shares are of each profile's own
 * total, so the two runs need not be equally long.
 *
 * The JSON (sc_diff_print_json), annotated:
 *
 *   {"schema":"scorch.diff","version":1,
 *    "sample_type":"samples","unit":"count",   the new profile's sample type
 *    "base":{"name":"base.folded","total":100,"sample_type":"samples","unit":"count"},
 *    "new":{"name":"new.folded","total":200,"sample_type":"samples","unit":"count"},
 *    "matched_by":"name",                       or "name+module"
 *    "functions":3,                             rows in all (functions of either profile)
 *    "max_self_growth":{"name":"b","module":"?","self_pts":20.00},   or null
 *    "slower":[{"name":"b","module":"?",
 *               "base_self":30,"new_self":100,   values in each profile's unit
 *               "base_self_pct":30.00,"new_self_pct":50.00,
 *               "self_pts":20.00,                new% - base%, in points
 *               "self_rel":66.67,                (new% - base%) / base%, in percent; null when
 *                                                the base does not have the function
 *               "base_total":..,"new_total":..,"base_total_pct":..,"new_total_pct":..,
 *               "total_pts":..,"total_rel":..}],
 *    "faster":[...]}                             same rows
 *
 * "slower" holds the rows whose self share grew (largest first), then those whose self share did
 * not change but whose total grew; "faster" the mirror image. A change below 0.005 points (0.00
 * when printed) counts as none.
 */
#include "report/diff.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/frames.h"
#include "report/top.h"
#include "util/hashmap.h"
#include "util/strbuf.h"

#define EPS 0.005

struct diff_priv {
	sc_top base, new;
};

struct probe {
	const char *name, *module;
	bool by_name;
};

static bool entry_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_top *t = ctx;
	const struct probe *p = key;
	const sc_top_entry *e = &t->entries[value];
	return strcmp(e->name, p->name) == 0 && (p->by_name || strcmp(e->module, p->module) == 0);
}

static uint64_t entry_hash(const char *name, const char *module, bool by_name)
{
	uint64_t h = sc_hash_bytes(name, strlen(name), 0);
	return by_name ? h : sc_hash_combine(h, sc_hash_bytes(module, strlen(module), 1));
}

static bool has_modules(const sc_top *t)
{
	for (size_t i = 0; i < t->len; i++)
		if (strcmp(t->entries[i].module, "?") != 0)
			return true;
	return false;
}

double sc_diff_relative(double base_pct, double new_pct)
{
	return base_pct > 0 ? 100.0 * (new_pct - base_pct) / base_pct : NAN;
}

/* Biggest self change first (growth before shrinkage at equal size), then total, then name. */
static int cmp_row(const void *x, const void *y)
{
	const sc_diff_row *a = x, *b = y;
	double da = fabs(a->self_pts), db = fabs(b->self_pts);
	if (da != db)
		return da > db ? -1 : 1;
	if (a->self_pts != b->self_pts)
		return a->self_pts > b->self_pts ? -1 : 1;
	da = fabs(a->total_pts), db = fabs(b->total_pts);
	if (da != db)
		return da > db ? -1 : 1;
	int c = strcmp(a->name, b->name);
	return c ? c : strcmp(a->module, b->module);
}

int sc_diff_compute(const sc_profile *base, int base_type, const sc_profile *p, int new_type,
		    sc_diff *d)
{
	*d = (sc_diff){0};
	if (base_type < 0 || (size_t)base_type >= base->nsample_types || new_type < 0 ||
	    (size_t)new_type >= p->nsample_types)
		return -EINVAL;
	struct diff_priv *priv = calloc(1, sizeof(*priv));
	sc_hashmap index = {0};
	bool *used = NULL;
	int r = -ENOMEM;
	if (!priv)
		goto out;
	d->priv = priv;
	if ((r = sc_top_compute(base, base_type, &priv->base)) < 0 ||
	    (r = sc_top_compute(p, new_type, &priv->new)) < 0)
		goto out;
	r = -ENOMEM;
	const sc_top *tb = &priv->base, *tn = &priv->new;
	d->by_name = !has_modules(tb) || !has_modules(tn);
	d->base_total = tb->grand_total;
	d->new_total = tn->grand_total;
	d->type = sc_profile_str(p, p->sample_types[new_type].type);
	d->unit = sc_profile_str(p, p->sample_types[new_type].unit);
	d->base_type = sc_profile_str(base, base->sample_types[base_type].type);
	d->base_unit = sc_profile_str(base, base->sample_types[base_type].unit);
	d->rows = calloc(tb->len + tn->len + 1, sizeof(*d->rows));
	used = calloc(tb->len + 1, sizeof(*used));
	if (!d->rows || !used)
		goto out;
	for (size_t i = 0; i < tb->len; i++) {
		const sc_top_entry *e = &tb->entries[i];
		struct probe pr = {e->name, e->module, d->by_name};
		uint64_t h = entry_hash(e->name, e->module, d->by_name), v;
		/* By name alone, two base functions can share a name: the first (hottest) wins and
		 * the others are added up into it below. */
		if (!sc_hashmap_get(&index, h, entry_eq, &pr, tb, &v) &&
		    sc_hashmap_put(&index, h, i) < 0)
			goto out;
	}
	/* Rows of the base, indexed like tb->entries, so that name collisions merge. */
	for (size_t i = 0; i < tb->len; i++) {
		const sc_top_entry *e = &tb->entries[i];
		struct probe pr = {e->name, e->module, d->by_name};
		uint64_t v = i;
		sc_hashmap_get(&index, entry_hash(e->name, e->module, d->by_name), entry_eq, &pr,
			       tb, &v);
		sc_diff_row *row = &d->rows[v];
		if (!row->name) {
			row->name = e->name;
			row->module = e->module;
			used[v] = true;
		}
		row->base_self = sc_sat_add(row->base_self, e->self);
		row->base_total = sc_sat_add(row->base_total, e->total);
	}
	size_t len = tb->len;
	for (size_t i = 0; i < tn->len; i++) {
		const sc_top_entry *e = &tn->entries[i];
		struct probe pr = {e->name, e->module, d->by_name};
		uint64_t v;
		sc_diff_row *row;
		if (sc_hashmap_get(&index, entry_hash(e->name, e->module, d->by_name), entry_eq,
				   &pr, tb, &v)) {
			row = &d->rows[v];
			if (strcmp(row->module, "?") == 0)
				row->module = e->module;
		} else {
			row = &d->rows[len++];
			row->name = e->name;
			row->module = e->module;
		}
		row->new_self = sc_sat_add(row->new_self, e->self);
		row->new_total = sc_sat_add(row->new_total, e->total);
	}
	/* Drop the empty slots left by merged base rows. */
	size_t out = 0;
	for (size_t i = 0; i < len; i++) {
		if (i < tb->len && !used[i])
			continue;
		sc_diff_row *row = &d->rows[out++];
		*row = d->rows[i];
		row->base_self_pct = sc_pct(row->base_self, d->base_total);
		row->base_total_pct = sc_pct(row->base_total, d->base_total);
		row->new_self_pct = sc_pct(row->new_self, d->new_total);
		row->new_total_pct = sc_pct(row->new_total, d->new_total);
		row->self_pts = row->new_self_pct - row->base_self_pct;
		row->total_pts = row->new_total_pct - row->base_total_pct;
	}
	d->len = out;
	qsort(d->rows, d->len, sizeof(*d->rows), cmp_row);
	r = 0;
out:
	free(used);
	sc_hashmap_release(&index);
	if (r < 0)
		sc_diff_release(d);
	return r;
}

void sc_diff_release(sc_diff *d)
{
	if (!d)
		return;
	struct diff_priv *priv = d->priv;
	if (priv) {
		sc_top_release(&priv->base);
		sc_top_release(&priv->new);
		free(priv);
	}
	free(d->rows);
	*d = (sc_diff){0};
}

const sc_diff_row *sc_diff_max_self_growth(const sc_diff *d)
{
	const sc_diff_row *best = NULL;
	for (size_t i = 0; i < d->len; i++)
		if (d->rows[i].self_pts >= EPS && (!best || d->rows[i].self_pts > best->self_pts))
			best = &d->rows[i];
	return best;
}

/* Whether a row belongs to "slower" (sign 1) or "faster" (sign -1). */
static bool in_list(const sc_diff_row *r, int sign)
{
	double s = sign * r->self_pts, t = sign * r->total_pts;
	return s >= EPS || (fabs(r->self_pts) < EPS && t >= EPS);
}

/* The order of both lists: rows whose self share changed first, by the size of that change
 * (largest first in the list's direction: `sign` 1 for slower, -1 for faster), then the rows
 * whose total alone changed, likewise; then by name. */
static int cmp_list(const sc_diff_row *a, const sc_diff_row *b, int sign)
{
	bool sa = fabs(a->self_pts) >= EPS, sb = fabs(b->self_pts) >= EPS;
	if (sa != sb)
		return sa ? -1 : 1;
	double ka = sign * (sa ? a->self_pts : a->total_pts);
	double kb = sign * (sb ? b->self_pts : b->total_pts);
	if (ka != kb)
		return ka > kb ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int cmp_slower(const void *x, const void *y)
{
	return cmp_list(*(const sc_diff_row *const *)x, *(const sc_diff_row *const *)y, 1);
}

static int cmp_faster(const void *x, const void *y)
{
	return cmp_list(*(const sc_diff_row *const *)x, *(const sc_diff_row *const *)y, -1);
}

/* The rows of one list, ordered, at most n; a malloc'd array (NULL: -ENOMEM). */
static const sc_diff_row **list(const sc_diff *d, int sign, size_t n, size_t *len)
{
	const sc_diff_row **v = malloc((d->len ? d->len : 1) * sizeof(*v));
	size_t k = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < d->len; i++)
		if (in_list(&d->rows[i], sign))
			v[k++] = &d->rows[i];
	qsort(v, k, sizeof(*v), sign > 0 ? cmp_slower : cmp_faster);
	*len = sc_limit(k, n);
	return v;
}

static void rel_text(char *buf, size_t size, double base_pct, double new_pct)
{
	double r = sc_diff_relative(base_pct, new_pct);
	if (isnan(r))
		snprintf(buf, size, "%s", new_pct > 0 ? "new" : "-");
	else
		snprintf(buf, size, "%+.1f%%", r);
}

static int add_text_rows(sc_strbuf *sb, const char *title, const sc_diff_row *const *rows, size_t n,
			 bool modules)
{
	if (sc_strbuf_addf(sb, "\n%s:\n", title) < 0)
		return -ENOMEM;
	if (!n)
		return sc_strbuf_adds(sb, "  (none)\n");
	if (sc_strbuf_adds(sb, "  self pts     rel   self% base -> new   total pts     rel  "
			       "total% base -> new  function\n") < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const sc_diff_row *r = rows[i];
		char sr[24], tr[24];
		rel_text(sr, sizeof(sr), r->base_self_pct, r->new_self_pct);
		rel_text(tr, sizeof(tr), r->base_total_pct, r->new_total_pct);
		if (sc_strbuf_addf(sb,
				   "  %+8.2f %7s  %6.2f%% -> %6.2f%%   %+9.2f %7s  %6.2f%% -> "
				   "%6.2f%%  ",
				   r->self_pts, sr, r->base_self_pct, r->new_self_pct, r->total_pts,
				   tr, r->base_total_pct, r->new_total_pct) < 0 ||
		    sc_strbuf_add_text(sb, r->name) < 0 ||
		    (modules && strcmp(r->module, "?") != 0 &&
		     (sc_strbuf_adds(sb, "  [") < 0 || sc_strbuf_add_text(sb, r->module) < 0 ||
		      sc_strbuf_addc(sb, ']') < 0)) ||
		    sc_strbuf_addc(sb, '\n') < 0)
			return -ENOMEM;
	}
	return 0;
}

int sc_diff_print_text(const sc_diff *d, size_t n, FILE *f)
{
	size_t ns = 0, nf = 0;
	const sc_diff_row **slower = list(d, 1, n, &ns), **faster = list(d, -1, n, &nf);
	const sc_diff_row *max = sc_diff_max_self_growth(d);
	sc_strbuf sb = {0};
	int r = -ENOMEM;
	if (!slower || !faster)
		goto out;
	if (sc_strbuf_adds(&sb, "base: ") < 0 ||
	    sc_strbuf_add_text(&sb, d->base_name ? d->base_name : "base") < 0 ||
	    sc_strbuf_addf(&sb, ", total %" PRId64 " ", d->base_total) < 0 ||
	    sc_add_type_unit(&sb, d->base_type, d->base_unit) < 0 ||
	    sc_strbuf_adds(&sb, "\nnew:  ") < 0 ||
	    sc_strbuf_add_text(&sb, d->new_name ? d->new_name : "new") < 0 ||
	    sc_strbuf_addf(&sb, ", total %" PRId64 " ", d->new_total) < 0 ||
	    sc_add_type_unit(&sb, d->type, d->unit) < 0 ||
	    sc_strbuf_addf(&sb,
			   "\nshares are of each profile's own total; pts = new%% - base%%; "
			   "functions matched by %s\n",
			   d->by_name ? "name" : "name and module") < 0 ||
	    add_text_rows(&sb, "slower (share grew)", slower, ns, !d->by_name) < 0 ||
	    add_text_rows(&sb, "faster (share shrank)", faster, nf, !d->by_name) < 0)
		goto out;
	if (max) {
		if (sc_strbuf_adds(&sb, "\nlargest self growth: ") < 0 ||
		    sc_strbuf_add_text(&sb, max->name) < 0 ||
		    sc_strbuf_addf(&sb, " +%.2f pts (%.2f%% -> %.2f%%)\n", max->self_pts,
				   max->base_self_pct, max->new_self_pct) < 0)
			goto out;
	} else if (sc_strbuf_adds(&sb, "\nno function's self share grew\n") < 0) {
		goto out;
	}
	r = sc_write_strbuf(&sb, f);
out:
	free(slower);
	free(faster);
	sc_strbuf_release(&sb);
	return r;
}

static int add_json_rel(sc_strbuf *sb, const char *key, double base_pct, double new_pct)
{
	double r = sc_diff_relative(base_pct, new_pct);
	return isnan(r) ? sc_strbuf_addf(sb, ",\"%s\":null", key)
			: sc_strbuf_addf(sb, ",\"%s\":%.2f", key, r);
}

static int add_json_rows(sc_strbuf *sb, const char *key, const sc_diff_row *const *rows, size_t n)
{
	if (sc_strbuf_addf(sb, ",\n\"%s\":[", key) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const sc_diff_row *r = rows[i];
		if (sc_strbuf_adds(sb, i ? ",\n{\"name\":" : "\n{\"name\":") < 0 ||
		    sc_add_json_quoted(sb, r->name) < 0 || sc_strbuf_adds(sb, ",\"module\":") < 0 ||
		    sc_add_json_quoted(sb, r->module) < 0 ||
		    sc_strbuf_addf(
			sb,
			",\"base_self\":%" PRId64 ",\"new_self\":%" PRId64
			",\"base_self_pct\":%.2f,\"new_self_pct\":%.2f,\"self_pts\":%.2f",
			r->base_self, r->new_self, r->base_self_pct, r->new_self_pct,
			r->self_pts) < 0 ||
		    add_json_rel(sb, "self_rel", r->base_self_pct, r->new_self_pct) < 0 ||
		    sc_strbuf_addf(sb,
				   ",\"base_total\":%" PRId64 ",\"new_total\":%" PRId64
				   ",\"base_total_pct\":%.2f,\"new_total_pct\":%.2f"
				   ",\"total_pts\":%.2f",
				   r->base_total, r->new_total, r->base_total_pct, r->new_total_pct,
				   r->total_pts) < 0 ||
		    add_json_rel(sb, "total_rel", r->base_total_pct, r->new_total_pct) < 0 ||
		    sc_strbuf_addc(sb, '}') < 0)
			return -ENOMEM;
	}
	return sc_strbuf_adds(sb, n ? "\n]" : "]");
}

int sc_diff_print_json(const sc_diff *d, size_t n, FILE *f)
{
	size_t ns = 0, nf = 0;
	const sc_diff_row **slower = list(d, 1, n, &ns), **faster = list(d, -1, n, &nf);
	const sc_diff_row *max = sc_diff_max_self_growth(d);
	sc_strbuf sb = {0};
	int r = -ENOMEM;
	if (!slower || !faster)
		goto out;
	if (sc_strbuf_adds(&sb, "{\"schema\":\"scorch.diff\",\"version\":1,\"sample_type\":") < 0 ||
	    sc_add_json_quoted(&sb, d->type) < 0 || sc_strbuf_adds(&sb, ",\"unit\":") < 0 ||
	    sc_add_json_quoted(&sb, d->unit) < 0 ||
	    sc_strbuf_adds(&sb, ",\n\"base\":{\"name\":") < 0 ||
	    sc_add_json_quoted(&sb, d->base_name ? d->base_name : "base") < 0 ||
	    sc_strbuf_addf(&sb, ",\"total\":%" PRId64 ",\"sample_type\":", d->base_total) < 0 ||
	    sc_add_json_quoted(&sb, d->base_type) < 0 || sc_strbuf_adds(&sb, ",\"unit\":") < 0 ||
	    sc_add_json_quoted(&sb, d->base_unit) < 0 ||
	    sc_strbuf_adds(&sb, "},\n\"new\":{\"name\":") < 0 ||
	    sc_add_json_quoted(&sb, d->new_name ? d->new_name : "new") < 0 ||
	    sc_strbuf_addf(&sb, ",\"total\":%" PRId64 ",\"sample_type\":", d->new_total) < 0 ||
	    sc_add_json_quoted(&sb, d->type) < 0 || sc_strbuf_adds(&sb, ",\"unit\":") < 0 ||
	    sc_add_json_quoted(&sb, d->unit) < 0 ||
	    sc_strbuf_addf(&sb, "},\n\"matched_by\":\"%s\",\"functions\":%zu",
			   d->by_name ? "name" : "name+module", d->len) < 0 ||
	    sc_strbuf_adds(&sb, ",\n\"max_self_growth\":") < 0)
		goto out;
	if (max) {
		if (sc_strbuf_adds(&sb, "{\"name\":") < 0 ||
		    sc_add_json_quoted(&sb, max->name) < 0 ||
		    sc_strbuf_adds(&sb, ",\"module\":") < 0 ||
		    sc_add_json_quoted(&sb, max->module) < 0 ||
		    sc_strbuf_addf(&sb, ",\"self_pts\":%.2f}", max->self_pts) < 0)
			goto out;
	} else if (sc_strbuf_adds(&sb, "null") < 0) {
		goto out;
	}
	if (add_json_rows(&sb, "slower", slower, ns) < 0 ||
	    add_json_rows(&sb, "faster", faster, nf) < 0 || sc_strbuf_adds(&sb, "}\n") < 0)
		goto out;
	r = sc_write_strbuf(&sb, f);
out:
	free(slower);
	free(faster);
	sc_strbuf_release(&sb);
	return r;
}

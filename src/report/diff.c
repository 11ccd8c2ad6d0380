/*
 * diff.c: comparing two profiles function by function (see diff.h for the contract).
 *
 * How: sc_top_compute on each profile gives every function's self and total; the rows are joined
 * on (name, module), or on the name alone when either profile has no modules (every module "?",
 * as in folded stacks), through an sc_hashmap of the base's rows. Then each row's change: new
 * minus base in the unit when both profiles measure the same thing (sc_diff_same_measure), else
 * or on request new minus the base scaled to the new total (shares, as pprof -normalize).
 *
 * The JSON (sc_diff_print_json), annotated:
 *
 *   {"schema":"scorch.diff","version":2,
 *    "sample_type":"samples","unit":"count",   the new profile's sample type
 *    "base":{"name":"./app (base.pb.gz)",       the label: "COMMAND (PATH)", or PATH
 *            "path":"base.pb.gz",               as given (null when the caller set none)
 *            "command":"./app",                 the profile's "command:" comment, or null
 *            "total":110,"sample_type":"samples","unit":"count"},
 *    "new":{...},                               the same for the new profile
 *    "comparison":"absolute",                   or "shares"
 *    "normalized_by":"none",                    or "request" (--normalize), "measures differ"
 *    "scale":1,                                 what the base was multiplied by
 *    "matched_by":"name",                       or "name+module"
 *    "functions":6,                             rows in all (functions of either profile)
 *    "new_functions":1,"gone_functions":1,      functions in one profile only
 *    "max_self_growth":{"name":"fresh","module":"?","self_change":5.00,"self_pts":4.55},
 *                                               or null
 *    "slower":[{"name":"fresh","module":"?",
 *               "status":"new",                  "both", "new" (only in new), "gone"
 *               "base_self":0,"new_self":5,      raw values in each profile's unit
 *               "base_self_pct":0.00,"new_self_pct":7.69,   shares of each own total
 *               "self_change":5.00,              new - base (the base scaled for shares)
 *               "self_pts":4.55,                 the change in % of the (scaled) base total:
 *                                                new% - base% when shares are compared
 *               "self_rel":null,                 change / base, in percent; null when the
 *                                                base does not have the function
 *               "base_total":..,"new_total":..,"base_total_pct":..,"new_total_pct":..,
 *               "total_change":..,"total_pts":..,"total_rel":..}],
 *    "faster":[...]}                             same rows
 *
 * Version 1 compared shares only (no status, *_change, comparison, scale, path, command).
 *
 * "slower" holds the rows whose self grew (largest first), then those whose self did not change
 * but whose total grew; "faster" the mirror image. A change below 0.005 points (0.00 when
 * printed) counts as none.
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

const char *sc_diff_command(const sc_profile *p)
{
	for (size_t i = 0; i < p->comments.len; i++) {
		const char *c = sc_profile_str(p, p->comments.data[i]);
		if (strncmp(c, "command: ", 9) == 0 && c[9])
			return c + 9;
	}
	return NULL;
}

bool sc_diff_same_measure(const sc_profile *base, int base_type, const sc_profile *p, int new_type,
			  const char **why)
{
	const sc_value_type *tb = &base->sample_types[base_type], *tn = &p->sample_types[new_type];
	const char *unit = sc_profile_str(p, tn->unit);
	const char *w = NULL;
	if (strcmp(sc_profile_str(base, tb->type), sc_profile_str(p, tn->type)) != 0)
		w = "the profiles measure different sample types";
	else if (strcmp(sc_profile_str(base, tb->unit), unit) != 0)
		w = "the profiles measure in different units";
	else if (strcmp(unit, "count") == 0 &&
		 (base->period != p->period ||
		  strcmp(sc_profile_str(base, base->period_type.type),
			 sc_profile_str(p, p->period_type.type)) != 0 ||
		  strcmp(sc_profile_str(base, base->period_type.unit),
			 sc_profile_str(p, p->period_type.unit)) != 0))
		w = "the profiles count samples taken at different periods";
	if (why)
		*why = w;
	return !w;
}

/* Fills the changes of a row from its values (see diff.h). */
static void fill_row(sc_diff_row *row, const sc_diff *d)
{
	double ref = (double)d->base_total * d->scale;
	double bs = (double)row->base_self * d->scale, bt = (double)row->base_total * d->scale;
	row->base_self_pct = sc_pct(row->base_self, d->base_total);
	row->base_total_pct = sc_pct(row->base_total, d->base_total);
	row->new_self_pct = sc_pct(row->new_self, d->new_total);
	row->new_total_pct = sc_pct(row->new_total, d->new_total);
	row->self_delta = (double)row->new_self - bs;
	row->total_delta = (double)row->new_total - bt;
	row->self_rel = bs > 0 ? 100.0 * row->self_delta / bs : NAN;
	row->total_rel = bt > 0 ? 100.0 * row->total_delta / bt : NAN;
	if (d->normalized) {
		/* The shares' difference, exactly as each profile's own percentages give it. */
		row->self_pts = row->new_self_pct - row->base_self_pct;
		row->total_pts = row->new_total_pct - row->base_total_pct;
	} else {
		row->self_pts = ref > 0 ? 100.0 * row->self_delta / ref : 0;
		row->total_pts = ref > 0 ? 100.0 * row->total_delta / ref : 0;
	}
	row->presence = row->base_total == 0 && row->base_self == 0 ? SC_DIFF_NEW
			: row->new_total == 0 && row->new_self == 0 ? SC_DIFF_GONE
								    : SC_DIFF_BOTH;
}

int sc_diff_compute(const sc_profile *base, int base_type, const sc_profile *p, int new_type,
		    unsigned flags, sc_diff *d)
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
	d->base_command = sc_diff_command(base);
	d->new_command = sc_diff_command(p);
	d->asked = flags & SC_DIFF_NORMALIZE;
	d->normalized = d->asked || !sc_diff_same_measure(base, base_type, p, new_type, NULL);
	d->scale =
	    d->normalized && d->base_total > 0 ? (double)d->new_total / (double)d->base_total : 1.0;
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
		fill_row(row, d);
		d->nnew += row->presence == SC_DIFF_NEW;
		d->ngone += row->presence == SC_DIFF_GONE;
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

static void rel_text(char *buf, size_t size, const sc_diff_row *r, double rel)
{
	if (!isnan(rel))
		snprintf(buf, size, "%+.1f%%", rel);
	else
		snprintf(buf, size, "%s", r->presence == SC_DIFF_NEW ? "new" : "-");
}

/* A change in the unit, signed: "+25", "-1.20s". */
static void delta_text(char *buf, size_t size, double delta, const char *unit)
{
	/* The magnitude is rounded apart from the sign and capped, as totals saturate at
	 * INT64_MAX (so a change can reach -INT64_MAX, whose llround would not fit). */
	double a = fabs(delta);
	int64_t m = a >= 9.2e18 ? INT64_MAX : (int64_t)llround(a);
	char mag[32];
	sc_fmt_value(mag, sizeof(mag), m, unit);
	snprintf(buf, size, "%s%s", !m ? "" : delta > 0 ? "+" : "-", mag);
}

/* The columns of a row of values, and their heads. */
#define VALUE_ROW "  %12s %7s  %10s -> %-9s  %12s %7s  %10s -> %-9s  "

static int add_text_row(sc_strbuf *sb, const sc_diff *d, const sc_diff_row *r)
{
	char sr[24], tr[24];
	rel_text(sr, sizeof(sr), r, r->self_rel);
	rel_text(tr, sizeof(tr), r, r->total_rel);
	if (d->normalized)
		return sc_strbuf_addf(sb,
				      "  %+8.2f %7s  %6.2f%% -> %6.2f%%   %+9.2f %7s  %6.2f%% -> "
				      "%6.2f%%  ",
				      r->self_pts, sr, r->base_self_pct, r->new_self_pct,
				      r->total_pts, tr, r->base_total_pct, r->new_total_pct);
	char sd[40], bs[32], ns[32], td[40], bt[32], nt[32];
	delta_text(sd, sizeof(sd), r->self_delta, d->unit);
	delta_text(td, sizeof(td), r->total_delta, d->unit);
	sc_fmt_value(bs, sizeof(bs), r->base_self, d->unit);
	sc_fmt_value(ns, sizeof(ns), r->new_self, d->unit);
	sc_fmt_value(bt, sizeof(bt), r->base_total, d->unit);
	sc_fmt_value(nt, sizeof(nt), r->new_total, d->unit);
	return sc_strbuf_addf(sb, VALUE_ROW, sd, sr, bs, ns, td, tr, bt, nt);
}

static int add_text_rows(sc_strbuf *sb, const sc_diff *d, const char *title,
			 const sc_diff_row *const *rows, size_t n)
{
	if (sc_strbuf_addf(sb, "\n%s:\n", title) < 0)
		return -ENOMEM;
	if (!n)
		return sc_strbuf_adds(sb, "  (none)\n");
	if ((d->normalized
		 ? sc_strbuf_adds(sb, "  self pts     rel   self% base -> new   total pts "
				      "    rel  total% base -> new  function\n")
		 : sc_strbuf_addf(sb, VALUE_ROW "function\n", "self change", "rel", "self base",
				  "new", "total change", "rel", "total base", "new")) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const sc_diff_row *r = rows[i];
		if (add_text_row(sb, d, r) < 0 || sc_strbuf_add_text(sb, r->name) < 0 ||
		    (!d->by_name && strcmp(r->module, "?") != 0 &&
		     (sc_strbuf_adds(sb, "  [") < 0 || sc_strbuf_add_text(sb, r->module) < 0 ||
		      sc_strbuf_addc(sb, ']') < 0)) ||
		    (r->presence != SC_DIFF_BOTH &&
		     sc_strbuf_adds(sb, r->presence == SC_DIFF_NEW ? "  (new)" : "  (gone)") < 0) ||
		    sc_strbuf_addc(sb, '\n') < 0)
			return -ENOMEM;
	}
	return 0;
}

static int add_text_input(sc_strbuf *sb, const char *head, const char *name, int64_t total,
			  const char *type, const char *unit)
{
	return sc_strbuf_adds(sb, head) < 0 || sc_strbuf_add_text(sb, name) < 0 ||
		       sc_strbuf_addf(sb, ", total %" PRId64 " ", total) < 0 ||
		       sc_add_type_unit(sb, type, unit) < 0 || sc_strbuf_addc(sb, '\n') < 0
		   ? -ENOMEM
		   : 0;
}

/* The sentence saying which comparison was made and why (without a newline). */
static int add_comparison(sc_strbuf *sb, const sc_diff *d)
{
	if (!d->normalized)
		return sc_strbuf_adds(sb, "compared: absolute values, as both profiles measure ") <
				   0 ||
			       sc_add_type_unit(sb, d->type, d->unit) < 0 ||
			       sc_strbuf_adds(sb, strcmp(d->unit, "count") == 0
						      ? " at the same period"
						      : "") < 0 ||
			       sc_strbuf_adds(sb, " (--normalize compares shares)\nchange = new - "
						  "base; rel = change / base") < 0
			   ? -ENOMEM
			   : 0;
	const char *why = "as asked (--normalize)";
	bool differ = false;
	if (!d->asked) {
		/* sc_diff_compute normalized because the measures differ. */
		why = "as the profiles count samples taken at different periods";
		differ = strcmp(d->base_type, d->type) != 0 || strcmp(d->base_unit, d->unit) != 0;
		if (differ)
			why = "as the profiles measure different things (base: ";
	}
	if (sc_strbuf_addf(sb, "compared: shares (the base scaled to the new total, x%.4g), %s",
			   d->scale, why) < 0 ||
	    (differ &&
	     (sc_add_type_unit(sb, d->base_type, d->base_unit) < 0 ||
	      sc_strbuf_adds(sb, ", new: ") < 0 || sc_add_type_unit(sb, d->type, d->unit) < 0 ||
	      sc_strbuf_addc(sb, ')') < 0)) ||
	    sc_strbuf_adds(sb, "\nshares are of each profile's own total; pts = new% - base%") < 0)
		return -ENOMEM;
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
	if (add_text_input(&sb, "base: ", d->base_name ? d->base_name : "base", d->base_total,
			   d->base_type, d->base_unit) < 0 ||
	    add_text_input(&sb, "new:  ", d->new_name ? d->new_name : "new", d->new_total, d->type,
			   d->unit) < 0 ||
	    add_comparison(&sb, d) < 0 ||
	    sc_strbuf_addf(&sb, "\nfunctions matched by %s; %zu new, %zu gone\n",
			   d->by_name ? "name" : "name and module", d->nnew, d->ngone) < 0 ||
	    add_text_rows(&sb, d, d->normalized ? "slower (share grew)" : "slower (grew)", slower,
			  ns) < 0 ||
	    add_text_rows(&sb, d, d->normalized ? "faster (share shrank)" : "faster (shrank)",
			  faster, nf) < 0)
		goto out;
	if (max) {
		if (sc_strbuf_adds(&sb, "\nlargest self growth: ") < 0 ||
		    sc_strbuf_add_text(&sb, max->name) < 0)
			goto out;
		if (d->normalized) {
			if (sc_strbuf_addf(&sb, " +%.2f pts (%.2f%% -> %.2f%%)\n", max->self_pts,
					   max->base_self_pct, max->new_self_pct) < 0)
				goto out;
		} else {
			char dv[40], bv[32], nv[32];
			delta_text(dv, sizeof(dv), max->self_delta, d->unit);
			sc_fmt_value(bv, sizeof(bv), max->base_self, d->unit);
			sc_fmt_value(nv, sizeof(nv), max->new_self, d->unit);
			if (sc_strbuf_addf(&sb, " %s (%s -> %s), +%.2f pts of the base total\n", dv,
					   bv, nv, max->self_pts) < 0)
				goto out;
		}
	} else if (sc_strbuf_adds(&sb, d->normalized ? "\nno function's self share grew\n"
						     : "\nno function's self grew\n") < 0) {
		goto out;
	}
	r = sc_write_strbuf(&sb, f);
out:
	free(slower);
	free(faster);
	sc_strbuf_release(&sb);
	return r;
}

static int add_json_num(sc_strbuf *sb, const char *key, double v)
{
	return isnan(v) ? sc_strbuf_addf(sb, ",\"%s\":null", key)
			: sc_strbuf_addf(sb, ",\"%s\":%.2f", key, v);
}

static const char *const presence_names[] = {"both", "new", "gone"};

static int add_json_rows(sc_strbuf *sb, const char *key, const sc_diff_row *const *rows, size_t n)
{
	if (sc_strbuf_addf(sb, ",\n\"%s\":[", key) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const sc_diff_row *r = rows[i];
		if (sc_strbuf_adds(sb, i ? ",\n{\"name\":" : "\n{\"name\":") < 0 ||
		    sc_add_json_quoted(sb, r->name) < 0 || sc_strbuf_adds(sb, ",\"module\":") < 0 ||
		    sc_add_json_quoted(sb, r->module) < 0 ||
		    sc_strbuf_addf(sb, ",\"status\":\"%s\"", presence_names[r->presence]) < 0 ||
		    sc_strbuf_addf(
			sb,
			",\"base_self\":%" PRId64 ",\"new_self\":%" PRId64
			",\"base_self_pct\":%.2f,\"new_self_pct\":%.2f,\"self_change\":%.2f"
			",\"self_pts\":%.2f",
			r->base_self, r->new_self, r->base_self_pct, r->new_self_pct, r->self_delta,
			r->self_pts) < 0 ||
		    add_json_num(sb, "self_rel", r->self_rel) < 0 ||
		    sc_strbuf_addf(sb,
				   ",\"base_total\":%" PRId64 ",\"new_total\":%" PRId64
				   ",\"base_total_pct\":%.2f,\"new_total_pct\":%.2f"
				   ",\"total_change\":%.2f,\"total_pts\":%.2f",
				   r->base_total, r->new_total, r->base_total_pct, r->new_total_pct,
				   r->total_delta, r->total_pts) < 0 ||
		    add_json_num(sb, "total_rel", r->total_rel) < 0 || sc_strbuf_addc(sb, '}') < 0)
			return -ENOMEM;
	}
	return sc_strbuf_adds(sb, n ? "\n]" : "]");
}

static int add_json_input(sc_strbuf *sb, const char *name, const char *path, const char *command,
			  int64_t total, const char *type, const char *unit)
{
	return sc_add_json_quoted(sb, name) < 0 || sc_strbuf_adds(sb, ",\"path\":") < 0 ||
		       (path ? sc_add_json_quoted(sb, path) : sc_strbuf_adds(sb, "null")) < 0 ||
		       sc_strbuf_adds(sb, ",\"command\":") < 0 ||
		       (command ? sc_add_json_quoted(sb, command) : sc_strbuf_adds(sb, "null")) <
			   0 ||
		       sc_strbuf_addf(sb, ",\"total\":%" PRId64 ",\"sample_type\":", total) < 0 ||
		       sc_add_json_quoted(sb, type) < 0 || sc_strbuf_adds(sb, ",\"unit\":") < 0 ||
		       sc_add_json_quoted(sb, unit) < 0
		   ? -ENOMEM
		   : 0;
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
	if (sc_strbuf_adds(&sb, "{\"schema\":\"scorch.diff\",\"version\":2,\"sample_type\":") < 0 ||
	    sc_add_json_quoted(&sb, d->type) < 0 || sc_strbuf_adds(&sb, ",\"unit\":") < 0 ||
	    sc_add_json_quoted(&sb, d->unit) < 0 ||
	    sc_strbuf_adds(&sb, ",\n\"base\":{\"name\":") < 0 ||
	    add_json_input(&sb, d->base_name ? d->base_name : "base", d->base_path, d->base_command,
			   d->base_total, d->base_type, d->base_unit) < 0 ||
	    sc_strbuf_adds(&sb, "},\n\"new\":{\"name\":") < 0 ||
	    add_json_input(&sb, d->new_name ? d->new_name : "new", d->new_path, d->new_command,
			   d->new_total, d->type, d->unit) < 0 ||
	    sc_strbuf_addf(&sb, "},\n\"comparison\":\"%s\",\"normalized_by\":\"%s\",\"scale\":%.6g",
			   d->normalized ? "shares" : "absolute",
			   !d->normalized ? "none"
			   : d->asked	  ? "request"
					  : "measures differ",
			   d->scale) < 0 ||
	    sc_strbuf_addf(&sb,
			   ",\n\"matched_by\":\"%s\",\"functions\":%zu,\"new_functions\":%zu,"
			   "\"gone_functions\":%zu",
			   d->by_name ? "name" : "name+module", d->len, d->nnew, d->ngone) < 0 ||
	    sc_strbuf_adds(&sb, ",\n\"max_self_growth\":") < 0)
		goto out;
	if (max) {
		if (sc_strbuf_adds(&sb, "{\"name\":") < 0 ||
		    sc_add_json_quoted(&sb, max->name) < 0 ||
		    sc_strbuf_adds(&sb, ",\"module\":") < 0 ||
		    sc_add_json_quoted(&sb, max->module) < 0 ||
		    sc_strbuf_addf(&sb, ",\"self_change\":%.2f,\"self_pts\":%.2f}", max->self_delta,
				   max->self_pts) < 0)
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

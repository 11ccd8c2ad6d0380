/*
 * json.c: reads back the JSON reports libscorch-bench writes (baselines, `bench compare`).
 *
 * The format, schema "scorch.bench" version 1, written by scorch_bench_write_json (output.c).
 * Times are in the benchmark's "unit" ("ns", or "instructions" with --measure instructions);
 * unknown values are null. An annotated example (comments are not part of the file):
 *
 *   {"schema": "scorch.bench", "version": 1,        // bump version on incompatible change
 *    "created": "2024-05-01T12:00:00Z",
 *    "headline": "min_cpu",                        // or "min", "slope": what estimates.headline is
 *    "config": {"warmup_s": 0.5, "measure_s": 2, "samples": 50, "resamples": 10000,
 *               "confidence": 0.95, "noise": 0.02, "seed": 1, "repeat": 1,
 *               "confirm": 1,                      // --confirm; absent in older files
 *               "measure": "time"},
 *    "environment": {"hostname": "h", "kernel": "Linux 6.1 x86_64", "cpu_model": "...",
 *               "ncpus": 2, "hypervisor": true, "governor": null,      // null: no cpufreq
 *               "loadavg": [0.3, 0.2, 0.1], "loadavg_end": 0.9,
 *               "steal": 0.001,                    // fraction of CPU time, start to end
 *               "debug_build": false, "lib_debug_build": false,
 *               "timer_res_ns": 1, "timer_step_ns": 20, "timer_cost_ns": 19, "warnings": []},
 *    "baseline": null,                             // name compared against, if any
 *    "benchmarks": [
 *     {"id": "memgraph/similarity/1000", "group": "memgraph", "name": "similarity",
 *      "arg": 1000, "unit": "ns", "error": null,   // or why it failed: "Cannot allocate
 *                                                  // memory", "crashed: signal 11 (...)";
 *                                                  // then "samples" may be empty
 *      "estimates": {"headline": {"point": 801, "lo": 801, "hi": 803},  // per iteration
 *                    "slope": {"point": 812.5, "lo": 810, "hi": 815},
 *                    "mean": {...}, "median": {...}, "min": 805, "p10": 807, "mad": 2.1,
 *                    "stddev": 3.3, "r2": 0.9999, "cpu_slope": 811},
 *      "outliers": {"low_severe": 0, "low_mild": 0, "high_mild": 2, "high_severe": 1},
 *      "unstable": false,
 *      "throughput": {"kind": "elements", "per_iter": 1000, "per_second": 1.23e9} | null,
 *      "samples": {"iters": [d, 2d, ...], "wall": [total per batch], "cpu": [...] | null},
 *      "ab": {"a": "...", "b": "...", "slope_b": {...}, "ratio": {...}, "wall_b": [...]},
 *                                                  // A/B pairs only
 *      "comparison": {"base_median": .., "new_median": .., "base": .., "new": ..,  // headlines
 *                     "change": {...}, "p_value": ..,
 *                     "verdict": "improved" | "regressed" | "no change",   // with a baseline
 *                     "confirmed": false,          // only if measured again (--confirm):
 *                     "changes": [0.086, 0.019]},  // the first change, then each re-run's;
 *                                                  // verdict is "no change" when unconfirmed
 *      "repeat": {"runs": 3, "cv": {"slope": .., "median": .., "mean": .., "min": ..,
 *                                   "headline": ..},
 *                 "unstable": false}}                                   // with --repeat
 *    ],
 *    "complexity": [{"benchmark": "g/name", "best": "O(N)",
 *                    "fits": [{"model": "O(1)", "coef": .., "rms": ..}, ...]}]}
 *
 * The reader restores what a comparison needs and what the table prints: config, environment
 * strings and figures, every benchmark's samples and estimates. It re-derives nothing.
 *
 * The parser is a small recursive-descent one over the whole text into a tree of nodes; numbers
 * are doubles, strings are unescaped (\uXXXX to UTF-8, surrogate pairs joined).
 */
#include "bench/bench_impl.h"
#include "util/fileio.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct jnode {
	enum jtype type;
	double num;
	char *str; /* J_STR; also the key when a member of an object */
	char *key;
	struct jnode *kids; /* J_ARR, J_OBJ */
	size_t nkids;
} jnode;

typedef struct jparser {
	const char *p, *end, *start;
	sc_diag *d;
	int depth;
	size_t values, max_values; /* parsed so far, and the cap */
} jparser;

static void jfree(jnode *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		jfree(&n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n->key);
}

static int jerr(jparser *ps, const char *what)
{
	/* Line and column of the error for the diagnostic. */
	int64_t line = 1, col = 1;
	for (const char *q = ps->start; q < ps->p && q < ps->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	return sc_diag_error(ps->d, line, col, ps->p - ps->start, "%s", what);
}

static void ws(jparser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r'))
		ps->p++;
}

static int put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int hex4(const char *s, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static int parse_string(jparser *ps, char **out)
{
	ps->p++; /* opening quote */
	const char *s = ps->p;
	while (ps->p < ps->end && *ps->p != '"') {
		if (*ps->p == '\\')
			ps->p++;
		ps->p++;
	}
	if (ps->p >= ps->end)
		return jerr(ps, "unterminated string");
	/* Unescaping never makes a string longer. */
	char *o = malloc((size_t)(ps->p - s) + 1), *w = o;
	if (!o)
		return -ENOMEM;
	for (const char *q = s; q < ps->p; q++) {
		if (*q != '\\') {
			*w++ = *q;
			continue;
		}
		q++;
		switch (*q) {
		case 'n':
			*w++ = '\n';
			break;
		case 't':
			*w++ = '\t';
			break;
		case 'r':
			*w++ = '\r';
			break;
		case 'b':
			*w++ = '\b';
			break;
		case 'f':
			*w++ = '\f';
			break;
		case 'u': {
			unsigned cp, lo;
			if (ps->p - q < 5 || hex4(q + 1, &cp) < 0) {
				free(o);
				return jerr(ps, "bad \\u escape");
			}
			q += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && ps->p - q >= 7 && q[1] == '\\' &&
			    q[2] == 'u' && hex4(q + 3, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				q += 6;
			}
			w += put_utf8(w, cp);
			break;
		}
		default:
			*w++ = *q;
		}
	}
	*w = 0;
	ps->p++;
	*out = o;
	return 0;
}

static int parse_value(jparser *ps, jnode *n);

static int parse_container(jparser *ps, jnode *n, char close)
{
	ps->p++;
	size_t cap = 0;
	ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		if (n->nkids == cap) {
			size_t nc = cap ? cap * 2 : 8;
			jnode *k = realloc(n->kids, nc * sizeof(*k));
			if (!k)
				return -ENOMEM;
			n->kids = k;
			cap = nc;
		}
		jnode *kid = &n->kids[n->nkids];
		memset(kid, 0, sizeof(*kid));
		n->nkids++;
		ws(ps);
		if (close == '}') {
			if (ps->p >= ps->end || *ps->p != '"')
				return jerr(ps, "expected a member name");
			int r = parse_string(ps, &kid->key);
			if (r < 0)
				return r;
			ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return jerr(ps, "expected ':'");
			ps->p++;
		}
		int r = parse_value(ps, kid);
		if (r < 0)
			return r;
		ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return 0;
		}
		return jerr(ps, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int parse_value(jparser *ps, jnode *n)
{
	ws(ps);
	if (ps->p >= ps->end)
		return jerr(ps, "unexpected end of input");
	if (++ps->depth > 64)
		return jerr(ps, "nested too deeply");
	/* Each value costs a node of some 50 bytes: without a bound, 32 MiB of "0," would take
	 * more than a gigabyte. */
	if (++ps->values > ps->max_values) {
		char m[96];
		snprintf(m, sizeof(m), "more than %zu values, the cap on a scorch.bench report",
			 ps->max_values);
		jerr(ps, m);
		return -EFBIG;
	}
	int r = 0;
	char c = *ps->p;
	size_t left = (size_t)(ps->end - ps->p);
	if (c == '{') {
		n->type = J_OBJ;
		r = parse_container(ps, n, '}');
	} else if (c == '[') {
		n->type = J_ARR;
		r = parse_container(ps, n, ']');
	} else if (c == '"') {
		n->type = J_STR;
		r = parse_string(ps, &n->str);
	} else if (left >= 4 && !strncmp(ps->p, "null", 4)) {
		n->type = J_NULL;
		ps->p += 4;
	} else if (left >= 4 && !strncmp(ps->p, "true", 4)) {
		n->type = J_BOOL;
		n->num = 1;
		ps->p += 4;
	} else if (left >= 5 && !strncmp(ps->p, "false", 5)) {
		n->type = J_BOOL;
		ps->p += 5;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		char *e;
		n->type = J_NUM;
		n->num = strtod(ps->p, &e);
		if (e == ps->p || e > ps->end)
			r = jerr(ps, "bad number");
		else
			ps->p = e;
	} else {
		r = jerr(ps, "unexpected character");
	}
	ps->depth--;
	return r;
}

static const jnode *jget(const jnode *o, const char *key)
{
	if (!o || o->type != J_OBJ)
		return NULL;
	for (size_t i = 0; i < o->nkids; i++)
		if (!strcmp(o->kids[i].key, key))
			return &o->kids[i];
	return NULL;
}

static double jnum_of(const jnode *o, const char *key)
{
	const jnode *n = jget(o, key);
	return n && (n->type == J_NUM || n->type == J_BOOL) ? n->num : NAN;
}

static bool jbool_of(const jnode *o, const char *key)
{
	const jnode *n = jget(o, key);
	return n && n->type == J_BOOL && n->num != 0;
}

/* strdup of a string member, NULL when absent or null; *bad set on allocation failure. */
static char *jstrdup(const jnode *o, const char *key, bool *bad)
{
	const jnode *n = jget(o, key);
	if (!n || n->type != J_STR)
		return NULL;
	char *s = strdup(n->str);
	if (!s)
		*bad = true;
	return s;
}

/* A count read as a double: its value when it is a whole number within [0, max], else `dflt`
 * (converting anything else to an integer type would be undefined). For fields only shown. */
static double jcount(double v, double max, double dflt)
{
	return v >= 0 && v <= max && v == floor(v) ? v : dflt;
}

static void jest(const jnode *o, const char *key, scorch_bench_estimate *e)
{
	const jnode *n = jget(o, key);
	e->point = jnum_of(n, "point");
	e->lo = jnum_of(n, "lo");
	e->hi = jnum_of(n, "hi");
}

static double *jarr(const jnode *a, size_t *n, bool *bad)
{
	*n = 0;
	if (!a || a->type != J_ARR)
		return NULL;
	double *v = malloc((a->nkids ? a->nkids : 1) * sizeof(*v));
	if (!v) {
		*bad = true;
		return NULL;
	}
	for (size_t i = 0; i < a->nkids; i++)
		v[i] = a->kids[i].type == J_NUM ? a->kids[i].num : NAN;
	*n = a->nkids;
	return v;
}

static const char *static_unit(const char *u)
{
	return u && !strcmp(u, "instructions") ? "instructions" : "ns";
}

/* The static name of a file's "headline" (see scorch_bench_headline_name). */
static const char *static_headline(const jnode *root, bool counted)
{
	const jnode *h = jget(root, "headline");
	const char *names[] = {"min_cpu", "min", "slope"};
	for (int i = 0; h && h->type == J_STR && i < 3; i++)
		if (!strcmp(h->str, names[i]))
			return names[i];
	return counted ? "slope" : "min"; /* files from before the field */
}

/* An id as a message may show it: control characters (a newline would split the message, an
 * escape sequence reach the terminal) become '?', and a long one is cut with "...". */
static const char *shown(const char *id, char *buf, size_t size)
{
	size_t i = 0, n = strlen(id);
	for (; i < n && i + 4 < size; i++)
		buf[i] = (unsigned char)id[i] < 0x20 || id[i] == 0x7f ? '?' : id[i];
	if (i < n)
		memcpy(buf + i, "...", 4);
	else
		buf[i] = 0;
	return buf;
}

static int load_result(const jnode *b, scorch_bench_result *r, sc_diag *d, size_t idx,
		       const char *headline)
{
	bool bad = false;
	char idb[100];
	r->id = jstrdup(b, "id", &bad);
	r->group = jstrdup(b, "group", &bad);
	r->name = jstrdup(b, "name", &bad);
	if (!bad && (!r->id || !r->name))
		return sc_diag_error(d, 0, 0, -1, "benchmark %zu has no id or name", idx);
	const jnode *arg = jget(b, "arg");
	r->has_arg = arg && arg->type == J_NUM;
	if (r->has_arg && !(arg->num >= -9e18 && arg->num <= 9e18 && arg->num == floor(arg->num)))
		return sc_diag_error(d, 0, 0, -1,
				     "benchmark '%s' (entry %zu): \"arg\" is not a 64-bit integer",
				     shown(r->id, idb, sizeof(idb)), idx);
	r->arg = r->has_arg ? (int64_t)arg->num : 0;
	const jnode *u = jget(b, "unit");
	r->unit = static_unit(u && u->type == J_STR ? u->str : NULL);
	const jnode *err = jget(b, "error");
	r->error = err && err->type == J_STR ? -EIO : 0;
	const jnode *est = jget(b, "estimates");
	jest(est, "slope", &r->slope);
	jest(est, "mean", &r->mean);
	jest(est, "median", &r->median);
	jest(est, "headline", &r->headline);
	r->min = jnum_of(est, "min");
	r->p10 = jnum_of(est, "p10");
	r->mad = jnum_of(est, "mad");
	r->stddev = jnum_of(est, "stddev");
	r->r2 = jnum_of(est, "r2");
	r->cpu_slope = jnum_of(est, "cpu_slope");
	if (isnan(r->headline.point)) /* written before the headline existed */
		r->headline = (scorch_bench_estimate){r->min, r->min, r->min};
	r->headline_name = headline;
	const jnode *o = jget(b, "outliers");
	const char *okeys[] = {"low_severe", "low_mild", "high_mild", "high_severe"};
	for (int k = 0; k < 4; k++) {
		double v = jnum_of(o, okeys[k]);
		r->outliers[k] = (unsigned)jcount(v, UINT32_MAX, 0);
	}
	r->unstable = jbool_of(b, "unstable");
	const jnode *tp = jget(b, "throughput");
	if (tp && tp->type == J_OBJ) {
		const jnode *k = jget(tp, "kind");
		r->throughput_kind = k && k->type == J_STR && !strcmp(k->str, "bytes")
					 ? SCORCH_BENCH_TP_BYTES
					 : SCORCH_BENCH_TP_ELEMENTS;
		r->throughput_per_iter = jnum_of(tp, "per_iter");
		r->throughput = jnum_of(tp, "per_second");
	}
	/* A benchmark that did not fail must bring its samples: without them a comparison would
	 * quietly find nothing to compare and call the run fine. */
	const jnode *s = jget(b, "samples"), *si = jget(s, "iters"), *sw = jget(s, "wall"),
		    *sc = jget(s, "cpu");
	if (!r->error && (!s || s->type != J_OBJ || !si || si->type != J_ARR || !si->nkids || !sw ||
			  sw->type != J_ARR || (sc && sc->type != J_ARR && sc->type != J_NULL)))
		return sc_diag_error(d, 0, 0, -1,
				     "benchmark '%s' (entry %zu): \"samples\" must be an object "
				     "with non-empty \"iters\" and \"wall\" arrays (and \"cpu\", "
				     "an array or null) unless the benchmark has an \"error\"",
				     shown(r->id, idb, sizeof(idb)), idx);
	size_t ni = 0, nw = 0, nc = 0;
	r->iters = jarr(si, &ni, &bad);
	r->wall = jarr(sw, &nw, &bad);
	r->cpu = jarr(sc, &nc, &bad);
	if (bad)
		return -ENOMEM;
	if (ni != nw || (r->cpu && nc != ni))
		return sc_diag_error(d, 0, 0, -1,
				     "benchmark '%s' (entry %zu): sample arrays differ in length",
				     shown(r->id, idb, sizeof(idb)), idx);
	r->nsamples = ni;
	for (size_t i = 0; i < ni; i++)
		if (!(r->iters[i] >= 1 && r->iters[i] <= 1e18) ||
		    !(r->wall[i] >= 0 && isfinite(r->wall[i])) ||
		    (r->cpu && !(r->cpu[i] >= 0 && isfinite(r->cpu[i]))))
			return sc_diag_error(
			    d, 0, 0, -1,
			    "benchmark '%s' (entry %zu): bad sample %zu (iters must "
			    "be at least 1, times finite and not negative)",
			    shown(r->id, idb, sizeof(idb)), idx, i);
	const jnode *ab = jget(b, "ab");
	if (ab && ab->type == J_OBJ) {
		size_t nb = 0;
		r->is_ab = true;
		r->name_a = jstrdup(ab, "a", &bad);
		r->name_b = jstrdup(ab, "b", &bad);
		jest(ab, "slope_b", &r->slope_b);
		jest(ab, "ratio", &r->ratio);
		r->wall_b = jarr(jget(ab, "wall_b"), &nb, &bad);
		if (bad)
			return -ENOMEM;
		if (nb != ni)
			return sc_diag_error(d, 0, 0, -1,
					     "benchmark '%s' (entry %zu): wall_b length differs",
					     shown(r->id, idb, sizeof(idb)), idx);
		for (size_t i = 0; i < nb; i++)
			if (!(r->wall_b[i] >= 0 && isfinite(r->wall_b[i])))
				return sc_diag_error(
				    d, 0, 0, -1,
				    "benchmark '%s' (entry %zu): bad wall_b sample "
				    "%zu",
				    shown(r->id, idb, sizeof(idb)), idx, i);
	}
	const jnode *rep = jget(b, "repeat");
	r->runs = 1;
	if (rep && rep->type == J_OBJ) {
		const jnode *cv = jget(rep, "cv");
		r->runs = (unsigned)jcount(jnum_of(rep, "runs"), UINT32_MAX, 1);
		r->cv[0] = jnum_of(cv, "slope");
		r->cv[1] = jnum_of(cv, "median");
		r->cv[2] = jnum_of(cv, "mean");
		r->cv[3] = jnum_of(cv, "min");
		r->cv_headline = jnum_of(cv, "headline");
		r->repeat_unstable = jbool_of(rep, "unstable");
	}
	return 0;
}

static int parse_report(const char *text, size_t len, size_t max_values, scorch_bench_report *out,
			sc_diag *d)
{
	memset(out, 0, sizeof(*out));
	jnode root = {0};
	jparser ps = {
	    .p = text, .end = text + len, .start = text, .d = d, .max_values = max_values};
	int r = parse_value(&ps, &root);
	if (r < 0)
		goto out;
	ws(&ps);
	if (ps.p != ps.end) {
		r = jerr(&ps, "trailing characters after the JSON value");
		goto out;
	}
	const jnode *schema = jget(&root, "schema");
	if (!schema || schema->type != J_STR || strcmp(schema->str, "scorch.bench")) {
		r = sc_diag_error(d, 0, 0, -1,
				  "not a scorch.bench report (no \"schema\": "
				  "\"scorch.bench\")");
		goto out;
	}
	if (jnum_of(&root, "version") != 1) {
		r = sc_diag_error(d, 0, 0, -1,
				  "unsupported scorch.bench version %g (this reader "
				  "knows version 1)",
				  jnum_of(&root, "version"));
		goto out;
	}
	bool bad = false;
	out->created = jstrdup(&root, "created", &bad);
	out->baseline_name = jstrdup(&root, "baseline", &bad);
	scorch_bench_config_init(&out->config);
	const jnode *c = jget(&root, "config");
	/* The settings a comparison uses (noise, resamples, confidence, seed) must be sane: a
	 * resample count of 1e12 read from a file would make the comparison run for days. */
	static const struct {
		const char *key;
		double lo, hi;
		bool whole;
	} cfg_keys[] = {
	    {"warmup_s", 0, 1e6, false},
	    {"measure_s", 0, 1e6, false},
	    {"samples", 1, 1e5, true},
	    {"resamples", 100, 1e7, true},
	    {"confidence", 1e-6, 1 - 1e-9, false},
	    {"noise", 0, 10, false},
	    {"seed", 0, 18446744073709549568.0, true},
	    {"repeat", 1, 1000, true},
	    {"confirm", 0, SCORCH_BENCH_CONFIRM_MAX, true},
	};
	double cv[sizeof(cfg_keys) / sizeof(cfg_keys[0])];
	for (size_t k = 0; k < sizeof(cfg_keys) / sizeof(cfg_keys[0]); k++) {
		const jnode *x = jget(c, cfg_keys[k].key);
		cv[k] = NAN;
		if (!x || x->type == J_NULL)
			continue;
		double v = x->type == J_NUM ? x->num : NAN;
		if (!(v >= cfg_keys[k].lo && v <= cfg_keys[k].hi) ||
		    (cfg_keys[k].whole && v != floor(v))) {
			r = sc_diag_error(
			    d, 0, 0, -1, "\"config\": \"%s\" must be %s between %g and %g",
			    cfg_keys[k].key, cfg_keys[k].whole ? "an integer" : "a number",
			    cfg_keys[k].lo, cfg_keys[k].hi);
			goto out;
		}
		cv[k] = v;
	}
#define CFG(field, k)                                                                              \
	if (!isnan(cv[k]))                                                                         \
	out->config.field = cv[k]
	CFG(warmup_s, 0);
	CFG(measure_s, 1);
	CFG(samples, 2);
	CFG(resamples, 3);
	CFG(confidence, 4);
	CFG(noise, 5);
	CFG(seed, 6);
	CFG(repeat, 7);
	CFG(confirm, 8);
#undef CFG
	const jnode *m = jget(c, "measure");
	if (m && m->type == J_STR && !strcmp(m->str, "instructions"))
		out->config.measure = SCORCH_BENCH_MEASURE_INSTRUCTIONS;

	const jnode *e = jget(&root, "environment");
	scorch_bench_env *env = &out->env;
	env->hostname = jstrdup(e, "hostname", &bad);
	env->kernel = jstrdup(e, "kernel", &bad);
	env->cpu_model = jstrdup(e, "cpu_model", &bad);
	env->governor = jstrdup(e, "governor", &bad);
	env->ncpus = (int)jcount(jnum_of(e, "ncpus"), 1 << 20, 0);
	env->hypervisor = jbool_of(e, "hypervisor");
	const jnode *la = jget(e, "loadavg");
	for (size_t i = 0; i < 3; i++)
		env->loadavg[i] = la && la->type == J_ARR && i < la->nkids ? la->kids[i].num : NAN;
	env->loadavg_end = jnum_of(e, "loadavg_end");
	env->steal = jnum_of(e, "steal");
	env->debug_build = jbool_of(e, "debug_build");
	env->lib_debug_build = jbool_of(e, "lib_debug_build");
	env->timer_res_ns = jnum_of(e, "timer_res_ns");
	env->timer_step_ns = jnum_of(e, "timer_step_ns");
	env->timer_cost_ns = jnum_of(e, "timer_cost_ns");
	if (bad) {
		r = -ENOMEM;
		goto out;
	}

	const jnode *bs = jget(&root, "benchmarks");
	if (!bs || bs->type != J_ARR) {
		r = sc_diag_error(d, 0, 0, -1, "no \"benchmarks\" array");
		goto out;
	}
	out->results = calloc(bs->nkids ? bs->nkids : 1, sizeof(*out->results));
	if (!out->results) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < bs->nkids; i++) {
		out->nresults++;
		if ((r = load_result(
			 &bs->kids[i], &out->results[i], d, i,
			 static_headline(&root, out->config.measure ==
						    SCORCH_BENCH_MEASURE_INSTRUCTIONS))) < 0)
			goto out;
	}
	r = 0;
out:
	jfree(&root);
	return r;
}

int sc_bench_report_from_json(const char *text, size_t len, scorch_bench_report *out, sc_diag *d)
{
	return parse_report(text, len, SC_BENCH_JSON_MAX_VALUES, out, d);
}

/* "64M", "1G", "1000 bytes" */
static const char *fmt_size(size_t v, char *buf, size_t size)
{
	static const char units[] = "KMG";
	int u = -1;
	while (u < 2 && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%zu bytes", v);
	else
		snprintf(buf, size, "%zu%c", v, units[u]);
	return buf;
}

int sc_bench_load_report(const char *path, size_t max_bytes, scorch_bench_report *out, sc_diag *d)
{
	char *text = NULL, sz[32];
	size_t n = 0;
	memset(out, 0, sizeof(*out));
	sc_diag_set_file(d, path);
	if (!max_bytes)
		max_bytes = SC_BENCH_JSON_MAX_BYTES;
	int r = sc_read_file_max(path, max_bytes, &text, &n);
	if (r == -EFBIG)
		sc_diag_error(d, 0, 0, -1, "larger than %s, the cap on a scorch.bench report",
			      fmt_size(max_bytes, sz, sizeof(sz)));
	if (r < 0)
		return r;
	size_t max_values = max_bytes / 16;
	r = parse_report(
	    text, n, max_values > SC_BENCH_JSON_MAX_VALUES ? max_values : SC_BENCH_JSON_MAX_VALUES,
	    out, d);
	free(text);
	return r;
}

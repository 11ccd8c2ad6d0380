/*
 * groups.c: components, time attributed to named parts of a program (see groups.h).
 *
 * A set is a list of groups (name, the regexes as given) and a list of rules (group index,
 * compiled regex) in the order given. Classifying the whole profile:
 *
 *   1. frame matches: for each distinct function (or location without a usable name) the set of
 *      groups whose rules match its display name, as one byte per group, computed on first use;
 *   2. one pass over the stack nodes in id order (parents first): a node's group is that of its
 *      innermost matching frame, else its parent's; its inclusive flags are its own frames' matches
 *      ORed with its parent's;
 *   3. the per-node self values (sc_node_values) are summed per group.
 *
 * Not here: colouring flamegraphs by group (flamegraph.c calls sc_groups_classify_nodes).
 */
#include "report/groups.h"

#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report/frames.h"
#include "util/fileio.h"
#include "util/strbuf.h"

struct group {
	char *name;
	sc_strbuf regex; /* the rules' sources joined with '|' */
};

struct rule {
	size_t group;
	regex_t re;
};

struct sc_groups {
	SC_VEC(struct group) groups;
	SC_VEC(struct rule) rules;
};

/* Narrows [*s, *e) past its leading blanks (spaces, tabs) and its trailing characters of `tail`. */
static void trim(const char **s, const char **e, const char *tail)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && (*e)[-1] && strchr(tail, (*e)[-1]))
		(*e)--;
}

static int add_spec(sc_groups *g, const char *spec, size_t len, sc_diag *d)
{
	const char *eq = memchr(spec, '=', len);
	if (!eq)
		return sc_diag_error(d, d ? d->line : 0, 0, -1, "'%.*s': expected NAME=REGEX",
				     (int)len, spec);
	/* Blanks around the name and the regex are layout ("sim = cosine"), not part of them. */
	const char *name = spec, *name_end = eq, *re = eq + 1, *end = spec + len;
	trim(&name, &name_end, " \t");
	trim(&re, &end, " \t");
	size_t nlen = (size_t)(name_end - name), rlen = (size_t)(end - re);
	if (!nlen || !rlen)
		return sc_diag_error(d, d ? d->line : 0, 0, -1, "'%.*s': %s is empty", (int)len,
				     spec, nlen ? "the regex" : "the name");
	if (nlen == 5 && !memcmp(name, "other", 5))
		return sc_diag_error(d, d ? d->line : 0, 0, -1,
				     "'%.*s': \"other\" is reserved for samples in no group",
				     (int)len, spec);
	char *src = strndup(re, rlen);
	if (!src)
		return -ENOMEM;
	struct rule r = {0};
	int rc = regcomp(&r.re, src, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char msg[256];
		regerror(rc, &r.re, msg, sizeof(msg));
		free(src);
		return sc_diag_error(d, d ? d->line : 0, 0, -1, "'%.*s': %s", (int)len, spec, msg);
	}
	size_t i = 0;
	while (i < g->groups.len && !(strlen(g->groups.data[i].name) == nlen &&
				      !memcmp(g->groups.data[i].name, name, nlen)))
		i++;
	int err = -ENOMEM;
	if (i == g->groups.len) {
		struct group ng = {strndup(name, nlen), {0}};
		if (!ng.name || sc_vec_push(&g->groups, ng) < 0) {
			free(ng.name);
			goto fail;
		}
	}
	struct group *gr = &g->groups.data[i];
	r.group = i;
	if ((gr->regex.len && sc_strbuf_addc(&gr->regex, '|') < 0) ||
	    sc_strbuf_adds(&gr->regex, src) < 0 || sc_vec_push(&g->rules, r) < 0)
		goto fail;
	free(src);
	return 0;
fail:
	regfree(&r.re);
	free(src);
	return err;
}

int sc_groups_new(const char *const *specs, size_t n, sc_groups **out, sc_diag *d)
{
	sc_groups *g = calloc(1, sizeof(*g));
	*out = NULL;
	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int r = add_spec(g, specs[i], strlen(specs[i]), d);
		if (r < 0) {
			sc_groups_free(g);
			return r;
		}
	}
	*out = g;
	return 0;
}

int sc_groups_add_file(sc_groups *g, const char *path, sc_diag *d)
{
	char *data = NULL;
	size_t n = 0;
	int r = sc_read_file(path, &data, &n);
	if (r < 0)
		return r;
	if (d)
		sc_diag_set_file(d, path);
	int64_t lineno = 0;
	for (char *line = data, *end; line < data + n; line = end + 1) {
		end = memchr(line, '\n', (size_t)(data + n - line));
		if (!end)
			end = data + n;
		lineno++;
		const char *s = line, *e = end;
		trim(&s, &e, " \t\r");
		if (s == e || *s == '#')
			continue;
		if (d)
			d->line = lineno;
		if ((r = add_spec(g, s, (size_t)(e - s), d)) < 0)
			break;
	}
	free(data);
	return r;
}

void sc_groups_free(sc_groups *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->groups.len; i++) {
		free(g->groups.data[i].name);
		sc_strbuf_release(&g->groups.data[i].regex);
	}
	for (size_t i = 0; i < g->rules.len; i++)
		regfree(&g->rules.data[i].re);
	sc_vec_release(&g->groups);
	sc_vec_release(&g->rules);
	free(g);
}

size_t sc_groups_count(const sc_groups *g)
{
	return g ? g->groups.len : 0;
}

const char *sc_groups_name(const sc_groups *g, size_t i)
{
	return g && i < g->groups.len ? g->groups.data[i].name : "other";
}

const char *sc_groups_regex(const sc_groups *g, size_t i)
{
	return g && i < g->groups.len ? sc_strbuf_cstr(&g->groups.data[i].regex) : "";
}

/* Writes into m[0..count) which groups match `name`; returns the first (lowest) or count. */
static size_t match_name(const sc_groups *g, const char *name, uint8_t *m)
{
	size_t ng = g->groups.len, first = ng;
	memset(m, 0, ng);
	for (size_t i = 0; i < g->rules.len; i++) {
		const struct rule *r = &g->rules.data[i];
		if (!m[r->group] && regexec(&r->re, name, 0, NULL, 0) == 0) {
			m[r->group] = 1;
			first = r->group < first ? r->group : first;
		}
	}
	return first;
}

size_t sc_groups_classify(const sc_groups *g, const sc_profile *p, sc_stack_id stack)
{
	size_t ng = sc_groups_count(g), nf = sc_profile_stack_frames(p, stack, NULL, 0);
	sc_frame *fr = malloc((nf ? nf : 1) * sizeof(*fr));
	uint8_t *m = malloc(ng ? ng : 1);
	size_t result = ng;
	if (fr && m) {
		sc_profile_stack_frames(p, stack, fr, nf);
		for (size_t i = nf; i-- > 0 && result == ng;)
			result = match_name(g, sc_profile_frame_name(p, &fr[i]), m);
	}
	free(fr);
	free(m);
	return result;
}

/* Frame matches, cached per function (when named) or per location. */
struct matcher {
	const sc_groups *g;
	const sc_profile *p;
	size_t ng;
	uint8_t *fn_m, *loc_m; /* (id) * (ng + 1) bytes: [0] = known, [1..] = match per group */
};

static const uint8_t *frame_match(struct matcher *mt, const sc_frame *fr)
{
	const sc_function *fn = sc_profile_function(mt->p, fr->function);
	bool by_fn =
	    fn && (*sc_profile_str(mt->p, fn->name) || *sc_profile_str(mt->p, fn->system_name));
	uint8_t *slot = by_fn ? &mt->fn_m[fr->function * (mt->ng + 1)]
			      : &mt->loc_m[fr->location * (mt->ng + 1)];
	if (!slot[0]) {
		match_name(mt->g, sc_profile_frame_name(mt->p, fr), slot + 1);
		slot[0] = 1;
	}
	return slot + 1;
}

/* Group (cls) and, when incl is not NULL, inclusive flags (ng bytes per node) of every node. */
static int classify_all(const sc_groups *g, const sc_profile *p, uint32_t *cls, uint8_t *incl)
{
	struct matcher mt = {g, p, sc_groups_count(g), NULL, NULL};
	size_t ng = mt.ng, row = ng + 1;
	mt.fn_m = calloc((p->functions.len + 1) * row, 1);
	mt.loc_m = calloc((p->locations.len + 1) * row, 1);
	if (!mt.fn_m || !mt.loc_m) {
		free(mt.fn_m);
		free(mt.loc_m);
		return -ENOMEM;
	}
	cls[0] = (uint32_t)ng;
	if (incl)
		memset(incl, 0, ng);
	for (size_t n = 1; n < p->nodes.len; n++) {
		const sc_stack_node *node = &p->nodes.data[n];
		const sc_location *l = sc_profile_location(p, node->location);
		uint32_t nl = l && l->nlines ? l->nlines : 1;
		uint32_t c = (uint32_t)ng;
		if (incl)
			memcpy(&incl[n * ng], &incl[node->parent * ng], ng);
		/* lines[0] is the innermost frame of the location. */
		for (uint32_t i = 0; l && i < nl; i++) {
			sc_frame fr = {node->location, l->nlines ? i : UINT32_MAX,
				       l->nlines ? p->lines.data[l->first_line + i].function : 0,
				       i + 1 < l->nlines};
			const uint8_t *m = frame_match(&mt, &fr);
			for (size_t k = 0; k < ng; k++) {
				if (!m[k])
					continue;
				if (c == ng)
					c = (uint32_t)k;
				if (incl)
					incl[n * ng + k] = 1;
			}
		}
		cls[n] = c < ng ? c : cls[node->parent];
	}
	free(mt.fn_m);
	free(mt.loc_m);
	return 0;
}

int sc_groups_classify_nodes(const sc_groups *g, const sc_profile *p, uint32_t **out)
{
	uint32_t *cls = malloc((p->nodes.len ? p->nodes.len : 1) * sizeof(*cls));
	*out = NULL;
	if (!cls)
		return -ENOMEM;
	int r = classify_all(g, p, cls, NULL);
	if (r < 0) {
		free(cls);
		return r;
	}
	*out = cls;
	return 0;
}

int64_t sc_groups_totals(const sc_groups *g, const sc_profile *p, int type, sc_group_row *rows)
{
	size_t ng = sc_groups_count(g), nn = p->nodes.len;
	if (type < 0 || (size_t)type >= p->nsample_types)
		return -EINVAL;
	uint32_t *cls = malloc(nn * sizeof(*cls));
	uint8_t *incl = malloc(nn * (ng ? ng : 1));
	int64_t *self = NULL, r = -ENOMEM;
	if (!cls || !incl || sc_node_values(p, type, &self, NULL) < 0 ||
	    classify_all(g, p, cls, incl) < 0)
		goto out;
	for (size_t k = 0; k <= ng; k++)
		rows[k] = (sc_group_row){sc_groups_name(g, k), 0, 0, 0, 0, sc_groups_regex(g, k)};
	int64_t total = 0;
	for (size_t n = 0; n < nn; n++) {
		total = sc_sat_add(total, self[n]);
		rows[cls[n]].value = sc_sat_add(rows[cls[n]].value, self[n]);
		for (size_t k = 0; k < ng; k++)
			if (incl[n * ng + k])
				rows[k].inclusive = sc_sat_add(rows[k].inclusive, self[n]);
	}
	for (size_t k = 0; k <= ng; k++) {
		rows[k].pct = sc_pct(rows[k].value, total);
		rows[k].inclusive_pct = sc_pct(rows[k].inclusive, total);
	}
	r = total;
out:
	free(cls);
	free(incl);
	free(self);
	return r;
}

/* The rows, or NULL with *err set. */
static sc_group_row *compute_rows(const sc_groups *g, const sc_profile *p, int type, int64_t *total)
{
	sc_group_row *rows = calloc(sc_groups_count(g) + 1, sizeof(*rows));
	if (!rows) {
		*total = -ENOMEM;
		return NULL;
	}
	*total = sc_groups_totals(g, p, type, rows);
	if (*total < 0) {
		free(rows);
		return NULL;
	}
	return rows;
}

int sc_groups_print_text(const sc_groups *g, const sc_profile *p, int type, FILE *f)
{
	int64_t total;
	sc_group_row *rows = compute_rows(g, p, type, &total);
	if (!rows)
		return (int)total;
	const char *unit = sc_profile_str(p, p->sample_types[type].unit);
	size_t ng = sc_groups_count(g), value_w = 5, name_w = 5;
	for (size_t k = 0; k <= ng; k++) {
		sc_fit_value(&value_w, rows[k].value, unit);
		size_t w = sc_text_width(rows[k].name);
		name_w = w > name_w ? w : name_w;
	}
	name_w = name_w > 40 ? 40 : name_w;
	sc_strbuf sb = {0};
	char tot[32];
	sc_fmt_value(tot, sizeof(tot), total, unit);
	int r = -ENOMEM;
	if (sc_strbuf_addf(&sb, "total: %s ", tot) < 0 ||
	    sc_add_type_unit(&sb, sc_profile_str(p, p->sample_types[type].type), unit) < 0 ||
	    sc_strbuf_addf(&sb, ", %zu group%s\n\n", ng, ng == 1 ? "" : "s") < 0 ||
	    sc_strbuf_addf(&sb, "%7s %*s  %9s  ", "share", (int)value_w, "value", "inclusive") <
		0 ||
	    sc_add_cell(&sb, "group", name_w, true) < 0 || sc_strbuf_adds(&sb, "  regex\n") < 0)
		goto out;
	for (size_t k = 0; k <= ng; k++) {
		char share[16], value[32], inclusive[16] = "";
		snprintf(share, sizeof(share), "%.2f%%", rows[k].pct);
		sc_fmt_value(value, sizeof(value), rows[k].value, unit);
		if (k < ng)
			snprintf(inclusive, sizeof(inclusive), "%.2f%%", rows[k].inclusive_pct);
		if (sc_strbuf_addf(&sb, "%7s %*s  %9s  ", share, (int)value_w, value, inclusive) <
			0 ||
		    sc_add_cell(&sb, rows[k].name, name_w, k < ng) < 0 ||
		    (k < ng && (sc_strbuf_adds(&sb, "  ") < 0 ||
				sc_strbuf_add_text(&sb, rows[k].regex) < 0)) ||
		    sc_strbuf_addc(&sb, '\n') < 0)
			goto out;
	}
	r = sc_write_strbuf(&sb, f);
out:
	sc_strbuf_release(&sb);
	free(rows);
	return r;
}

int sc_groups_print_json(const sc_groups *g, const sc_profile *p, int type, FILE *f)
{
	int64_t total;
	sc_group_row *rows = compute_rows(g, p, type, &total);
	if (!rows)
		return (int)total;
	sc_strbuf sb = {0};
	int r = -ENOMEM;
	size_t ng = sc_groups_count(g);
	if (sc_add_json_head(&sb, "scorch.groups", 1, p, type, total) < 0 ||
	    sc_strbuf_adds(&sb, ",\n\"groups\":[") < 0)
		goto out;
	for (size_t k = 0; k <= ng; k++)
		if (sc_strbuf_adds(&sb, k ? ",\n{" : "\n{") < 0 ||
		    sc_add_json_str(&sb, "name", rows[k].name) < 0 ||
		    sc_strbuf_addc(&sb, ',') < 0 ||
		    sc_add_json_str(&sb, "regex", rows[k].regex) < 0 ||
		    sc_strbuf_addf(&sb,
				   ",\"value\":%" PRId64 ",\"pct\":%.2f,\"inclusive\":%" PRId64
				   ",\"inclusive_pct\":%.2f}",
				   rows[k].value, rows[k].pct, rows[k].inclusive,
				   rows[k].inclusive_pct) < 0)
			goto out;
	if (sc_strbuf_adds(&sb, "\n]}\n") < 0)
		goto out;
	r = sc_write_strbuf(&sb, f);
out:
	sc_strbuf_release(&sb);
	free(rows);
	return r;
}

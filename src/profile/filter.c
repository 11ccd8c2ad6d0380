/*
 * filter.c: builds a filtered copy of a profile (see filter.h for what each filter means).
 *
 * The work is proportional to the stack tree and the kept samples, not to regex calls per sample:
 *
 *   1. Each regex is tried once per distinct function (once per location for frames without a
 *      symbol) and the answers cached as bits (focus, ignore, fold).
 *   2. One pass over the stack nodes in id order (a parent's id is always smaller than its
 *      child's) ORs the focus/ignore bits down the tree, so "has a frame matching" is known for
 *      every node without walking a stack twice.
 *   3. Each kept sample's stack is translated into the new profile's tree once per input node
 *      (memoized), dropping folded frames and merging recursive runs on the way. When no filter
 *      changes frames, locations are copied whole (inline chains intact); otherwise each
 *      (location, inline frame) becomes a location of its own with one line. With no_inline, a
 *      location keeps only its last line (the function its address belongs to).
 *
 * Strings, functions and mappings are copied on first use (mappings all, in order, so mapping ids
 * are the same in both profiles). Sample values, pid, tid, time and labels are copied unchanged.
 *
 * Not here: what the views do with the result (src/report/), parsing the options (src/cli/).
 */
#include "profile/filter.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	BIT_KNOWN = 1,
	BIT_FOCUS = 2,
	BIT_IGNORE = 4,
	BIT_FOLD = 8,
	BIT_MFOCUS = 16,
};

#define UNSET UINT32_MAX

struct filt {
	const sc_profile *in;
	sc_profile *out;
	const sc_filter *f;
	regex_t re[5]; /* focus, ignore, fold, focus_module, fold_module */
	bool has_re[5];
	bool split;	    /* one location per inline frame: fold or merge_recursion is on */
	bool no_inline;	    /* only each location's last line (f->no_inline) */
	uint8_t *fn_bits;   /* by function id */
	uint8_t *loc_bits;  /* by location id, for frames without a usable function name */
	uint8_t *map_bits;  /* by mapping id (0: none), for the module regexes */
	uint32_t *str_map;  /* in string id -> out string id (0: not yet, except for "") */
	uint32_t *fn_map;   /* in function id -> out function id (0: not yet) */
	uint32_t *line_loc; /* in line index -> out location (split mode) */
	uint32_t *loc_map;  /* in location id -> out location (whole locations, or no lines) */
	uint32_t *node_map; /* in node -> out node */
	uint8_t *node_bits; /* BIT_FOCUS/BIT_IGNORE of a frame anywhere on the node's stack */
};

static const char *const re_option[5] = {"--focus", "--ignore", "--fold", "module focus",
					 "module fold"};

static int compile(struct filt *x, sc_diag *d)
{
	const char *src[5] = {x->f->focus, x->f->ignore, x->f->fold, x->f->focus_module,
			      x->f->fold_module};
	for (int i = 0; i < 5; i++) {
		if (!src[i])
			continue;
		int rc = regcomp(&x->re[i], src[i], REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char msg[256];
			regerror(rc, &x->re[i], msg, sizeof(msg));
			return sc_diag_error(d, 0, 0, -1, "%s '%s': %s", re_option[i], src[i], msg);
		}
		x->has_re[i] = true;
	}
	return 0;
}

static uint8_t name_bits(const struct filt *x, const char *name)
{
	uint8_t b = BIT_KNOWN;
	if (x->has_re[0] && regexec(&x->re[0], name, 0, NULL, 0) == 0)
		b |= BIT_FOCUS;
	if (x->has_re[1] && regexec(&x->re[1], name, 0, NULL, 0) == 0)
		b |= BIT_IGNORE;
	if (x->has_re[2] && regexec(&x->re[2], name, 0, NULL, 0) == 0)
		b |= BIT_FOLD;
	return b;
}

/* The module match bits of location `loc`'s mapping; cached by mapping. */
static uint8_t module_bits(struct filt *x, uint32_t loc)
{
	if (!x->has_re[3] && !x->has_re[4])
		return 0;
	const sc_location *l = sc_profile_location(x->in, loc);
	uint32_t m = l && l->mapping <= x->in->mappings.len ? l->mapping : 0;
	uint8_t *slot = &x->map_bits[m];
	if (!*slot) {
		const sc_mapping *mp = m ? &x->in->mappings.data[m - 1] : NULL;
		const char *path = !mp		? ""
				   : mp->kernel ? "[kernel]"
						: sc_profile_str(x->in, mp->file);
		*slot = BIT_KNOWN;
		if (x->has_re[3] && regexec(&x->re[3], path, 0, NULL, 0) == 0)
			*slot |= BIT_MFOCUS;
		if (x->has_re[4] && regexec(&x->re[4], path, 0, NULL, 0) == 0)
			*slot |= BIT_FOLD;
	}
	return *slot & (uint8_t)~BIT_KNOWN;
}

/* The match bits of a frame; cached by function when the function has a name (the display name
 * then depends on nothing else), by location otherwise. */
static uint8_t frame_bits(struct filt *x, const sc_frame *fr)
{
	const sc_function *fn = sc_profile_function(x->in, fr->function);
	bool by_fn =
	    fn && (*sc_profile_str(x->in, fn->name) || *sc_profile_str(x->in, fn->system_name));
	uint8_t *slot = by_fn ? &x->fn_bits[fr->function] : &x->loc_bits[fr->location];
	if (!*slot)
		*slot = name_bits(x, sc_profile_frame_name(x->in, fr));
	return *slot | module_bits(x, fr->location);
}

/* The frame of line `i` (0 = innermost) of location `loc`, or its only frame without lines. */
static sc_frame location_frame(const sc_profile *p, uint32_t loc, uint32_t i)
{
	const sc_location *l = sc_profile_location(p, loc);
	if (!l->nlines)
		return (sc_frame){loc, UINT32_MAX, 0, false};
	return (sc_frame){loc, i, p->lines.data[l->first_line + i].function, i + 1 < l->nlines};
}

static int64_t map_str(struct filt *x, sc_str id)
{
	if (!id || id >= x->in->strings.len)
		return 0;
	if (!x->str_map[id]) {
		int64_t s = sc_profile_intern(x->out, sc_profile_str(x->in, id));
		if (s < 0)
			return s;
		x->str_map[id] = (uint32_t)s;
	}
	return x->str_map[id];
}

static int64_t map_function(struct filt *x, uint32_t id)
{
	const sc_function *fn = sc_profile_function(x->in, id);
	if (!fn)
		return 0;
	if (!x->fn_map[id]) {
		int64_t name = map_str(x, fn->name), sys = map_str(x, fn->system_name);
		int64_t file = map_str(x, fn->filename);
		if (name < 0 || sys < 0 || file < 0)
			return -ENOMEM;
		sc_function o = {(sc_str)name, (sc_str)sys, (sc_str)file, fn->start_line};
		int64_t r = sc_profile_add_function(x->out, &o);
		if (r < 0)
			return r;
		x->fn_map[id] = (uint32_t)r;
	}
	return x->fn_map[id];
}

/* Copies lines [first, first + n) of `in` with their functions translated; adds a location. */
static int64_t copy_location(struct filt *x, const sc_location *l, uint32_t first, uint32_t n)
{
	sc_line buf[16], *lines = n <= 16 ? buf : malloc(n * sizeof(*lines));
	int64_t r = -ENOMEM;
	if (!lines)
		return r;
	for (uint32_t i = 0; i < n; i++) {
		lines[i] = x->in->lines.data[first + i];
		int64_t fn = map_function(x, lines[i].function);
		if (fn < 0)
			goto out;
		lines[i].function = (uint32_t)fn;
	}
	r = sc_profile_add_location(x->out, l->mapping, l->address, lines, n);
out:
	if (lines != buf)
		free(lines);
	return r;
}

/* The out location standing for frame `i` of `loc` (split mode), or for the whole location. */
static int64_t out_location(struct filt *x, uint32_t loc, uint32_t i)
{
	const sc_location *l = sc_profile_location(x->in, loc);
	uint32_t *slot =
	    !l->nlines || !x->split ? &x->loc_map[loc] : &x->line_loc[l->first_line + i];
	if (*slot == UNSET) {
		int64_t r = !l->nlines	   ? copy_location(x, l, 0, 0)
			    : x->split	   ? copy_location(x, l, l->first_line + i, 1)
			    : x->no_inline ? copy_location(x, l, l->first_line + l->nlines - 1, 1)
					   : copy_location(x, l, l->first_line, l->nlines);
		if (r < 0)
			return r;
		*slot = (uint32_t)r;
	}
	return *slot;
}

/* Is the frame at the tip of out node `cur` the same function as `name`? */
static bool same_as_tip(const struct filt *x, sc_stack_id cur, const char *name)
{
	if (!cur)
		return false;
	uint32_t loc = sc_profile_node(x->out, cur)->location;
	sc_frame fr = location_frame(x->out, loc, 0);
	return strcmp(sc_profile_frame_name(x->out, &fr), name) == 0;
}

/* Builds the out node of in node `n`, whose parent is already translated. */
static int64_t build_node(struct filt *x, sc_stack_id n)
{
	const sc_stack_node *node = sc_profile_node(x->in, n);
	sc_stack_id cur = node->parent ? x->node_map[node->parent] : 0;
	const sc_location *l = sc_profile_location(x->in, node->location);
	uint32_t nf = !x->split || !l->nlines ? 1 : l->nlines;
	/* Without inlined frames only the outermost (the last line) is left. */
	for (uint32_t k = 0; k < (x->no_inline ? 1 : nf); k++) {
		uint32_t i = nf - 1 - k; /* outermost (last line) first */
		if (x->split) {
			sc_frame fr = location_frame(x->in, node->location, i);
			if (frame_bits(x, &fr) & BIT_FOLD)
				continue;
			if (x->f->merge_recursion) {
				char name[512];
				snprintf(name, sizeof(name), "%s",
					 sc_profile_frame_name(x->in, &fr));
				if (same_as_tip(x, cur, name))
					continue;
			}
		}
		int64_t loc = out_location(x, node->location, i);
		if (loc < 0)
			return loc;
		int64_t c = sc_profile_stack_child(x->out, cur, (uint32_t)loc);
		if (c < 0)
			return c;
		cur = (sc_stack_id)c;
	}
	x->node_map[n] = cur;
	return cur;
}

/* The out node of in node `n`, translating its untranslated ancestors first. */
static int64_t map_node(struct filt *x, sc_stack_id n)
{
	if (!n)
		return 0;
	if (x->node_map[n] != UNSET)
		return x->node_map[n];
	SC_VEC(sc_stack_id) chain = {0};
	int64_t r = 0;
	for (sc_stack_id a = n; a && x->node_map[a] == UNSET; a = sc_profile_node(x->in, a)->parent)
		if ((r = sc_vec_push(&chain, a)) < 0)
			goto out;
	while (chain.len)
		if ((r = build_node(x, chain.data[--chain.len])) < 0)
			goto out;
	r = x->node_map[n];
out:
	sc_vec_release(&chain);
	return r;
}

/* Focus/ignore bits of every node: its own frames' bits ORed with its parent's. */
static void mark_nodes(struct filt *x)
{
	for (size_t n = 1; n < x->in->nodes.len; n++) {
		const sc_stack_node *node = &x->in->nodes.data[n];
		const sc_location *l = sc_profile_location(x->in, node->location);
		uint8_t b = x->node_bits[node->parent];
		uint32_t nf = l && l->nlines ? l->nlines : 1;
		for (uint32_t i = x->no_inline ? nf - 1 : 0; l && i < nf; i++) {
			sc_frame fr = location_frame(x->in, node->location, i);
			b |= frame_bits(x, &fr) & (BIT_FOCUS | BIT_IGNORE | BIT_MFOCUS);
		}
		x->node_bits[n] = b;
	}
}

/*
 * Per-sample times: sample.time_ns when the source had them (the recorder, perf script), else a
 * numeric label "time", "timestamp" or "time_ns" (pprof), in its unit (nanoseconds by default).
 */
struct timesrc {
	bool from_samples;
	sc_str key[3];
};

static int64_t unit_scale(const char *unit)
{
	if (!strcmp(unit, "seconds") || !strcmp(unit, "s"))
		return 1000000000;
	if (!strcmp(unit, "milliseconds") || !strcmp(unit, "ms"))
		return 1000000;
	if (!strcmp(unit, "microseconds") || !strcmp(unit, "us"))
		return 1000;
	return 1;
}

static bool sample_time(const sc_profile *p, const struct timesrc *ts, size_t i, uint64_t *t)
{
	const sc_sample *s = &p->samples.data[i];
	if (ts->from_samples) {
		*t = s->time_ns;
		return s->time_ns != 0;
	}
	for (uint32_t k = 0; k < s->nlabels; k++) {
		const sc_label *l = &p->labels.data[s->first_label + k];
		if (l->str || !l->key || l->num < 0)
			continue;
		if (l->key == ts->key[0] || l->key == ts->key[1] || l->key == ts->key[2]) {
			*t =
			    (uint64_t)l->num * (uint64_t)unit_scale(sc_profile_str(p, l->num_unit));
			return true;
		}
	}
	return false;
}

/* Finds where times come from and the first one. Returns false when the profile has none. */
static bool find_times(const sc_profile *p, struct timesrc *ts, uint64_t *t0)
{
	*ts = (struct timesrc){0};
	for (size_t i = 0; i < p->samples.len && !ts->from_samples; i++)
		ts->from_samples = p->samples.data[i].time_ns != 0;
	if (!ts->from_samples) {
		static const char *const names[3] = {"time", "timestamp", "time_ns"};
		for (size_t s = 1; s < p->strings.len; s++)
			for (int k = 0; k < 3; k++)
				if (!strcmp(p->strings.data[s], names[k]))
					ts->key[k] = (sc_str)s;
		if (!ts->key[0] && !ts->key[1] && !ts->key[2])
			return false;
	}
	bool any = false;
	for (size_t i = 0; i < p->samples.len; i++) {
		uint64_t t;
		if (sample_time(p, ts, i, &t) && (!any || t < *t0)) {
			*t0 = t;
			any = true;
		}
	}
	return any;
}

sc_str sc_profile_find_string(const sc_profile *p, const char *s)
{
	for (size_t i = 1; i < p->strings.len; i++)
		if (strcmp(p->strings.data[i], s) == 0)
			return (sc_str)i;
	return 0;
}

void sc_names_init(sc_names *k, const sc_profile *p)
{
	k->thread = sc_profile_find_string(p, "thread_name");
	k->process = sc_profile_find_string(p, "process_name");
	k->comm = sc_profile_find_string(p, "comm");
}

/* The string value of the first label keyed `a`, else of the first keyed `b` (0: none). */
static sc_str label_str(const sc_profile *p, size_t i, sc_str a, sc_str b)
{
	const sc_sample *s = &p->samples.data[i];
	sc_str fallback = 0;
	for (uint32_t k = 0; k < s->nlabels; k++) {
		const sc_label *l = &p->labels.data[s->first_label + k];
		if (!l->str || !l->key)
			continue;
		if (l->key == a)
			return l->str;
		if (l->key == b && !fallback)
			fallback = l->str;
	}
	return fallback;
}

sc_str sc_sample_thread_name(const sc_profile *p, const sc_names *k, size_t sample)
{
	return k->thread || k->comm ? label_str(p, sample, k->thread, k->comm) : 0;
}

sc_str sc_sample_process_name(const sc_profile *p, const sc_names *k, size_t sample)
{
	return k->process || k->comm ? label_str(p, sample, k->process, k->comm) : 0;
}

/* The string ids of names[0..n) in `p` (0 for a name it does not hold: it matches nothing). */
static sc_str *find_names(const sc_profile *p, const char *const *names, size_t n)
{
	sc_str *ids = calloc(n ? n : 1, sizeof(*ids));
	for (size_t i = 0; ids && i < n; i++)
		ids[i] = sc_profile_find_string(p, names[i]);
	return ids;
}

static bool in_names(const sc_str *v, size_t n, sc_str x)
{
	for (size_t i = 0; x && i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static bool in_list(const uint32_t *v, size_t n, uint32_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static int copy_metadata(struct filt *x)
{
	const sc_profile *in = x->in;
	sc_profile *out = x->out;
	for (size_t t = 0; t < in->nsample_types; t++) {
		int r =
		    sc_profile_add_sample_type(out, sc_profile_str(in, in->sample_types[t].type),
					       sc_profile_str(in, in->sample_types[t].unit));
		if (r < 0)
			return r;
	}
	for (size_t m = 0; m < in->mappings.len; m++) {
		sc_mapping o = in->mappings.data[m];
		int64_t file = map_str(x, o.file), build_id = map_str(x, o.build_id);
		if (file < 0 || build_id < 0)
			return -ENOMEM;
		o.file = (sc_str)file;
		o.build_id = (sc_str)build_id;
		if (sc_profile_add_mapping(out, &o) < 0)
			return -ENOMEM;
	}
	int64_t def = map_str(x, in->default_sample_type), pt = map_str(x, in->period_type.type);
	int64_t pu = map_str(x, in->period_type.unit), drop = map_str(x, in->drop_frames);
	int64_t keep = map_str(x, in->keep_frames);
	if (def < 0 || pt < 0 || pu < 0 || drop < 0 || keep < 0)
		return -ENOMEM;
	out->default_sample_type = (sc_str)def;
	out->period_type = (sc_value_type){(sc_str)pt, (sc_str)pu};
	out->drop_frames = (sc_str)drop;
	out->keep_frames = (sc_str)keep;
	out->period = in->period;
	out->time_nanos = in->time_nanos;
	out->duration_nanos = in->duration_nanos;
	for (size_t i = 0; i < in->comments.len; i++) {
		int64_t c = map_str(x, in->comments.data[i]);
		if (c < 0 || sc_vec_push(&out->comments, (sc_str)c) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int copy_sample(struct filt *x, size_t i, sc_stack_id stack)
{
	const sc_sample *s = &x->in->samples.data[i];
	if (sc_profile_add_sample(x->out, stack, sc_profile_sample_values(x->in, i), s->pid, s->tid,
				  s->time_ns) < 0 ||
	    sc_vec_reserve(&x->out->labels, s->nlabels) < 0)
		return -ENOMEM;
	for (uint32_t k = 0; k < s->nlabels; k++) {
		sc_label l = x->in->labels.data[s->first_label + k];
		int64_t key = map_str(x, l.key), str = map_str(x, l.str),
			unit = map_str(x, l.num_unit);
		if (key < 0 || str < 0 || unit < 0)
			return -ENOMEM;
		l.key = (sc_str)key;
		l.str = (sc_str)str;
		l.num_unit = (sc_str)unit;
		x->out->labels.data[x->out->labels.len++] = l;
		x->out->samples.data[x->out->samples.len - 1].nlabels++;
	}
	return 0;
}

bool sc_filter_active(const sc_filter *f)
{
	return f && (f->focus || f->ignore || f->fold || f->focus_module || f->fold_module ||
		     f->merge_recursion || f->no_inline || f->ntids || f->npids || f->ntid_names ||
		     f->npid_names || f->ncomms || f->from > 0 || f->to > 0);
}

static void *alloc_fill(size_t n, size_t size, int byte)
{
	void *v = malloc((n ? n : 1) * size);
	if (v)
		memset(v, byte, (n ? n : 1) * size);
	return v;
}

int sc_profile_filter(const sc_profile *in, const sc_filter *f, sc_profile **out, sc_diag *d)
{
	struct filt x = {.in = in, .f = f};
	sc_str *tid_names = NULL, *pid_names = NULL, *comms = NULL;
	sc_names names;
	*out = NULL;
	int r = compile(&x, d);
	if (r < 0)
		goto done;
	/* Bounds become nanoseconds in a uint64_t: nan (which would turn the window off), inf and
	 * anything past SC_FILTER_MAX_SECONDS could not. */
	if (!(f->from >= 0 && f->from <= SC_FILTER_MAX_SECONDS) ||
	    !(f->to >= 0 && f->to <= SC_FILTER_MAX_SECONDS)) {
		r = sc_diag_error(
		    d, 0, 0, -1,
		    "--from %g --to %g: each must be a number of seconds between 0 and "
		    "%.0f",
		    f->from, f->to, SC_FILTER_MAX_SECONDS);
		goto done;
	}
	bool window = f->from > 0 || f->to > 0;
	struct timesrc ts = {0};
	uint64_t t0 = 0, from_ns = 0, to_ns = UINT64_MAX;
	if (window) {
		if (f->to > 0 && f->to <= f->from) {
			r = sc_diag_error(d, 0, 0, -1,
					  "--from %g --to %g: the time window is empty", f->from,
					  f->to);
			goto done;
		}
		if (!find_times(in, &ts, &t0)) {
			r = sc_diag_error(d, 0, 0, -1,
					  "--from/--to need per-sample times, and this profile has "
					  "none (scorch's recordings and perf script output have "
					  "them; folded stacks never; other pprof files only as a "
					  "numeric label \"time_ns\" or \"time\")");
			goto done;
		}
		from_ns = (uint64_t)(f->from * 1e9);
		if (f->to > 0)
			to_ns = (uint64_t)(f->to * 1e9);
	}
	r = -ENOMEM;
	x.split = f->fold || f->fold_module || f->merge_recursion;
	x.no_inline = f->no_inline;
	x.out = sc_profile_new();
	x.fn_bits = calloc(in->functions.len + 1, 1);
	x.loc_bits = calloc(in->locations.len + 1, 1);
	x.map_bits = calloc(in->mappings.len + 1, 1);
	x.str_map = calloc(in->strings.len + 1, sizeof(*x.str_map));
	x.fn_map = calloc(in->functions.len + 1, sizeof(*x.fn_map));
	x.line_loc = alloc_fill(in->lines.len, sizeof(*x.line_loc), 0xff);
	x.loc_map = alloc_fill(in->locations.len + 1, sizeof(*x.loc_map), 0xff);
	x.node_map = alloc_fill(in->nodes.len, sizeof(*x.node_map), 0xff);
	x.node_bits = calloc(in->nodes.len + 1, 1);
	tid_names = find_names(in, f->tid_names, f->ntid_names);
	pid_names = find_names(in, f->pid_names, f->npid_names);
	comms = find_names(in, f->comms, f->ncomms);
	sc_names_init(&names, in);
	if (!x.out || !x.fn_bits || !x.loc_bits || !x.map_bits || !x.str_map || !x.fn_map ||
	    !x.line_loc || !x.loc_map || !x.node_map || !x.node_bits || !tid_names || !pid_names ||
	    !comms)
		goto done;
	if ((r = copy_metadata(&x)) < 0)
		goto done;
	if (f->focus || f->ignore || f->focus_module)
		mark_nodes(&x);
	for (size_t i = 0; i < in->samples.len; i++) {
		const sc_sample *s = &in->samples.data[i];
		if ((f->ntids || f->ntid_names) && !in_list(f->tids, f->ntids, s->tid) &&
		    !in_names(tid_names, f->ntid_names, sc_sample_thread_name(in, &names, i)))
			continue;
		if ((f->npids || f->npid_names) && !in_list(f->pids, f->npids, s->pid) &&
		    !in_names(pid_names, f->npid_names, sc_sample_process_name(in, &names, i)))
			continue;
		if (f->ncomms &&
		    !in_names(comms, f->ncomms, sc_sample_thread_name(in, &names, i)) &&
		    !in_names(comms, f->ncomms, sc_sample_process_name(in, &names, i)))
			continue;
		uint8_t b = x.node_bits[s->stack];
		if ((f->focus && !(b & BIT_FOCUS)) || (f->focus_module && !(b & BIT_MFOCUS)) ||
		    (b & BIT_IGNORE))
			continue;
		if (window) {
			uint64_t t;
			if (!sample_time(in, &ts, i, &t) || t - t0 < from_ns || t - t0 >= to_ns)
				continue;
		}
		int64_t stack = map_node(&x, s->stack);
		if (stack < 0 || (r = copy_sample(&x, i, (sc_stack_id)stack)) < 0) {
			r = -ENOMEM;
			goto done;
		}
	}
	*out = x.out;
	x.out = NULL;
	r = 0;
done:
	for (int i = 0; i < 5; i++)
		if (x.has_re[i])
			regfree(&x.re[i]);
	sc_profile_free(x.out);
	free(x.fn_bits);
	free(x.loc_bits);
	free(x.map_bits);
	free(x.str_map);
	free(x.fn_map);
	free(x.line_loc);
	free(x.loc_map);
	free(x.node_map);
	free(x.node_bits);
	free(tid_names);
	free(pid_names);
	free(comms);
	return r;
}

/*
 * heap_json.c: heap.json (scorch's own heap report) and dhat.json (DHAT's format).
 *
 * heap.json, version 2 (SC_HEAP_JSON_VERSION; version 1 had no "classified", "leak_kinds" nor
 * the leaks' "kinds"). Numbers are integers (bytes, counts, ns); stacks
 * are arrays of frame names, innermost first (inline frames expanded; "module+0xOFF" when
 * unnamed; [] when the stack is unknown), each with "lines", the same frames' "FILE:LINE" ("" when
 * unknown), which tell apart two call sites in one function:
 *
 *   {"version":1,"command":"./prog a b","pid":4242,"exited":true,"duration_ns":1500000,
 *    "totals":{"allocs":14,"frees":10,"reallocs":1,"bytes_allocated":4736,"bytes_freed":4096,
 *              "usable_allocated":4864,"peak_bytes":1664,"peak_blocks":11,"peak_time_ns":900000,
 *              "leaked_bytes":640,"leaked_blocks":10,"largest":1024,"temporary":2,
 *              "frees_unknown":0,
 *              "live_bytes":640,"live_blocks":10,          <- live at the end, leaked or not
 *              "replaced_blocks":0,"replaced_bytes":0,    <- ALLOCs over a live address
 *              "max_rss":3145728,                          <- 0 without RSS samples
 *              "suppressed_bytes":0,"suppressed_blocks":0,
 *              "alloc_held":135168,"alloc_in_use":2048,"alloc_free":133120,
 *                   <- the allocator's statistics (mallinfo2) when it held the most bytes
 *                      from the system: in use by chunks, free inside; 0 without them
 *              "classified":true,   <- the exit scan classified the leaks (src/agent/heap_scan.c)
 *              "leak_kinds":{"definite":{"bytes":160,"blocks":2},"indirect":{...},
 *                            "possible":{...},"reachable":{...},"unclassified":{...}}},
 *                   <- the leaked bytes and blocks by kind (valgrind's memcheck's: definitely,
 *                      indirectly, possibly lost, still reachable); everything "unclassified"
 *                      when "classified" is false; all zero unless the process exited
 *    "sites":[{"allocs":4,"bytes":4096,"stack":["make_buf","process","main"],
 *              "lines":["buf.c:12","main.c:40","main.c:77"]},...],
 *                                     <- by bytes allocated, largest first, top N (default 50)
 *    "leaks":[{"blocks":10,"bytes":640,"kinds":{"definite":{"bytes":64,"blocks":1},
 *              "indirect":{"bytes":576,"blocks":9}},"stack":["leak_node","main"]}],
 *                                     <- "kinds": the site's leaked blocks by kind, the kinds
 *                                        it has only
 *                                     <- all, largest first; [] unless the process exited
 *    "live_at_end":[...],             <- as "leaks", present only when the process did not exit
 *    "peak":[{"blocks":1,"bytes":1024,"stack":[...]},...],    <- live at the peak, top N
 *    "size_histogram":[{"le":16,"allocs":3,"bytes":40},...],
 *                     <- powers of two: 2^(k-1) < size <= le; from the first non-empty bucket
 *                        to the last (le 1 holds sizes 0 and 1)
 *    "lifetime_histogram":[{"le_ns":1000,"allocs":2},...,{"le_ns":1000000000000000,...}],
 *                     <- freed blocks only, 13 buckets 10^3..10^15 ns, the last one also holds
 *                        longer lifetimes
 *    "timeline":{"width_ns":1000000,"points":[
 *      {"t_ns":0,"heap_min":0,"heap_max":1664,"heap_last":640,   <- requested bytes live
 *       "rss":3145728,                                           <- when sampled then
 *       "alloc_held":135168,"alloc_in_use":2048,"alloc_free":133120},...]},
 *                     <- the buckets of heap.h's timeline that hold something, t_ns their
 *                        start; alloc_*: the allocator's statistics (mallinfo2) when the
 *                        agent sent some in that bucket (the one holding the most)
 *    "gates":[{"gate":"leaks>1K","value":640,"limit":1024,"failed":false}]}
 *
 * dhat.json: DHAT's file format version 2 as valgrind's dh_main.c writes it and dh_view.js reads
 * it: "bklt" true (lifetimes known), "bkacc" false (no access counts), times in microseconds
 * ("tu":"µs", "Mtu":"s"), "tuth" 1000 (a PP whose blocks live 1 ms or less on average is
 * "short-lived"). One PP per site: tb/tbk total bytes/blocks, tl the sum of its blocks' lifetimes
 * (up to the end for live ones), mb/mbk its own maximum of live bytes and the blocks then, gb/gbk
 * live at the global peak ("tg"), eb/ebk live at the end ("te"); "fs" indexes "ftbl", innermost
 * first, whose entry 0 is "[root]". Frames read "0xADDR: NAME (FILE:LINE)" or "0xADDR: NAME (in
 * MODULE)" as DHAT's do. dh_view.js refuses two PPs with the same frames: sites whose frames
 * print the same are merged (their maxima summed, an upper bound).
 *
 * Both documents are built in memory and written at once: their size grows with the sites.
 */
#include "heap/heap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/hashmap.h"
#include "util/strbuf.h"
#include "util/vec.h"

#define SC_HEAP_JSON_VERSION 2
#define DHAT_TUTH_US	     1000

/* A JSON text with a sticky error: the first failed append makes every later one a no-op. */
struct jw {
	sc_strbuf sb;
	int err;
};

static void js(struct jw *w, const char *s)
{
	if (!w->err && sc_strbuf_adds(&w->sb, s) < 0)
		w->err = -ENOMEM;
}

__attribute__((format(printf, 2, 3))) static void jf(struct jw *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (!w->err && sc_strbuf_vaddf(&w->sb, fmt, ap) < 0)
		w->err = -ENOMEM;
	va_end(ap);
}

/* A quoted, escaped JSON string. */
static void jq(struct jw *w, const char *s)
{
	js(w, "\"");
	if (!w->err && sc_strbuf_add_json(&w->sb, s) < 0)
		w->err = -ENOMEM;
	js(w, "\"");
}

static int flush(struct jw *w, FILE *f)
{
	int r = w->err;
	if (!r && w->sb.len && fwrite(w->sb.buf, 1, w->sb.len, f) != w->sb.len)
		r = -EIO;
	sc_strbuf_release(&w->sb);
	return r;
}

/* The frames of `stack`, outermost first, in *frames (grown as needed). Returns the count or
 * -ENOMEM. */
typedef SC_VEC(sc_frame) frame_vec;
static int64_t stack_frames(const sc_profile *p, sc_stack_id stack, frame_vec *frames)
{
	size_t n = sc_profile_stack_frames(p, stack, frames->data, frames->cap);
	if (n > frames->cap) {
		frames->len = 0;
		if (sc_vec_reserve(frames, n) < 0)
			return -ENOMEM;
		n = sc_profile_stack_frames(p, stack, frames->data, frames->cap);
	}
	return (int64_t)n;
}

/* "FILE:LINE" of a frame, or "" when either is unknown. */
static void json_line(struct jw *w, const sc_profile *p, const sc_frame *fr)
{
	const sc_location *l = sc_profile_location(p, fr->location);
	const sc_function *fn = sc_profile_function(p, fr->function);
	int64_t line =
	    l && fr->line != UINT32_MAX ? sc_profile_location_lines(p, l)[fr->line].line : 0;
	js(w, "\"");
	if (fn && fn->filename && line > 0) {
		if (!w->err && sc_strbuf_add_json(&w->sb, sc_profile_str(p, fn->filename)) < 0)
			w->err = -ENOMEM;
		jf(w, ":%" PRId64, line);
	}
	js(w, "\"");
}

/* ,"stack":[names...],"lines":["FILE:LINE"...], innermost first. */
static void json_stack(struct jw *w, const sc_profile *p, sc_stack_id stack, frame_vec *frames)
{
	int64_t n = stack_frames(p, stack, frames);
	if (n < 0) {
		w->err = (int)n;
		return;
	}
	js(w, ",\"stack\":[");
	for (int64_t i = n - 1; i >= 0; i--) {
		if (i != n - 1)
			js(w, ",");
		jq(w, sc_profile_frame_name(p, &frames->data[i]));
	}
	js(w, "],\"lines\":[");
	for (int64_t i = n - 1; i >= 0; i--) {
		if (i != n - 1)
			js(w, ",");
		json_line(w, p, &frames->data[i]);
	}
	js(w, "]");
}

static void json_sites(struct jw *w, const sc_heap *h, sc_heap_order order, size_t max,
		       frame_vec *frames)
{
	const sc_heap_site **v;
	size_t n;
	if (w->err)
		return;
	if (sc_heap_sorted_sites(h, order, &v, &n) < 0) {
		w->err = -ENOMEM;
		return;
	}
	const sc_profile *p = sc_heap_profile_of(h);
	js(w, "[");
	for (size_t i = 0; i < n && i < max; i++) {
		const sc_heap_site *s = v[i];
		js(w, i ? ",\n  " : "\n  ");
		if (order == SC_HEAP_BY_BYTES)
			jf(w, "{\"allocs\":%" PRIu64 ",\"bytes\":%" PRIu64, s->allocs, s->bytes);
		else if (order == SC_HEAP_BY_LIVE) {
			jf(w, "{\"blocks\":%" PRIu64 ",\"bytes\":%" PRIu64, s->live_blocks,
			   s->live_bytes);
			if (sc_heap_get_totals(h)->exited) {
				js(w, ",\"kinds\":{");
				for (size_t k = 0, nk = 0; k < SC_HEAP_KINDS; k++)
					if (s->kind_blocks[k])
						jf(w,
						   "%s\"%s\":{\"bytes\":%" PRIu64
						   ",\"blocks\":%" PRIu64 "}",
						   nk++ ? "," : "",
						   sc_heap_kind_key((sc_heap_leak_kind)k),
						   s->kind_bytes[k], s->kind_blocks[k]);
				js(w, "}");
			}
		} else
			jf(w, "{\"blocks\":%" PRIu64 ",\"bytes\":%" PRIu64, s->peak_blocks,
			   s->peak_bytes);
		json_stack(w, p, s->stack, frames);
		js(w, "}");
	}
	js(w, "]");
	free(v);
}

int sc_heap_write_json(const sc_heap *h, const sc_heap_report *o, FILE *f)
{
	if (!sc_heap_is_finished(h))
		return -EINVAL;
	const sc_heap_totals *t = sc_heap_get_totals(h);
	size_t top = o && o->top ? o->top : 50;
	struct jw w = {0};
	frame_vec frames = {0};
	jf(&w, "{\"version\":%d,\"command\":", SC_HEAP_JSON_VERSION);
	jq(&w, o && o->command ? o->command : "");
	jf(&w, ",\"pid\":%" PRIu32 ",\"exited\":%s,\"duration_ns\":%" PRIu64 ",\n", sc_heap_pid(h),
	   t->exited ? "true" : "false", t->duration);
	jf(&w,
	   "\"totals\":{\"allocs\":%" PRIu64 ",\"frees\":%" PRIu64 ",\"reallocs\":%" PRIu64
	   ",\"bytes_allocated\":%" PRIu64 ",\"bytes_freed\":%" PRIu64
	   ",\"usable_allocated\":%" PRIu64 ",\"peak_bytes\":%" PRIu64 ",\"peak_blocks\":%" PRIu64
	   ",\"peak_time_ns\":%" PRIu64 ",\"leaked_bytes\":%" PRIu64 ",\"leaked_blocks\":%" PRIu64
	   ",\"largest\":%" PRIu64 ",\"temporary\":%" PRIu64 ",\"frees_unknown\":%" PRIu64
	   ",\"live_bytes\":%" PRIu64 ",\"live_blocks\":%" PRIu64 ",\"replaced_blocks\":%" PRIu64
	   ",\"replaced_bytes\":%" PRIu64 ",\"max_rss\":%" PRIu64 ",\"suppressed_bytes\":%" PRIu64
	   ",\"suppressed_blocks\":%" PRIu64 ",\"alloc_held\":%" PRIu64 ",\"alloc_in_use\":%" PRIu64
	   ",\"alloc_free\":%" PRIu64 ",\n \"classified\":%s,\"leak_kinds\":{",
	   t->allocs, t->frees, t->reallocs, t->bytes_allocated, t->bytes_freed,
	   t->usable_allocated, t->peak_bytes, t->peak_blocks, t->peak_time, t->leaked_bytes,
	   t->leaked_blocks, t->largest, t->temporary, t->frees_unknown, t->live_bytes,
	   t->live_blocks, t->replaced_blocks, t->replaced_bytes, t->max_rss, t->suppressed_bytes,
	   t->suppressed_blocks, t->alloc_held, t->alloc_in_use, t->alloc_free,
	   t->classified ? "true" : "false");
	for (size_t k = 1; k <= SC_HEAP_KINDS; k++) { /* unclassified last */
		size_t i = k % SC_HEAP_KINDS;
		jf(&w, "%s\"%s\":{\"bytes\":%" PRIu64 ",\"blocks\":%" PRIu64 "}", k > 1 ? "," : "",
		   sc_heap_kind_key((sc_heap_leak_kind)i), t->kind_bytes[i], t->kind_blocks[i]);
	}
	js(&w, "}},\n");
	js(&w, "\"sites\":");
	json_sites(&w, h, SC_HEAP_BY_BYTES, top, &frames);
	js(&w, ",\n\"leaks\":");
	if (t->exited) {
		json_sites(&w, h, SC_HEAP_BY_LIVE, SIZE_MAX, &frames);
	} else {
		js(&w, "[],\n\"live_at_end\":");
		json_sites(&w, h, SC_HEAP_BY_LIVE, SIZE_MAX, &frames);
	}
	js(&w, ",\n\"peak\":");
	json_sites(&w, h, SC_HEAP_BY_PEAK, top, &frames);

	const sc_heap_bucket *b = sc_heap_size_histogram(h);
	size_t first = 0, last = 0;
	bool any = false;
	for (size_t i = 0; i < SC_HEAP_SIZE_BUCKETS; i++)
		if (b[i].allocs) {
			if (!any)
				first = i;
			last = i;
			any = true;
		}
	js(&w, ",\n\"size_histogram\":[");
	for (size_t i = first; any && i <= last; i++)
		jf(&w, "%s{\"le\":%" PRIu64 ",\"allocs\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
		   i > first ? "," : "", b[i].le, b[i].allocs, b[i].bytes);
	js(&w, "],\n\"lifetime_histogram\":[");
	b = sc_heap_lifetime_histogram(h);
	for (size_t i = 0; i < SC_HEAP_LIFETIME_BUCKETS; i++)
		jf(&w, "%s{\"le_ns\":%" PRIu64 ",\"allocs\":%" PRIu64 "}", i ? "," : "", b[i].le,
		   b[i].allocs);
	js(&w, "],\n\"timeline\":{");
	size_t npts;
	uint64_t width;
	const sc_heap_point *pts = sc_heap_timeline(h, &npts, &width);
	jf(&w, "\"width_ns\":%" PRIu64 ",\"points\":[", width);
	for (size_t i = 0, k = 0; i < npts; i++) {
		const sc_heap_point *pt = &pts[i];
		if (!pt->has_heap && !pt->has_rss && !pt->has_alloc)
			continue;
		jf(&w, "%s\n {\"t_ns\":%" PRIu64, k++ ? "," : "", (uint64_t)i * width);
		if (pt->has_heap)
			jf(&w,
			   ",\"heap_min\":%" PRIu64 ",\"heap_max\":%" PRIu64
			   ",\"heap_last\":%" PRIu64,
			   pt->heap_min, pt->heap_max, pt->heap_last);
		if (pt->has_rss)
			jf(&w, ",\"rss\":%" PRIu64, pt->rss);
		if (pt->has_alloc)
			jf(&w,
			   ",\"alloc_held\":%" PRIu64 ",\"alloc_in_use\":%" PRIu64
			   ",\"alloc_free\":%" PRIu64,
			   pt->alloc_held, pt->alloc_in_use, pt->alloc_free);
		js(&w, "}");
	}
	js(&w, "]},\n\"gates\":[");
	for (size_t i = 0; o && o->gates && i < o->gates->n; i++) {
		const sc_heap_gate *g = &o->gates->gate[i];
		js(&w, i ? "," : "");
		js(&w, "{\"gate\":");
		jq(&w, g->text);
		jf(&w, ",\"value\":%" PRIu64 ",\"limit\":%" PRIu64 ",\"failed\":%s}", g->value,
		   g->limit, g->failed ? "true" : "false");
	}
	js(&w, "]}\n");
	sc_vec_release(&frames);
	return flush(&w, f);
}

/* ---- dhat.json ---- */

struct dhat {
	const sc_profile *p;
	sc_strbuf names; /* the frame table's strings, each NUL-terminated */
	SC_VEC(size_t) name_off;
	sc_hashmap name_index; /* hash(string) -> index into name_off */
	SC_VEC(uint32_t) fs;   /* all PPs' frame indexes, concatenated */
	struct pp {
		size_t first, n; /* into fs */
		uint64_t tb, tbk, tl, mb, mbk, gb, gbk, eb, ebk;
	} * pps;
	size_t npps;
	sc_hashmap pp_index; /* hash(frame indexes) -> pp */
};

static bool name_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct dhat *d = ctx;
	return !strcmp(d->names.buf + d->name_off.data[value], key);
}

/* The frame table index of `s`, added if new; or -ENOMEM. */
static int64_t frame_index(struct dhat *d, const char *s)
{
	uint64_t hash = sc_hash_bytes(s, strlen(s), 0x6468), v;
	if (sc_hashmap_get(&d->name_index, hash, name_eq, s, d, &v))
		return (int64_t)v;
	size_t off = d->names.len;
	if (sc_strbuf_add(&d->names, s, strlen(s) + 1) < 0 || sc_vec_push(&d->name_off, off) < 0 ||
	    sc_hashmap_put(&d->name_index, hash, d->name_off.len - 1) < 0)
		return -ENOMEM;
	return (int64_t)(d->name_off.len - 1);
}

/* DHAT's frame text: "0xADDR: NAME (FILE:LINE)" or "0xADDR: NAME (in MODULE)". */
static int frame_text(const sc_profile *p, const sc_frame *fr, sc_strbuf *sb)
{
	const sc_location *l = sc_profile_location(p, fr->location);
	const sc_function *fn = sc_profile_function(p, fr->function);
	int64_t line = 0;
	if (l && fr->line != UINT32_MAX)
		line = sc_profile_location_lines(p, l)[fr->line].line;
	sc_strbuf_reset(sb);
	int r = sc_strbuf_addf(sb, "0x%" PRIx64 ": %s", l ? l->address : 0,
			       sc_profile_frame_name(p, fr));
	if (fn && fn->filename && line > 0)
		r |= sc_strbuf_addf(sb, " (%s:%" PRId64 ")", sc_profile_str(p, fn->filename), line);
	else
		r |= sc_strbuf_addf(sb, " (in %s)", sc_profile_location_module(p, fr->location));
	return r < 0 ? -ENOMEM : 0;
}

static bool pp_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct dhat *d = ctx;
	const struct pp *a = &d->pps[value], *b = key;
	return a->n == b->n &&
	       !memcmp(&d->fs.data[a->first], &d->fs.data[b->first], a->n * sizeof(uint32_t));
}

static int dhat_add_site(struct dhat *d, const sc_heap_site *s, frame_vec *frames, sc_strbuf *tmp)
{
	int64_t n = stack_frames(d->p, s->stack, frames);
	if (n < 0)
		return (int)n;
	struct pp pp = {.first = d->fs.len};
	if (!n) {
		int64_t fi = frame_index(d, "[unknown stack]");
		if (fi < 0 || sc_vec_push(&d->fs, (uint32_t)fi) < 0)
			return -ENOMEM;
	}
	for (int64_t i = n - 1; i >= 0; i--) {
		if (frame_text(d->p, &frames->data[i], tmp) < 0)
			return -ENOMEM;
		int64_t fi = frame_index(d, sc_strbuf_cstr(tmp));
		if (fi < 0 || sc_vec_push(&d->fs, (uint32_t)fi) < 0)
			return -ENOMEM;
	}
	pp.n = d->fs.len - pp.first;
	uint64_t hash = sc_hash_bytes(&d->fs.data[pp.first], pp.n * sizeof(uint32_t), 0x7070), v;
	struct pp *into;
	if (sc_hashmap_get(&d->pp_index, hash, pp_eq, &pp, d, &v)) {
		d->fs.len = pp.first; /* the same frames: merge into the earlier PP */
		into = &d->pps[v];
	} else {
		if (sc_hashmap_put(&d->pp_index, hash, d->npps) < 0)
			return -ENOMEM;
		into = &d->pps[d->npps++];
		*into = pp;
	}
	into->tb += s->bytes;
	into->tbk += s->allocs;
	into->tl += s->lifetime_ns;
	into->mb += s->max_bytes;
	into->mbk += s->max_blocks;
	into->gb += s->peak_bytes;
	into->gbk += s->peak_blocks;
	into->eb += s->live_bytes;
	into->ebk += s->live_blocks;
	return 0;
}

int sc_heap_write_dhat(const sc_heap *h, const sc_heap_report *o, FILE *f)
{
	if (!sc_heap_is_finished(h))
		return -EINVAL;
	const sc_heap_totals *t = sc_heap_get_totals(h);
	struct dhat d = {.p = sc_heap_profile_of(h)};
	struct jw w = {0};
	frame_vec frames = {0};
	sc_strbuf tmp = {0};
	size_t nsites = sc_heap_nsites(h);
	d.pps = calloc(nsites ? nsites : 1, sizeof(*d.pps));
	int r = d.pps && frame_index(&d, "[root]") == 0 ? 0 : -ENOMEM;
	for (size_t i = 0; i < nsites && !r; i++)
		r = dhat_add_site(&d, sc_heap_site_at(h, i), &frames, &tmp);
	if (r < 0)
		goto out;
	js(&w, "{\"dhatFileVersion\":2\n,\"mode\":\"heap\",\"verb\":\"Allocated\"\n"
	       ",\"bklt\":true,\"bkacc\":false\n,\"tu\":\"µs\",\"Mtu\":\"s\"\n");
	jf(&w, ",\"tuth\":%d\n,\"cmd\":", DHAT_TUTH_US);
	jq(&w, o && o->command ? o->command : "");
	jf(&w, "\n,\"pid\":%" PRIu32 "\n,\"te\":%" PRIu64 "\n,\"tg\":%" PRIu64 "\n,\"pps\":\n [",
	   sc_heap_pid(h), t->duration / 1000, t->peak_time / 1000);
	for (size_t i = 0; i < d.npps; i++) {
		const struct pp *pp = &d.pps[i];
		jf(&w,
		   "%s{\"tb\":%" PRIu64 ",\"tbk\":%" PRIu64 ",\"tl\":%" PRIu64
		   "\n  ,\"mb\":%" PRIu64 ",\"mbk\":%" PRIu64 ",\"gb\":%" PRIu64 ",\"gbk\":%" PRIu64
		   ",\"eb\":%" PRIu64 ",\"ebk\":%" PRIu64 "\n  ,\"fs\":[",
		   i ? "\n ," : "", pp->tb, pp->tbk, pp->tl / 1000, pp->mb, pp->mbk, pp->gb,
		   pp->gbk, pp->eb, pp->ebk);
		for (size_t k = 0; k < pp->n; k++)
			jf(&w, "%s%" PRIu32, k ? "," : "", d.fs.data[pp->first + k]);
		js(&w, "]\n  }");
	}
	js(&w, "\n ]\n,\"ftbl\":\n [");
	for (size_t i = 0; i < d.name_off.len; i++) {
		js(&w, i ? "\n ," : "");
		jq(&w, d.names.buf + d.name_off.data[i]);
	}
	js(&w, "\n ]\n}\n");
	r = flush(&w, f);
out:
	sc_strbuf_release(&w.sb);
	sc_strbuf_release(&tmp);
	sc_vec_release(&frames);
	free(d.pps);
	sc_vec_release(&d.fs);
	sc_hashmap_release(&d.pp_index);
	sc_hashmap_release(&d.name_index);
	sc_vec_release(&d.name_off);
	sc_strbuf_release(&d.names);
	return r;
}

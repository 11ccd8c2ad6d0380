/*
 * outputs.c: the kernel and copy tables and their files (outputs.h).
 *
 * kernels.txt, for people (times in ms with three decimals, so the ns above 1 us show):
 *
 *     GPU kernels: 5 launches of 2 kernels, 16.000 ms of GPU time; 2 copies, 1.000 ms
 *        total ms  share  calls   mean ms    min ms    max ms  regs  grid x block        kernel
 *          10.000  62.5%      2     5.000     5.000     5.000    32  64x1x1 x 256x1x1    reduce
 *           6.000  37.5%      3     2.000     2.000     2.000    16  256x1x1 x 128x1x1   axpy
 *
 *     copies and memsets
 *       kind      count          bytes    time ms      GB/s
 *       HtoD          1        4194304      0.500      8.39
 *
 * A kernel launched with several shapes lists them by calls, most first, separated by ", "
 * ("+" after the fourth: more were seen).
 *
 * kernels.json, version 1 (SC_CUPTI_JSON_VERSION), times in ns, integers:
 *
 *     {"version":1,
 *      "totals":{"launches":5,"kernels":2,"gpu_time_ns":16000000,"copies":2,
 *                "copy_bytes":4194816,"copy_time_ns":1000000,"api_calls":12},
 *      "kernels":[{"name":"reduce","mangled":"reduce","calls":2,"total_ns":10000000,
 *                  "mean_ns":5000000,"min_ns":5000000,"max_ns":5000000,"registers":32,
 *                  "shared_bytes":0,"shapes":[{"grid":[64,1,1],"block":[256,1,1],"calls":2}],
 *                  "more_shapes":false},...],          <- by total_ns, largest first
 *      "copies":[{"kind":"HtoD","count":1,"bytes":4194304,"time_ns":500000,
 *                 "gb_per_s":8.389}],                  <- bytes / time_ns (1e9 bytes a second)
 *      "warnings":["CUPTI dropped 5 activity records ..."]}
 *
 * The Chrome trace events: an API call is {"ph":"X","cat":"cuda_api","name":"cuLaunchKernel",
 * "pid","tid" (the calling thread),"ts","dur","args":{"correlation":N}}; a kernel
 * {"ph":"X","cat":"kernel","name":"axpy",...,"args":{"grid":"256x1x1","block":"128x1x1",
 * "correlation":N,"registers":16}} on tid SC_CUPTI_GPU_TID + device << 20 + stream, named by a
 * "thread_name" event "GPU 0 stream 7"; copies ("cat":"memcpy", name "memcpy HtoD", args bytes)
 * and memsets ("cat":"memset") on the same tracks; synchronizations ("cat":"sync") on their
 * stream's track (a context's, which has none, on "GPU context synchronization"; a
 * synchronization names no device: device 0's tracks). ts and dur in microseconds with three
 * decimals, CLOCK_MONOTONIC.
 */
#include "gpu/cupti/outputs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int by_total(const void *a, const void *b)
{
	const sc_cupti_kstat *x = a, *y = b;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

static int by_calls(const void *a, const void *b)
{
	const sc_cupti_shape *x = a, *y = b;
	return x->calls != y->calls ? (x->calls > y->calls ? -1 : 1) : 0;
}

static void add_shape(sc_cupti_kstat *s, const sc_cupti_kernel *k)
{
	for (size_t i = 0; i < s->nshapes; i++)
		if (!memcmp(s->shapes[i].grid, k->grid, sizeof(k->grid)) &&
		    !memcmp(s->shapes[i].block, k->block, sizeof(k->block))) {
			s->shapes[i].calls++;
			return;
		}
	if (s->nshapes == SC_CUPTI_MAX_SHAPES) {
		s->more_shapes = true;
		return;
	}
	sc_cupti_shape *n = &s->shapes[s->nshapes++];
	memcpy(n->grid, k->grid, sizeof(n->grid));
	memcpy(n->block, k->block, sizeof(n->block));
	n->calls = 1;
}

int sc_cupti_kernel_table(const sc_cupti *d, sc_cupti_kstat **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sc_cupti_kstat *t = calloc(d->kernels.len ? d->kernels.len : 1, sizeof(*t));
	sc_hashmap idx = {0};
	if (!t)
		return -ENOMEM;
	size_t len = 0;
	for (size_t i = 0; i < d->kernels.len; i++) {
		const sc_cupti_kernel *k = &d->kernels.data[i];
		uint64_t at, ns = k->end - k->start;
		if (!sc_hashmap_get(&idx, sc_hash_u64(k->display), NULL, NULL, NULL, &at)) {
			at = len++;
			t[at] = (sc_cupti_kstat){.name = k->display, .min = UINT64_MAX};
			if (sc_hashmap_put(&idx, sc_hash_u64(k->display), at) < 0) {
				free(t);
				sc_hashmap_release(&idx);
				return -ENOMEM;
			}
		}
		sc_cupti_kstat *s = &t[at];
		s->calls++;
		s->total += ns;
		if (ns < s->min)
			s->min = ns;
		if (ns > s->max)
			s->max = ns;
		if (k->registers > s->registers)
			s->registers = k->registers;
		if (k->static_shared + k->dynamic_shared > s->shared)
			s->shared = k->static_shared + k->dynamic_shared;
		add_shape(s, k);
	}
	sc_hashmap_release(&idx);
	for (size_t i = 0; i < len; i++)
		qsort(t[i].shapes, t[i].nshapes, sizeof(t[i].shapes[0]), by_calls);
	qsort(t, len, sizeof(*t), by_total);
	*out = t;
	*n = len;
	return 0;
}

static int by_copy_time(const void *a, const void *b)
{
	const sc_cupti_cstat *x = a, *y = b;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return strcmp(x->kind, y->kind);
}

int sc_cupti_copy_table(const sc_cupti *d, sc_cupti_cstat **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sc_cupti_cstat *t = calloc(16, sizeof(*t)); /* the kinds are a dozen */
	if (!t)
		return -ENOMEM;
	size_t len = 0;
	for (size_t i = 0; i < d->copies.len; i++) {
		const sc_cupti_copy *c = &d->copies.data[i];
		const char *kind = sc_cupti_copy_kind(c);
		size_t j = 0;
		while (j < len && strcmp(t[j].kind, kind))
			j++;
		if (j == len) {
			if (len == 16)
				continue;
			t[len++] = (sc_cupti_cstat){.kind = kind};
		}
		t[j].count++;
		t[j].bytes += c->bytes;
		t[j].total += c->end - c->start;
	}
	qsort(t, len, sizeof(*t), by_copy_time);
	*out = t;
	*n = len;
	return 0;
}

/* "12.345" ms from ns, exactly (three decimals, truncated to the microsecond). */
static const char *ms(char *buf, size_t size, uint64_t ns)
{
	snprintf(buf, size, "%" PRIu64 ".%03u", ns / 1000000, (unsigned)(ns / 1000 % 1000));
	return buf;
}

static double gbps(uint64_t bytes, uint64_t ns)
{
	return ns ? (double)bytes / (double)ns : 0;
}

static void shapes_text(const sc_cupti_kstat *s, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = 0;
	for (size_t i = 0; i < s->nshapes && used < size; i++) {
		const sc_cupti_shape *h = &s->shapes[i];
		int w = snprintf(buf + used, size - used, "%s%dx%dx%d x %dx%dx%d", i ? ", " : "",
				 h->grid[0], h->grid[1], h->grid[2], h->block[0], h->block[1],
				 h->block[2]);
		if (w > 0)
			used += (size_t)w;
	}
	if (s->more_shapes && used + 2 < size)
		strcat(buf, " +");
}

static void totals(const sc_cupti *d, uint64_t *gpu, uint64_t *copy_ns, uint64_t *copy_bytes)
{
	*gpu = *copy_ns = *copy_bytes = 0;
	for (size_t i = 0; i < d->kernels.len; i++)
		*gpu += d->kernels.data[i].end - d->kernels.data[i].start;
	for (size_t i = 0; i < d->copies.len; i++) {
		*copy_ns += d->copies.data[i].end - d->copies.data[i].start;
		*copy_bytes += d->copies.data[i].bytes;
	}
}

static void kernel_rows(const sc_cupti *d, const sc_cupti_kstat *t, size_t n, size_t max,
			uint64_t gpu, FILE *f)
{
	char a[32], b[32], c[32], e[32], shapes[512];
	fprintf(f, "   total ms  share  calls   mean ms    min ms    max ms  regs  "
		   "grid x block        kernel\n");
	for (size_t i = 0; i < n && i < max; i++) {
		const sc_cupti_kstat *s = &t[i];
		shapes_text(s, shapes, sizeof(shapes));
		fprintf(
		    f, "%11s %5.1f%% %6" PRIu64 " %9s %9s %9s %5u  %-18s  %s\n",
		    ms(a, sizeof(a), s->total), gpu ? 100.0 * (double)s->total / (double)gpu : 0,
		    s->calls, ms(b, sizeof(b), s->total / s->calls), ms(c, sizeof(c), s->min),
		    ms(e, sizeof(e), s->max), s->registers, shapes, sc_profile_str(d->p, s->name));
	}
}

int sc_cupti_write_text(const sc_cupti *d, FILE *f)
{
	sc_cupti_kstat *t;
	sc_cupti_cstat *c;
	size_t n, nc;
	if (sc_cupti_kernel_table(d, &t, &n) < 0)
		return -ENOMEM;
	if (sc_cupti_copy_table(d, &c, &nc) < 0) {
		free(t);
		return -ENOMEM;
	}
	uint64_t gpu, copy_ns, copy_bytes;
	totals(d, &gpu, &copy_ns, &copy_bytes);
	char a[32], b[32];
	fprintf(f,
		"GPU kernels: %zu launches of %zu kernels, %s ms of GPU time; %zu copies, %s ms\n",
		d->kernels.len, n, ms(a, sizeof(a), gpu), d->copies.len, ms(b, sizeof(b), copy_ns));
	kernel_rows(d, t, n, SIZE_MAX, gpu, f);
	fprintf(f, "\ncopies and memsets\n  kind      count          bytes    time ms      GB/s\n");
	for (size_t i = 0; i < nc; i++)
		fprintf(f, "  %-8s %6" PRIu64 " %14" PRIu64 " %10s %9.2f\n", c[i].kind, c[i].count,
			c[i].bytes, ms(a, sizeof(a), c[i].total), gbps(c[i].bytes, c[i].total));
	free(t);
	free(c);
	return ferror(f) ? -EIO : 0;
}

int sc_cupti_write_summary(const sc_cupti *d, size_t max, FILE *f)
{
	sc_cupti_kstat *t;
	size_t n;
	if (sc_cupti_kernel_table(d, &t, &n) < 0)
		return -ENOMEM;
	uint64_t gpu, copy_ns, copy_bytes;
	totals(d, &gpu, &copy_ns, &copy_bytes);
	char a[32], b[32];
	fprintf(f, "GPU kernels: %zu launches of %zu kernels, %s ms of GPU time\n", d->kernels.len,
		n, ms(a, sizeof(a), gpu));
	if (n)
		kernel_rows(d, t, n, max, gpu, f);
	if (d->copies.len)
		fprintf(f, "copies and memsets: %zu, %" PRIu64 " bytes, %s ms\n", d->copies.len,
			copy_bytes, ms(b, sizeof(b), copy_ns));
	free(t);
	return ferror(f) ? -EIO : 0;
}

static void json_str(FILE *f, const char *s)
{
	sc_strbuf sb = {0};
	if (sc_strbuf_add_json(&sb, s) == 0)
		fprintf(f, "\"%s\"", sc_strbuf_cstr(&sb));
	else
		fputs("\"\"", f);
	sc_strbuf_release(&sb);
}

/* The first kernel record named `display`, for its raw name. */
static const char *mangled_of(const sc_cupti *d, sc_str display)
{
	for (size_t i = 0; i < d->kernels.len; i++)
		if (d->kernels.data[i].display == display)
			return sc_profile_str(d->p, d->kernels.data[i].name);
	return "";
}

int sc_cupti_write_json(const sc_cupti *d, const char *warnings, FILE *f)
{
	sc_cupti_kstat *t;
	sc_cupti_cstat *c;
	size_t n, nc;
	if (sc_cupti_kernel_table(d, &t, &n) < 0)
		return -ENOMEM;
	if (sc_cupti_copy_table(d, &c, &nc) < 0) {
		free(t);
		return -ENOMEM;
	}
	uint64_t gpu, copy_ns, copy_bytes;
	totals(d, &gpu, &copy_ns, &copy_bytes);
	fprintf(f,
		"{\"version\":%d,\n "
		"\"totals\":{\"launches\":%zu,\"kernels\":%zu,\"gpu_time_ns\":%" PRIu64
		",\"copies\":%zu,\"copy_bytes\":%" PRIu64 ",\"copy_time_ns\":%" PRIu64
		",\"api_calls\":%zu},\n \"kernels\":[",
		SC_CUPTI_JSON_VERSION, d->kernels.len, n, gpu, d->copies.len, copy_bytes, copy_ns,
		d->apis.len);
	for (size_t i = 0; i < n; i++) {
		const sc_cupti_kstat *s = &t[i];
		fprintf(f, "%s\n  {\"name\":", i ? "," : "");
		json_str(f, sc_profile_str(d->p, s->name));
		fprintf(f, ",\"mangled\":");
		json_str(f, mangled_of(d, s->name));
		fprintf(f,
			",\"calls\":%" PRIu64 ",\"total_ns\":%" PRIu64 ",\"mean_ns\":%" PRIu64
			",\"min_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64
			",\"registers\":%u,\"shared_bytes\":%u,\"shapes\":[",
			s->calls, s->total, s->total / s->calls, s->min, s->max, s->registers,
			s->shared);
		for (size_t j = 0; j < s->nshapes; j++) {
			const sc_cupti_shape *h = &s->shapes[j];
			fprintf(
			    f, "%s{\"grid\":[%d,%d,%d],\"block\":[%d,%d,%d],\"calls\":%" PRIu64 "}",
			    j ? "," : "", h->grid[0], h->grid[1], h->grid[2], h->block[0],
			    h->block[1], h->block[2], h->calls);
		}
		fprintf(f, "],\"more_shapes\":%s}", s->more_shapes ? "true" : "false");
	}
	fprintf(f, "],\n \"copies\":[");
	for (size_t i = 0; i < nc; i++)
		fprintf(f,
			"%s\n  {\"kind\":\"%s\",\"count\":%" PRIu64 ",\"bytes\":%" PRIu64
			",\"time_ns\":%" PRIu64 ",\"gb_per_s\":%.3f}",
			i ? "," : "", c[i].kind, c[i].count, c[i].bytes, c[i].total,
			gbps(c[i].bytes, c[i].total));
	fprintf(f, "],\n \"warnings\":[");
	size_t nw = 0;
	for (const char *w = warnings; w && *w;) {
		const char *nl = strchr(w, '\n');
		size_t len = nl ? (size_t)(nl - w) : strlen(w);
		char line[1024];
		snprintf(line, sizeof(line), "%.*s",
			 (int)(len < sizeof(line) ? len : sizeof(line) - 1), w);
		fputs(nw++ ? "," : "", f);
		json_str(f, line);
		w += len + (nl ? 1 : 0);
	}
	fprintf(f, "]}\n");
	free(t);
	free(c);
	return ferror(f) ? -EIO : 0;
}

static int add_us(sc_strbuf *sb, const char *key, uint64_t ns)
{
	return sc_strbuf_addf(sb, ",\"%s\":%" PRIu64 ".%03u", key, ns / 1000,
			      (unsigned)(ns % 1000));
}

static uint32_t stream_tid(uint32_t device, uint32_t stream)
{
	return SC_CUPTI_GPU_TID + ((device & 0xff) << 20) + (stream & 0xfffff);
}

/* Begins an event: the comma, the phase, the name (escaped), cat, pid, tid. */
static int event(sc_strbuf *out, size_t *nevents, const char *cat, const char *name, uint32_t pid,
		 uint32_t tid)
{
	if ((*nevents)++ && sc_strbuf_adds(out, ",\n") < 0)
		return -ENOMEM;
	if (sc_strbuf_adds(out, "{\"ph\":\"X\",\"cat\":\"") < 0 || sc_strbuf_adds(out, cat) < 0 ||
	    sc_strbuf_adds(out, "\",\"name\":\"") < 0 || sc_strbuf_add_json(out, name) < 0 ||
	    sc_strbuf_addf(out, "\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32, pid, tid) < 0)
		return -ENOMEM;
	return 0;
}

/* A "thread_name" event for each GPU track (pid, tid) not named yet. */
static int name_track(sc_strbuf *out, size_t *nevents, sc_hashmap *named, uint32_t pid,
		      uint32_t tid, const char *name)
{
	uint64_t h = sc_hash_u64((uint64_t)pid << 32 | tid), v;
	if (sc_hashmap_get(named, h, NULL, NULL, NULL, &v))
		return 0;
	if (sc_hashmap_put(named, h, 1) < 0 || ((*nevents)++ && sc_strbuf_adds(out, ",\n") < 0) ||
	    sc_strbuf_addf(out,
			   "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%" PRIu32
			   ",\"tid\":%" PRIu32 ",\"args\":{\"name\":\"%s\"}}",
			   pid, tid, name) < 0)
		return -ENOMEM;
	return 0;
}

static int stream_track(sc_strbuf *out, size_t *nevents, sc_hashmap *named, uint32_t pid,
			uint32_t device, uint32_t stream, uint32_t *tid)
{
	char name[64];
	*tid = stream_tid(device, stream);
	if (stream == UINT32_MAX) /* a context's synchronization: no stream */
		snprintf(name, sizeof(name), "GPU context synchronization");
	else
		snprintf(name, sizeof(name), "GPU %u stream %u", device, stream);
	return name_track(out, nevents, named, pid, *tid, name);
}

int sc_cupti_chrome_events(void *ctx, sc_strbuf *out, size_t *nevents)
{
	const sc_cupti *d = ctx;
	sc_hashmap named = {0};
	int r = 0;
	uint32_t tid;
	for (size_t i = 0; i < d->apis.len && !r; i++) {
		const sc_cupti_api *a = &d->apis.data[i];
		if (event(out, nevents, "cuda_api", sc_profile_str(d->p, a->name), a->pid, a->tid) <
			0 ||
		    add_us(out, "ts", a->start) < 0 || add_us(out, "dur", a->end - a->start) < 0 ||
		    sc_strbuf_addf(out, ",\"args\":{\"correlation\":%" PRIu32 "}}",
				   a->correlation) < 0)
			r = -ENOMEM;
	}
	for (size_t i = 0; i < d->kernels.len && !r; i++) {
		const sc_cupti_kernel *k = &d->kernels.data[i];
		if (stream_track(out, nevents, &named, k->pid, k->device, k->stream, &tid) < 0 ||
		    event(out, nevents, "kernel", sc_profile_str(d->p, k->display), k->pid, tid) <
			0 ||
		    add_us(out, "ts", k->start) < 0 || add_us(out, "dur", k->end - k->start) < 0 ||
		    sc_strbuf_addf(out,
				   ",\"args\":{\"grid\":\"%dx%dx%d\",\"block\":\"%dx%dx%d\","
				   "\"correlation\":%" PRIu32 ",\"registers\":%" PRIu32 "}}",
				   k->grid[0], k->grid[1], k->grid[2], k->block[0], k->block[1],
				   k->block[2], k->correlation, k->registers) < 0)
			r = -ENOMEM;
	}
	for (size_t i = 0; i < d->copies.len && !r; i++) {
		const sc_cupti_copy *c = &d->copies.data[i];
		char name[32];
		snprintf(name, sizeof(name), c->op == SC_AGENT_GPU_MEMSET ? "memset" : "memcpy %s",
			 sc_cupti_copy_kind(c));
		if (stream_track(out, nevents, &named, c->pid, c->device, c->stream, &tid) < 0 ||
		    event(out, nevents, c->op == SC_AGENT_GPU_MEMSET ? "memset" : "memcpy", name,
			  c->pid, tid) < 0 ||
		    add_us(out, "ts", c->start) < 0 || add_us(out, "dur", c->end - c->start) < 0 ||
		    sc_strbuf_addf(out,
				   ",\"args\":{\"bytes\":%" PRIu64 ",\"correlation\":%" PRIu32 "}}",
				   c->bytes, c->correlation) < 0)
			r = -ENOMEM;
	}
	for (size_t i = 0; i < d->syncs.len && !r; i++) {
		const sc_cupti_sync *s = &d->syncs.data[i];
		static const char *const types[] = {"synchronize", "event synchronize",
						    "stream wait event", "stream synchronize",
						    "context synchronize"};
		const char *name = s->type < 5 ? types[s->type] : "synchronize";
		if (stream_track(out, nevents, &named, s->pid, 0, s->stream, &tid) < 0 ||
		    event(out, nevents, "sync", name, s->pid, tid) < 0 ||
		    add_us(out, "ts", s->start) < 0 || add_us(out, "dur", s->end - s->start) < 0 ||
		    sc_strbuf_adds(out, "}") < 0)
			r = -ENOMEM;
	}
	sc_hashmap_release(&named);
	return r;
}

/*
 * gpu_trace.c: the GPU metrics as Chrome trace counters. See gpu_trace.h.
 *
 *     {"traceEvents":[
 *     {"ph":"M","name":"process_name","pid":1073741824,"tid":0,"args":{"name":"GPU 0: NVIDIA
 * H100"}},
 *     {"ph":"M","name":"thread_name","pid":1073741824,"tid":0,"args":{"name":"metrics"}},
 *     {"ph":"C","name":"utilization
 * (%)","pid":1073741824,"tid":0,"ts":5120.250,"args":{"value":50}},
 *     {"ph":"C","name":"memory used
 * (B)","pid":1073741824,"tid":0,"ts":5120.250,"args":{"value":1073741824}},
 *     ... the events of `more` ...],
 *     "displayTimeUnit":"ms",
 *     "otherData":{"version":"scorch gpu 1"}}
 *
 * A metric a sample lacks has no event at that time (the viewer holds the previous value).
 */
#include "gpu/gpu_trace.h"

#include <errno.h>

#define VERSION "scorch gpu 1"

static int sep(sc_strbuf *sb, size_t *n)
{
	return (*n)++ ? sc_strbuf_adds(sb, ",\n") : sc_strbuf_adds(sb, "\n");
}

static int meta(sc_strbuf *sb, size_t *n, const char *what, uint32_t pid, const char *name)
{
	int r = sep(sb, n);
	r |= sc_strbuf_addf(
	    sb, "{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%u,\"tid\":0,\"args\":{\"name\":\"", what,
	    pid);
	r |= sc_strbuf_add_json(sb, name);
	r |= sc_strbuf_adds(sb, "\"}}");
	return r;
}

int sc_gpu_trace_events(const sc_gpu_series *s, sc_strbuf *sb, size_t *nevents)
{
	int r = 0;
	for (size_t d = 0; d < s->devices.len; d++) {
		const sc_gpu_device *dev = &s->devices.data[d];
		char name[160];
		snprintf(name, sizeof(name), "GPU %u: %s", dev->index, dev->name);
		uint32_t pid = sc_gpu_trace_pid(dev->index);
		r |= meta(sb, nevents, "process_name", pid, name);
		r |= meta(sb, nevents, "thread_name", pid, "metrics");
	}
	for (size_t i = 0; i < s->samples.len && r == 0; i++) {
		const sc_gpu_sample *p = &s->samples.data[i];
		uint32_t pid = sc_gpu_trace_pid(s->devices.data[p->dev].index);
		for (int m = 0; m < SC_GPU_NMETRICS; m++) {
			if (!(p->have & (1u << m)))
				continue;
			const sc_gpu_metric_info *mi = &sc_gpu_metric_infos[m];
			r |= sep(sb, nevents);
			r |= sc_strbuf_addf(
			    sb,
			    "{\"ph\":\"C\",\"name\":\"%s (%s)\",\"pid\":%u,\"tid\":0,"
			    "\"ts\":%llu.%03llu,\"args\":{\"value\":%.15g}}",
			    mi->label, mi->unit, pid, (unsigned long long)(p->time / 1000),
			    (unsigned long long)(p->time % 1000), p->v[m]);
		}
	}
	return r < 0 ? -ENOMEM : 0;
}

int sc_gpu_trace_write(const sc_gpu_series *s, sc_gpu_trace_more_fn more, void *ctx, FILE *f)
{
	sc_strbuf sb = {0};
	size_t n = 0;
	int r = sc_strbuf_adds(&sb, "{\"traceEvents\":[") < 0 ? -ENOMEM : 0;
	if (r == 0)
		r = sc_gpu_trace_events(s, &sb, &n);
	if (r == 0 && more)
		r = more(ctx, &sb, &n);
	if (r == 0 && sc_strbuf_adds(&sb, "],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{"
					  "\"version\":\"" VERSION "\"}}\n") < 0)
		r = -ENOMEM;
	if (r == 0 && fwrite(sb.buf, 1, sb.len, f) != sb.len)
		r = -EIO;
	if (r == 0 && ferror(f))
		r = -EIO;
	sc_strbuf_release(&sb);
	return r;
}

/*
 * metrics.c: the metrics' table, their statistics, metrics.csv and the summary. See metrics.h.
 *
 * metrics.csv (version: the header line is the format; a new metric is a new column at the end
 * of the metrics, before nothing else):
 *
 *     time_s,device,name,uuid,gpu_util_pct,mem_util_pct,sm_active_pct,mem_used_bytes,...
 *     0.000000,0,NVIDIA H100 80GB HBM3,GPU-1b2c...,50,20,,1073741824,...
 *     0.100213,0,NVIDIA H100 80GB HBM3,GPU-1b2c...,50,20,,3221225472,...
 *
 * time_s counts from the first sample; an empty cell is a metric the device did not give at
 * that sample. A name with a comma or a quote is quoted as RFC 4180 says.
 */
#include "gpu/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const sc_gpu_metric_info sc_gpu_metric_infos[SC_GPU_NMETRICS] = {
    [SC_GPU_UTIL] = {"gpu_util_pct", "utilization", "%"},
    [SC_GPU_MEM_UTIL] = {"mem_util_pct", "memory utilization", "%"},
    [SC_GPU_SM_ACTIVE] = {"sm_active_pct", "SM activity", "%"},
    [SC_GPU_MEM_USED] = {"mem_used_bytes", "memory used", "B"},
    [SC_GPU_MEM_TOTAL] = {"mem_total_bytes", "memory total", "B"},
    [SC_GPU_POWER] = {"power_mw", "power", "mW"},
    [SC_GPU_ENERGY] = {"energy_mj", "energy counter", "mJ"},
    [SC_GPU_CLOCK_SM] = {"sm_clock_mhz", "SM clock", "MHz"},
    [SC_GPU_CLOCK_MEM] = {"mem_clock_mhz", "memory clock", "MHz"},
    [SC_GPU_TEMP] = {"temperature_c", "temperature", "C"},
    [SC_GPU_PCIE_TX] = {"pcie_tx_kbps", "PCIe sent", "KB/s"},
    [SC_GPU_PCIE_RX] = {"pcie_rx_kbps", "PCIe received", "KB/s"},
    [SC_GPU_PROC_MEM] = {"proc_mem_bytes", "command's memory", "B"},
    [SC_GPU_PROC_UTIL] = {"proc_sm_util_pct", "command's SM use", "%"},
};

void sc_gpu_series_release(sc_gpu_series *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->notes.len; i++)
		free(s->notes.data[i]);
	sc_vec_release(&s->notes);
	sc_vec_release(&s->samples);
	sc_vec_release(&s->devices);
}

void sc_gpu_stat_of(const sc_gpu_series *s, uint32_t dev, enum sc_gpu_metric m, sc_gpu_stat *out)
{
	memset(out, 0, sizeof(*out));
	double sum = 0;
	for (size_t i = 0; i < s->samples.len; i++) {
		const sc_gpu_sample *p = &s->samples.data[i];
		if (p->dev != dev || !(p->have & (1u << m)))
			continue;
		double v = p->v[m];
		if (!out->count++) {
			out->min = out->max = out->first = v;
		}
		out->min = v < out->min ? v : out->min;
		out->max = v > out->max ? v : out->max;
		out->last = v;
		sum += v;
	}
	if (out->count)
		out->mean = sum / (double)out->count;
}

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int sc_gpu_write_csv(const sc_gpu_series *s, FILE *f)
{
	fputs("time_s,device,name,uuid", f);
	for (int m = 0; m < SC_GPU_NMETRICS; m++)
		fprintf(f, ",%s", sc_gpu_metric_infos[m].column);
	fputc('\n', f);
	for (size_t i = 0; i < s->samples.len; i++) {
		const sc_gpu_sample *p = &s->samples.data[i];
		const sc_gpu_device *d = &s->devices.data[p->dev];
		uint64_t t = p->time - s->start;
		fprintf(f, "%llu.%06llu,%u,", (unsigned long long)(t / 1000000000ull),
			(unsigned long long)(t % 1000000000ull / 1000), d->index);
		csv_field(f, d->name);
		fputc(',', f);
		csv_field(f, d->uuid);
		for (int m = 0; m < SC_GPU_NMETRICS; m++) {
			fputc(',', f);
			if (p->have & (1u << m))
				fprintf(f, "%.15g", p->v[m]);
		}
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

/* A value for reading: bytes in B/KiB/MiB/GiB with two decimals, milliwatts as watts with two
 * decimals, other whole numbers as they are, fractions with two decimals. */
static const char *value(char *buf, size_t size, const char *unit, double v)
{
	if (!strcmp(unit, "B")) {
		double a = fabs(v);
		const char *u = a >= 1073741824.0 ? "GiB"
				: a >= 1048576.0  ? "MiB"
				: a >= 1024	  ? "KiB"
						  : "B";
		double d = a >= 1073741824.0 ? 1073741824.0
			   : a >= 1048576.0  ? 1048576.0
			   : a >= 1024	     ? 1024
					     : 1;
		if (d == 1)
			snprintf(buf, size, "%.0f B", v);
		else
			snprintf(buf, size, "%.2f %s", v / d, u);
	} else if (!strcmp(unit, "mW")) {
		snprintf(buf, size, "%.2f", v / 1000);
	} else if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, size, "%.0f", v);
	} else {
		snprintf(buf, size, "%.2f", v);
	}
	return buf;
}

int sc_gpu_write_summary(const sc_gpu_series *s, FILE *f)
{
	if (!s->devices.len)
		fprintf(f, "no GPU: NVML lists no device\n");
	for (uint32_t d = 0; d < s->devices.len; d++) {
		const sc_gpu_device *dev = &s->devices.data[d];
		size_t n = 0;
		for (size_t i = 0; i < s->samples.len; i++)
			n += s->samples.data[i].dev == d;
		double secs = (double)(s->end - s->start) / 1e9;
		fprintf(f, "GPU %u: %s%s%s%s: %zu samples every %.0f ms over %.2f s\n", dev->index,
			dev->name, dev->uuid[0] ? " (" : "", dev->uuid, dev->uuid[0] ? ")" : "", n,
			(double)s->interval / 1e6, secs);
		fprintf(f, "  %-26s %14s %14s %14s\n", "metric", "min", "mean", "max");
		for (int m = 0; m < SC_GPU_NMETRICS; m++) {
			if (m == SC_GPU_ENERGY || m == SC_GPU_MEM_TOTAL)
				continue; /* a counter, a constant: said below */
			sc_gpu_stat st;
			sc_gpu_stat_of(s, d, (enum sc_gpu_metric)m, &st);
			if (!st.count)
				continue;
			const sc_gpu_metric_info *mi = &sc_gpu_metric_infos[m];
			char label[64], a[32], b[32], c[32];
			bool bytes = !strcmp(mi->unit, "B");
			const char *unit = !strcmp(mi->unit, "mW") ? "W" : mi->unit;
			snprintf(label, sizeof(label), "%s%s%s%s", mi->label, bytes ? "" : " (",
				 bytes ? "" : unit, bytes ? "" : ")");
			fprintf(f, "  %-26s %14s %14s %14s\n", label,
				value(a, sizeof(a), mi->unit, st.min),
				value(b, sizeof(b), mi->unit, st.mean),
				value(c, sizeof(c), mi->unit, st.max));
		}
		sc_gpu_stat mem, total, energy;
		sc_gpu_stat_of(s, d, SC_GPU_MEM_USED, &mem);
		sc_gpu_stat_of(s, d, SC_GPU_MEM_TOTAL, &total);
		sc_gpu_stat_of(s, d, SC_GPU_ENERGY, &energy);
		if (mem.count) {
			char a[32], b[32], c[32], t[32];
			double delta = mem.last - mem.first;
			fprintf(f, "  memory used: %s at the start, %s at the end, %s%s (%+.0f B)",
				value(a, sizeof(a), "B", mem.first),
				value(b, sizeof(b), "B", mem.last), delta >= 0 ? "+" : "",
				value(c, sizeof(c), "B", delta), delta);
			if (total.count)
				fprintf(f, " of %s", value(t, sizeof(t), "B", total.last));
			fputc('\n', f);
		}
		if (energy.count)
			fprintf(f, "  energy used: %.0f mJ (%.2f J) over the run\n",
				energy.last - energy.first, (energy.last - energy.first) / 1000);
	}
	return ferror(f) ? -EIO : 0;
}

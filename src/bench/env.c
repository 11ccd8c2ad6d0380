/*
 * env.c: what the machine was doing while the benchmarks ran, so results can be trusted or not.
 *
 * Everything here works on a virtual machine, where the usual advice (pin the frequency, check
 * turbo) has nothing to act on: the load average; the steal time the hypervisor took between the
 * start and the end of the run (/proc/stat); the CPU frequency governor when /sys shows cpufreq
 * at all; whether the benchmarks or this library were built without optimization; the timer's
 * advertised (clock_getres) and measured resolution and the cost of reading it. Missing files are
 * not errors: the field stays unknown (NULL / NaN) and the report says so.
 *
 * Not for: deciding anything. The warnings are advice printed with the results.
 */
#include "bench/bench_impl.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int sc_bench_parse_proc_stat(const char *text, sc_bench_cpu_times *t)
{
	memset(t, 0, sizeof(*t));
	const char *p = strstr(text, "cpu ");
	if (!p || (p != text && p[-1] != '\n'))
		return -EINVAL;
	p += 4;
	/* user nice system idle iowait irq softirq steal guest guest_nice: guest time is already
	 * counted in user, so the total stops at steal. */
	unsigned long long v[8] = {0};
	int n = 0;
	char *end;
	while (n < 8) {
		v[n] = strtoull(p, &end, 10);
		if (end == p)
			break;
		p = end;
		n++;
	}
	if (n < 4)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		t->total += v[i];
	t->steal = n >= 8 ? v[7] : 0;
	t->valid = true;
	return 0;
}

static char *read_small(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	if (buf) {
		len = fread(buf, 1, cap - 1, f);
		buf[len] = 0;
	}
	fclose(f);
	return buf;
}

void sc_bench_read_cpu_times(sc_bench_cpu_times *t)
{
	char *text = read_small("/proc/stat");
	if (!text || sc_bench_parse_proc_stat(text, t) < 0)
		memset(t, 0, sizeof(*t));
	free(text);
}

static char *trimmed(char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
	return s;
}

static double ts_diff_ns(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e9 + (double)(b->tv_nsec - a->tv_nsec);
}

static void measure_timer(scorch_bench_env *env)
{
	struct timespec res, a, b;
	env->timer_res_ns = clock_getres(CLOCK_MONOTONIC, &res) == 0
				? (double)res.tv_sec * 1e9 + (double)res.tv_nsec
				: NAN;
	double step = INFINITY;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 2000; i++) {
		struct timespec x, y;
		clock_gettime(CLOCK_MONOTONIC, &x);
		do
			clock_gettime(CLOCK_MONOTONIC, &y);
		while (y.tv_sec == x.tv_sec && y.tv_nsec == x.tv_nsec);
		double d = ts_diff_ns(&x, &y);
		if (d > 0 && d < step)
			step = d;
	}
	const int calls = 10000;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < calls; i++)
		clock_gettime(CLOCK_MONOTONIC, &b);
	env->timer_step_ns = step;
	env->timer_cost_ns = ts_diff_ns(&a, &b) / calls;
}

int sc_bench_env_start(scorch_bench_env *env, sc_bench_cpu_times *t0, bool debug_build)
{
	memset(env, 0, sizeof(*env));
	env->steal = NAN;
	env->loadavg_end = NAN;
	env->debug_build = debug_build;
#ifdef __OPTIMIZE__
	env->lib_debug_build = false;
#else
	env->lib_debug_build = true;
#endif
	struct utsname u;
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	env->hostname = strdup(host);
	if (uname(&u) == 0 &&
	    asprintf(&env->kernel, "%s %s %s", u.sysname, u.release, u.machine) < 0)
		env->kernel = NULL;
	env->ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);

	char *cpuinfo = read_small("/proc/cpuinfo");
	if (cpuinfo) {
		char *m = strstr(cpuinfo, "model name");
		if (m && (m = strchr(m, ':'))) {
			m += 2;
			size_t n = strcspn(m, "\n");
			env->cpu_model = strndup(m, n);
		}
		char *f = strstr(cpuinfo, "\nflags");
		if (f) {
			size_t n = strcspn(f + 1, "\n");
			char *line = strndup(f + 1, n);
			env->hypervisor = line && strstr(line, " hypervisor") != NULL;
			free(line);
		}
		free(cpuinfo);
	}
	env->governor =
	    trimmed(read_small("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"));

	double la[3] = {NAN, NAN, NAN};
	if (getloadavg(la, 3) < 3)
		la[0] = la[1] = la[2] = NAN;
	memcpy(env->loadavg, la, sizeof(la));
	measure_timer(env);
	sc_bench_read_cpu_times(t0);
	if (!env->hostname)
		return -ENOMEM;
	return 0;
}

int sc_bench_env_warn(scorch_bench_env *env, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	char **w = realloc(env->warnings, (env->nwarnings + 1) * sizeof(*w));
	if (!w) {
		free(msg);
		return -ENOMEM;
	}
	env->warnings = w;
	env->warnings[env->nwarnings++] = msg;
	return 0;
}

int sc_bench_env_finish(scorch_bench_env *env, const sc_bench_cpu_times *t0)
{
	sc_bench_cpu_times t1;
	sc_bench_read_cpu_times(&t1);
	if (t0->valid && t1.valid && t1.total > t0->total)
		env->steal = (double)(t1.steal - t0->steal) / (double)(t1.total - t0->total);
	double la[1];
	if (getloadavg(la, 1) == 1)
		env->loadavg_end = la[0];

	int r = 0;
	double load = fmax(env->loadavg[0], env->loadavg_end);
	if (env->debug_build)
		r |= sc_bench_env_warn(
		    env, "benchmarks compiled without optimization (no __OPTIMIZE__): "
			 "results do not describe a release build");
	if (env->lib_debug_build)
		r |= sc_bench_env_warn(env, "libscorch-bench compiled without optimization");
	if (env->ncpus > 0 && load > 0.5 * env->ncpus)
		r |= sc_bench_env_warn(
		    env, "load average %.2f on %d CPUs: other work competed with the run", load,
		    env->ncpus);
	if (env->steal > 0.01)
		r |=
		    sc_bench_env_warn(env, "the hypervisor stole %.1f%% of CPU time during the run",
				      env->steal * 100);
	if (env->governor && strcmp(env->governor, "performance"))
		r |= sc_bench_env_warn(env, "CPU frequency governor is '%s' (not 'performance')",
				       env->governor);
	if (env->timer_step_ns > 100)
		r |= sc_bench_env_warn(
		    env, "the clock advances in steps of %.0f ns: short batches are imprecise",
		    env->timer_step_ns);
	return r < 0 ? -ENOMEM : 0;
}

void sc_bench_env_release(scorch_bench_env *env)
{
	if (!env)
		return;
	free(env->hostname);
	free(env->kernel);
	free(env->cpu_model);
	free(env->governor);
	for (size_t i = 0; i < env->nwarnings; i++)
		free(env->warnings[i]);
	free(env->warnings);
	memset(env, 0, sizeof(*env));
}

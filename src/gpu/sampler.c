/*
 * sampler.c: the NVML sampling thread. See sampler.h.
 *
 * The thread waits on a condition variable on CLOCK_MONOTONIC until the next tick, so that stop
 * wakes it at once instead of after up to one interval. Samples are appended to the series by
 * the thread alone; the main thread reads them after the join.
 */
#include "gpu/sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct sc_gpu_sampler {
	sc_nvml *n;
	uint64_t interval;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	_Atomic int root;
	sc_gpu_series series;
	int err;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The parent of `pid` from /proc/PID/stat (after the command name's closing parenthesis), or
 * 0. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = 0;
	const char *p = strrchr(buf, ')');
	int ppid = 0;
	char state;
	if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
		return 0;
	return ppid;
}

bool sc_gpu_pid_in_tree(pid_t root, uint32_t pid)
{
	if (root <= 0)
		return false;
	pid_t p = (pid_t)pid;
	/* A chain longer than this is a loop read across a pid reuse. */
	for (int depth = 0; p > 1 && depth < 256; depth++) {
		if (p == root)
			return true;
		p = parent_of(p);
	}
	return false;
}

static bool mine(void *ctx, uint32_t pid)
{
	return sc_gpu_pid_in_tree((pid_t)(intptr_t)ctx, pid);
}

/* One sample of every device at time `t`. */
static void sample_all(sc_gpu_sampler *s, uint64_t t)
{
	pid_t root = atomic_load(&s->root);
	for (size_t i = 0; i < sc_nvml_ndevices(s->n); i++) {
		sc_gpu_sample smp = {.time = t, .dev = (uint32_t)i};
		int r =
		    sc_nvml_sample(s->n, i, root > 0 ? mine : NULL, (void *)(intptr_t)root, &smp);
		if (r == 0)
			r = sc_vec_push(&s->series.samples, smp);
		if (r < 0 && !s->err)
			s->err = r;
	}
	if (!s->series.start)
		s->series.start = t;
	s->series.end = t;
}

static void *sampler_main(void *arg)
{
	sc_gpu_sampler *s = arg;
	uint64_t next = s->series.start;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		next += s->interval;
		struct timespec ts = {(time_t)(next / 1000000000ull), (long)(next % 1000000000ull)};
		while (!s->stop && now_ns() < next)
			if (pthread_cond_timedwait(&s->cond, &s->lock, &ts) == ETIMEDOUT)
				break;
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->lock);
		uint64_t t = now_ns();
		sample_all(s, t);
		/* Ticks missed by a slow sample are skipped, not sampled in a burst. */
		while (next + s->interval <= t)
			next += s->interval;
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int sc_gpu_sampler_start(sc_gpu_sampler **out, sc_nvml *n, uint64_t interval_ns)
{
	*out = NULL;
	sc_gpu_sampler *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->n = n;
	s->interval = interval_ns ? interval_ns : 100000000ull;
	s->series.interval = s->interval;
	int r = 0;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->lock, NULL);
	for (size_t i = 0; i < sc_nvml_ndevices(n) && r == 0; i++)
		r = sc_vec_push(&s->series.devices, *sc_nvml_device(n, i));
	if (r < 0)
		goto fail;
	sample_all(s, now_ns());
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&s->thread, NULL, sampler_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	sc_gpu_series_release(&s->series);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return r;
}

void sc_gpu_sampler_set_root(sc_gpu_sampler *s, pid_t pid)
{
	if (s)
		atomic_store(&s->root, pid);
}

int sc_gpu_sampler_stop(sc_gpu_sampler *s, sc_gpu_series *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	sample_all(s, now_ns());
	int r = s->err;
	if (sc_nvml_take_notes(s->n, &s->series) < 0 && !r)
		r = -ENOMEM;
	*out = s->series;
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return r;
}

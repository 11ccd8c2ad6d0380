/*
 * sampler.h: a thread in scorch's process that samples every NVML device at an interval while
 * a command runs, into a series (metrics.h).
 *
 * Started before the command is launched (its first sample is taken before start returns), told
 * the command's pid once it runs (process metrics count that process and its descendants, found
 * through /proc's parent links, from then on), stopped after the command ended: stop takes one
 * last sample, so a run shorter than the interval still has two. Times are CLOCK_MONOTONIC; the
 * ticks are absolute (start + k * interval), so a slow sample does not shift the later ones.
 * The thread blocks every signal (the session's stopping policy is the main thread's).
 */
#ifndef SC_GPU_SAMPLER_H
#define SC_GPU_SAMPLER_H

#include <stdint.h>
#include <sys/types.h>

#include "gpu/metrics.h"
#include "gpu/nvml.h"

typedef struct sc_gpu_sampler sc_gpu_sampler;

/* Takes the first sample and starts the thread; `n` is borrowed until stop. 0, -ENOMEM, or
 * pthread_create's -errno. */
int sc_gpu_sampler_start(sc_gpu_sampler **out, sc_nvml *n, uint64_t interval_ns);
/* The command's pid (thread-safe: called from the main thread while sampling). */
void sc_gpu_sampler_set_root(sc_gpu_sampler *s, pid_t pid);
/* Stops the thread, takes the last sample and hands the series (devices, samples, NVML's
 * notes) to *out, which the caller releases. Frees the sampler. 0 or -ENOMEM (what was
 * sampled is in *out all the same). NULL is fine (an empty series). */
int sc_gpu_sampler_stop(sc_gpu_sampler *s, sc_gpu_series *out);

/* Whether `pid` is `root` or one of its descendants (reads /proc/PID/stat up the parents). */
bool sc_gpu_pid_in_tree(pid_t root, uint32_t pid);

#endif

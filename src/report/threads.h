/*
 * threads.h: cost by thread or by process ("worker 99%, main 1%"): which threads the samples
 * came from, with the names they had.
 *
 * A row is one tid (SC_THREADS_BY_THREAD) or one pid (SC_THREADS_BY_PROCESS) with the sum of the
 * chosen sample type and the number of samples. Its name is the thread or process name its
 * samples carry (sc_sample_thread_name / sc_sample_process_name, profile/filter.h); a thread that
 * renamed itself (pthread_setname_np after it started) is shown under the name most of its cost
 * carries. Samples without ids (folded stacks) are one row with id 0 and no name.
 *
 * Read modules.h for the same table per module.
 */
#ifndef SC_REPORT_THREADS_H
#define SC_REPORT_THREADS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"

typedef enum sc_threads_key {
	SC_THREADS_BY_THREAD,
	SC_THREADS_BY_PROCESS,
} sc_threads_key;

typedef struct sc_thread_row {
	uint32_t id;	  /* tid or pid, 0 when unknown */
	uint32_t pid;	  /* the thread's process (by process: the id again) */
	const char *name; /* borrowed from the profile; "" when unknown */
	int64_t value;	  /* sum of the sample type's values */
	int64_t samples;  /* samples (profile records; merged samples count once) */
	/* Times of the row's first and last sample, in ns since the profile's first sample (the
	 * origin of report --from/--to); both 0 when `timed` is false. */
	uint64_t first_ns, last_ns;
} sc_thread_row;

typedef struct sc_threads {
	sc_thread_row *rows; /* sorted by value descending, ties by id */
	size_t len;
	int64_t grand_total;
	int type;
	sc_threads_key key;
	bool timed; /* the samples carry times (then the rows' first_ns/last_ns are set) */
} sc_threads;

/* Computes the table for sample type `type`. Returns 0, -EINVAL for a bad type, or -ENOMEM (`t`
 * is left empty then). The rows borrow names from `p`: keep it while `t` is used. */
int sc_threads_compute(const sc_profile *p, int type, sc_threads_key key, sc_threads *t);
/* NULL-safe. */
void sc_threads_release(sc_threads *t);
/* Text table of the n first rows (0: all): share, value, samples, id (and pid), when timed the
 * seconds of the first and last sample, name. 0, -ENOMEM or -EIO. */
int sc_threads_print_text(const sc_profile *p, const sc_threads *t, size_t n, FILE *f);
/* JSON: {"schema":"scorch.threads","version":1,"sample_type":..,"unit":..,"total":..,
 * "by":"thread"|"process","rows":[{"id":..,"pid":..,"name":..,"value":..,"pct":..,
 * "samples":..[,"first_s":..,"last_s":..]}]} (first_s/last_s when timed) */
int sc_threads_print_json(const sc_profile *p, const sc_threads *t, size_t n, FILE *f);

#endif

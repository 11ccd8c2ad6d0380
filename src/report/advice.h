/*
 * advice.h: rule-based findings about a profile: what the time is spent on, in the categories
 * that have a known remedy, each with the threshold that triggered it and the numbers behind it.
 *
 * Each rule measures one share of the profile's total (sample type `type`) and fires when the
 * share reaches its threshold:
 *
 *   rule          measures (share of all samples)                                   threshold
 *   hot-function  self of the hottest function                                          20%
 *   allocator     samples with malloc/free/new/delete (or their internals) on the stack  5%
 *   memcopy       samples with memcpy/memmove/memset on the stack                        5%
 *   kernel        samples whose innermost frame is in the kernel                        10%
 *   locks         samples with futex/pthread_mutex/rwlock/condvar waits on the stack     5%
 *   inlined       self of one function inlined into another (innermost inline frame)    10%
 *   dynlink       samples in the dynamic linker (_dl_*, dl_*) at start-up or dlopen      2%
 *   page-faults   samples with page-fault handling on the stack                          5%
 *
 * Function names are matched by POSIX extended regexes on display names (the table in advice.c),
 * so the rules work on pprof and folded input alike; the kernel rule also uses the module
 * ("[kernel]") or perf's "_[k]" suffix.
 *
 * Not for: printing (reportset.c writes the findings into report.md and hotspots.json).
 */
#ifndef SC_REPORT_ADVICE_H
#define SC_REPORT_ADVICE_H

#include <stddef.h>

#include "profile/profile.h"

typedef struct sc_advice_finding {
	const char *rule;   /* stable id, e.g. "allocator" */
	const char *title;  /* one line: "Much time in memory allocation" */
	const char *advice; /* what to do about it, a few sentences */
	double pct;	    /* the measured share, percent of the total */
	double threshold;   /* the rule's threshold, percent */
	char evidence[512]; /* the functions behind it with their shares, e.g. "malloc 6.10%" */
} sc_advice_finding;

typedef struct sc_advice {
	sc_advice_finding *items; /* fired rules, largest share first */
	size_t len;
	/* Every rule's measurement, fired or not, in the table's order (for the JSON). */
	sc_advice_finding *all;
	size_t nall;
} sc_advice;

/* Runs every rule on sample type `type`. Returns 0, -EINVAL for a bad type, or -ENOMEM. */
int sc_advice_compute(const sc_profile *p, int type, sc_advice *a);
void sc_advice_release(sc_advice *a);

#endif

/*
 * record_notes.c: what `scorch record` says about a recording once it has ended (record.c calls
 * these): why it holds no sample, how many user stacks ended early and why, which deleted files
 * could not be read; and the aliases that let symbolization read files deleted while the command
 * ran, through the descriptors the recorder kept.
 */
#include "cli/record_notes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Why a recording holds no sample, instead of an empty table. */
void sc_cli_record_no_samples(const sc_record_options *o)
{
	bool time = true;
	const char *ev = sc_record_event_canonical(o->event, &time, NULL);
	const char *who = o->argv	   ? "the command"
			  : o->system_wide ? "the system"
			  : o->tids	   ? (o->npids > 1 ? "the threads" : "the thread")
			  : o->npids > 1   ? "the processes"
					   : "the process";
	if (!time)
		fprintf(stderr,
			"scorch record: no samples: no %s event happened while recorded%s\n", ev,
			o->count > 1 ? " often enough for -c" : "");
	else if (o->mode == SC_RECORD_MODE_CPU)
		fprintf(
		    stderr,
		    "scorch record: no samples: %s used no CPU time while recorded: it slept or "
		    "waited; CPU profiling sees only running code: --mode wall shows where the "
		    "time went, --mode offcpu where it blocked\n",
		    who);
	else
		fprintf(stderr,
			"scorch record: no samples: %s neither ran nor blocked while recorded\n",
			who);
}

/* Where symbolization reads the files deleted or replaced while the command ran: the descriptor
 * the recorder kept, or nothing. `paths` holds the "/proc/self/fd/N" strings; the caller frees
 * both. Returns 0 or -ENOMEM. */
int sc_cli_record_gone_aliases(const sc_record_result *res, sc_sym_file_alias **out, char **paths)
{
	*out = NULL;
	*paths = NULL;
	if (!res->ngone)
		return 0;
	enum { SLOT = 32 };
	sc_sym_file_alias *a = calloc(res->ngone, sizeof(*a));
	char *buf = calloc(res->ngone, SLOT);
	if (!a || !buf) {
		free(a);
		free(buf);
		return -ENOMEM;
	}
	for (size_t i = 0; i < res->ngone; i++) {
		a[i].file = res->gone[i].file;
		if (res->gone[i].fd >= 0) {
			snprintf(buf + i * SLOT, SLOT, "/proc/self/fd/%d", res->gone[i].fd);
			a[i].read_path = buf + i * SLOT;
		}
	}
	*out = a;
	*paths = buf;
	return 0;
}

/* Says which deleted files could not be read, and how many addresses lost their names. */
void sc_cli_record_report_gone(const sc_profile *p, const sc_record_result *res)
{
	for (size_t i = 0; i < res->ngone; i++) {
		const sc_record_gone *g = &res->gone[i];
		if (g->fd >= 0)
			continue;
		size_t n = 0;
		for (size_t l = 0; l < p->locations.len; l++) {
			const sc_mapping *m = sc_profile_mapping(p, p->locations.data[l].mapping);
			n += m && m->file == g->file;
		}
		if (!n)
			continue;
		fprintf(
		    stderr,
		    "scorch record: %zu address%s in deleted file %s could not be symbolized: it "
		    "was gone before scorch could open it, and /proc/PID/map_files said: %s%s\n",
		    n, n == 1 ? "" : "es", sc_profile_str(p, g->file), strerror(-g->err),
		    g->err == -EPERM ? " (run scorch as root to read deleted files that way)" : "");
	}
}

/* Says how many user stacks ended early and why (see sc_record_cuts). */
void sc_cli_record_report_cuts(const sc_record_options *o, const sc_record_result *res, bool signal)
{
	const sc_record_cuts *c = &res->cuts;
	unsigned long long all = (unsigned long long)c->stacks;
	if (!all)
		return;
	if (c->no_mapping) {
		char below[96] = "";
		if (c->below[0])
			snprintf(below, sizeof(below), ", below %s", c->below);
		fprintf(
		    stderr,
		    "scorch record: %llu of %llu stacks (%.1f%%) were cut at an address no mapping "
		    "holds%s (%s)\n",
		    (unsigned long long)c->no_mapping, all,
		    100.0 * (double)c->no_mapping / (double)all, below,
		    o->callgraph == SC_RECORD_CG_FP
			? "frame pointers missing: try --call-graph dwarf"
			: "code without CFI or frame pointers, or a stack that is not one");
	}
	if (c->end_of_copy && signal)
		fprintf(stderr,
			"scorch record: %llu of %llu stacks (%.1f%%) ended at a frame pointer or "
			"stack slot outside the thread's stack\n",
			(unsigned long long)c->end_of_copy, all,
			100.0 * (double)c->end_of_copy / (double)all);
	else if (c->end_of_copy)
		fprintf(
		    stderr,
		    "scorch record: %llu of %llu stacks (%.1f%%) were truncated at the end of the "
		    "%d-byte stack copy: raise --stack-size\n",
		    (unsigned long long)c->end_of_copy, all,
		    100.0 * (double)c->end_of_copy / (double)all, o->stack_bytes);
	if (c->no_rule)
		fprintf(
		    stderr,
		    "scorch record: %llu of %llu stacks (%.1f%%) stopped at a frame whose CFI the "
		    "unwinder cannot follow\n",
		    (unsigned long long)c->no_rule, all, 100.0 * (double)c->no_rule / (double)all);
	if (c->not_64bit)
		fprintf(
		    stderr,
		    "scorch record: %llu samples of 32-bit code kept only their sampled address "
		    "(--call-graph fp follows their frame pointers)\n",
		    (unsigned long long)c->not_64bit);
}

/*
 * symsummary.c: the "no symbol" lines of `scorch record` (see symsummary.h).
 *
 * The reason of each module comes from the symbolizer (enum sc_sym_reason); this file only turns
 * it into advice. Modules are shown by their file's basename, as the report's module column does.
 */
#include "cli/symsummary.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

/* part/whole in whole percent, never rounded up to 100 nor down to 0 */
static int percent(uint64_t part, uint64_t whole)
{
	int pc = (int)(100.0 * (double)part / (double)whole + 0.5);
	if (pc >= 100 && part < whole)
		pc = 99;
	if (pc <= 0 && part > 0)
		pc = 1;
	return pc;
}

/* Why generated code has no name: its process's perf map, and what was wrong with it. */
static void jit_reason(const sc_sym_unnamed *u, FILE *f)
{
	fputs("generated code", f);
	switch (u->map_error) {
	case 0:
		fprintf(f, " not named in /tmp/perf-%" PRIu32 ".map", u->pid);
		break;
	case -ENOENT:
		fprintf(f,
			" and no /tmp/perf-%" PRIu32 ".map: start the runtime with its perf map "
			"on, e.g. node --perf-basic-prof",
			u->pid);
		break;
	case -EPERM:
		fprintf(f, "; /tmp/perf-%" PRIu32 ".map was ignored: owned by another user",
			u->pid);
		break;
	case -ELOOP:
		fprintf(f, "; /tmp/perf-%" PRIu32 ".map was ignored: a symbolic link", u->pid);
		break;
	case -EINVAL:
		fprintf(f, "; /tmp/perf-%" PRIu32 ".map was ignored: not a regular file", u->pid);
		break;
	default:
		fprintf(f, "; cannot read /tmp/perf-%" PRIu32 ".map: %s", u->pid,
			strerror(-u->map_error));
		break;
	}
}

void sc_cli_print_unnamed(const sc_profile *p, const sc_sym_stats *st, FILE *f)
{
	if (!st->samples || st->unnamed_samples * 100 < st->samples)
		return;
	fprintf(f, "scorch record: %d%% of samples have no symbol\n",
		percent(st->unnamed_samples, st->samples));
	for (size_t i = 0; i < st->nworst; i++) {
		const sc_sym_unnamed *u = &st->worst[i];
		if (u->unnamed * 100 < st->samples)
			continue;
		const char *file = u->module ? sc_profile_str(p, u->module) : "";
		const char *name = basename_of(file);
		if (u->why == SC_SYM_JIT && (!*name || !strcmp(file, "//anon")))
			name = "[anon]";
		else if (u->why == SC_SYM_KERNEL)
			name = "the kernel";
		else if (!u->module)
			name = "[unknown]";
		fprintf(f, "scorch record:   %d%% of samples in %s have no symbol (",
			percent(u->unnamed, u->samples), name);
		switch (u->why) {
		case SC_SYM_NO_MAPPING:
			fputs("addresses outside any mapped file: a broken stack, or code mapped "
			      "before "
			      "recording started",
			      f);
			break;
		case SC_SYM_NO_FILE:
			fprintf(f, "cannot read '%s' as ELF: gone, replaced or not a file", file);
			break;
		case SC_SYM_STALE:
			fputs("the file on disk is not the one that ran: its build-id differs", f);
			break;
		case SC_SYM_STRIPPED:
			fputs("stripped: install its debug symbols, e.g. Debian's -dbgsym package, "
			      "or rebuild it with -g",
			      f);
			break;
		case SC_SYM_JIT:
			jit_reason(u, f);
			break;
		case SC_SYM_KERNEL:
			fputs(
			    "kernel symbols are hidden: set kernel.kptr_restrict=0 or run as root",
			    f);
			break;
		case SC_SYM_NOT_COVERED:
		default:
			fputs("no symbol covers these addresses: hand-written code or a symbol "
			      "table without sizes",
			      f);
			break;
		}
		fputs(")\n", f);
	}
}

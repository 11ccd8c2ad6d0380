/*
 * symbolize.h: turning recorded addresses into functions, inline chains, files and lines.
 *
 * Offline, from the files the mappings name (the target may have exited): ELF symbol tables and
 * DWARF through elfutils libdwfl, separate debug files found by build-id and .gnu_debuglink,
 * kernel addresses from /proc/kallsyms. Names are demangled (C++ and Rust); the raw symbol is kept
 * as the function's system_name. Each distinct (file, address) is resolved once.
 */
#ifndef SC_SYMBOLIZE_SYMBOLIZE_H
#define SC_SYMBOLIZE_SYMBOLIZE_H

#include <stddef.h>

#include "profile/profile.h"

typedef struct sc_sym_options {
	/* Called now and then with (done, total) locations; may be NULL. */
	void (*progress)(size_t done, size_t total, void *ctx);
	void *progress_ctx;
	const char *kallsyms_path; /* NULL: /proc/kallsyms */
	int no_inline;		   /* do not expand inlined frames */
} sc_sym_options;

typedef struct sc_sym_stats {
	size_t locations, resolved, unresolved, files, files_missing;
} sc_sym_stats;

/* Fills in the lines of every location without lines that belongs to a mapping not yet marked
 * symbolized, then marks those mappings. Locations that cannot be resolved are given a function
 * named "module+0xoffset" (never dropped). Also fills every mapping's build_id when the file has
 * one. Returns 0 or -ENOMEM; missing files are not errors (they count in stats). */
int sc_symbolize_profile(sc_profile *p, const sc_sym_options *o, sc_sym_stats *stats);

/* Demangles a C++ (Itanium) or Rust (legacy or v0) symbol into a malloc'd string, or returns NULL
 * when `sym` is not mangled. */
char *sc_demangle(const char *sym);

#endif

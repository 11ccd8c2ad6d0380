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

/* A file to read in place of the one a mapping names: for a binary deleted or replaced while it
 * ran, a path that still reaches the file as it was mapped ("/proc/self/fd/7"); read_path NULL:
 * read nothing (the file now at that path is not the one that was mapped, and wrong names are
 * worse than none). Both borrowed. */
typedef struct sc_sym_file_alias {
	sc_str file;	       /* the mapping's file name */
	const char *read_path; /* what to read instead, or NULL */
} sc_sym_file_alias;

typedef struct sc_sym_options {
	/* Called now and then with (done, total) locations; may be NULL. */
	void (*progress)(size_t done, size_t total, void *ctx);
	void *progress_ctx;
	const char *kallsyms_path;	  /* NULL: /proc/kallsyms */
	int no_inline;			  /* do not expand inlined frames */
	const sc_sym_file_alias *aliases; /* may be NULL */
	size_t naliases;
} sc_sym_options;

typedef struct sc_sym_stats {
	size_t locations;     /* locations looked at (no lines, mapping not yet symbolized) */
	size_t resolved;      /* ... given at least one function from symbols or DWARF */
	size_t unresolved;    /* ... given a "module+0xoffset" / "0xaddr" fallback function */
	size_t files;	      /* distinct files looked at (kallsyms counts as one) */
	size_t files_missing; /* ... that could not be read as ELF (kallsyms: no symbols) */
} sc_sym_stats;

/* Fills in the lines of every location without lines that belongs to a mapping not yet marked
 * symbolized (or to no mapping), then marks every mapping symbolized. Lines are innermost first,
 * as profile.h says; with o->no_inline only the real function's line is kept. Locations that
 * cannot be resolved are given a function named "module+0xoffset" (module: the file's basename,
 * offset: the file offset), "[kernel]+0xaddr" or "0xaddr" without a mapping: never dropped.
 * Kernel functions have filename "" or "[module]" for loadable modules.
 *
 * Function names: the demangled symbol with its parameters ("ns::Matrix<float>::mul() const"),
 * or the plain name; a symbol version ("exp@@GLIBC_2.29") is kept in system_name only. The real
 * function is named from the symbol table when a symbol covers the address (clones such as
 * "foo.cold" keep their suffix), inlined ones from DWARF. Filenames are absolute when the CU's
 * compilation directory is, with "." and ".." removed. With DEBUGINFOD_URLS set, libdwfl may
 * fetch missing debug files over the network (slow the first time).
 *
 * Also fills the build_id of each mapping it symbolizes when the file has one and the mapping had
 * none. A mapping whose recorded build_id differs from its file's is not symbolized from that
 * file (its locations get fallback names): wrong names are worse than none.
 *
 * `o` and `stats` may be NULL. Returns 0 or -ENOMEM; missing files are not errors (they count in
 * stats). After -ENOMEM the locations done so far keep their lines. Not thread-safe; the
 * profile is only touched from the calling thread. */
int sc_symbolize_profile(sc_profile *p, const sc_sym_options *o, sc_sym_stats *stats);

/* Demangles a C++ (Itanium) or Rust (legacy or v0) symbol into a malloc'd string, or returns NULL
 * when `sym` is not mangled. */
char *sc_demangle(const char *sym);

#endif

/*
 * symbolize.h: turning recorded addresses into functions, inline chains, files and lines.
 *
 * Offline, from the files the mappings name (the target may have exited): ELF symbol tables and
 * DWARF through elfutils libdwfl, separate debug files found by build-id and .gnu_debuglink,
 * PLT stubs named "memcpy@plt", JIT code from perf's /tmp/perf-PID.map files, the vDSO from this
 * process's own copy (the same kernel maps the same image), kernel addresses from /proc/kallsyms.
 * Names are demangled (C++ and Rust); the raw symbol is kept as the function's system_name. Each
 * distinct (file, address) is resolved once.
 */
#ifndef SC_SYMBOLIZE_SYMBOLIZE_H
#define SC_SYMBOLIZE_SYMBOLIZE_H

#include <stddef.h>

#include "profile/profile.h"
#include "unwind/modules.h"

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
	/* Where separate debug files are looked for, in libdwfl's syntax: colon-separated folders;
	 * an absolute folder is searched for ".build-id/xx/rest.debug" and for .gnu_debuglink names
	 * (also under the file's own path inside it), a relative one beside the file. NULL:
	 * libdwfl's default ":.debug:/usr/lib/debug". Tests point it at a folder of their own. */
	const char *debuginfo_path;
	const char *perf_map_dir; /* folder of perf-PID.map files; NULL: /tmp */
	/* The cache of opened ELF files to read them from (the recorder's, whose unwinder opened
	 * most of them already: see sc_record_result.modules); borrowed, a reference is held while
	 * the call runs and files it opens stay in it. NULL: a cache of this call's own. */
	sc_modcache *modules;
} sc_sym_options;

/* Why the addresses of a module got no function name. */
enum sc_sym_reason {
	SC_SYM_NAMED,	    /* (not unnamed) */
	SC_SYM_NO_MAPPING,  /* the address is in no known mapping */
	SC_SYM_NO_FILE,	    /* the mapping's file cannot be read as ELF (gone, not a file) */
	SC_SYM_STALE,	    /* the file on disk is not the one that ran (build-id differs) */
	SC_SYM_STRIPPED,    /* no .symtab and no debug file: only exported symbols are known */
	SC_SYM_NOT_COVERED, /* the module has symbols, but none covers these addresses */
	SC_SYM_JIT,	    /* anonymous executable memory that no perf-PID.map names */
	SC_SYM_KERNEL,	    /* kernel addresses without kernel symbols (kptr_restrict) */
};

/* A module whose samples have no function name: the share of the samples whose innermost frame
 * lies in it. */
typedef struct sc_sym_unnamed {
	sc_str module;		/* the mapping's file (a string of the profile); 0: no mapping */
	uint64_t samples;	/* samples whose innermost frame lies in the module */
	uint64_t unnamed;	/* ... of them with no symbol there */
	enum sc_sym_reason why; /* of the module's first unnamed address */
	uint32_t pid;		/* SC_SYM_JIT: one process that ran the code */
	/* SC_SYM_JIT: reading that process's perf map gave 0 or perfmap.h's -errno (-ENOENT: no
	 * map, -EPERM: another user's, -ELOOP: a symbolic link, -EINVAL: not a regular file) */
	int map_error;
} sc_sym_unnamed;

#define SC_SYM_WORST 4

typedef struct sc_sym_stats {
	size_t locations;     /* locations looked at (no lines, mapping not yet symbolized) */
	size_t resolved;      /* ... given at least one function from symbols or DWARF */
	size_t unresolved;    /* ... given a fallback function (no symbol): see below */
	size_t files;	      /* distinct files looked at (kallsyms counts as one) */
	size_t files_missing; /* ... that could not be read as ELF (kallsyms: no symbols) */
	/* Samples whose innermost frame was symbolized by this call, those of them whose innermost
	 * frame got no symbol (only a fallback name), and the modules with the most such samples,
	 * most first. */
	uint64_t samples, unnamed_samples;
	sc_sym_unnamed worst[SC_SYM_WORST];
	size_t nworst;
} sc_sym_stats;

/* Fills in the lines of every location without lines that belongs to a mapping not yet marked
 * symbolized (or to no mapping), then marks every mapping symbolized. Lines are innermost first,
 * as profile.h says; with o->no_inline only the real function's line is kept. Locations are never
 * dropped: those that no symbol names get a function with an empty system_name, one per unnamed
 * region so that a stripped library shows as a few rows, not one row per address:
 *   "module+0xoffset"  the function of the module's unwind tables (.eh_frame's FDEs) that
 *                      holds the address, named after its start (module: the file's basename,
 *                      offset: the file offset of the function's first byte);
 *   "[module]"         the rest of the module: outside any such function, or its file unreadable,
 *                      or anonymous memory ("[anon]") that no perf-PID.map names;
 *   "[unknown]"        an address in no mapping (mostly junk from a broken stack);
 *   "[kernel]"         a kernel address that no kallsyms symbol holds (all of them when
 *                      kernel.kptr_restrict hides the addresses).
 * Stubs in .plt, .plt.sec and .plt.got are named "memcpy@plt" (x86-64). Addresses in anonymous
 * executable memory ("//anon", "[anon:...]", "/memfd:...") or in no mapping are looked up in
 * PERF_MAP_DIR/perf-PID.map of each process whose samples hold them (perfmap.h says which files
 * are trusted). Kernel functions have filename "" or "[module]" for loadable modules.
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

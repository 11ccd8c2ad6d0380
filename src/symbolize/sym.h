/*
 * sym.h: the symbolizer's insides, shared by its files (not for use outside src/symbolize/; the
 * contract is symbolize.h). One `struct sym` lives for one sc_symbolize_profile call and holds
 * every cache; the files split the work by concern:
 *
 *   symbolize.c  the driver: sc_symbolize_profile, one location at a time, the result caches,
 *                fallback names and kernel addresses;
 *   files.c      the file of a mapping: taken from the module cache, reported to libdwfl (which
 *                finds separate debug files), its segments and build-id;
 *   symtab.c     function symbols (with PLT stubs) in a sorted table;
 *   dwarf.c      DWARF scopes: CUs and subprograms by address, inline chains, files and lines;
 *                resolve() turns one (file, address) into a chain of lines;
 *   unnamed.c    names for what no symbol covers ("module+0xSTART", "[module]") and the share of
 *                unnamed samples per module;
 *   jit.c        perf-PID.map names for anonymous executable memory.
 *
 * Not thread-safe, as the symbolizer.
 */
#ifndef SC_SYMBOLIZE_SYM_H
#define SC_SYMBOLIZE_SYM_H

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>

#include "profile/profile.h"
#include "symbolize/kallsyms.h"
#include "symbolize/perfmap.h"
#include "symbolize/plt.h"
#include "symbolize/symbolize.h"
#include "unwind/modules.h"
#include "util/hashmap.h"
#include "util/strbuf.h"
#include "util/vec.h"

struct seg {
	uint64_t off, filesz, vaddr;
};

/* An address range of a CU or of a subprogram with code, in DWARF addresses. */
struct sub_range {
	uint64_t lo, hi;
	Dwarf_Die die;
};

typedef SC_VEC(struct sub_range) range_vec;

/* One file on disk, shared by every mapping that names it. */
struct sym_file {
	sc_str path;
	Dwfl *dwfl; /* NULL when the file is missing or not ELF */
	Dwfl_Module *mod;
	GElf_Addr bias;
	struct seg *segs; /* PT_LOAD segments */
	size_t nsegs;
	sc_str build_id;   /* 0 without a build-id note */
	struct fsym *syms; /* function symbols by address, read on first use */
	size_t nsyms;
	bool syms_read;
	struct sub_range *cu_ranges; /* CUs by address, read when .debug_aranges falls short */
	size_t ncu_ranges;
	Dwarf_Addr cu_bias;
	bool cu_ranges_read;
	sc_plt plt;	      /* names of the PLT stubs, read with the symbols */
	uint64_t *fde_starts; /* function starts from .eh_frame_hdr, read on first use */
	size_t nfde;
	bool fde_read;
	int stripped;	 /* 0: not known yet, 1: no .symtab nor DWARF, 2: has one */
	sc_modcache *mc; /* where the ELF handle lives (s->mc), and its module number */
	int module;
	const char *read_path; /* the path read (the cache's copy) */
};

/* A function symbol, in libdwfl's address space (ELF value + bias). */
struct fsym {
	uint64_t addr, size;
	const char *name; /* owned by libdwfl */
	uint32_t rank;	  /* of aliases at one address the lowest rank is kept */
};

/* A (location, pid) pair: a process whose samples hold the location (JIT candidates only). */
struct loc_pid {
	uint32_t loc, pid;
};

/* The perf-PID.map of one process, read on first use. */
struct jit_map {
	uint32_t pid;
	int err; /* of sc_perfmap_load */
	sc_perfmap map;
};

/* A cache entry: a three-word key and what it resolved to. For addresses, (file, vaddr, 0) ->
 * lines chains[first, first + n) (n == 0: unresolved); for functions, (file, DIE offset, symbol
 * address + 1 or 0) -> function id `first`. */
struct cache_ent {
	uint64_t a, b, c;
	uint32_t first, n;
};

typedef SC_VEC(struct cache_ent) cache_vec;

/* s->why[] of a location this call did not symbolize */
#define NOT_LOOKED_AT 0xff

struct sym {
	sc_profile *p;
	sc_sym_options o;
	sc_sym_stats st;
	SC_VEC(struct sym_file) files;
	sc_hashmap file_index; /* path string id -> index in files */
	cache_vec addrs;
	sc_hashmap addr_index;
	cache_vec funcs;
	sc_hashmap func_index;
	cache_vec cus; /* (file, CU offset) -> subs[first, first + n) */
	sc_hashmap cu_index;
	range_vec subs;
	SC_VEC(sc_line) chains; /* resolved chains, innermost first */
	SC_VEC(Dwarf_Die) dies; /* scratch: the frames of one address */
	sc_modcache *mc;	/* o.modules with a reference taken, or our own */
	sc_ksyms ksyms;
	int ksyms_state; /* 0: not read yet, 1: read */
	sc_strbuf sb, path;
	uint8_t *why;			 /* by location id: enum sc_sym_reason of its fallback */
	SC_VEC(struct loc_pid) loc_pids; /* sorted */
	SC_VEC(struct jit_map) jit_maps; /* by pid, in the order first needed */
};

/* libdwfl's debuginfo_path while sc_symbolize_profile runs (NULL: libdwfl's default,
 * ":.debug:/usr/lib/debug"); libdwfl reads it through files.c's callbacks. */
extern char *sc_sym_debuginfo_path;

/* symbolize.c: the caches of struct sym (addresses, functions, CUs) by three-word key; get
 * returns the entry or NULL, put returns 0 or -ENOMEM. */
struct cache_ent *sc_sym_cache_get(const sc_hashmap *m, const cache_vec *v,
				   const struct cache_ent *k);
int sc_sym_cache_put(sc_hashmap *m, cache_vec *v, const struct cache_ent *k);
int sc_sym_set_lines(struct sym *s, uint32_t loc, const sc_line *lines, size_t n);

/* files.c: the file of a mapping, opened on first use (its index in s->files, or -ENOMEM); the
 * ELF address of a file offset. */
const char *sc_sym_base_name(const char *path);
int64_t sc_sym_file_for(struct sym *s, const sc_mapping *m);
bool sc_sym_vaddr_of(const struct sym_file *f, uint64_t fileoff, uint64_t *vaddr);

/* dwarf.c */
int64_t sc_sym_intern(struct sym *s, const char *str);
int64_t sc_sym_add_function(struct sym *s, const char *name, const char *system_name,
			    int64_t filename, int64_t start_line);
int sc_sym_resolve(struct sym *s, uint32_t fi, uint64_t vaddr);

/* symtab.c */
int sc_sym_read_symbols(struct sym_file *f);
const struct fsym *sc_sym_find_symbol(const struct sym_file *f, uint64_t addr, bool *covers);

/* unnamed.c */
bool sc_sym_is_anon(const struct sym *s, const sc_mapping *m);
bool sc_sym_file_stripped(struct sym_file *f);
int sc_sym_unnamed_name(struct sym *s, const sc_mapping *m, struct sym_file *f, uint64_t vaddr);
int sc_sym_unnamed_shares(struct sym *s);

/* jit.c */
int sc_sym_jit_pids(struct sym *s, bool (*todo)(const sc_profile *, const sc_location *));
int sc_sym_symbolize_jit(struct sym *s, uint32_t loc, const sc_mapping *m, uint64_t addr);

#endif

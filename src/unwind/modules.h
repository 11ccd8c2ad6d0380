/*
 * modules.h: one cache of opened ELF files ("modules"), each opened once and kept, for every
 * stage that reads the files the profiled program mapped: the unwinder and the symbolizer.
 *
 * A module is an ELF file found by path: its libelf handle (over mmap; the descriptor is closed at
 * once, so a thousand libraries cost no descriptors), its PT_LOAD segments (to turn file offsets
 * into ELF addresses and back), and, opened on first use, its call frame information: .eh_frame
 * (with .eh_frame_hdr's binary-search table when present) and .debug_frame. What a later user
 * needs (symbol tables, DWARF) hangs off the same handle: sc_module_elf() gives it.
 *
 * Modules are numbered 0, 1, 2... in order of first use; a number stays valid for the life of
 * the cache. A file that cannot be read is remembered too, so a missing library costs one open.
 * The cache is reference-counted (_ref/_unref) so the unwinder and the symbolizer can share one.
 * Not thread-safe. Read unwind.h for the unwinder that uses it.
 */
#ifndef SC_UNWIND_MODULES_H
#define SC_UNWIND_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <elfutils/libdw.h>
#include <libelf.h>

typedef struct sc_modcache sc_modcache;

typedef struct sc_modcache_stats {
	uint64_t files;	       /* distinct paths asked for */
	uint64_t files_failed; /* ... that could not be read as x86-64 ELF */
} sc_modcache_stats;

/* Returns a new, empty cache holding one reference, or NULL (out of memory). */
sc_modcache *sc_modcache_new(void);
sc_modcache *sc_modcache_ref(sc_modcache *mc);
/* Drops a reference; the last one closes every file. Accepts NULL. */
void sc_modcache_unref(sc_modcache *mc);

/* The module number (>= 0) of the ELF file at `path` (absolute; borrowed), opened on first use,
 * or of the kernel's vDSO when `path` is "[vdso]" (read from this process's memory: the kernel
 * maps the same image into every process),
 * or -errno: -ENOENT/-EACCES... when it cannot be opened, -ENOEXEC when it is not an x86-64 ELF
 * file with loadable segments (both remembered), -ENOMEM (nothing remembered, may be retried). */
int sc_modcache_open(sc_modcache *mc, const char *path);

/* Number of modules, failed ones included. */
size_t sc_modcache_count(const sc_modcache *mc);
void sc_modcache_get_stats(const sc_modcache *mc, sc_modcache_stats *out);

/* About module `m` (a number sc_modcache_open returned; anything else gives NULL/false). */
const char *sc_module_path(const sc_modcache *mc, int m);
Elf *sc_module_elf(const sc_modcache *mc, int m); /* borrowed; NULL for a failed module */
/* The ELF address of file offset `off`, when a loadable segment holds it. */
bool sc_module_vaddr(const sc_modcache *mc, int m, uint64_t off, uint64_t *vaddr);

/* The module's CFI from .eh_frame and from .debug_frame, loaded on first call (borrowed; NULL
 * when the file has none, and also, for good, when libdw ran out of memory loading it: libdw
 * does not tell the two apart). */
Dwarf_CFI *sc_module_eh_frame(sc_modcache *mc, int m);
Dwarf_CFI *sc_module_debug_frame(sc_modcache *mc, int m);

/* Whether the module's code keeps frame pointers, judged once from its .eh_frame: most of its
 * FDEs make %rbp the CFA register (DW_CFA_def_cfa_register r6), as every function built with
 * -fno-omit-frame-pointer does and almost no function built without it. False without .eh_frame. */
bool sc_module_has_frame_pointers(sc_modcache *mc, int m);

#endif

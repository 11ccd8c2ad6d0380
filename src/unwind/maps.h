/*
 * maps.h: a table of executable mappings for sc_unwind_stack's `find` callback.
 *
 * The recorder keeps its own address space (from PERF_RECORD_MMAP2) and may answer the callback
 * from it; this table is the simple form: add mappings, then look addresses up by binary search
 * (sorted lazily on the first lookup after an add). sc_unwind_maps_load_proc fills it from
 * /proc/PID/maps, which tests, benchmarks and attaching to a running process use.
 * A zeroed sc_unwind_maps is empty and valid. Not thread-safe.
 */
#ifndef SC_UNWIND_MAPS_H
#define SC_UNWIND_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "unwind/unwind.h"

typedef struct sc_unwind_maps {
	sc_unwind_map *data;
	size_t len, cap;
	bool sorted;
} sc_unwind_maps;

/* Adds [start, end) mapped from file offset pgoff of `file` (an sc_unwind_file handle, or < 0).
 * A later mapping overlapping an earlier one replaces it at lookup only if it starts higher; add
 * what the process has now. Returns 0 or -ENOMEM (unchanged), -EINVAL when end <= start. */
int sc_unwind_maps_add(sc_unwind_maps *m, uint64_t start, uint64_t end, uint64_t pgoff, int file);

/* An sc_unwind_find_fn: `ctx` is an sc_unwind_maps. */
bool sc_unwind_maps_find(void *ctx, uint64_t addr, sc_unwind_map *out);

/* Adds the executable mappings of process `pid` (0: this process) from /proc/PID/maps, opening
 * the files that back them through `u` (a file that cannot be read gets handle < 0, as do
 * pseudo-files other than [vdso], which is read from memory). `root`: prefix for file paths (NULL
 * or "" for none; "/proc/PID/root" reads a process's files from its own mount namespace). Returns
 * 0, -errno of reading the maps file, or -ENOMEM (the table then holds some of the mappings). */
int sc_unwind_maps_load_proc(sc_unwind_maps *m, sc_unwind *u, pid_t pid, const char *root);
/* The same from a file in /proc/PID/maps format (a copy saved earlier). */
int sc_unwind_maps_load_file(sc_unwind_maps *m, sc_unwind *u, const char *path, const char *root);

void sc_unwind_maps_release(sc_unwind_maps *m);

#endif

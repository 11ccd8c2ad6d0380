/*
 * addrspace.h: the address spaces of the recorded processes, built from perf's side-band records:
 * for each process a sorted table of its executable mappings (a fork copies its parent's, an exec
 * empties it, a new mapping cuts away what it overlaps, as mmap does), each entry pointing at a
 * model mapping of the profile, deduplicated by (file, start, limit, offset) so that forty `sh`
 * processes share one; kernel frames share one kernel mapping.
 *
 * Deleted files. Symbolization happens after the run, from the files the mappings name, so each
 * mapped file is opened when first seen, while its process (probably) lives: by its path when
 * that is still the file mapped, else through /proc/PID/root/PATH (a process in a container, whose
 * paths name files of its own mount namespace), /proc/PID/map_files/START-END (CAP_SYS_ADMIN) or
 * /proc/PID/exe. sc_addrspace_finish() closes those still at their path and hands over the rest
 * (see sc_record_gone in record.h). At most SC_MAX_KEPT_FILES stay open.
 *
 * Errors: out of memory sets the sticky as->err (-ENOMEM); functions then return 0 or NULL as
 * documented, and the caller stops at its next check. Not thread-safe.
 */
#ifndef SC_RECORD_ADDRSPACE_H
#define SC_RECORD_ADDRSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"
#include "record/record.h"
#include "util/hashmap.h"
#include "util/vec.h"

/* Mapped files kept open at most (one descriptor each), against RLIMIT_NOFILE's usual 1024. */
#define SC_MAX_KEPT_FILES 256

/* One executable mapping of a process; the file offset of an address is computed from the model
 * mapping (id `mapping`), so trimming an entry only moves start/end. */
typedef struct sc_vma {
	uint64_t start, end;
	uint32_t mapping;
} sc_vma;

typedef struct sc_proc {
	uint32_t pid;
	SC_VEC(sc_vma) vmas; /* sorted by start, non-overlapping */
} sc_proc;

/* A mapped file, opened when first seen. */
typedef struct sc_kept {
	sc_str file;
	int fd;	     /* -1 when it could not be opened (or too many are open) */
	bool gone;   /* it was already gone from its path when first seen */
	int alt_err; /* then: why /proc/PID/map_files and /proc/PID/exe failed too */
} sc_kept;

typedef struct sc_addrspace {
	sc_profile *p; /* borrowed: mappings and file names are added to it */
	SC_VEC(sc_proc) procs;
	sc_hashmap proc_index; /* hash(pid) -> index into procs */
	size_t last_proc;      /* index + 1 of the last process looked up */
	sc_hashmap mapping_index;
	uint32_t kernel_mapping;
	SC_VEC(sc_kept) kept;
	sc_hashmap kept_index; /* file string id -> index into kept */
	size_t nkept_open;
	int err; /* sticky -ENOMEM */
} sc_addrspace;

/* Zeroes `as` to fill profile `p`. */
void sc_addrspace_init(sc_addrspace *as, sc_profile *p);
/* Frees the tables and closes the descriptors still held. NULL-safe, idempotent. */
void sc_addrspace_release(sc_addrspace *as);

/* The table of `pid`, created empty if `create`; NULL if absent (or out of memory). The pointer
 * is valid until the next call that creates one. */
sc_proc *sc_addrspace_proc(sc_addrspace *as, uint32_t pid, bool create);
/* The entry of `pr` (NULL-safe) that holds `addr`, or NULL. */
const sc_vma *sc_addrspace_find(const sc_proc *pr, uint64_t addr);
/* The model mapping shared by all kernel frames (its id, 0 when out of memory). */
uint32_t sc_addrspace_kernel_mapping(sc_addrspace *as);

/* Process `pid` mapped [start, end) of `file` at file offset `pgoff`. */
void sc_addrspace_map(sc_addrspace *as, uint32_t pid, uint64_t start, uint64_t end, uint64_t pgoff,
		      const char *file);
/* Process `pid` executed a new program: its mappings are gone. */
void sc_addrspace_exec(sc_addrspace *as, uint32_t pid);
/* Process `pid` was forked from `ppid`: a copy of the parent's table (replacing a reused pid's). */
void sc_addrspace_fork(sc_addrspace *as, uint32_t pid, uint32_t ppid);

/* Opens `file`, mapped by `pid` at [start, end), when first seen (see "Deleted files"); names that
 * are not paths ([vdso], //anon, memfd:...) are ignored. */
void sc_addrspace_keep_file(sc_addrspace *as, const char *file, uint32_t pid, uint64_t start,
			    uint64_t end);
/* The descriptor held open on the file whose name is `file` (a string of the profile), or -1. */
int sc_addrspace_kept_fd(const sc_addrspace *as, sc_str file);
/* At the end: closes the files still at their path and gives the others to *gone (a calloc'ed
 * array of *ngone entries that owns their descriptors; NULL when none). Returns 0 or -ENOMEM.
 * Afterwards only sc_addrspace_release() may be called. */
int sc_addrspace_finish(sc_addrspace *as, sc_record_gone **gone, size_t *ngone);

#endif

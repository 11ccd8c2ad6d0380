/*
 * unwind.h: call chains from copies of user stacks, as perf's --call-graph dwarf computes them.
 *
 * Input, per sample: the user registers at the sample (perf's PERF_SAMPLE_REGS_USER; ask for
 * SC_UNWIND_PERF_REGS_MASK and convert with sc_unwind_regs_from_perf), a copy of the user stack
 * from sp upwards (PERF_SAMPLE_STACK_USER, its dyn_size bytes), and a way to find the executable
 * mapping holding an address (a callback; sc_unwind_maps in maps.h is a ready table). Output: the
 * sampled pc followed by the return addresses of its callers, innermost first, and why the walk
 * stopped: at the outermost frame (the CFI says the return address is undefined, as in _start,
 * or it is 0), at the end of the copy, at an address no executable mapping holds (nothing from
 * there on is trusted: such addresses are never returned), on a CFA that does not grow, or on a
 * rule this code cannot evaluate.
 *
 * How each frame is stepped (sc_unwind_mode):
 *   DWARF  the module's CFI: .eh_frame (through .eh_frame_hdr's table), else .debug_frame; for a
 *          pc no CFI covers (a module without CFI, anonymous or JIT code) one frame-pointer
 *          step: return address at bp + 8, caller's bp at bp.
 *   FP     frame pointers only (what the kernel's own callchain does, from the copy).
 *   AUTO   CFI for the sampled frame (a leaf or a prologue has no frame yet) and in modules
 *          without frame pointers; frame pointers in modules built with them (modules.h judges
 *          that once per file from its .eh_frame). Same answers as DWARF on sane code, fewer
 *          CFI lookups.
 * CFI evaluation: libdw (dwarf_cfi_addrframe) reduces the row of each (module, pc) once to a
 * compact rule (CFA = reg + offset or a DWARF expression; where rbx, rbp, r12-r15 and the return
 * address are saved), kept in a cache; afterwards a step is one hash lookup and a few loads from
 * the copy. bench/unwind measured the choice: see docs/architecture.md.
 *
 * Files are opened once, through a module cache (modules.h) that the symbolizer can share.
 * x86-64 only. Not thread-safe (one sc_unwind per thread). Nothing here prints.
 */
#ifndef SC_UNWIND_UNWIND_H
#define SC_UNWIND_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unwind/modules.h"

typedef struct sc_unwind sc_unwind;

/* User registers at the sample. ip, sp and bp are always read; the other callee-saved registers
 * only when their bit is in `have` (some CFI rules need them, as when a function keeps its CFA in
 * %rbx; without them such a frame ends the walk). */
typedef struct sc_unwind_regs {
	uint64_t ip, sp, bp;
	uint64_t bx, r12, r13, r14, r15;
	unsigned have; /* SC_UNWIND_HAVE_* bits */
} sc_unwind_regs;

#define SC_UNWIND_HAVE_BX  1u
#define SC_UNWIND_HAVE_R12 2u
#define SC_UNWIND_HAVE_R13 4u
#define SC_UNWIND_HAVE_R14 8u
#define SC_UNWIND_HAVE_R15 16u

/* The perf_event_attr.sample_regs_user the recorder should ask for (perf's x86 register numbers:
 * BX 1, BP 6, SP 7, IP 8, R12-R15 20-23), 8 registers, 64 bytes per sample. BP|SP|IP alone is
 * enough for code whose CFI uses only %rsp/%rbp (nearly all). */
#define SC_UNWIND_PERF_REGS_MASK                                                                   \
	((1ull << 1) | (1ull << 6) | (1ull << 7) | (1ull << 8) | (1ull << 20) | (1ull << 21) |     \
	 (1ull << 22) | (1ull << 23))

/* Fills *out from a PERF_SAMPLE_REGS_USER payload: `values` holds `n` registers in increasing
 * order of the bits set in `mask` (the sample_regs_user asked for). Returns 0, or -EINVAL when
 * `mask` lacks IP, SP or BP or `n` does not match it. */
int sc_unwind_regs_from_perf(sc_unwind_regs *out, uint64_t mask, const uint64_t *values, size_t n);

/* One executable mapping, as the callback below reports it. */
typedef struct sc_unwind_map {
	uint64_t start, end; /* [start, end) */
	uint64_t pgoff;	     /* file offset mapped at start */
	int file;	     /* sc_unwind_file() handle, or < 0: no file we can read */
} sc_unwind_map;

/* Finds the executable mapping holding `addr`: returns true and fills *out, or false. */
typedef bool (*sc_unwind_find_fn)(void *ctx, uint64_t addr, sc_unwind_map *out);

typedef enum sc_unwind_mode {
	SC_UNWIND_AUTO,
	SC_UNWIND_DWARF,
	SC_UNWIND_FP,
} sc_unwind_mode;

typedef enum sc_unwind_stop {
	SC_UNWIND_STOP_OUTERMOST,   /* return address undefined or 0: the chain is complete */
	SC_UNWIND_STOP_END_OF_COPY, /* a slot beyond the copied stack (or below sp) */
	SC_UNWIND_STOP_NO_MAPPING,  /* a pc no executable mapping holds */
	SC_UNWIND_STOP_NOT_GROWING, /* the caller's sp is not above this frame's */
	SC_UNWIND_STOP_NO_RULE,	   /* a CFI rule we cannot evaluate, or a needed register unknown */
	SC_UNWIND_STOP_MAX_FRAMES, /* the output array is full */
} sc_unwind_stop;

/* "outermost", "end of stack copy", ... (static strings). */
const char *sc_unwind_stop_name(sc_unwind_stop stop);

typedef struct sc_unwind_result {
	sc_unwind_stop stop;
	uint64_t stop_pc;	      /* the pc whose frame could not be stepped (NO_MAPPING: the
					 address no mapping holds) */
	uint32_t steps_cfi, steps_fp; /* frames stepped by CFI, by frame pointer */
} sc_unwind_result;

typedef struct sc_unwind_options {
	sc_unwind_mode mode;
	/* For benchmarks only: evaluate the CFI at every step instead of caching rules. */
	bool no_rule_cache;
} sc_unwind_options;

typedef struct sc_unwind_stats {
	uint64_t files, files_failed; /* files opened, files that could not be read */
	uint64_t pcs, pcs_failed; /* distinct (file, pc) looked up, those without a usable rule */
} sc_unwind_stats;

/* Returns a new unwinder with its own module cache, or NULL (out of memory). */
sc_unwind *sc_unwind_new(void);
/* Returns a new unwinder using (and holding a reference on) `modules`, or NULL. */
sc_unwind *sc_unwind_new_shared(sc_modcache *modules);
/* Frees the unwinder and drops its reference on the module cache. Accepts NULL. */
void sc_unwind_free(sc_unwind *u);
/* The module cache (borrowed). */
sc_modcache *sc_unwind_modules(sc_unwind *u);

/* Returns a handle (>= 0) for the ELF file at `path` (its module number in the cache), or -errno
 * as sc_modcache_open says. A file without CFI gets a handle too (frames in it are walked by frame
 * pointer). */
int sc_unwind_file(sc_unwind *u, const char *path);

/* Walks the stack. `stack` holds `stack_size` bytes copied from regs->sp upwards (borrowed).
 * Writes at most `max` (>= 1) addresses to `pcs`: pcs[0] = regs->ip, then the return addresses of
 * the callers as they are on the stack (the call instruction is just before each). `o` may be
 * NULL (AUTO); `res` may be NULL. Returns the number written (>= 1), -EINVAL when max is 0, or
 * -ENOMEM (pcs[] is then meaningless; the caches are intact and a later call may succeed). */
int sc_unwind_stack(sc_unwind *u, const sc_unwind_options *o, const sc_unwind_regs *regs,
		    const void *stack, size_t stack_size, sc_unwind_find_fn find, void *find_ctx,
		    uint64_t *pcs, size_t max, sc_unwind_result *res);

/* One step only, for the recorder's leaf fix: the return address of the frame executing at
 * `file_offset` in `file` (pc - mapping start + mapping offset), by CFI only, when its CFA is
 * %rsp or %rbp plus an offset. Returns 1 and sets *ra, 0 when there is no such rule or the slot
 * lies outside the copy, or -ENOMEM. */
int sc_unwind_return_address(sc_unwind *u, int file, uint64_t file_offset,
			     const sc_unwind_regs *regs, const void *stack, size_t stack_size,
			     uint64_t *ra);

void sc_unwind_get_stats(const sc_unwind *u, sc_unwind_stats *out);

#endif

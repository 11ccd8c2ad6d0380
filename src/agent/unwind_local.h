/*
 * unwind_local.h: walk the stack of the calling thread, in process, from a signal handler or from
 * inside malloc. The agents (libscorch-cpu.so's timer signal handler, libscorch-heap.so's malloc
 * hooks) call it; scorch itself unwinds offline with src/unwind/ instead.
 *
 * Input: the registers of the frame to start from (from a signal's ucontext with
 * sc_lu_regs_from_ucontext, or the caller's own with sc_lu_capture) and the top of the thread's
 * stack. Output: pcs[0] = the starting ip, then the return addresses found on the stack (as found,
 * not minus 1), innermost first, and why the walk stopped (SC_AGENT_STOP_* of agent/stream.h).
 *
 * Modes (SC_AGENT_UNWIND_*, as `scorch record --call-graph`):
 *   DWARF  each frame is stepped with its module's CFI (.eh_frame, found through the in-memory
 *          .eh_frame_hdr table). Where no FDE covers the pc: for the interrupted frame, the word
 *          at sp if it points into a module (a leaf without CFI, as hand-written assembly often
 *          is), else one frame-pointer step; for callers, one frame-pointer step.
 *   AUTO   the same as DWARF: with the cache below a CFI step costs about what a frame-pointer
 *          step does, and it is right on code without frame pointers (libc, python3).
 *   FP     frame pointers only: return address at bp + 8, caller's bp at bp.
 *
 * Safety contract (why this is usable in a signal handler and inside malloc): after sc_lu_init,
 * nothing here allocates, locks, uses TLS or calls into libc except _dl_find_object (which glibc
 * documents as async-signal-safe and lock-free). Every read of the stack is checked against
 * [regs->sp - 128, stack_hi) (the 128 bytes are the psABI's red zone, which the kernel leaves
 * intact when it delivers a signal: a function interrupted in its epilogue has CFI rules for
 * registers it already popped, just below its sp): a read outside it ends the walk
 * (SC_AGENT_STOP_END_OF_STACK), never faults. CFI bytes are read from the module's mapped
 * .eh_frame_hdr/.eh_frame and checked against the loaded segment that holds them (from the module's
 * program headers; the whole mapping [dlfo_map_start, dlfo_map_end) when those cannot be read):
 * corrupt CFI ends the walk (SC_AGENT_STOP_NO_RULE). A pc that no loaded module holds (anonymous or
 * JIT code, junk) ends the walk (SC_AGENT_STOP_NO_MAPPING) and is not returned, except pcs[0],
 * which came from the kernel or the caller and is always returned.
 *
 * Limits: x86-64 Linux, glibc >= 2.35 (_dl_find_object). .debug_frame is not read (it is not
 * mapped). A handler running on an alternate signal stack must start from the ucontext (the
 * interrupted frames are on the thread's stack, outside [handler sp, stack_hi)). The cache keeps
 * rules by pc: after a dlclose that unmapped code, sc_lu_cache_reset it (or a new module loaded
 * at the same address may be stepped with the old rules; the reads stay bounded either way).
 */
#ifndef SC_AGENT_UNWIND_LOCAL_H
#define SC_AGENT_UNWIND_LOCAL_H

#include <stddef.h>
#include <stdint.h>

#include "agent/stream.h"

/* The registers a walk needs: ip, sp and the callee-saved ones CFI may restore. */
typedef struct sc_lu_regs {
	uint64_t ip, sp, bp, bx, r12, r13, r14, r15;
} sc_lu_regs;

/* A cache of evaluated CFI rules, two-way set-associative by pc (a program's hot return
 * addresses are a few dozen: direct-mapped, two of them sharing a slot would miss on every walk
 * through both), owned by the caller (zero it, or
 * sc_lu_cache_reset, before first use). One per thread, and one per context that can interrupt
 * another on that thread (a signal handler walking while a malloc hook of the same thread is in
 * the middle of a walk must not share its cache): a cache is not safe against reentry. Rules with
 * DWARF expressions (the PLT, signal trampolines) are evaluated every time, not cached. */
#define SC_LU_CACHE_BITS    8u			     /* sets of two entries each */
#define SC_LU_CACHE_ENTRIES (2u << SC_LU_CACHE_BITS) /* 56 bytes each: 28 KiB in all */

typedef struct sc_lu_cache_entry {
	uint64_t pc; /* the pc the rule was looked up for (0: empty) */
	int32_t cfa_off;
	uint8_t cfa_reg; /* internal register slot */
	uint8_t signal;	 /* the frame is a signal trampoline ('S') */
	/* The rule per register slot, as bit masks (a slot in none is "same value"): the step is
	 * then a loop over the loaded slots, with no branch per slot. */
	uint8_t load;	 /* "saved at CFA + off" */
	uint8_t valoff;	 /* "is CFA + off" */
	uint8_t undef;	 /* "undefined" */
	uint8_t nload;	 /* the bits in load */
	uint8_t guessed; /* no FDE covers the pc: the rule was chosen from the stack (leaf or frame
			  * pointer), so it is not a function of the pc alone */
	int32_t off[8];
} sc_lu_cache_entry;

/* Walks kept frame by frame (traces), for two uses.
 *
 * Prediction: a walk through the same stack positions as the previous walk tries the entry that
 * stepped the previous walk's frame at the same sp first (it is used only when it holds the rule of
 * the frame's own pc): the rule is then known before the return address is loaded, so consecutive
 * frames do not wait on each other's lookups.
 *
 * Reuse: the rest of a walk from a frame on is a function of that frame's registers (those its
 * steps read before they set them), its pc and the stack words the steps load. A trace keeps each
 * frame's registers and what its step read, set and loaded (address and value). When a frame of a
 * new walk has the sp, pc and kind (return address or not) of a kept walk's frame i, the registers
 * that the kept walk's steps from i read before setting are compared with frame i's, and each
 * stack word those steps loaded is loaded again and compared with the value then: the kept walk's
 * frames are copied as long as everything matches, without a rule lookup, and the walk goes on by
 * steps from the first frame whose step differs. A loaded word is compared only when a later step
 * reads its register (the return address: always); the others are loaded again for their value.
 * Exact: the frames are those a walk by steps gives with the rules the cache holds. Steps with
 * DWARF expressions or a guessed rule are not reused. The kept walks: the previous one (matched at
 * any frame), and walks by their first frame's pc and sp (two per set of a table, the least
 * recently used replaced): a walk from the same place as one kept is checked against it from its
 * first frame on, in place. */
#define SC_LU_TRACE	  32u		     /* frames a trace keeps */
#define SC_LU_TRACE_LOADS (7u * SC_LU_TRACE) /* loads a trace keeps: 7 per step at most */

typedef struct sc_lu_trace_frame {
	uint64_t v[8];	      /* the frame's registers by internal slot (v[S_IP]: its pc); `own` */
	sc_lu_cache_entry *e; /* the entry that stepped it (NULL: not from the cache) */
	uint32_t valid;	      /* the registers known (1 << slot) */
	uint16_t load0;	      /* its step's first load in `ld` (the next frame's load0 ends them) */
	uint8_t exact;	      /* the pc is not a return address (frame 0, signal frames) */
	uint8_t step;	      /* its step can be reused: read, set and its loads are known */
	uint8_t read, set;    /* the registers its step read, set (1 << slot) */
	uint8_t own;   /* the registers a step since the first frame set: v holds their values; the
			* others' are the first frame's */
	uint8_t stale; /* registers of `own` whose value in v may be out of date (a load nothing
			* read was not compared when the frame was reused): never compared */
} sc_lu_trace_frame;

typedef struct sc_lu_trace_load {
	uint64_t addr; /* the address, and the register slot loaded in the top byte */
	uint64_t value;
} sc_lu_trace_load;

/* A trace's plan: what a walk from its first frame must find the same to take its frames
 * 0..n-2 whole (the steps' reuse conditions above, gathered): the registers of the first frame
 * those steps read before setting them, every load within the walk's bounds, the loaded words
 * some later step reads (chk) the same; the registers that frame n-1 has from loads are loaded
 * again (ref). One pass of independent loads, no branch per frame. */
typedef struct sc_lu_trace_plan {
	uint32_t n;		  /* the trace's n it was made for (0: none) */
	uint16_t nchk;		  /* entries of chk */
	uint8_t read;		  /* frame 0's registers read, beyond sp and pc */
	uint8_t ld;		  /* frame n-1's registers from loads: their loads in ref */
	uint8_t set;		  /* the registers the steps set */
	uint64_t lo, hi;	  /* the lowest and highest address loaded */
	uint16_t ref[8];	  /* by slot */
	uint64_t pc[SC_LU_TRACE]; /* the frames' pcs */
	sc_lu_trace_load chk[SC_LU_TRACE_LOADS]; /* the loads compared (copies) */
} sc_lu_trace_plan;

typedef struct sc_lu_trace {
	sc_lu_trace_frame f[SC_LU_TRACE];
	sc_lu_trace_load ld[SC_LU_TRACE_LOADS];
	uint32_t n;    /* frames kept (0: none) */
	uint32_t used; /* the walk that last wrote it (the cache's count) */
	sc_lu_trace_plan plan;
} sc_lu_trace;

typedef struct sc_lu_cache {
	sc_lu_cache_entry e[SC_LU_CACHE_ENTRIES];
	uint64_t hits, misses; /* statistics, for benchmarks */
	uint64_t predicted;    /* hits found through the previous walk's trace */
	uint64_t reused;       /* frames copied from a kept walk */
	sc_lu_trace own[2];    /* the traces, unless the caller gave more (sc_lu_cache_traces) */
	sc_lu_trace *traces;
	uint32_t ntraces; /* a power of two, at least 2 */
	uint32_t last;	  /* the previous walk's trace */
	uint32_t walks;	  /* walks traced since the last reset */
	uint8_t no_reuse; /* never copy a kept walk's frames (tests; kept by reset) */
	uint8_t same;	  /* the last walk returned the frames the previous walk through the same
			   * trace (`last`) did, all taken by its plan */
} sc_lu_cache;

/* Once, outside signal handlers, before any walk (more calls are harmless): resolves glibc's
 * _dl_find_object. 0, or -ENOSYS when this glibc has none; then only SC_AGENT_UNWIND_FP walks
 * are possible (sc_lu_unwind returns -ENOSYS for the others), and their return addresses are not
 * checked against the loaded modules. */
int sc_lu_init(void);

/* Empties a cache (its traces too, and the caller's when it gave some). Async-signal-safe. */
void sc_lu_cache_reset(sc_lu_cache *cache);

/* Gives the cache n traces (a power of two, at least 2; zeroed memory, or emptied by a reset
 * afterwards) instead of its own two, for walks from many places (an allocation tracker: one
 * trace per call site and path kept). Before any walk with the cache. */
void sc_lu_cache_traces(sc_lu_cache *cache, sc_lu_trace *traces, uint32_t n);

/* The interrupted registers from a signal handler's third argument (an x86-64 ucontext_t).
 * Async-signal-safe. */
void sc_lu_regs_from_ucontext(sc_lu_regs *r, const void *ucontext);

/* The caller's own registers, at the point of the call (for walking from inside malloc): ip is an
 * address in the calling function, sp/bp/... its values there. Must be inlined into the function
 * whose frame starts the walk, hence a static inline. */
static inline __attribute__((always_inline)) void sc_lu_capture(sc_lu_regs *r)
{
	__asm__ volatile("leaq 0(%%rip), %%rax\n\t"
			 "movq %%rax, 0(%0)\n\t"
			 "movq %%rsp, 8(%0)\n\t"
			 "movq %%rbp, 16(%0)\n\t"
			 "movq %%rbx, 24(%0)\n\t"
			 "movq %%r12, 32(%0)\n\t"
			 "movq %%r13, 40(%0)\n\t"
			 "movq %%r14, 48(%0)\n\t"
			 "movq %%r15, 56(%0)\n\t"
			 :
			 : "r"(r)
			 : "rax", "memory");
}

/* Walks from `r` (its sp minus 128 is the lowest stack address read) up to `stack_hi` (the top of
 * the thread's stack, exclusive), in `mode` (SC_AGENT_UNWIND_*), writing at most `max` pcs. `cache`
 * may be NULL. Returns the number of pcs written (>= 1 when max >= 1) and sets *stop to an
 * SC_AGENT_STOP_* reason; -EINVAL for a bad mode or max 0, -ENOSYS for a CFI mode without
 * sc_lu_init's success. Async-signal-safe; reentrant as long as `cache` is not shared (above). */
int sc_lu_unwind(const sc_lu_regs *r, uint64_t stack_hi, int mode, sc_lu_cache *cache,
		 uint64_t *pcs, size_t max, int *stop);

/* The loaded module holding `pc`, from _dl_find_object: its mapping [start, end), its link_map
 * (struct link_map *: l_name, l_addr) for the caller that announces modules. 0, -ENOENT (no
 * module), -ENOSYS (no sc_lu_init). Async-signal-safe. */
int sc_lu_module(uint64_t pc, uint64_t *start, uint64_t *end, void **link_map);

#endif

/*
 * unwind.h: one step of CFI unwinding, to restore the caller of a frameless leaf function.
 *
 * Call chains recorded by walking frame pointers lose one frame whenever the sampled function has
 * not (yet, or at all) pushed %rbp: gcc at -O2 sets up no frame in leaf functions even with
 * -fno-omit-frame-pointer, and every function is frameless during its prologue and epilogue. The
 * walk then starts from the caller's frame and reports the caller's caller as the leaf's parent.
 * The .eh_frame CFI of the sampled pc says where the return address really is (CFA = %rsp or %rbp
 * plus an offset; return address saved at CFA - 8); given the user registers and a copy of the top
 * of the user stack taken with the sample (perf's REGS_USER and STACK_USER), this module computes
 * it, so the recorder can insert the missing caller.
 *
 * Costs: each file is opened once (libelf over mmap, fd closed at once) and each (file, pc) is
 * looked up in the CFI once; afterwards a step is one hash lookup and a load from the stack copy.
 * Not a general unwinder (no register state beyond ip/sp/bp, one frame only); x86-64 only.
 * Not thread-safe. Read src/record/record.c for the caller.
 */
#ifndef SC_UNWIND_UNWIND_H
#define SC_UNWIND_UNWIND_H

#include <stddef.h>
#include <stdint.h>

typedef struct sc_unwind sc_unwind;

/* User registers at the sample, as perf's REGS_USER delivers them. */
typedef struct sc_unwind_regs {
	uint64_t ip, sp, bp;
} sc_unwind_regs;

typedef struct sc_unwind_stats {
	uint64_t files, files_failed; /* files opened, files without usable CFI */
	uint64_t pcs, pcs_failed;     /* distinct (file, pc) looked up, those without a rule */
} sc_unwind_stats;

/* Returns a new, empty cache or NULL (out of memory). */
sc_unwind *sc_unwind_new(void);
/* Closes every file and frees the cache. Accepts NULL. */
void sc_unwind_free(sc_unwind *u);

/* Returns a handle (>= 0) for the ELF file at `path`, opened on first use and cached by path, or
 * -errno when it cannot be read or carries no .eh_frame (-ENOENT, -ENOEXEC...; also cached, so a
 * missing file costs one open). -ENOMEM leaves the cache unchanged. */
int sc_unwind_file(sc_unwind *u, const char *path);

/* The return address of the frame executing at `file_offset` in `file` (the pc as an offset into
 * the file: pc - mapping start + mapping offset), with registers `regs` and `stack` holding
 * `stack_size` bytes copied from regs->sp upwards. Returns 1 and sets *ra, 0 when the CFI gives no
 * simple rule there or the slot lies outside the copy, or -ENOMEM. */
int sc_unwind_return_address(sc_unwind *u, int file, uint64_t file_offset,
			     const sc_unwind_regs *regs, const void *stack, size_t stack_size,
			     uint64_t *ra);

void sc_unwind_get_stats(const sc_unwind *u, sc_unwind_stats *out);

#endif

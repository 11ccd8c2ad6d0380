/*
 * unwind_int.h: what the three files of the agents' in-process unwinder share (private to
 * src/agent/): the register slots, rows and rules, the frame and bounds of a walk, the module
 * and CIE/FDE being read, the bounded readers. unwind_local.c walks (the API of unwind_local.h),
 * unwind_cfi.c finds a pc's FDE and runs CFA programs into rows, unwind_expr.c evaluates DWARF
 * expressions. The safety contract of unwind_local.h holds for all three.
 */
#ifndef SC_AGENT_UNWIND_INT_H
#define SC_AGENT_UNWIND_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/unwind_local.h"

/* Register slots: the registers a walk tracks, by their place in a frame. */
enum { S_BX, S_BP, S_SP, S_R12, S_R13, S_R14, S_R15, S_IP, NSLOT };

/* DWARF register number (x86-64 psABI) to slot; -1 for registers not tracked. 16 is the return
 * address column (rip). */
static const int8_t dwarf_slot[17] = {
    -1, -1, -1, S_BX, -1, -1, S_BP, S_SP, -1, -1, -1, -1, S_R12, S_R13, S_R14, S_R15, S_IP,
};

/* A rule per slot. */
enum { R_SAME = 0, R_UNDEF, R_OFFSET, R_VAL_OFFSET, R_REG, R_EXPR, R_VAL_EXPR };
enum { CFA_REG = 0, CFA_EXPR };

struct rule {
	uint8_t kind;
	uint8_t reg;  /* R_REG: the slot */
	uint32_t len; /* R_EXPR, R_VAL_EXPR: block length */
	int64_t off;  /* R_OFFSET, R_VAL_OFFSET */
	const uint8_t *expr;
};

struct row {
	uint8_t cfa_kind;
	uint8_t cfa_slot; /* CFA_REG: a tracked slot, or 0xff: an untracked register */
	uint32_t cfa_len;
	int64_t cfa_off;
	const uint8_t *cfa_expr;
	struct rule r[NSLOT];
};

#define NO_FDE	       (-2) /* row_for: no FDE covers the pc */
#define RED_ZONE       128  /* x86-64 psABI: bytes below sp a leaf may use */
#define REMEMBER_DEPTH 8    /* DW_CFA_remember_state nesting (compilers use 1) */
#define EXPR_STACK     16   /* DWARF expression stack */
#define EXPR_STEPS     64   /* operations one expression may execute (DW_OP_bra loops) */

struct frame {
	uint64_t v[NSLOT];
	uint32_t valid; /* 1 << slot */
};

struct walk {
	uint64_t lo, hi; /* stack bounds */
};

/* The module of the pc being stepped: CFI bounds. */
struct mod {
	const uint8_t *lo, *hi; /* mapping */
	const uint8_t *hdr;	/* .eh_frame_hdr */
};

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_col;
	uint8_t fde_enc, lsda_enc;
	bool aug_z, signal;
	const uint8_t *insn, *insn_end;
};

struct fde {
	uint64_t pc_begin, pc_end;
	const uint8_t *insn, *insn_end;
	struct cie cie;
};

/* ---- bounded reads ---- */

typedef uint64_t __attribute__((aligned(1), may_alias)) u64_unaligned;
typedef int32_t __attribute__((aligned(1), may_alias)) i32_unaligned;

/* A load from another frame's stack: ASan would call it a stack-buffer overflow, and it is
 * checked against the thread's stack instead. Not inlined into instrumented callers by design. */
__attribute__((no_sanitize_address, no_sanitize("undefined"))) static inline bool
ld_stack(const struct walk *w, uint64_t addr, uint64_t *out)
{
	if (addr < w->lo || addr > w->hi - 8 || w->hi - w->lo < 8)
		return false;
	*out = *(const u64_unaligned *)(uintptr_t)addr;
	return true;
}

/* A cursor over CFI bytes; reading past `end` sets `bad` and yields zeros. */
struct cur {
	const uint8_t *p, *end;
	bool bad;
};

static inline bool cur_has(struct cur *c, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n || c->p > c->end) {
		c->bad = true;
		return false;
	}
	return true;
}

static inline uint8_t rd_u8(struct cur *c)
{
	return cur_has(c, 1) ? *c->p++ : 0;
}

static inline uint64_t rd_fixed(struct cur *c, size_t n)
{
	uint64_t v = 0;

	if (!cur_has(c, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

static inline uint64_t rd_uleb(struct cur *c)
{
	uint64_t v = 0;
	unsigned shift = 0;

	for (int i = 0; i < 10; i++) {
		uint8_t b = rd_u8(c);

		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
	c->bad = true;
	return 0;
}

static inline int64_t rd_sleb(struct cur *c)
{
	uint64_t v = 0;
	unsigned shift = 0;

	for (int i = 0; i < 10; i++) {
		uint8_t b = rd_u8(c);

		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				v |= ~(uint64_t)0 << shift;
			return (int64_t)v;
		}
	}
	c->bad = true;
	return 0;
}

/* unwind_cfi.c: the FDE covering `pc` in module `m` (0, -ENOENT when none does, or -EINVAL for
 * CFI that makes no sense). */
int sc_lu_find_fde(const struct mod *m, uint64_t pc, struct fde *f);
/* unwind_cfi.c: runs the CFA program [p, end) into `row`, up to the location `pc` (for the CIE's
 * initial instructions, pc is ~0 and `init` NULL: DW_CFA_restore means "same value" there).
 * false on a malformed program. */
bool sc_lu_run_cfa(const struct mod *m, const struct cie *cie, const uint8_t *p, const uint8_t *end,
		   uint64_t loc, uint64_t pc, struct row *row, const struct row *init);
/* unwind_expr.c: evaluates [p, p + len) with `push` (the CFA, for DW_CFA_expression) on the
 * stack if `npush`; false when it cannot (an untracked register, a read off the stack, a
 * malformed op). */
bool sc_lu_eval_expr(const struct walk *w, const struct frame *fr, const uint8_t *p, uint32_t len,
		     const struct mod *m, uint64_t push, bool npush, uint64_t *out);

/* ---- traces (unwind_trace.c) ---- */

/* What a frame's step by entry e reads and sets, for a later walk's reuse. */
static inline void trace_step(sc_lu_trace_frame *tf, const sc_lu_cache_entry *e)
{
	tf->read = (uint8_t)(1u << e->cfa_reg | 1u << S_SP | 1u << S_IP);
	tf->set = (uint8_t)(e->load | e->valoff | e->undef | 1u << S_SP);
	tf->step = !e->guessed;
}

/* A walk being traced: where it writes. */
struct tracing {
	sc_lu_trace *cur;
	uint32_t nld; /* loads written */
	uint32_t n;   /* frames kept, once full */
	uint8_t own;  /* the registers a step since the first frame set */
	bool full;    /* no room left: the frames from here on are not kept */
};

#define LD_ADDR(l) ((l).addr & ((1ull << 56) - 1))
#define LD_SLOT(l) ((unsigned)((l).addr >> 56))

/* unwind_trace.c: kept walk `src`'s frames from i on, copied while they are what steps would give
 * (unwind_local.h, "Reuse"); the index of the first frame not copied, left in *fr (i: none). */
size_t sc_lu_trace_reuse(const struct walk *w, sc_lu_trace *src, size_t i, struct tracing *t,
			 struct frame *fr, uint64_t *pcs, size_t *n, size_t max);
/* unwind_trace.c: makes trace t's plan (none when a step cannot be reused). */
void sc_lu_plan_make(sc_lu_trace *t);
/* unwind_trace.c: a walk from trace t's first frame by its plan: frames 0..n-2 to pcs and *fr in
 * frame n-1's registers, true; false when the plan does not hold (nothing written). */
bool sc_lu_plan_reuse(const struct walk *w, sc_lu_trace *t, struct frame *fr, uint64_t *pcs);

#endif

/*
 * unwind_local.c: the in-process, async-signal-safe, allocation-free stack walker of the agents
 * (contract in unwind_local.h).
 *
 * A step, in order: find the module of the pc with glibc's _dl_find_object (dlfo_eh_frame is the
 * module's .eh_frame_hdr in memory); binary-search its table for the FDE (a linear walk of
 * .eh_frame when the table has an unusual encoding); parse the FDE's CIE; run the CIE's initial
 * instructions and the FDE's up to the pc into a row (CFA rule and register rules); apply the row
 * to the registers, reading saved values from the stack. A row made only of "register + offset"
 * rules is kept in the caller's cache, so the next walk through the same pc skips everything but
 * the loads. DWARF expressions (the PLT's CFA, glibc's __restore_rt reading the ucontext) are
 * evaluated by a small fixed-stack machine.
 *
 * Everything is bounded: stack reads by [sp - 128, stack_hi) (ld_stack; the red zone), CFI reads
 * by the loaded segment holding .eh_frame_hdr (struct cur, narrow_to_segment), CFA programs by
 * their length, expressions by a step budget, the walk by `max`. No allocation, no locks, no libc
 * but _dl_find_object. A pc no FDE covers: no_fde_row.
 *
 * Not here: announcing modules or writing samples (the agent, src/agent/cpu.c); offline
 * unwinding of perf's stack copies (src/unwind/). Read next: docs/architecture.md, "src/agent/".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* _dl_find_object, REG_RIP: the agents may build this file on its own */
#endif
#include "agent/unwind_local.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdbool.h>
#include <ucontext.h>

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

typedef int (*find_object_fn)(void *, struct dl_find_object *);
static find_object_fn find_object;

int sc_lu_init(void)
{
	void *f = dlsym(RTLD_DEFAULT, "_dl_find_object");

	if (!f)
		return -ENOSYS;
	__atomic_store_n(&find_object, (find_object_fn)f, __ATOMIC_RELEASE);
	return 0;
}

void sc_lu_cache_reset(sc_lu_cache *cache)
{
	for (size_t i = 0; i < SC_LU_CACHE_ENTRIES; i++)
		cache->e[i].pc = 0;
	cache->hits = cache->misses = 0;
}

void sc_lu_regs_from_ucontext(sc_lu_regs *r, const void *ucontext)
{
	const greg_t *g = ((const ucontext_t *)ucontext)->uc_mcontext.gregs;

	r->ip = (uint64_t)g[REG_RIP];
	r->sp = (uint64_t)g[REG_RSP];
	r->bp = (uint64_t)g[REG_RBP];
	r->bx = (uint64_t)g[REG_RBX];
	r->r12 = (uint64_t)g[REG_R12];
	r->r13 = (uint64_t)g[REG_R13];
	r->r14 = (uint64_t)g[REG_R14];
	r->r15 = (uint64_t)g[REG_R15];
}

int sc_lu_module(uint64_t pc, uint64_t *start, uint64_t *end, void **link_map)
{
	find_object_fn fo = __atomic_load_n(&find_object, __ATOMIC_ACQUIRE);
	struct dl_find_object d;

	if (!fo)
		return -ENOSYS;
	if (fo((void *)pc, &d) != 0)
		return -ENOENT;
	if (start)
		*start = (uint64_t)d.dlfo_map_start;
	if (end)
		*end = (uint64_t)d.dlfo_map_end;
	if (link_map)
		*link_map = d.dlfo_link_map;
	return 0;
}

static bool not_elf64(const unsigned char *id)
{
	return id[0] != ELFMAG0 || id[1] != ELFMAG1 || id[2] != ELFMAG2 || id[3] != ELFMAG3 ||
	       id[EI_CLASS] != ELFCLASS64;
}

/* ---- bounded reads ---- */

typedef uint64_t __attribute__((aligned(1), may_alias)) u64_unaligned;
typedef int32_t __attribute__((aligned(1), may_alias)) i32_unaligned;

/* A load from another frame's stack: ASan would call it a stack-buffer overflow, and it is
 * checked against the thread's stack instead. Not inlined into instrumented callers by design. */
__attribute__((no_sanitize_address, no_sanitize("undefined"))) static bool
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

/* DW_EH_PE_* */
enum {
	PE_ABSPTR = 0x00,
	PE_ULEB = 0x01,
	PE_UDATA2 = 0x02,
	PE_UDATA4 = 0x03,
	PE_UDATA8 = 0x04,
	PE_SLEB = 0x09,
	PE_SDATA2 = 0x0a,
	PE_SDATA4 = 0x0b,
	PE_SDATA8 = 0x0c,
	PE_PCREL = 0x10,
	PE_DATAREL = 0x30,
	PE_INDIRECT = 0x80,
	PE_OMIT = 0xff,
};

/* A pointer in encoding `enc`; `datarel` is the base of DW_EH_PE_datarel (.eh_frame_hdr's start;
 * NULL where it means nothing). Indirect pointers are read within the module. */
static uint64_t rd_encoded(struct cur *c, uint8_t enc, const struct mod *m, const uint8_t *datarel)
{
	uint64_t field = (uint64_t)(uintptr_t)c->p, v;

	if (enc == PE_OMIT) {
		c->bad = true;
		return 0;
	}
	switch (enc & 0x0f) {
	case PE_ABSPTR:
	case PE_UDATA8:
	case PE_SDATA8:
		v = rd_fixed(c, 8);
		break;
	case PE_ULEB:
		v = rd_uleb(c);
		break;
	case PE_UDATA2:
		v = rd_fixed(c, 2);
		break;
	case PE_UDATA4:
		v = rd_fixed(c, 4);
		break;
	case PE_SLEB:
		v = (uint64_t)rd_sleb(c);
		break;
	case PE_SDATA2:
		v = (uint64_t)(int64_t)(int16_t)rd_fixed(c, 2);
		break;
	case PE_SDATA4:
		v = (uint64_t)(int64_t)(int32_t)rd_fixed(c, 4);
		break;
	default:
		c->bad = true;
		return 0;
	}
	switch (enc & 0x70) {
	case 0:
		break;
	case PE_PCREL:
		v += field;
		break;
	case PE_DATAREL:
		if (!datarel) {
			c->bad = true;
			return 0;
		}
		v += (uint64_t)(uintptr_t)datarel;
		break;
	default:
		c->bad = true;
		return 0; /* textrel, funcrel, aligned: not on x86-64 */
	}
	if (enc & PE_INDIRECT) {
		struct cur ind = {(const uint8_t *)(uintptr_t)v, m->hi, false};

		if (ind.p < m->lo)
			ind.bad = true;
		v = rd_fixed(&ind, 8);
		c->bad |= ind.bad;
	}
	return v;
}

/* ---- .eh_frame entries ---- */

/* An entry's length and contents: [*body, *end) after the length field. */
static bool entry_bounds(const struct mod *m, const uint8_t *at, const uint8_t **body,
			 const uint8_t **end)
{
	struct cur c = {at, m->hi, at < m->lo};
	uint64_t len = rd_fixed(&c, 4);

	if (len == 0xffffffffu)
		len = rd_fixed(&c, 8);
	if (c.bad || len == 0 || len > (uint64_t)(m->hi - c.p))
		return false;
	*body = c.p;
	*end = c.p + len;
	return true;
}

static bool parse_cie(const struct mod *m, const uint8_t *at, struct cie *cie)
{
	const uint8_t *body, *end;
	const char *aug;
	uint8_t version;

	if (!entry_bounds(m, at, &body, &end))
		return false;
	struct cur c = {body, end, false};
	if (rd_fixed(&c, 4) != 0) /* CIE id in .eh_frame */
		return false;
	version = rd_u8(&c);
	if (version != 1 && version != 3)
		return false;
	aug = (const char *)c.p;
	while (rd_u8(&c) != 0 && !c.bad)
		;
	if (c.bad)
		return false;
	*cie = (struct cie){.fde_enc = PE_ABSPTR, .lsda_enc = PE_OMIT};
	if (aug[0] == 'e' && aug[1] == 'h')
		rd_fixed(&c, 8);
	cie->code_align = rd_uleb(&c);
	cie->data_align = rd_sleb(&c);
	cie->ra_col = version == 1 ? rd_u8(&c) : rd_uleb(&c);
	if (aug[0] == 'z') {
		uint64_t alen = rd_uleb(&c);
		const uint8_t *aend = c.p + alen;

		if (c.bad || alen > (uint64_t)(end - c.p))
			return false;
		cie->aug_z = true;
		/* An unknown letter ends the loop: 'z' lets the rest of the data be skipped. */
		for (const char *a = aug + 1;
		     *a && !c.bad &&
		     (*a == 'R' || *a == 'L' || *a == 'P' || *a == 'S' || *a == 'B');
		     a++) {
			if (*a == 'R')
				cie->fde_enc = rd_u8(&c);
			else if (*a == 'L')
				cie->lsda_enc = rd_u8(&c);
			else if (*a == 'P') /* the personality routine: skipped, not followed */
				rd_encoded(&c, rd_u8(&c) & 0x7f, m, NULL);
			else if (*a == 'S')
				cie->signal = true;
		}
		c.p = aend;
	} else if (aug[0] != 0) {
		return false; /* unknown augmentation without 'z': its data cannot be skipped */
	}
	if (c.bad || cie->code_align == 0 || cie->ra_col != 16)
		return false;
	cie->insn = c.p;
	cie->insn_end = end;
	return true;
}

/* The FDE at `at` (already known to be an FDE or not: checked). */
static bool parse_fde(const struct mod *m, const uint8_t *at, struct fde *f)
{
	const uint8_t *body, *end;

	if (!entry_bounds(m, at, &body, &end))
		return false;
	struct cur c = {body, end, false};
	uint64_t cie_off = rd_fixed(&c, 4);
	if (c.bad || cie_off == 0 || cie_off > (uint64_t)(body - m->lo))
		return false;
	if (!parse_cie(m, body - cie_off, &f->cie))
		return false;
	f->pc_begin = rd_encoded(&c, f->cie.fde_enc, m, NULL);
	f->pc_end = f->pc_begin + rd_encoded(&c, f->cie.fde_enc & 0x0f, m, NULL);
	if (f->cie.aug_z) {
		uint64_t alen = rd_uleb(&c);

		if (alen > (uint64_t)(end - c.p))
			return false;
		c.p += alen;
	}
	if (c.bad)
		return false;
	f->insn = c.p;
	f->insn_end = end;
	return true;
}

/* Linear search of .eh_frame from `eh`: for tables this code cannot search. */
static int linear_fde(const struct mod *m, const uint8_t *eh, uint64_t pc, struct fde *f)
{
	const uint8_t *at = eh;

	for (int n = 0; n < (1 << 20); n++) {
		const uint8_t *body, *end;
		struct cur c = {at, m->hi, at < m->lo};

		if (rd_fixed(&c, 4) == 0 && !c.bad)
			return -ENOENT; /* terminator */
		if (!entry_bounds(m, at, &body, &end))
			return -EINVAL;
		struct cur id = {body, end, false};
		if (rd_fixed(&id, 4) != 0 && parse_fde(m, at, f) && pc >= f->pc_begin &&
		    pc < f->pc_end)
			return 0;
		at = end;
	}
	return -ENOENT;
}

/* The FDE covering `pc` in module `m`: 0, -ENOENT (none covers it), -EINVAL (corrupt). */
static int find_fde(const struct mod *m, uint64_t pc, struct fde *f)
{
	struct cur c = {m->hdr, m->hi, m->hdr < m->lo};
	uint8_t version = rd_u8(&c), eh_enc = rd_u8(&c), count_enc = rd_u8(&c),
		table_enc = rd_u8(&c);
	uint64_t eh, count = 0;

	if (c.bad || version != 1)
		return -EINVAL;
	eh = rd_encoded(&c, eh_enc, m, m->hdr);
	if (c.bad)
		return -EINVAL;
	if (count_enc != PE_OMIT)
		count = rd_encoded(&c, count_enc, m, m->hdr);
	if (c.bad)
		return -EINVAL;
	if (count_enc == PE_OMIT || table_enc != (PE_DATAREL | PE_SDATA4))
		return linear_fde(m, (const uint8_t *)(uintptr_t)eh, pc, f);
	if (count == 0)
		return -ENOENT;
	if (count > (uint64_t)(m->hi - c.p) / 8)
		return -EINVAL;

	/* The table: (initial location, FDE address) pairs of int32 relative to the header,
	 * sorted by location: the last entry at or below pc. */
	const i32_unaligned *t = (const i32_unaligned *)(const void *)c.p;
	int64_t rel = (int64_t)(pc - (uint64_t)(uintptr_t)m->hdr);
	size_t lo = 0, hi = count;

	if (rel < INT32_MIN || rel > INT32_MAX || rel < t[0])
		return -ENOENT;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[2 * mid] <= rel)
			lo = mid;
		else
			hi = mid;
	}
	if (!parse_fde(m, m->hdr + t[2 * lo + 1], f))
		return -EINVAL;
	return pc >= f->pc_begin && pc < f->pc_end ? 0 : -ENOENT;
}

/* ---- CFA programs ---- */

/* Runs [p, end) into `row`, up to the location `pc` (for the CIE's initial instructions, pc is
 * ~0 and `init` NULL: DW_CFA_restore means "same value" there). false on a malformed program. */
static bool run_cfa(const struct mod *m, const struct cie *cie, const uint8_t *p,
		    const uint8_t *end, uint64_t loc, uint64_t pc, struct row *row,
		    const struct row *init)
{
	struct row stack[REMEMBER_DEPTH];
	unsigned depth = 0;
	struct cur c = {p, end, false};

	while (c.p < c.end && !c.bad) {
		uint8_t op = rd_u8(&c);
		uint64_t reg = 0, delta = 0;
		int64_t off = 0;
		int slot;

		switch (op & 0xc0) {
		case 0x40:
			delta = op & 0x3f;
			goto advance;
		case 0x80:
			reg = op & 0x3f;
			off = (int64_t)rd_uleb(&c) * cie->data_align;
			goto set_offset;
		case 0xc0:
			reg = op & 0x3f;
			goto restore;
		}
		switch (op) {
		case 0x00: /* nop */
			break;
		case 0x01: /* set_loc */
			loc = rd_encoded(&c, cie->fde_enc, m, NULL);
			if (loc > pc)
				return !c.bad;
			break;
		case 0x02:
			delta = rd_fixed(&c, 1);
			goto advance;
		case 0x03:
			delta = rd_fixed(&c, 2);
			goto advance;
		case 0x04:
			delta = rd_fixed(&c, 4);
			goto advance;
		case 0x05: /* offset_extended */
			reg = rd_uleb(&c);
			off = (int64_t)rd_uleb(&c) * cie->data_align;
			goto set_offset;
		case 0x11: /* offset_extended_sf */
			reg = rd_uleb(&c);
			off = rd_sleb(&c) * cie->data_align;
			goto set_offset;
		case 0x2f: /* GNU_negative_offset_extended */
			reg = rd_uleb(&c);
			off = -(int64_t)rd_uleb(&c) * cie->data_align;
			goto set_offset;
		case 0x06: /* restore_extended */
			reg = rd_uleb(&c);
			goto restore;
		case 0x07: /* undefined */
		case 0x08: /* same_value */
			reg = rd_uleb(&c);
			if (reg < 17 && (slot = dwarf_slot[reg]) >= 0)
				row->r[slot] = (struct rule){.kind = op == 0x07 ? R_UNDEF : R_SAME};
			break;
		case 0x09: { /* register */
			uint64_t from;

			reg = rd_uleb(&c);
			from = rd_uleb(&c);
			if (reg < 17 && (slot = dwarf_slot[reg]) >= 0) {
				int fs = from < 17 ? dwarf_slot[from] : -1;

				/* from an untracked register: unknown, as undefined */
				row->r[slot] =
				    fs >= 0 ? (struct rule){.kind = R_REG, .reg = (uint8_t)fs}
					    : (struct rule){.kind = R_UNDEF};
			}
			break;
		}
		case 0x0a: /* remember_state */
			if (depth == REMEMBER_DEPTH)
				return false;
			stack[depth++] = *row;
			break;
		case 0x0b: /* restore_state: the whole row, CFA rule included */
			if (depth == 0)
				return false;
			depth--;
			*row = stack[depth];
			break;
		case 0x0c: /* def_cfa */
			reg = rd_uleb(&c);
			off = (int64_t)rd_uleb(&c);
			goto def_cfa;
		case 0x12: /* def_cfa_sf */
			reg = rd_uleb(&c);
			off = rd_sleb(&c) * cie->data_align;
			goto def_cfa;
		case 0x0d: /* def_cfa_register */
			reg = rd_uleb(&c);
			if (row->cfa_kind != CFA_REG)
				return false;
			off = row->cfa_off;
			goto def_cfa;
		case 0x0e: /* def_cfa_offset */
			if (row->cfa_kind != CFA_REG)
				return false;
			row->cfa_off = (int64_t)rd_uleb(&c);
			break;
		case 0x13: /* def_cfa_offset_sf */
			if (row->cfa_kind != CFA_REG)
				return false;
			row->cfa_off = rd_sleb(&c) * cie->data_align;
			break;
		case 0x0f: { /* def_cfa_expression */
			uint64_t len = rd_uleb(&c);

			if (!cur_has(&c, len))
				return false;
			row->cfa_kind = CFA_EXPR;
			row->cfa_expr = c.p;
			row->cfa_len = (uint32_t)len;
			c.p += len;
			break;
		}
		case 0x10:   /* expression */
		case 0x16: { /* val_expression */
			uint64_t len;

			reg = rd_uleb(&c);
			len = rd_uleb(&c);
			if (!cur_has(&c, len))
				return false;
			if (reg < 17 && (slot = dwarf_slot[reg]) >= 0)
				row->r[slot] =
				    (struct rule){.kind = op == 0x10 ? R_EXPR : R_VAL_EXPR,
						  .expr = c.p,
						  .len = (uint32_t)len};
			c.p += len;
			break;
		}
		case 0x14: /* val_offset */
			reg = rd_uleb(&c);
			off = (int64_t)rd_uleb(&c) * cie->data_align;
			goto set_val_offset;
		case 0x15: /* val_offset_sf */
			reg = rd_uleb(&c);
			off = rd_sleb(&c) * cie->data_align;
			goto set_val_offset;
		case 0x2e: /* GNU_args_size: the CFA does not depend on it */
			rd_uleb(&c);
			break;
		default:
			return false;
		}
		continue;

	advance:
		loc += delta * cie->code_align;
		if (loc > pc)
			return !c.bad;
		continue;
	set_offset:
		if (reg < 17 && (slot = dwarf_slot[reg]) >= 0)
			row->r[slot] = (struct rule){.kind = R_OFFSET, .off = off};
		continue;
	set_val_offset:
		if (reg < 17 && (slot = dwarf_slot[reg]) >= 0)
			row->r[slot] = (struct rule){.kind = R_VAL_OFFSET, .off = off};
		continue;
	restore:
		if (reg < 17 && (slot = dwarf_slot[reg]) >= 0)
			row->r[slot] = init ? init->r[slot] : (struct rule){.kind = R_SAME};
		continue;
	def_cfa:
		row->cfa_kind = CFA_REG;
		row->cfa_slot = reg < 17 && dwarf_slot[reg] >= 0 ? (uint8_t)dwarf_slot[reg] : 0xff;
		row->cfa_off = off;
		continue;
	}
	return !c.bad;
}

/* ---- DWARF expressions ---- */

/* Evaluates [p, p + len) with `push` (the CFA, for DW_CFA_expression) on the stack if `npush`;
 * false when it cannot (an untracked register, a read off the stack, a malformed op). */
static bool eval_expr(const struct walk *w, const struct frame *fr, const uint8_t *p, uint32_t len,
		      const struct mod *m, uint64_t push, bool npush, uint64_t *out)
{
	uint64_t st[EXPR_STACK];
	int sp = 0;
	struct cur c = {p, p + len, false};

	(void)m;
	if (npush)
		st[sp++] = push;
	for (int steps = 0; c.p < c.end && !c.bad; steps++) {
		uint8_t op = rd_u8(&c);
		uint64_t a, b;

		if (steps == EXPR_STEPS)
			return false;
#define NEED(n)                                                                                    \
	do {                                                                                       \
		if (sp < (n))                                                                      \
			return false;                                                              \
	} while (0)
#define PUSH(v)                                                                                    \
	do {                                                                                       \
		uint64_t pushed_ = (v);                                                            \
		if (sp == EXPR_STACK)                                                              \
			return false;                                                              \
		st[sp++] = pushed_;                                                                \
	} while (0)
		if (op >= 0x30 && op <= 0x4f) { /* lit0..lit31 */
			PUSH((uint64_t)(op - 0x30));
			continue;
		}
		if ((op >= 0x70 && op <= 0x8f) || op == 0x92) { /* breg0..31, bregx */
			uint64_t reg = op == 0x92 ? rd_uleb(&c) : (uint64_t)(op - 0x70);
			int64_t off = rd_sleb(&c);
			int slot = reg < 17 ? dwarf_slot[reg] : -1;

			if (slot < 0 || !(fr->valid & (1u << slot)))
				return false;
			PUSH(fr->v[slot] + (uint64_t)off);
			continue;
		}
		switch (op) {
		case 0x03:
			PUSH(rd_fixed(&c, 8));
			break; /* addr */
		case 0x06:     /* deref */
			NEED(1);
			if (!ld_stack(w, st[sp - 1], &st[sp - 1]))
				return false;
			break;
		case 0x94: { /* deref_size */
			uint8_t n = rd_u8(&c);
			uint64_t v;

			NEED(1);
			if (n == 0 || n > 8 || !ld_stack(w, st[sp - 1], &v))
				return false;
			st[sp - 1] = n == 8 ? v : v & ((1ull << (8 * n)) - 1);
			break;
		}
		case 0x08:
			PUSH(rd_fixed(&c, 1));
			break;
		case 0x09:
			PUSH((uint64_t)(int64_t)(int8_t)rd_fixed(&c, 1));
			break;
		case 0x0a:
			PUSH(rd_fixed(&c, 2));
			break;
		case 0x0b:
			PUSH((uint64_t)(int64_t)(int16_t)rd_fixed(&c, 2));
			break;
		case 0x0c:
			PUSH(rd_fixed(&c, 4));
			break;
		case 0x0d:
			PUSH((uint64_t)(int64_t)(int32_t)rd_fixed(&c, 4));
			break;
		case 0x0e:
		case 0x0f:
			PUSH(rd_fixed(&c, 8));
			break;
		case 0x10:
			PUSH(rd_uleb(&c));
			break;
		case 0x11:
			PUSH((uint64_t)rd_sleb(&c));
			break;
		case 0x12:
			NEED(1);
			PUSH(st[sp - 1]);
			break; /* dup */
		case 0x13:
			NEED(1);
			sp--;
			break; /* drop */
		case 0x14:
			NEED(2);
			PUSH(st[sp - 2]);
			break; /* over */
		case 0x15: {   /* pick */
			uint8_t i = rd_u8(&c);

			NEED(i + 1);
			PUSH(st[sp - 1 - i]);
			break;
		}
		case 0x16: /* swap */
			NEED(2);
			a = st[sp - 1];
			st[sp - 1] = st[sp - 2];
			st[sp - 2] = a;
			break;
		case 0x17: /* rot */
			NEED(3);
			a = st[sp - 1];
			st[sp - 1] = st[sp - 2];
			st[sp - 2] = st[sp - 3];
			st[sp - 3] = a;
			break;
		case 0x19: /* abs */
			NEED(1);
			if ((int64_t)st[sp - 1] < 0)
				st[sp - 1] = -st[sp - 1];
			break;
		case 0x1f:
			NEED(1);
			st[sp - 1] = -st[sp - 1];
			break; /* neg */
		case 0x20:
			NEED(1);
			st[sp - 1] = ~st[sp - 1];
			break; /* not */
		case 0x23:
			NEED(1);
			st[sp - 1] += rd_uleb(&c);
			break; /* plus_uconst */
		case 0x1a:
		case 0x1b:
		case 0x1c:
		case 0x1d:
		case 0x1e:
		case 0x21:
		case 0x22:
		case 0x24:
		case 0x25:
		case 0x26:
		case 0x27:
		case 0x29:
		case 0x2a:
		case 0x2b:
		case 0x2c:
		case 0x2d:
		case 0x2e:
			NEED(2);
			b = st[--sp];
			a = st[sp - 1];
			switch (op) {
			case 0x1a:
				a &= b;
				break;
			case 0x1b: /* div, signed */
				if (b == 0 || ((int64_t)a == INT64_MIN && (int64_t)b == -1))
					return false;
				a = (uint64_t)((int64_t)a / (int64_t)b);
				break;
			case 0x1c:
				a -= b;
				break;
			case 0x1d:
				if (b == 0)
					return false;
				a %= b;
				break;
			case 0x1e:
				a *= b;
				break;
			case 0x21:
				a |= b;
				break;
			case 0x22:
				a += b;
				break;
			case 0x24:
				a = b < 64 ? a << b : 0;
				break;
			case 0x25:
				a = b < 64 ? a >> b : 0;
				break;
			case 0x26:
				a = (uint64_t)((int64_t)a >> (b < 64 ? b : 63));
				break;
			case 0x27:
				a ^= b;
				break;
			case 0x29:
				a = a == b;
				break;
			case 0x2a:
				a = (int64_t)a >= (int64_t)b;
				break;
			case 0x2b:
				a = (int64_t)a > (int64_t)b;
				break;
			case 0x2c:
				a = (int64_t)a <= (int64_t)b;
				break;
			case 0x2d:
				a = (int64_t)a < (int64_t)b;
				break;
			case 0x2e:
				a = a != b;
				break;
			}
			st[sp - 1] = a;
			break;
		case 0x2f:   /* skip */
		case 0x28: { /* bra */
			int16_t d = (int16_t)rd_fixed(&c, 2);
			bool jump = true;

			if (op == 0x28) {
				NEED(1);
				jump = st[--sp] != 0;
			}
			if (jump) {
				if (d < 0 ? (size_t)-d > (size_t)(c.p - p)
					  : (size_t)d > (size_t)(c.end - c.p))
					return false;
				c.p += d;
			}
			break;
		}
		case 0x96:
			break; /* nop */
		default:
			return false;
		}
#undef NEED
#undef PUSH
	}
	if (c.bad || sp == 0)
		return false;
	*out = st[sp - 1];
	return true;
}

/* ---- a step ---- */

/* Applies `row` to `in`, giving the caller's frame. The stop reason on failure. */
static int apply_row(const struct walk *w, const struct mod *m, const struct row *row,
		     const struct frame *in, struct frame *out, bool signal)
{
	uint64_t cfa;

	if (row->cfa_kind == CFA_REG) {
		if (row->cfa_slot >= NSLOT || !(in->valid & (1u << row->cfa_slot)))
			return SC_AGENT_STOP_NO_RULE;
		cfa = in->v[row->cfa_slot] + (uint64_t)row->cfa_off;
	} else if (!eval_expr(w, in, row->cfa_expr, row->cfa_len, m, 0, false, &cfa)) {
		return SC_AGENT_STOP_NO_RULE;
	}
	out->valid = 0;
	for (int s = 0; s < NSLOT; s++) {
		const struct rule *r = &row->r[s];
		uint64_t v = 0, addr;

		switch (r->kind) {
		case R_SAME:
			if (s == S_SP) {
				v = cfa; /* the CFA is the caller's sp, unless a rule says otherwise
					  */
				break;
			}
			if (!(in->valid & (1u << s)))
				continue;
			v = in->v[s];
			break;
		case R_UNDEF:
			continue;
		case R_OFFSET:
			if (!ld_stack(w, cfa + (uint64_t)r->off, &v))
				return SC_AGENT_STOP_END_OF_STACK;
			break;
		case R_VAL_OFFSET:
			v = cfa + (uint64_t)r->off;
			break;
		case R_REG:
			if (!(in->valid & (1u << r->reg)))
				continue;
			v = in->v[r->reg];
			break;
		case R_EXPR:
			if (!eval_expr(w, in, r->expr, r->len, m, cfa, true, &addr))
				return SC_AGENT_STOP_NO_RULE;
			if (!ld_stack(w, addr, &v))
				return SC_AGENT_STOP_END_OF_STACK;
			break;
		case R_VAL_EXPR:
			if (!eval_expr(w, in, r->expr, r->len, m, cfa, true, &v))
				return SC_AGENT_STOP_NO_RULE;
			break;
		}
		out->v[s] = v;
		out->valid |= 1u << s;
	}
	if (!(out->valid & (1u << S_IP)) || out->v[S_IP] == 0)
		return SC_AGENT_STOP_OUTERMOST;
	/* A CFA that does not grow would loop; a signal frame's CFA is the interrupted sp, which
	 * may be anywhere (an alternate signal stack). */
	if (!signal && out->v[S_SP] <= in->v[S_SP])
		return SC_AGENT_STOP_NO_RULE;
	return -1;
}

/* The frame-pointer step as a row: CFA = bp + 16, return address at CFA - 8, bp at CFA - 16. */
static void fp_row(struct row *row)
{
	*row = (struct row){.cfa_kind = CFA_REG, .cfa_slot = S_BP, .cfa_off = 16};
	row->r[S_IP] = (struct rule){.kind = R_OFFSET, .off = -8};
	row->r[S_BP] = (struct rule){.kind = R_OFFSET, .off = -16};
}

/* A leaf that has not touched the stack: return address at sp, CFA = sp + 8. */
static void leaf_row(struct row *row)
{
	*row = (struct row){.cfa_kind = CFA_REG, .cfa_slot = S_SP, .cfa_off = 8};
	row->r[S_IP] = (struct rule){.kind = R_OFFSET, .off = -8};
}

/* The row for an interrupted pc that no FDE covers: hand-written assembly without CFI (libgmp's
 * mpn routines) is mostly leaves that push nothing, so the word at sp is the return address when
 * it points into a module; otherwise one frame-pointer step. */
static void no_fde_row(const struct walk *w, find_object_fn fo, const struct frame *fr, bool exact,
		       struct row *row)
{
	struct dl_find_object d;
	uint64_t ra;

	if (exact && ld_stack(w, fr->v[S_SP], &ra) && ra &&
	    fo((void *)(uintptr_t)(ra - 1), &d) == 0)
		leaf_row(row);
	else
		fp_row(row);
}

static bool row_cacheable(const struct row *row)
{
	if (row->cfa_kind != CFA_REG || row->cfa_slot >= NSLOT || row->cfa_off < INT32_MIN ||
	    row->cfa_off > INT32_MAX)
		return false;
	for (int s = 0; s < NSLOT; s++) {
		uint8_t k = row->r[s].kind;

		if (k == R_REG || k == R_EXPR || k == R_VAL_EXPR || (s == S_SP && k != R_SAME) ||
		    row->r[s].off < INT32_MIN || row->r[s].off > INT32_MAX)
			return false;
	}
	return true;
}

static void row_to_entry(const struct row *row, bool signal, uint64_t pc, sc_lu_cache_entry *e)
{
	e->pc = 0;
	e->cfa_off = (int32_t)row->cfa_off;
	e->cfa_reg = row->cfa_slot;
	e->signal = signal;
	for (int s = 0; s < NSLOT; s++) {
		e->kind[s] = row->r[s].kind;
		e->off[s] = (int32_t)row->r[s].off;
	}
	e->pc = pc;
}

/* apply_row for a cached row (only "register + offset" rules): the hot path of a walk. */
static int apply_entry(const struct walk *w, const sc_lu_cache_entry *e, const struct frame *in,
		       struct frame *out)
{
	uint64_t cfa;

	if (!(in->valid & (1u << e->cfa_reg)))
		return SC_AGENT_STOP_NO_RULE;
	cfa = in->v[e->cfa_reg] + (uint64_t)(int64_t)e->cfa_off;
	out->valid = 0;
	for (int s = 0; s < NSLOT; s++) {
		switch (e->kind[s]) {
		case R_SAME:
			out->v[s] = s == S_SP ? cfa : in->v[s];
			out->valid |= (s == S_SP ? 1u : in->valid >> s & 1u) << s;
			break;
		case R_UNDEF:
			break;
		case R_OFFSET:
			if (!ld_stack(w, cfa + (uint64_t)(int64_t)e->off[s], &out->v[s]))
				return SC_AGENT_STOP_END_OF_STACK;
			out->valid |= 1u << s;
			break;
		default: /* R_VAL_OFFSET */
			out->v[s] = cfa + (uint64_t)(int64_t)e->off[s];
			out->valid |= 1u << s;
			break;
		}
	}
	if (!(out->valid & (1u << S_IP)) || out->v[S_IP] == 0)
		return SC_AGENT_STOP_OUTERMOST;
	if (!e->signal && out->v[S_SP] <= in->v[S_SP])
		return SC_AGENT_STOP_NO_RULE;
	return -1;
}

/* The row for `lookup` (a pc inside the frame's function) in the module found by dlfo.
 * SC_AGENT_STOP_* on failure, NO_FDE, else -1; *signal says whether the frame is a signal
 * trampoline. */
/* Narrows m's bounds from the whole mapping to the PT_LOAD segment holding .eh_frame_hdr (and,
 * as linkers place them, .eh_frame): the loader leaves PROT_NONE holes between segments, which a
 * corrupt pointer must not reach. The ELF header and program headers are read from the first page
 * of the mapping (the first segment maps the file from offset 0); when they are not there as
 * expected, the bounds stay the mapping's. */
static void narrow_to_segment(const struct dl_find_object *d, struct mod *m)
{
	const ElfW(Ehdr) *eh = d->dlfo_map_start;
	const struct link_map *lm = d->dlfo_link_map;
	uint64_t hdr = (uint64_t)(uintptr_t)m->hdr;

	if (!lm || m->hi - m->lo < 4096 || not_elf64(eh->e_ident) ||
	    eh->e_phentsize != sizeof(ElfW(Phdr)) || eh->e_phoff > 4096 ||
	    eh->e_phnum > (4096 - eh->e_phoff) / sizeof(ElfW(Phdr)))
		return;
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(const void *)(m->lo + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		uint64_t lo = lm->l_addr + ph[i].p_vaddr, hi = lo + ph[i].p_memsz;

		if (ph[i].p_type != PT_LOAD || hdr < lo || hdr >= hi)
			continue;
		if (lo > (uint64_t)(uintptr_t)m->lo && lo < (uint64_t)(uintptr_t)m->hi)
			m->lo = (const uint8_t *)(uintptr_t)lo;
		if (hi > (uint64_t)(uintptr_t)m->lo && hi < (uint64_t)(uintptr_t)m->hi)
			m->hi = (const uint8_t *)(uintptr_t)hi;
		return;
	}
}

static int row_for(const struct dl_find_object *d, uint64_t lookup, struct mod *m, struct row *row,
		   bool *signal)
{
	struct fde f;
	struct row init;
	int rc;

	*m = (struct mod){d->dlfo_map_start, d->dlfo_map_end, d->dlfo_eh_frame};
	*signal = false;
	if (!m->hdr)
		return NO_FDE;
	narrow_to_segment(d, m);
	rc = find_fde(m, lookup, &f);
	if (rc == -ENOENT)
		return NO_FDE;
	if (rc < 0)
		return SC_AGENT_STOP_NO_RULE;
	*row = (struct row){.cfa_kind = CFA_REG, .cfa_slot = 0xff};
	if (!run_cfa(m, &f.cie, f.cie.insn, f.cie.insn_end, 0, ~(uint64_t)0, row, NULL))
		return SC_AGENT_STOP_NO_RULE;
	init = *row;
	if (!run_cfa(m, &f.cie, f.insn, f.insn_end, f.pc_begin, lookup, row, &init))
		return SC_AGENT_STOP_NO_RULE;
	*signal = f.cie.signal;
	return -1;
}

/* The cache slot of a pc: Fibonacci hashing spreads the nearby pcs of one function. */
static inline size_t slot_of(uint64_t pc)
{
	return (size_t)((pc * 0x9e3779b97f4a7c15ull) >> (64 - SC_LU_CACHE_BITS));
}

int sc_lu_unwind(const sc_lu_regs *r, uint64_t stack_hi, int mode, sc_lu_cache *cache,
		 uint64_t *pcs, size_t max, int *stop)
{
	find_object_fn fo = __atomic_load_n(&find_object, __ATOMIC_ACQUIRE);
	/* The red zone counts: a function interrupted in its epilogue has CFI rules for registers
	 * it already popped, below its sp, and the kernel builds a signal frame under the red zone.
	 */
	struct walk w = {r->sp >= RED_ZONE ? r->sp - RED_ZONE : 0, stack_hi};
	struct frame fr = {.v = {[S_BX] = r->bx,
				 [S_BP] = r->bp,
				 [S_SP] = r->sp,
				 [S_R12] = r->r12,
				 [S_R13] = r->r13,
				 [S_R14] = r->r14,
				 [S_R15] = r->r15,
				 [S_IP] = r->ip},
			   .valid = (1u << NSLOT) - 1};
	bool exact = true; /* the pc is not a return address: no "minus 1" */
	size_t n = 0;
	int reason = SC_AGENT_STOP_MAX_FRAMES;

	if (max == 0 || (mode != SC_AGENT_UNWIND_AUTO && mode != SC_AGENT_UNWIND_DWARF &&
			 mode != SC_AGENT_UNWIND_FP))
		return -EINVAL;
	if (!fo && mode != SC_AGENT_UNWIND_FP)
		return -ENOSYS;
	if (mode == SC_AGENT_UNWIND_FP)
		cache = NULL;

	for (;;) {
		uint64_t pc = fr.v[S_IP], lookup = exact ? pc : pc - 1;
		sc_lu_cache_entry *e = cache ? &cache->e[slot_of(lookup)] : NULL;
		struct row row;
		struct mod m = {0};
		struct frame next;
		bool signal = false;
		int rc;

		if (e && e->pc == lookup) {
			cache->hits++;
			pcs[n++] = pc;
			if (n == max)
				break;
			rc = apply_entry(&w, e, &fr, &next);
			if (rc >= 0) {
				reason = rc;
				break;
			}
			exact = e->signal;
			fr = next;
			continue;
		} else {
			struct dl_find_object d;

			if (fo && fo((void *)lookup, &d) != 0) {
				if (n == 0)
					pcs[n++] = pc;
				reason = SC_AGENT_STOP_NO_MAPPING;
				break;
			}
			if (mode == SC_AGENT_UNWIND_FP) {
				fp_row(&row);
			} else {
				if (cache)
					cache->misses++;
				rc = row_for(&d, lookup, &m, &row, &signal);
				if (rc == NO_FDE) {
					no_fde_row(&w, fo, &fr, exact, &row);
					rc = -1;
				}
				if (rc >= 0) {
					pcs[n++] = pc;
					reason = rc;
					break;
				}
				if (e && row_cacheable(&row))
					row_to_entry(&row, signal, lookup, e);
			}
		}
		pcs[n++] = pc;
		if (n == max)
			break;
		if (mode == SC_AGENT_UNWIND_FP && fr.v[S_BP] == 0) {
			reason = SC_AGENT_STOP_OUTERMOST; /* _start clears rbp */
			break;
		}
		rc = apply_row(&w, &m, &row, &fr, &next, signal);
		if (rc >= 0) {
			reason = rc;
			break;
		}
		exact = signal;
		fr = next;
	}
	*stop = reason;
	return (int)n;
}

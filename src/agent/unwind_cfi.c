/*
 * unwind_cfi.c: the agents' in-process unwinder, its CFI half: the FDE covering a pc (through
 * .eh_frame_hdr's sorted table, or a linear walk of .eh_frame for other table encodings), the CIE
 * and FDE parsed, and their CFA programs run into a row (unwind_int.h). Every read is bounded by
 * the module's segment (struct cur).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "agent/unwind_int.h"

#include <errno.h>

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
int sc_lu_find_fde(const struct mod *m, uint64_t pc, struct fde *f)
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
bool sc_lu_run_cfa(const struct mod *m, const struct cie *cie, const uint8_t *p, const uint8_t *end,
		   uint64_t loc, uint64_t pc, struct row *row, const struct row *init)
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

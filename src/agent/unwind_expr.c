/*
 * unwind_expr.c: the agents' in-process unwinder, its DWARF expression machine: a 16-slot stack, a
 * 64-operation budget, every dereference checked against the thread's stack (ld_stack): enough
 * for the PLT's CFA and glibc's __restore_rt reading the ucontext on the stack.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "agent/unwind_int.h"

#include <errno.h>

/* ---- DWARF expressions ---- */

/* Evaluates [p, p + len) with `push` (the CFA, for DW_CFA_expression) on the stack if `npush`;
 * false when it cannot (an untracked register, a read off the stack, a malformed op). */
bool sc_lu_eval_expr(const struct walk *w, const struct frame *fr, const uint8_t *p, uint32_t len,
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

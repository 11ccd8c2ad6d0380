/*
 * unwind.c: walking copied user stacks with CFI and frame pointers. See unwind.h.
 *
 * The state of a frame is the DWARF x86-64 register file (0-16: rax rdx rcx rbx rsi rdi rbp rsp
 * r8-r15, 16 = the return address column, i.e. the pc) with a bit per register saying whether its
 * value is known. A CFI step computes the CFA, then the caller's value of each register we track
 * (rbx, rbp, rsp, r12-r15, pc) from the rule of the frame's pc; a frame-pointer step reads the
 * saved bp and return address at bp and bp + 8, after which the other callee-saved registers are
 * unknown.
 *
 * Rules come from libdw once per (module, ELF address) and are reduced to `struct rule`: the
 * usual forms ("CFA = reg + off", "saved at CFA + off", "value CFA + off", same, undefined) as
 * fields; anything else (PLT entries' CFA expression, signal frames, realigned stacks) as a copy
 * of the DWARF expression, evaluated by eval() against the stack copy.
 */
#include "unwind/unwind.h"
#include "util/hashmap.h"
#include "util/vec.h"

#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NREGS 17
#define R_RBX 3
#define R_RBP 6
#define R_RSP 7
#define R_PC  16

/* The registers a rule says something about, in struct rule's loc[] order. */
static const uint8_t tracked[] = {R_RBX, R_RBP, R_RSP, 12, 13, 14, 15, R_PC};
#define NTRACKED (sizeof(tracked) / sizeof(tracked[0]))
#define T_RSP	 2
#define T_PC	 7

enum loc_kind {
	L_SAME,	   /* the caller's value is this frame's */
	L_UNDEF,   /* not recoverable (for the pc: this is the outermost frame) */
	L_AT_CFA,  /* saved in memory at CFA + off */
	L_VAL_CFA, /* the value is CFA + off */
	L_EXPR,	   /* u->ops[ops .. ops + nops): an address, or a value when it ends in
		      DW_OP_stack_value */
};

struct loc {
	uint8_t kind, nops;
	uint32_t ops;
	int64_t off;
};

enum cfa_kind {
	C_NONE, /* no FDE covers the pc: step by frame pointer */
	C_BAD,	/* an FDE, but nothing we can evaluate */
	C_REG,	/* CFA = register cfa_reg + off */
	C_EXPR, /* CFA = the value of u->ops[ops .. ops + nops) */
};

struct rule {
	uint64_t vaddr;
	int file;
	uint8_t cfa_kind, cfa_reg, cfa_nops;
	bool signal; /* a signal trampoline: its "return address" is an exact pc */
	uint32_t cfa_ops;
	int64_t cfa_off;
	struct loc loc[NTRACKED];
};

struct sc_unwind {
	sc_modcache *mc;
	SC_VEC(struct rule) rules;
	sc_hashmap rule_index; /* hash of (file, vaddr) -> index into rules */
	SC_VEC(Dwarf_Op) ops;  /* the expressions rules point into */
	uint64_t pcs, pcs_failed;
};

sc_unwind *sc_unwind_new_shared(sc_modcache *modules)
{
	sc_unwind *u = calloc(1, sizeof(*u));
	if (u)
		u->mc = sc_modcache_ref(modules);
	return u;
}

sc_unwind *sc_unwind_new(void)
{
	sc_modcache *mc = sc_modcache_new();
	if (!mc)
		return NULL;
	sc_unwind *u = sc_unwind_new_shared(mc);
	sc_modcache_unref(mc);
	return u;
}

void sc_unwind_free(sc_unwind *u)
{
	if (!u)
		return;
	sc_modcache_unref(u->mc);
	sc_vec_release(&u->rules);
	sc_hashmap_release(&u->rule_index);
	sc_vec_release(&u->ops);
	free(u);
}

sc_modcache *sc_unwind_modules(sc_unwind *u)
{
	return u->mc;
}

int sc_unwind_file(sc_unwind *u, const char *path)
{
	return sc_modcache_open(u->mc, path);
}

void sc_unwind_get_stats(const sc_unwind *u, sc_unwind_stats *out)
{
	sc_modcache_stats ms;
	sc_modcache_get_stats(u->mc, &ms);
	*out = (sc_unwind_stats){.files = ms.files,
				 .files_failed = ms.files_failed,
				 .pcs = u->pcs,
				 .pcs_failed = u->pcs_failed};
}

const char *sc_unwind_stop_name(sc_unwind_stop stop)
{
	switch (stop) {
	case SC_UNWIND_STOP_OUTERMOST:
		return "outermost frame";
	case SC_UNWIND_STOP_END_OF_COPY:
		return "end of the stack copy";
	case SC_UNWIND_STOP_NO_MAPPING:
		return "address outside every executable mapping";
	case SC_UNWIND_STOP_NOT_GROWING:
		return "stack pointer not growing";
	case SC_UNWIND_STOP_NO_RULE:
		return "no usable unwind rule";
	case SC_UNWIND_STOP_MAX_FRAMES:
		return "frame limit";
	}
	return "?";
}

int sc_unwind_regs_from_perf(sc_unwind_regs *out, uint64_t mask, const uint64_t *values, size_t n)
{
	const uint64_t need = (1ull << 6) | (1ull << 7) | (1ull << 8);
	if ((mask & need) != need || (size_t)__builtin_popcountll(mask) != n)
		return -EINVAL;
	*out = (sc_unwind_regs){0};
	size_t i = 0;
	for (int bit = 0; bit < 64; bit++) {
		if (!(mask & (1ull << bit)))
			continue;
		uint64_t v = values[i++];
		switch (bit) {
		case 1:
			out->bx = v;
			out->have |= SC_UNWIND_HAVE_BX;
			break;
		case 6:
			out->bp = v;
			break;
		case 7:
			out->sp = v;
			break;
		case 8:
			out->ip = v;
			break;
		case 20:
		case 21:
		case 22:
		case 23: {
			uint64_t *r[] = {&out->r12, &out->r13, &out->r14, &out->r15};
			*r[bit - 20] = v;
			out->have |= SC_UNWIND_HAVE_R12 << (bit - 20);
			break;
		}
		default:
			break;
		}
	}
	return 0;
}

/* ---- rules ---- */

/* Copies an expression into u->ops; returns 0 or -ENOMEM. */
static int store_ops(sc_unwind *u, const Dwarf_Op *ops, size_t n, uint32_t *at)
{
	if (u->ops.len + n > UINT32_MAX || sc_vec_reserve(&u->ops, n) < 0)
		return -ENOMEM;
	*at = (uint32_t)u->ops.len;
	memcpy(u->ops.data + u->ops.len, ops, n * sizeof(*ops));
	u->ops.len += n;
	return 0;
}

/* "CFA + constant", optionally as a value: the forms libdw gives offset(N) and val_offset(N). */
static bool cfa_plus(const Dwarf_Op *ops, size_t n, int64_t *off, bool *value)
{
	*value = n > 1 && ops[n - 1].atom == DW_OP_stack_value;
	if (*value)
		n--;
	if (n == 0 || ops[0].atom != DW_OP_call_frame_cfa)
		return false;
	if (n == 1)
		*off = 0;
	else if (n == 2 && ops[1].atom == DW_OP_plus_uconst)
		*off = (int64_t)ops[1].number;
	else if (n == 3 && ops[1].atom == DW_OP_consts && ops[2].atom == DW_OP_plus)
		*off = (int64_t)ops[1].number;
	else
		return false;
	return true;
}

/* Fills r from the CFI row of r->vaddr in `cfi`. Returns 1 (an FDE covers it), 0 (none), or
 * -ENOMEM. */
static int read_rule(sc_unwind *u, Dwarf_CFI *cfi, struct rule *r)
{
	Dwarf_Frame *frame = NULL;
	if (!cfi || dwarf_cfi_addrframe(cfi, r->vaddr, &frame) != 0)
		return 0;
	int ret = 1;
	r->cfa_kind = C_BAD;
	bool signal = false;
	if (dwarf_frame_info(frame, NULL, NULL, &signal) != R_PC)
		goto out;
	r->signal = signal;
	Dwarf_Op *ops, mem[3];
	size_t nops;
	if (dwarf_frame_cfa(frame, &ops, &nops) != 0 || nops == 0 || nops > 255)
		goto out;
	uint8_t kind = C_EXPR;
	if (nops == 1 && ops[0].atom == DW_OP_bregx && ops[0].number < NREGS) {
		kind = C_REG;
		r->cfa_reg = (uint8_t)ops[0].number;
		r->cfa_off = (int64_t)ops[0].number2;
	} else if (nops == 1 && ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg16) {
		kind = C_REG;
		r->cfa_reg = (uint8_t)(ops[0].atom - DW_OP_breg0);
		r->cfa_off = (int64_t)ops[0].number;
	} else {
		if (store_ops(u, ops, nops, &r->cfa_ops) < 0) {
			ret = -ENOMEM;
			goto out;
		}
		r->cfa_nops = (uint8_t)nops;
	}
	for (size_t t = 0; t < NTRACKED; t++) {
		struct loc *l = &r->loc[t];
		if (dwarf_frame_register(frame, tracked[t], mem, &ops, &nops) != 0) {
			l->kind = L_UNDEF;
			continue;
		}
		bool value;
		if (nops == 0)
			l->kind = ops ? L_UNDEF : L_SAME;
		else if (cfa_plus(ops, nops, &l->off, &value))
			l->kind = value ? L_VAL_CFA : L_AT_CFA;
		else if (nops > 255)
			l->kind = L_UNDEF;
		else if (store_ops(u, ops, nops, &l->ops) < 0) {
			ret = -ENOMEM;
			goto out;
		} else {
			l->kind = L_EXPR;
			l->nops = (uint8_t)nops;
		}
	}
	r->cfa_kind = kind;
out:
	free(frame);
	return ret;
}

/* Fills r (vaddr and file set) from .eh_frame, else .debug_frame. Returns 0 or -ENOMEM. */
static int find_rule(sc_unwind *u, struct rule *r)
{
	int found = read_rule(u, sc_module_eh_frame(u->mc, r->file), r);
	if (found == 0)
		found = read_rule(u, sc_module_debug_frame(u->mc, r->file), r);
	if (found < 0)
		return found;
	if (found == 0)
		r->cfa_kind = C_NONE;
	return 0;
}

static bool rule_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_unwind *u = ctx;
	const struct rule *a = &u->rules.data[value], *b = key;
	return a->vaddr == b->vaddr && a->file == b->file;
}

/* The cached rule for (file, vaddr), read from the CFI the first time; NULL when out of memory. */
static const struct rule *get_rule(sc_unwind *u, int file, uint64_t vaddr)
{
	struct rule key = {.vaddr = vaddr, .file = file};
	uint64_t h = sc_hash_combine(sc_hash_u64(vaddr), (uint64_t)file), v;
	if (sc_hashmap_get(&u->rule_index, h, rule_eq, &key, u, &v))
		return &u->rules.data[v];
	if (sc_vec_reserve(&u->rules, 1) < 0 || find_rule(u, &key) < 0 ||
	    sc_hashmap_put(&u->rule_index, h, u->rules.len) < 0)
		return NULL;
	u->pcs++;
	if (key.cfa_kind == C_NONE || key.cfa_kind == C_BAD)
		u->pcs_failed++;
	u->rules.data[u->rules.len++] = key;
	return &u->rules.data[u->rules.len - 1];
}

/* ---- walking ---- */

struct frame {
	uint64_t r[NREGS];
	uint32_t known; /* bit per register */
};

struct copy {
	const unsigned char *data;
	uint64_t base; /* the address of data[0]: sp at the sample */
	size_t size;
};

enum { OK = 0, E_COPY = 1, E_RULE = 2 };

static int load(const struct copy *c, uint64_t addr, uint64_t *v)
{
	if (addr < c->base || addr - c->base > c->size || c->size - (addr - c->base) < 8)
		return E_COPY;
	memcpy(v, c->data + (addr - c->base), 8);
	return OK;
}

static int reg(const struct frame *f, uint64_t n, uint64_t *v)
{
	if (n >= NREGS || !(f->known & (1u << n)))
		return E_RULE;
	*v = f->r[n];
	return OK;
}

/* Evaluates a CFI expression (with the CFA pushed by DW_OP_call_frame_cfa when `cfa` is given).
 * Sets *out and *value (the result is a value, not an address). Returns OK, E_COPY or E_RULE. */
static int eval(const Dwarf_Op *ops, size_t n, const struct frame *f, const struct copy *c,
		const uint64_t *cfa, uint64_t *out, bool *value)
{
	uint64_t st[16], a, b;
	size_t sp = 0;
	int e;
	*value = false;
#define NEED(k)                                                                                    \
	do {                                                                                       \
		if (sp < (k))                                                                      \
			return E_RULE;                                                             \
	} while (0)
#define PUSH(x)                                                                                    \
	do {                                                                                       \
		uint64_t x_ = (x);                                                                 \
		if (sp == 16)                                                                      \
			return E_RULE;                                                             \
		st[sp++] = x_;                                                                     \
	} while (0)
	for (size_t i = 0; i < n; i++) {
		const Dwarf_Op *op = &ops[i];
		uint8_t at = op->atom;
		if (at >= DW_OP_lit0 && at <= DW_OP_lit31) {
			PUSH((uint64_t)(at - DW_OP_lit0));
		} else if (at >= DW_OP_breg0 && at <= DW_OP_breg31) {
			if ((e = reg(f, at - DW_OP_breg0, &a)))
				return e;
			PUSH(a + op->number);
		} else if (at >= DW_OP_reg0 && at <= DW_OP_reg31) {
			if (n != 1 || (e = reg(f, at - DW_OP_reg0, &a)))
				return E_RULE;
			*out = a;
			*value = true;
			return OK;
		} else {
			switch (at) {
			case DW_OP_bregx:
				if ((e = reg(f, op->number, &a)))
					return e;
				PUSH(a + op->number2);
				break;
			case DW_OP_regx:
				if (n != 1 || (e = reg(f, op->number, &a)))
					return E_RULE;
				*out = a;
				*value = true;
				return OK;
			case DW_OP_call_frame_cfa:
				if (!cfa)
					return E_RULE;
				PUSH(*cfa);
				break;
			case DW_OP_addr:
			case DW_OP_const1u:
			case DW_OP_const1s:
			case DW_OP_const2u:
			case DW_OP_const2s:
			case DW_OP_const4u:
			case DW_OP_const4s:
			case DW_OP_const8u:
			case DW_OP_const8s:
			case DW_OP_constu:
			case DW_OP_consts:
				PUSH(op->number);
				break;
			case DW_OP_dup:
				NEED(1);
				PUSH(st[sp - 1]);
				break;
			case DW_OP_drop:
				NEED(1);
				sp--;
				break;
			case DW_OP_over:
				NEED(2);
				PUSH(st[sp - 2]);
				break;
			case DW_OP_swap:
				NEED(2);
				a = st[sp - 1];
				st[sp - 1] = st[sp - 2];
				st[sp - 2] = a;
				break;
			case DW_OP_deref:
				NEED(1);
				if ((e = load(c, st[sp - 1], &st[sp - 1])))
					return e;
				break;
			case DW_OP_plus_uconst:
				NEED(1);
				st[sp - 1] += op->number;
				break;
			case DW_OP_neg:
				NEED(1);
				st[sp - 1] = -st[sp - 1];
				break;
			case DW_OP_not:
				NEED(1);
				st[sp - 1] = ~st[sp - 1];
				break;
			case DW_OP_plus:
			case DW_OP_minus:
			case DW_OP_mul:
			case DW_OP_and:
			case DW_OP_or:
			case DW_OP_xor:
			case DW_OP_shl:
			case DW_OP_shr:
			case DW_OP_shra:
			case DW_OP_eq:
			case DW_OP_ne:
			case DW_OP_lt:
			case DW_OP_le:
			case DW_OP_gt:
			case DW_OP_ge:
				NEED(2);
				b = st[--sp];
				a = st[sp - 1];
				switch (at) {
				case DW_OP_plus:
					a += b;
					break;
				case DW_OP_minus:
					a -= b;
					break;
				case DW_OP_mul:
					a *= b;
					break;
				case DW_OP_and:
					a &= b;
					break;
				case DW_OP_or:
					a |= b;
					break;
				case DW_OP_xor:
					a ^= b;
					break;
				case DW_OP_shl:
					a = b < 64 ? a << b : 0;
					break;
				case DW_OP_shr:
					a = b < 64 ? a >> b : 0;
					break;
				case DW_OP_shra:
					a = (uint64_t)((int64_t)a >> (b < 63 ? b : 63));
					break;
				case DW_OP_eq:
					a = a == b;
					break;
				case DW_OP_ne:
					a = a != b;
					break;
				case DW_OP_lt:
					a = (int64_t)a < (int64_t)b;
					break;
				case DW_OP_le:
					a = (int64_t)a <= (int64_t)b;
					break;
				case DW_OP_gt:
					a = (int64_t)a > (int64_t)b;
					break;
				case DW_OP_ge:
					a = (int64_t)a >= (int64_t)b;
					break;
				}
				st[sp - 1] = a;
				break;
			case DW_OP_stack_value:
				if (i + 1 != n)
					return E_RULE;
				*value = true;
				break;
			default:
				return E_RULE;
			}
		}
	}
#undef NEED
#undef PUSH
	if (sp == 0)
		return E_RULE;
	*out = st[sp - 1];
	return OK;
}

/* The caller's value of a tracked register. Returns OK, E_COPY or E_RULE (L_SAME and L_UNDEF are
 * the caller's business). */
static int recover(const sc_unwind *u, const struct loc *l, const struct frame *f,
		   const struct copy *c, uint64_t cfa, uint64_t *v)
{
	uint64_t a;
	bool value;
	int e;
	switch (l->kind) {
	case L_AT_CFA:
		return load(c, cfa + (uint64_t)l->off, v);
	case L_VAL_CFA:
		*v = cfa + (uint64_t)l->off;
		return OK;
	case L_EXPR:
		if ((e = eval(u->ops.data + l->ops, l->nops, f, c, &cfa, &a, &value)))
			return e;
		if (value) {
			*v = a;
			return OK;
		}
		return load(c, a, v);
	default:
		return E_RULE;
	}
}

/* Is a register's save slot below the current sp? Then the frame has popped it already (an
 * epilogue after `leave` or `pop %rbp`, where GCC's CFI still says "saved at CFA-16"), and the
 * register holds the caller's value again. */
static bool below_sp(const struct loc *l, const struct frame *f, uint64_t cfa)
{
	return l->kind == L_AT_CFA && (f->known & (1u << R_RSP)) &&
	       cfa + (uint64_t)l->off < f->r[R_RSP];
}

static sc_unwind_stop stop_of(int e)
{
	return e == E_COPY ? SC_UNWIND_STOP_END_OF_COPY : SC_UNWIND_STOP_NO_RULE;
}

/* One CFI step from f into *caller. Returns OK or an sc_unwind_stop + 100. */
static int step_cfi(const sc_unwind *u, const struct rule *r, const struct frame *f,
		    const struct copy *c, struct frame *caller)
{
	uint64_t cfa;
	int e;
	bool value;
	if (r->cfa_kind == C_REG)
		e = reg(f, r->cfa_reg, &cfa), cfa += (uint64_t)r->cfa_off;
	else if (r->cfa_kind == C_EXPR)
		e = eval(u->ops.data + r->cfa_ops, r->cfa_nops, f, c, NULL, &cfa, &value);
	else
		e = E_RULE;
	if (e)
		return 100 + stop_of(e);
	const struct loc *ra = &r->loc[T_PC];
	if (ra->kind == L_UNDEF)
		return 100 + SC_UNWIND_STOP_OUTERMOST;
	*caller = (struct frame){.known = 0};
	if ((e = recover(u, ra, f, c, cfa, &caller->r[R_PC])))
		return 100 + stop_of(e);
	caller->known |= 1u << R_PC;
	for (size_t t = 0; t < NTRACKED; t++) {
		uint8_t n = tracked[t];
		const struct loc *l = &r->loc[t];
		if (t == T_PC)
			continue;
		if (l->kind == L_SAME || below_sp(l, f, cfa)) {
			caller->r[n] = f->r[n];
			caller->known |= f->known & (1u << n);
		} else if (l->kind != L_UNDEF && !recover(u, l, f, c, cfa, &caller->r[n])) {
			caller->known |= 1u << n;
		}
	}
	/* The caller's sp is the CFA unless the rule says otherwise (signal frames do). */
	if (r->loc[T_RSP].kind == L_SAME || r->loc[T_RSP].kind == L_UNDEF ||
	    !(caller->known & (1u << R_RSP))) {
		caller->r[R_RSP] = cfa;
		caller->known |= 1u << R_RSP;
	}
	return OK;
}

/* One frame-pointer step: the return address at bp + 8, the caller's bp at bp. */
static int step_fp(const struct frame *f, const struct copy *c, struct frame *caller)
{
	uint64_t bp, sp = f->r[R_RSP];
	if (reg(f, R_RBP, &bp) || bp < sp)
		return 100 + SC_UNWIND_STOP_NO_RULE;
	*caller = (struct frame){.known = (1u << R_RBP) | (1u << R_RSP) | (1u << R_PC)};
	if (load(c, bp, &caller->r[R_RBP]) || load(c, bp + 8, &caller->r[R_PC]))
		return 100 + SC_UNWIND_STOP_END_OF_COPY;
	caller->r[R_RSP] = bp + 16;
	return OK;
}

int sc_unwind_stack(sc_unwind *u, const sc_unwind_options *o, const sc_unwind_regs *regs,
		    const void *stack, size_t stack_size, sc_unwind_find_fn find, void *find_ctx,
		    uint64_t *pcs, size_t max, sc_unwind_result *res)
{
	static const sc_unwind_options defaults = {.mode = SC_UNWIND_AUTO};
	sc_unwind_result dummy;
	if (!o)
		o = &defaults;
	if (!res)
		res = &dummy;
	*res = (sc_unwind_result){.stop = SC_UNWIND_STOP_MAX_FRAMES};
	if (max == 0)
		return -EINVAL;
	const struct copy c = {stack, regs->sp, stack_size};
	struct frame f = {.known = (1u << R_RBP) | (1u << R_RSP) | (1u << R_PC)};
	f.r[R_PC] = regs->ip;
	f.r[R_RSP] = regs->sp;
	f.r[R_RBP] = regs->bp;
	const uint64_t *extra[] = {&regs->bx, &regs->r12, &regs->r13, &regs->r14, &regs->r15};
	const uint8_t extra_reg[] = {R_RBX, 12, 13, 14, 15};
	for (size_t i = 0; i < 5; i++)
		if (regs->have & (1u << i)) {
			f.r[extra_reg[i]] = *extra[i];
			f.known |= 1u << extra_reg[i];
		}
	size_t n = 0;
	pcs[n++] = regs->ip;
	bool exact = true; /* the pc is not a return address (the sample's, or after a signal) */
	size_t ops_mark = u->ops.len;
	sc_unwind_map map;
	if (!find(find_ctx, regs->ip, &map)) {
		res->stop = SC_UNWIND_STOP_NO_MAPPING;
		res->stop_pc = regs->ip;
		return (int)n;
	}
	for (;;) {
		/* Invariant: `map` holds f's pc (minus one unless `exact`), which is in pcs[]. */
		uint64_t pc = f.r[R_PC], lookup = exact ? pc : pc - 1;
		const struct rule *rule = NULL;
		struct rule scratch;
		struct frame caller;
		int e = 1;
		bool by_fp = o->mode == SC_UNWIND_FP ||
			     (o->mode == SC_UNWIND_AUTO && n > 1 && map.file >= 0 &&
			      sc_module_has_frame_pointers(u->mc, map.file));
		if (by_fp) {
			e = step_fp(&f, &c, &caller);
			/* AUTO: a frame of a framed module that has no frame (_start, code in
			 * assembly) gets its CFI instead. */
			sc_unwind_map next;
			if (o->mode == SC_UNWIND_AUTO &&
			    (e || caller.r[R_PC] == 0 || caller.r[R_RSP] <= f.r[R_RSP] ||
			     !find(find_ctx, caller.r[R_PC] - 1, &next)))
				e = 1;
		}
		uint64_t vaddr;
		if (e && o->mode != SC_UNWIND_FP && map.file >= 0 &&
		    sc_module_vaddr(u->mc, map.file, lookup - map.start + map.pgoff, &vaddr)) {
			if (o->no_rule_cache) {
				scratch = (struct rule){.vaddr = vaddr, .file = map.file};
				if (find_rule(u, &scratch) < 0)
					goto nomem;
				rule = &scratch;
			} else if (!(rule = get_rule(u, map.file, vaddr))) {
				goto nomem;
			}
			if (rule->cfa_kind == C_NONE)
				rule = NULL;
		}
		if (rule)
			e = step_cfi(u, rule, &f, &c, &caller);
		else if (e)
			e = step_fp(&f, &c, &caller);
		if (o->no_rule_cache)
			u->ops.len = ops_mark;
		if (e) {
			res->stop = (sc_unwind_stop)(e - 100);
			res->stop_pc = pc;
			break;
		}
		if (rule)
			res->steps_cfi++;
		else
			res->steps_fp++;
		if (caller.r[R_PC] == 0) {
			res->stop = SC_UNWIND_STOP_OUTERMOST;
			break;
		}
		if (caller.r[R_RSP] <= f.r[R_RSP]) {
			res->stop = SC_UNWIND_STOP_NOT_GROWING;
			res->stop_pc = pc;
			break;
		}
		exact = rule && rule->signal;
		f = caller;
		/* The caller's pc is reported only once a mapping is known to hold it. */
		uint64_t next = f.r[R_PC];
		if (!find(find_ctx, exact ? next : next - 1, &map)) {
			res->stop = SC_UNWIND_STOP_NO_MAPPING;
			res->stop_pc = next;
			break;
		}
		if (n == max) {
			res->stop = SC_UNWIND_STOP_MAX_FRAMES;
			break;
		}
		pcs[n++] = next;
	}
	return (int)n;
nomem:
	/* Only the scratch rule's expressions go: cached rules of this walk keep theirs. */
	if (o->no_rule_cache)
		u->ops.len = ops_mark;
	return -ENOMEM;
}

int sc_unwind_return_address(sc_unwind *u, int file, uint64_t file_offset,
			     const sc_unwind_regs *regs, const void *stack, size_t stack_size,
			     uint64_t *ra)
{
	uint64_t vaddr;
	if (!sc_module_vaddr(u->mc, file, file_offset, &vaddr))
		return 0;
	const struct rule *rule = get_rule(u, file, vaddr);
	if (!rule)
		return -ENOMEM;
	if (rule->cfa_kind != C_REG || (rule->cfa_reg != R_RSP && rule->cfa_reg != R_RBP) ||
	    rule->loc[T_PC].kind != L_AT_CFA)
		return 0;
	uint64_t cfa = (rule->cfa_reg == R_RSP ? regs->sp : regs->bp) + (uint64_t)rule->cfa_off;
	const struct copy c = {stack, regs->sp, stack_size};
	uint64_t value;
	if (load(&c, cfa + (uint64_t)rule->loc[T_PC].off, &value) || !value)
		return 0;
	*ra = value;
	return 1;
}

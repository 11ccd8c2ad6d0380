/*
 * test_unwind_local_cfi.c: unwind_local.c's parts on hand-made CFI, compiled into this test
 * (it includes the source) so its static functions can be called.
 *
 * A synthetic module (a heap block of exactly its size, so ASan sees any read past its end): an
 * .eh_frame_hdr with a one-entry table, a CIE "zR" (def_cfa rsp+8, return address at cfa-8), an
 * FDE whose program walks through advance_loc, def_cfa_offset, offset, def_cfa_register,
 * remember/restore_state, restore, def_cfa_expression, expression, val_offset, val_expression
 * and undefined; the row at each pc is applied to registers over a fake stack and checked. The
 * same module through the linear .eh_frame search (a table in another encoding). Then corrupt
 * copies: every byte of the module set to a few values in turn must give a row or a clean
 * failure, never a read outside the block; and named cases (bad version, a table entry or a CIE
 * pointer leaving the module, a huge length) fail cleanly. The DWARF expression evaluator: the
 * PLT's CFA expression on both sides of its test, a bounded deref, stack overflow, loops, bad ops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "agent/unwind_local.c"
#include "agent/unwind_cfi.c"
#include "agent/unwind_expr.c"
#include "agent/unwind_trace.c"

#define FUNC  256 /* the fake function's offset in the module */
#define MSIZE 320

static uint8_t *mod; /* the module: MSIZE bytes, 16-aligned */
static size_t fde_at, cie_at, table_at;

struct wr {
	uint8_t *p;
	size_t n;
};

static void put(struct wr *w, const uint8_t *b, size_t n)
{
	memcpy(w->p + w->n, b, n);
	w->n += n;
}

static void put32(struct wr *w, int64_t v)
{
	uint32_t u = (uint32_t)v;
	put(w, (const uint8_t *)&u, 4);
}

#define PUTB(w, ...)                                                                               \
	do {                                                                                       \
		const uint8_t b_[] = {__VA_ARGS__};                                                \
		put(w, b_, sizeof b_);                                                             \
	} while (0)

/* Writes the module at `m`; table_enc as given (0x3b: the usual sorted table). */
static void build(uint8_t *m, uint8_t table_enc)
{
	struct wr w = {m, 0};
	size_t len_at;

	memset(m, 0, MSIZE);
	/* .eh_frame_hdr: version, eh_frame_ptr pcrel|sdata4, count udata4, table encoding */
	PUTB(&w, 1, 0x1b, 0x03, table_enc);
	put32(&w, 32 - 4); /* .eh_frame at 32, relative to this field */
	put32(&w, 1);
	table_at = w.n;
	put32(&w, FUNC);
	put32(&w, 0); /* the FDE's offset: patched below */

	/* CIE at 32 */
	w.n = cie_at = 32;
	len_at = w.n;
	put32(&w, 0);
	put32(&w, 0); /* CIE id */
	PUTB(&w, 1, 'z', 'R', 0, 1, 0x78 /* -8 */, 16, 1, 0x1b);
	PUTB(&w, 0x0c, 7, 8, 0x90, 1); /* def_cfa rsp+8; offset r16 at cfa-8 */
	while ((w.n - len_at) % 8 != 4)
		PUTB(&w, 0);
	put32(&(struct wr){m, len_at}, (int64_t)(w.n - len_at - 4));

	/* FDE */
	fde_at = len_at = w.n;
	put32(&w, 0);
	put32(&w, (int64_t)(w.n - cie_at));	 /* CIE pointer */
	put32(&w, (int64_t)FUNC - (int64_t)w.n); /* pc_begin, pcrel */
	put32(&w, 0x40);			 /* pc_range */
	PUTB(&w, 0);				 /* augmentation data length */
	PUTB(&w, 0x41, 0x0e, 16, 0x86, 2);	 /* +1: cfa rsp+16, rbp at cfa-16 */
	PUTB(&w, 0x43, 0x0d, 6);		 /* +4: cfa rbp+16 */
	PUTB(&w, 0x50, 0x0a, 0x0c, 7, 8, 0xc6);	 /* +20: remember; cfa rsp+8; rbp restored */
	PUTB(&w, 0x41, 0x0b);			 /* +21: the remembered row */
	/* +22: CFA = the PLT's expression: rsp + 8 + ((rip & 15) >= 11) << 3 */
	PUTB(&w, 0x41, 0x0f, 11, 0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22);
	/* +23: rbx at cfa - 16 (expression), r12 = cfa - 8 (val_offset), r13 = 5 (val_expr) */
	PUTB(&w, 0x41, 0x10, 3, 2, 0x40, 0x1c, 0x14, 12, 1, 0x16, 13, 1, 0x35);
	PUTB(&w, 0x41, 0x07, 16); /* +24: return address undefined: outermost */
	while ((w.n - len_at) % 8 != 4)
		PUTB(&w, 0);
	put32(&(struct wr){m, len_at}, (int64_t)(w.n - len_at - 4));
	put32(&(struct wr){m, table_at + 4}, (int64_t)fde_at);
	put32(&w, 0); /* .eh_frame's terminator */
	assert_true(w.n <= FUNC);
}

static int setup(void **state)
{
	(void)state;
	mod = aligned_alloc(16, MSIZE);
	return mod ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(mod);
	return 0;
}

static uint64_t stk[16];
static const struct walk sw = {(uint64_t)(uintptr_t)&stk[0], (uint64_t)(uintptr_t)&stk[16]};

static struct dl_find_object dlfo(void)
{
	struct dl_find_object d = {0};

	d.dlfo_map_start = mod;
	d.dlfo_map_end = mod + MSIZE;
	d.dlfo_eh_frame = mod;
	return d;
}

/* The caller's frame of a frame at FUNC + at with sp = &stk[2], bp = &stk[6]. */
static int step_at(unsigned at, struct frame *out)
{
	struct dl_find_object d = dlfo();
	struct mod m;
	struct row row;
	bool signal;
	uint64_t pc = (uint64_t)(uintptr_t)mod + FUNC + at;
	struct frame in = {
	    .v = {[S_SP] = sw.lo + 16, [S_BP] = sw.lo + 48, [S_BX] = 77, [S_IP] = pc},
	    .valid = (1u << NSLOT) - 1};
	int rc = row_for(&d, pc, &m, &row, &signal);

	if (rc >= 0 || rc == NO_FDE)
		return rc;
	return apply_row(&sw, &m, &row, &in, out, signal);
}

static void check_rows(void)
{
	struct frame f;

	for (int i = 0; i < 16; i++)
		stk[i] = 0x1000 + (uint64_t)i;
	assert_int_equal(step_at(0, &f), -1); /* cfa = sp + 8 = &stk[3] */
	assert_int_equal(f.v[S_IP], 0x1002);
	assert_int_equal(f.v[S_SP], sw.lo + 24);
	assert_int_equal(f.v[S_BP], sw.lo + 48); /* same value */
	assert_int_equal(step_at(1, &f), -1);	 /* cfa = sp + 16 */
	assert_int_equal(f.v[S_IP], 0x1003);
	assert_int_equal(f.v[S_BP], 0x1002);
	assert_int_equal(step_at(3, &f), -1); /* still the row of +1 */
	assert_int_equal(f.v[S_IP], 0x1003);
	assert_int_equal(step_at(4, &f), -1); /* cfa = bp + 16 = &stk[8] */
	assert_int_equal(f.v[S_SP], sw.lo + 64);
	assert_int_equal(f.v[S_IP], 0x1007);
	assert_int_equal(f.v[S_BP], 0x1006);
	assert_int_equal(step_at(20, &f), -1); /* cfa = sp + 8, rbp restored to the CIE's: same */
	assert_int_equal(f.v[S_IP], 0x1002);
	assert_int_equal(f.v[S_BP], sw.lo + 48);
	assert_int_equal(step_at(21, &f), -1); /* the remembered row, CFA rule included */
	assert_int_equal(f.v[S_IP], 0x1007);
	assert_int_equal(f.v[S_BP], 0x1006);
	assert_int_equal(step_at(22, &f), -1); /* (pc & 15) = 6 < 11: cfa = sp + 8 */
	assert_int_equal(f.v[S_SP], sw.lo + 24);
	assert_int_equal(f.v[S_IP], 0x1002);
	assert_int_equal(step_at(23, &f), -1);
	assert_int_equal(f.v[S_BX], 0x1001); /* at cfa - 16 = &stk[1]... */
	assert_int_equal(f.v[S_R12], sw.lo + 16);
	assert_int_equal(f.v[S_R13], 5);
	assert_int_equal(step_at(24, &f), SC_AGENT_STOP_OUTERMOST);
	assert_int_equal(step_at(0x40, &f), NO_FDE); /* past the FDE */
}

static void test_rows(void **state)
{
	(void)state;
	build(mod, 0x3b);
	check_rows();
}

static void test_rows_linear(void **state)
{
	(void)state;
	/* A table encoding the binary search does not take: .eh_frame is read (the table, zeroed,
	 * would lead nowhere). */
	build(mod, 0x1b);
	memset(mod + table_at, 0, 8);
	check_rows();
	build(mod, 0x3b);
	mod[2] = 0xff; /* no count, no table */
	check_rows();
}

/* Every byte of the module set to each of a few values: a row or a clean failure. ASan checks
 * that nothing is read outside the block. */
static void test_corrupt_bytes(void **state)
{
	static const uint8_t vals[] = {0x00, 0x01, 0x0f, 0x3b, 0x7f, 0x80, 0xc0, 0xff};
	int ok = 0, failed = 0;

	(void)state;
	for (unsigned at = 0; at < FUNC; at++) {
		for (size_t v = 0; v < sizeof vals; v++) {
			struct frame f;

			build(mod, 0x3b);
			mod[at] = vals[v];
			for (unsigned pc = 0; pc < 26; pc += 5)
				if (step_at(pc, &f) < 0)
					ok++;
				else
					failed++;
		}
	}
	assert_true(ok > 0 && failed > 0);
}

static void test_corrupt_named(void **state)
{
	struct frame f;

	(void)state;
	build(mod, 0x3b);
	mod[0] = 2; /* version */
	assert_int_equal(step_at(1, &f), SC_AGENT_STOP_NO_RULE);
	build(mod, 0x3b);
	put32(&(struct wr){mod, table_at + 4}, 1 << 20); /* the FDE beyond the module */
	assert_int_equal(step_at(1, &f), SC_AGENT_STOP_NO_RULE);
	build(mod, 0x3b);
	put32(&(struct wr){mod, table_at + 4}, -4096); /* before it */
	assert_int_equal(step_at(1, &f), SC_AGENT_STOP_NO_RULE);
	build(mod, 0x3b);
	put32(&(struct wr){mod, fde_at}, 0x7ffffff0); /* FDE length */
	assert_int_equal(step_at(1, &f), SC_AGENT_STOP_NO_RULE);
	build(mod, 0x3b);
	put32(&(struct wr){mod, fde_at + 4}, 0x10000); /* CIE pointer */
	assert_int_equal(step_at(1, &f), SC_AGENT_STOP_NO_RULE);
	build(mod, 0x3b);
	put32(&(struct wr){mod, 8}, 0x10000000); /* fde count */
	assert_int_equal(step_at(1, &f), SC_AGENT_STOP_NO_RULE);
	build(mod, 0x3b);
	put32(&(struct wr){mod, cie_at}, 0xffffff00); /* CIE length */
	assert_int_equal(step_at(1, &f), SC_AGENT_STOP_NO_RULE);
	build(mod, 0x3b);
	mod[fde_at + 17] = 0x0b; /* restore_state with nothing remembered */
	assert_int_equal(step_at(30, &f), SC_AGENT_STOP_NO_RULE);
}

static bool eval(const uint8_t *e, size_t n, const struct frame *fr, uint64_t *out)
{
	return sc_lu_eval_expr(&sw, fr, e, (uint32_t)n, NULL, 0, false, out);
}

static void test_expressions(void **state)
{
	static const uint8_t plt[] = {0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22};
	static const uint8_t deref[] = {0x77, 8, 0x06};
	static const uint8_t loop[] = {0x30, 0x2f, 0xfd, 0xff}; /* lit0; skip -3: to itself */
	static const uint8_t div0[] = {0x31, 0x30, 0x1b};
	static const uint8_t bad[] = {0xe0};
	static const uint8_t untracked[] = {0x70, 0}; /* breg0: rax, not tracked */
	static const uint8_t arith[] = {
	    0x3a, 0x33, 0x1e, 0x32, 0x1c, 0x12, 0x22,
	    0x23, 4,	0x35, 0x21, 0x1f, 0x20}; /* ~-(((10*3)-2)*2+4 | 5) */
	struct frame fr = {.v = {[S_SP] = sw.lo + 16, [S_IP] = 0x4010}, .valid = (1u << NSLOT) - 1};
	uint8_t many[EXPR_STACK + 1];
	uint64_t v;

	(void)state;
	stk[3] = 0xabcd;
	assert_true(eval(plt, sizeof plt, &fr, &v));
	assert_int_equal(v, sw.lo + 24); /* pc & 15 = 0 */
	fr.v[S_IP] = 0x401b;
	assert_true(eval(plt, sizeof plt, &fr, &v));
	assert_int_equal(v, sw.lo + 32); /* pc & 15 = 11: 8 more */
	assert_true(eval(deref, sizeof deref, &fr, &v));
	assert_int_equal(v, 0xabcd);
	fr.v[S_SP] = sw.hi - 8; /* deref at sw.hi: outside the stack */
	assert_false(eval(deref, sizeof deref, &fr, &v));
	assert_false(eval(loop, sizeof loop, &fr, &v));
	assert_false(eval(div0, sizeof div0, &fr, &v));
	assert_false(eval(bad, sizeof bad, &fr, &v));
	assert_false(eval(untracked, sizeof untracked, &fr, &v));
	memset(many, 0x31, sizeof many);
	assert_false(eval(many, sizeof many, &fr, &v));
	assert_true(eval(many, sizeof many - 1, &fr, &v));
	assert_true(eval(arith, sizeof arith, &fr, &v));
	assert_int_equal(v, ~-(uint64_t)((((10 * 3) - 2) * 2 + 4) | 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),	  cmocka_unit_test(test_rows_linear),
	    cmocka_unit_test(test_corrupt_bytes), cmocka_unit_test(test_corrupt_named),
	    cmocka_unit_test(test_expressions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

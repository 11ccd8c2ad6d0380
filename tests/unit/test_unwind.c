/*
 * test_unwind.c: sc_unwind on record_helper's real .eh_frame, with hand-made registers and
 * stacks: at a function's first instruction the return address is at sp, after `push %rbp` at
 * sp + 8, after `mov %rsp,%rbp` at bp + 8. Also the failure cases (no file, not ELF, a slot
 * outside the copied stack) and the caches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helper_elf.h"
#include "unwind/unwind.h"

static char helper[PATH_MAX];
static struct helper_syms syms;

static int setup(void **state)
{
	(void)state;
	const char *h = helper_path();
	if (!h || !realpath(h, helper) || helper_syms_load(helper, &syms) < 0) {
		fprintf(stderr, "record_helper not found next to the test: build it first\n");
		return -1;
	}
	return 0;
}

static uint64_t sym_offset(const char *name)
{
	const struct helper_sym *s = helper_sym(&syms, name);
	assert_non_null(s);
	return s->offset;
}

/* Reads n bytes of the helper file at `off`. */
static void file_bytes(uint64_t off, unsigned char *buf, size_t n)
{
	FILE *f = fopen(helper, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
	assert_int_equal(fread(buf, 1, n, f), n);
	fclose(f);
}

static void put64(unsigned char *stack, size_t at, uint64_t v)
{
	memcpy(stack + at, &v, 8);
}

static void test_frameless_entry(void **state)
{
	(void)state;
	sc_unwind *u = sc_unwind_new();
	assert_non_null(u);
	int f = sc_unwind_file(u, helper);
	assert_true(f >= 0);
	unsigned char stack[64] = {0};
	put64(stack, 0, 0x5555deadbeefULL);
	sc_unwind_regs regs = {.ip = 0, .sp = 0x7ffd0000, .bp = 0x1234};
	uint64_t ra = 0;
	/* leaf, anywhere in its body: no frame, so CFA = sp + 8 throughout */
	uint64_t leaf = sym_offset("leaf");
	for (uint64_t pc = leaf; pc < leaf + 8; pc++) {
		assert_int_equal(
		    sc_unwind_return_address(u, f, pc, &regs, stack, sizeof(stack), &ra), 1);
		assert_int_equal(ra, 0x5555deadbeefULL);
	}
	/* the slot must lie inside the copy */
	assert_int_equal(sc_unwind_return_address(u, f, leaf, &regs, stack, 4, &ra), 0);
	regs.sp = 0x7ffd0004;
	put64(stack, 0, 0);
	assert_int_equal(sc_unwind_return_address(u, f, leaf, &regs, stack, 4, &ra), 0);
	sc_unwind_stats st;
	sc_unwind_get_stats(u, &st);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.pcs, 8); /* each pc looked up once, then cached */
	assert_int_equal(st.pcs_failed, 0);
	sc_unwind_free(u);
}

static void test_framed_prologue(void **state)
{
	(void)state;
	uint64_t fn = sym_offset("caller_a");
	unsigned char code[8];
	file_bytes(fn, code, sizeof(code));
	size_t at = 0;
	if (!memcmp(code, "\xf3\x0f\x1e\xfa", 4))
		at = 4; /* endbr64 */
	file_bytes(fn + at, code, 4);
	if (memcmp(code, "\x55\x48\x89\xe5", 4)) {
		printf("skipped: caller_a does not start with push %%rbp; mov %%rsp,%%rbp\n");
		skip();
	}
	sc_unwind *u = sc_unwind_new();
	int f = sc_unwind_file(u, helper);
	assert_true(f >= 0);
	unsigned char stack[128] = {0};
	sc_unwind_regs regs = {.sp = 0x7ffe1000, .bp = 0x7ffe1000 + 48};
	uint64_t ra;
	/* at entry: return address at sp */
	put64(stack, 0, 0x1111);
	assert_int_equal(sc_unwind_return_address(u, f, fn + at, &regs, stack, sizeof(stack), &ra),
			 1);
	assert_int_equal(ra, 0x1111);
	/* after push %rbp: at sp + 8 */
	put64(stack, 8, 0x2222);
	assert_int_equal(
	    sc_unwind_return_address(u, f, fn + at + 1, &regs, stack, sizeof(stack), &ra), 1);
	assert_int_equal(ra, 0x2222);
	/* after mov %rsp,%rbp: CFA = bp + 16, return address at bp + 8 */
	put64(stack, 56, 0x3333);
	assert_int_equal(
	    sc_unwind_return_address(u, f, fn + at + 4, &regs, stack, sizeof(stack), &ra), 1);
	assert_int_equal(ra, 0x3333);
	sc_unwind_free(u);
}

static void test_bad_files(void **state)
{
	(void)state;
	sc_unwind *u = sc_unwind_new();
	assert_int_equal(sc_unwind_file(u, "/nonexistent/scorch/lib.so"), -ENOENT);
	assert_int_equal(sc_unwind_file(u, "/nonexistent/scorch/lib.so"), -ENOENT);
	assert_int_equal(sc_unwind_file(u, SC_TEST_SRCDIR "/meson.build"), -ENOEXEC);
	int f = sc_unwind_file(u, helper);
	assert_true(f >= 0);
	assert_int_equal(sc_unwind_file(u, helper), f);
	sc_unwind_stats st;
	sc_unwind_get_stats(u, &st);
	assert_int_equal(st.files, 3);
	assert_int_equal(st.files_failed, 2);
	/* a failed handle and offsets outside every segment give no answer */
	unsigned char stack[16] = {0};
	sc_unwind_regs regs = {.sp = 0x1000};
	uint64_t ra;
	assert_int_equal(sc_unwind_return_address(u, -ENOENT, 0, &regs, stack, 16, &ra), 0);
	assert_int_equal(sc_unwind_return_address(u, f, 1ULL << 40, &regs, stack, 16, &ra), 0);
	sc_unwind_free(u);
	sc_unwind_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frameless_entry),
	    cmocka_unit_test(test_framed_prologue),
	    cmocka_unit_test(test_bad_files),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

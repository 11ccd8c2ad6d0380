/*
 * test_unwind_local_chain.c: the known-answer frames test_unwind_local walks, compiled -O2
 * -fomit-frame-pointer (tests/unit/meson.build) so that only their CFI can step them, without
 * sanitizers and without sibling calls (every call below returns to its caller).
 *
 *   lu_a -> lu_b -> lu_c -> probe          a chain of three frames without frame pointers
 *   lu_sort -> qsort (libc) -> lu_cmp -> probe   through libc, which has no frame pointers
 *   lu_spin_caller -> lu_spin              spins until a signal handler sets *stop
 *   lu_epilogue_trap                       raises SIGTRAP in its epilogue (below)
 *   lu_nocfi_leaf                          raises SIGTRAP in a leaf without CFI (below)
 *
 * lu_c and lu_cmp capture their registers with sc_lu_capture and hand them to `probe` (the test's
 * function, which walks while these frames are live). lu_spin first records its own backtrace()
 * (spin_bt) so the test knows its callers' return addresses, then sets *spinning and loops.
 */
#include <execinfo.h>
#include <stdlib.h>

#include "agent/unwind_local.h"

#include "test_unwind_local.h"

static volatile int sink;

__attribute__((noinline)) int lu_c(lu_probe probe, int x)
{
	sc_lu_regs r;

	sc_lu_capture(&r);
	probe(&r);
	return x * 3 + sink;
}

__attribute__((noinline)) int lu_b(lu_probe probe, int x)
{
	return lu_c(probe, x + 1) * 5 + sink;
}

__attribute__((noinline)) int lu_a(lu_probe probe, int x)
{
	return lu_b(probe, x + 2) * 7 + sink;
}

static lu_probe sort_probe;

__attribute__((noinline)) static int lu_cmp(const void *pa, const void *pb)
{
	int a = *(const int *)pa, b = *(const int *)pb;

	if (sort_probe) {
		sc_lu_regs r;

		sc_lu_capture(&r);
		sort_probe(&r);
		sort_probe = NULL;
	}
	return (a > b) - (a < b);
}

__attribute__((noinline)) int lu_sort(lu_probe probe)
{
	int v[8] = {5, 3, 7, 1, 8, 2, 6, 4};

	sort_probe = probe;
	qsort(v, 8, sizeof v[0], lu_cmp);
	return v[0] + sink;
}

void *spin_bt[LU_BT_MAX];
int spin_nbt;

__attribute__((noinline)) int lu_spin(volatile int *spinning, volatile int *stop)
{
	unsigned long n = 0;

	spin_nbt = backtrace(spin_bt, LU_BT_MAX);
	*spinning = 1;
	while (!*stop)
		n = n * 2862933555777941757ul + 3037000493ul;
	*spinning = 0;
	return (int)(n & 1) + sink;
}

__attribute__((noinline)) int lu_spin_caller(volatile int *spinning, volatile int *stop)
{
	return lu_spin(spinning, stop) * 3 + sink;
}

/* lu_epilogue_trap: stops with SIGTRAP (int3) in its epilogue, after popping rbx, with the CFI
 * GCC emits there: the rule "rbx at cfa - 16" stays, an address now below sp (in the red zone). */
__asm__(".text\n"
	".globl lu_epilogue_trap\n"
	".type lu_epilogue_trap, @function\n"
	"lu_epilogue_trap:\n"
	".cfi_startproc\n"
	"push %rbx\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset %rbx, -16\n"
	"mov $7, %ebx\n"
	"pop %rbx\n"
	".cfi_def_cfa_offset 8\n"
	"int3\n"
	"ret\n"
	".cfi_endproc\n"
	".size lu_epilogue_trap, .-lu_epilogue_trap\n");

/* lu_nocfi_leaf: a leaf without CFI (as hand-written assembly often is), stopped by int3. */
__asm__(".text\n"
	".globl lu_nocfi_leaf\n"
	".type lu_nocfi_leaf, @function\n"
	"lu_nocfi_leaf:\n"
	"int3\n"
	"ret\n"
	".size lu_nocfi_leaf, .-lu_nocfi_leaf\n");

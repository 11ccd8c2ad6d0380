/*
 * unwind_qsort.c: a known-answer stack for test_unwind, built three times: -O2
 * -fomit-frame-pointer (unwind_qsort), -O2 -fno-omit-frame-pointer (unwind_qsort_fp), and without
 * frame pointers with its CFI in .debug_frame only (unwind_qsort_dbg: -g
 * -fno-asynchronous-unwind-tables; only the C runtime's objects keep .eh_frame entries).
 *
 * main -> sort_things -> qsort (libc: qsort_r, msort_with_tmp...) -> cmp_fn -> snap. snap()
 * records its own registers (ip, sp, bp, rbx, r12-r15, all read at one instruction) and copies
 * the stack from sp upwards (up to 64 KiB, as perf's PERF_SAMPLE_STACK_USER would), the first time
 * it runs. main then writes ARGV1 (the dump, layout below) and ARGV1.maps (/proc/self/maps as it
 * was: nothing is mapped in between), and exits 0. The test unwinds the dump and expects, from
 * the innermost: snap, cmp_fn, one or more libc frames, sort_things, main, libc, _start.
 *
 * With a second argument "signal", cmp_fn raises SIGUSR1 instead and the handler calls snap():
 * snap, on_signal, the kernel's signal frame (libc's __restore_rt), libc's raise, cmp_fn, ...
 *
 * Dump: "SCUWDMP1", 8 registers (u64: ip sp bp bx r12 r13 r14 r15), u64 stack size, the bytes.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COPY_MAX 65536

static struct {
	uint64_t ip, sp, bp, bx, r12, r13, r14, r15;
} regs;
static unsigned char copy[COPY_MAX];
static uint64_t copied, stack_end;
static volatile int sink;

__attribute__((noinline, noclone)) static void snap(void)
{
	if (copied)
		return;
	/* One asm block: every value is the one at the `mov` after the lea, where the CFI row is
	 * that of this function's body. Stored through a pointer so no register is disturbed. */
	__asm__ volatile("lea 0(%%rip), %%rax\n\t"
			 "mov %%rax, 0(%0)\n\t"
			 "mov %%rsp, 8(%0)\n\t"
			 "mov %%rbp, 16(%0)\n\t"
			 "mov %%rbx, 24(%0)\n\t"
			 "mov %%r12, 32(%0)\n\t"
			 "mov %%r13, 40(%0)\n\t"
			 "mov %%r14, 48(%0)\n\t"
			 "mov %%r15, 56(%0)\n\t"
			 :
			 : "r"(&regs)
			 : "rax", "memory");
	uint64_t n = stack_end - regs.sp;
	if (n > COPY_MAX)
		n = COPY_MAX;
	memcpy(copy, (const void *)(uintptr_t)regs.sp, n);
	copied = n;
}

static int use_signal;

__attribute__((noinline, noclone)) static void on_signal(int sig)
{
	(void)sig;
	snap();
	sink++;
}

__attribute__((noinline, noclone)) static int cmp_fn(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	if (!use_signal)
		snap();
	else if (!copied)
		raise(SIGUSR1);
	sink++;
	return (x > y) - (x < y);
}

__attribute__((noinline, noclone)) static int sort_things(int *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_fn);
	return v[0] + v[n - 1]; /* work after the call: no tail call */
}

static int find_stack_end(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		if (strstr(line, "[stack]") && sscanf(line, "%llx-%llx", &lo, &hi) == 2)
			stack_end = hi;
	}
	if (f)
		fclose(f);
	return stack_end ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "signal")) ||
	    find_stack_end() < 0) {
		fprintf(stderr, "usage: unwind_qsort DUMPFILE [signal]\n");
		return 2;
	}
	use_signal = argc == 3;
	signal(SIGUSR1, on_signal);
	int v[64];
	for (int i = 0; i < 64; i++)
		v[i] = (i * 37) % 64;
	int r = sort_things(v, 64);
	char maps[4096];
	snprintf(maps, sizeof(maps), "%s.maps", argv[1]);
	FILE *in = fopen("/proc/self/maps", "r"), *out = fopen(argv[1], "wb"),
	     *mout = fopen(maps, "w");
	if (!in || !out || !mout)
		return 1;
	int c;
	while ((c = fgetc(in)) != EOF)
		fputc(c, mout);
	fwrite("SCUWDMP1", 1, 8, out);
	fwrite(&regs, sizeof(regs), 1, out);
	fwrite(&copied, 8, 1, out);
	fwrite(copy, 1, copied, out);
	fclose(in);
	if (fclose(out) || fclose(mout))
		return 1;
	return r == 63 ? 0 : 3;
}

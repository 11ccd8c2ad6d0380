/*
 * jit.c: code in anonymous executable memory, named by a perf map, as a JIT compiler makes it.
 *
 *   usage: jit [SCALE]      SCALE multiplies the work (default 1.0, about 1 s)
 *
 * main maps one anonymous page read-write-execute, copies a tiny counting loop (machine code, a
 * `ret`-terminated `dec; jnz`) to three places in it, and writes /tmp/perf-PID.map naming two of
 * them, the way node --perf-basic-prof or LuaJIT do:
 *
 *     START SIZE JIT:hot_loop [tier 2]     (a name with spaces and brackets: the rest of the line)
 *     START SIZE jit_warm
 *
 * The third copy is left out of the map. It then runs the three for 6:2:2 units of work, so a CPU
 * profile must give "JIT:hot_loop [tier 2]" 60% of the samples as self time, jit_warm 20% and the
 * unnamed copy 20% (shown as "[anon]"). It prints the map's path so that tests/cli/jit.sh can
 * remove it afterwards (the runtime's map outlives the process, as perf expects). x86-64 and
 * aarch64 only: elsewhere it prints "jit: unsupported machine" and exits 77.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "work.h"

/* uint64_t loop(uint64_t n): counts n (> 0) down to zero, returns 0. */
#if defined(__x86_64__)
static const unsigned char loop_code[] = {
    0x48, 0x89, 0xf8,	    /* mov %rdi,%rax */
    0x48, 0x83, 0xe8, 0x01, /* 1: sub $1,%rax */
    0x75, 0xfa,		    /* jnz 1b */
    0xc3,		    /* ret */
};
#elif defined(__aarch64__)
static const unsigned char loop_code[] = {
    0x00, 0x04, 0x00, 0xf1, /* 1: subs x0, x0, #1 */
    0xe1, 0xff, 0xff, 0x54, /* b.ne 1b */
    0xc0, 0x03, 0x5f, 0xd6, /* ret */
};
#endif

/* Where the three copies go in the page, and how long each is said to be in the map. */
enum { HOT_AT = 0, WARM_AT = 256, UNNAMED_AT = 512, CODE_SPAN = 64 };

typedef uint64_t (*loop_fn)(uint64_t);

int main(int argc, char **argv)
{
#if !defined(__x86_64__) && !defined(__aarch64__)
	(void)argc;
	(void)argv;
	puts("jit: unsupported machine");
	return 77;
#else
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *code = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE | PROT_EXEC,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED) {
		perror("jit: mmap of executable memory");
		return 1;
	}
	memcpy(code + HOT_AT, loop_code, sizeof(loop_code));
	memcpy(code + WARM_AT, loop_code, sizeof(loop_code));
	memcpy(code + UNNAMED_AT, loop_code, sizeof(loop_code));
	__builtin___clear_cache((char *)code, (char *)code + page);

	char path[64];
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	FILE *map = fopen(path, "w");
	if (!map) {
		perror("jit: cannot write the perf map");
		return 1;
	}
	fprintf(map, "%lx %x JIT:hot_loop [tier 2]\n", (unsigned long)(uintptr_t)(code + HOT_AT),
		CODE_SPAN);
	fprintf(map, "%lx %x jit_warm\n", (unsigned long)(uintptr_t)(code + WARM_AT), CODE_SPAN);
	if (fclose(map) != 0) {
		perror("jit: cannot write the perf map");
		return 1;
	}
	printf("%s\n", path);
	fflush(stdout);

	/* dec+jnz runs about 6 times as many steps as SPIN in the same time */
	uint64_t sum = 0;
	sum += ((loop_fn)(code + HOT_AT))(6 * scaled(argc, argv, 1, 6.0));     /* expect: 60% */
	sum += ((loop_fn)(code + WARM_AT))(6 * scaled(argc, argv, 1, 2.0));    /* expect: 20% */
	sum += ((loop_fn)(code + UNNAMED_AT))(6 * scaled(argc, argv, 1, 2.0)); /* expect: 20% */
	return (int)sum;
#endif
}

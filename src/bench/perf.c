/*
 * perf.c: the instruction counter behind --measure instructions.
 *
 * One perf_event_open(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS) counter for the calling
 * thread, user space only (so it needs no privileges beyond perf_event_paranoid <= 2). Virtual
 * machines without a virtual PMU have no hardware counters: the open fails with ENOENT or
 * EOPNOTSUPP and the runner reports -EOPNOTSUPP; main.c then says so and offers callgrind.
 *
 * Not for: sampling (src/record/ does that).
 */
#include "bench/bench_impl.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int sc_bench_instr_open(void)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

uint64_t sc_bench_instr_read(void *fdp)
{
	uint64_t v = 0;
	if (read(*(int *)fdp, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	return v;
}

int scorch_bench_instructions_available(void)
{
	int fd = sc_bench_instr_open();
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

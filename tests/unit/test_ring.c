/*
 * test_ring.c: the perf rings' sizes (src/record/ring.c), no perf events needed except in the
 * last test (which skips when perf_event_open is refused).
 *
 *   sizes    sc_rings_pages: small samples (frame-pointer call chains) keep 512 KiB rings; 16 KiB
 *            stack copies get 8 MiB rings on a small machine, less on a large one (all rings
 *            together at most 64 MiB), and what an unprivileged user may lock bounds them, down
 *            to SC_RING_MIN_PAGES;
 *   init     sizes that are not a power of 2 or below the minimum are refused; the watermark is a
 *            quarter of the ring;
 *   map      a ring mapped on a real event has the size asked for, and unmapping gives the slot
 *            back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "record/ring.h"

#define PAGE 4096u
#define KiB  1024ull
#define MiB  (1024ull * 1024)
/* A sample of the default --call-graph auto: a 16 KiB stack copy and the rest. */
#define DWARF_SAMPLE (16384u + 127 * 8 + 256)
/* A sample of --call-graph fp: 512 bytes of stack for the leaf fix and the rest. */
#define FP_SAMPLE (512u + 127 * 8 + 256)

static void test_sizes(void **state)
{
	(void)state;
	/* Unlimited (root, CAP_IPC_LOCK). */
	assert_int_equal(sc_rings_pages(FP_SAMPLE, 2, PAGE, UINT64_MAX), 128);
	assert_int_equal(sc_rings_pages(DWARF_SAMPLE, 2, PAGE, UINT64_MAX), 2048);
	assert_int_equal(sc_rings_pages(DWARF_SAMPLE, 4, PAGE, UINT64_MAX), 2048);
	/* 8 rings of 8 MiB and their header pages are above 64 MiB. */
	assert_int_equal(sc_rings_pages(DWARF_SAMPLE, 8, PAGE, UINT64_MAX), 1024);
	/* Never below 512 KiB for the total's sake. */
	assert_int_equal(sc_rings_pages(DWARF_SAMPLE, 256, PAGE, UINT64_MAX), 128);
	/* Larger stack copies are capped at 8 MiB. */
	assert_int_equal(sc_rings_pages(65528, 1, PAGE, UINT64_MAX), SC_RING_MAX_PAGES);
	/* Unprivileged, 2 CPUs: perf_event_mlock_kb (516) per CPU plus RLIMIT_MEMLOCK of 8 MiB. */
	uint64_t budget = 516 * KiB * 2 + 8 * MiB;
	assert_int_equal(sc_rings_pages(DWARF_SAMPLE, 2, PAGE, budget), 1024);
	/* ... with no RLIMIT_MEMLOCK: exactly two rings of 512 KiB and their header pages. */
	assert_int_equal(sc_rings_pages(DWARF_SAMPLE, 2, PAGE, 516 * KiB * 2), 128);
	assert_int_equal(sc_rings_pages(DWARF_SAMPLE, 2, PAGE, 516 * KiB * 2 - 1), 64);
	/* Nothing to lock: the smallest ring is still tried (the kernel may say more). */
	assert_int_equal(sc_rings_pages(DWARF_SAMPLE, 2, PAGE, 0), SC_RING_MIN_PAGES);
	/* Larger pages (64 KiB): the same bytes in fewer pages. */
	assert_int_equal(sc_rings_pages(DWARF_SAMPLE, 2, 65536, UINT64_MAX), 128);
}

static void test_init(void **state)
{
	(void)state;
	sc_rings rs = {0};
	assert_int_equal(sc_rings_init(&rs, 2, 0), -EINVAL);
	assert_int_equal(sc_rings_init(&rs, 2, 100), -EINVAL);
	assert_int_equal(sc_rings_init(&rs, 2, SC_RING_MIN_PAGES / 2), -EINVAL);
	assert_int_equal(sc_rings_init(&rs, 2, 256), 0);
	assert_int_equal(rs.rings.len, 2);
	assert_int_equal(rs.rings.data[1].fd, -1);
	assert_int_equal(sc_rings_watermark(&rs), 256 * (size_t)sysconf(_SC_PAGESIZE) / 4);
	sc_rings_release(&rs);
}

static void test_map(void **state)
{
	(void)state;
	struct perf_event_attr a = {.size = sizeof(a),
				    .type = PERF_TYPE_SOFTWARE,
				    .config = PERF_COUNT_SW_CPU_CLOCK,
				    .sample_period = 1000000,
				    .disabled = 1,
				    .exclude_kernel = 1};
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		skip();
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	sc_rings rs = {0};
	assert_int_equal(sc_rings_init(&rs, 1, 32), 0);
	assert_int_equal(sc_rings_map(&rs, 0, fd), 0);
	assert_int_equal(rs.rings.data[0].fd, fd);
	assert_int_equal(rs.rings.data[0].map_size, 33 * page);
	assert_int_equal(rs.rings.data[0].mask, 32 * page - 1);
	assert_int_equal(rs.pages, 32);
	sc_rings_unmap(&rs, 0);
	assert_int_equal(rs.rings.data[0].fd, -1);
	assert_null(rs.rings.data[0].meta);
	sc_rings_release(&rs);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_init),
	    cmocka_unit_test(test_map),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

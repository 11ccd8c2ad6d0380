/*
 * test_gpu_nvml.c: the NVML loader (src/gpu/nvml.c) against the fake libnvidia-ml.so.1
 * (tests/fake/nvml/, its builds named by SC_FAKE_NVML_DIR), the process tree test of the sampler,
 * and the metrics' writers on a series made by hand.
 *
 * Each loader test writes its own script and opens the library anew: sc_nvml_close unloads it,
 * so the fake's call counts start again from the first value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gpu/gpu_trace.h"
#include "gpu/metrics.h"
#include "gpu/nvml.h"
#include "gpu/sampler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define HAS(s, m) (((s)->have >> (m)) & 1u)

static char script[] = "/tmp/test_gpu_nvml.XXXXXX";

static void use(const char *lib, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", SC_FAKE_NVML_DIR, lib);
	setenv(SC_NVML_LIB_ENV, path, 1);
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	setenv("SCORCH_FAKE_NVML", script, 1);
}

static bool nobody(void *ctx, uint32_t pid)
{
	(void)ctx;
	(void)pid;
	return false;
}

static void test_missing_library(void **state)
{
	(void)state;
	setenv(SC_NVML_LIB_ENV, "/nonexistent/libnvidia-ml.so.1", 1);
	sc_nvml *n = NULL;
	char err[512];
	assert_int_equal(sc_nvml_open(&n, err, sizeof(err)), -ENOENT);
	assert_null(n);
	assert_non_null(strstr(err, "/nonexistent/libnvidia-ml.so.1"));
}

static void test_missing_required(void **state)
{
	(void)state;
	use("nocount/libnvidia-ml.so.1", "util 0 1\n");
	sc_nvml *n = NULL;
	char err[512];
	assert_int_equal(sc_nvml_open(&n, err, sizeof(err)), -ENOSYS);
	assert_non_null(strstr(err, "has no nvmlDeviceGetCount_v2"));
}

static void test_init_fails(void **state)
{
	(void)state;
	use("libnvidia-ml.so.1", "error nvmlInit 9\n");
	sc_nvml *n = NULL;
	char err[512];
	assert_int_equal(sc_nvml_open(&n, err, sizeof(err)), -EIO);
	assert_string_equal(err, "nvmlInit_v2 failed: Driver Not Loaded (NVML error 9)");
}

/* The k-th call gets the k-th value, the last repeats; what the script lacks is absent; an
 * error is noted once; GPM has a value from the second sample on. */
static void test_sequences(void **state)
{
	(void)state;
	use("libnvidia-ml.so.1", "devices 1\n"
				 "name 0 Test GPU\n"
				 "util 0 10 20 30\n"
				 "memutil 0 1\n"
				 "mem 0 5 6\n"
				 "memtotal 0 100\n"
				 "energy 0 7 9\n"
				 "gpm 0 40 41\n"
				 "clock_sm 0 1000\n"
				 "pcie_tx 0 1\n"
				 "error nvmlDeviceGetPcieThroughput 4\n");
	sc_nvml *n = NULL;
	char err[512];
	assert_int_equal(sc_nvml_open(&n, err, sizeof(err)), 0);
	assert_int_equal(sc_nvml_ndevices(n), 1);
	assert_string_equal(sc_nvml_device(n, 0)->name, "Test GPU");
	assert_string_equal(sc_nvml_device(n, 0)->uuid, "GPU-fake-0");
	static const double util[] = {10, 20, 30, 30}, mem[] = {5, 6, 6, 6};
	for (int k = 0; k < 4; k++) {
		sc_gpu_sample s = {0};
		assert_int_equal(sc_nvml_sample(n, 0, NULL, NULL, &s), 0);
		assert_true(HAS(&s, SC_GPU_UTIL));
		assert_true(s.v[SC_GPU_UTIL] == util[k]);
		assert_true(s.v[SC_GPU_MEM_USED] == mem[k]);
		assert_true(s.v[SC_GPU_MEM_TOTAL] == 100);
		assert_true(s.v[SC_GPU_ENERGY] == (k ? 9 : 7));
		assert_true(s.v[SC_GPU_CLOCK_SM] == 1000);
		assert_int_equal(HAS(&s, SC_GPU_SM_ACTIVE), k > 0);
		if (k)
			assert_true(s.v[SC_GPU_SM_ACTIVE] == (k == 1 ? 40 : 41));
		/* not in the script: NOT_SUPPORTED; the process metrics without a filter */
		assert_false(HAS(&s, SC_GPU_POWER));
		assert_false(HAS(&s, SC_GPU_TEMP));
		assert_false(HAS(&s, SC_GPU_CLOCK_MEM));
		assert_false(HAS(&s, SC_GPU_PCIE_TX));
		assert_false(HAS(&s, SC_GPU_PROC_MEM));
	}
	sc_gpu_series into = {0};
	assert_int_equal(sc_nvml_take_notes(n, &into), 0);
	assert_int_equal(into.notes.len, 1);
	assert_string_equal(
	    into.notes.data[0],
	    "nvmlDeviceGetPcieThroughput (GPU 0): Insufficient Permissions (NVML error "
	    "4); the metric is missing where it failed");
	sc_gpu_series_release(&into);
	sc_nvml_close(n);
}

/* An old driver: the unversioned entry points give the same values; what it lacks is named. */
static void test_old_api(void **state)
{
	(void)state;
	use("old/libnvidia-ml.so.1", "util 0 10\nmem 0 5 6\nmemtotal 0 100\nenergy 0 7\n"
				     "gpm 0 40\nprocmem 0 1000\nforeign 0 1 99\n");
	sc_nvml *n = NULL;
	char err[512];
	assert_int_equal(sc_nvml_open(&n, err, sizeof(err)), 0);
	for (int k = 0; k < 2; k++) {
		sc_gpu_sample s = {0};
		assert_int_equal(sc_nvml_sample(n, 0, nobody, NULL, &s), 0);
		assert_true(s.v[SC_GPU_UTIL] == 10);
		assert_true(s.v[SC_GPU_MEM_USED] == (k ? 6 : 5));
		assert_true(s.v[SC_GPU_MEM_TOTAL] == 100);
		assert_false(HAS(&s, SC_GPU_ENERGY));
		assert_false(HAS(&s, SC_GPU_SM_ACTIVE));
		/* pid 1's 99 bytes are not ours */
		assert_true(HAS(&s, SC_GPU_PROC_MEM));
		assert_true(s.v[SC_GPU_PROC_MEM] == 0);
	}
	sc_gpu_series into = {0};
	assert_int_equal(sc_nvml_take_notes(n, &into), 0);
	assert_int_equal(into.notes.len, 1);
	assert_non_null(strstr(into.notes.data[0], "lacks nvmlDeviceGetTotalEnergyConsumption, "
						   "nvmlGpmQueryDeviceSupport"));
	sc_gpu_series_release(&into);
	sc_nvml_close(n);
}

static bool pid1(void *ctx, uint32_t pid)
{
	(void)ctx;
	return pid == 1;
}

/* Newest entry points that answer ARGUMENT_VERSION_MISMATCH or FUNCTION_NOT_FOUND: the older
 * ones take over, silently, with their own layouts. */
static void test_runtime_fallback(void **state)
{
	(void)state;
	use("libnvidia-ml.so.1", "mem 0 5\nmemtotal 0 100\nprocmem 0 7\nforeign 0 1 3\n"
				 "error nvmlDeviceGetMemoryInfo_v2 25\n"
				 "error nvmlDeviceGetComputeRunningProcesses_v3 13\n");
	sc_nvml *n = NULL;
	char err[512];
	assert_int_equal(sc_nvml_open(&n, err, sizeof(err)), 0);
	for (int k = 0; k < 2; k++) {
		sc_gpu_sample s = {0};
		assert_int_equal(sc_nvml_sample(n, 0, pid1, NULL, &s), 0);
		assert_true(HAS(&s, SC_GPU_MEM_USED) && s.v[SC_GPU_MEM_USED] == 5);
		assert_true(s.v[SC_GPU_MEM_TOTAL] == 100);
		/* pid 1 is listed first, in the v1 layout of the unversioned call */
		assert_true(HAS(&s, SC_GPU_PROC_MEM) && s.v[SC_GPU_PROC_MEM] == 3);
	}
	sc_gpu_series into = {0};
	assert_int_equal(sc_nvml_take_notes(n, &into), 0);
	assert_int_equal(into.notes.len, 0);
	sc_gpu_series_release(&into);
	sc_nvml_close(n);
}

static void test_pid_tree(void **state)
{
	(void)state;
	pid_t me = getpid();
	assert_true(sc_gpu_pid_in_tree(me, (uint32_t)me));
	assert_false(sc_gpu_pid_in_tree(me, (uint32_t)getppid()));
	assert_false(sc_gpu_pid_in_tree(me, 1));
	assert_false(sc_gpu_pid_in_tree(0, (uint32_t)me));
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t child = fork();
	if (child == 0) {
		char c;
		close(fds[1]);
		(void)!read(fds[0], &c, 1);
		_exit(0);
	}
	assert_true(child > 0);
	assert_true(sc_gpu_pid_in_tree(me, (uint32_t)child));
	assert_false(sc_gpu_pid_in_tree(child, (uint32_t)me));
	close(fds[1]);
	waitpid(child, NULL, 0);
	close(fds[0]);
}

/* Two devices, three times; device 1 lacks power. */
static void make_series(sc_gpu_series *s)
{
	memset(s, 0, sizeof(*s));
	sc_gpu_device d0 = {.index = 0}, d1 = {.index = 1};
	strcpy(d0.name, "A, \"big\"");
	strcpy(d0.uuid, "GPU-a");
	strcpy(d1.name, "B");
	assert_int_equal(sc_vec_push(&s->devices, d0), 0);
	assert_int_equal(sc_vec_push(&s->devices, d1), 0);
	s->start = 1000000000ull;
	s->interval = 100000000ull;
	static const double mem[] = {1024, 4096, 2048};
	for (int k = 0; k < 3; k++) {
		for (uint32_t d = 0; d < 2; d++) {
			sc_gpu_sample p = {.time = s->start + (uint64_t)k * 100000000ull + 1500,
					   .dev = d};
			p.v[SC_GPU_UTIL] = 10.0 * (k + 1) + d;
			p.v[SC_GPU_MEM_USED] = mem[k];
			p.have = 1u << SC_GPU_UTIL | 1u << SC_GPU_MEM_USED;
			if (d == 0) {
				p.v[SC_GPU_POWER] = 50000;
				p.have |= 1u << SC_GPU_POWER;
			}
			assert_int_equal(sc_vec_push(&s->samples, p), 0);
		}
	}
	s->end = s->samples.data[s->samples.len - 1].time;
}

static char *write_with(int (*fn)(const sc_gpu_series *, FILE *), const sc_gpu_series *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(fn(s, f), 0);
	fclose(f);
	return buf;
}

static void test_stats_csv(void **state)
{
	(void)state;
	sc_gpu_series s;
	make_series(&s);
	sc_gpu_stat st;
	sc_gpu_stat_of(&s, 0, SC_GPU_UTIL, &st);
	assert_int_equal(st.count, 3);
	assert_true(st.min == 10 && st.max == 30 && st.mean == 20 && st.first == 10 &&
		    st.last == 30);
	sc_gpu_stat_of(&s, 1, SC_GPU_POWER, &st);
	assert_int_equal(st.count, 0);
	char *csv = write_with(sc_gpu_write_csv, &s);
	const char *want_head = "time_s,device,name,uuid,gpu_util_pct,mem_util_pct,sm_active_pct,"
				"mem_used_bytes,mem_total_bytes,power_mw,energy_mj,sm_clock_mhz,"
				"mem_clock_mhz,temperature_c,pcie_tx_kbps,pcie_rx_kbps,"
				"proc_mem_bytes,proc_sm_util_pct\n";
	assert_memory_equal(csv, want_head, strlen(want_head));
	const char *rows = csv + strlen(want_head);
	assert_memory_equal(rows,
			    "0.000001,0,\"A, \"\"big\"\"\",GPU-a,10,,,1024,,50000,,,,,,,,\n"
			    "0.000001,1,B,,11,,,1024,,,,,,,,,,\n"
			    "0.100001,0,",
			    strlen("0.000001,0,\"A, \"\"big\"\"\",GPU-a,10,,,1024,,50000,,,,,,,,\n"
				   "0.000001,1,B,,11,,,1024,,,,,,,,,,\n"
				   "0.100001,0,"));
	free(csv);
	char *sum = write_with(sc_gpu_write_summary, &s);
	assert_non_null(strstr(sum, "GPU 0: A, \"big\" (GPU-a): 3 samples every 100 ms"));
	assert_non_null(strstr(sum, "memory used: 1.00 KiB at the start, 2.00 KiB at the end, "
				    "+1.00 KiB (+1024 B)"));
	assert_non_null(strstr(sum, "  utilization (%)                        10             20 "
				    "            30\n"));
	assert_non_null(strstr(sum, "  power (W)                           50.00          50.00 "
				    "         50.00\n"));
	assert_null(strstr(sum, "energy used"));
	free(sum);
	sc_gpu_series_release(&s);
}

static int more(void *ctx, sc_strbuf *sb, size_t *n)
{
	(void)ctx;
	if ((*n)++)
		sc_strbuf_adds(sb, ",\n");
	return sc_strbuf_adds(sb,
			      "{\"ph\":\"i\",\"name\":\"theirs\",\"pid\":1,\"tid\":1,\"ts\":0}");
}

static void test_trace(void **state)
{
	(void)state;
	sc_gpu_series s;
	make_series(&s);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(sc_gpu_trace_write(&s, more, NULL, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1073741824,"
				    "\"tid\":0,\"args\":{\"name\":\"GPU 0: A, \\\"big\\\"\"}}"));
	assert_non_null(strstr(buf, "{\"ph\":\"C\",\"name\":\"utilization (%)\",\"pid\":1073741825,"
				    "\"tid\":0,\"ts\":1000001.500,\"args\":{\"value\":11}}"));
	assert_non_null(strstr(buf, "{\"ph\":\"C\",\"name\":\"power (mW)\",\"pid\":1073741824,"
				    "\"tid\":0,\"ts\":1100001.500,\"args\":{\"value\":50000}}"));
	/* 4 metadata, 3 x (3 + 2) counters, then theirs */
	int c = 0;
	for (const char *p = buf; (p = strstr(p, "\"ph\":\"C\"")); p++)
		c++;
	assert_int_equal(c, 15);
	assert_non_null(strstr(buf, "}},\n{\"ph\":\"i\",\"name\":\"theirs\""));
	assert_non_null(strstr(buf, "\"otherData\":{\"version\":\"scorch gpu 1\"}}\n"));
	free(buf);
	char *svg = write_with(sc_gpu_write_svg, &s);
	assert_non_null(strstr(svg, "<polyline id=\"gpu0-gpu_util_pct\""));
	assert_non_null(strstr(svg, "<polyline id=\"gpu1-mem_used_bytes\""));
	assert_null(strstr(svg, "<polyline id=\"gpu1-power_mw\""));
	assert_non_null(strstr(svg, "power (not available)"));
	assert_non_null(strstr(svg, "A, &quot;big&quot;"));
	free(svg);
	sc_gpu_series_release(&s);
}

int main(void)
{
	int fd = mkstemp(script);
	if (fd < 0)
		return 1;
	close(fd);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_missing_library), cmocka_unit_test(test_missing_required),
	    cmocka_unit_test(test_init_fails),	    cmocka_unit_test(test_sequences),
	    cmocka_unit_test(test_old_api),	    cmocka_unit_test(test_runtime_fallback),
	    cmocka_unit_test(test_pid_tree),	    cmocka_unit_test(test_stats_csv),
	    cmocka_unit_test(test_trace),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(script);
	return r;
}

/*
 * gpu_app: a CUDA driver-API program with known GPU work, linked against the stand-in
 * libcuda.so.1 (tests/fake/cuda/), whose script (tests/cli/gpu_kernels.script, in
 * SCORCH_FAKE_CUDA) says how long each kernel and copy takes on the "GPU":
 *
 *     kernel axpy 2000000 16        axpy: 2 ms, 16 registers
 *     kernel reduce 5000000 32 512  reduce: 5 ms, 32 registers, 512 bytes of static shared
 *     copy htod 500000              every host-to-device copy 0.5 ms
 *     copy dtoh 250000              every device-to-host copy 0.25 ms
 *     copy memset 100000            every memset 0.1 ms
 *
 * Expected (scorch gpu): kernels axpy 3 calls, 6 ms, grid 256x1x1 block 128x1x1, launched from
 * step_a on stream 13; reduce 2 calls, 10 ms, grid 64x1x1 block 256x1x1, from step_b on stream
 * 14; one HtoD copy of 4 MiB (upload), one DtoH of 1 MiB (download), one memset of 4096 bytes,
 * all on stream 7 (the NULL stream). With "crash" as its argument the program aborts after
 * step_b's launches, before any flush of them: reduce's records are lost, axpy's (handed over at
 * the synchronization after step_a) and every API call are kept.
 *
 * "bench N" (bench/gpu-cupti.sh): step_a N times, a synchronization every 1000 rounds, then the
 * program's own CPU time (getrusage) on standard output: what the launches cost it, with or
 * without scorch's injection library.
 */
#include <cuda.h>

#include <stdbool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		CUresult r_ = (x);                                                                 \
		if (r_ != CUDA_SUCCESS) {                                                          \
			fprintf(stderr, "gpu_app: %s failed: %d\n", #x, (int)r_);                  \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

static CUfunction axpy, reduce;
static char host[4 << 20];

__attribute__((noinline)) void upload(CUdeviceptr d)
{
	CHECK(cuMemcpyHtoD(d, host, sizeof(host))); /* HtoD: 4194304 bytes, 0.5 ms */
	CHECK(cuMemsetD8(d, 0, 4096));		    /* memset: 4096 bytes, 0.1 ms */
}

__attribute__((noinline)) void step_a(CUstream s)
{
	for (int i = 0; i < 3; i++) /* axpy: 3 launches x 2 ms = 6 ms of GPU time, here */
		CHECK(cuLaunchKernel(axpy, 256, 1, 1, 128, 1, 1, 0, s, NULL, NULL));
}

__attribute__((noinline)) void step_b(CUstream s)
{
	for (int i = 0; i < 2; i++) /* reduce: 2 launches x 5 ms = 10 ms of GPU time, here */
		CHECK(cuLaunchKernel(reduce, 64, 1, 1, 256, 1, 1, 1024, s, NULL, NULL));
}

__attribute__((noinline)) void download(CUdeviceptr d)
{
	CHECK(cuMemcpyDtoH(host, d, 1 << 20)); /* DtoH: 1048576 bytes, 0.25 ms */
}

int main(int argc, char **argv)
{
	bool crash = argc > 1 && !strcmp(argv[1], "crash");
	CUdevice dev;
	CUcontext ctx;
	CUmodule mod;
	CUstream s1, s2;
	CUdeviceptr d;
	CHECK(cuInit(0));
	CHECK(cuDeviceGet(&dev, 0));
	CHECK(cuCtxCreate(&ctx, NULL, 0, dev));
	CHECK(cuModuleLoad(&mod, "kernels.cubin"));
	CHECK(cuModuleGetFunction(&axpy, mod, "axpy"));
	CHECK(cuModuleGetFunction(&reduce, mod, "reduce"));
	CHECK(cuStreamCreate(&s1, 0)); /* stream 13 */
	CHECK(cuStreamCreate(&s2, 0)); /* stream 14 */
	CHECK(cuMemAlloc(&d, sizeof(host)));
	if (argc > 2 && !strcmp(argv[1], "bench")) {
		long n = atol(argv[2]);
		for (long i = 0; i < n; i++) {
			step_a(s1);
			if (i % 1000 == 999)
				CHECK(cuCtxSynchronize());
		}
		CHECK(cuCtxSynchronize());
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		printf("gpu_app: %ld launches, %ld us of CPU\n", 3 * n,
		       (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
			   ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
		return 0;
	}
	upload(d);
	step_a(s1);
	CHECK(cuCtxSynchronize());
	step_b(s2);
	if (crash)
		abort(); /* reduce's two kernels were never handed over by CUPTI: lost */
	CHECK(cuCtxSynchronize());
	download(d);
	printf("gpu_app: done\n");
	return 0;
}

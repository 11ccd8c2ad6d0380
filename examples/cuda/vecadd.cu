/*
 * vecadd.cu: a small CUDA program to try `scorch gpu` on a real GPU (there is none where scorch
 * is built and tested: see docs/gpu.md). Two streams each copy their half of two vectors to the
 * device, add them (vec_add), reduce the sum to one number per block (block_sum), and copy the
 * results back; main checks the answer.
 *
 *     make -C examples/cuda                 # needs nvcc (NVCC=/path/to/nvcc to choose one)
 *     build/scorch gpu -- examples/cuda/vecadd 8
 *
 * On a GPU, expect in kernels.txt: vec_add and block_sum, ROUNDS x 2 launches each (one per
 * stream), grid (N/2)/256 x 1 x 1, block 256 x 1 x 1; copies HtoD (2 per stream and round) and
 * DtoH (1 per stream and round); in gpu.pb.gz, their GPU time under run_stream and upload /
 * download, called from main.
 */
#include <cuda_runtime.h>

#include <stdio.h>
#include <stdlib.h>

#define N	 (1 << 22)
#define THREADS	 256
#define NSTREAMS 2

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		cudaError_t e_ = (x);                                                              \
		if (e_ != cudaSuccess) {                                                           \
			fprintf(stderr, "vecadd: %s: %s\n", #x, cudaGetErrorString(e_));           \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

__global__ void vec_add(const float *a, const float *b, float *c, int n)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		c[i] = a[i] + b[i];
}

__global__ void block_sum(const float *c, float *sums, int n)
{
	__shared__ float part[THREADS];
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	part[threadIdx.x] = i < n ? c[i] : 0.0f;
	__syncthreads();
	for (int s = blockDim.x / 2; s > 0; s >>= 1) {
		if (threadIdx.x < s)
			part[threadIdx.x] += part[threadIdx.x + s];
		__syncthreads();
	}
	if (threadIdx.x == 0)
		sums[blockIdx.x] = part[0];
}

struct half {
	cudaStream_t stream;
	float *a, *b, *c, *sums; /* device */
	float *ha, *hb, *hsums;	 /* pinned host memory, so copies overlap kernels */
};

static const int n = N / NSTREAMS, blocks = (N / NSTREAMS + THREADS - 1) / THREADS;

__attribute__((noinline)) static void upload(struct half *h)
{
	CHECK(cudaMemcpyAsync(h->a, h->ha, n * sizeof(float), cudaMemcpyHostToDevice, h->stream));
	CHECK(cudaMemcpyAsync(h->b, h->hb, n * sizeof(float), cudaMemcpyHostToDevice, h->stream));
}

__attribute__((noinline)) static void run_stream(struct half *h)
{
	vec_add<<<blocks, THREADS, 0, h->stream>>>(h->a, h->b, h->c, n);
	block_sum<<<blocks, THREADS, 0, h->stream>>>(h->c, h->sums, n);
	CHECK(cudaGetLastError());
}

__attribute__((noinline)) static void download(struct half *h)
{
	CHECK(cudaMemcpyAsync(h->hsums, h->sums, blocks * sizeof(float), cudaMemcpyDeviceToHost,
			      h->stream));
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 4;
	struct half h[NSTREAMS];
	for (int s = 0; s < NSTREAMS; s++) {
		CHECK(cudaStreamCreate(&h[s].stream));
		CHECK(cudaMalloc(&h[s].a, n * sizeof(float)));
		CHECK(cudaMalloc(&h[s].b, n * sizeof(float)));
		CHECK(cudaMalloc(&h[s].c, n * sizeof(float)));
		CHECK(cudaMalloc(&h[s].sums, blocks * sizeof(float)));
		CHECK(cudaMallocHost(&h[s].ha, n * sizeof(float)));
		CHECK(cudaMallocHost(&h[s].hb, n * sizeof(float)));
		CHECK(cudaMallocHost(&h[s].hsums, blocks * sizeof(float)));
		for (int i = 0; i < n; i++) {
			h[s].ha[i] = 1.0f;
			h[s].hb[i] = 2.0f;
		}
	}
	double total = 0;
	for (int r = 0; r < rounds; r++) {
		for (int s = 0; s < NSTREAMS; s++) {
			upload(&h[s]);
			run_stream(&h[s]);
			download(&h[s]);
		}
		CHECK(cudaDeviceSynchronize());
		total = 0;
		for (int s = 0; s < NSTREAMS; s++)
			for (int b = 0; b < blocks; b++)
				total += h[s].hsums[b];
	}
	printf("vecadd: sum %.0f (want %.0f) after %d rounds\n", total, 3.0 * N, rounds);
	for (int s = 0; s < NSTREAMS; s++) {
		cudaFree(h[s].a);
		cudaFree(h[s].b);
		cudaFree(h[s].c);
		cudaFree(h[s].sums);
		cudaFreeHost(h[s].ha);
		cudaFreeHost(h[s].hb);
		cudaFreeHost(h[s].hsums);
		cudaStreamDestroy(h[s].stream);
	}
	return total == 3.0 * N ? 0 : 1;
}

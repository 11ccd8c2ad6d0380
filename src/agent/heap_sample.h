/*
 * heap_sample.h: the heap tracker's sampling (`scorch heap --sample S`; heap_sample.c says what a
 * sample is): a thread's draw of the bytes until its next recorded allocation, the bytes a
 * recorded one stands for, and the process-wide set of the recorded blocks' addresses (a free is
 * recorded only for them). libc only, nothing allocated (heap.c gives the set's memory).
 */
#ifndef SC_AGENT_HEAP_SAMPLE_H
#define SC_AGENT_HEAP_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_HEAP_SET_BITS  18 /* 256 Ki sampled blocks live at once */
#define SC_HEAP_SET_BYTES ((1ull << SC_HEAP_SET_BITS) * sizeof(uint64_t)) /* 2 MiB */

/* A thread's sampler. */
typedef struct sc_heap_sampler {
	int64_t until; /* bytes before the next recorded allocation */
	uint64_t rng;  /* xorshift state */
} sc_heap_sampler;

/* Once per process image, before any sampler: the mean distance S in bytes (not 0) and the set's
 * memory, SC_HEAP_SET_BYTES of zeroes. */
void sc_heap_sample_start(uint64_t bytes, void *set);

/* A thread's sampler, from its seed (any value). */
void sc_heap_sampler_start(sc_heap_sampler *s, uint64_t seed);

/* Whether an allocation of `size` bytes is recorded, and the bytes it stands for (*weight). */
bool sc_heap_sampled(sc_heap_sampler *s, size_t size, uint64_t *weight);

/* Adds a recorded block's address: false when the set is full (the block is then recorded as
 * never freed: counted by the reader as live at the end). Lock-free. */
bool sc_heap_set_add(uint64_t addr);

/* Removes `addr` when it is a recorded block: true then. Lock-free. */
bool sc_heap_set_take(uint64_t addr);

#endif

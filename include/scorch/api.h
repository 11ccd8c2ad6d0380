/*
 * scorch/api.h: what scorch's public headers share (bench.h, trace.h). Included by them; a
 * program need not include it itself.
 *
 * Documentation: docs/bench.md (the benchmark library), docs/trace.md (instrumentation).
 */
#ifndef SCORCH_API_H
#define SCORCH_API_H

/* Marks the libraries' exported symbols; everything else is built with -fvisibility=hidden. */
#define SCORCH_API __attribute__((visibility("default")))

/* Branch hints for the instrumentation's fast paths. */
#define SCORCH_LIKELY(x)   __builtin_expect(!!(x), 1)
#define SCORCH_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Token pasting after expansion (unique local names per line). */
#define SCORCH_CAT_(a, b) a##b
#define SCORCH_CAT(a, b)  SCORCH_CAT_(a, b)

/* Makes the compiler believe `lvalue` is read and may have changed, so the computation that
 * produced it cannot be removed or hoisted out of the loop. Costs no instruction in itself. */
#define SCORCH_DO_NOT_OPTIMIZE(lvalue) __asm__ volatile("" : "+m"(lvalue) : : "memory")

#endif

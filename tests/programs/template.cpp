/*
 * template.cpp: C++ names and inlined frames.
 *
 *   usage: template [SCALE]  SCALE multiplies the work (default 1.0, about 1.2 s)
 *
 * Two instantiations of one noinline member template, whose mangled names a profiler must
 * demangle (_ZNK3geo6MatrixIfE3mulEm is "geo::Matrix<float>::mul(unsigned long) const"):
 *   geo::Matrix<float>::mul    self 54%   } 60:40 between the two: same loop, float and double
 *   geo::Matrix<double>::mul   self 36%   } operations cost the same, iteration counts 6:4
 * and outer_with_inline (self ~10%), whose hot loop is the always_inline inline_helper: built
 * -O2 -g, the debug info records the inlined call, so a profiler that expands inlined frames
 * shows the stack main;outer_with_inline;inline_helper with the samples in inline_helper.
 * tests/cli/template.sh checks these.
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" {
#include "work.h"
}

namespace geo
{

/* A 2x2 matrix. mul(n) applies it n times to a vector; the matrix is a rotation, so the vector
 * neither grows nor shrinks (denormals or infinities would change the cost of a step). */
template <typename T> struct Matrix {
	T a, b, c, d;

	NOINLINE T mul(uint64_t n) const
	{
		T x = 1, y = 0;

		for (uint64_t i = 0; i < n; i++) {
			T nx = a * x + b * y; /* expect: Matrix<float> 54%, Matrix<double> 36% */
			T ny = c * x + d * y;

			x = nx;
			y = ny;
			/* Keeps the chain in registers and in order, so float and double cost
			 * alike. */
			__asm__ volatile("" : "+x"(x), "+x"(y));
		}
		return x + y;
	}
};

} // namespace geo

static inline __attribute__((always_inline)) uint64_t inline_helper(uint64_t x, uint64_t i)
{
	x = x * 0x9e3779b97f4a7c15ull + i; /* expect: inline_helper (inlined) ~10% */
	x ^= x >> 29;
	__asm__ volatile("" : "+r"(x));
	return x;
}

NOINLINE uint64_t outer_with_inline(uint64_t n)
{
	uint64_t x = 5;

	for (uint64_t i = 0; i < n; i++)
		x = inline_helper(x, i); /* expect: main;outer_with_inline;inline_helper */
	return x;
}

int main(int argc, char **argv)
{
	/* cos and sin of 0.1 rad */
	const geo::Matrix<float> mf = {0.995004165f, -0.0998334166f, 0.0998334166f, 0.995004165f};
	const geo::Matrix<double> md = {0.995004165, -0.0998334166, 0.0998334166, 0.995004165};
	double sum = 0;

	sum += mf.mul(scaled(argc, argv, 1, 5.4));			       /* expect: 54% */
	sum += md.mul(scaled(argc, argv, 1, 3.6));			       /* expect: 36% */
	sum += (double)(outer_with_inline(scaled(argc, argv, 1, 1.0)) & 0xff); /* 10% */
	std::printf("template: %g\n", sum);
	return 0;
}

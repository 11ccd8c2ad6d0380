/*
 * libplugin.c: libplugin.so, the shared library dlopen_main loads at run time.
 *
 * plugin_compute(n) runs n steps of the work loop; dlopen_main calls it with 7 of its 10 units
 * of work, so 70% of the samples must be in plugin_compute, module libplugin.so (a profiler has
 * to notice the mapping created by dlopen after the program started).
 */
#include "work.h"

uint64_t plugin_compute(uint64_t n);

NOINLINE uint64_t plugin_compute(uint64_t n)
{
	uint64_t x = 7;

	SPIN(x, n, 0x9e3779b97f4a7c15ull); /* expect: plugin_compute self 70%, libplugin.so */
	return x;
}

/*
 * dlopen_main.c: a program that spends most of its time in a library it dlopen()s at run time.
 *
 *   usage: dlopen_main [PLUGIN [SCALE]]   PLUGIN is the path of libplugin.so; empty or "-"
 *                                         means the libplugin.so next to this executable.
 *                                         SCALE multiplies the work (default 1.0, about 1.1 s)
 *
 * main_compute runs 3 units of work in the executable, then plugin_compute 7 units in
 * libplugin.so, loaded with dlopen after the profiler has started:
 *   main_compute     self 30%, module dlopen_main
 *   plugin_compute   self 70%, module libplugin.so
 * tests/cli/dlopen.sh checks plugin_compute within 6 points.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "work.h"

NOINLINE uint64_t main_compute(uint64_t n)
{
	uint64_t x = 3;

	SPIN(x, n, 0xbf58476d1ce4e5b9ull); /* expect: main_compute self 30% */
	return x;
}

/* The directory of /proc/self/exe plus "/libplugin.so". */
static int plugin_next_to_exe(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	char *slash;

	if (n < 0)
		return -1;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash || (size_t)(slash - buf) + sizeof("/libplugin.so") > size)
		return -1;
	memcpy(slash, "/libplugin.so", sizeof("/libplugin.so"));
	return 0;
}

int main(int argc, char **argv)
{
	char path[PATH_MAX];
	uint64_t (*plugin_compute)(uint64_t);
	uint64_t sum;
	void *handle;

	if (argc > 1 && argv[1][0] && strcmp(argv[1], "-") != 0) {
		snprintf(path, sizeof(path), "%s", argv[1]);
	} else if (plugin_next_to_exe(path, sizeof(path)) < 0) {
		fprintf(stderr, "dlopen_main: cannot find libplugin.so next to the executable\n");
		return 1;
	}

	sum = main_compute(scaled(argc, argv, 2, 3.0));

	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		fprintf(stderr, "dlopen_main: %s\n", dlerror());
		return 1;
	}
	*(void **)&plugin_compute = dlsym(handle, "plugin_compute");
	if (!plugin_compute) {
		fprintf(stderr, "dlopen_main: %s\n", dlerror());
		return 1;
	}
	sum += plugin_compute(scaled(argc, argv, 2, 7.0)); /* expect: plugin_compute 70% */
	printf("dlopen_main: %llu\n", (unsigned long long)sum);
	dlclose(handle);
	return 0;
}

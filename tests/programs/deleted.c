/*
 * deleted.c: a program whose code is deleted while it runs, for symbolization from files that are
 * gone by the time the profile is written (issue 8, item 14).
 *
 *   usage: deleted later [SCALE]         runs early_work (1 unit), deletes its own executable,
 *                                        then runs late_work (3 units)
 *          deleted reexec [SCALE]        deletes its own executable and re-executes the open file
 *                                        (fexecve) as `deleted run`: the new image is mapped from
 *                                        a file that is already gone ("... (deleted)")
 *          deleted plugin LIB [SCALE]    opens LIB (a copy of libplugin.so), deletes it, loads it
 *                                        through /proc/self/fd, and runs plugin_compute (3 units)
 *
 * Only ever run on a copy: it deletes what it runs. Expected, in every mode: the named functions
 * carry nearly all samples, with their names (tests/cli/deleted.sh):
 *   later    early_work ~25%, late_work ~75%
 *   reexec   deleted_work ~100%
 *   plugin   plugin_compute ~100%, module libplugin.so
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "work.h"

NOINLINE uint64_t early_work(uint64_t n)
{
	uint64_t x = 7;

	SPIN(x, n, 0x2545f4914f6cdd1dull); /* expect: early_work self 25% (later) */
	return x;
}

NOINLINE uint64_t late_work(uint64_t n)
{
	uint64_t x = 9;

	SPIN(x, n, 0x9fb21c651e98df25ull); /* expect: late_work self 75% (later) */
	return x;
}

NOINLINE uint64_t deleted_work(uint64_t n)
{
	uint64_t x = 11;

	SPIN(x, n, 0xc2b2ae3d27d4eb4full); /* expect: deleted_work self 100% (reexec) */
	return x;
}

static int delete_self(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = 0;
	return unlink(self);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	uint64_t sum = 0;

	if (!strcmp(mode, "later")) {
		sum += early_work(scaled(argc, argv, 2, 1.0));
		if (delete_self() < 0)
			return perror("deleted: cannot delete myself"), 1;
		sum += late_work(scaled(argc, argv, 2, 3.0));
	} else if (!strcmp(mode, "reexec")) {
		int fd = open("/proc/self/exe", O_RDONLY);
		if (fd < 0 || delete_self() < 0)
			return perror("deleted: cannot delete myself"), 1;
		char *args[] = {argv[0], "run", argc > 2 ? argv[2] : "1", NULL};
		extern char **environ;
		fexecve(fd, args, environ);
		return perror("deleted: fexecve"), 1;
	} else if (!strcmp(mode, "run")) {
		sum += deleted_work(scaled(argc, argv, 2, 3.0));
	} else if (!strcmp(mode, "plugin") && argc > 2) {
		int fd = open(argv[2], O_RDONLY);
		if (fd < 0 || unlink(argv[2]) < 0)
			return perror(argv[2]), 1;
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		void *h = dlopen(path, RTLD_NOW);
		uint64_t (*compute)(uint64_t);
		*(void **)&compute = h ? dlsym(h, "plugin_compute") : NULL;
		if (!compute)
			return fprintf(stderr, "deleted: %s\n", dlerror()), 1;
		sum += compute(scaled(argc, argv, 3, 3.0));
	} else {
		fprintf(stderr, "usage: deleted later|reexec|plugin LIB [SCALE]\n");
		return 2;
	}
	printf("deleted: %llu\n", (unsigned long long)sum);
	return 0;
}

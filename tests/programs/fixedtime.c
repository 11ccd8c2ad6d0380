/*
 * fixedtime.c: libfixedtime.so, an LD_PRELOAD library that stops the wall clock, for the tests of
 * what two recordings started in the same second do (issue 8: they must not share a folder).
 *
 *   SC_FIXED_TIME=SECONDS   time(2) returns SECONDS (since the epoch) whenever it is called
 *
 * Only time() is wrapped: scorch names its default output folder from it (src/cli/record.c).
 * Without SC_FIXED_TIME nothing changes. Not profiled; built without sanitizers.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

time_t time(time_t *t)
{
	const char *fixed = getenv("SC_FIXED_TIME");
	time_t v;
	if (fixed && *fixed) {
		v = (time_t)strtoll(fixed, NULL, 10);
	} else {
		static time_t (*real)(time_t *);
		if (!real)
			real = (time_t(*)(time_t *))dlsym(RTLD_NEXT, "time");
		v = real(NULL);
	}
	if (t)
		*t = v;
	return v;
}

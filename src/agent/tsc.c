/*
 * tsc.c: the TSC clock's slow paths (tsc.h).
 */
#include "agent/tsc.h"

#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bool sc_tsc_on;
/* The last rate a thread measured (32.32), a starting point for threads that begin later. */
static uint64_t shared_rate;

uint64_t sc_clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sc_tsc_init(void)
{
#if defined(__x86_64__)
	char buf[16];
	int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		      O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	sc_tsc_on = n == 4 && memcmp(buf, "tsc\n", 4) == 0;
#endif
}

void sc_tsc_reset(sc_tsc *c)
{
	memset(c, 0, sizeof(*c));
}

/* A reading of the clock paired with the TSC: the clock read on both sides of the TSC, again
 * when the two readings lie far apart (the thread was preempted between them). */
static uint64_t paired_reading(uint64_t *tsc)
{
	uint64_t a, b;
	int tries = 0;
	do {
		a = sc_clock_ns();
		*tsc = sc_tsc_read();
		b = sc_clock_ns();
	} while (b - a > SC_TSC_PAIR_NS && ++tries < 4);
	return a + (b - a) / 2;
}

uint64_t sc_tsc_anchor(sc_tsc *c)
{
	uint64_t tsc, ns = paired_reading(&tsc);
	uint64_t dt = tsc - c->tsc0;
	if (c->tsc0 && tsc > c->tsc0 && dt >= SC_TSC_MEASURED && ns > c->ns0) {
		c->ns_per_tick = (uint64_t)((double)(ns - c->ns0) / (double)dt * 4294967296.0);
		__atomic_store_n(&shared_rate, c->ns_per_tick, __ATOMIC_RELAXED);
	} else if (c->tsc0 && dt < SC_TSC_MEASURED && !c->ns_per_tick) {
		goto out; /* too soon to measure: keep the first reading as the base */
	} else if (!c->ns_per_tick) {
		c->ns_per_tick = __atomic_load_n(&shared_rate, __ATOMIC_RELAXED);
	}
	c->tsc0 = tsc;
	c->ns0 = ns;
out:
	if (ns < c->last)
		ns = c->last;
	c->last = ns;
	return ns;
}

/*
 * sigsafe.c: signal-context code of the recorder: two counters and the handler that bumps them
 * (SIGHUP counts as SIGTERM: both ask the recording to stop).
 * Nothing here allocates, locks or calls anything but sigaction(). See sigsafe.h.
 */
#include "record/sigsafe.h"

#include <errno.h>
#include <string.h>

volatile sig_atomic_t sc_record_nsigint, sc_record_nsigterm;

static void on_signal(int sig)
{
	int saved = errno;
	if (sig == SIGINT)
		sc_record_nsigint++;
	else
		sc_record_nsigterm++;
	errno = saved;
}

void sc_record_signals_install(sc_record_sigsave *save)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sc_record_nsigint = 0;
	sc_record_nsigterm = 0;
	sigaction(SIGINT, &sa, &save->old_int);
	sigaction(SIGTERM, &sa, &save->old_term);
	sigaction(SIGHUP, &sa, &save->old_hup);
}

void sc_record_signals_restore(const sc_record_sigsave *save)
{
	sigaction(SIGINT, &save->old_int, NULL);
	sigaction(SIGTERM, &save->old_term, NULL);
	sigaction(SIGHUP, &save->old_hup, NULL);
}

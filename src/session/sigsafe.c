/*
 * sigsafe.c: signal-context code of the session: two counters and the handler that bumps them
 * (SIGHUP counts as SIGTERM: both ask the session to stop).
 * Nothing here allocates, locks or calls anything but sigaction(). See sigsafe.h.
 */
#include "session/sigsafe.h"

#include <errno.h>
#include <string.h>

volatile sig_atomic_t sc_session_nsigint, sc_session_nsigterm;

static void on_signal(int sig)
{
	int saved = errno;
	if (sig == SIGINT)
		sc_session_nsigint++;
	else
		sc_session_nsigterm++;
	errno = saved;
}

void sc_session_signals_install(sc_session_sigsave *save)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sc_session_nsigint = 0;
	sc_session_nsigterm = 0;
	sigaction(SIGINT, &sa, &save->old_int);
	sigaction(SIGTERM, &sa, &save->old_term);
	sigaction(SIGHUP, &sa, &save->old_hup);
}

void sc_session_signals_restore(const sc_session_sigsave *save)
{
	sigaction(SIGINT, &save->old_int, NULL);
	sigaction(SIGTERM, &save->old_term, NULL);
	sigaction(SIGHUP, &save->old_hup, NULL);
}

/*
 * sigsafe.c: signal-context code of the session: two counters and the handler that bumps them
 * (SIGHUP counts as SIGTERM: both ask the session to stop), and the removal of an abandoned run's
 * output folders (outdir.h, sc_outdir_remove_armed) from a buffer filled before any handler needs
 * it. What runs in signal context allocates nothing, takes no lock and calls only
 * async-signal-safe functions (sigaction, rmdir). See sigsafe.h and outdir.h.
 */
#include "session/sigsafe.h"
#include "session/outdir.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

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

static char armed_path[PATH_MAX]; /* the output folder, when the run created it */
static size_t armed_stop;	  /* length of the shallowest folder the run created */

void sc_outdir_arm(const sc_outdir *d)
{
	armed_path[0] = '\0';
	armed_stop = 0;
	size_t len = d && d->created ? strlen(d->path.buf) : 0;
	if (len && len < sizeof(armed_path)) {
		memcpy(armed_path, d->path.buf, len + 1);
		armed_stop = strlen(d->created);
	}
}

void sc_outdir_remove_armed(void)
{
	size_t len = strlen(armed_path);
	while (armed_stop && len >= armed_stop && rmdir(armed_path) == 0) {
		while (len > 0 && armed_path[len - 1] != '/')
			len--;
		if (len == 0)
			break;
		armed_path[--len] = '\0';
	}
}

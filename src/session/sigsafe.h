/*
 * sigsafe.h: the session's signal handlers, kept apart because they run in signal context.
 *
 * While a session runs, SIGINT, SIGTERM and SIGHUP only bump counters (SIGHUP counts as SIGTERM)
 * that the poll loop in session.c reads (poll() returns EINTR, so the loop notices at once). The
 * handlers are installed without SA_RESTART and restored to what they were when the session ends.
 * Not thread-safe: the counters are process-wide, one session at a time.
 */
#ifndef SC_SESSION_SIGSAFE_H
#define SC_SESSION_SIGSAFE_H

#include <signal.h>

typedef struct sc_session_sigsave {
	struct sigaction old_int, old_term, old_hup;
} sc_session_sigsave;

/* Counts of signals received since sc_session_signals_install(). */
extern volatile sig_atomic_t sc_session_nsigint, sc_session_nsigterm;

/* Zeroes the counters and installs the counting handlers, saving the previous ones in `save`. */
void sc_session_signals_install(sc_session_sigsave *save);
/* Puts back the handlers saved by sc_session_signals_install(). */
void sc_session_signals_restore(const sc_session_sigsave *save);

#endif

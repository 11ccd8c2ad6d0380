/*
 * sigsafe.h: the recorder's signal handlers, kept apart because they run in signal context.
 *
 * While recording, SIGINT, SIGTERM and SIGHUP only bump counters (SIGHUP counts as SIGTERM) that
 * the poll loop in record.c reads (poll() returns EINTR, so the loop notices at once). The handlers
 * are installed without SA_RESTART and restored to what they were when the recording ends.
 */
#ifndef SC_RECORD_SIGSAFE_H
#define SC_RECORD_SIGSAFE_H

#include <signal.h>

typedef struct sc_record_sigsave {
	struct sigaction old_int, old_term, old_hup;
} sc_record_sigsave;

/* Counts of signals received since sc_record_signals_install(). */
extern volatile sig_atomic_t sc_record_nsigint, sc_record_nsigterm;

void sc_record_signals_install(sc_record_sigsave *save);
void sc_record_signals_restore(const sc_record_sigsave *save);

#endif

/*
 * consoleui.h: the live console's screen, shared by `scorch console PID` (console.c) and
 * `scorch trace --live -- CMD` (trace.c): the decoder (src/trace/decode.h) fed with the records
 * of an agent file's rings, the live windows (src/trace/live.h) behind it, and a full-screen
 * terminal view of them redrawn each round, with the keys.
 *
 *     sc_cui *ui = sc_cui_new(&opts);   // the terminal in raw mode, alternate screen (tty only)
 *     each round: sc_agentfile_drain(f, i, true, sc_cui_drain_fn, ui) for each ring i, then
 *                 sc_cui_round(ui, now): the view made and drawn (unless paused);
 *                 between rounds: sc_cui_keys(ui) when standard input is readable;
 *     sc_cui_exited(ui, "program exited"): the view stays, the header says why;
 *     sc_cui_free(ui);                  // the terminal restored
 *
 * Keys: s cycles the spans' sort (rate, p99, total, count, name), / edits a substring filter of
 * span names (Enter keeps it, Esc clears it), p or space pauses the display (data keep coming;
 * the header says PAUSED), q (or Ctrl-C, or Ctrl-D) quits; Ctrl-Z is console.c's (suspend and
 * resume below).
 *
 * The terminal is restored by sc_cui_free, by sc_cui_restore_terminal (async-signal-safe: for a
 * signal handler), and at exit. Names from the program are escaped (util/strbuf.h): nothing it
 * names can drive the terminal.
 */
#ifndef SC_CLI_CONSOLEUI_H
#define SC_CLI_CONSOLEUI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "agent/stream.h"

typedef struct sc_cui_options {
	const char *program;	     /* shown in the header */
	pid_t pid;		     /* 0: the first ring's process */
	uint64_t block_ns, stuck_ns; /* live.h's thresholds (0: defaults) */
	bool screen; /* full screen on the terminal (raw mode, alternate screen); else plain text */
} sc_cui_options;

typedef struct sc_cui sc_cui;

/* NULL with errno set (ENOMEM, or the terminal's error). */
sc_cui *sc_cui_new(const sc_cui_options *o);
void sc_cui_free(sc_cui *ui); /* NULL is fine */

/* sc_agentfile_fn: one record to the decoder. */
int sc_cui_drain_fn(void *ctx, uint32_t ring, const sc_agent_ring *r, const sc_agent_rec *rec);
/* The same for `scorch trace --live` (trace/collect.h's record hook). */
int sc_cui_record(void *ctx, const sc_agent_ring *r, const sc_agent_rec *rec);
/* `scorch console`: the records of the event file's catalogue not read yet (the sites and thread
 * names earlier consoles took from the rings), to the decoder. Call before draining the rings,
 * every round. 0 or < 0. */
int sc_cui_catalog(sc_cui *ui, const sc_agent_header *h, uint64_t file_bytes);
/* After draining every ring: the decoder's round, the open spans, the view at `now`
 * (CLOCK_MONOTONIC ns), drawn unless paused. `lost`: records the runtime dropped so far. */
int sc_cui_round(sc_cui *ui, uint64_t now);
/* The program is gone (`why`): the view is frozen with it in the header. */
void sc_cui_exited(sc_cui *ui, const char *why);
/* Reads the keys waiting on standard input (non-blocking) and acts on them. 1 when the user
 * quit, else 0. */
int sc_cui_keys(sc_cui *ui);
/* After sc_cui_exited: keys (and a resize) until the user quits, or SIGINT, SIGTERM, SIGHUP
 * (handled meanwhile). */
void sc_cui_wait_quit(sc_cui *ui);
/* Makes scorch's process group the terminal's foreground again (`scorch trace --live`: the
 * session hands it to the command, but the console reads the keys). */
void sc_cui_take_terminal(void);
/* Ctrl-Z: the terminal as it was (suspend), then the screen again (resume, after SIGCONT). */
void sc_cui_suspend(sc_cui *ui);
void sc_cui_resume(sc_cui *ui);
/* Redraws (after a resize). */
void sc_cui_redraw(sc_cui *ui);
/* Writes the current view as plain text (no escape codes) to `f`. */
int sc_cui_print(sc_cui *ui, FILE *f);
/* Puts the terminal back as it was (async-signal-safe). */
void sc_cui_restore_terminal(void);

/* Milliseconds since the program's start (/proc/PID/stat), or -1. */
long long sc_cui_uptime_ms(pid_t pid);

#endif

/*
 * record_notes.h: what `scorch record` says about a recording once it has ended, and the aliases
 * of deleted files for symbolization (record_notes.c).
 */
#ifndef SC_CLI_RECORD_NOTES_H
#define SC_CLI_RECORD_NOTES_H

#include <stdbool.h>

#include "profile/profile.h"
#include "record/record.h"
#include "symbolize/symbolize.h"

/* Why a recording holds no sample, on stderr. */
void sc_cli_record_no_samples(const sc_record_options *o);
/* The aliases of res's deleted files (see record_notes.c); the caller frees *out and *paths.
 * 0 or -ENOMEM. */
int sc_cli_record_gone_aliases(const sc_record_result *res, sc_sym_file_alias **out, char **paths);
/* Which deleted files could not be read, and how many addresses lost their names. */
void sc_cli_record_report_gone(const sc_profile *p, const sc_record_result *res);
/* How many user stacks ended early and why (`signal`: the signal backend's walks). */
void sc_cli_record_report_cuts(const sc_record_options *o, const sc_record_result *res,
			       bool signal);

#endif

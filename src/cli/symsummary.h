/*
 * symsummary.h: the lines `scorch record` prints about samples that got no function name.
 *
 * From the shares sc_symbolize_profile counted (symbolize.h: sc_sym_stats), one line for the whole
 * profile and one per module that holds at least 1% of all samples unnamed, each with what to do:
 *
 *   scorch record: 62% of samples have no symbol
 *   scorch record:   97% of samples in liblzma.so.5.4.1 have no symbol (stripped: install its
 *                    debug symbols, e.g. Debian's -dbgsym package)
 *
 * Nothing is printed when under 1% of the samples are unnamed.
 */
#ifndef SC_CLI_SYMSUMMARY_H
#define SC_CLI_SYMSUMMARY_H

#include <stdio.h>

#include "profile/profile.h"
#include "symbolize/symbolize.h"

/* Writes the lines for `st` (whose module names are strings of `p`) to `f`. */
void sc_cli_print_unnamed(const sc_profile *p, const sc_sym_stats *st, FILE *f);

#endif

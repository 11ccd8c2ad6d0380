/*
 * load.h: what the commands that read profiles share: load a file of any format we read and pick
 * the sample type to show.
 *
 * A profile file is pprof (gzip-compressed or not, detected by sc_pprof_sniff) or FlameGraph folded
 * stacks (everything else); "-" reads standard input. These helpers print their errors in the
 * command's voice ("scorch CMD: ..."), so they live in src/cli/ and nowhere else.
 */
#ifndef SC_CLI_LOAD_H
#define SC_CLI_LOAD_H

#include <stdbool.h>

#include "profile/profile.h"

/* Reads and parses `path`. Returns 0 and a new profile in *out (the caller frees it), or 1 after
 * printing what went wrong as "scorch CMD: ..." (*out is NULL then). */
int sc_cli_load_profile(const char *cmd, const char *path, sc_profile **out);
/* As sc_cli_load_profile; with `keep_times`, a `perf script` input keeps every sample with its
 * time (for timelines and --from/--to) instead of merging equal stacks. */
int sc_cli_load_profile_times(const char *cmd, const char *path, bool keep_times, sc_profile **out);

/* The sample type to show: the one named `name`, else (name NULL) the profile's default, else its
 * last one, as pprof does. Returns its index, or -1 after printing why there is none (an unknown
 * name: the message lists the profile's sample types). */
int sc_cli_pick_sample_type(const char *cmd, const sc_profile *p, const char *name);

/* "scorch: BASENAME" for a page title, into buf (for "-": "stdin"). Returns buf. */
const char *sc_cli_title(const char *path, char *buf, unsigned long size);

#endif

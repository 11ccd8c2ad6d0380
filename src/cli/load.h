/*
 * load.h: what the commands that read profiles share: load a file of any format we read and pick
 * the sample type to show.
 *
 * The format is told from the first bytes (never from the name): pprof (gzip-compressed or raw
 * protobuf), gperftools' binary CPU profile (libprofiler's CPUPROFILE=; symbolized on loading
 * from the files its maps list), `perf script` text (streamed), FlameGraph folded stacks. Binary
 * data that is none of these (a NUL byte or control characters in the first 64 KiB: /dev/zero, an
 * executable) is refused at once. What is held in memory is capped (--max-input, default
 * SC_CLI_MAX_INPUT_DEFAULT): the file itself for pprof, gperftools and folded stacks, and what gzip
 * data decompresses to. `perf script` text is streamed, so its size is not capped (memory grows
 * with distinct stacks), but one line of it is (64 MiB). "-" reads standard input. These helpers
 * print their errors in the command's voice ("scorch CMD: ..."), so they live in src/cli/ and
 * nowhere else.
 */
#ifndef SC_CLI_LOAD_H
#define SC_CLI_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "profile/profile.h"

#define SC_CLI_MAX_INPUT_DEFAULT ((uint64_t)1 << 30)

typedef struct sc_cli_load_options {
	/* A `perf script` input keeps every sample with its time (for timelines and --from/--to)
	 * instead of merging equal stacks. */
	bool keep_times;
	/* The cap on bytes held in memory (see above); 0 means SC_CLI_MAX_INPUT_DEFAULT. */
	uint64_t max_input;
} sc_cli_load_options;

/* Reads and parses `path` (options NULL: the defaults). Returns 0 and a new profile in *out (the
 * caller frees it), or 1 after printing what went wrong as "scorch CMD: ..." (*out is NULL
 * then). */
int sc_cli_load_profile_opts(const char *cmd, const char *path, const sc_cli_load_options *o,
			     sc_profile **out);
/* sc_cli_load_profile_opts with the default options. */
int sc_cli_load_profile(const char *cmd, const char *path, sc_profile **out);
/* sc_cli_load_profile_opts with keep_times and the default cap. */
int sc_cli_load_profile_times(const char *cmd, const char *path, bool keep_times, sc_profile **out);

/* Parses the value of --max-input: a byte count with an optional K, M or G suffix (powers of
 * 1024), at least 1. Returns 0 and sets *out, or 2 (the usage exit status) after printing
 * "scorch CMD: bad value 'ARG' for --max-input: ...". */
int sc_cli_parse_max_input(const char *cmd, const char *arg, uint64_t *out);

/* The sample type to show: the one named `name`, else (name NULL) the profile's default, else its
 * last one, as pprof does. Returns its index, or -1 after printing why there is none (an unknown
 * name: the message lists the profile's sample types). */
int sc_cli_pick_sample_type(const char *cmd, const sc_profile *p, const char *name);

/* Checks an output path before any work is done (a big input is not read only to fail at the
 * end): `folder` says the command writes a folder there (record, report --all), else one file
 * (report, diff, --html). A path that exists as the other kind is refused. `flag` is how the user
 * gave it ("-o", "--all -o", "--html") and `hint` (may be NULL) what to do instead. Returns 0, or 2
 * (the usage exit status) after printing "scorch CMD: FLAG 'PATH' is a folder: ...". */
int sc_cli_check_output(const char *cmd, const char *flag, const char *path, bool folder,
			const char *hint);

/* "scorch: BASENAME" for a page title, into buf (for "-": "stdin"). Returns buf. */
const char *sc_cli_title(const char *path, char *buf, unsigned long size);

#endif

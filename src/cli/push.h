/*
 * push.h: what `scorch push` and `scorch record --continuous` share: a profile file checked and
 * read (before any network traffic), its labels, and one upload to each target with the outcome
 * printed in scorch's style. The requests and the HTTP client are in src/push.
 */
#ifndef SC_CLI_PUSH_H
#define SC_CLI_PUSH_H

#include "cli/options.h"
#include "push/push.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sc_cli_push {
	const char *cmd;       /* "push" or "record": the name in messages */
	const char *pyroscope; /* URLs, NULL when not wanted */
	const char *parca;
	bool grpc_web; /* Parca as gRPC-Web instead of gRPC over HTTP/2 */
	const char *app;
	const sc_option_list *labels; /* "k=v" from --label */
	sc_push_client client;
	bool dry_run;
} sc_cli_push;

/* A profile file ready to go: the bytes as they are on disk and what the labels need. */
typedef struct sc_cli_push_file {
	char *path;
	char *data;
	size_t n;
	char kind[64];	     /* cpu, heap, gpu, ... from the file name */
	char host[256];	     /* the profile's "host:" comment, or this machine's name */
	int64_t from, until; /* the profile's own time range, UNIX seconds */
	int sample_rate;
	char *sample_type_config; /* for Pyroscope, from the file's sample types */
} sc_cli_push_file;

/* Checks the --label values and the URLs; prints and returns -1 when one is wrong. */
int sc_cli_push_check(const sc_cli_push *p);
/* Reads and checks one pprof file. Prints "scorch CMD: 'PATH': ..." and returns -1 when it is
 * missing or not pprof. */
int sc_cli_push_load(const sc_cli_push *p, const char *path, sc_cli_push_file *f);
void sc_cli_push_file_release(sc_cli_push_file *f);
/* Sends `f` to every target with from/until; prints the outcome. Returns 0 or -1 (printed). */
int sc_cli_push_send(const sc_cli_push *p, const sc_cli_push_file *f, int64_t from, int64_t until);

/* record_continuous.c: `scorch record --continuous` (called by cmd_record when argv has it). */
bool sc_cli_record_is_continuous(int argc, char **argv);
int sc_cli_record_continuous(int argc, char **argv);

#endif

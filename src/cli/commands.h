/*
 * commands.h: the entry points of scorch's subcommands, one file each in src/cli/.
 *
 * A command returns its exit status: 0 success, 1 for a failure it reported, 2 for bad usage;
 * `record` and `heap` return the profiled command's own status. Only src/cli/ prints to the user,
 * in the style "scorch CMD: what went wrong".
 */
#ifndef SC_CLI_COMMANDS_H
#define SC_CLI_COMMANDS_H

#include <stdbool.h>

int cmd_record(int argc, char **argv);
int cmd_heap(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_gpu(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Whether this scorch has the command `name` (run's gpu mode asks). */
bool sc_cli_has_command(const char *name);

/* Prints "scorch CMD: MESSAGE: strerror(-err)" to stderr. */
void sc_cli_error(const char *cmd, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A profiled command's status as a shell reports it: its exit status, 128 + the signal that
 * killed it; 0 when it was not reaped (an attached process, left running). */
int sc_cli_exit_status(bool exited, int wait_status);

#endif

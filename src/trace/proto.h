/*
 * proto.h: how a console reaches an instrumented program (libscorch) that runs without scorch:
 * `scorch console PID` against a program started with SCORCH_CONSOLE=1. Both sides include this
 * header; the runtime (src/trace/) is the server, src/cli/console.c the client.
 *
 * The program's runtime, asked by SC_CONSOLE_ENV, creates its own event file (the layout of
 * agent/stream.h, in a memfd) and a listening Unix socket at sc_console_path(its pid). The folder
 * is the user's runtime directory's "scorch" ($XDG_RUNTIME_DIR/scorch, else /tmp/scorch-UID),
 * created 0700 and refused when it is not a folder owned by the user with no access for others;
 * the socket is 0600. A console connects and writes SC_CONSOLE_HELLO (exactly, within
 * SC_CONSOLE_HELLO_MS); the server checks the peer's uid (SO_PEERCRED) is its own, then answers
 * with a struct sc_console_reply carrying the event file's descriptor (SCM_RIGHTS). The console
 * maps the file and becomes the consumer of its rings (one consumer: a second console while one
 * is attached gets SC_CONSOLE_BUSY and no descriptor). Anything else (a wrong hello, silence, a
 * peer of another user) closes the connection and changes nothing in the program. When the
 * console goes, the server accepts the next one; while none is attached, full rings drop events
 * (counted in each ring's `lost`).
 *
 * Under `scorch trace` (SCORCH_AGENT_FILE set) the runtime writes into scorch's file instead and
 * opens no socket: `scorch trace --live` is the console.
 */
#ifndef SC_TRACE_PROTO_H
#define SC_TRACE_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SC_CONSOLE_ENV	    "SCORCH_CONSOLE" /* "1": open the socket */
#define SC_CONSOLE_HELLO    "SCORCH-CONSOLE 1\n"
#define SC_CONSOLE_HELLO_MS 2000
#define SC_CONSOLE_VERSION  1u

/* sc_console_reply.status */
enum {
	SC_CONSOLE_OK = 0,   /* the descriptor is attached */
	SC_CONSOLE_BUSY = 1, /* another console is attached */
};

typedef struct sc_console_reply {
	char magic[8]; /* "SCORCHC\0" */
	uint32_t version;
	uint32_t status; /* SC_CONSOLE_* */
	uint32_t pid;	 /* the program's */
	uint32_t reserved;
	uint64_t file_bytes; /* the event file's size */
} sc_console_reply;

#define SC_CONSOLE_MAGIC "SCORCHC\0"

/* The socket's path for process `pid` into buf (and, with `make_dir`, creates the folder 0700
 * and checks it: a folder, ours, no access for group or others). 0, or -errno (-ENAMETOOLONG,
 * or -EPERM for a folder that fails the check) with the reason in err. libc only: the runtime
 * calls it inside the program. */
int sc_console_path(pid_t pid, int make_dir, char *buf, size_t size, char *err, size_t errsize);

#endif

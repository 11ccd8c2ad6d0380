/*
 * perfmap.h: JIT symbol maps in perf's format (/tmp/perf-PID.map), for symbolize.c only.
 *
 * Runtimes that generate code (node --perf-basic-prof, LuaJIT, the JVM through perf-map-agent,
 * .NET with DOTNET_PerfMapEnabled=1...) write one line per compiled function into
 * /tmp/perf-PID.map, PID being the process that runs the code:
 *
 *     7f3a2c0010a0 4c LazyCompile:~add /app/math.js:3
 *     ^ start, hex  ^ size, hex    ^ the name: the rest of the line, spaces included
 *
 * A "0x" prefix on either number is accepted. Lines that do not parse, or with size 0, are
 * skipped; later lines win over earlier ones at the same start (a runtime that recompiles a
 * function appends its new code). Not part of scorch's contract; read symbolize.h for that.
 */
#ifndef SC_SYMBOLIZE_PERFMAP_H
#define SC_SYMBOLIZE_PERFMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sc_jsym {
	uint64_t start, size;
	const char *name;
} sc_jsym;

typedef struct sc_perfmap {
	char *buf;     /* the file, cut into NUL-terminated names in place */
	sc_jsym *syms; /* by start address */
	size_t n;
} sc_perfmap;

/* Files bigger than this are not read (a runtime left running for days). */
#define SC_PERFMAP_MAX_BYTES (256u << 20)

/* Loads `path` (not following a symbolic link: /tmp is writable by everyone). Only a regular file
 * owned by the caller's effective user or by root is read, as perf does, so that another user
 * cannot plant names. Returns 0 or -errno: -ENOENT, -ELOOP for a symbolic link, -EPERM for a file
 * owned by someone else, -EINVAL when not a regular file, -EFBIG above SC_PERFMAP_MAX_BYTES,
 * -ENOMEM. On failure the map is empty and valid. */
int sc_perfmap_load(sc_perfmap *m, const char *path);
/* The entry whose [start, start + size) holds addr, or NULL. */
const sc_jsym *sc_perfmap_find(const sc_perfmap *m, uint64_t addr);
/* Frees the map; accepts a zeroed or already released one. */
void sc_perfmap_release(sc_perfmap *m);

#endif

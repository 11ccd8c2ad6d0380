/*
 * diag.h: a parser's or a library call's account of what went wrong, for the CLI to print.
 *
 * Library code never prints; it fills an sc_diag (when the caller passed one) and returns -Exxx.
 * The CLI then prints "scorch CMD: FILE:LINE:COL: MESSAGE" (the position parts only when set).
 * A zeroed sc_diag is empty. Functions taking `sc_diag *d` accept NULL.
 */
#ifndef SC_UTIL_DIAG_H
#define SC_UTIL_DIAG_H

#include <stdint.h>

typedef struct sc_diag {
	char file[256];
	int64_t line;	/* 1-based, 0 when not about a line */
	int64_t column; /* 1-based, 0 when unknown */
	int64_t offset; /* byte offset for binary formats, -1 when unknown */
	char message[512];
} sc_diag;

void sc_diag_clear(sc_diag *d);
void sc_diag_set_file(sc_diag *d, const char *file);
/* Sets the position (line/column 0 = unset, offset -1 = unset) and message. Returns -EINVAL for
 * convenient `return sc_diag_error(d, ...)` in parsers. */
int sc_diag_error(sc_diag *d, int64_t line, int64_t column, int64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Formats "FILE:LINE:COL: MESSAGE" (or "FILE: at byte N: MESSAGE", or just the message). */
const char *sc_diag_format(const sc_diag *d, char *buf, unsigned long size);

#endif

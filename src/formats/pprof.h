/*
 * pprof.h: the pprof format (gzip-compressed profile.proto), scorch's native profile file.
 *
 * Writing is a field-by-field copy of sc_profile (profile.proto in this folder is the schema,
 * written from the published spec). Reading accepts any producer's file (Go's runtime/pprof,
 * pprof-rs, our own), gzip-compressed or not.
 */
#ifndef SC_FORMATS_PPROF_H
#define SC_FORMATS_PPROF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"
#include "util/diag.h"

/* Serializes `p` as an uncompressed profile.proto message into a malloc'd buffer the caller
 * frees. Equal samples (stack, pid, tid, time, labels) are written as one sample with summed
 * values; nonzero pid/tid/time_ns become numeric labels "pid", "tid" and "time_ns" (unit
 * "nanoseconds"). Returns 0 or -ENOMEM. */
int sc_pprof_encode(const sc_profile *p, uint8_t **out, size_t *n);
/* Writes `p` gzip-compressed to `path` atomically (temporary file renamed into place).
 * Returns 0 or -errno; the file is untouched on failure. */
int sc_pprof_write(const sc_profile *p, const char *path);
/* Writes `p` gzip-compressed to the stream `f` (e.g. an sc_afile's). Returns 0, -ENOMEM or -EIO. */
int sc_pprof_write_stream(const sc_profile *p, FILE *f);
/* Parses a profile from memory, gzip-compressed or not. Returns 0 and a new profile in *out,
 * or -EINVAL (with `d` filled: what was wrong, and the byte offset when known, else -1) /
 * -ENOMEM; *out is NULL on failure. Numeric labels "pid"/"tid" become sample.pid/tid, and
 * "time_ns" (unit "nanoseconds" or none) sample.time_ns. */
int sc_pprof_decode(const void *data, size_t n, sc_profile **out, sc_diag *d);
/* As sc_pprof_decode, refusing gzip data that decompresses to more than `max` bytes (0: 4 GiB)
 * with -EFBIG (diag untouched: the caller names its own cap). Gzip data whose first decompressed
 * bytes are not a profile.proto message is refused at once (-EINVAL), before inflating more. */
int sc_pprof_decode_max(const void *data, size_t n, size_t max, sc_profile **out, sc_diag *d);
/* Reads a file ("-" for stdin). Returns as sc_pprof_decode (setting the diag's file to `path`),
 * or -errno if it cannot be read. */
int sc_pprof_read(const char *path, sc_profile **out, sc_diag *d);
/* True when the buffer (the start of a file, or all of it) looks like pprof: gzip magic, or raw
 * protobuf whose first fields (up to 8, as far as the buffer goes) are Profile fields with their
 * wire types and lengths that fit. Used to detect the input format. */
int sc_pprof_sniff(const void *data, size_t n);

#endif

/*
 * report_all.h: `scorch report --all -o OUT FOLDER` (report_all.c), a report set per recording
 * found under FOLDER and an index of them.
 */
#ifndef SC_CLI_REPORT_ALL_H
#define SC_CLI_REPORT_ALL_H

#include <stddef.h>

/* Writes OUT/<recording>/ for every recording under `in` and OUT/index.html; `top` rows per
 * table (0: the report set's default). Prints what it wrote and every problem. Returns 0, or 1
 * when a recording could not be read or a file written (the others are still written). */
int sc_cli_report_folder(const char *in, const char *out, size_t top);

#endif

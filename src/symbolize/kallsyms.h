/*
 * kallsyms.h: kernel symbols from a /proc/kallsyms-format file, for symbolize.c only.
 *
 * Reads the file once, keeps the function symbols (types t, T, w, W) sorted by address, one per
 * address (a global name preferred over a local alias), and answers "which symbol starts at or
 * below this address". Not part of scorch's contract; read symbolize.h for that.
 */
#ifndef SC_SYMBOLIZE_KALLSYMS_H
#define SC_SYMBOLIZE_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sc_ksym {
	uint64_t addr;
	const char *name;
	const char *module; /* "" for the kernel image, else the module's name without brackets */
} sc_ksym;

typedef struct sc_ksyms {
	char *buf; /* the file, cut into NUL-terminated names in place */
	sc_ksym *syms;
	size_t n; /* 0 also when every address reads as zero (kptr_restrict) */
} sc_ksyms;

/* Loads `path`. Returns 0 or -errno (the table is then empty and valid). */
int sc_ksyms_load(sc_ksyms *k, const char *path);
/* The symbol with the greatest address <= addr, or NULL (below the first symbol or no symbols). */
const sc_ksym *sc_ksyms_find(const sc_ksyms *k, uint64_t addr);
void sc_ksyms_release(sc_ksyms *k);

#endif

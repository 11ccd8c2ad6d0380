/*
 * disasm.h: the instructions of chosen functions with the share of samples on each (`scorch
 * report --disasm REGEX`), from the binary the profile's mapping names.
 *
 * Counted: self samples, i.e. samples whose leaf location belongs to a function matching the
 * regex (the function the address really belongs to: the last line of the location's inline
 * chain). Each is charged to the instruction holding its recorded address, turned into an ELF
 * virtual address as the symbolizer does (address - mapping start + mapping offset = file
 * offset, then the PT_LOAD segment holding that offset). The code shown is each ELF symbol
 * (.symtab, else .dynsym; for a stripped binary, also the .symtab of its separate debug file found
 * by build-id) that holds sampled addresses, e.g. "f" and "f.cold", disassembled by objdump from
 * binutils.
 *
 * The binary must be the one that ran: when the mapping recorded a build-id and the file's
 * differs, nothing is shown. Read annotate.h for the same shares per source line.
 */
#ifndef SC_REPORT_DISASM_H
#define SC_REPORT_DISASM_H

#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"
#include "util/diag.h"

typedef struct sc_disasm_insn {
	uint64_t address; /* ELF virtual address */
	char *text;	  /* as objdump writes it: "imul   %rdx,%rax" */
	int64_t self;
} sc_disasm_insn;

/* The code of one ELF symbol. */
typedef struct sc_disasm_range {
	char *symbol;
	uint64_t start, end; /* ELF virtual addresses, end exclusive */
	sc_disasm_insn *insns;
	size_t ninsns;
} sc_disasm_range;

typedef struct sc_disasm_func {
	uint32_t function; /* function id */
	sc_str file;	   /* the binary (a string of the profile) */
	sc_str build_id;   /* what the mapping recorded; 0 when nothing */
	int64_t self;
	int64_t unplaced;	 /* of self, samples at addresses no symbol of the file covers */
	sc_disasm_range *ranges; /* by start address */
	size_t nranges;
} sc_disasm_func;

typedef struct sc_disasm {
	sc_disasm_func *funcs; /* by self descending, ties by name */
	size_t len;
	int64_t grand_total;
	int type;
} sc_disasm;

typedef struct sc_disasm_options {
	const char *objdump; /* the program to run; NULL: "objdump" found on PATH */
	/* Where separate debug files are looked for as .build-id/xx/rest.debug (their symbols
	 * name the code of stripped binaries); NULL: /usr/lib/debug. */
	const char *debug_dir;
} sc_disasm_options;

/* Finds the functions matching the POSIX extended `regex` that have self samples, reads their
 * binaries and disassembles the code that holds the samples. Returns 0; -EINVAL for a bad regex
 * or type (d not set); -ENOENT when no function with self samples matches (d not set); or, with
 * d saying which file and why: -ENOENT (the binary is gone), -ESTALE (its build-id is not the
 * recorded one), -ENOEXEC (not an ELF file, or the function is kernel code or has no mapping),
 * -ECHILD (objdump could not be run or failed); -ENOEXEC also when the mapping has no load
 * address (perf script text: its addresses cannot be placed in the file); -ENOMEM. Nothing is left
 * to release after a failure. Runs objdump as a child process (waited for before returning). */
int sc_disasm_compute(const sc_profile *p, int type, const char *regex, const sc_disasm_options *o,
		      sc_disasm *out, sc_diag *d);
/* Frees the instructions' texts, the symbol names and the arrays (all allocated by compute; the
 * function and file ids are the profile's). Accepts NULL and a released sc_disasm. */
void sc_disasm_release(sc_disasm *ds);

/* Text: for each function a header (name, binary, build-id, self as a value and a share of the
 * profile), then each symbol's instructions with their share of the function's self samples.
 * n: at most n functions (0: all). Returns 0, -ENOMEM or -EIO. */
int sc_disasm_print_text(const sc_profile *p, const sc_disasm *ds, size_t n, FILE *f);

#endif

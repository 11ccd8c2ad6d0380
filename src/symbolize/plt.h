/*
 * plt.h: names for PLT entries ("memcpy@plt"), for symbolize.c only.
 *
 * A call into another module goes through a stub in .plt, .plt.sec or .plt.got, which no symbol
 * table covers: without this, time in a stub shows as an unnamed address or, worse, as the
 * sizeless symbol before it (often _init). The stubs are named as perf and objdump name them,
 * after the symbol whose GOT slot the stub jumps through: each stub's first instruction (after an
 * endbr64 and a bnd prefix) is decoded; "jmp *GOT(%rip)" names it by the relocation (JUMP_SLOT or
 * GLOB_DAT) of that slot, and "push $N" (the lazy stub of an IBT .plt) by the Nth .rela.plt entry.
 * An IRELATIVE slot (libc calling its own memmove through the PLT) is named after the indirect
 * function whose resolver it names ("memmove@plt", where objdump says "*ABS*+0x9f550@plt").
 * The header stub (PLT0) and stubs that decode to neither stay unnamed.
 *
 * x86-64 only for now: on other machines no stub is named. Not part of scorch's contract; read
 * symbolize.h for that.
 */
#ifndef SC_SYMBOLIZE_PLT_H
#define SC_SYMBOLIZE_PLT_H

#include <gelf.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sc_pltsym {
	uint64_t addr, size; /* ELF virtual address of the stub and its length */
	const char *name;    /* "memcpy@plt", owned by the sc_plt */
} sc_pltsym;

typedef struct sc_plt {
	sc_pltsym *syms; /* in section order */
	size_t n;
	char *names; /* every name, NUL-terminated, one after the other */
} sc_plt;

/* Names the PLT stubs of `elf` (an executable or shared library with its section headers).
 * Returns 0 (possibly with n == 0) or -ENOMEM; on failure the sc_plt is empty and valid. */
int sc_plt_read(sc_plt *p, Elf *elf);
/* Frees what sc_plt_read allocated; accepts a zeroed or already released sc_plt. */
void sc_plt_release(sc_plt *p);

#endif

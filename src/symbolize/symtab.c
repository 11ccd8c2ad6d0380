/*
 * symtab.c: a module's function symbols, read once into a table sorted by address (libdwfl's own
 * lookup is a linear scan per address): .symtab, the debug file's or .dynsym, as libdwfl picks,
 * plus the PLT stubs as sized symbols "memcpy@plt" (plt.c), so that they neither stay unnamed nor
 * borrow the sizeless symbol before them (often _init). Of aliases at one address one is kept.
 *
 * Read sym.h for the other files; dwarf.c is the user.
 */
#include "symbolize/sym.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/search.h"

static int fsym_cmp(const void *a, const void *b)
{
	const struct fsym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* Reads the module's function symbols (from .symtab, the debug file's or .dynsym: libdwfl picks
 * the best table) and its PLT stubs into an array sorted by address, one symbol per address.
 * libdwfl's own dwfl_module_addrinfo scans the whole table for each address. */
int sc_sym_read_symbols(struct sym_file *f)
{
	f->syms_read = true;
	int n = dwfl_module_getsymtab(f->mod);
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(f->mod, &bias);
	if (elf && sc_plt_read(&f->plt, elf) < 0)
		return -ENOMEM;
	size_t cap = (n > 1 ? (size_t)n : 0) + f->plt.n;
	if (!cap)
		return 0;
	f->syms = malloc(cap * sizeof(*f->syms));
	if (!f->syms)
		return -ENOMEM;
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name =
		    dwfl_module_getsym_info(f->mod, i, &sym, &addr, &shndx, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);
		if (!name || !*name || shndx == SHN_UNDEF || shndx == SHN_ABS ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC))
			continue;
		/* Prefer global over weak over local names, sized over sizeless, then fewer leading
		 * underscores ("getppid" over "__getppid"), then the table's order. */
		uint32_t rank = (bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2) << 28;
		rank |= (sym.st_size ? 0u : 1u) << 27;
		uint32_t under = 0;
		while (name[under] == '_' && under < 15)
			under++;
		rank |= under << 23 | (uint32_t)i;
		f->syms[f->nsyms++] = (struct fsym){addr, sym.st_size, name, rank};
	}
	/* after any real symbol at the same address */
	for (size_t i = 0; i < f->plt.n; i++)
		f->syms[f->nsyms++] =
		    (struct fsym){f->plt.syms[i].addr + f->bias, f->plt.syms[i].size,
				  f->plt.syms[i].name, 3u << 28 | (uint32_t)i};
	if (!f->nsyms)
		return 0;
	qsort(f->syms, f->nsyms, sizeof(*f->syms), fsym_cmp);
	size_t k = 0;
	for (size_t i = 0; i < f->nsyms; i++)
		if (!k || f->syms[k - 1].addr != f->syms[i].addr)
			f->syms[k++] = f->syms[i];
	f->nsyms = k;
	return 0;
}

/* The symbol for `addr`: one whose [addr, addr + size) holds it (*covers = true), else the
 * nearest sizeless symbol below it (*covers = false), else NULL. */
const struct fsym *sc_sym_find_symbol(const struct sym_file *f, uint64_t addr, bool *covers)
{
	size_t lo = SC_UPPER_BOUND(f->syms, f->nsyms, addr, addr);
	*covers = false;
	if (!lo)
		return NULL;
	const struct fsym *best = &f->syms[lo - 1];
	if (!best->size)
		return best;
	/* A symbol may nest inside a bigger one (rare): look back a little. */
	for (size_t i = lo, tries = 0; i > 0 && tries < 4; i--, tries++) {
		const struct fsym *c = &f->syms[i - 1];
		if (c->size && addr - c->addr < c->size) {
			*covers = true;
			return c;
		}
	}
	return NULL;
}

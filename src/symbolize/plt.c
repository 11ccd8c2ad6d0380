/*
 * plt.c: naming PLT stubs (see plt.h).
 *
 * Three passes over the section headers: find the dynamic symbol table; collect every JUMP_SLOT
 * and GLOB_DAT relocation against it as (GOT slot address -> symbol name), keeping .rela.plt's
 * order for "push $N" stubs; then walk .plt, .plt.sec and .plt.got in steps of their entry size
 * (sh_entsize, or 16 bytes) and decode each stub's first instruction. Slots are looked up by
 * binary search in a sorted copy. Names are built into one growing buffer; their offsets become
 * pointers only at the end, once the buffer stops moving.
 */
#include "symbolize/plt.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/vec.h"
#include "util/search.h"

struct slot {
	uint64_t got;
	const char *sym; /* owned by libelf */
};

struct stub {
	uint64_t addr, size;
	size_t name_off;
};

typedef SC_VEC(struct slot) slot_vec;
typedef SC_VEC(const char *) name_vec;

static int slot_cmp(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	return x->got < y->got ? -1 : x->got > y->got;
}

static const char *slot_find(const struct slot *v, size_t n, uint64_t got)
{
	size_t lo = SC_LOWER_BOUND(v, n, got, got);
	return lo < n && v[lo].got == got ? v[lo].sym : NULL;
}

static uint32_t le32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Decodes the stub at `code` (len bytes, at address `addr`): returns 1 with *got set for
 * "jmp *disp32(%rip)", 2 with *index set for "push $imm32", 0 otherwise. */
static int decode_x86_64(const unsigned char *code, size_t len, uint64_t addr, uint64_t *got,
			 uint64_t *index)
{
	size_t i = 0;
	if (len >= 4 && code[0] == 0xf3 && code[1] == 0x0f && code[2] == 0x1e && code[3] == 0xfa)
		i = 4; /* endbr64 */
	if (i < len && code[i] == 0xf2)
		i++; /* bnd */
	if (i + 6 <= len && code[i] == 0xff && code[i + 1] == 0x25) {
		int32_t disp = (int32_t)le32(code + i + 2);
		*got = addr + i + 6 + (uint64_t)(int64_t)disp;
		return 1;
	}
	if (i + 5 <= len && code[i] == 0x68) {
		*index = le32(code + i + 1);
		return 2;
	}
	return 0;
}

static bool is_plt_section(const char *name)
{
	return name &&
	       (!strcmp(name, ".plt") || !strcmp(name, ".plt.sec") || !strcmp(name, ".plt.got"));
}

/* The defined functions of .dynsym by value, for IRELATIVE slots, built on first use. */
struct ifuncs {
	slot_vec v; /* (value, name): `got` holds the symbol's value */
	bool built;
};

static int value_cmp(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	if (x->got != y->got)
		return x->got < y->got ? -1 : 1;
	/* of aliases, fewer leading underscores first ("memmove" before "__memmove") */
	size_t ux = strspn(x->sym, "_"), uy = strspn(y->sym, "_");
	return ux != uy ? (ux < uy ? -1 : 1) : strcmp(x->sym, y->sym);
}

/* The name of the function at `value` (an IRELATIVE slot's resolver: the GNU indirect function
 * itself, such as libc's memmove), or NULL. */
static const char *ifunc_name(struct ifuncs *t, Elf *elf, Elf_Data *syms, size_t dynstr,
			      uint64_t value, int *err)
{
	if (!t->built) {
		t->built = true;
		GElf_Sym sym;
		for (int i = 1; gelf_getsym(syms, i, &sym); i++) {
			int type = GELF_ST_TYPE(sym.st_info);
			const char *name = elf_strptr(elf, dynstr, sym.st_name);
			if (!name || !*name || sym.st_shndx == SHN_UNDEF ||
			    (type != STT_FUNC && type != STT_GNU_IFUNC))
				continue;
			if (sc_vec_push(&t->v, ((struct slot){sym.st_value, name})) < 0) {
				*err = -ENOMEM;
				return NULL;
			}
		}
		if (t->v.len)
			qsort(t->v.data, t->v.len, sizeof(*t->v.data), value_cmp);
	}
	return slot_find(t->v.data, t->v.len, value);
}

/* Collects the JUMP_SLOT/GLOB_DAT relocations of one SHT_RELA section against the dynamic
 * symbols, and the IRELATIVE ones named after their indirect function; those of .rela.plt also
 * go, in order, to `lazy`. */
static int read_relocs(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, Elf_Scn *dynsym, size_t dynstr,
		       slot_vec *slots, name_vec *lazy, bool is_rela_plt, struct ifuncs *ifn)
{
	Elf_Data *d = elf_getdata(scn, NULL), *syms = elf_getdata(dynsym, NULL);
	if (!d || !syms || !sh->sh_entsize)
		return 0;
	size_t n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Rela r;
		GElf_Sym sym;
		if (!gelf_getrela(d, (int)i, &r))
			break;
		uint64_t type = GELF_R_TYPE(r.r_info), si = GELF_R_SYM(r.r_info);
		const char *name = NULL;
		if (si && gelf_getsym(syms, (int)si, &sym))
			name = elf_strptr(elf, dynstr, sym.st_name);
		if (name && !*name)
			name = NULL;
		if (type == R_X86_64_IRELATIVE && !si) {
			int err = 0;
			name = ifunc_name(ifn, elf, syms, dynstr, (uint64_t)r.r_addend, &err);
			if (err)
				return err;
		}
		if (is_rela_plt && sc_vec_push(lazy, name) < 0)
			return -ENOMEM;
		if (name &&
		    (type == R_X86_64_JUMP_SLOT || type == R_X86_64_GLOB_DAT ||
		     type == R_X86_64_IRELATIVE) &&
		    sc_vec_push(slots, ((struct slot){r.r_offset, name})) < 0)
			return -ENOMEM;
	}
	return 0;
}

int sc_plt_read(sc_plt *p, Elf *elf)
{
	*p = (sc_plt){0};
	GElf_Ehdr eh;
	size_t shstrndx;
	if (!gelf_getehdr(elf, &eh) || eh.e_machine != EM_X86_64 ||
	    elf_getshdrstrndx(elf, &shstrndx) != 0)
		return 0;

	Elf_Scn *dynsym = NULL;
	size_t dynstr = 0;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNSYM) {
			dynsym = scn;
			dynstr = sh.sh_link;
		}
	}
	if (!dynsym)
		return 0;

	slot_vec slots = {0};
	name_vec lazy = {0};
	struct ifuncs ifn = {0};
	SC_VEC(struct stub) stubs = {0};
	sc_strbuf names = {0};
	int r = 0;
	for (Elf_Scn *scn = NULL; r == 0 && (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA ||
		    sh.sh_link != elf_ndxscn(dynsym))
			continue;
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		r = read_relocs(elf, scn, &sh, dynsym, dynstr, &slots, &lazy,
				name && !strcmp(name, ".rela.plt"), &ifn);
	}
	if (r < 0)
		goto out;
	if (slots.len)
		qsort(slots.data, slots.len, sizeof(*slots.data), slot_cmp);

	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) ||
		    !is_plt_section(elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		uint64_t step = sh.sh_entsize ? sh.sh_entsize : 16;
		if (!d || !d->d_buf || d->d_size < sh.sh_size)
			continue;
		for (uint64_t off = 0; off + step <= sh.sh_size; off += step) {
			uint64_t got = 0, index = 0;
			const char *sym = NULL;
			switch (decode_x86_64((const unsigned char *)d->d_buf + off, (size_t)step,
					      sh.sh_addr + off, &got, &index)) {
			case 1:
				sym = slot_find(slots.data, slots.len, got);
				break;
			case 2:
				sym = index < lazy.len ? lazy.data[index] : NULL;
				break;
			}
			if (!sym)
				continue;
			struct stub st = {sh.sh_addr + off, step, names.len};
			if (sc_strbuf_addf(&names, "%s@plt", sym) < 0 ||
			    sc_strbuf_addc(&names, '\0') < 0 || sc_vec_push(&stubs, st) < 0) {
				r = -ENOMEM;
				goto out;
			}
		}
	}
	if (!stubs.len)
		goto out;
	p->syms = malloc(stubs.len * sizeof(*p->syms));
	if (!p->syms) {
		r = -ENOMEM;
		goto out;
	}
	p->names = names.buf;
	names = (sc_strbuf){0};
	for (size_t i = 0; i < stubs.len; i++)
		p->syms[i] = (sc_pltsym){stubs.data[i].addr, stubs.data[i].size,
					 p->names + stubs.data[i].name_off};
	p->n = stubs.len;
out:
	sc_strbuf_release(&names);
	sc_vec_release(&stubs);
	sc_vec_release(&lazy);
	sc_vec_release(&slots);
	sc_vec_release(&ifn.v);
	return r;
}

void sc_plt_release(sc_plt *p)
{
	free(p->syms);
	free(p->names);
	*p = (sc_plt){0};
}

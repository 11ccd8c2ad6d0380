/*
 * unnamed.c: what no symbol names. An address nothing names never disappears: it joins one
 * function per unnamed region, the module's CFI function (the .eh_frame FDE, starts read from
 * .eh_frame_hdr's table) holding it, "module+0xSTART", else "[module]" (sc_sym_unnamed_name), so
 * one stripped library shows as one row per hot function instead of one row per address.
 *
 * Afterwards sc_sym_unnamed_shares counts, per module, the samples whose innermost frame got no
 * symbol, and why, for the summary the CLI prints ("97% of samples in liblzma.so.5 have no
 * symbol").
 *
 * Read sym.h for the other files.
 */
#include "symbolize/sym.h"

#include <dwarf.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/search.h"

/* Whether a mapping names anonymous memory (where JIT compilers put code) rather than a file. */
static bool anon_name(const char *path)
{
	return !*path || !strcmp(path, "//anon") || !strncmp(path, "[anon", 5) ||
	       !strncmp(path, "/memfd:", 7) || !strcmp(path, "/dev/zero") ||
	       !strncmp(path, "/anon_hugepage", 14);
}

bool sc_sym_is_anon(const struct sym *s, const sc_mapping *m)
{
	return m && !m->kernel && anon_name(sc_profile_str(s->p, m->file));
}

/* Whether the file has neither a full symbol table nor DWARF (in itself or a debug file): then
 * only .dynsym's exported functions have names. Decided once per file. */
bool sc_sym_file_stripped(struct sym_file *f)
{
	if (!f->stripped) {
		GElf_Addr bias;
		Elf *elf = dwfl_module_getelf(f->mod, &bias);
		bool symtab = false;
		for (Elf_Scn *scn = NULL; elf && !symtab && (scn = elf_nextscn(elf, scn));) {
			GElf_Shdr sh;
			symtab = gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB;
		}
		f->stripped = symtab || dwfl_module_getdwarf(f->mod, &bias) ? 2 : 1;
	}
	return f->stripped == 1;
}

/* Reads the starts of the functions that .eh_frame describes, from the binary search table of
 * .eh_frame_hdr (PT_GNU_EH_FRAME), sorted by address as the linker writes it. Only the table
 * encoding every linker uses (4-byte offsets from the header) is read; other files get none. */
static int read_fde_starts(struct sym_file *f)
{
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(f->mod, &bias);
	size_t nph;
	f->fde_read = true;
	if (!elf || elf_getphdrnum(elf, &nph) != 0)
		return 0;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_GNU_EH_FRAME ||
		    ph.p_filesz < 12)
			continue;
		Elf_Data *d =
		    elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_BYTE);
		const unsigned char *h = d ? d->d_buf : NULL;
		/* version 1; eh_frame_ptr as 4 bytes; fde_count udata4; table datarel|sdata4 */
		if (!h || h[0] != 1 || (h[1] & 0x0f) != DW_EH_PE_sdata4 ||
		    h[2] != DW_EH_PE_udata4 || h[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
			return 0;
		uint32_t n;
		memcpy(&n, h + 8, 4);
		if (n > (ph.p_filesz - 12) / 8)
			return 0;
		f->fde_starts = malloc((n ? n : 1) * sizeof(*f->fde_starts));
		if (!f->fde_starts)
			return -ENOMEM;
		for (uint32_t k = 0; k < n; k++) {
			int32_t rel;
			memcpy(&rel, h + 12 + 8 * (size_t)k, 4);
			f->fde_starts[k] = ph.p_vaddr + (uint64_t)(int64_t)rel;
		}
		f->nfde = n;
		return 0;
	}
	return 0;
}

/* The start (an ELF virtual address) of the function holding `vaddr`, as the module's CFI
 * bounds it: some FDE must cover the address (libdw's lookup), and since FDEs do not overlap,
 * it is the one with the greatest start at or below it. Returns 1, 0 (none), or -ENOMEM. */
static int cfi_start(struct sym_file *f, uint64_t vaddr, uint64_t *start)
{
	Dwarf_Addr bias;
	Dwarf_CFI *cfi = dwfl_module_eh_cfi(f->mod, &bias);
	Dwarf_Frame *frame = NULL;
	if (!cfi || dwarf_cfi_addrframe(cfi, vaddr + f->bias - bias, &frame) != 0)
		return 0;
	free(frame);
	if (!f->fde_read && read_fde_starts(f) < 0)
		return -ENOMEM;
	size_t lo = sc_upper_bound_u64(f->fde_starts, f->nfde, sizeof(uint64_t), 0, vaddr);
	if (!lo)
		return 0;
	*start = f->fde_starts[lo - 1];
	return 1;
}

/* Names, in s->sb, the unnamed region holding `vaddr` of mapping `m`: "module+0xSTART" for the
 * CFI function holding it (f: its readable, matching file, else NULL), else "[module]". */
int sc_sym_unnamed_name(struct sym *s, const sc_mapping *m, struct sym_file *f, uint64_t vaddr)
{
	const char *base = sc_sym_base_name(sc_profile_str(s->p, m->file));
	uint64_t sv;
	int r = f ? cfi_start(f, vaddr, &sv) : 0;
	sc_strbuf_reset(&s->sb);
	if (r < 0)
		return r;
	if (r) {
		for (size_t i = 0; i < f->nsegs; i++) {
			const struct seg *g = &f->segs[i];
			if (sv >= g->vaddr && sv - g->vaddr < g->filesz)
				return sc_strbuf_addf(&s->sb, "%s+0x%" PRIx64, base,
						      g->off + (sv - g->vaddr));
		}
	}
	if (!*base)
		base = "anon";
	return sc_strbuf_addf(&s->sb, base[0] == '[' ? "%s" : "[%s]", base);
}

static bool worse(const sc_sym_unnamed *a, const sc_sym_unnamed *b)
{
	return a->unnamed != b->unnamed ? a->unnamed > b->unnamed : a->module < b->module;
}

/* Counts, per module, the samples whose innermost frame was symbolized here, and those of them
 * that got no symbol; keeps the SC_SYM_WORST modules with the most unnamed samples. */
int sc_sym_unnamed_shares(struct sym *s)
{
	sc_profile *p = s->p;
	SC_VEC(sc_sym_unnamed) mods = {0};
	uint32_t *mod_of = calloc(p->mappings.len + 1, sizeof(*mod_of)); /* by mapping: 1 + index */
	int r = -ENOMEM;
	if (!mod_of)
		return r;
	for (size_t i = 0; i < p->samples.len; i++) {
		sc_stack_id n = p->samples.data[i].stack;
		uint32_t loc = n && n < p->nodes.len ? p->nodes.data[n].location : 0;
		if (!loc || loc > p->locations.len || s->why[loc] == NOT_LOOKED_AT)
			continue;
		uint32_t mapping = p->locations.data[loc - 1].mapping;
		if (mapping > p->mappings.len)
			mapping = 0;
		if (!mod_of[mapping]) {
			sc_str file = mapping ? p->mappings.data[mapping - 1].file : 0;
			size_t k = 0;
			while (k < mods.len && mods.data[k].module != file)
				k++;
			if (k == mods.len &&
			    sc_vec_push(&mods, ((sc_sym_unnamed){.module = file})) < 0)
				goto out;
			mod_of[mapping] = (uint32_t)k + 1;
		}
		sc_sym_unnamed *u = &mods.data[mod_of[mapping] - 1];
		u->samples++;
		s->st.samples++;
		if (s->why[loc] == SC_SYM_NAMED)
			continue;
		if (!u->unnamed) {
			u->why = (enum sc_sym_reason)s->why[loc];
			u->pid = p->samples.data[i].pid;
			u->map_error = -ENOENT;
			for (size_t k = 0; k < s->jit_maps.len; k++)
				if (s->jit_maps.data[k].pid == u->pid)
					u->map_error = s->jit_maps.data[k].err;
		}
		u->unnamed++;
		s->st.unnamed_samples++;
	}
	for (size_t i = 0; i < mods.len; i++) {
		if (!mods.data[i].unnamed)
			continue;
		size_t k = s->st.nworst;
		if (k == SC_SYM_WORST && !worse(&mods.data[i], &s->st.worst[k - 1]))
			continue;
		if (k == SC_SYM_WORST)
			k--;
		for (; k > 0 && worse(&mods.data[i], &s->st.worst[k - 1]); k--)
			s->st.worst[k] = s->st.worst[k - 1];
		s->st.worst[k] = mods.data[i];
		if (s->st.nworst < SC_SYM_WORST)
			s->st.nworst++;
	}
	r = 0;
out:
	sc_vec_release(&mods);
	free(mod_of);
	return r;
}

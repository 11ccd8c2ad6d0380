/*
 * modules.c: the cache of opened ELF files. See modules.h.
 *
 * Files are found by a hash of their path; each module is a separate allocation so a number (an
 * index into `mods`) stays valid while the vector grows. CFI handles are opened lazily: a module
 * only ever symbolized never parses its .eh_frame.
 */
#include "unwind/modules.h"
#include "util/hashmap.h"
#include "util/vec.h"

#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

struct segment {
	uint64_t offset, filesz, vaddr;
};

struct module {
	char *path;
	int err; /* 0 or the -errno sc_modcache_open returns for this path */
	Elf *elf;
	struct segment *segs;
	size_t nsegs;
	bool eh_tried, dbg_tried, fp_tried, fp;
	Dwarf_CFI *eh;	/* from dwarf_getcfi_elf: ours to end */
	Dwarf *dwarf;	/* for .debug_frame: its CFI belongs to it */
	Dwarf_CFI *dbg; /* borrowed from dwarf */
	void *image;	/* the vDSO's copy that elf reads, or NULL */
};

struct sc_modcache {
	int refs;
	SC_VEC(struct module *) mods;
	sc_hashmap index; /* hash of path -> index into mods */
	sc_modcache_stats stats;
};

sc_modcache *sc_modcache_new(void)
{
	elf_version(EV_CURRENT);
	sc_modcache *mc = calloc(1, sizeof(*mc));
	if (mc)
		mc->refs = 1;
	return mc;
}

sc_modcache *sc_modcache_ref(sc_modcache *mc)
{
	mc->refs++;
	return mc;
}

static void module_free(struct module *m)
{
	if (!m)
		return;
	if (m->eh)
		dwarf_cfi_end(m->eh);
	if (m->dwarf)
		dwarf_end(m->dwarf);
	if (m->elf)
		elf_end(m->elf);
	free(m->segs);
	free(m->image);
	free(m->path);
	free(m);
}

void sc_modcache_unref(sc_modcache *mc)
{
	if (!mc || --mc->refs > 0)
		return;
	for (size_t i = 0; i < mc->mods.len; i++)
		module_free(mc->mods.data[i]);
	sc_vec_release(&mc->mods);
	sc_hashmap_release(&mc->index);
	free(mc);
}

/* Fills the segments of m->elf; returns 0, -ENOMEM or -ENOEXEC. */
static int read_segments(struct module *m)
{
	int r = -ENOEXEC;
	GElf_Ehdr eh;
	if (elf_kind(m->elf) != ELF_K_ELF || !gelf_getehdr(m->elf, &eh) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
		goto out;
	size_t nph;
	if (elf_getphdrnum(m->elf, &nph) != 0 || nph == 0)
		goto out;
	m->segs = calloc(nph, sizeof(*m->segs));
	if (!m->segs) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(m->elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_filesz)
			m->segs[m->nsegs++] =
			    (struct segment){ph.p_offset, ph.p_filesz, ph.p_vaddr};
	}
	if (m->nsegs)
		r = 0;
out:
	return r;
}

/* Opens m->path and fills the ELF handle and segments; returns 0, -ENOMEM or another -errno. */
static int load_file(struct module *m)
{
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = -ENOEXEC;
	m->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (m->elf) {
		/* The whole file is mapped now; keeping the descriptor would cost one per
		 * library. */
		elf_cntl(m->elf, ELF_C_FDDONE);
		r = read_segments(m);
	}
	close(fd);
	return r;
}

/* The kernel maps one vDSO image into every process; this process's copy (found through the
 * auxiliary vector) stands for all of them. Its size: up to the end of its section headers,
 * which the kernel's build places last, or of its segments. */
static int load_vdso(struct module *m)
{
	const unsigned char *base = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	if (!base)
		return -ENOENT;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return -ENOEXEC;
	uint64_t size = eh->e_shoff + (uint64_t)eh->e_shnum * eh->e_shentsize;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_offset + ph[i].p_filesz > size)
			size = ph[i].p_offset + ph[i].p_filesz;
	if (size > (64u << 20))
		return -ENOEXEC;
	m->image = malloc(size);
	if (!m->image)
		return -ENOMEM;
	memcpy(m->image, base, size);
	m->elf = elf_memory(m->image, size);
	return m->elf ? read_segments(m) : -ENOEXEC;
}

static bool path_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_modcache *mc = ctx;
	return strcmp(mc->mods.data[value]->path, key) == 0;
}

int sc_modcache_open(sc_modcache *mc, const char *path)
{
	uint64_t h = sc_hash_bytes(path, strlen(path), 0x6d6f64), v;
	if (sc_hashmap_get(&mc->index, h, path_eq, path, mc, &v)) {
		const struct module *m = mc->mods.data[v];
		return m->err ? m->err : (int)v;
	}
	if (mc->mods.len >= INT32_MAX)
		return -ENOMEM;
	struct module *m = calloc(1, sizeof(*m));
	int r = -ENOMEM;
	if (!m || !(m->path = strdup(path)) || sc_vec_reserve(&mc->mods, 1) < 0)
		goto fail;
	r = strcmp(path, "[vdso]") ? load_file(m) : load_vdso(m);
	if (r == -ENOMEM || sc_hashmap_put(&mc->index, h, mc->mods.len) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	if (r < 0) {
		/* Keep only the path: the failure is what we remember. */
		if (m->elf)
			elf_end(m->elf);
		m->elf = NULL;
		free(m->segs);
		m->segs = NULL;
		m->nsegs = 0;
		free(m->image);
		m->image = NULL;
		m->err = r;
		mc->stats.files_failed++;
	}
	mc->stats.files++;
	mc->mods.data[mc->mods.len++] = m;
	return r < 0 ? r : (int)mc->mods.len - 1;
fail:
	module_free(m);
	return r;
}

size_t sc_modcache_count(const sc_modcache *mc)
{
	return mc->mods.len;
}

void sc_modcache_get_stats(const sc_modcache *mc, sc_modcache_stats *out)
{
	*out = mc->stats;
}

static struct module *get(const sc_modcache *mc, int m)
{
	if (m < 0 || (size_t)m >= mc->mods.len || mc->mods.data[m]->err)
		return NULL;
	return mc->mods.data[m];
}

const char *sc_module_path(const sc_modcache *mc, int m)
{
	return m >= 0 && (size_t)m < mc->mods.len ? mc->mods.data[m]->path : NULL;
}

Elf *sc_module_elf(const sc_modcache *mc, int m)
{
	struct module *mod = get(mc, m);
	return mod ? mod->elf : NULL;
}

bool sc_module_vaddr(const sc_modcache *mc, int m, uint64_t off, uint64_t *vaddr)
{
	struct module *mod = get(mc, m);
	for (size_t i = 0; mod && i < mod->nsegs; i++) {
		const struct segment *s = &mod->segs[i];
		if (off - s->offset < s->filesz) {
			*vaddr = s->vaddr + (off - s->offset);
			return true;
		}
	}
	return false;
}

Dwarf_CFI *sc_module_eh_frame(sc_modcache *mc, int m)
{
	struct module *mod = get(mc, m);
	if (!mod)
		return NULL;
	if (!mod->eh_tried) {
		mod->eh_tried = true;
		mod->eh = dwarf_getcfi_elf(mod->elf);
	}
	return mod->eh;
}

Dwarf_CFI *sc_module_debug_frame(sc_modcache *mc, int m)
{
	struct module *mod = get(mc, m);
	if (!mod)
		return NULL;
	if (!mod->dbg_tried) {
		mod->dbg_tried = true;
		/* Most distribution files have no .debug_frame: look before letting libdw index
		 * the DWARF sections. */
		size_t shstrndx;
		Elf_Scn *scn = NULL;
		bool found = false;
		if (elf_getshdrstrndx(mod->elf, &shstrndx) == 0)
			while (!found && (scn = elf_nextscn(mod->elf, scn))) {
				GElf_Shdr sh;
				const char *name;
				found = gelf_getshdr(scn, &sh) && sh.sh_type == SHT_PROGBITS &&
					(name = elf_strptr(mod->elf, shstrndx, sh.sh_name)) &&
					!strcmp(name, ".debug_frame");
			}
		if (found)
			mod->dwarf = dwarf_begin_elf(mod->elf, DWARF_C_READ, NULL);
		if (mod->dwarf)
			mod->dbg = dwarf_getcfi(mod->dwarf);
	}
	return mod->dbg;
}

/* Whether the FDE's instructions make %rbp the CFA register: DW_CFA_def_cfa_register r6 (0x0d
 * 0x06) or DW_CFA_def_cfa r6, N (0x0c 0x06). A byte scan, not a parse: operands of other
 * instructions could match, which a majority vote over the whole file absorbs. The first 8 bytes
 * are the FDE's address and length. */
static bool fde_uses_rbp(const uint8_t *p, const uint8_t *end)
{
	for (p += 8; p + 1 < end; p++)
		if ((p[0] == DW_CFA_def_cfa_register || p[0] == DW_CFA_def_cfa) && p[1] == 6)
			return true;
	return false;
}

bool sc_module_has_frame_pointers(sc_modcache *mc, int m)
{
	struct module *mod = get(mc, m);
	if (!mod)
		return false;
	if (mod->fp_tried)
		return mod->fp;
	mod->fp_tried = true;
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	Elf_Data *data = NULL;
	if (elf_getshdrstrndx(mod->elf, &shstrndx) != 0)
		return false;
	while (!data && (scn = elf_nextscn(mod->elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_PROGBITS &&
		    (name = elf_strptr(mod->elf, shstrndx, sh.sh_name)) &&
		    !strcmp(name, ".eh_frame"))
			data = elf_getdata(scn, NULL);
	}
	if (!data)
		return false;
	const unsigned char *ident = (const unsigned char *)elf_getident(mod->elf, NULL);
	uint64_t fdes = 0, framed = 0;
	Dwarf_Off off = 0, next;
	Dwarf_CFI_Entry e;
	while (ident && dwarf_next_cfi(ident, data, true, off, &next, &e) == 0) {
		if (!dwarf_cfi_cie_p(&e)) {
			fdes++;
			framed += fde_uses_rbp(e.fde.start, e.fde.end);
		}
		off = next;
	}
	mod->fp = fdes && framed * 2 > fdes;
	return mod->fp;
}

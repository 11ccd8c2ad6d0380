/*
 * files.c: the file behind a mapping, opened once per path. The ELF handle comes from the module
 * cache (src/unwind/modules.h: the recorder's, whose unwinder opened most files while recording,
 * or the symbolizer's own), and is reported to a libdwfl session of the file's own at the
 * addresses the file names, so libdwfl's bias is 0. libdwfl's standard search finds separate
 * debug files: build-id under /usr/lib/debug/.build-id/ and .gnu_debuglink beside the file or
 * under /usr/lib/debug (sc_sym_options.debuginfo_path replaces that path). The caller's aliases
 * name what to read for a deleted or replaced binary. "[vdso]" is the cache's copy of this
 * process's vDSO image, the one the same kernel maps into every process.
 *
 * Also here: a file's PT_LOAD segments (file offsets to ELF addresses) and its build-id.
 * Read sym.h for the other files.
 */
#include "symbolize/sym.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *sc_sym_debuginfo_path;

static bool file_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct sym *s = ctx;
	return s->files.data[value].path == *(const sc_str *)key;
}

const char *sc_sym_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Reads what we need from an opened module: its bias, load segments and build-id. */
static int describe_file(struct sym *s, struct sym_file *f)
{
	Elf *elf = dwfl_module_getelf(f->mod, &f->bias);
	size_t n;
	if (!elf || elf_getphdrnum(elf, &n) != 0)
		return -ENOENT;
	f->segs = calloc(n ? n : 1, sizeof(*f->segs));
	if (!f->segs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			f->segs[f->nsegs++] = (struct seg){ph.p_offset, ph.p_filesz, ph.p_vaddr};
	}
	const unsigned char *bits;
	GElf_Addr where;
	int len = dwfl_module_build_id(f->mod, &bits, &where);
	if (len > 0) {
		static const char hex[] = "0123456789abcdef";
		sc_strbuf_reset(&s->sb);
		for (int i = 0; i < len; i++)
			if (sc_strbuf_addc(&s->sb, hex[bits[i] >> 4]) < 0 ||
			    sc_strbuf_addc(&s->sb, hex[bits[i] & 15]) < 0)
				return -ENOMEM;
		int64_t id = sc_profile_intern(s->p, sc_strbuf_cstr(&s->sb));
		if (id < 0)
			return -ENOMEM;
		f->build_id = (sc_str)id;
	}
	return 0;
}

/* libdwfl's find_elf callback: the module's ELF handle is the cache's, given to libdwfl as one
 * more reference (elf_begin on a handle counts a reference; libdwfl's elf_end drops it), so the
 * file is opened and parsed once for the unwinder and the symbolizer. The file name lets
 * dwfl_standard_find_debuginfo look for .gnu_debuglink files beside it. The userdata is the
 * sym_file being opened; libdwfl asks once, from describe_file() in open_file(), after which
 * the userdata is cleared (the sym_file moves into s->files). */
static int cached_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		      char **file_name, Elf **elfp)
{
	(void)mod;
	(void)modname;
	(void)base;
	const struct sym_file *f = *userdata;
	*elfp = NULL;
	if (!f)
		return -1;
	*file_name = strdup(f->read_path);
	if (!*file_name)
		return -1;
	*elfp = elf_begin(-1, ELF_C_READ_MMAP, sc_module_elf(f->mc, f->module));
	return -1; /* no descriptor: the cache closed it once the file was mapped */
}

/* For ELF files the module cache does not take (another machine or class than x86-64's: a
 * 32-bit program's files), libdwfl opens the file itself, as it reads any ELF. */
static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &sc_sym_debuginfo_path,
};

static const Dwfl_Callbacks cached_callbacks = {
    .find_elf = cached_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &sc_sym_debuginfo_path,
};

/* Reports module f->module of the cache to a new libdwfl session at the addresses its ELF file
 * names (so that libdwfl's bias is 0, as for a fixed-address executable). Leaves f->dwfl NULL
 * when the file has no loadable segment. */
static int report_module(struct sym_file *f, const char *name)
{
	Elf *elf = sc_module_elf(f->mc, f->module);
	size_t n;
	if (!elf || elf_getphdrnum(elf, &n) != 0)
		return 0;
	uint64_t lo = 0, hi = 0;
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (first)
			lo = ph.p_align ? ph.p_vaddr & -ph.p_align : ph.p_vaddr;
		first = false;
		if (ph.p_vaddr + ph.p_memsz > hi)
			hi = ph.p_vaddr + ph.p_memsz;
	}
	if (first || hi <= lo)
		return 0;
	f->dwfl = dwfl_begin(&cached_callbacks);
	if (!f->dwfl)
		return -ENOMEM;
	f->mod = dwfl_report_module(f->dwfl, name, lo, hi);
	dwfl_report_end(f->dwfl, NULL, NULL);
	if (!f->mod) {
		dwfl_end(f->dwfl);
		f->dwfl = NULL;
		return 0;
	}
	void **userdata;
	dwfl_module_info(f->mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	*userdata = f;
	return 0;
}

/* Opens a file through the module cache and libdwfl (or libdwfl alone for an ELF file the cache
 * does not take); leaves f->dwfl NULL when it cannot be read as ELF. The caller's aliases may name
 * another path to read (a deleted binary kept open) or none. "[vdso]" is the cache's copy of this
 * process's vDSO image: the kernel maps the same one into every process. */
static int open_file(struct sym *s, struct sym_file *f)
{
	const char *name = sc_profile_str(s->p, f->path), *path = name;
	for (size_t i = 0; i < s->o.naliases; i++)
		if (s->o.aliases[i].file == f->path) {
			path = s->o.aliases[i].read_path;
			if (!path)
				return 0;
			break;
		}
	struct stat st;
	/* Mappings also name "//anon", devices and FIFOs: only regular files are read, since
	 * opening a FIFO would block. */
	if (strcmp(path, "[vdso]") != 0 &&
	    (path[0] != '/' || stat(path, &st) != 0 || !S_ISREG(st.st_mode)))
		return 0;
	int m = sc_modcache_open(s->mc, path), r = 0;
	if (m == -ENOEXEC && path[0] == '/') {
		f->dwfl = dwfl_begin(&offline_callbacks);
		if (!f->dwfl)
			return -ENOMEM;
		f->mod = dwfl_report_offline(f->dwfl, sc_sym_base_name(name), path, -1);
		dwfl_report_end(f->dwfl, NULL, NULL);
		r = f->mod ? describe_file(s, f) : -ENOENT;
	} else if (m < 0) {
		return m == -ENOMEM ? m : 0;
	} else {
		f->mc = s->mc;
		f->module = m;
		f->read_path = sc_module_path(s->mc, m);
		r = report_module(f, strcmp(path, "[vdso]") ? sc_sym_base_name(name) : "[vdso]");
		if (r == 0 && f->dwfl) {
			r = describe_file(s, f);
			void **userdata;
			dwfl_module_info(f->mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
			*userdata = NULL;
		}
	}
	if (r < 0) {
		if (f->dwfl)
			dwfl_end(f->dwfl);
		f->dwfl = NULL;
		f->mod = NULL;
		free(f->segs);
		f->segs = NULL;
		f->nsegs = 0;
	}
	return r == -ENOMEM ? r : 0;
}

/* The file of a mapping, opened on first use. Returns its index or -ENOMEM. */
int64_t sc_sym_file_for(struct sym *s, const sc_mapping *m)
{
	uint64_t v;
	if (sc_hashmap_get(&s->file_index, sc_hash_u64(m->file), file_eq, &m->file, s, &v))
		return (int64_t)v;
	struct sym_file f = {.path = m->file};
	int r = open_file(s, &f);
	if (r < 0)
		return r;
	if (sc_vec_reserve(&s->files, 1) < 0 ||
	    sc_hashmap_put(&s->file_index, sc_hash_u64(m->file), s->files.len) < 0) {
		if (f.dwfl)
			dwfl_end(f.dwfl);
		free(f.segs);
		return -ENOMEM;
	}
	s->files.data[s->files.len] = f;
	s->st.files++;
	if (!f.dwfl)
		s->st.files_missing++;
	return (int64_t)s->files.len++;
}

bool sc_sym_vaddr_of(const struct sym_file *f, uint64_t fileoff, uint64_t *vaddr)
{
	for (size_t i = 0; i < f->nsegs; i++) {
		const struct seg *g = &f->segs[i];
		if (fileoff >= g->off && fileoff - g->off < g->filesz) {
			*vaddr = g->vaddr + (fileoff - g->off);
			return true;
		}
	}
	return false;
}

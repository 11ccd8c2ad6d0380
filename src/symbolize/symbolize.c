/*
 * symbolize.c: sc_symbolize_profile, addresses to inline chains of (function, line).
 *
 * The flow, per location that has no lines yet:
 *
 *   mapping  -> the file it names, taken from the module cache (src/unwind/modules.h: the
 *               recorder's, whose unwinder opened most files already, or our own) and handed to
 *               a libdwfl session of its own (the process is usually gone; only the file on disk
 *               matters). Separate debug files are found by dwfl_standard_find_debuginfo:
 *               build-id under /usr/lib/debug/.build-id/ and .gnu_debuglink beside the file or
 *               under /usr/lib/debug.
 *   address  -> file offset (address - start + mapping offset) -> ELF virtual address through the
 *               PT_LOAD segment holding that offset -> libdwfl address (plus the module's bias).
 *               The same arithmetic serves PIE executables, shared libraries and fixed-address
 *               executables, and lets every process that mapped a file share one cache.
 *   vaddr    -> the chain: the subprogram holding the address (from a per-CU index of subprogram
 *               ranges, built on first use), then the lexical blocks and inlined_subroutine DIEs
 *               below it that hold the address, listed innermost first. The innermost frame's
 *               line comes from the line table; each outer frame's line is the call site
 *               (DW_AT_call_line) of the frame inside it. The real function is named from the
 *               symbol table when a symbol covers the address (so clones like "foo.cold" keep
 *               their name), else from DWARF. Symbols are looked up in a sorted copy of the
 *               module's table (libdwfl's own lookup is a linear scan per address).
 *
 * PLT stubs join the symbol table as sized symbols "memcpy@plt" (plt.c), so that they neither
 * stay unnamed nor borrow the sizeless symbol before them (often _init).
 *
 * "[vdso]" is read from this process's own vDSO image (the module cache's copy).
 *
 * Each distinct (file, vaddr) is resolved once and each (file, DIE, symbol) becomes a function
 * once, so the cost follows the number of distinct addresses, not of samples or processes.
 * Anything that cannot be resolved still gets a function, so no sample loses its frame: the
 * unnamed function of the module's CFI (the .eh_frame FDE) holding the address,
 * "module+0xSTART", else "[module]" (unnamed_name()), or "[unknown]" outside any mapping. One
 * stripped library thus shows as one row per hot function instead of one row per sampled
 * address. Kernel addresses go to kallsyms.c.
 *
 * JIT code: addresses in anonymous executable memory (or in no mapping) are named from
 * perf-PID.map files (perfmap.c). Locations do not carry a pid (one location may serve several
 * processes), so the pids come from the samples: jit_pids() walks each sample's stack once per
 * (node, pid) and lists the (location, pid) pairs of candidate locations.
 *
 * Afterwards unnamed_shares() counts, per module, the samples whose innermost frame got no
 * symbol, for the summary the CLI prints ("97% of samples in liblzma.so.5 have no symbol").
 *
 * Not here: unwinding (src/unwind/), reading mappings (src/record/).
 */
#include "symbolize/symbolize.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "symbolize/kallsyms.h"
#include "symbolize/perfmap.h"
#include "symbolize/plt.h"
#include "unwind/modules.h"
#include "util/search.h"
#include "util/strbuf.h"

struct seg {
	uint64_t off, filesz, vaddr;
};

/* An address range of a CU or of a subprogram with code, in DWARF addresses. */
struct sub_range {
	uint64_t lo, hi;
	Dwarf_Die die;
};

typedef SC_VEC(struct sub_range) range_vec;

/* One file on disk, shared by every mapping that names it. */
struct sym_file {
	sc_str path;
	Dwfl *dwfl; /* NULL when the file is missing or not ELF */
	Dwfl_Module *mod;
	GElf_Addr bias;
	struct seg *segs; /* PT_LOAD segments */
	size_t nsegs;
	sc_str build_id;   /* 0 without a build-id note */
	struct fsym *syms; /* function symbols by address, read on first use */
	size_t nsyms;
	bool syms_read;
	struct sub_range *cu_ranges; /* CUs by address, read when .debug_aranges falls short */
	size_t ncu_ranges;
	Dwarf_Addr cu_bias;
	bool cu_ranges_read;
	sc_plt plt;	      /* names of the PLT stubs, read with the symbols */
	uint64_t *fde_starts; /* function starts from .eh_frame_hdr, read on first use */
	size_t nfde;
	bool fde_read;
	int stripped;	 /* 0: not known yet, 1: no .symtab nor DWARF, 2: has one */
	sc_modcache *mc; /* where the ELF handle lives (s->mc), and its module number */
	int module;
	const char *read_path; /* the path read (the cache's copy) */
};

/* A function symbol, in libdwfl's address space (ELF value + bias). */
struct fsym {
	uint64_t addr, size;
	const char *name; /* owned by libdwfl */
	uint32_t rank;	  /* of aliases at one address the lowest rank is kept */
};

/* A (location, pid) pair: a process whose samples hold the location (JIT candidates only). */
struct loc_pid {
	uint32_t loc, pid;
};

/* The perf-PID.map of one process, read on first use. */
struct jit_map {
	uint32_t pid;
	int err; /* of sc_perfmap_load */
	sc_perfmap map;
};

/* A cache entry: a three-word key and what it resolved to. For addresses, (file, vaddr, 0) ->
 * lines chains[first, first + n) (n == 0: unresolved); for functions, (file, DIE offset, symbol
 * address + 1 or 0) -> function id `first`. */
struct cache_ent {
	uint64_t a, b, c;
	uint32_t first, n;
};

typedef SC_VEC(struct cache_ent) cache_vec;

/* s->why[] of a location this call did not symbolize */
#define NOT_LOOKED_AT 0xff

struct sym {
	sc_profile *p;
	sc_sym_options o;
	sc_sym_stats st;
	SC_VEC(struct sym_file) files;
	sc_hashmap file_index; /* path string id -> index in files */
	cache_vec addrs;
	sc_hashmap addr_index;
	cache_vec funcs;
	sc_hashmap func_index;
	cache_vec cus; /* (file, CU offset) -> subs[first, first + n) */
	sc_hashmap cu_index;
	range_vec subs;
	SC_VEC(sc_line) chains; /* resolved chains, innermost first */
	SC_VEC(Dwarf_Die) dies; /* scratch: the frames of one address */
	sc_modcache *mc;	/* o.modules with a reference taken, or our own */
	sc_ksyms ksyms;
	int ksyms_state; /* 0: not read yet, 1: read */
	sc_strbuf sb, path;
	uint8_t *why;			 /* by location id: enum sc_sym_reason of its fallback */
	SC_VEC(struct loc_pid) loc_pids; /* sorted */
	SC_VEC(struct jit_map) jit_maps; /* by pid, in the order first needed */
};

static char *debuginfo_path; /* NULL: libdwfl's default, ":.debug:/usr/lib/debug" */

static bool cache_eq(uint64_t value, const void *key, const void *ctx)
{
	const cache_vec *v = ctx;
	const struct cache_ent *e = &v->data[value], *k = key;
	return e->a == k->a && e->b == k->b && e->c == k->c;
}

static uint64_t cache_hash(const struct cache_ent *k)
{
	return sc_hash_combine(sc_hash_combine(sc_hash_u64(k->a), k->b), k->c);
}

static struct cache_ent *cache_get(const sc_hashmap *m, const cache_vec *v,
				   const struct cache_ent *k)
{
	uint64_t i;
	return sc_hashmap_get(m, cache_hash(k), cache_eq, k, v, &i) ? &v->data[i] : NULL;
}

static int cache_put(sc_hashmap *m, cache_vec *v, const struct cache_ent *k)
{
	if (sc_vec_reserve(v, 1) < 0 || sc_hashmap_put(m, cache_hash(k), v->len) < 0)
		return -ENOMEM;
	v->data[v->len++] = *k;
	return 0;
}

static bool file_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct sym *s = ctx;
	return s->files.data[value].path == *(const sc_str *)key;
}

static const char *base_name(const char *path)
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
	(void)mod;
	return -1;
}

static const Dwfl_Callbacks cached_callbacks = {
    .find_elf = cached_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
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

/* Opens a file through the module cache and libdwfl; leaves f->dwfl NULL when it cannot be read
 * as ELF. The caller's aliases may name another path to read (a deleted binary kept open) or
 * none. "[vdso]" is the cache's copy of this process's vDSO image: the kernel maps the same one
 * into every process. */
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
	int m = sc_modcache_open(s->mc, path);
	if (m < 0)
		return m == -ENOMEM ? m : 0;
	f->mc = s->mc;
	f->module = m;
	f->read_path = sc_module_path(s->mc, m);
	int r = report_module(f, strcmp(path, "[vdso]") ? base_name(name) : "[vdso]");
	if (r == 0 && f->dwfl) {
		r = describe_file(s, f);
		void **userdata;
		dwfl_module_info(f->mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
		*userdata = NULL;
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
static int64_t file_for(struct sym *s, const sc_mapping *m)
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

static const char *attr_string(Dwarf_Die *die, int name)
{
	Dwarf_Attribute a;
	return dwarf_attr_integrate(die, name, &a) ? dwarf_formstring(&a) : NULL;
}

static int64_t attr_udata(Dwarf_Die *die, int name)
{
	Dwarf_Attribute a;
	Dwarf_Word w;
	if (!dwarf_attr(die, name, &a) || dwarf_formudata(&a, &w) != 0)
		return 0;
	return (int64_t)w;
}

static int64_t intern(struct sym *s, const char *str)
{
	return sc_profile_intern(s->p, str ? str : "");
}

/* Removes "." and empty components and resolves ".." lexically, in place: "/b/obj/../src/./x.c"
 * becomes "/b/src/x.c". A relative path keeps its leading "..". */
static void clean_path(char *buf)
{
	bool abs = buf[0] == '/';
	char *out = buf + abs, *in = buf + abs;
	size_t depth = 0; /* components written that a ".." may remove */
	for (bool more = *in != '\0'; more;) {
		char *end = strchrnul(in, '/');
		size_t n = (size_t)(end - in);
		more = *end != '\0';
		char *next = end + more;
		if (n == 2 && in[0] == '.' && in[1] == '.') {
			if (depth) {
				out--; /* past the previous component's '/' */
				while (out > buf + abs && out[-1] != '/')
					out--;
				depth--;
			} else if (!abs) {
				memmove(out, "../", 3);
				out += 3;
			}
		} else if (n && !(n == 1 && in[0] == '.')) {
			memmove(out, in, n);
			out += n;
			*out++ = '/';
			depth++;
		}
		in = next;
	}
	if (out > buf + abs && out[-1] == '/')
		out--;
	if (out == buf)
		*out++ = '.';
	*out = '\0';
}

/* Interns a source path from `cu`'s tables, made absolute with the CU's DW_AT_comp_dir (if that is)
 * and cleaned, so that one file has one name whichever directory it was compiled from. Returns the
 * string id (0 for NULL) or -ENOMEM. */
static int64_t intern_path(struct sym *s, Dwarf_Die *cu, const char *name)
{
	if (!name || !*name)
		return 0;
	Dwarf_Attribute a;
	const char *dir = NULL;
	if (name[0] != '/' && dwarf_attr(cu, DW_AT_comp_dir, &a))
		dir = dwarf_formstring(&a);
	sc_strbuf_reset(&s->path);
	/* a relative comp_dir (-fdebug-prefix-map) would only garble the name */
	if ((dir && dir[0] == '/' && sc_strbuf_addf(&s->path, "%s/", dir) < 0) ||
	    sc_strbuf_adds(&s->path, name) < 0)
		return -ENOMEM;
	clean_path(s->path.buf);
	return sc_profile_intern(s->p, s->path.buf);
}

/* A file attribute (DW_AT_decl_file, through abstract origins; DW_AT_call_file) as an interned
 * path, 0 when absent. dwarf_decl_file of elfutils 0.188 rejects file index 0, which DWARF 5
 * makes valid (the CU's primary file, as clang uses it). */
static int64_t file_attr(struct sym *s, Dwarf_Die *die, int name)
{
	Dwarf_Attribute a;
	Dwarf_Word idx;
	Dwarf_Die cu;
	Dwarf_Files *files;
	Dwarf_Half version;
	size_t nfiles;
	bool found = name == DW_AT_decl_file ? dwarf_attr_integrate(die, name, &a) != NULL
					     : dwarf_attr(die, name, &a) != NULL;
	if (!found || dwarf_formudata(&a, &idx) != 0 ||
	    !dwarf_cu_die(a.cu, &cu, &version, NULL, NULL, NULL, NULL, NULL) ||
	    (idx == 0 && version < 5) || dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 ||
	    idx >= nfiles)
		return 0;
	return intern_path(s, &cu, dwarf_filesrc(files, idx, NULL, NULL));
}

static int64_t add_function(struct sym *s, const char *name, const char *system_name,
			    int64_t filename, int64_t start_line)
{
	int64_t n = intern(s, name), sn = intern(s, system_name);
	if (n < 0 || sn < 0 || filename < 0)
		return -ENOMEM;
	sc_function f = {(sc_str)n, (sc_str)sn, (sc_str)filename, start_line};
	return sc_profile_add_function(s->p, &f);
}

/* Adds a function named by `system_name`, demangled when mangled, else `plain`. A symbol version
 * ("exp@@GLIBC_2.29", "memcpy@GLIBC_2.2.5") stays in the system name only. */
static int64_t add_named_function(struct sym *s, const char *system_name, const char *plain,
				  int64_t filename, int64_t start_line)
{
	const char *at = strchr(system_name, '@');
	char *bare = NULL, *dem;
	int64_t id = -ENOMEM;
	if (at && at != system_name) {
		bare = strndup(system_name, (size_t)(at - system_name));
		if (!bare)
			return -ENOMEM;
		if (plain == system_name)
			plain = bare;
	}
	dem = sc_demangle(bare ? bare : system_name);
	if (at && !strcmp(at, "@plt")) {
		/* a PLT stub (plt.h) keeps its suffix, after the demangled name */
		sc_strbuf_reset(&s->path);
		if (sc_strbuf_addf(&s->path, "%s@plt", dem ? dem : plain) < 0) {
			free(dem);
			free(bare);
			return -ENOMEM;
		}
		id = add_function(s, s->path.buf, system_name, filename, start_line);
	} else {
		id = add_function(s, dem ? dem : plain, system_name, filename, start_line);
	}
	free(dem);
	free(bare);
	return id;
}

/* The function of a frame DIE (subprogram or inlined_subroutine; names, declaration file and line
 * come through DW_AT_abstract_origin / DW_AT_specification). `symname` overrides the name with the
 * symbol table's, for the outermost frame. `file_hint` (the file of the frame's line) stands in
 * for a missing DW_AT_decl_file: the assembler describes functions without one. */
static int64_t die_function(struct sym *s, uint32_t file, Dwarf_Die *die, const char *symname,
			    uint64_t symaddr, int64_t file_hint)
{
	struct cache_ent k = {file, dwarf_dieoffset(die), symname ? symaddr + 1 : 0, 0, 0};
	struct cache_ent *hit = cache_get(&s->func_index, &s->funcs, &k);
	if (hit)
		return hit->first;
	const char *link = attr_string(die, DW_AT_linkage_name);
	if (!link)
		link = attr_string(die, DW_AT_MIPS_linkage_name);
	const char *name = attr_string(die, DW_AT_name);
	const char *sys = symname ? symname : link ? link : name ? name : "??";
	const char *plain = symname ? symname : name ? name : sys;
	int line = 0;
	if (dwarf_decl_line(die, &line) != 0)
		line = 0;
	int64_t filename = file_attr(s, die, DW_AT_decl_file);
	int64_t id = add_named_function(s, sys, plain, filename ? filename : file_hint, line);
	if (id < 0)
		return id;
	k.first = (uint32_t)id;
	return cache_put(&s->func_index, &s->funcs, &k) < 0 ? -ENOMEM : id;
}

static int add_ranges(range_vec *v, Dwarf_Die *die)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;
	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		struct sub_range r = {lo, hi, *die};
		if (hi > lo && sc_vec_push(v, r) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int sub_cmp(const void *a, const void *b)
{
	const struct sub_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The entry of sorted ranges v[0, n) holding pc, or NULL. Ranges seldom overlap (nested functions
 * live elsewhere), but look back a little anyway. */
static const struct sub_range *find_range(const struct sub_range *v, size_t n, uint64_t pc)
{
	size_t lo = SC_UPPER_BOUND(v, n, lo, pc);
	for (size_t i = lo, tries = 0; i > 0 && tries < 8; i--, tries++)
		if (pc < v[i - 1].hi)
			return &v[i - 1];
	return NULL;
}

/* The CU holding `addr` (a libdwfl address). libdwfl finds CUs through .debug_aranges, which
 * clang does not emit by default; then every CU's own ranges are indexed once. */
static int find_cu(struct sym_file *f, Dwarf_Addr addr, Dwarf_Die **cudie, Dwarf_Addr *bias)
{
	*cudie = dwfl_module_addrdie(f->mod, addr, bias);
	if (*cudie)
		return 0;
	if (!f->cu_ranges_read) {
		range_vec v = {0};
		Dwarf_Die *cu = NULL;
		f->cu_ranges_read = true;
		while ((cu = dwfl_module_nextcu(f->mod, cu, &f->cu_bias)))
			if (add_ranges(&v, cu) < 0) {
				sc_vec_release(&v);
				return -ENOMEM;
			}
		/* A stripped or static binary may have no CU at all: qsort must not see NULL. */
		if (v.len)
			qsort(v.data, v.len, sizeof(*v.data), sub_cmp);
		f->cu_ranges = v.data;
		f->ncu_ranges = v.len;
	}
	const struct sub_range *r = find_range(f->cu_ranges, f->ncu_ranges, addr - f->cu_bias);
	if (r) {
		/* dwfl_module_nextcu's DIEs live as long as the module */
		*cudie = (Dwarf_Die *)&r->die;
		*bias = f->cu_bias;
	}
	return 0;
}

/* Collects the subprograms with code among `die` and its siblings, looking inside namespaces and
 * classes (C++ may define functions there) but not inside functions. */
static int index_dies(struct sym *s, Dwarf_Die *first, int depth)
{
	Dwarf_Die d = *first, child;
	int r = 0;
	do {
		switch (dwarf_tag(&d)) {
		case DW_TAG_subprogram:
		case DW_TAG_entry_point:
			r = add_ranges(&s->subs, &d);
			break;
		case DW_TAG_namespace:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
		case DW_TAG_module:
			if (depth < 64 && dwarf_child(&d, &child) == 0)
				r = index_dies(s, &child, depth + 1);
			break;
		}
	} while (r == 0 && dwarf_siblingof(&d, &d) == 0);
	return r;
}

/* The subprogram DIE whose code holds `pc` (CU-relative), through an index of the CU's
 * subprogram ranges built on first use: dwarf_getscopes would walk the whole CU for every address,
 * which costs seconds on a CU of a few thousand functions. */
static int find_subprogram(struct sym *s, uint32_t fi, Dwarf_Die *cudie, Dwarf_Addr pc,
			   Dwarf_Die *out)
{
	struct cache_ent k = {fi, dwarf_dieoffset(cudie), 0, 0, 0};
	struct cache_ent *cu = cache_get(&s->cu_index, &s->cus, &k);
	if (!cu) {
		Dwarf_Die child;
		k.first = (uint32_t)s->subs.len;
		if (dwarf_child(cudie, &child) == 0 && index_dies(s, &child, 0) < 0)
			return -ENOMEM;
		k.n = (uint32_t)(s->subs.len - k.first);
		if (k.n) /* else subs.data may still be NULL */
			qsort(s->subs.data + k.first, k.n, sizeof(*s->subs.data), sub_cmp);
		if (cache_put(&s->cu_index, &s->cus, &k) < 0)
			return -ENOMEM;
		cu = &s->cus.data[s->cus.len - 1];
	}
	const struct sub_range *r = find_range(s->subs.data + cu->first, cu->n, pc);
	if (r)
		*out = r->die;
	return r != NULL;
}

/* Fills s->dies with the frame DIEs at `pc`, innermost first, ending with the subprogram: from
 * the subprogram down through the lexical blocks and inlined subroutines that hold pc. */
static int collect_frames(struct sym *s, uint32_t fi, Dwarf_Die *cudie, Dwarf_Addr pc)
{
	Dwarf_Die cur, child;
	int r = find_subprogram(s, fi, cudie, pc, &cur);
	s->dies.len = 0;
	if (r <= 0)
		return r;
	if (sc_vec_push(&s->dies, cur) < 0)
		return -ENOMEM;
	for (int depth = 0; depth < 256 && dwarf_child(&cur, &child) == 0; depth++) {
		bool found = false;
		do {
			int tag = dwarf_tag(&child);
			if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_lexical_block &&
			    tag != DW_TAG_try_block && tag != DW_TAG_catch_block)
				continue;
			if (dwarf_haspc(&child, pc) == 1) {
				found = true;
				break;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
		if (!found)
			break;
		cur = child;
		if (dwarf_tag(&cur) == DW_TAG_inlined_subroutine && sc_vec_push(&s->dies, cur) < 0)
			return -ENOMEM;
	}
	/* innermost first */
	for (size_t i = 0, j = s->dies.len - 1; i < j; i++, j--) {
		Dwarf_Die t = s->dies.data[i];
		s->dies.data[i] = s->dies.data[j];
		s->dies.data[j] = t;
	}
	return 0;
}

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
static int read_symbols(struct sym_file *f)
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
static const struct fsym *find_symbol(const struct sym_file *f, uint64_t addr, bool *covers)
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

static int push_line(struct sym *s, int64_t function, int64_t line, int64_t column)
{
	if (function < 0)
		return -ENOMEM;
	sc_line l = {(uint32_t)function, line, column};
	return sc_vec_push(&s->chains, l);
}

/* Resolves one (file, vaddr) into s->chains. Returns the number of lines appended (0: nothing
 * known about the address) or -ENOMEM. */
static int resolve(struct sym *s, uint32_t fi, uint64_t vaddr)
{
	struct sym_file *f = &s->files.data[fi];
	Dwarf_Addr addr = vaddr + f->bias;
	size_t first = s->chains.len;
	int r;

	if (!f->syms_read && (r = read_symbols(f)) < 0)
		return r;
	bool covers;
	const struct fsym *sym = find_symbol(f, addr, &covers);

	int lineno = 0, col = 0;
	int64_t srcfile = 0;
	Dwarf_Addr cubias = 0;
	Dwarf_Die *cudie;
	if ((r = find_cu(f, addr, &cudie, &cubias)) < 0)
		return r;
	s->dies.len = 0;
	if (cudie) {
		Dwarf_Line *dl = dwarf_getsrc_die(cudie, addr - cubias);
		if (dl) {
			srcfile = intern_path(s, cudie, dwarf_linesrc(dl, NULL, NULL));
			dwarf_lineno(dl, &lineno);
			dwarf_linecol(dl, &col);
		}
		if ((r = collect_frames(s, fi, cudie, addr - cubias)) < 0)
			return r;
	}

	size_t n = s->dies.len;
	if (!n) {
		/* Symbols only (no DWARF here, or a CU without subprograms such as assembly). */
		if (!sym)
			return 0;
		r = push_line(s, add_named_function(s, sym->name, sym->name, srcfile, 0), lineno,
			      col);
		return r < 0 ? r : 1;
	}
	/* The real function keeps the symbol table's name when a symbol covers the address (clones
	 * such as "foo.cold" or "foo.isra.0" stay apart); a sizeless symbol is only the nearest
	 * one below, so DWARF wins over it. */
	const char *outer_sym = covers ? sym->name : NULL;
	int64_t line = lineno, column = col;
	for (size_t j = 0; j < n; j++) {
		if (j > 0) {
			line = attr_udata(&s->dies.data[j - 1], DW_AT_call_line);
			column = attr_udata(&s->dies.data[j - 1], DW_AT_call_column);
			srcfile = file_attr(s, &s->dies.data[j - 1], DW_AT_call_file);
		}
		int64_t fn = die_function(s, fi, &s->dies.data[j], j == n - 1 ? outer_sym : NULL,
					  covers ? sym->addr : 0, srcfile);
		if ((r = push_line(s, fn, line, column)) < 0)
			return r;
	}
	if (s->o.no_inline && n > 1) {
		s->chains.data[first] = s->chains.data[s->chains.len - 1];
		s->chains.len = first + 1;
	}
	return (int)(s->chains.len - first);
}

static int set_lines(struct sym *s, uint32_t loc, const sc_line *lines, size_t n)
{
	return sc_profile_set_location_lines(s->p, loc, lines, n);
}

/* Gives a location one line whose function is named by s->sb ("libc.so.6+0x1234"), noting why
 * it has no better name. */
static int set_fallback(struct sym *s, uint32_t loc, enum sc_sym_reason why)
{
	s->st.unresolved++;
	s->why[loc] = (uint8_t)why;
	int64_t fn = add_function(s, sc_strbuf_cstr(&s->sb), "", 0, 0);
	if (fn < 0)
		return -ENOMEM;
	sc_line l = {(uint32_t)fn, 0, 0};
	return set_lines(s, loc, &l, 1);
}

static int symbolize_kernel(struct sym *s, uint32_t loc, uint64_t addr)
{
	if (!s->ksyms_state) {
		s->ksyms_state = 1;
		s->st.files++;
		int r = sc_ksyms_load(&s->ksyms,
				      s->o.kallsyms_path ? s->o.kallsyms_path : "/proc/kallsyms");
		if (r == -ENOMEM)
			return r;
		if (!s->ksyms.n)
			s->st.files_missing++;
	}
	const sc_ksym *k = sc_ksyms_find(&s->ksyms, addr);
	if (!k) {
		/* one row, not one per address: without kallsyms (kptr_restrict) every kernel
		 * address lands here */
		sc_strbuf_reset(&s->sb);
		if (sc_strbuf_adds(&s->sb, "[kernel]") < 0)
			return -ENOMEM;
		return set_fallback(s, loc, SC_SYM_KERNEL);
	}
	sc_strbuf_reset(&s->sb);
	if (*k->module && sc_strbuf_addf(&s->sb, "[%s]", k->module) < 0)
		return -ENOMEM;
	int64_t fn = add_function(s, k->name, k->name, intern(s, sc_strbuf_cstr(&s->sb)), 0);
	if (fn < 0)
		return -ENOMEM;
	s->st.resolved++;
	sc_line l = {(uint32_t)fn, 0, 0};
	return set_lines(s, loc, &l, 1);
}

static bool vaddr_of(const struct sym_file *f, uint64_t fileoff, uint64_t *vaddr)
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

/* ---- Unnamed regions ---- */

/* Whether a mapping names anonymous memory (where JIT compilers put code) rather than a file. */
static bool anon_name(const char *path)
{
	return !*path || !strcmp(path, "//anon") || !strncmp(path, "[anon", 5) ||
	       !strncmp(path, "/memfd:", 7) || !strcmp(path, "/dev/zero") ||
	       !strncmp(path, "/anon_hugepage", 14);
}

static bool is_anon(const struct sym *s, const sc_mapping *m)
{
	return m && !m->kernel && anon_name(sc_profile_str(s->p, m->file));
}

/* Whether the file has neither a full symbol table nor DWARF (in itself or a debug file): then
 * only .dynsym's exported functions have names. Decided once per file. */
static bool file_stripped(struct sym_file *f)
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
static int unnamed_name(struct sym *s, const sc_mapping *m, struct sym_file *f, uint64_t vaddr)
{
	const char *base = base_name(sc_profile_str(s->p, m->file));
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

/* ---- JIT maps ---- */

static int loc_pid_cmp(const void *a, const void *b)
{
	const struct loc_pid *x = a, *y = b;
	if (x->loc != y->loc)
		return x->loc < y->loc ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Lists in s->loc_pids the (location, pid) pairs of the locations to symbolize that lie in
 * anonymous memory or in no mapping, from the samples holding them. */
static int jit_pids(struct sym *s, bool (*todo)(const sc_profile *, const sc_location *))
{
	sc_profile *p = s->p;
	bool *cand = calloc(p->locations.len + 1, sizeof(*cand));
	uint32_t *seen = NULL; /* by node: 1 + the pid that last walked it */
	bool any = false;
	int r = -ENOMEM;
	if (!cand)
		return r;
	for (size_t i = 0; i < p->locations.len; i++) {
		const sc_location *l = &p->locations.data[i];
		const sc_mapping *m = sc_profile_mapping(p, l->mapping);
		cand[i + 1] = todo(p, l) && (!m || is_anon(s, m));
		any |= cand[i + 1];
	}
	r = 0;
	if (!any)
		goto out;
	r = -ENOMEM;
	seen = calloc(p->nodes.len, sizeof(*seen));
	if (!seen)
		goto out;
	for (size_t i = 0; i < p->samples.len; i++) {
		uint32_t pid = p->samples.data[i].pid, mark = pid + 1;
		for (sc_stack_id n = p->samples.data[i].stack; n && n < p->nodes.len;
		     n = p->nodes.data[n].parent) {
			if (seen[n] == mark)
				break; /* this pid has walked the rest already */
			seen[n] = mark;
			uint32_t loc = p->nodes.data[n].location;
			if (loc <= p->locations.len && cand[loc] &&
			    sc_vec_push(&s->loc_pids, ((struct loc_pid){loc, pid})) < 0)
				goto out;
		}
	}
	if (s->loc_pids.len)
		qsort(s->loc_pids.data, s->loc_pids.len, sizeof(*s->loc_pids.data), loc_pid_cmp);
	size_t k = 0;
	for (size_t i = 0; i < s->loc_pids.len; i++)
		if (!k || loc_pid_cmp(&s->loc_pids.data[k - 1], &s->loc_pids.data[i]) != 0)
			s->loc_pids.data[k++] = s->loc_pids.data[i];
	s->loc_pids.len = k;
	r = 0;
out:
	free(seen);
	free(cand);
	return r;
}

/* The perf map of `pid`, read on first use (empty when missing or refused). */
static const sc_perfmap *jit_map(struct sym *s, uint32_t pid)
{
	for (size_t i = 0; i < s->jit_maps.len; i++)
		if (s->jit_maps.data[i].pid == pid)
			return &s->jit_maps.data[i].map;
	if (sc_vec_reserve(&s->jit_maps, 1) < 0)
		return NULL;
	struct jit_map *j = &s->jit_maps.data[s->jit_maps.len++];
	*j = (struct jit_map){.pid = pid}; /* an empty map until loaded */
	sc_strbuf_reset(&s->path);
	if (sc_strbuf_addf(&s->path, "%s/perf-%" PRIu32 ".map",
			   s->o.perf_map_dir ? s->o.perf_map_dir : "/tmp", pid) < 0)
		return NULL;
	j->err = sc_perfmap_load(&j->map, s->path.buf);
	return j->err == -ENOMEM ? NULL : &j->map;
}

/* Names a location in anonymous memory (or in no mapping) from the perf map of a process whose
 * samples hold it. Returns 1 when named, 0 when no map names it, or -ENOMEM. */
static int symbolize_jit(struct sym *s, uint32_t loc, const sc_mapping *m, uint64_t addr)
{
	if (m && !is_anon(s, m))
		return 0;
	struct loc_pid key = {loc, 0};
	size_t lo = 0, hi = s->loc_pids.len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (loc_pid_cmp(&s->loc_pids.data[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < s->loc_pids.len && s->loc_pids.data[i].loc == loc; i++) {
		const sc_perfmap *map = jit_map(s, s->loc_pids.data[i].pid);
		if (!map)
			return -ENOMEM;
		const sc_jsym *j = sc_perfmap_find(map, addr);
		if (!j)
			continue;
		int64_t fn = add_function(s, j->name, j->name, 0, 0);
		if (fn < 0)
			return -ENOMEM;
		s->st.resolved++;
		sc_line l = {(uint32_t)fn, 0, 0};
		return set_lines(s, loc, &l, 1) < 0 ? -ENOMEM : 1;
	}
	return 0;
}

/* ---- The share of unnamed samples ---- */

static bool worse(const sc_sym_unnamed *a, const sc_sym_unnamed *b)
{
	return a->unnamed != b->unnamed ? a->unnamed > b->unnamed : a->module < b->module;
}

/* Counts, per module, the samples whose innermost frame was symbolized here, and those of them
 * that got no symbol; keeps the SC_SYM_WORST modules with the most unnamed samples. */
static int unnamed_shares(struct sym *s)
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

static int symbolize_location(struct sym *s, uint32_t loc, uint32_t mapping, uint64_t addr)
{
	const sc_mapping *m = sc_profile_mapping(s->p, mapping);
	int r = symbolize_jit(s, loc, m, addr);
	if (r != 0)
		return r < 0 ? r : 0;
	if (!m) {
		/* junk from a broken stack, mostly: one row, not one per address */
		sc_strbuf_reset(&s->sb);
		if (sc_strbuf_adds(&s->sb, "[unknown]") < 0)
			return -ENOMEM;
		return set_fallback(s, loc, SC_SYM_NO_MAPPING);
	}
	if (m->kernel)
		return symbolize_kernel(s, loc, addr);
	int64_t fi = file_for(s, m);
	if (fi < 0)
		return (int)fi;
	const struct sym_file *f = &s->files.data[fi];
	uint64_t fileoff = addr - m->start + m->offset, vaddr = 0;
	bool stale =
	    m->build_id && f->build_id &&
	    strcasecmp(sc_profile_str(s->p, m->build_id), sc_profile_str(s->p, f->build_id)) != 0;
	bool have_vaddr = f->dwfl && !stale && vaddr_of(f, fileoff, &vaddr);
	if (have_vaddr) {
		struct cache_ent k = {(uint64_t)fi, vaddr, 0, 0, 0};
		struct cache_ent *hit = cache_get(&s->addr_index, &s->addrs, &k);
		if (!hit) {
			k.first = (uint32_t)s->chains.len;
			int n = resolve(s, (uint32_t)fi, vaddr);
			if (n < 0)
				return n;
			k.n = (uint32_t)n;
			if (cache_put(&s->addr_index, &s->addrs, &k) < 0)
				return -ENOMEM;
			hit = &s->addrs.data[s->addrs.len - 1];
		}
		if (hit->n) {
			s->st.resolved++;
			return set_lines(s, loc, &s->chains.data[hit->first], hit->n);
		}
	}
	enum sc_sym_reason why = !f->dwfl ? (is_anon(s, m) ? SC_SYM_JIT : SC_SYM_NO_FILE)
				 : stale  ? SC_SYM_STALE
				 : file_stripped(&s->files.data[fi]) ? SC_SYM_STRIPPED
								     : SC_SYM_NOT_COVERED;
	if (unnamed_name(s, m, have_vaddr ? &s->files.data[fi] : NULL, vaddr) < 0)
		return -ENOMEM;
	return set_fallback(s, loc, why);
}

static bool needs_work(const sc_profile *p, const sc_location *l)
{
	const sc_mapping *m = sc_profile_mapping(p, l->mapping);
	return !l->nlines && !(m && m->symbolized);
}

int sc_symbolize_profile(sc_profile *p, const sc_sym_options *o, sc_sym_stats *stats)
{
	struct sym s = {.p = p};
	size_t total = 0, done = 0;
	int r = 0;

	if (o)
		s.o = *o;
	s.mc = s.o.modules ? sc_modcache_ref(s.o.modules) : sc_modcache_new();
	if (!s.mc) {
		r = -ENOMEM;
		goto out;
	}
	/* libdwfl reads it through offline_callbacks while this call runs */
	debuginfo_path = (char *)s.o.debuginfo_path;
	s.why = malloc(p->locations.len + 1);
	if (!s.why) {
		r = -ENOMEM;
		goto out;
	}
	memset(s.why, NOT_LOOKED_AT, p->locations.len + 1);
	if ((r = jit_pids(&s, needs_work)) < 0)
		goto out;
	for (size_t i = 0; i < p->locations.len; i++)
		total += needs_work(p, &p->locations.data[i]);
	for (size_t i = 0; i < p->locations.len; i++) {
		const sc_location *l = &p->locations.data[i];
		if (!needs_work(p, l))
			continue;
		s.st.locations++;
		s.why[i + 1] = SC_SYM_NAMED;
		r = symbolize_location(&s, (uint32_t)(i + 1), l->mapping, l->address);
		if (r < 0)
			goto out;
		if (++done % 1000 == 0 && s.o.progress)
			s.o.progress(done, total, s.o.progress_ctx);
	}
	/* Build-ids of the mappings we were asked about, including those without locations. */
	for (size_t i = 0; i < p->mappings.len; i++) {
		sc_mapping *m = &p->mappings.data[i];
		if (m->symbolized || m->kernel)
			continue;
		int64_t fi = file_for(&s, m);
		if (fi < 0) {
			r = (int)fi;
			goto out;
		}
		m = &p->mappings.data[i];
		if (!m->build_id)
			m->build_id = s.files.data[fi].build_id;
		m->symbolized = true;
	}
	for (size_t i = 0; i < p->mappings.len; i++)
		p->mappings.data[i].symbolized = true;
	if ((r = unnamed_shares(&s)) < 0)
		goto out;
	if (s.o.progress)
		s.o.progress(done, total, s.o.progress_ctx);
out:
	if (stats)
		*stats = s.st;
	debuginfo_path = NULL;
	for (size_t i = 0; i < s.files.len; i++) {
		if (s.files.data[i].dwfl)
			dwfl_end(s.files.data[i].dwfl);
		free(s.files.data[i].segs);
		free(s.files.data[i].syms);
		free(s.files.data[i].cu_ranges);
		sc_plt_release(&s.files.data[i].plt);
		free(s.files.data[i].fde_starts);
	}
	for (size_t i = 0; i < s.jit_maps.len; i++)
		sc_perfmap_release(&s.jit_maps.data[i].map);
	sc_vec_release(&s.jit_maps);
	sc_vec_release(&s.loc_pids);
	free(s.why);
	sc_vec_release(&s.files);
	sc_hashmap_release(&s.file_index);
	sc_vec_release(&s.addrs);
	sc_hashmap_release(&s.addr_index);
	sc_vec_release(&s.funcs);
	sc_hashmap_release(&s.func_index);
	sc_vec_release(&s.cus);
	sc_hashmap_release(&s.cu_index);
	sc_vec_release(&s.subs);
	sc_vec_release(&s.chains);
	sc_vec_release(&s.dies);
	sc_ksyms_release(&s.ksyms);
	sc_strbuf_release(&s.sb);
	sc_strbuf_release(&s.path);
	/* after every dwfl_end: libdwfl's references on the cache's ELF handles are gone */
	sc_modcache_unref(s.mc);
	return r;
}

/*
 * dwarf.c: one (file, ELF address) to its chain of (function, line), innermost first, from DWARF
 * and the symbol table (sc_sym_resolve).
 *
 * The subprogram holding the address comes from a per-CU index of subprogram ranges, built on
 * first use (the CU from libdwfl, through .debug_aranges, else from our own table of CU ranges);
 * then the lexical blocks and inlined_subroutine DIEs below it that hold the address, innermost
 * first. The innermost frame's line comes from the line table; each outer frame's line is the
 * call site (DW_AT_call_line) of the frame inside it. The real function is named from the symbol
 * table when a symbol covers the address (so clones like "foo.cold" keep their name; symtab.c),
 * else from DWARF. Each (file, DIE, symbol) becomes a function once. Source paths are made
 * absolute with the CU's compilation directory and cleaned of "." and "..".
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
#include <strings.h>

#include "util/search.h"

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

int64_t sc_sym_intern(struct sym *s, const char *str)
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

int64_t sc_sym_add_function(struct sym *s, const char *name, const char *system_name,
			    int64_t filename, int64_t start_line)
{
	int64_t n = sc_sym_intern(s, name), sn = sc_sym_intern(s, system_name);
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
		id = sc_sym_add_function(s, s->path.buf, system_name, filename, start_line);
	} else {
		id = sc_sym_add_function(s, dem ? dem : plain, system_name, filename, start_line);
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
	struct cache_ent *hit = sc_sym_cache_get(&s->func_index, &s->funcs, &k);
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
	return sc_sym_cache_put(&s->func_index, &s->funcs, &k) < 0 ? -ENOMEM : id;
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
	struct cache_ent *cu = sc_sym_cache_get(&s->cu_index, &s->cus, &k);
	if (!cu) {
		Dwarf_Die child;
		k.first = (uint32_t)s->subs.len;
		if (dwarf_child(cudie, &child) == 0 && index_dies(s, &child, 0) < 0)
			return -ENOMEM;
		k.n = (uint32_t)(s->subs.len - k.first);
		if (k.n) /* else subs.data may still be NULL */
			qsort(s->subs.data + k.first, k.n, sizeof(*s->subs.data), sub_cmp);
		if (sc_sym_cache_put(&s->cu_index, &s->cus, &k) < 0)
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

static int push_line(struct sym *s, int64_t function, int64_t line, int64_t column)
{
	if (function < 0)
		return -ENOMEM;
	sc_line l = {(uint32_t)function, line, column};
	return sc_vec_push(&s->chains, l);
}

/* Resolves one (file, vaddr) into s->chains. Returns the number of lines appended (0: nothing
 * known about the address) or -ENOMEM. */
int sc_sym_resolve(struct sym *s, uint32_t fi, uint64_t vaddr)
{
	struct sym_file *f = &s->files.data[fi];
	Dwarf_Addr addr = vaddr + f->bias;
	size_t first = s->chains.len;
	int r;

	if (!f->syms_read && (r = sc_sym_read_symbols(f)) < 0)
		return r;
	bool covers;
	const struct fsym *sym = sc_sym_find_symbol(f, addr, &covers);

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

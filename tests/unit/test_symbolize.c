/*
 * test_symbolize.c: symbolization of this very binary, of libc, of missing files and of a fake
 * kallsyms, plus demangling.
 *
 * The known code below is compiled with -g into the test program. Each function records the
 * return address of a call to probe() and the line of that call (__LINE__ on the same line), so
 * the expected function names, inline chains and lines are written here, beside their cause.
 * The profile's mapping for the executable is read from /proc/self/maps, as a recorder would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize/perfmap.h"
#include "symbolize/symbolize.h"

/* ---- Known code (keep the __LINE__ markers on the lines they describe) ---- */

int sym_test_leaf(int x);
int sym_test_outer(int x);

static volatile uintptr_t probe_ret;
static volatile int sink;
static int leaf_call_line, inner_call_line, outer_call_line;

/* Evaluates `call` after storing the line it is written on (the line of the call instruction). */
#define AT_LINE(var, call) ((var) = __LINE__, (call))

/* GCC could otherwise specialize probe() for its callers; clang has no such attribute. */
#ifdef __clang__
#define NOCLONE
#else
#define NOCLONE __attribute__((noclone))
#endif

__attribute__((noinline)) NOCLONE static void probe(void)
{
	probe_ret = (uintptr_t)__builtin_return_address(0);
	__asm__ volatile("" ::: "memory");
}

static const int leaf_decl_line = __LINE__ + 1;
__attribute__((noinline)) int sym_test_leaf(int x)
{
	AT_LINE(leaf_call_line, probe());
	return x * 7 + sink;
}

static const int inner_decl_line = __LINE__ + 1;
static inline __attribute__((always_inline)) int sym_test_inner(int x)
{
	AT_LINE(inner_call_line, probe());
	return x * 3 + sink;
}

static const int outer_decl_line = __LINE__ + 1;
__attribute__((noinline)) int sym_test_outer(int x)
{
	int r = AT_LINE(outer_call_line, sym_test_inner(x));
	return r + 1;
}

/* ---- Helpers ---- */

struct map {
	uint64_t start, limit, offset;
	char path[4096];
};

/* Finds the /proc/self/maps line whose range holds `addr`. */
static bool find_map(uintptr_t addr, struct map *out)
{
	FILE *fp = fopen("/proc/self/maps", "r");
	char line[4352];
	bool found = false;
	if (!fp)
		return false;
	while (!found && fgets(line, sizeof(line), fp)) {
		uint64_t start, limit, offset;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s%n", &start,
			   &limit, perms, &offset, &pos) < 4 ||
		    addr < start || addr >= limit)
			continue;
		char *path = line + pos;
		while (*path == ' ')
			path++;
		path[strcspn(path, "\n")] = '\0';
		*out = (struct map){start, limit, offset, ""};
		snprintf(out->path, sizeof(out->path), "%s", path);
		found = true;
	}
	fclose(fp);
	return found;
}

static uint32_t add_mapping(sc_profile *p, uint64_t start, uint64_t limit, uint64_t offset,
			    const char *path, bool kernel)
{
	sc_mapping m = {.start = start, .limit = limit, .offset = offset, .kernel = kernel};
	m.file = (sc_str)sc_profile_intern(p, path);
	int64_t id = sc_profile_add_mapping(p, &m);
	assert_true(id > 0);
	return (uint32_t)id;
}

static uint32_t add_loc(sc_profile *p, uint32_t mapping, uint64_t addr)
{
	int64_t id = sc_profile_location_for_address(p, mapping, addr);
	assert_true(id > 0);
	return (uint32_t)id;
}

static const sc_line *loc_lines(const sc_profile *p, uint32_t loc, uint32_t *n)
{
	const sc_location *l = sc_profile_location(p, loc);
	*n = l->nlines;
	return sc_profile_location_lines(p, l);
}

static const sc_function *line_fn(const sc_profile *p, const sc_line *l)
{
	const sc_function *f = sc_profile_function(p, l->function);
	assert_non_null(f);
	return f;
}

static void assert_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	if (n < k || strcmp(s + n - k, suffix) != 0)
		fail_msg("'%s' does not end with '%s'", s, suffix);
}

/* One line naming `name`, with the fallback's empty file. */
static void assert_single_name(const sc_profile *p, uint32_t loc, const char *name)
{
	uint32_t n;
	const sc_line *l = loc_lines(p, loc, &n);
	assert_int_equal(n, 1);
	assert_string_equal(sc_profile_str(p, line_fn(p, l)->name), name);
}

/* Adds one sample whose stack is the single frame `loc`, from process `pid`. */
static void add_stack_sample(sc_profile *p, uint32_t loc, uint32_t pid)
{
	if (!p->nsample_types)
		assert_int_equal(sc_profile_add_sample_type(p, "samples", "count"), 0);
	int64_t v = 1;
	int64_t id = sc_profile_intern_stack(p, &loc, 1);
	assert_true(id >= 0);
	assert_true(sc_profile_add_sample(p, (sc_stack_id)id, &v, pid, pid, 0) >= 0);
}

/* ---- Tests ---- */

struct known {
	uintptr_t leaf_ret, outer_ret;
	struct map exe;
};

static void run_known(struct known *k)
{
	sink += sym_test_leaf(sink);
	k->leaf_ret = probe_ret;
	sink += sym_test_outer(sink);
	k->outer_ret = probe_ret;
	assert_true(find_map((uintptr_t)&sym_test_leaf, &k->exe));
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	assert_string_equal(k->exe.path, self);
	/* the callers' return addresses must lie inside the functions we think they do */
	assert_true(k->leaf_ret > (uintptr_t)&sym_test_leaf);
	assert_true(k->outer_ret > (uintptr_t)&sym_test_outer);
}

static void progress(size_t done, size_t total, void *ctx)
{
	size_t *calls = ctx;
	assert_true(done <= total);
	calls[0]++;
	calls[1] = done;
	calls[2] = total;
}

static void test_own_binary(void **state)
{
	(void)state;
	struct known k;
	run_known(&k);
	sc_profile *p = sc_profile_new();
	uint32_t m = add_mapping(p, k.exe.start, k.exe.limit, k.exe.offset, k.exe.path, false);
	/* Caller frames arrive as return address - 1. */
	uint32_t leaf = add_loc(p, m, k.leaf_ret - 1);
	uint32_t outer = add_loc(p, m, k.outer_ret - 1);
	uint32_t entry = add_loc(p, m, (uintptr_t)&sym_test_leaf + 1);
	/* The same file mapped by another process elsewhere: resolved from the same cache. */
	uint64_t shift = 0x100000000000ULL;
	uint32_t m2 = add_mapping(p, k.exe.start + shift, k.exe.limit + shift, k.exe.offset,
				  k.exe.path, false);
	uint32_t outer2 = add_loc(p, m2, k.outer_ret - 1 + shift);

	size_t calls[3] = {0};
	sc_sym_options o = {.progress = progress, .progress_ctx = calls};
	sc_sym_stats st;
	assert_int_equal(sc_symbolize_profile(p, &o, &st), 0);
	assert_int_equal(st.locations, 4);
	assert_int_equal(st.resolved, 4);
	assert_int_equal(st.unresolved, 0);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.files_missing, 0);
	assert_true(calls[0] >= 1);
	assert_int_equal(calls[1], 4);
	assert_int_equal(calls[2], 4);

	uint32_t n;
	const sc_line *l = loc_lines(p, leaf, &n);
	assert_int_equal(n, 1);
	const sc_function *f = line_fn(p, &l[0]);
	assert_string_equal(sc_profile_str(p, f->name), "sym_test_leaf");
	assert_string_equal(sc_profile_str(p, f->system_name), "sym_test_leaf");
	/* meson compiles "../tests/unit/test_symbolize.c" from the build directory: the name is
	 * made absolute with DW_AT_comp_dir and cleaned of the "..". */
	assert_string_equal(sc_profile_str(p, f->filename),
			    SC_TEST_SRCDIR "/tests/unit/test_symbolize.c");
	assert_int_equal(f->start_line, leaf_decl_line);
	assert_int_equal(l[0].line, leaf_call_line);
	uint32_t leaf_fn = l[0].function;

	/* The inline chain: innermost (the inlined function, at the probe() call) first, then its
	 * caller at the call site of the inlined function. */
	l = loc_lines(p, outer, &n);
	assert_int_equal(n, 2);
	f = line_fn(p, &l[0]);
	assert_string_equal(sc_profile_str(p, f->name), "sym_test_inner");
	assert_ends_with(sc_profile_str(p, f->filename), "test_symbolize.c");
	assert_int_equal(f->start_line, inner_decl_line);
	assert_int_equal(l[0].line, inner_call_line);
	f = line_fn(p, &l[1]);
	assert_string_equal(sc_profile_str(p, f->name), "sym_test_outer");
	assert_ends_with(sc_profile_str(p, f->filename), "test_symbolize.c");
	assert_int_equal(f->start_line, outer_decl_line);
	assert_int_equal(l[1].line, outer_call_line);

	const sc_line *l2 = loc_lines(p, outer2, &n);
	assert_int_equal(n, 2);
	assert_int_equal(l2[0].function, l[0].function);
	assert_int_equal(l2[1].function, l[1].function);
	assert_int_equal(l2[1].line, l[1].line);

	l = loc_lines(p, entry, &n);
	assert_int_equal(n, 1);
	assert_int_equal(l[0].function, leaf_fn);
	assert_in_range(l[0].line, leaf_decl_line, leaf_call_line);

	/* Build-id from the note, as lowercase hex (GNU ld's default is a 20-byte SHA-1). */
	const char *bid = sc_profile_str(p, sc_profile_mapping(p, m)->build_id);
	assert_int_equal(strlen(bid), 40);
	for (const char *c = bid; *c; c++)
		assert_true(isxdigit((unsigned char)*c) && !isupper((unsigned char)*c));
	assert_true(sc_profile_mapping(p, m)->symbolized);
	assert_true(sc_profile_mapping(p, m2)->symbolized);

	/* A second pass has nothing left to do and changes nothing. */
	size_t nlines = p->lines.len, nfuncs = p->functions.len;
	assert_int_equal(sc_symbolize_profile(p, NULL, &st), 0);
	assert_int_equal(st.locations, 0);
	assert_int_equal(p->lines.len, nlines);
	assert_int_equal(p->functions.len, nfuncs);
	sc_profile_free(p);
}

static void test_no_inline(void **state)
{
	(void)state;
	struct known k;
	run_known(&k);
	sc_profile *p = sc_profile_new();
	uint32_t m = add_mapping(p, k.exe.start, k.exe.limit, k.exe.offset, k.exe.path, false);
	uint32_t outer = add_loc(p, m, k.outer_ret - 1);
	sc_sym_options o = {.no_inline = 1};
	assert_int_equal(sc_symbolize_profile(p, &o, NULL), 0);
	uint32_t n;
	const sc_line *l = loc_lines(p, outer, &n);
	assert_int_equal(n, 1);
	assert_string_equal(sc_profile_str(p, line_fn(p, &l[0])->name), "sym_test_outer");
	assert_int_equal(l[0].line, outer_call_line);
	sc_profile_free(p);
}

static void test_shared_library(void **state)
{
	(void)state;
	uintptr_t addr = (uintptr_t)&getppid + 1;
	struct map lib;
	assert_true(find_map(addr, &lib));
	if (!strstr(lib.path, "libc"))
		skip(); /* getppid was interposed (a sanitizer runtime?): nothing to check */
	sc_profile *p = sc_profile_new();
	uint32_t m = add_mapping(p, lib.start, lib.limit, lib.offset, lib.path, false);
	uint32_t loc = add_loc(p, m, addr);
	sc_sym_stats st;
	assert_int_equal(sc_symbolize_profile(p, NULL, &st), 0);
	assert_int_equal(st.resolved, 1);
	uint32_t n;
	const sc_line *l = loc_lines(p, loc, &n);
	assert_true(n >= 1);
	const sc_function *f = line_fn(p, &l[n - 1]);
	const char *name = sc_profile_str(p, f->name);
	if (!strstr(name, "getppid"))
		fail_msg("libc address resolved to '%s'", name);
	/* With libc's detached debug file installed (found by build-id), lines come with it. */
	const char *bid = sc_profile_str(p, sc_profile_mapping(p, m)->build_id);
	char debug[256];
	struct stat sb;
	snprintf(debug, sizeof(debug), "/usr/lib/debug/.build-id/%.2s/%s.debug", bid, bid + 2);
	if (strlen(bid) > 2 && stat(debug, &sb) == 0) {
		/* getppid is assembly (syscall-template.S): no declaration line, but a file */
		assert_true(*sc_profile_str(p, f->filename));
		assert_true(l[n - 1].line > 0);
	}
	sc_profile_free(p);
}

/* The recorder hands its unwinder's module cache to the symbolizer: a file the unwinder opened
 * is read from the cache (not opened again), files the symbolizer opens join it, and the cache's
 * ELF handles outlive the symbolizer's libdwfl sessions. */
static void test_shared_module_cache(void **state)
{
	(void)state;
	uintptr_t addr = (uintptr_t)&getppid + 1;
	struct map lib;
	assert_true(find_map(addr, &lib));
	if (!strstr(lib.path, "libc"))
		skip();
	sc_modcache *mc = sc_modcache_new();
	assert_non_null(mc);
	int mod = sc_modcache_open(mc, lib.path); /* as the unwinder does while recording */
	assert_true(mod >= 0);
	for (int round = 0; round < 2; round++) {
		sc_profile *p = sc_profile_new();
		uint32_t m = add_mapping(p, lib.start, lib.limit, lib.offset, lib.path, false);
		uint32_t loc = add_loc(p, m, addr);
		add_mapping(p, 0x1000, 0x2000, 0, "/nonexistent/libgone.so", false);
		sc_sym_options o = {.modules = mc};
		sc_sym_stats st;
		assert_int_equal(sc_symbolize_profile(p, &o, &st), 0);
		assert_int_equal(st.resolved, 1);
		assert_int_equal(st.files, 2);
		assert_int_equal(st.files_missing, 1);
		uint32_t n;
		const sc_line *l = loc_lines(p, loc, &n);
		assert_true(n >= 1);
		assert_non_null(strstr(sc_profile_str(p, line_fn(p, &l[n - 1])->name), "getppid"));
		sc_profile_free(p);
		/* libc once, the unwinder's (the missing file is not a regular file: never opened)
		 */
		sc_modcache_stats cs;
		sc_modcache_get_stats(mc, &cs);
		assert_int_equal(cs.files, 1);
		assert_int_equal(sc_modcache_count(mc), 1);
		Elf *elf = sc_module_elf(mc, mod);
		assert_non_null(elf);
		assert_int_equal(elf_kind(elf), ELF_K_ELF);
	}
	sc_modcache_unref(mc);
}

/* Checks the chains of test_own_binary on a profile whose mapping names `path`. */
static void check_known(sc_profile *p, uint32_t leaf, uint32_t outer)
{
	uint32_t n;
	const sc_line *l = loc_lines(p, leaf, &n);
	assert_int_equal(n, 1);
	const sc_function *f = line_fn(p, &l[0]);
	assert_string_equal(sc_profile_str(p, f->name), "sym_test_leaf");
	assert_ends_with(sc_profile_str(p, f->filename), "test_symbolize.c");
	assert_int_equal(f->start_line, leaf_decl_line);
	assert_int_equal(l[0].line, leaf_call_line);
	l = loc_lines(p, outer, &n);
	assert_int_equal(n, 2);
	assert_string_equal(sc_profile_str(p, line_fn(p, &l[0])->name), "sym_test_inner");
	assert_int_equal(l[0].line, inner_call_line);
	assert_string_equal(sc_profile_str(p, line_fn(p, &l[1])->name), "sym_test_outer");
	assert_int_equal(l[1].line, outer_call_line);
}

/* libm's exp is the versioned symbol "exp@@GLIBC_2.29": the version stays in the system name. */
static void test_symbol_version(void **state)
{
	(void)state;
	double (*volatile fn)(double) = exp;
	struct map lib;
	assert_true(find_map((uintptr_t)fn + 1, &lib));
	if (!strstr(lib.path, "libm"))
		skip(); /* exp is not libm's here */
	sc_profile *p = sc_profile_new();
	uint32_t m = add_mapping(p, lib.start, lib.limit, lib.offset, lib.path, false);
	uint32_t loc = add_loc(p, m, (uintptr_t)fn + 1);
	assert_int_equal(sc_symbolize_profile(p, NULL, NULL), 0);
	uint32_t n;
	const sc_line *l = loc_lines(p, loc, &n);
	assert_true(n >= 1);
	const sc_function *f = line_fn(p, &l[n - 1]);
	const char *name = sc_profile_str(p, f->name), *sys = sc_profile_str(p, f->system_name);
	if (strchr(name, '@') || strncmp(sys, name, strlen(name)) != 0)
		fail_msg("exp resolved to '%s' (system name '%s')", name, sys);
	assert_true(strstr(name, "exp") != NULL);
	sc_profile_free(p);
}

/* A copy of this binary without any symbol table or DWARF, pointing by .gnu_debuglink to a
 * detached debug file beside it: names, files and lines all come from the debug file's DWARF. */
static void test_separate_debug_file(void **state)
{
	(void)state;
	if (system("command -v objcopy >/dev/null 2>&1") != 0)
		skip(); /* needs binutils' objcopy to make the stripped copy */
	struct known k;
	run_known(&k);
	char dir[] = "/tmp/scorch-symdebug-XXXXXX", cmd[16384], stripped[64];
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "cd %s && cp '%s' full && objcopy --only-keep-debug full full.debug && "
		 "objcopy --strip-all --add-gnu-debuglink=full.debug full stripped && rm full",
		 dir, k.exe.path);
	assert_int_equal(system(cmd), 0);
	snprintf(stripped, sizeof(stripped), "%s/stripped", dir);

	sc_profile *p = sc_profile_new();
	uint32_t m = add_mapping(p, k.exe.start, k.exe.limit, k.exe.offset, stripped, false);
	uint32_t leaf = add_loc(p, m, k.leaf_ret - 1);
	uint32_t outer = add_loc(p, m, k.outer_ret - 1);
	sc_sym_stats st;
	assert_int_equal(sc_symbolize_profile(p, NULL, &st), 0);
	assert_int_equal(st.resolved, 2);
	check_known(p, leaf, outer);
	/* the build-id survives stripping */
	assert_int_equal(strlen(sc_profile_str(p, sc_profile_mapping(p, m)->build_id)), 40);
	sc_profile_free(p);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The file offset of virtual address `vaddr` in the ELF file `path`, through its PT_LOAD
 * segments. */
static uint64_t file_offset_of(const char *path, uint64_t vaddr)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	size_t nph;
	uint64_t off = UINT64_MAX;
	assert_int_equal(elf_getphdrnum(e, &nph), 0);
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		assert_non_null(gelf_getphdr(e, (int)i, &ph));
		if (ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz)
			off = ph.p_offset + (vaddr - ph.p_vaddr);
	}
	elf_end(e);
	close(fd);
	assert_true(off != UINT64_MAX);
	return off;
}

/* Every PLT stub that objdump names ("memcpy@plt") gets that name, for an address inside the
 * stub (not its first byte). Before the stubs were named, they took the sizeless symbol before
 * them (_init) or stayed module+offset. Checked on this test (linked by meson), on a
 * distribution binary when one is there (Debian's xz has .plt and .plt.got) and on libc. */
static void check_plt_names(const char *path)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "objdump -d -j .plt -j .plt.sec -j .plt.got '%s' 2>/dev/null",
		 path);
	FILE *fp = popen(cmd, "r");
	assert_non_null(fp);
	struct stub {
		uint64_t vaddr;
		char name[128];
		uint32_t loc;
	} stubs[64];
	size_t n = 0;
	char line[512];
	while (fgets(line, sizeof(line), fp)) {
		uint64_t vaddr;
		char name[128];
		if (n < 64 && sscanf(line, "%" SCNx64 " <%127[^>]>:", &vaddr, name) == 2 &&
		    strstr(name, "@plt") && !strstr(name, "@plt-") && !strstr(name, "@plt+")) {
			stubs[n].vaddr = vaddr;
			snprintf(stubs[n].name, sizeof(stubs[n].name), "%s", name);
			n++;
		}
	}
	pclose(fp);
	assert_true(n > 0);
	sc_profile *p = sc_profile_new();
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	uint64_t base = 0x7f1200000000ULL, size = ((uint64_t)st.st_size + 0xfff) & ~0xfffULL;
	uint32_t m = add_mapping(p, base, base + size, 0, path, false);
	for (size_t i = 0; i < n; i++)
		stubs[i].loc = add_loc(p, m, base + file_offset_of(path, stubs[i].vaddr) + 2);
	sc_sym_stats sst;
	/* no debug files (this machine may have libc6-dbg): the names must come from the stubs */
	sc_sym_options o = {.debuginfo_path = "/nonexistent"};
	assert_int_equal(sc_symbolize_profile(p, &o, &sst), 0);
	assert_int_equal(sst.resolved, n);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(stubs[i].name, "*ABS*+", 6) != 0) {
			assert_single_name(p, stubs[i].loc, stubs[i].name);
			continue;
		}
		/* objdump's "*ABS*+0x9f550@plt", an IRELATIVE slot: we name the indirect function
		 * (libc's own calls to "strnlen@plt") */
		uint32_t nl;
		const sc_line *l = loc_lines(p, stubs[i].loc, &nl);
		const char *name = sc_profile_str(p, line_fn(p, l)->name);
		assert_int_equal(nl, 1);
		assert_true(name[0] != '*' && name[0] != '[');
		assert_ends_with(name, "@plt");
	}
	sc_profile_free(p);
}

static void test_plt_stubs(void **state)
{
	(void)state;
	if (system("command -v objdump >/dev/null 2>&1") != 0)
		skip(); /* objdump (binutils) names the stubs we compare with */
	char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(len > 0);
	self[len] = '\0';
	check_plt_names(self);
	if (access("/usr/bin/xz", R_OK) == 0)
		check_plt_names("/usr/bin/xz");
	struct map libc; /* Debian's libc calls its own string functions through IRELATIVE slots */
	if (find_map((uintptr_t)fclose, &libc) && libc.path[0] == '/')
		check_plt_names(libc.path);
}

/* A stripped copy of this binary (no .gnu_debuglink) whose debug file lies only under a build-id
 * path of a debug root: ROOT/.build-id/xx/rest.debug, as -dbgsym packages install them under
 * /usr/lib/debug. The root is given as debuginfo_path. */
static void test_build_id_debug_file(void **state)
{
	(void)state;
	if (system("command -v objcopy >/dev/null 2>&1") != 0)
		skip(); /* needs binutils' objcopy to make the stripped copy */
	struct known k;
	run_known(&k);
	char dir[] = "/tmp/scorch-symbuildid-XXXXXX", cmd[16384], stripped[64];
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "cd %s && objcopy --strip-all '%s' stripped && id=$(readelf -n stripped | "
		 "sed -n 's/.*Build ID: *//p') && test -n \"$id\" && "
		 "mkdir -p root/.build-id/$(echo $id | cut -c1-2) && "
		 "objcopy --only-keep-debug '%s' root/.build-id/$(echo $id | cut -c1-2)/"
		 "$(echo $id | cut -c3-).debug",
		 dir, k.exe.path, k.exe.path);
	if (system(cmd) != 0)
		skip(); /* no build-id note (linked without --build-id) */
	snprintf(stripped, sizeof(stripped), "%s/stripped", dir);
	char root[128];
	snprintf(root, sizeof(root), "/nonexistent:%s/root", dir);

	/* without the root, the stripped copy has no names for these addresses */
	sc_profile *p = sc_profile_new();
	uint32_t m = add_mapping(p, k.exe.start, k.exe.limit, k.exe.offset, stripped, false);
	uint32_t leaf = add_loc(p, m, k.leaf_ret - 1);
	uint32_t outer = add_loc(p, m, k.outer_ret - 1);
	sc_sym_options o = {.debuginfo_path = "/nonexistent"};
	sc_sym_stats st;
	assert_int_equal(sc_symbolize_profile(p, &o, &st), 0);
	assert_int_equal(st.resolved, 0);
	sc_profile_free(p);

	p = sc_profile_new();
	m = add_mapping(p, k.exe.start, k.exe.limit, k.exe.offset, stripped, false);
	leaf = add_loc(p, m, k.leaf_ret - 1);
	outer = add_loc(p, m, k.outer_ret - 1);
	o.debuginfo_path = root;
	assert_int_equal(sc_symbolize_profile(p, &o, &st), 0);
	assert_int_equal(st.resolved, 2);
	check_known(p, leaf, outer);
	sc_profile_free(p);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

struct nopie {
	char path[4096];
	uint64_t start, limit, offset, func, main;
};

/* Finds data_sym_nopie beside this test and the mapping the kernel would make of its executable
 * PT_LOAD segment. Returns false when it is not built. */
static bool nopie_layout(struct nopie *n)
{
	ssize_t len = readlink("/proc/self/exe", n->path, sizeof(n->path) - 32);
	assert_true(len > 0);
	n->path[len] = '\0';
	strcpy(strrchr(n->path, '/'), "/data_sym_nopie");
	int fd = open(n->path, O_RDONLY);
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	GElf_Ehdr eh;
	assert_non_null(gelf_getehdr(e, &eh));
	assert_int_equal(eh.e_type, ET_EXEC);
	uint64_t start = 0, limit = 0, offset = 0, func = 0;
	size_t nph;
	assert_int_equal(elf_getphdrnum(e, &nph), 0);
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		assert_non_null(gelf_getphdr(e, (int)i, &ph));
		if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) {
			start = ph.p_vaddr & ~0xfffULL;
			offset = ph.p_offset & ~0xfffULL;
			limit = (ph.p_vaddr + ph.p_memsz + 0xfff) & ~0xfffULL;
		}
	}
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		assert_non_null(gelf_getshdr(scn, &sh));
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			gelf_getsym(d, (int)i, &sym);
			const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (name && strcmp(name, "sym_nopie_func") == 0)
				func = sym.st_value;
			if (name && strcmp(name, "main") == 0)
				n->main = sym.st_value;
		}
	}
	elf_end(e);
	close(fd);
	assert_true(start && func >= start && func < limit);
	n->start = start;
	n->limit = limit;
	n->offset = offset;
	n->func = func;
	return true;
}

/* data_sym_nopie is mapped at its link-time addresses: its mapping is made here from its
 * executable PT_LOAD segment exactly as the kernel would map it. */
static void test_fixed_address_executable(void **state)
{
	(void)state;
	struct nopie nl;
	if (!nopie_layout(&nl))
		skip(); /* not built: `ninja tests/unit/data_sym_nopie` */
	const char *path = nl.path;
	uint64_t start = nl.start, limit = nl.limit, offset = nl.offset, func = nl.func;
	sc_profile *p = sc_profile_new();
	uint32_t m = add_mapping(p, start, limit, offset, path, false);
	uint32_t loc = add_loc(p, m, func + 1);
	assert_int_equal(sc_symbolize_profile(p, NULL, NULL), 0);
	uint32_t n;
	const sc_line *l = loc_lines(p, loc, &n);
	assert_int_equal(n, 1);
	const sc_function *f = line_fn(p, &l[0]);
	assert_string_equal(sc_profile_str(p, f->name), "sym_nopie_func");
	assert_ends_with(sc_profile_str(p, f->filename), "data_sym_nopie.c");
	assert_int_equal(f->start_line, 9); /* see data_sym_nopie.c */
	assert_in_range(l[0].line, 9, 12);
	sc_profile_free(p);
}

/* An ELF file the module cache does not take (it is for x86-64 only; here data_sym_nopie with its
 * e_machine changed to AArch64, as a stand-in for a 32-bit program's files) is still read:
 * libdwfl opens it itself, as before the symbolizer used the cache. */
static void test_foreign_machine_elf(void **state)
{
	(void)state;
	struct nopie nl;
	if (!nopie_layout(&nl))
		skip();
	char tmp[] = "/tmp/sc-sym-foreign-XXXXXX";
	int out = mkstemp(tmp);
	assert_true(out >= 0);
	int in = open(nl.path, O_RDONLY);
	assert_true(in >= 0);
	char buf[65536];
	ssize_t got;
	while ((got = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)got), got);
	close(in);
	const unsigned char aarch64[2] = {183, 0}; /* e_machine, little-endian, at byte 18 */
	assert_int_equal(pwrite(out, aarch64, 2, 18), 2);
	close(out);
	sc_profile *p = sc_profile_new();
	uint32_t m = add_mapping(p, nl.start, nl.limit, nl.offset, tmp, false);
	uint32_t loc = add_loc(p, m, nl.func + 1);
	sc_sym_stats st;
	assert_int_equal(sc_symbolize_profile(p, NULL, &st), 0);
	assert_int_equal(st.files_missing, 0);
	uint32_t n;
	const sc_line *l = loc_lines(p, loc, &n);
	assert_int_equal(n, 1);
	assert_string_equal(sc_profile_str(p, line_fn(p, &l[0])->name), "sym_nopie_func");
	sc_profile_free(p);
	unlink(tmp);
}

/* A stripped executable has no DWARF and no .symtab: no CU, no subprogram, no function symbol.
 * Its addresses stay unresolved (shown as file+offset), and no empty list reaches qsort, which
 * UBSan reports (issue 8, item 17; this test fails under the sanitizer build without the fix). */
static void test_stripped_executable(void **state)
{
	(void)state;
	struct nopie nl;
	if (!nopie_layout(&nl))
		skip(); /* not built: `ninja tests/unit/data_sym_nopie` */
	if (system("command -v objcopy >/dev/null 2>&1") != 0)
		skip(); /* needs binutils' objcopy to make the stripped copy */
	char dir[] = "/tmp/scorch-symstrip-XXXXXX", cmd[16384], stripped[64];
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "objcopy --strip-all '%s' %s/stripped", nl.path, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(stripped, sizeof(stripped), "%s/stripped", dir);

	sc_profile *p = sc_profile_new();
	uint32_t m = add_mapping(p, nl.start, nl.limit, nl.offset, stripped, false);
	uint32_t loc = add_loc(p, m, nl.func + 1);
	uint32_t loc2 = add_loc(p, m, nl.func + 4);
	/* main sets up a frame: its CFI has rows at +1, +4 and +10; +5 and +10 lie in different
	 * rows of the one FDE, and must still make one function */
	uint32_t main5 = add_loc(p, m, nl.main + 5), main10 = add_loc(p, m, nl.main + 10);
	add_stack_sample(p, loc, 1);
	add_stack_sample(p, loc2, 1);
	add_stack_sample(p, loc2, 1);
	sc_sym_stats st;
	assert_int_equal(sc_symbolize_profile(p, NULL, &st), 0);
	assert_int_equal(st.locations, 4);
	assert_int_equal(st.resolved, 0);
	/* Both addresses lie in sym_nopie_func, which .eh_frame still bounds: one row named after
	 * the function's start, not one per address. */
	char want[64];
	snprintf(want, sizeof(want), "stripped+0x%" PRIx64, nl.func - nl.start + nl.offset);
	assert_single_name(p, loc, want);
	assert_single_name(p, loc2, want);
	snprintf(want, sizeof(want), "stripped+0x%" PRIx64, nl.main - nl.start + nl.offset);
	assert_single_name(p, main5, want);
	assert_single_name(p, main10, want);
	/* the summary's figures: every sample unnamed, because the file is stripped */
	assert_int_equal(st.samples, 3);
	assert_int_equal(st.unnamed_samples, 3);
	assert_int_equal(st.nworst, 1);
	assert_string_equal(sc_profile_str(p, st.worst[0].module), stripped);
	assert_int_equal(st.worst[0].samples, 3);
	assert_int_equal(st.worst[0].unnamed, 3);
	assert_int_equal(st.worst[0].why, SC_SYM_STRIPPED);
	sc_profile_free(p);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_missing_file_and_no_mapping(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	uint64_t start = 0x7f0000000000ULL;
	uint32_t m =
	    add_mapping(p, start, start + 0x10000, 0x2000, "/nonexistent/dir/libgone.so.1", false);
	uint32_t vsys = add_mapping(p, start + 0x20000, start + 0x22000, 0, "[vsyscall]", false);
	uint32_t a = add_loc(p, m, start + 0x345);
	uint32_t b = add_loc(p, vsys, start + 0x20010);
	uint32_t c = add_loc(p, 0, 0x1234);
	sc_sym_stats st;
	assert_int_equal(sc_symbolize_profile(p, NULL, &st), 0);
	assert_int_equal(st.locations, 3);
	assert_int_equal(st.resolved, 0);
	assert_int_equal(st.unresolved, 3);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.files_missing, 2);
	/* one row per module whose file cannot be read */
	assert_single_name(p, a, "[libgone.so.1]");
	assert_single_name(p, b, "[vsyscall]");
	assert_single_name(p, c, "[unknown]");
	assert_int_equal(sc_profile_mapping(p, m)->build_id, 0);
	sc_profile_free(p);
}

/* "[vdso]" is no file: the kernel maps the same image into every process, so this test's own
 * vDSO names an address of it, e.g. clock_gettime's. */
static void test_vdso(void **state)
{
	(void)state;
	void *h = dlopen("linux-vdso.so.1", RTLD_NOW | RTLD_NOLOAD);
	void *fn = h ? dlsym(h, "__vdso_clock_gettime") : NULL;
	if (!fn)
		skip(); /* no vDSO here, or it exports no __vdso_clock_gettime (not x86-64) */
	struct map vdso;
	assert_true(find_map((uintptr_t)fn, &vdso));
	assert_string_equal(vdso.path, "[vdso]");
	sc_profile *p = sc_profile_new();
	uint32_t m = add_mapping(p, vdso.start, vdso.limit, vdso.offset, "[vdso]", false);
	uint32_t loc = add_loc(p, m, (uintptr_t)fn + 4);
	sc_sym_stats st;
	assert_int_equal(sc_symbolize_profile(p, NULL, &st), 0);
	assert_int_equal(st.resolved, 1);
	uint32_t n;
	const sc_line *l = loc_lines(p, loc, &n);
	assert_true(n >= 1);
	assert_ends_with(sc_profile_str(p, line_fn(p, &l[n - 1])->name), "clock_gettime");
	/* the image's build-id, as for a file */
	assert_int_equal(strlen(sc_profile_str(p, sc_profile_mapping(p, m)->build_id)), 40);
	sc_profile_free(p);
	dlclose(h);
}

static void test_build_id_mismatch(void **state)
{
	(void)state;
	struct known k;
	run_known(&k);
	sc_profile *p = sc_profile_new();
	uint32_t m = add_mapping(p, k.exe.start, k.exe.limit, k.exe.offset, k.exe.path, false);
	sc_profile_mapping(p, m)->build_id =
	    (sc_str)sc_profile_intern(p, "0123456789abcdef0123456789abcdef01234567");
	uint32_t loc = add_loc(p, m, k.leaf_ret - 1);
	add_stack_sample(p, loc, 42);
	sc_sym_stats st;
	assert_int_equal(sc_symbolize_profile(p, NULL, &st), 0);
	assert_int_equal(st.unresolved, 1);
	/* not even the file's unwind tables are trusted: one row for the module */
	char want[4200];
	snprintf(want, sizeof(want), "[%s]", strrchr(k.exe.path, '/') + 1);
	assert_single_name(p, loc, want);
	assert_int_equal(st.nworst, 1);
	assert_int_equal(st.worst[0].why, SC_SYM_STALE);
	sc_profile_free(p);
}

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/scorch-kallsyms-XXXXXX");
	assert_non_null(path);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_kallsyms(void **state)
{
	(void)state;
	char *path = write_temp("ffffffff81000000 T _stext\n"
				"ffffffff81000000 t __alias_of_stext\n"
				"ffffffff81001000 T do_one\n"
				"ffffffff81002000 t do_two\n"
				"ffffffff81002000 T __do_two\n"
				"ffffffff81003000 D some_data\n"
				"ffffffff81004000 W weak_three\n"
				"ffffffffc0000000 t ext4_thing\t[ext4]\n"
				"ffffffffc0000100 T ext4_other\t[ext4]\n");
	sc_profile *p = sc_profile_new();
	uint32_t m =
	    add_mapping(p, 0xffffffff80000000ULL, UINT64_MAX, 0, "[kernel.kallsyms]", true);
	uint32_t a = add_loc(p, m, 0xffffffff81001010ULL);
	uint32_t b = add_loc(p, m, 0xffffffff81003010ULL); /* data symbols are not functions */
	uint32_t c = add_loc(p, m, 0xffffffffc0000010ULL);
	uint32_t d = add_loc(p, m, 0xffffffff80000001ULL); /* below the first symbol */
	uint32_t e = add_loc(p, m, 0xffffffff81000000ULL);
	uint32_t f = add_loc(p, m, 0xffffffff81004000ULL);
	sc_sym_options o = {.kallsyms_path = path};
	sc_sym_stats st;
	assert_int_equal(sc_symbolize_profile(p, &o, &st), 0);
	assert_int_equal(st.locations, 6);
	assert_int_equal(st.resolved, 5);
	assert_int_equal(st.unresolved, 1);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.files_missing, 0);

	uint32_t n;
	const sc_function *fn = line_fn(p, loc_lines(p, a, &n));
	assert_string_equal(sc_profile_str(p, fn->name), "do_one");
	assert_string_equal(sc_profile_str(p, fn->filename), "");
	assert_single_name(p, b, "__do_two");
	fn = line_fn(p, loc_lines(p, c, &n));
	assert_string_equal(sc_profile_str(p, fn->name), "ext4_thing");
	assert_string_equal(sc_profile_str(p, fn->filename), "[ext4]");
	assert_single_name(p, d, "[kernel]");
	assert_single_name(p, e, "_stext"); /* the global alias wins */
	assert_single_name(p, f, "weak_three");
	sc_profile_free(p);
	unlink(path);
	free(path);

	/* Without privilege every address reads 0: no symbols, one "[kernel]" row for them all. */
	path = write_temp("0000000000000000 T _stext\n0000000000000000 T do_one\n");
	o.kallsyms_path = path;
	p = sc_profile_new();
	m = add_mapping(p, 0xffffffff80000000ULL, UINT64_MAX, 0, "[kernel.kallsyms]", true);
	a = add_loc(p, m, 0xffffffff81001010ULL);
	b = add_loc(p, m, 0xffffffff81003010ULL);
	add_stack_sample(p, a, 1);
	add_stack_sample(p, b, 1);
	assert_int_equal(sc_symbolize_profile(p, &o, &st), 0);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.files_missing, 1);
	assert_single_name(p, a, "[kernel]");
	assert_single_name(p, b, "[kernel]");
	assert_int_equal(st.unnamed_samples, 2);
	assert_int_equal(st.worst[0].why, SC_SYM_KERNEL);
	sc_profile_free(p);
	unlink(path);
	free(path);
}

/* perf-PID.map parsing: hex with or without 0x, names with spaces, CRLF, bad lines skipped, a
 * later line for the same start wins, [start, start + size) is what an entry holds. */
static void test_perfmap_parse(void **state)
{
	(void)state;
	char *path = write_temp("7f0000001000 40 JIT:foo [tier 2]\n"
				"0x7f0000002000 0x10 bar\n"
				"garbage line\n"
				"7f0000003000 0 zero_size\n"
				"7f0000004000 20\n"
				"  7f0000005000\t8\tbaz qux\n"
				"7f0000001000 40 foo_recompiled\r\n");
	sc_perfmap m;
	assert_int_equal(sc_perfmap_load(&m, path), 0);
	assert_int_equal(m.n, 3);
	assert_string_equal(sc_perfmap_find(&m, 0x7f0000001000)->name, "foo_recompiled");
	assert_string_equal(sc_perfmap_find(&m, 0x7f000000103f)->name, "foo_recompiled");
	assert_null(sc_perfmap_find(&m, 0x7f0000001040));
	assert_string_equal(sc_perfmap_find(&m, 0x7f0000002005)->name, "bar");
	assert_null(sc_perfmap_find(&m, 0x7f0000002010));
	assert_null(sc_perfmap_find(&m, 0x7f0000003000));
	assert_null(sc_perfmap_find(&m, 0x7f0000004000));
	assert_string_equal(sc_perfmap_find(&m, 0x7f0000005007)->name, "baz qux");
	assert_null(sc_perfmap_find(&m, 0x1000));
	sc_perfmap_release(&m);
	sc_perfmap_release(&m); /* twice is fine */

	/* /tmp is everyone's: no symbolic links, no FIFOs (and no blocking on one), no files of
	 * other users */
	char link[64], fifo[64];
	snprintf(link, sizeof(link), "%s.link", path);
	snprintf(fifo, sizeof(fifo), "%s.fifo", path);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(sc_perfmap_load(&m, link), -ELOOP);
	assert_int_equal(m.n, 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(sc_perfmap_load(&m, fifo), -EINVAL);
	assert_int_equal(sc_perfmap_load(&m, "/nonexistent/perf-1.map"), -ENOENT);
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(sc_perfmap_load(&m, path), -EPERM);
	}
	unlink(link);
	unlink(fifo);
	unlink(path);
	free(path);
}

/* JIT locations are named from the map of a process whose samples hold them: location A is in
 * samples of pids 4242 (which has a map naming it) and 4343 (which has none); B is only in
 * 4343's samples, so stays "[anon]"; C lies in no mapping but 4242's map names it. */
static void test_perfmap_symbolize(void **state)
{
	(void)state;
	char dir[] = "/tmp/scorch-perfmap-XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/perf-4242.map", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "7f5500001000 100 LazyCompile:*add /app/math.js:3\n1234000 10 stub\n");
	assert_int_equal(fclose(f), 0);

	sc_profile *p = sc_profile_new();
	uint32_t m = add_mapping(p, 0x7f5500000000, 0x7f5500010000, 0, "//anon", false);
	uint32_t a = add_loc(p, m, 0x7f5500001080);
	uint32_t b = add_loc(p, m, 0x7f5500002000);
	uint32_t c = add_loc(p, 0, 0x1234008);
	add_stack_sample(p, a, 4343);
	add_stack_sample(p, a, 4242);
	add_stack_sample(p, b, 4343);
	add_stack_sample(p, c, 4242);
	sc_sym_options o = {.perf_map_dir = dir};
	sc_sym_stats st;
	assert_int_equal(sc_symbolize_profile(p, &o, &st), 0);
	assert_single_name(p, a, "LazyCompile:*add /app/math.js:3");
	assert_single_name(p, b, "[anon]");
	assert_single_name(p, c, "stub");
	assert_int_equal(st.resolved, 2);
	assert_int_equal(st.samples, 4);
	assert_int_equal(st.unnamed_samples, 1);
	assert_int_equal(st.nworst, 1);
	assert_int_equal(st.worst[0].why, SC_SYM_JIT);
	assert_int_equal(st.worst[0].pid, 4343);
	assert_int_equal(st.worst[0].map_error, -ENOENT); /* 4343 wrote no map */
	assert_int_equal(st.worst[0].samples, 3);
	assert_int_equal(st.worst[0].unnamed, 1);
	sc_profile_free(p);
	unlink(path);
	rmdir(dir);
}

static void assert_demangles(const char *sym, const char *want)
{
	char *got = sc_demangle(sym);
	if (!sym) {
		assert_null(got);
		return;
	}
	if (!want) {
		if (got)
			fail_msg("'%s' demangled to '%s', expected nothing", sym, got);
		return;
	}
	if (!got)
		fail_msg("'%s' did not demangle", sym);
	assert_string_equal(got, want);
	free(got);
}

static void test_demangle(void **state)
{
	(void)state;
	assert_demangles("_ZN2ns6MatrixIfE3mulEv", "ns::Matrix<float>::mul()");
	assert_demangles("_ZNSt6vectorIiSaIiEE9push_backERKi",
			 "std::vector<int, std::allocator<int> >::push_back(int const&)");
	assert_demangles("_Z3fooi.isra.0", "foo(int) [clone .isra.0]");
	/* Rust legacy: the trailing hash goes, as in perf. */
	assert_demangles("_ZN4core3fmt9Formatter3pad17h5e3a5f0c4ed8b2a1E",
			 "core::fmt::Formatter::pad");
	/* Rust v0 */
	assert_demangles("_RNvNtCs1234_7mycrate3foo3bar", "mycrate::foo::bar");
	assert_demangles("main", NULL);
	assert_demangles("_start", NULL);
	assert_demangles("_Dmain", NULL);
	assert_demangles(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_own_binary),
	    cmocka_unit_test(test_no_inline),
	    cmocka_unit_test(test_shared_library),
	    cmocka_unit_test(test_shared_module_cache),
	    cmocka_unit_test(test_symbol_version),
	    cmocka_unit_test(test_separate_debug_file),
	    cmocka_unit_test(test_build_id_debug_file),
	    cmocka_unit_test(test_plt_stubs),
	    cmocka_unit_test(test_fixed_address_executable),
	    cmocka_unit_test(test_foreign_machine_elf),
	    cmocka_unit_test(test_stripped_executable),
	    cmocka_unit_test(test_missing_file_and_no_mapping),
	    cmocka_unit_test(test_vdso),
	    cmocka_unit_test(test_build_id_mismatch),
	    cmocka_unit_test(test_kallsyms),
	    cmocka_unit_test(test_perfmap_parse),
	    cmocka_unit_test(test_perfmap_symbolize),
	    cmocka_unit_test(test_demangle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

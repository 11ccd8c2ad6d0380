/*
 * test_unwind.c: the unwinder, one step and whole stacks.
 *
 * One step (the recorder's leaf fix): sc_unwind_return_address on record_helper's real .eh_frame,
 * with hand-made registers and stacks: at a function's first instruction the return address is
 * at sp, after `push %rbp` at sp + 8, after `mov %rsp,%rbp` at bp + 8. Also the failure cases (no
 * file, not ELF, a slot outside the copied stack) and the caches.
 *
 * Whole stacks (sc_unwind_stack): unwind_qsort's dump (registers and stack copied inside a qsort
 * callback, built -O2 -fomit-frame-pointer, again with frame pointers, and again with its CFI in
 * .debug_frame only) must give snap <- cmp_fn <- libc <- sort_things <- main <- libc <- _start in
 * DWARF and AUTO modes, also through a signal handler; cut copies, missing mappings and full
 * arrays stop where they should; random junk ends quickly. A pc in the vDSO is unwound with the
 * vDSO's CFI. And a distribution binary without frame pointers: Debian's python3, stopped with
 * ptrace in time.sleep under a few Python calls, unwinds to Py_RunMain and _start. Function names
 * come from the files' .symtab/.dynsym read here with libelf, not from src/symbolize. Allocation
 * failures: each allocation of a cold unwind failed in turn gives -ENOMEM or a chain, and leaks
 * nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <signal.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "alloc_torture.h"
#include "helper_elf.h"
#include "unwind/maps.h"
#include "unwind/unwind.h"

static char helper[PATH_MAX];
static struct helper_syms syms;

static int setup(void **state)
{
	(void)state;
	const char *h = helper_path();
	if (!h || !realpath(h, helper) || helper_syms_load(helper, &syms) < 0) {
		fprintf(stderr, "record_helper not found next to the test: build it first\n");
		return -1;
	}
	return 0;
}

static uint64_t sym_offset(const char *name)
{
	const struct helper_sym *s = helper_sym(&syms, name);
	assert_non_null(s);
	return s->offset;
}

/* Reads n bytes of the helper file at `off`. */
static void file_bytes(uint64_t off, unsigned char *buf, size_t n)
{
	FILE *f = fopen(helper, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
	assert_int_equal(fread(buf, 1, n, f), n);
	fclose(f);
}

static void put64(unsigned char *stack, size_t at, uint64_t v)
{
	memcpy(stack + at, &v, 8);
}

static void test_frameless_entry(void **state)
{
	(void)state;
	sc_unwind *u = sc_unwind_new();
	assert_non_null(u);
	int f = sc_unwind_file(u, helper);
	assert_true(f >= 0);
	unsigned char stack[64] = {0};
	put64(stack, 0, 0x5555deadbeefULL);
	sc_unwind_regs regs = {.ip = 0, .sp = 0x7ffd0000, .bp = 0x1234};
	uint64_t ra = 0;
	/* leaf, anywhere in its body: no frame, so CFA = sp + 8 throughout */
	uint64_t leaf = sym_offset("leaf");
	for (uint64_t pc = leaf; pc < leaf + 8; pc++) {
		assert_int_equal(
		    sc_unwind_return_address(u, f, pc, &regs, stack, sizeof(stack), &ra), 1);
		assert_int_equal(ra, 0x5555deadbeefULL);
	}
	/* the slot must lie inside the copy */
	assert_int_equal(sc_unwind_return_address(u, f, leaf, &regs, stack, 4, &ra), 0);
	regs.sp = 0x7ffd0004;
	put64(stack, 0, 0);
	assert_int_equal(sc_unwind_return_address(u, f, leaf, &regs, stack, 4, &ra), 0);
	sc_unwind_stats st;
	sc_unwind_get_stats(u, &st);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.pcs, 8); /* each pc looked up once, then cached */
	assert_int_equal(st.pcs_failed, 0);
	sc_unwind_free(u);
}

static void test_framed_prologue(void **state)
{
	(void)state;
	uint64_t fn = sym_offset("caller_a");
	unsigned char code[8];
	file_bytes(fn, code, sizeof(code));
	size_t at = 0;
	if (!memcmp(code, "\xf3\x0f\x1e\xfa", 4))
		at = 4; /* endbr64 */
	file_bytes(fn + at, code, 4);
	if (memcmp(code, "\x55\x48\x89\xe5", 4)) {
		printf("skipped: caller_a does not start with push %%rbp; mov %%rsp,%%rbp\n");
		skip();
	}
	sc_unwind *u = sc_unwind_new();
	int f = sc_unwind_file(u, helper);
	assert_true(f >= 0);
	unsigned char stack[128] = {0};
	sc_unwind_regs regs = {.sp = 0x7ffe1000, .bp = 0x7ffe1000 + 48};
	uint64_t ra;
	/* at entry: return address at sp */
	put64(stack, 0, 0x1111);
	assert_int_equal(sc_unwind_return_address(u, f, fn + at, &regs, stack, sizeof(stack), &ra),
			 1);
	assert_int_equal(ra, 0x1111);
	/* after push %rbp: at sp + 8 */
	put64(stack, 8, 0x2222);
	assert_int_equal(
	    sc_unwind_return_address(u, f, fn + at + 1, &regs, stack, sizeof(stack), &ra), 1);
	assert_int_equal(ra, 0x2222);
	/* after mov %rsp,%rbp: CFA = bp + 16, return address at bp + 8 */
	put64(stack, 56, 0x3333);
	assert_int_equal(
	    sc_unwind_return_address(u, f, fn + at + 4, &regs, stack, sizeof(stack), &ra), 1);
	assert_int_equal(ra, 0x3333);
	sc_unwind_free(u);
}

/* A sample taken in an epilogue after `pop %rbp`: GCC's CFI there says CFA = sp + 8 but still
 * "rbp saved at CFA-16", a slot below sp that the stack copy does not hold. rbp already holds the
 * caller's value, so the caller (main, whose CFA is rbp + 16) must still be stepped. */
static void test_epilogue_after_pop(void **state)
{
	(void)state;
	const struct helper_sym *a = helper_sym(&syms, "caller_a"), *m = helper_sym(&syms, "main");
	assert_non_null(a);
	assert_non_null(m);
	unsigned char code[4096];
	assert_true(a->size <= sizeof(code) && m->size <= sizeof(code));
	/* The instruction after caller_a's `pop %rbp`, and the return address of main's call. */
	file_bytes(a->offset, code, a->size);
	uint64_t after_pop = 0;
	for (uint64_t i = 1; i < a->size; i++)
		if (code[i] == 0x5d && code[i - 1] != 0x0f)
			after_pop = a->offset + i + 1;
	file_bytes(m->offset, code, m->size);
	uint64_t ret_in_main = 0;
	for (uint64_t i = 0; i + 5 <= m->size; i++) {
		int32_t rel;
		memcpy(&rel, code + i + 1, 4);
		if (code[i] == 0xe8 && m->offset + i + 5 + (int64_t)rel == a->offset)
			ret_in_main = m->offset + i + 5;
	}
	if (!after_pop || !ret_in_main) {
		printf(
		    "skipped: caller_a has no pop %%rbp epilogue, or main no direct call of it\n");
		skip();
	}
	sc_unwind *u = sc_unwind_new();
	assert_non_null(u);
	int f = sc_unwind_file(u, helper);
	assert_true(f >= 0);
	struct stat st;
	assert_int_equal(stat(helper, &st), 0);
	const uint64_t base = 0x555500000000ULL, sp = 0x7ffd00001000ULL;
	sc_unwind_maps maps = {0};
	assert_int_equal(sc_unwind_maps_add(&maps, base, base + (uint64_t)st.st_size, 0, f), 0);
	unsigned char stack[128] = {0};
	put64(stack, 0, base + ret_in_main); /* caller_a's return address, at sp */
	put64(stack, 64, 0);		     /* main's frame: saved rbp, then a 0 return address */
	put64(stack, 72, 0);
	sc_unwind_regs regs = {.ip = base + after_pop, .sp = sp, .bp = sp + 64};
	sc_unwind_options o = {.mode = SC_UNWIND_DWARF};
	uint64_t pcs[8];
	sc_unwind_result res;
	int n = sc_unwind_stack(u, &o, &regs, stack, sizeof(stack), sc_unwind_maps_find, &maps, pcs,
				8, &res);
	assert_int_equal(n, 2);
	assert_int_equal(pcs[1], base + ret_in_main);
	/* main was stepped with the rbp the epilogue had restored: its return address 0 ends the
	 * chain as the outermost frame, not as "no rule". */
	assert_int_equal(res.stop, SC_UNWIND_STOP_OUTERMOST);
	sc_unwind_maps_release(&maps);
	sc_unwind_free(u);
}

static void test_bad_files(void **state)
{
	(void)state;
	sc_unwind *u = sc_unwind_new();
	assert_int_equal(sc_unwind_file(u, "/nonexistent/scorch/lib.so"), -ENOENT);
	assert_int_equal(sc_unwind_file(u, "/nonexistent/scorch/lib.so"), -ENOENT);
	assert_int_equal(sc_unwind_file(u, SC_TEST_SRCDIR "/meson.build"), -ENOEXEC);
	int f = sc_unwind_file(u, helper);
	assert_true(f >= 0);
	assert_int_equal(sc_unwind_file(u, helper), f);
	sc_unwind_stats st;
	sc_unwind_get_stats(u, &st);
	assert_int_equal(st.files, 3);
	assert_int_equal(st.files_failed, 2);
	/* a failed handle and offsets outside every segment give no answer */
	unsigned char stack[16] = {0};
	sc_unwind_regs regs = {.sp = 0x1000};
	uint64_t ra;
	assert_int_equal(sc_unwind_return_address(u, -ENOENT, 0, &regs, stack, 16, &ra), 0);
	assert_int_equal(sc_unwind_return_address(u, f, 1ULL << 40, &regs, stack, 16, &ra), 0);
	sc_unwind_free(u);
	sc_unwind_free(NULL);
}

/* ---- whole stacks ---- */

/* The function symbol (.symtab, else .dynsym) of `path` holding ELF address `vaddr`. */
static void symbol_at(const char *path, uint64_t vaddr, char *out, size_t size)
{
	snprintf(out, size, "?");
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	for (int pass = 0; e && pass < 2 && !strcmp(out, "?"); pass++) {
		Elf_Scn *scn = NULL;
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh) ||
			    sh.sh_type != (pass == 0 ? SHT_SYMTAB : SHT_DYNSYM) || !sh.sh_entsize)
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym sym;
				if (gelf_getsym(d, (int)i, &sym) &&
				    GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_value &&
				    vaddr - sym.st_value < sym.st_size) {
					snprintf(out, size, "%s",
						 elf_strptr(e, sh.sh_link, sym.st_name));
					break;
				}
			}
		}
	}
	if (e)
		elf_end(e);
	close(fd);
}

struct chain {
	uint64_t pcs[256];
	int n;
	sc_unwind_result res;
	char names[256][64];
	char files[256][160];
};

/* Unwinds and names each frame (a return address is looked up at pc - 1); prints the chain. */
static void unwind_and_name(sc_unwind *u, sc_unwind_maps *maps, sc_unwind_mode mode,
			    const sc_unwind_regs *regs, const void *stack, size_t size,
			    struct chain *c, size_t max)
{
	sc_unwind_options o = {.mode = mode};
	c->n = sc_unwind_stack(u, &o, regs, stack, size, sc_unwind_maps_find, maps, c->pcs, max,
			       &c->res);
	assert_true(c->n >= 1);
	for (int i = 0; i < c->n; i++) {
		uint64_t at = i ? c->pcs[i] - 1 : c->pcs[i], vaddr;
		sc_unwind_map m;
		const char *path = NULL;
		snprintf(c->names[i], sizeof(c->names[i]), "?");
		c->files[i][0] = 0;
		if (sc_unwind_maps_find(maps, at, &m) &&
		    (path = sc_module_path(sc_unwind_modules(u), m.file)) &&
		    sc_module_vaddr(sc_unwind_modules(u), m.file, at - m.start + m.pgoff, &vaddr)) {
			symbol_at(path, vaddr, c->names[i], sizeof(c->names[i]));
			snprintf(c->files[i], sizeof(c->files[i]), "%s", path);
		}
		printf("  #%d %#llx %s (%s)\n", i, (unsigned long long)c->pcs[i], c->names[i],
		       c->files[i]);
	}
	printf("  stop: %s; %u CFI steps, %u frame-pointer steps\n",
	       sc_unwind_stop_name(c->res.stop), c->res.steps_cfi, c->res.steps_fp);
}

struct dump {
	sc_unwind_regs regs;
	unsigned char *stack;
	size_t size;
	char maps[PATH_MAX];
	char exe[PATH_MAX];
};

/* Runs tests/unit/unwind_qsort{,_fp,_dbg} (`name`, with argument `arg` unless NULL) and loads
 * its dump. */
static void run_qsort_arg(const char *name, const char *arg, struct dump *d)
{
	memset(d, 0, sizeof(*d));
	char dir[] = "/tmp/scorch-unwind-XXXXXX", cmd[PATH_MAX * 2 + 16], path[PATH_MAX];
	assert_non_null(mkdtemp(dir));
	snprintf(d->exe, sizeof(d->exe), "%s", helper_path());
	*strrchr(d->exe, '/') = 0;
	snprintf(d->exe + strlen(d->exe), sizeof(d->exe) - strlen(d->exe), "/%s", name);
	snprintf(path, sizeof(path), "%s/dump", dir);
	snprintf(d->maps, sizeof(d->maps), "%s/dump.maps", dir);
	snprintf(cmd, sizeof(cmd), "'%s' '%s' %s", d->exe, path, arg ? arg : "");
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char magic[8];
	uint64_t r[8], size;
	assert_int_equal(fread(magic, 1, 8, f), 8);
	assert_memory_equal(magic, "SCUWDMP1", 8);
	assert_int_equal(fread(r, 8, 8, f), 8);
	assert_int_equal(fread(&size, 8, 1, f), 1);
	d->stack = malloc(size);
	assert_non_null(d->stack);
	assert_int_equal(fread(d->stack, 1, size, f), size);
	fclose(f);
	d->size = size;
	d->regs = (sc_unwind_regs){.ip = r[0],
				   .sp = r[1],
				   .bp = r[2],
				   .bx = r[3],
				   .r12 = r[4],
				   .r13 = r[5],
				   .r14 = r[6],
				   .r15 = r[7],
				   .have = 31};
	unlink(path);
}

static void run_qsort(const char *name, struct dump *d)
{
	run_qsort_arg(name, NULL, d);
}

static void dump_release(struct dump *d)
{
	unlink(d->maps);
	*strrchr(d->maps, '/') = 0;
	rmdir(d->maps);
	free(d->stack);
}

static bool is_libc(const char *file)
{
	return strstr(file, "/libc.so") != NULL;
}

/* snap <- cmp_fn <- libc... <- sort_things <- main <- libc... <- _start, then the outermost
 * frame. */
static void expect_qsort_chain(const struct chain *c, const char *exe)
{
	int i = 0;
	assert_true(c->n >= 7);
	assert_string_equal(c->names[i], "snap");
	assert_string_equal(c->files[i++], exe);
	assert_string_equal(c->names[i++], "cmp_fn");
	int libc = 0;
	while (i < c->n && is_libc(c->files[i]))
		i++, libc++;
	assert_true(libc >= 1);
	assert_true(i + 3 < c->n);
	assert_string_equal(c->names[i++], "sort_things");
	assert_string_equal(c->names[i++], "main");
	assert_true(is_libc(c->files[i++]));
	while (i < c->n && is_libc(c->files[i]))
		i++;
	assert_int_equal(i, c->n - 1);
	assert_string_equal(c->names[i], "_start");
	assert_int_equal(c->res.stop, SC_UNWIND_STOP_OUTERMOST);
}

static void test_qsort_chain(void **state)
{
	(void)state;
	const char *progs[] = {"unwind_qsort", "unwind_qsort_fp", "unwind_qsort_dbg"};
	for (int p = 0; p < 3; p++) {
		struct dump d;
		run_qsort(progs[p], &d);
		sc_unwind *u = sc_unwind_new();
		sc_unwind_maps maps = {0};
		assert_int_equal(sc_unwind_maps_load_file(&maps, u, d.maps, NULL), 0);
		struct chain *c = calloc(1, sizeof(*c));
		int exe = sc_unwind_file(u, d.exe);
		assert_true(exe >= 0);
		/* the frame-pointer judgement of each build */
		assert_int_equal(sc_module_has_frame_pointers(sc_unwind_modules(u), exe), p == 1);
		printf("%s, dwarf:\n", progs[p]);
		unwind_and_name(u, &maps, SC_UNWIND_DWARF, &d.regs, d.stack, d.size, c, 256);
		expect_qsort_chain(c, d.exe);
		assert_int_equal(c->res.steps_fp, 0);
		uint64_t dwarf[256];
		int ndwarf = c->n;
		memcpy(dwarf, c->pcs, sizeof(dwarf));
		printf("%s, auto:\n", progs[p]);
		unwind_and_name(u, &maps, SC_UNWIND_AUTO, &d.regs, d.stack, d.size, c, 256);
		expect_qsort_chain(c, d.exe);
		assert_int_equal(c->n, ndwarf);
		assert_memory_equal(c->pcs, dwarf, (size_t)ndwarf * 8);
		/* auto walks the frame-pointer build by frame pointers (not the sampled frame) */
		if (p == 1)
			assert_true(c->res.steps_fp >= 3);
		else
			assert_int_equal(c->res.steps_fp, 0);
		/* Without CFI, frame pointers lose the chain on the first build; on the second
		 * they get as far as libc, whose frames keep no frame pointer. */
		printf("%s, fp:\n", progs[p]);
		unwind_and_name(u, &maps, SC_UNWIND_FP, &d.regs, d.stack, d.size, c, 256);
		assert_int_equal(c->res.steps_cfi, 0);
		if (p == 1) {
			assert_true(c->n >= 3);
			assert_string_equal(c->names[1], "cmp_fn");
		}
		free(c);
		sc_unwind_maps_release(&maps);
		sc_unwind_free(u);
		dump_release(&d);
	}
}

/* Through a signal handler: snap <- on_signal <- the signal frame (libc's __restore_rt, whose
 * CFI is DWARF expressions over the saved context) <- libc's raise <- cmp_fn <- ... <- _start. */
static void test_signal_frame(void **state)
{
	(void)state;
	struct dump d;
	run_qsort_arg("unwind_qsort", "signal", &d);
	sc_unwind *u = sc_unwind_new();
	sc_unwind_maps maps = {0};
	assert_int_equal(sc_unwind_maps_load_file(&maps, u, d.maps, NULL), 0);
	struct chain *c = calloc(1, sizeof(*c));
	for (int mode = 0; mode < 2; mode++) {
		unwind_and_name(u, &maps, mode ? SC_UNWIND_AUTO : SC_UNWIND_DWARF, &d.regs, d.stack,
				d.size, c, 256);
		assert_string_equal(c->names[0], "snap");
		assert_string_equal(c->names[1], "on_signal");
		int i = 2;
		while (i < c->n && is_libc(c->files[i]))
			i++;
		assert_true(i >= 4); /* __restore_rt, then at least raise */
		assert_true(i + 2 < c->n);
		assert_string_equal(c->names[i], "cmp_fn");
		for (i++; i < c->n && is_libc(c->files[i]); i++)
			;
		assert_true(i + 2 < c->n);
		assert_string_equal(c->names[i], "sort_things");
		assert_string_equal(c->names[i + 1], "main");
		assert_string_equal(c->names[c->n - 1], "_start");
		assert_int_equal(c->res.stop, SC_UNWIND_STOP_OUTERMOST);
	}
	free(c);
	sc_unwind_maps_release(&maps);
	sc_unwind_free(u);
	dump_release(&d);
}

/* Where a walk stops: the end of the copy, a pc no mapping holds, a full array. */
static void test_qsort_stops(void **state)
{
	(void)state;
	struct dump d;
	run_qsort("unwind_qsort", &d);
	sc_unwind *u = sc_unwind_new();
	sc_unwind_maps maps = {0};
	assert_int_equal(sc_unwind_maps_load_file(&maps, u, d.maps, NULL), 0);
	struct chain *c = calloc(1, sizeof(*c)), *full = calloc(1, sizeof(*full));
	unwind_and_name(u, &maps, SC_UNWIND_DWARF, &d.regs, d.stack, d.size, full, 256);
	/* a copy of 16 bytes: snap's return address is there (push %rbx: at sp + 8), no more */
	unwind_and_name(u, &maps, SC_UNWIND_DWARF, &d.regs, d.stack, 16, c, 256);
	assert_int_equal(c->res.stop, SC_UNWIND_STOP_END_OF_COPY);
	assert_int_equal(c->n, 2);
	assert_string_equal(c->names[1], "cmp_fn");
	/* an empty copy: nothing but the pc */
	unwind_and_name(u, &maps, SC_UNWIND_DWARF, &d.regs, d.stack, 0, c, 256);
	assert_int_equal(c->res.stop, SC_UNWIND_STOP_END_OF_COPY);
	assert_int_equal(c->n, 1);
	/* the array holds 3 */
	unwind_and_name(u, &maps, SC_UNWIND_DWARF, &d.regs, d.stack, d.size, c, 3);
	assert_int_equal(c->res.stop, SC_UNWIND_STOP_MAX_FRAMES);
	assert_int_equal(c->n, 3);
	assert_memory_equal(c->pcs, full->pcs, 3 * 8);
	/* without libc's mappings the chain ends at cmp_fn, at a libc address */
	sc_unwind_maps nolibc = {0};
	for (size_t i = 0; i < maps.len; i++) {
		const char *path = sc_module_path(sc_unwind_modules(u), maps.data[i].file);
		if (!path || !is_libc(path))
			assert_int_equal(sc_unwind_maps_add(&nolibc, maps.data[i].start,
							    maps.data[i].end, maps.data[i].pgoff,
							    maps.data[i].file),
					 0);
	}
	unwind_and_name(u, &maps, SC_UNWIND_DWARF, &d.regs, d.stack, d.size, c, 256);
	unwind_and_name(u, &nolibc, SC_UNWIND_DWARF, &d.regs, d.stack, d.size, c, 256);
	assert_int_equal(c->res.stop, SC_UNWIND_STOP_NO_MAPPING);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->res.stop_pc, full->pcs[2]);
	/* a pc outside every mapping: just the pc */
	sc_unwind_regs bad = d.regs;
	bad.ip = 0x10;
	unwind_and_name(u, &maps, SC_UNWIND_DWARF, &bad, d.stack, d.size, c, 256);
	assert_int_equal(c->res.stop, SC_UNWIND_STOP_NO_MAPPING);
	assert_int_equal(c->n, 1);
	/* the registers as perf delivers them */
	uint64_t vals[8] = {d.regs.bx,	d.regs.bp,  d.regs.sp,	d.regs.ip,
			    d.regs.r12, d.regs.r13, d.regs.r14, d.regs.r15};
	sc_unwind_regs pr;
	assert_int_equal(sc_unwind_regs_from_perf(&pr, SC_UNWIND_PERF_REGS_MASK, vals, 8), 0);
	assert_memory_equal(&pr, &d.regs, sizeof(pr));
	assert_int_equal(sc_unwind_regs_from_perf(&pr, SC_UNWIND_PERF_REGS_MASK, vals, 7), -EINVAL);
	assert_int_equal(sc_unwind_regs_from_perf(&pr, 1ull << 8, vals, 1), -EINVAL);
	/* rules are cached: a second walk looks nothing new up */
	sc_unwind_stats before, after;
	sc_unwind_get_stats(u, &before);
	unwind_and_name(u, &maps, SC_UNWIND_DWARF, &d.regs, d.stack, d.size, c, 256);
	sc_unwind_get_stats(u, &after);
	assert_int_equal(after.pcs, before.pcs);
	assert_int_equal(after.files, before.files);
	/* and uncached gives the same chain */
	sc_unwind_options o = {.mode = SC_UNWIND_DWARF, .no_rule_cache = true};
	uint64_t pcs[256];
	assert_int_equal(sc_unwind_stack(u, &o, &d.regs, d.stack, d.size, sc_unwind_maps_find,
					 &maps, pcs, 256, NULL),
			 full->n);
	assert_memory_equal(pcs, full->pcs, (size_t)full->n * 8);
	free(c);
	free(full);
	sc_unwind_maps_release(&nolibc);
	sc_unwind_maps_release(&maps);
	sc_unwind_free(u);
	dump_release(&d);
}

/* Junk in, a short answer out: random registers over stack copies whose words are random, code
 * addresses of the real mappings or pointers into the copy itself. Every walk ends (the sp must
 * grow, reads stay inside the copy) and returns pcs[0] = ip and only mapped addresses after it. */
static void test_junk(void **state)
{
	(void)state;
	struct dump d;
	run_qsort("unwind_qsort", &d);
	sc_unwind *u = sc_unwind_new();
	sc_unwind_maps maps = {0};
	assert_int_equal(sc_unwind_maps_load_file(&maps, u, d.maps, NULL), 0);
	uint64_t stack[512], pcs[64], x = 0x9e3779b97f4a7c15ULL;
	const uint64_t sp = 0x7ffd00001000ULL;
	unsigned long stops[SC_UNWIND_STOP_MAX_FRAMES + 1] = {0}, deeper = 0;
	for (int round = 0; round < 3000; round++) {
		for (size_t i = 0; i < 512; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			const sc_unwind_map *m = &maps.data[x % maps.len];
			switch ((x >> 32) % 4) {
			case 0:
				stack[i] = x;
				break;
			case 1:
				stack[i] = m->start + (x >> 40) % (m->end - m->start);
				break;
			case 2:
				stack[i] = sp + (x >> 40) % sizeof(stack);
				break;
			default:
				stack[i] = i % 7 ? 0 : x;
			}
		}
		const sc_unwind_map *m = &maps.data[(x >> 8) % maps.len];
		sc_unwind_regs regs = {.ip = m->start + (x >> 20) % (m->end - m->start),
				       .sp = sp,
				       .bp = stack[(x >> 3) % 512],
				       .bx = stack[1],
				       .have = 1};
		sc_unwind_options o = {.mode = (sc_unwind_mode)(round % 3)};
		sc_unwind_result res;
		int n = sc_unwind_stack(u, &o, &regs, stack, sizeof(stack) - (x >> 50) % 64,
					sc_unwind_maps_find, &maps, pcs, 64, &res);
		assert_true(n >= 1 && n <= 64);
		assert_int_equal(pcs[0], regs.ip);
		stops[res.stop]++;
		deeper += n > 2;
		for (int i = 1; i < n; i++) {
			sc_unwind_map hit;
			assert_true(sc_unwind_maps_find(&maps, pcs[i] - 1, &hit));
		}
	}
	printf("3000 junk walks: %lu went past 2 frames; stops:", deeper);
	for (int i = 0; i <= SC_UNWIND_STOP_MAX_FRAMES; i++)
		printf(" %s %lu,", sc_unwind_stop_name((sc_unwind_stop)i), stops[i]);
	printf("\n");
	sc_unwind_maps_release(&maps);
	sc_unwind_free(u);
	dump_release(&d);
}

/* A sample in the vDSO (clock_gettime and friends run there): [vdso] has no file, so its CFI is
 * read from memory. Registers at __vdso_clock_gettime's first instruction, the return address at
 * sp: the caller is found by CFI, not lost to a frame-pointer guess. */
static void test_vdso(void **state)
{
	(void)state;
	sc_unwind *u = sc_unwind_new();
	sc_unwind_maps maps = {0};
	assert_int_equal(sc_unwind_maps_load_proc(&maps, u, 0, NULL), 0);
	if (!getauxval(AT_SYSINFO_EHDR)) {
		printf("skipped: this process has no vDSO\n");
		sc_unwind_maps_release(&maps);
		sc_unwind_free(u);
		skip();
	}
	int v = sc_unwind_file(u, "[vdso]");
	assert_true(v >= 0);
	/* the mapping and the function, from the vDSO's own .dynsym */
	const sc_unwind_map *map = NULL;
	for (size_t i = 0; i < maps.len; i++)
		if (maps.data[i].file == v)
			map = &maps.data[i];
	assert_non_null(map);
	Elf *e = sc_module_elf(sc_unwind_modules(u), v);
	assert_non_null(e);
	uint64_t fn = 0;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			if (gelf_getsym(d, (int)i, &sym) &&
			    !strcmp(elf_strptr(e, sh.sh_link, sym.st_name), "__vdso_clock_gettime"))
				fn = sym.st_value;
		}
	}
	assert_true(fn != 0);
	size_t nph;
	uint64_t pc = 0;
	assert_int_equal(elf_getphdrnum(e, &nph), 0);
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    fn - ph.p_vaddr < ph.p_filesz)
			pc = map->start + (fn - ph.p_vaddr + ph.p_offset) - map->pgoff;
	}
	assert_true(pc >= map->start && pc < map->end);
	uint64_t ra = (uint64_t)(uintptr_t)test_vdso + 16, stack[4] = {ra, 0, 0, 0}, pcs[8];
	sc_unwind_regs regs = {.ip = pc, .sp = 0x7ffc0000, .bp = 0};
	sc_unwind_options o = {.mode = SC_UNWIND_DWARF};
	sc_unwind_result res;
	int n = sc_unwind_stack(u, &o, &regs, stack, sizeof(stack), sc_unwind_maps_find, &maps, pcs,
				8, &res);
	printf("vdso at %#llx: %d frames, stop: %s\n", (unsigned long long)pc, n,
	       sc_unwind_stop_name(res.stop));
	assert_true(n >= 2);
	assert_int_equal(pcs[1], ra);
	assert_true(res.steps_cfi >= 1);
	sc_unwind_maps_release(&maps);
	sc_unwind_free(u);
}

/* Debian's python3 (no frame pointers, no debug info), stopped with ptrace inside time.sleep
 * under a few Python calls: the chain reaches Py_RunMain and ends at _start. */
static void test_python(void **state)
{
	(void)state;
	const char *python = "/usr/bin/python3";
	if (access(python, X_OK) != 0) {
		printf("skipped: no %s\n", python);
		skip();
	}
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execl(python, python, "-S", "-c",
		      "import sys, time\n"
		      "def f(n):\n"
		      "    if n == 0:\n"
		      "        sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(600)\n"
		      "    else:\n"
		      "        f(n - 1)\n"
		      "f(20)\n",
		      (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	char line[16] = {0};
	ssize_t got = read(pipefd[0], line, sizeof(line) - 1);
	close(pipefd[0]);
	assert_true(got > 0);
	assert_string_equal(line, "ready\n");
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) != 0) {
		printf("skipped: ptrace refused (%s)\n", strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		skip();
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSTOPPED(status));
	struct user_regs_struct ur;
	assert_int_equal(ptrace(PTRACE_GETREGS, pid, NULL, &ur), 0);
	/* the stack from sp, up to 64 KiB and the end of the [stack] mapping */
	char mpath[64], mline[512];
	snprintf(mpath, sizeof(mpath), "/proc/%d/maps", (int)pid);
	FILE *mf = fopen(mpath, "r");
	assert_non_null(mf);
	uint64_t end = 0;
	while (fgets(mline, sizeof(mline), mf)) {
		unsigned long long lo, hi;
		if (strstr(mline, "[stack]") && sscanf(mline, "%llx-%llx", &lo, &hi) == 2)
			end = hi;
	}
	fclose(mf);
	assert_true(end > ur.rsp);
	size_t size = end - ur.rsp < 65536 ? end - ur.rsp : 65536;
	unsigned char *stack = malloc(size);
	assert_non_null(stack);
	struct iovec local = {stack, size}, remote = {(void *)(uintptr_t)ur.rsp, size};
	assert_int_equal(process_vm_readv(pid, &local, 1, &remote, 1, 0), (ssize_t)size);
	sc_unwind *u = sc_unwind_new();
	sc_unwind_maps maps = {0};
	assert_int_equal(sc_unwind_maps_load_proc(&maps, u, pid, NULL), 0);
	kill(pid, SIGKILL);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	waitpid(pid, NULL, 0);
	sc_unwind_regs regs = {.ip = ur.rip,
			       .sp = ur.rsp,
			       .bp = ur.rbp,
			       .bx = ur.rbx,
			       .r12 = ur.r12,
			       .r13 = ur.r13,
			       .r14 = ur.r14,
			       .r15 = ur.r15,
			       .have = 31};
	char real[PATH_MAX];
	assert_non_null(realpath(python, real));
	int py = sc_unwind_file(u, real);
	assert_true(py >= 0);
	assert_false(sc_module_has_frame_pointers(sc_unwind_modules(u), py));
	struct chain *c = calloc(1, sizeof(*c));
	for (int mode = 0; mode < 2; mode++) {
		printf("python3, %s:\n", mode ? "auto" : "dwarf");
		unwind_and_name(u, &maps, mode ? SC_UNWIND_AUTO : SC_UNWIND_DWARF, &regs, stack,
				size, c, 256);
		int runmain = -1;
		for (int i = 0; i < c->n; i++)
			if (!strcmp(c->names[i], "Py_RunMain"))
				runmain = i;
		assert_true(runmain > 0);
		assert_string_equal(c->files[runmain], real);
		assert_int_equal(c->res.stop, SC_UNWIND_STOP_OUTERMOST);
		/* the last frame is python3's _start */
		assert_string_equal(c->files[c->n - 1], real);
		assert_string_equal(c->names[c->n - 1], "_start");
	}
	free(c);
	free(stack);
	sc_unwind_maps_release(&maps);
	sc_unwind_free(u);
}

/* Each allocation of a cold walk (unwinder, module cache, maps, libelf, libdw, rule cache) fails
 * in turn: the walk returns -ENOMEM or a chain (libelf and libdw report their own allocation
 * failures as errors, which read as an unreadable file or a pc without CFI), nothing leaks, and
 * an unwinder that saw -ENOMEM in the walk itself succeeds when asked again, with the rules it
 * cached before the failure intact (the signal frame's are DWARF expressions). */
#if ALLOC_TORTURE
/* arg: unwind_qsort's second argument, or NULL. */
static void alloc_failures(const char *arg)
{
	struct dump d;
	run_qsort_arg("unwind_qsort", arg, &d);
	uint64_t full[256], pcs[256];
	int nfull;
	{
		sc_unwind *u = sc_unwind_new();
		sc_unwind_maps maps = {0};
		assert_int_equal(sc_unwind_maps_load_file(&maps, u, d.maps, NULL), 0);
		nfull = sc_unwind_stack(u, NULL, &d.regs, d.stack, d.size, sc_unwind_maps_find,
					&maps, full, 256, NULL);
		assert_true(nfull >= 7);
		sc_unwind_maps_release(&maps);
		sc_unwind_free(u);
	}
	long failures = 0;
	for (long i = 0;; i++) {
		long before = live_blocks;
		sc_unwind_maps maps = {0};
		fail_countdown = i;
		sc_unwind *u = sc_unwind_new();
		int r = u ? sc_unwind_maps_load_file(&maps, u, d.maps, NULL) : -ENOMEM;
		int n = r == 0 ? sc_unwind_stack(u, NULL, &d.regs, d.stack, d.size,
						 sc_unwind_maps_find, &maps, pcs, 256, NULL)
			       : r;
		bool injected = fail_countdown < 0;
		fail_countdown = -1;
		if (!(n == -ENOMEM || n >= 1))
			printf("allocation %ld: %d (maps %d)\n", i, n, r);
		assert_true(n == -ENOMEM || n >= 1);
		if (r == 0 && n == -ENOMEM) {
			failures++;
			assert_int_equal(sc_unwind_stack(u, NULL, &d.regs, d.stack, d.size,
							 sc_unwind_maps_find, &maps, pcs, 256,
							 NULL),
					 nfull);
			assert_memory_equal(pcs, full, (size_t)nfull * 8);
		}
		sc_unwind_maps_release(&maps);
		sc_unwind_free(u);
		if (live_blocks != before)
			printf("allocation %ld (%s): %ld blocks left, walk %d, maps %d\n", i,
			       arg ? arg : "plain", live_blocks - before, n, r);
		/* libdw (0.188) leaks the expression dwarf_frame_cfa translated when caching it
		 * fails: leaks are only checked where no CFA is an expression. */
		if (!arg)
			assert_int_equal(live_blocks, before);
		if (!injected) {
			assert_int_equal(n, nfull);
			assert_memory_equal(pcs, full, (size_t)nfull * 8);
			printf("%ld allocations failed in turn, %ld of them in the walk itself\n",
			       i, failures);
			break;
		}
	}
	dump_release(&d);
}
#endif

static void test_alloc_failures(void **state)
{
	(void)state;
#if !ALLOC_TORTURE
	printf("skipped: allocation failure injection is off under ASan\n");
	skip();
#else
	alloc_failures(NULL);
	/* through the signal frame: rules with DWARF expressions are cached during the walk */
	alloc_failures("signal");
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frameless_entry),
	    cmocka_unit_test(test_framed_prologue),
	    cmocka_unit_test(test_epilogue_after_pop),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_qsort_chain),
	    cmocka_unit_test(test_qsort_stops),
	    cmocka_unit_test(test_signal_frame),
	    cmocka_unit_test(test_junk),
	    cmocka_unit_test(test_vdso),
	    cmocka_unit_test(test_python),
	    cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

/*
 * disasm.c: instructions with their share of samples (disasm.h states what is counted).
 *
 * Flow: sum the samples per leaf location -> group the locations of matching functions by
 * (function, binary) -> for each group open the binary with libelf, check its build-id against
 * the mapping's, turn each address into an ELF virtual address through the PT_LOAD segments,
 * find the symbols holding them -> run `objdump -d` on each symbol's range and charge each
 * address to the instruction that holds it.
 *
 * objdump rather than a disassembler library: binutils is on every machine scorch runs on, and
 * its text is what people compare with perf annotate. Not here: source lines (annotate.c).
 */
#include "report/disasm.h"

#include "report/annotate.h"

#include "util/strbuf.h"
#include "util/vec.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <regex.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct addr {
	uint64_t vaddr; /* a file offset until the binary is read */
	int64_t value;
};

struct group {
	uint32_t function;
	uint32_t mapping; /* the first mapping seen (for its file and build-id) */
	SC_VEC(struct addr) addrs;
};

typedef SC_VEC(struct group) group_vec;

struct sym {
	uint64_t start, size;
	const char *name; /* borrowed from the ELF handle */
};

struct seg {
	uint64_t off, filesz, vaddr;
};

/* What is read from a binary; the names borrow from elf, which lives as long as this. */
struct binary {
	int fd;
	Elf *elf;
	char build_id[130];
	struct seg *segs;
	size_t nsegs;
	struct sym *syms;
	size_t nsyms;
};

static void binary_close(struct binary *b)
{
	free(b->segs);
	free(b->syms);
	if (b->elf)
		elf_end(b->elf);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	b->elf = NULL;
}

static void read_build_id(struct binary *b)
{
	static const char hex[] = "0123456789abcdef";
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(b->elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;
		while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)data->d_buf + name_off, "GNU", 4) != 0 ||
			    nh.n_descsz * 2 >= sizeof(b->build_id))
				continue;
			const unsigned char *bits = (unsigned char *)data->d_buf + desc_off;
			for (size_t i = 0; i < nh.n_descsz; i++) {
				b->build_id[2 * i] = hex[bits[i] >> 4];
				b->build_id[2 * i + 1] = hex[bits[i] & 15];
			}
			b->build_id[2 * nh.n_descsz] = 0;
			return;
		}
	}
}

/* The function symbols of one table (SHT_SYMTAB or SHT_DYNSYM); 0 or -ENOMEM. */
static int read_symbols(struct binary *b, Elf64_Word type)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(b->elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t n = data ? sh.sh_size / sh.sh_entsize : 0;
		struct sym *grown = realloc(b->syms, (b->nsyms + n + 1) * sizeof(*b->syms));
		if (!grown)
			return -ENOMEM;
		b->syms = grown;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym s;
			if (!gelf_getsym(data, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    !s.st_size || s.st_shndx == SHN_UNDEF)
				continue;
			const char *name = elf_strptr(b->elf, sh.sh_link, s.st_name);
			b->syms[b->nsyms++] =
			    (struct sym){s.st_value, s.st_size, name ? name : "?"};
		}
	}
	return 0;
}

static int sym_cmp(const void *x, const void *y)
{
	const struct sym *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* Opens the binary. Returns 0, -errno (d set) or -ENOMEM. */
static int binary_open(struct binary *b, const char *path, sc_diag *d)
{
	memset(b, 0, sizeof(*b));
	b->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (b->fd < 0) {
		int e = errno;
		sc_diag_error(d, 0, 0, -1, "cannot open the binary '%s': %s", path, strerror(e));
		return e == ENOMEM ? -ENOMEM : -ENOENT;
	}
	elf_version(EV_CURRENT);
	b->elf = elf_begin(b->fd, ELF_C_READ_MMAP, NULL);
	size_t n;
	if (!b->elf || elf_kind(b->elf) != ELF_K_ELF || elf_getphdrnum(b->elf, &n) != 0) {
		sc_diag_error(d, 0, 0, -1, "'%s' is not an ELF file", path);
		return -ENOEXEC;
	}
	b->segs = calloc(n ? n : 1, sizeof(*b->segs));
	if (!b->segs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(b->elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			b->segs[b->nsegs++] = (struct seg){ph.p_offset, ph.p_filesz, ph.p_vaddr};
	}
	read_build_id(b);
	int r = read_symbols(b, SHT_SYMTAB);
	if (r == 0 && !b->nsyms)
		r = read_symbols(b, SHT_DYNSYM);
	if (r == 0 && b->nsyms)
		qsort(b->syms, b->nsyms, sizeof(*b->syms), sym_cmp);
	return r;
}

static bool vaddr_of(const struct binary *b, uint64_t off, uint64_t *vaddr)
{
	for (size_t i = 0; i < b->nsegs; i++) {
		if (off >= b->segs[i].off && off - b->segs[i].off < b->segs[i].filesz) {
			*vaddr = b->segs[i].vaddr + (off - b->segs[i].off);
			return true;
		}
	}
	return false;
}

/* The symbol holding vaddr (syms sorted by start): the nearest start at or below it, looking
 * back a little for an enclosing one (aliases and nested local symbols share ranges). */
static const struct sym *sym_at(const struct binary *b, uint64_t vaddr)
{
	size_t lo = 0, hi = b->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->syms[mid].start <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo, n = 0; i-- > 0 && n < 64; n++)
		if (vaddr - b->syms[i].start < b->syms[i].size)
			return &b->syms[i];
	return NULL;
}

/* Appends one line of objdump -d output to r when it is an instruction ("  1139:\tmov ..."). */
static int parse_insn(sc_disasm_range *r, size_t *cap, char *line)
{
	char *s = line, *end;
	while (*s == ' ')
		s++;
	uint64_t a = strtoull(s, &end, 16);
	if (end == s || end[0] != ':' || end[1] != '\t')
		return 0;
	char *text = end + 2;
	size_t len = strlen(text);
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' ' || text[len - 1] == '\t'))
		text[--len] = 0;
	for (char *t = text; *t; t++)
		if (*t == '\t')
			*t = ' ';
	if (a < r->start || a >= r->end)
		return 0;
	if (r->ninsns == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		sc_disasm_insn *grown = realloc(r->insns, ncap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		r->insns = grown;
		*cap = ncap;
	}
	char *copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	r->insns[r->ninsns++] = (sc_disasm_insn){a, copy, 0};
	return 0;
}

/* Runs objdump on [r->start, r->end) of `path` and fills r->insns. 0, -ECHILD (d set), -ENOMEM. */
static int run_objdump(const char *objdump, const char *path, sc_disasm_range *r, sc_diag *d)
{
	char start[40], stop[40];
	snprintf(start, sizeof(start), "--start-address=0x%" PRIx64, r->start);
	snprintf(stop, sizeof(stop), "--stop-address=0x%" PRIx64, r->end);
	char *argv[] = {(char *)objdump, "-d", "-C",	     "-w", "--no-show-raw-insn",
			start,		 stop, (char *)path, NULL};
	int fds[2], rc = -ECHILD;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return sc_diag_error(d, 0, 0, -1, "cannot run %s: %s", objdump, strerror(errno)),
		       -ECHILD;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	pid_t pid;
	int e = posix_spawnp(&pid, objdump, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (e) {
		close(fds[0]);
		sc_diag_error(d, 0, 0, -1, "cannot run '%s' (from binutils) to disassemble: %s",
			      objdump, strerror(e));
		return -ECHILD;
	}
	FILE *f = fdopen(fds[0], "r");
	char *line = NULL;
	size_t n = 0, cap = 0;
	int pr = f ? 0 : -ENOMEM;
	while (pr == 0 && getline(&line, &n, f) > 0)
		pr = parse_insn(r, &cap, line);
	free(line);
	if (f)
		fclose(f);
	else
		close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pr < 0)
		rc = pr;
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		sc_diag_error(d, 0, 0, -1, "'%s -d' failed on '%s' (status %d)", objdump, path,
			      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	else if (!r->ninsns)
		sc_diag_error(d, 0, 0, -1, "'%s -d' printed no instructions for %s in '%s'",
			      objdump, r->symbol, path);
	else
		rc = 0;
	return rc;
}

static int addr_cmp(const void *x, const void *y)
{
	const struct addr *a = x, *b = y;
	return a->vaddr < b->vaddr ? -1 : a->vaddr > b->vaddr;
}

/* Fills fn from group g: reads the binary, finds the symbols, disassembles, charges. */
static int disasm_group(const sc_profile *p, const struct group *g, const char *objdump,
			const char *debug_dir, sc_disasm_func *fn, sc_diag *d)
{
	const sc_mapping *m = sc_profile_mapping(p, g->mapping);
	const char *path = sc_profile_str(p, m->file);
	const char *name = sc_profile_str(p, sc_profile_function(p, g->function)->name);
	fn->function = g->function;
	fn->file = m->file;
	fn->build_id = m->build_id;
	if (m->kernel || !*path || *path == '[')
		return sc_diag_error(d, 0, 0, -1,
				     "%s runs in %s, which has no binary on disk to disassemble",
				     name, *path ? path : "no known mapping"),
		       -ENOEXEC;
	if (!m->start && !m->limit && !m->offset)
		return sc_diag_error(
			   d, 0, 0, -1,
			   "the profile does not say where '%s' was loaded (perf script "
			   "text has no mapping addresses), so its samples cannot be placed "
			   "in the file: record with scorch record, or use perf annotate",
			   path),
		       -ENOEXEC;
	struct binary b, dbg = {.fd = -1};
	int r = binary_open(&b, path, d);
	if (r < 0)
		goto out;
	const char *want = sc_profile_str(p, m->build_id);
	if (*want && b.build_id[0] && strcasecmp(want, b.build_id) != 0) {
		sc_diag_error(d, 0, 0, -1,
			      "'%s' is not the binary that ran: its build-id is %s, the profile "
			      "recorded %s",
			      path, b.build_id, want);
		r = -ESTALE;
		goto out;
	}
	for (size_t i = 0; i < g->addrs.len; i++) {
		struct addr *a = &g->addrs.data[i];
		uint64_t off = a->vaddr;
		if (!vaddr_of(&b, off, &a->vaddr))
			a->vaddr = UINT64_MAX; /* outside the file's loaded segments */
	}
	qsort(g->addrs.data, g->addrs.len, sizeof(*g->addrs.data), addr_cmp);
	/* A stripped binary (ld.so, distribution libraries) keeps its local symbols in the
	 * separate debug file found by build-id, at the same addresses. */
	bool unnamed = false;
	for (size_t i = 0; i < g->addrs.len && !unnamed; i++)
		unnamed =
		    g->addrs.data[i].vaddr != UINT64_MAX && !sym_at(&b, g->addrs.data[i].vaddr);
	if (unnamed && strlen(b.build_id) > 2) {
		char dpath[400];
		snprintf(dpath, sizeof(dpath), "%s/.build-id/%.2s/%s.debug", debug_dir, b.build_id,
			 b.build_id + 2);
		if ((r = binary_open(&dbg, dpath, NULL)) == -ENOMEM)
			goto out;
	}
	size_t cap = 0;
	for (size_t i = 0; i < g->addrs.len; i++) {
		const struct addr *a = &g->addrs.data[i];
		fn->self = sc_sat_add(fn->self, a->value);
		const struct sym *s = a->vaddr == UINT64_MAX ? NULL : sym_at(&b, a->vaddr);
		if (!s && a->vaddr != UINT64_MAX && dbg.nsyms)
			s = sym_at(&dbg, a->vaddr);
		if (!s) {
			fn->unplaced = sc_sat_add(fn->unplaced, a->value);
			continue;
		}
		sc_disasm_range *last = fn->nranges ? &fn->ranges[fn->nranges - 1] : NULL;
		if (last && last->start == s->start)
			continue;
		if (fn->nranges == cap) {
			size_t ncap = cap ? cap * 2 : 2;
			sc_disasm_range *grown = realloc(fn->ranges, ncap * sizeof(*grown));
			r = -ENOMEM;
			if (!grown)
				goto out;
			fn->ranges = grown;
			cap = ncap;
		}
		sc_disasm_range *nr = &fn->ranges[fn->nranges];
		*nr = (sc_disasm_range){.start = s->start, .end = s->start + s->size};
		r = -ENOMEM;
		if (!(nr->symbol = strdup(s->name)))
			goto out;
		fn->nranges++;
		if ((r = run_objdump(objdump, path, nr, d)) < 0)
			goto out;
	}
	/* Charge each address to the last instruction starting at or before it. */
	for (size_t i = 0, k = 0; i < g->addrs.len; i++) {
		const struct addr *a = &g->addrs.data[i];
		while (k < fn->nranges && a->vaddr >= fn->ranges[k].end)
			k++;
		if (k == fn->nranges)
			break;
		sc_disasm_range *rg = &fn->ranges[k];
		if (a->vaddr < rg->start)
			continue; /* (counted as unplaced above) */
		size_t lo = 0, hi = rg->ninsns;
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;
			if (rg->insns[mid].address <= a->vaddr)
				lo = mid;
			else
				hi = mid;
		}
		rg->insns[lo].self = sc_sat_add(rg->insns[lo].self, a->value);
	}
	r = 0;
out:
	binary_close(&dbg);
	binary_close(&b);
	return r;
}

void sc_disasm_release(sc_disasm *ds)
{
	if (!ds)
		return;
	for (size_t i = 0; i < ds->len; i++) {
		sc_disasm_func *fn = &ds->funcs[i];
		for (size_t j = 0; j < fn->nranges; j++) {
			for (size_t k = 0; k < fn->ranges[j].ninsns; k++)
				free(fn->ranges[j].insns[k].text);
			free(fn->ranges[j].insns);
			free(fn->ranges[j].symbol);
		}
		free(fn->ranges);
	}
	free(ds->funcs);
	ds->funcs = NULL;
	ds->len = 0;
}

/* Groups the leaf locations with samples of matching functions by (function, file). */
static int collect(const sc_profile *p, int type, regex_t *re, sc_disasm *ds, group_vec *groups)
{
	int r = -ENOMEM;
	int64_t *val = calloc(p->locations.len + 1, sizeof(*val));
	int8_t *match = calloc(p->functions.len + 1, sizeof(*match));
	if (!val || !match)
		goto out;
	for (size_t i = 0; i < p->samples.len; i++) {
		int64_t v = sc_profile_sample_values(p, i)[type];
		uint32_t loc = sc_profile_node(p, p->samples.data[i].stack)->location;
		val[loc] = sc_sat_add(val[loc], v);
		ds->grand_total = sc_sat_add(ds->grand_total, v);
	}
	for (size_t i = 0; i < p->functions.len; i++) {
		int rc = regexec(re, sc_profile_str(p, p->functions.data[i].name), 0, NULL, 0);
		if (rc == REG_ESPACE)
			goto out;
		match[i + 1] = rc == 0;
	}
	for (uint32_t id = 1; id <= p->locations.len; id++) {
		const sc_location *loc = sc_profile_location(p, id);
		if (!val[id] || !loc->nlines)
			continue;
		uint32_t fid = sc_profile_location_lines(p, loc)[loc->nlines - 1].function;
		if (!fid || fid > p->functions.len || !match[fid])
			continue;
		sc_str file = loc->mapping ? sc_profile_mapping(p, loc->mapping)->file : 0;
		struct group *g = NULL;
		for (size_t k = 0; k < groups->len && !g; k++) {
			const struct group *h = &groups->data[k];
			sc_str hf = h->mapping ? sc_profile_mapping(p, h->mapping)->file : 0;
			if (h->function == fid && hf == file)
				g = &groups->data[k];
		}
		if (!g) {
			if (sc_vec_push(groups, ((struct group){fid, loc->mapping, {0}})) < 0)
				goto out;
			g = &groups->data[groups->len - 1];
		}
		const sc_mapping *m = sc_profile_mapping(p, loc->mapping);
		uint64_t off = m ? loc->address - m->start + m->offset : loc->address;
		if (sc_vec_push(&g->addrs, ((struct addr){off, val[id]})) < 0)
			goto out;
	}
	r = 0;
out:
	free(val);
	free(match);
	return r;
}

static int func_cmp(const void *x, const void *y, void *c)
{
	const sc_disasm_func *a = x, *b = y;
	const sc_profile *p = c;
	if (a->self != b->self)
		return a->self > b->self ? -1 : 1;
	int s = strcmp(sc_profile_str(p, sc_profile_function(p, a->function)->name),
		       sc_profile_str(p, sc_profile_function(p, b->function)->name));
	return s ? s : (a->function < b->function ? -1 : a->function > b->function);
}

int sc_disasm_compute(const sc_profile *p, int type, const char *regex, const sc_disasm_options *o,
		      sc_disasm *ds, sc_diag *d)
{
	memset(ds, 0, sizeof(*ds));
	ds->type = type;
	if (type < 0 || (size_t)type >= p->nsample_types || !regex)
		return -EINVAL;
	regex_t re;
	int rc = regcomp(&re, regex, REG_EXTENDED | REG_NOSUB);
	if (rc)
		return rc == REG_ESPACE ? -ENOMEM : -EINVAL;
	const char *objdump = o && o->objdump ? o->objdump : "objdump";
	const char *debug_dir = o && o->debug_dir ? o->debug_dir : "/usr/lib/debug";
	group_vec groups = {0};
	int r = collect(p, type, &re, ds, &groups);
	if (r < 0)
		goto out;
	r = -ENOENT;
	if (!groups.len)
		goto out;
	r = -ENOMEM;
	ds->funcs = calloc(groups.len, sizeof(*ds->funcs));
	if (!ds->funcs)
		goto out;
	for (size_t i = 0; i < groups.len; i++) {
		ds->len++;
		if (!groups.data[i].mapping) {
			sc_diag_error(
			    d, 0, 0, -1,
			    "%s has no mapping in the profile: no binary to disassemble",
			    sc_profile_str(p,
					   sc_profile_function(p, groups.data[i].function)->name));
			r = -ENOEXEC;
			goto out;
		}
		if ((r = disasm_group(p, &groups.data[i], objdump, debug_dir, &ds->funcs[i], d)) <
		    0)
			goto out;
	}
	qsort_r(ds->funcs, ds->len, sizeof(*ds->funcs), func_cmp, (void *)p);
	r = 0;
out:
	for (size_t i = 0; i < groups.len; i++)
		sc_vec_release(&groups.data[i].addrs);
	sc_vec_release(&groups);
	if (r < 0)
		sc_disasm_release(ds);
	regfree(&re);
	return r;
}

static int add_func(sc_strbuf *sb, const sc_profile *p, const sc_disasm *ds,
		    const sc_disasm_func *fn)
{
	double all = ds->grand_total > 0 ? (double)ds->grand_total : 1;
	double whole = fn->self > 0 ? (double)fn->self : 1;
	const char *bid = sc_profile_str(p, fn->build_id);
	int r =
	    sc_strbuf_add_text(sb, sc_profile_str(p, sc_profile_function(p, fn->function)->name));
	if (r == 0)
		r = sc_strbuf_adds(sb, "  (");
	if (r == 0)
		r = sc_strbuf_add_text(sb, sc_profile_str(p, fn->file));
	if (r == 0 && *bid)
		r = sc_strbuf_addf(sb, ", build-id %s", bid);
	if (r == 0)
		r = sc_strbuf_adds(sb, ")\n  self ");
	if (r == 0)
		r = sc_annotate_add_value(sb, p, ds->type, fn->self);
	if (r == 0)
		r = sc_strbuf_addf(sb,
				   " (%.1f%% of all); the shares below are of the function's "
				   "self\n",
				   100.0 * (double)fn->self / all);
	if (r == 0 && fn->unplaced)
		r = sc_strbuf_addf(sb, "  %.1f%% at addresses no symbol of the binary covers\n",
				   100.0 * (double)fn->unplaced / whole);
	for (size_t i = 0; r == 0 && i < fn->nranges; i++) {
		const sc_disasm_range *rg = &fn->ranges[i];
		r = sc_strbuf_adds(sb, "  ");
		if (r == 0)
			r = sc_strbuf_add_text(sb, rg->symbol);
		if (r == 0)
			r = sc_strbuf_addf(sb, " [0x%" PRIx64 ", 0x%" PRIx64 "):\n", rg->start,
					   rg->end);
		for (size_t k = 0; r == 0 && k < rg->ninsns; k++) {
			const sc_disasm_insn *in = &rg->insns[k];
			r = in->self
				? sc_strbuf_addf(sb, "  %6.1f%%", 100.0 * (double)in->self / whole)
				: sc_strbuf_adds(sb, "         ");
			if (r == 0)
				r = sc_strbuf_addf(sb, "  %8" PRIx64 ":  ", in->address);
			if (r == 0)
				r = sc_strbuf_add_text(sb, in->text);
			if (r == 0)
				r = sc_strbuf_addc(sb, '\n');
		}
	}
	return r;
}

struct print_ctx {
	const sc_profile *p;
	const sc_disasm *ds;
};

static int add_nth(sc_strbuf *sb, size_t i, void *ctx)
{
	const struct print_ctx *c = ctx;
	return add_func(sb, c->p, c->ds, &c->ds->funcs[i]);
}

int sc_disasm_print_text(const sc_profile *p, const sc_disasm *ds, size_t n, FILE *f)
{
	struct print_ctx c = {p, ds};
	return sc_annotate_print_functions(ds->len, n, add_nth, &c, f);
}

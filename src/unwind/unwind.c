/*
 * unwind.c: the return address of a sampled frame from .eh_frame CFI. See unwind.h.
 *
 * Two caches make the per-sample cost a hash lookup: files by path (libelf handle, its
 * Dwarf_CFI and its PT_LOAD segments for turning file offsets into ELF addresses), and rules by
 * (file, pc), each reduced to "CFA = %rsp|%rbp + a; return address at CFA + b" or "no rule".
 * Anything the CFI says in a richer form (DWARF expressions, other CFA registers, as in main()
 * when it realigns the stack) counts as no rule: the recorder then keeps the chain as it was.
 */
#include "unwind/unwind.h"
#include "util/hashmap.h"
#include "util/vec.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* DWARF register numbers of x86-64. */
#define DW_X86_64_RBP 6
#define DW_X86_64_RSP 7

struct segment {
	uint64_t offset, filesz, vaddr;
};

struct ufile {
	char *path;
	int err; /* 0 or the -errno returned for this file */
	Elf *elf;
	Dwarf_CFI *cfi;
	struct segment *segs;
	size_t nsegs;
};

struct rule {
	uint64_t vaddr;
	int file;
	int8_t cfa_reg; /* DW_X86_64_RSP or DW_X86_64_RBP; -1: no usable rule here */
	int32_t cfa_off, ra_off;
};

struct sc_unwind {
	SC_VEC(struct ufile) files;
	sc_hashmap file_index; /* hash of path -> index into files */
	SC_VEC(struct rule) rules;
	sc_hashmap rule_index; /* hash of (file, vaddr) -> index into rules */
	sc_unwind_stats stats;
};

sc_unwind *sc_unwind_new(void)
{
	elf_version(EV_CURRENT);
	return calloc(1, sizeof(sc_unwind));
}

void sc_unwind_free(sc_unwind *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->files.len; i++) {
		struct ufile *f = &u->files.data[i];
		if (f->cfi)
			dwarf_cfi_end(f->cfi);
		if (f->elf)
			elf_end(f->elf);
		free(f->segs);
		free(f->path);
	}
	sc_vec_release(&u->files);
	sc_hashmap_release(&u->file_index);
	sc_vec_release(&u->rules);
	sc_hashmap_release(&u->rule_index);
	free(u);
}

/* Opens f->path and fills the rest of f; returns 0, -ENOMEM, or another -errno kept in f->err. */
static int load_file(struct ufile *f)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = -ENOEXEC;
	f->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf)
		goto out;
	/* The whole file is mapped now; keeping the descriptor would cost one per library. */
	elf_cntl(f->elf, ELF_C_FDDONE);
	GElf_Ehdr eh;
	if (elf_kind(f->elf) != ELF_K_ELF || !gelf_getehdr(f->elf, &eh) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
		goto out;
	size_t nph;
	if (elf_getphdrnum(f->elf, &nph) != 0 || nph == 0)
		goto out;
	f->segs = calloc(nph, sizeof(*f->segs));
	if (!f->segs) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(f->elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_filesz)
			f->segs[f->nsegs++] =
			    (struct segment){ph.p_offset, ph.p_filesz, ph.p_vaddr};
	}
	f->cfi = dwarf_getcfi_elf(f->elf);
	if (f->nsegs && f->cfi)
		r = 0;
out:
	close(fd);
	return r;
}

static bool file_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_unwind *u = ctx;
	return strcmp(u->files.data[value].path, key) == 0;
}

int sc_unwind_file(sc_unwind *u, const char *path)
{
	uint64_t h = sc_hash_bytes(path, strlen(path), 0x756e77), v;
	if (sc_hashmap_get(&u->file_index, h, file_eq, path, u, &v)) {
		const struct ufile *f = &u->files.data[v];
		return f->err ? f->err : (int)v;
	}
	struct ufile f = {.path = strdup(path)};
	if (!f.path || sc_vec_reserve(&u->files, 1) < 0)
		goto nomem;
	int r = load_file(&f);
	if (r == -ENOMEM)
		goto nomem;
	if (sc_hashmap_put(&u->file_index, h, u->files.len) < 0)
		goto nomem;
	f.err = r;
	if (r < 0) {
		/* Keep only the path: the failure is what we cache. */
		if (f.cfi)
			dwarf_cfi_end(f.cfi);
		if (f.elf)
			elf_end(f.elf);
		free(f.segs);
		f.cfi = NULL;
		f.elf = NULL;
		f.segs = NULL;
		u->stats.files_failed++;
	}
	u->stats.files++;
	u->files.data[u->files.len++] = f;
	return r < 0 ? r : (int)u->files.len - 1;
nomem:
	if (f.cfi)
		dwarf_cfi_end(f.cfi);
	if (f.elf)
		elf_end(f.elf);
	free(f.segs);
	free(f.path);
	return -ENOMEM;
}

/* Reduces the CFI row at `vaddr` to a rule; leaves rule->cfa_reg -1 when it has no simple form. */
static void find_rule(const struct ufile *f, struct rule *rule)
{
	rule->cfa_reg = -1;
	Dwarf_Frame *frame = NULL;
	if (dwarf_cfi_addrframe(f->cfi, rule->vaddr, &frame) != 0)
		return;
	Dwarf_Op *ops, mem[3];
	size_t nops;
	int ra_reg = dwarf_frame_info(frame, NULL, NULL, NULL);
	if (ra_reg < 0 || dwarf_frame_cfa(frame, &ops, &nops) != 0 || nops != 1)
		goto out;
	/* "CFA = register + offset" comes as DW_OP_bregx (libdw's form) or DW_OP_breg<N>. */
	uint64_t cfa_reg;
	int64_t cfa_off;
	if (ops[0].atom == DW_OP_bregx) {
		cfa_reg = ops[0].number;
		cfa_off = (int64_t)ops[0].number2;
	} else if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
		cfa_reg = ops[0].atom - DW_OP_breg0;
		cfa_off = (int64_t)ops[0].number;
	} else {
		goto out;
	}
	if (cfa_reg != DW_X86_64_RSP && cfa_reg != DW_X86_64_RBP)
		goto out;
	/* The return address is saved in memory at CFA + ra_off: "offset(N)" in CFI terms. */
	if (dwarf_frame_register(frame, ra_reg, mem, &ops, &nops) != 0 || nops == 0 ||
	    ops[0].atom != DW_OP_call_frame_cfa)
		goto out;
	int64_t ra_off;
	if (nops == 1)
		ra_off = 0;
	else if (nops == 2 && ops[1].atom == DW_OP_plus_uconst)
		ra_off = (int64_t)ops[1].number;
	else if (nops == 3 && ops[1].atom == DW_OP_consts && ops[2].atom == DW_OP_plus)
		ra_off = (int64_t)ops[1].number;
	else
		goto out;
	if (cfa_off < INT32_MIN || cfa_off > INT32_MAX || ra_off < INT32_MIN || ra_off > INT32_MAX)
		goto out;
	rule->cfa_reg = (int8_t)cfa_reg;
	rule->cfa_off = (int32_t)cfa_off;
	rule->ra_off = (int32_t)ra_off;
out:
	free(frame);
}

static bool rule_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_unwind *u = ctx;
	const struct rule *a = &u->rules.data[value], *b = key;
	return a->vaddr == b->vaddr && a->file == b->file;
}

/* The cached rule for (file, vaddr), looked up in the CFI the first time; NULL when out of
 * memory. */
static const struct rule *get_rule(sc_unwind *u, int file, uint64_t vaddr)
{
	struct rule key = {.vaddr = vaddr, .file = file};
	uint64_t h = sc_hash_combine(sc_hash_u64(vaddr), (uint64_t)file), v;
	if (sc_hashmap_get(&u->rule_index, h, rule_eq, &key, u, &v))
		return &u->rules.data[v];
	if (sc_vec_reserve(&u->rules, 1) < 0 || sc_hashmap_put(&u->rule_index, h, u->rules.len) < 0)
		return NULL;
	find_rule(&u->files.data[file], &key);
	u->stats.pcs++;
	if (key.cfa_reg < 0)
		u->stats.pcs_failed++;
	u->rules.data[u->rules.len++] = key;
	return &u->rules.data[u->rules.len - 1];
}

int sc_unwind_return_address(sc_unwind *u, int file, uint64_t file_offset,
			     const sc_unwind_regs *regs, const void *stack, size_t stack_size,
			     uint64_t *ra)
{
	if (file < 0 || (size_t)file >= u->files.len || u->files.data[file].err)
		return 0;
	const struct ufile *f = &u->files.data[file];
	const struct segment *seg = NULL;
	for (size_t i = 0; i < f->nsegs && !seg; i++)
		if (file_offset - f->segs[i].offset < f->segs[i].filesz)
			seg = &f->segs[i];
	if (!seg)
		return 0;
	const struct rule *rule = get_rule(u, file, seg->vaddr + (file_offset - seg->offset));
	if (!rule)
		return -ENOMEM;
	if (rule->cfa_reg < 0)
		return 0;
	uint64_t cfa =
	    (rule->cfa_reg == DW_X86_64_RSP ? regs->sp : regs->bp) + (int64_t)rule->cfa_off;
	uint64_t slot = cfa + (int64_t)rule->ra_off;
	/* The copy starts at sp: anything below it or past its end was not captured. */
	if (slot < regs->sp || slot - regs->sp > stack_size || stack_size - (slot - regs->sp) < 8)
		return 0;
	uint64_t value;
	memcpy(&value, (const char *)stack + (slot - regs->sp), sizeof(value));
	if (!value)
		return 0;
	*ra = value;
	return 1;
}

void sc_unwind_get_stats(const sc_unwind *u, sc_unwind_stats *out)
{
	*out = u->stats;
}

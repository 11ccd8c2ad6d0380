/*
 * unwind_local.c: the in-process, async-signal-safe, allocation-free stack walker of the agents
 * (contract in unwind_local.h).
 *
 * A step, in order: find the module of the pc with glibc's _dl_find_object (dlfo_eh_frame is the
 * module's .eh_frame_hdr in memory); binary-search its table for the FDE (a linear walk of
 * .eh_frame when the table has an unusual encoding); parse the FDE's CIE; run the CIE's initial
 * instructions and the FDE's up to the pc into a row (CFA rule and register rules); apply the row
 * to the registers, reading saved values from the stack. A row made only of "register + offset"
 * rules is kept in the caller's cache, so the next walk through the same pc skips everything but
 * the loads. DWARF expressions (the PLT's CFA, glibc's __restore_rt reading the ucontext) are
 * evaluated by a small fixed-stack machine. Walks are kept frame by frame in the cache's traces
 * (registers, and each step's reads, writes and loads): a walk whose frame matches a kept one
 * takes the kept frames as long as the checks of unwind_local.h's "Reuse" hold (unwind_trace.c).
 *
 * Everything is bounded: stack reads by [sp - 128, stack_hi) (ld_stack; the red zone), CFI reads
 * by the loaded segment holding .eh_frame_hdr (struct cur, narrow_to_segment), CFA programs by
 * their length, expressions by a step budget, the walk by `max`. No allocation, no locks, no libc
 * but _dl_find_object. A pc no FDE covers: no_fde_row.
 *
 * Not here: announcing modules or writing samples (the agent, src/agent/cpu.c); offline
 * unwinding of perf's stack copies (src/unwind/). Read next: docs/architecture.md, "src/agent/".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* _dl_find_object, REG_RIP: the agents may build this file on its own */
#endif
#include "agent/unwind_int.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdbool.h>
#include <ucontext.h>

typedef int (*find_object_fn)(void *, struct dl_find_object *);
static find_object_fn find_object;

int sc_lu_init(void)
{
	void *f = dlsym(RTLD_DEFAULT, "_dl_find_object");

	if (!f)
		return -ENOSYS;
	__atomic_store_n(&find_object, (find_object_fn)f, __ATOMIC_RELEASE);
	return 0;
}

void sc_lu_cache_reset(sc_lu_cache *cache)
{
	for (size_t i = 0; i < SC_LU_CACHE_ENTRIES; i++)
		cache->e[i].pc = 0;
	cache->hits = cache->misses = cache->predicted = cache->reused = 0;
	cache->own[0].n = cache->own[1].n = 0;
	cache->own[0].plan.n = cache->own[1].plan.n = 0;
	/* A caller's traces are touched only when walks used them (fresh memory is zero). */
	if (cache->traces && cache->walks)
		for (uint32_t i = 0; i < cache->ntraces; i++)
			cache->traces[i].n = cache->traces[i].used = cache->traces[i].plan.n = 0;
	cache->walks = cache->last = 0;
}

void sc_lu_cache_traces(sc_lu_cache *cache, sc_lu_trace *traces, uint32_t n)
{
	if (!traces || n < 2 || (n & (n - 1)))
		return;
	cache->traces = traces;
	cache->ntraces = n;
	cache->last = 0;
}

void sc_lu_regs_from_ucontext(sc_lu_regs *r, const void *ucontext)
{
	const greg_t *g = ((const ucontext_t *)ucontext)->uc_mcontext.gregs;

	r->ip = (uint64_t)g[REG_RIP];
	r->sp = (uint64_t)g[REG_RSP];
	r->bp = (uint64_t)g[REG_RBP];
	r->bx = (uint64_t)g[REG_RBX];
	r->r12 = (uint64_t)g[REG_R12];
	r->r13 = (uint64_t)g[REG_R13];
	r->r14 = (uint64_t)g[REG_R14];
	r->r15 = (uint64_t)g[REG_R15];
}

int sc_lu_module(uint64_t pc, uint64_t *start, uint64_t *end, void **link_map)
{
	find_object_fn fo = __atomic_load_n(&find_object, __ATOMIC_ACQUIRE);
	struct dl_find_object d;

	if (!fo)
		return -ENOSYS;
	if (fo((void *)pc, &d) != 0)
		return -ENOENT;
	if (start)
		*start = (uint64_t)d.dlfo_map_start;
	if (end)
		*end = (uint64_t)d.dlfo_map_end;
	if (link_map)
		*link_map = d.dlfo_link_map;
	return 0;
}

static bool not_elf64(const unsigned char *id)
{
	return id[0] != ELFMAG0 || id[1] != ELFMAG1 || id[2] != ELFMAG2 || id[3] != ELFMAG3 ||
	       id[EI_CLASS] != ELFCLASS64;
}

/* ---- a step ---- */

/* Applies `row` to `in`, giving the caller's frame. The stop reason on failure. */
static int apply_row(const struct walk *w, const struct mod *m, const struct row *row,
		     const struct frame *in, struct frame *out, bool signal)
{
	uint64_t cfa;

	if (row->cfa_kind == CFA_REG) {
		if (row->cfa_slot >= NSLOT || !(in->valid & (1u << row->cfa_slot)))
			return SC_AGENT_STOP_NO_RULE;
		cfa = in->v[row->cfa_slot] + (uint64_t)row->cfa_off;
	} else if (!sc_lu_eval_expr(w, in, row->cfa_expr, row->cfa_len, m, 0, false, &cfa)) {
		return SC_AGENT_STOP_NO_RULE;
	}
	out->valid = 0;
	for (int s = 0; s < NSLOT; s++) {
		const struct rule *r = &row->r[s];
		uint64_t v = 0, addr;

		switch (r->kind) {
		case R_SAME:
			if (s == S_SP) {
				v = cfa; /* the CFA is the caller's sp, unless a rule says otherwise
					  */
				break;
			}
			if (!(in->valid & (1u << s)))
				continue;
			v = in->v[s];
			break;
		case R_UNDEF:
			continue;
		case R_OFFSET:
			if (!ld_stack(w, cfa + (uint64_t)r->off, &v))
				return SC_AGENT_STOP_END_OF_STACK;
			break;
		case R_VAL_OFFSET:
			v = cfa + (uint64_t)r->off;
			break;
		case R_REG:
			if (!(in->valid & (1u << r->reg)))
				continue;
			v = in->v[r->reg];
			break;
		case R_EXPR:
			if (!sc_lu_eval_expr(w, in, r->expr, r->len, m, cfa, true, &addr))
				return SC_AGENT_STOP_NO_RULE;
			if (!ld_stack(w, addr, &v))
				return SC_AGENT_STOP_END_OF_STACK;
			break;
		case R_VAL_EXPR:
			if (!sc_lu_eval_expr(w, in, r->expr, r->len, m, cfa, true, &v))
				return SC_AGENT_STOP_NO_RULE;
			break;
		}
		out->v[s] = v;
		out->valid |= 1u << s;
	}
	if (!(out->valid & (1u << S_IP)) || out->v[S_IP] == 0)
		return SC_AGENT_STOP_OUTERMOST;
	/* A CFA that does not grow would loop; a signal frame's CFA is the interrupted sp, which
	 * may be anywhere (an alternate signal stack). */
	if (!signal && out->v[S_SP] <= in->v[S_SP])
		return SC_AGENT_STOP_NO_RULE;
	return -1;
}

/* The frame-pointer step as a row: CFA = bp + 16, return address at CFA - 8, bp at CFA - 16. */
static void fp_row(struct row *row)
{
	*row = (struct row){.cfa_kind = CFA_REG, .cfa_slot = S_BP, .cfa_off = 16};
	row->r[S_IP] = (struct rule){.kind = R_OFFSET, .off = -8};
	row->r[S_BP] = (struct rule){.kind = R_OFFSET, .off = -16};
}

/* A leaf that has not touched the stack: return address at sp, CFA = sp + 8. */
static void leaf_row(struct row *row)
{
	*row = (struct row){.cfa_kind = CFA_REG, .cfa_slot = S_SP, .cfa_off = 8};
	row->r[S_IP] = (struct rule){.kind = R_OFFSET, .off = -8};
}

/* The row for an interrupted pc that no FDE covers: hand-written assembly without CFI (libgmp's
 * mpn routines) is mostly leaves that push nothing, so the word at sp is the return address when
 * it points into a module; otherwise one frame-pointer step. */
static void no_fde_row(const struct walk *w, find_object_fn fo, const struct frame *fr, bool exact,
		       struct row *row)
{
	struct dl_find_object d;
	uint64_t ra;

	if (exact && ld_stack(w, fr->v[S_SP], &ra) && ra &&
	    fo((void *)(uintptr_t)(ra - 1), &d) == 0)
		leaf_row(row);
	else
		fp_row(row);
}

static bool row_cacheable(const struct row *row)
{
	if (row->cfa_kind != CFA_REG || row->cfa_slot >= NSLOT || row->cfa_off < INT32_MIN ||
	    row->cfa_off > INT32_MAX)
		return false;
	for (int s = 0; s < NSLOT; s++) {
		uint8_t k = row->r[s].kind;

		if (k == R_REG || k == R_EXPR || k == R_VAL_EXPR || (s == S_SP && k != R_SAME) ||
		    row->r[s].off < INT32_MIN || row->r[s].off > INT32_MAX)
			return false;
	}
	return true;
}

static void row_to_entry(const struct row *row, bool signal, bool guessed, uint64_t pc,
			 sc_lu_cache_entry *e)
{
	e->pc = 0;
	e->cfa_off = (int32_t)row->cfa_off;
	e->cfa_reg = row->cfa_slot;
	e->signal = signal;
	e->guessed = guessed;
	e->load = e->valoff = e->undef = 0;
	for (int s = 0; s < NSLOT; s++) {
		uint8_t k = row->r[s].kind;

		e->load |= (uint8_t)((k == R_OFFSET) << s);
		e->valoff |= (uint8_t)((k == R_VAL_OFFSET) << s);
		e->undef |= (uint8_t)((k == R_UNDEF) << s);
		e->off[s] = (int32_t)row->r[s].off;
	}
	e->nload = (uint8_t)__builtin_popcount(e->load);
	e->pc = pc;
}

/* apply_row for a cached row (only "register + offset" rules), in place: the hot path of a walk.
 * Each load's address and value go to `ld` (room for 7). The frame is left half-stepped when the
 * step fails (the walk ends there). */
static inline int step_entry(const struct walk *w, const sc_lu_cache_entry *e, struct frame *fr,
			     sc_lu_trace_load *ld)
{
	uint64_t cfa, sp = fr->v[S_SP];
	unsigned m;

	if (!(fr->valid & (1u << e->cfa_reg)))
		return SC_AGENT_STOP_NO_RULE;
	cfa = fr->v[e->cfa_reg] + (uint64_t)(int64_t)e->cfa_off;
	/* Every address depends on the CFA alone, so the slots can be overwritten as they load. */
	for (m = e->load; m; m &= m - 1) {
		int s = __builtin_ctz(m);
		uint64_t addr = cfa + (uint64_t)(int64_t)e->off[s];

		if (!ld_stack(w, addr, &fr->v[s]))
			return SC_AGENT_STOP_END_OF_STACK;
		*ld++ = (sc_lu_trace_load){addr | (uint64_t)s << 56, fr->v[s]};
	}
	for (m = e->valoff; m; m &= m - 1) {
		int s = __builtin_ctz(m);

		fr->v[s] = cfa + (uint64_t)(int64_t)e->off[s];
	}
	fr->v[S_SP] = cfa; /* cacheable rows leave sp "same value": the CFA */
	fr->valid = (fr->valid | e->load | e->valoff | (1u << S_SP)) & ~(uint32_t)e->undef;
	if (!(fr->valid & (1u << S_IP)) || fr->v[S_IP] == 0)
		return SC_AGENT_STOP_OUTERMOST;
	if (!e->signal && cfa <= sp)
		return SC_AGENT_STOP_NO_RULE;
	return -1;
}

/* The row for `lookup` (a pc inside the frame's function) in the module found by dlfo.
 * SC_AGENT_STOP_* on failure, NO_FDE, else -1; *signal says whether the frame is a signal
 * trampoline. */
/* Narrows m's bounds from the whole mapping to the PT_LOAD segment holding .eh_frame_hdr (and,
 * as linkers place them, .eh_frame): the loader leaves PROT_NONE holes between segments, which a
 * corrupt pointer must not reach. The ELF header and program headers are read from the first page
 * of the mapping (the first segment maps the file from offset 0); when they are not there as
 * expected, the bounds stay the mapping's. */
static void narrow_to_segment(const struct dl_find_object *d, struct mod *m)
{
	const ElfW(Ehdr) *eh = d->dlfo_map_start;
	const struct link_map *lm = d->dlfo_link_map;
	uint64_t hdr = (uint64_t)(uintptr_t)m->hdr;

	if (!lm || m->hi - m->lo < 4096 || not_elf64(eh->e_ident) ||
	    eh->e_phentsize != sizeof(ElfW(Phdr)) || eh->e_phoff > 4096 ||
	    eh->e_phnum > (4096 - eh->e_phoff) / sizeof(ElfW(Phdr)))
		return;
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(const void *)(m->lo + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		uint64_t lo = lm->l_addr + ph[i].p_vaddr, hi = lo + ph[i].p_memsz;

		if (ph[i].p_type != PT_LOAD || hdr < lo || hdr >= hi)
			continue;
		if (lo > (uint64_t)(uintptr_t)m->lo && lo < (uint64_t)(uintptr_t)m->hi)
			m->lo = (const uint8_t *)(uintptr_t)lo;
		if (hi > (uint64_t)(uintptr_t)m->lo && hi < (uint64_t)(uintptr_t)m->hi)
			m->hi = (const uint8_t *)(uintptr_t)hi;
		return;
	}
}

static int row_for(const struct dl_find_object *d, uint64_t lookup, struct mod *m, struct row *row,
		   bool *signal)
{
	struct fde f;
	struct row init;
	int rc;

	*m = (struct mod){d->dlfo_map_start, d->dlfo_map_end, d->dlfo_eh_frame};
	*signal = false;
	if (!m->hdr)
		return NO_FDE;
	narrow_to_segment(d, m);
	rc = sc_lu_find_fde(m, lookup, &f);
	if (rc == -ENOENT)
		return NO_FDE;
	if (rc < 0)
		return SC_AGENT_STOP_NO_RULE;
	*row = (struct row){.cfa_kind = CFA_REG, .cfa_slot = 0xff};
	if (!sc_lu_run_cfa(m, &f.cie, f.cie.insn, f.cie.insn_end, 0, ~(uint64_t)0, row, NULL))
		return SC_AGENT_STOP_NO_RULE;
	init = *row;
	if (!sc_lu_run_cfa(m, &f.cie, f.insn, f.insn_end, f.pc_begin, lookup, row, &init))
		return SC_AGENT_STOP_NO_RULE;
	*signal = f.cie.signal;
	return -1;
}

/* The cache set of a pc (its two entries): Fibonacci hashing spreads the nearby pcs of one
 * function. */
static inline sc_lu_cache_entry *set_of(sc_lu_cache *c, uint64_t pc)
{
	return &c->e[2 * (size_t)((pc * 0x9e3779b97f4a7c15ull) >> (64 - SC_LU_CACHE_BITS))];
}

static inline sc_lu_cache_entry *cache_find(sc_lu_cache *c, uint64_t pc)
{
	sc_lu_cache_entry *s = set_of(c, pc);

	if (!pc) /* an empty entry's */
		return NULL;
	return s[0].pc == pc ? &s[0] : s[1].pc == pc ? &s[1] : NULL;
}

/* The entry a new rule for pc goes to: the set's first, whose rule moves to the second (the
 * second's is forgotten: the least recently added of the two). */
static sc_lu_cache_entry *cache_slot(sc_lu_cache *c, uint64_t pc)
{
	sc_lu_cache_entry *s = set_of(c, pc);

	s[1] = s[0];
	return &s[0];
}

/* One frame stepped without a cached rule (or in FP mode): its module, its row (cached when it
 * can be), the step. -1 to go on with *fr and *exact updated, else the stop reason; *n counts
 * the pcs written. Out of line, so that the walk's loop over cached frames stays small. */
static __attribute__((noinline)) int slow_frame(const struct walk *w, find_object_fn fo, int mode,
						sc_lu_cache *cache, sc_lu_trace_frame *tf,
						sc_lu_trace_load *ld, struct frame *fr, bool *exact,
						uint64_t *pcs, size_t *n, size_t max)
{
	uint64_t pc = fr->v[S_IP], lookup = *exact ? pc : pc - 1;
	struct dl_find_object d;
	struct row row;
	struct mod m = {0};
	struct frame next;
	sc_lu_cache_entry *e = NULL;
	bool signal = false, guessed = false;
	int rc;

	if (fo && fo((void *)lookup, &d) != 0) {
		if (*n == 0)
			pcs[(*n)++] = pc;
		return SC_AGENT_STOP_NO_MAPPING;
	}
	if (mode == SC_AGENT_UNWIND_FP) {
		fp_row(&row);
	} else {
		if (cache)
			cache->misses++;
		rc = row_for(&d, lookup, &m, &row, &signal);
		if (rc == NO_FDE) {
			no_fde_row(w, fo, fr, *exact, &row);
			guessed = true;
			rc = -1;
		}
		if (rc >= 0) {
			pcs[(*n)++] = pc;
			return rc;
		}
		if (cache && row_cacheable(&row)) {
			e = cache_slot(cache, lookup);
			row_to_entry(&row, signal, guessed, lookup, e);
			if (tf)
				tf->e = e;
		}
	}
	pcs[(*n)++] = pc;
	if (*n == max)
		return SC_AGENT_STOP_MAX_FRAMES;
	if (mode == SC_AGENT_UNWIND_FP && fr->v[S_BP] == 0)
		return SC_AGENT_STOP_OUTERMOST; /* _start clears rbp */
	*exact = signal;
	if (e) { /* the cached form, so that the step is traced as a cached one is */
		if (tf)
			trace_step(tf, e);
		return step_entry(w, e, fr, ld);
	}
	rc = apply_row(w, &m, &row, fr, &next, signal);
	if (rc >= 0)
		return rc;
	*fr = next;
	return -1;
}

int sc_lu_unwind(const sc_lu_regs *r, uint64_t stack_hi, int mode, sc_lu_cache *cache,
		 uint64_t *pcs, size_t max, int *stop)
{
	find_object_fn fo = __atomic_load_n(&find_object, __ATOMIC_ACQUIRE);
	/* The red zone counts: a function interrupted in its epilogue has CFI rules for registers
	 * it already popped, below its sp, and the kernel builds a signal frame under the red zone.
	 */
	struct walk w = {r->sp >= RED_ZONE ? r->sp - RED_ZONE : 0, stack_hi};
	struct frame fr = {.v = {[S_BX] = r->bx,
				 [S_BP] = r->bp,
				 [S_SP] = r->sp,
				 [S_R12] = r->r12,
				 [S_R13] = r->r13,
				 [S_R14] = r->r14,
				 [S_R15] = r->r15,
				 [S_IP] = r->ip},
			   .valid = (1u << NSLOT) - 1};
	bool exact = true; /* the pc is not a return address: no "minus 1" */
	size_t n = 0;
	int reason = SC_AGENT_STOP_MAX_FRAMES;
	sc_lu_trace *prev = NULL; /* the kept walk matched against */
	struct tracing t = {0};
	sc_lu_trace_load scratch[8]; /* the loads of steps not kept */
	size_t pn = 0, pi = 0, hits = 0, predicted = 0, reused = 0, tried = SIZE_MAX;
	bool planned = false; /* the walk took its trace's frames by its plan */

	if (max == 0 || (mode != SC_AGENT_UNWIND_AUTO && mode != SC_AGENT_UNWIND_DWARF &&
			 mode != SC_AGENT_UNWIND_FP))
		return -EINVAL;
	if (!fo && mode != SC_AGENT_UNWIND_FP)
		return -ENOSYS;
	if (mode == SC_AGENT_UNWIND_FP)
		cache = NULL;
	if (cache) {
		sc_lu_trace *tr = cache->traces ? cache->traces : cache->own;
		uint32_t nt = cache->traces ? cache->ntraces : 2;
		uint64_t h =
		    ((r->ip ^ (r->sp * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull) >> 32;
		sc_lu_trace *a = &tr[2 * (h & (nt / 2 - 1))], *b = a + 1;

		/* A walk from where a kept one started is checked against it in place; else it
		 * replaces the least recently used of its set and is checked against the
		 * previous walk. */
		if (a->n && a->f[0].v[S_IP] == r->ip && a->f[0].v[S_SP] == r->sp)
			t.cur = prev = a;
		else if (b->n && b->f[0].v[S_IP] == r->ip && b->f[0].v[S_SP] == r->sp)
			t.cur = prev = b;
		else {
			t.cur = a->used <= b->used ? a : b;
			prev = &tr[cache->last < nt ? cache->last : 0];
			if (prev == t.cur)
				prev = NULL;
		}
		if (prev)
			pn = prev->n;
		t.cur->used = ++cache->walks;
		cache->last = (uint32_t)(t.cur - tr);
	}

	for (;;) {
		uint64_t pc = fr.v[S_IP], lookup = exact ? pc : pc - 1, sp = fr.v[S_SP];
		sc_lu_cache_entry *e = NULL;
		sc_lu_trace_frame *tf = NULL;
		sc_lu_trace_load *ld = scratch;
		int rc;

		if (cache) {
			/* The kept walk's frame at this sp, if any: the rest of that walk when this
			 * frame is its frame (trace_reuse decides), else its entry, when it is this
			 * pc's, saves the lookup (the trace is only a guess; e->pc decides). */
			while (pi < pn && prev->f[pi].v[S_SP] < sp)
				pi++;
			if (pi < pn && prev->f[pi].v[S_SP] == sp) {
				const sc_lu_trace_frame *pf = &prev->f[pi];

				if (pi != tried && pi + 1 < pn && pf->v[S_IP] == pc &&
				    pf->exact == exact && pf->step && !cache->no_reuse &&
				    (prev != t.cur || n == 0)) {
					size_t j;

					/* From the first frame, in place: by the plan, made
					 * the first time it is needed. */
					if (prev == t.cur && max >= pn && prev->plan.n != pn)
						sc_lu_plan_make(prev);
					if (prev == t.cur && max >= pn && prev->plan.n == pn &&
					    sc_lu_plan_reuse(&w, prev, &fr, pcs)) {
						j = pn - 1;
						n = j;
						t.nld = prev->f[j].load0;
						t.own = prev->plan.set;
						planned = true;
					} else {
						j = sc_lu_trace_reuse(&w, prev, pi, &t, &fr, pcs,
								      &n, max);
					}

					tried = j;
					if (j > pi) {
						reused += j - pi;
						exact = prev->f[j].exact;
						pi = j;
						continue;
					}
				}
				if (pf->e && pf->e->pc == lookup) {
					e = pf->e;
					pi++;
					predicted++;
				}
			}
			if (!e)
				e = cache_find(cache, lookup);
			if (n < SC_LU_TRACE && !t.full && t.nld + 7 <= SC_LU_TRACE_LOADS) {
				tf = &t.cur->f[n];
				for (int s = 0; s < NSLOT; s++)
					tf->v[s] = fr.v[s];
				tf->valid = fr.valid;
				tf->e = e;
				tf->load0 = (uint16_t)t.nld;
				tf->exact = exact;
				tf->step = 0;
				tf->set = 0xff;
				tf->own = t.own;
				ld = &t.cur->ld[t.nld];
			} else if (!t.full) {
				t.full = true;
				t.n = (uint32_t)n;
			}
		}
		if (__builtin_expect(e != NULL, 1)) {
			hits++;
			pcs[n++] = pc;
			if (n == max)
				break;
			if (tf)
				trace_step(tf, e);
			rc = step_entry(&w, e, &fr, ld);
			exact = e->signal;
		} else {
			rc = slow_frame(&w, fo, mode, cache, tf, ld, &fr, &exact, pcs, &n, max);
		}
		if (tf) {
			t.own |= tf->set;
			if (tf->step)
				t.nld += tf->e->nload;
		}
		if (rc >= 0) {
			reason = rc;
			break;
		}
	}
	if (cache) {
		cache->hits += hits;
		cache->predicted += predicted;
		cache->reused += reused;
		t.cur->n = t.full ? t.n : (uint32_t)n;
		cache->same = planned && n == t.cur->plan.n && pcs[n - 1] == t.cur->plan.pc[n - 1];
		if (!planned || t.cur->n != t.cur->plan.n)
			t.cur->plan.n = 0; /* the frames changed */
		else /* the last kept frame was stepped again: its pc may be another */
			t.cur->plan.pc[t.cur->plan.n - 1] = pcs[t.cur->plan.n - 1];
	}
	*stop = reason;
	return (int)n;
}

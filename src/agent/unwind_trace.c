/*
 * unwind_trace.c: the reuse of kept walks by the agents' in-process unwinder (unwind_local.h,
 * "Reuse"): a kept walk's frames taken from a frame that matches one of them, step by step with
 * each step's checks (sc_lu_trace_reuse), or from a kept walk's first frame in one pass of loads
 * by the trace's plan (sc_lu_plan_make, sc_lu_plan_reuse). unwind_local.c's walk records the
 * traces and calls these; the safety contract of unwind_local.h holds (no allocation, no libc:
 * loop copies, not memcpy; every stack load bounded by the walk's [lo, hi)).
 */
#include "agent/unwind_int.h"

/* Kept walk `src`'s frames from i on (its frame i has the sp, pc and kind of the current frame *fr,
 * the walk's n-th), copied to pcs and to the current walk's trace as long as they are what steps
 * would give (unwind_local.h, "Reuse"): a step is taken as the kept walk's when the registers it
 * reads are what they were: those no step since frame i set, frame i's; those a step since loaded,
 * the word then loaded (compared when read, not before: a saved register nothing reads is not
 * compared). Every load must be within the walk's bounds. Copies frames i..j-1, where j is the
 * first frame whose step is not taken (or the kept walk's last frame, or the last that fits in pcs
 * or the trace), and leaves *fr in frame j's registers (the loaded ones loaded again), to be
 * stepped. In place (src is the current trace, i and n 0) the kept frames stay, marked where a
 * register was not compared. Returns j (i: nothing copied). */
size_t sc_lu_trace_reuse(const struct walk *w, sc_lu_trace *src, size_t i, struct tracing *t,
			 struct frame *fr, uint64_t *pcs, size_t *n, size_t max)
{
	sc_lu_trace_frame *pf = src->f;
	const sc_lu_trace_frame *fi = &src->f[i], *f0 = &src->f[0];
	bool in_place = src == t->cur;
	size_t lim = src->n - 1, room = max - *n - 1, j;
	uint32_t set = 0, pending = 0, fromld = 0, l0 = fi->load0,
		 ldroom = SC_LU_TRACE_LOADS - 7 - t->nld;
	uint32_t last[NSLOT];	    /* the load that set a register, when one did */
	uint8_t stale[SC_LU_TRACE]; /* per frame from i: registers loaded, not compared yet */

	if (t->full || *n + 1 >= SC_LU_TRACE)
		return i;
	if (room > SC_LU_TRACE - 1 - *n)
		room = SC_LU_TRACE - 1 - *n;
	if (lim - i > room)
		lim = i + room;
	for (j = i; j < lim; j++) {
		const sc_lu_trace_frame *f = &pf[j];
		uint32_t lend = pf[j + 1].load0, loaded = 0;
		unsigned m;

		if (!f->step || (!in_place && lend - l0 > ldroom))
			break;
		for (m = f->read & ~set; m; m &= m - 1) {
			int s = __builtin_ctz(m);
			const sc_lu_trace_frame *o = (fi->own >> s) & 1 ? fi : f0;

			if (((o->stale >> s) & 1) || ((fr->valid ^ o->valid) & (1u << s)) ||
			    ((fr->valid & (1u << s)) && fr->v[s] != o->v[s]))
				goto out;
		}
		for (m = f->read & pending; m; m &= m - 1) {
			const sc_lu_trace_load *l = &src->ld[last[__builtin_ctz(m)]];
			uint64_t v;

			if (!ld_stack(w, LD_ADDR(*l), &v) || v != l->value)
				goto out;
		}
		pending &= ~(uint32_t)f->read;
		stale[j - i] = (uint8_t)pending;
		for (unsigned l = f->load0; l < lend; l++) {
			uint64_t a = LD_ADDR(src->ld[l]);

			if (a < w->lo || a > w->hi - 8 || w->hi - w->lo < 8)
				goto out;
		}
		for (unsigned l = f->load0; l < lend; l++) {
			last[LD_SLOT(src->ld[l])] = l;
			loaded |= 1u << LD_SLOT(src->ld[l]);
		}
		pending = (pending & ~(uint32_t)f->set) | loaded;
		fromld = (fromld & ~(uint32_t)f->set) | loaded;
		set |= f->set;
	}
out:
	if (j == i)
		return i;
	/* The frames: a register no step since frame i set is the current frame's, not the kept
	 * walk's (it was compared only if read). */
	uint32_t d = 0, nl = pf[j].load0 - l0;
	sc_lu_trace_load *ld = src->ld; /* the kept walk's loads, or their copies from l0 on */
	if (in_place) {
		for (size_t k = 0; k < j; k++) {
			pcs[k] = (pf[k].own >> S_IP) & 1 ? pf[k].v[S_IP] : fr->v[S_IP];
			pf[k].stale |= stale[k];
		}
		for (int s = 0; s < NSLOT; s++)
			pf[0].v[s] = fr->v[s];
		pf[0].valid = fr->valid;
		t->nld = pf[j].load0;
	} else {
		sc_lu_trace *cur = t->cur;

		for (size_t k = i; k < j; k++) {
			const sc_lu_trace_frame *f = &pf[k];
			sc_lu_trace_frame *c = &cur->f[*n + (k - i)];

			*c = *f;
			for (unsigned m = ~d & 0xffu; m; m &= m - 1)
				c->v[__builtin_ctz(m)] = fr->v[__builtin_ctz(m)];
			c->valid = (f->valid & d) | (fr->valid & ~d);
			c->own = (uint8_t)(t->own | d);
			c->stale = (uint8_t)((f->stale & d) | stale[k - i]);
			c->load0 = (uint16_t)(t->nld + (f->load0 - l0));
			pcs[*n + (k - i)] = c->v[S_IP];
			d |= f->set;
		}
		for (uint32_t l = 0; l < nl; l++) /* no memcpy: no libc (unwind_local.h) */
			cur->ld[t->nld + l] = src->ld[l0 + l];
		ld = cur->ld + t->nld;
		t->nld += nl;
	}
	/* Frame j: what a step set from the kept frame (CFA offsets, undefined), what one loaded
	 * from the stack again (bounds checked above), with the kept copy brought up to date. */
	for (unsigned m = set; m; m &= m - 1)
		fr->v[__builtin_ctz(m)] = pf[j].v[__builtin_ctz(m)];
	fr->valid = (pf[j].valid & set) | (fr->valid & ~set);
	for (unsigned m = fromld; m; m &= m - 1) {
		int s = __builtin_ctz(m);
		sc_lu_trace_load *l = &ld[in_place ? last[s] : last[s] - l0];

		ld_stack(w, LD_ADDR(*l), &fr->v[s]);
		l->value = fr->v[s];
	}
	t->own |= (uint8_t)set;
	*n += j - i;
	return j;
}

/* Makes trace t's plan (unwind_local.h), for its frames as they are; none when a step cannot be
 * reused. The registers whose loads the plan does not compare are marked stale where they are not
 * compared yet, as a reuse by the plan leaves them. */
void sc_lu_plan_make(sc_lu_trace *t)
{
	sc_lu_trace_plan *p = &t->plan;
	uint32_t set = 0, pending = 0, fromld = 0, read = 0, lim = t->n - 1;
	uint16_t last[NSLOT] = {0};

	p->n = 0;
	if (t->n < 2)
		return;
	p->nchk = 0;
	p->lo = ~(uint64_t)0;
	p->hi = 0;
	for (uint32_t j = 0; j < lim; j++) {
		sc_lu_trace_frame *f = &t->f[j];
		uint32_t loaded = 0;

		if (!f->step)
			return;
		read |= f->read & ~set;
		for (unsigned m = f->read & pending; m; m &= m - 1)
			p->chk[p->nchk++] = t->ld[last[__builtin_ctz(m)]];
		pending &= ~(uint32_t)f->read;
		f->stale |= (uint8_t)pending;
		for (unsigned l = f->load0; l < t->f[j + 1].load0; l++) {
			uint64_t a = LD_ADDR(t->ld[l]);

			p->lo = a < p->lo ? a : p->lo;
			p->hi = a > p->hi ? a : p->hi;
			last[LD_SLOT(t->ld[l])] = (uint16_t)l;
			loaded |= 1u << LD_SLOT(t->ld[l]);
		}
		pending = (pending & ~(uint32_t)f->set) | loaded;
		fromld = (fromld & ~(uint32_t)f->set) | loaded;
		set |= f->set;
	}
	for (uint32_t k = 0; k < t->n; k++)
		p->pc[k] = (t->f[k].own >> S_IP) & 1 ? t->f[k].v[S_IP] : t->f[0].v[S_IP];
	p->read = (uint8_t)(read & ~(1u << S_SP | 1u << S_IP));
	p->ld = (uint8_t)fromld;
	p->set = (uint8_t)set;
	for (unsigned m = fromld; m; m &= m - 1)
		p->ref[__builtin_ctz(m)] = last[__builtin_ctz(m)];
	p->n = t->n;
}

__attribute__((no_sanitize_address, no_sanitize("undefined"))) static inline uint64_t
ld_raw(uint64_t addr)
{
	return *(const u64_unaligned *)(uintptr_t)addr;
}

/* A walk from trace t's first frame (*fr: same sp and pc), by its plan: frames 0..n-2 to pcs and
 * *fr in frame n-1's registers, true; false when the plan does not hold (nothing written). */
bool sc_lu_plan_reuse(const struct walk *w, sc_lu_trace *t, struct frame *fr, uint64_t *pcs)
{
	const sc_lu_trace_plan *p = &t->plan;
	sc_lu_trace_frame *f0 = &t->f[0], *fl = &t->f[p->n - 1];
	uint64_t diff = 0;

	if (((fr->valid ^ f0->valid) & p->read))
		return false;
	for (unsigned m = p->read & fr->valid; m; m &= m - 1)
		diff |= fr->v[__builtin_ctz(m)] ^ f0->v[__builtin_ctz(m)];
	if (p->hi && (p->lo < w->lo || p->hi > w->hi - 8 || w->hi - w->lo < 8))
		return false;
	for (uint32_t c = 0; c < p->nchk; c++)
		diff |= ld_raw(LD_ADDR(p->chk[c])) ^ p->chk[c].value;
	if (diff)
		return false;
	for (uint32_t k = 0; k < p->n - 1; k++)
		pcs[k] = p->pc[k];
	for (int s = 0; s < NSLOT; s++)
		f0->v[s] = fr->v[s];
	f0->valid = fr->valid;
	for (unsigned m = p->set; m; m &= m - 1)
		fr->v[__builtin_ctz(m)] = fl->v[__builtin_ctz(m)];
	fr->valid = (fl->valid & p->set) | (fr->valid & ~(uint32_t)p->set);
	for (unsigned m = p->ld; m; m &= m - 1) {
		int s = __builtin_ctz(m);
		sc_lu_trace_load *l = &t->ld[p->ref[s]];

		l->value = fr->v[s] = ld_raw(LD_ADDR(*l));
	}
	return true;
}

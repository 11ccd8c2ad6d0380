/*
 * symbolize.c: sc_symbolize_profile, addresses to inline chains of (function, line); the driver.
 *
 * The flow, per location that has no lines yet:
 *
 *   JIT      -> an address in anonymous executable memory (or in no mapping) is looked up in the
 *               perf-PID.map of each process whose samples hold it (jit.c).
 *   kernel   -> kallsyms (kallsyms.c).
 *   mapping  -> the file it names, opened once per path (files.c), from the module cache shared
 *               with the unwinder (src/unwind/modules.h), through libdwfl in offline mode (the
 *               process is usually gone; only the file on disk matters).
 *   address  -> file offset (address - start + mapping offset) -> ELF virtual address through the
 *               PT_LOAD segment holding that offset -> libdwfl address (plus the module's bias).
 *               The same arithmetic serves PIE executables, shared libraries and fixed-address
 *               executables, and lets every process that mapped a file share one cache.
 *   vaddr    -> the chain of (function, line), innermost first, from DWARF scopes and the
 *               symbol table (dwarf.c, symtab.c).
 *
 * Each distinct (file, vaddr) is resolved once and each (file, DIE, symbol) becomes a function
 * once, so the cost follows the number of distinct addresses, not of samples or processes.
 * Anything that cannot be resolved still gets a function, so no sample loses its frame: the
 * unnamed region's name (unnamed.c), "[unknown]" outside any mapping, "[kernel]" for kernel
 * addresses kallsyms does not hold. Afterwards unnamed.c counts, per module, the samples whose
 * innermost frame got no symbol, for the summary the CLI prints.
 *
 * sym.h lists the files and holds what they share (struct sym: one call's state and caches).
 *
 * Not here: unwinding (src/unwind/), reading mappings (src/record/).
 */
#include "symbolize/sym.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct cache_ent *sc_sym_cache_get(const sc_hashmap *m, const cache_vec *v,
				   const struct cache_ent *k)
{
	uint64_t i;
	return sc_hashmap_get(m, cache_hash(k), cache_eq, k, v, &i) ? &v->data[i] : NULL;
}

int sc_sym_cache_put(sc_hashmap *m, cache_vec *v, const struct cache_ent *k)
{
	if (sc_vec_reserve(v, 1) < 0 || sc_hashmap_put(m, cache_hash(k), v->len) < 0)
		return -ENOMEM;
	v->data[v->len++] = *k;
	return 0;
}

int sc_sym_set_lines(struct sym *s, uint32_t loc, const sc_line *lines, size_t n)
{
	return sc_profile_set_location_lines(s->p, loc, lines, n);
}

/* Gives a location one line whose function is named by s->sb ("libc.so.6+0x1234"), noting why
 * it has no better name. */
static int set_fallback(struct sym *s, uint32_t loc, enum sc_sym_reason why)
{
	s->st.unresolved++;
	s->why[loc] = (uint8_t)why;
	int64_t fn = sc_sym_add_function(s, sc_strbuf_cstr(&s->sb), "", 0, 0);
	if (fn < 0)
		return -ENOMEM;
	sc_line l = {(uint32_t)fn, 0, 0};
	return sc_sym_set_lines(s, loc, &l, 1);
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
	int64_t fn =
	    sc_sym_add_function(s, k->name, k->name, sc_sym_intern(s, sc_strbuf_cstr(&s->sb)), 0);
	if (fn < 0)
		return -ENOMEM;
	s->st.resolved++;
	sc_line l = {(uint32_t)fn, 0, 0};
	return sc_sym_set_lines(s, loc, &l, 1);
}

static int symbolize_location(struct sym *s, uint32_t loc, uint32_t mapping, uint64_t addr)
{
	const sc_mapping *m = sc_profile_mapping(s->p, mapping);
	int r = sc_sym_symbolize_jit(s, loc, m, addr);
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
	int64_t fi = sc_sym_file_for(s, m);
	if (fi < 0)
		return (int)fi;
	const struct sym_file *f = &s->files.data[fi];
	uint64_t fileoff = addr - m->start + m->offset, vaddr = 0;
	bool stale =
	    m->build_id && f->build_id &&
	    strcasecmp(sc_profile_str(s->p, m->build_id), sc_profile_str(s->p, f->build_id)) != 0;
	bool have_vaddr = f->dwfl && !stale && sc_sym_vaddr_of(f, fileoff, &vaddr);
	if (have_vaddr) {
		struct cache_ent k = {(uint64_t)fi, vaddr, 0, 0, 0};
		struct cache_ent *hit = sc_sym_cache_get(&s->addr_index, &s->addrs, &k);
		if (!hit) {
			k.first = (uint32_t)s->chains.len;
			int n = sc_sym_resolve(s, (uint32_t)fi, vaddr);
			if (n < 0)
				return n;
			k.n = (uint32_t)n;
			if (sc_sym_cache_put(&s->addr_index, &s->addrs, &k) < 0)
				return -ENOMEM;
			hit = &s->addrs.data[s->addrs.len - 1];
		}
		if (hit->n) {
			s->st.resolved++;
			return sc_sym_set_lines(s, loc, &s->chains.data[hit->first], hit->n);
		}
	}
	enum sc_sym_reason why = !f->dwfl ? (sc_sym_is_anon(s, m) ? SC_SYM_JIT : SC_SYM_NO_FILE)
				 : stale  ? SC_SYM_STALE
				 : sc_sym_file_stripped(&s->files.data[fi]) ? SC_SYM_STRIPPED
									    : SC_SYM_NOT_COVERED;
	if (sc_sym_unnamed_name(s, m, have_vaddr ? &s->files.data[fi] : NULL, vaddr) < 0)
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
	sc_sym_debuginfo_path = (char *)s.o.debuginfo_path;
	s.why = malloc(p->locations.len + 1);
	if (!s.why) {
		r = -ENOMEM;
		goto out;
	}
	memset(s.why, NOT_LOOKED_AT, p->locations.len + 1);
	if ((r = sc_sym_jit_pids(&s, needs_work)) < 0)
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
		int64_t fi = sc_sym_file_for(&s, m);
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
	if ((r = sc_sym_unnamed_shares(&s)) < 0)
		goto out;
	if (s.o.progress)
		s.o.progress(done, total, s.o.progress_ctx);
out:
	if (stats)
		*stats = s.st;
	sc_sym_debuginfo_path = NULL;
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

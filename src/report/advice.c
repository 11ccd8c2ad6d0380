/*
 * advice.c: the rules of advice.h and the walk that measures them.
 *
 * Every frame key (sc_fkeys: display name + module) is tested once against each rule's regex,
 * giving a bit mask per key. One pass over the stack tree (parents before children) then gives
 * each node the OR of its ancestors' masks: a sample counts for an "on the stack" rule when its
 * node has the bit, for a "leaf" rule when its innermost frame has it. The evidence names the
 * rule's heaviest functions by total (by self for leaf rules), from sc_top.
 *
 * The inlined rule is a walk of its own: the self cost of nodes whose location has an inline
 * chain, keyed by (innermost function, function it is inlined into).
 */
#include "report/advice.h"

#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/frames.h"
#include "report/top.h"

enum kind { ON_STACK, LEAF, HOT, INLINED };

struct rule {
	const char *id, *title;
	enum kind kind;
	double threshold;
	const char *regex; /* on display names; NULL for rules measured otherwise */
	const char *advice;
};

static const struct rule rules[] = {
    {"hot-function", "One function dominates the profile", HOT, 20.0, NULL,
     "Start there: a function with this much self time is where an algorithmic change, better "
     "data layout or vectorization pays off most. Look at its hot lines (perf annotate, or "
     "scorch's flamegraph zoomed into it) before touching anything else."},
    {"allocator", "Much time in memory allocation", ON_STACK, 5.0,
     "^(malloc|free|calloc|realloc|cfree|memalign|posix_memalign|aligned_alloc|valloc|"
     "__libc_(malloc|free|calloc|realloc|memalign)|_int_(malloc|free|realloc|memalign)|"
     "malloc_consolidate|tcache_[a-z_]+|sysmalloc|systrim|unlink_chunk|"
     "operator new|operator delete|je_[a-z_]+|tc_[a-z_]+|mi_[a-z_]+)($|\\(|\\[| )",
     "Allocate less often: reuse buffers across iterations, reserve capacity up front "
     "(vector::reserve, preallocated arrays), keep objects by value instead of one heap object "
     "each, use an arena or pool for many small short-lived objects. If the allocation pattern "
     "cannot change, try another allocator (jemalloc, mimalloc, tcmalloc) via LD_PRELOAD."},
    {"memcopy", "Much time copying or clearing memory", ON_STACK, 5.0,
     "^_*(memcpy|memmove|memset|mempcpy|wmemcpy|wmemset|bcopy|bzero)",
     "Copy less: pass large data by reference or move it instead of copying, avoid building "
     "temporary strings and buffers in hot loops, grow buffers geometrically, and don't clear "
     "memory that is about to be overwritten. Check the callers of the copy in the butterfly "
     "view to find who copies."},
    {"kernel", "Much time in the kernel", LEAF, 10.0, "_\\[k\\]$",
     "The program spends its time in system calls or kernel work on its behalf: batch I/O into "
     "fewer, larger reads and writes, buffer output, avoid polling, and reuse memory instead of "
     "mapping and unmapping it. `strace -c` or `perf trace -s` shows which system calls."},
    {"locks", "Threads wait for locks", ON_STACK, 5.0,
     "^(futex_[a-z_]+|__futex[a-z_]*|do_futex|__lll_lock_wait[a-z_]*|lll_lock_wait|"
     "__pthread_mutex_[a-z_]+|pthread_mutex_[a-z_]+|__pthread_rwlock_[a-z_]+|"
     "pthread_rwlock_[a-z_]+|pthread_cond_[a-z_]+|__pthread_cond_[a-z_]+|pthread_spin_[a-z_]+|"
     "sem_wait|__new_sem_wait[a-z_]*|std::mutex::lock|std::__1::mutex::lock)($|\\(|@| )",
     "Lock contention: keep critical sections short (no I/O or allocation under the lock), "
     "split one hot lock into several (sharding by key), give each thread its own data and "
     "merge at the end, or use atomics for counters. The callers of the lock in the butterfly "
     "view show which lock."},
    {"inlined", "An inlined callee carries the cost", INLINED, 10.0, NULL,
     "The time is in a function the compiler inlined, so it shows inside its caller: look at "
     "the inlined function's source lines (perf annotate on the caller) and optimize it there; "
     "marking it noinline temporarily makes it visible as a function of its own."},
    {"dynlink", "Time in the dynamic linker", ON_STACK, 2.0,
     "^(_dl_[a-z_0-9]+|dl_[a-z_]+|do_lookup_x|check_match|_dl_runtime_resolve[a-z_]*|"
     "elf_machine_[a-z_]+|__libc_dlopen_mode|dlopen[a-z_@.0-9]*)($|\\(| )",
     "Start-up (or dlopen) is spent resolving symbols: link fewer shared libraries, build with "
     "-fvisibility=hidden and -Wl,-Bsymbolic-functions to shrink what must be resolved, avoid "
     "dlopen in hot paths, or link statically. For short runs this is fixed cost: profile a "
     "longer run to see the steady state."},
    {"page-faults", "Time in page faults", ON_STACK, 5.0,
     "^(asm_exc_page_fault|exc_page_fault|do_page_fault|__do_page_fault|page_fault|"
     "handle_mm_fault|__handle_mm_fault|do_anonymous_page|do_fault|do_wp_page|"
     "clear_page[a-z_]*|do_huge_pmd_anonymous_page)($|\\(|_\\[k\\]| )",
     "Memory is touched for the first time, page by page: reuse memory instead of allocating "
     "fresh (glibc returns big blocks to the kernel: raise M_MMAP_THRESHOLD / M_TRIM_THRESHOLD "
     "or keep buffers), prefault with MAP_POPULATE, or use huge pages for large arrays."},
};

#define NRULES (sizeof(rules) / sizeof(rules[0]))

static bool is_kernel(const char *module)
{
	return strcmp(module, "[kernel]") == 0 || strncmp(module, "[kernel.", 8) == 0;
}

/* Per-key rule masks. Returns a malloc'd array or NULL (-ENOMEM). */
static uint16_t *key_masks(const sc_fkeys *keys, regex_t *re, const bool *compiled)
{
	uint16_t *m = calloc(keys->keys.len ? keys->keys.len : 1, sizeof(*m));
	if (!m)
		return NULL;
	for (size_t k = 0; k < keys->keys.len; k++) {
		const sc_fkey *key = &keys->keys.data[k];
		for (size_t r = 0; r < NRULES; r++)
			if (compiled[r] && regexec(&re[r], key->name, 0, NULL, 0) == 0)
				m[k] |= (uint16_t)(1u << r);
		for (size_t r = 0; r < NRULES; r++)
			if (rules[r].kind == LEAF && strcmp(rules[r].id, "kernel") == 0 &&
			    is_kernel(key->module))
				m[k] |= (uint16_t)(1u << r);
	}
	return m;
}

/* Appends "name 1.23%" items of the top rows that match the rule to `f->evidence`. */
static void add_evidence(sc_advice_finding *f, const sc_top *t, regex_t *re, bool compiled,
			 bool kernel, bool by_self)
{
	size_t used = strlen(f->evidence), n = 0;
	const sc_top_entry **best = calloc(3, sizeof(*best));
	if (!best)
		return;
	for (size_t i = 0; i < t->len; i++) {
		const sc_top_entry *e = &t->entries[i];
		bool match = (compiled && regexec(re, e->name, 0, NULL, 0) == 0) ||
			     (kernel && is_kernel(e->module));
		int64_t v = by_self ? e->self : e->total;
		if (!match || !v)
			continue;
		/* Keep the three largest, in order. */
		size_t pos = n < 3 ? n : 3;
		while (pos > 0 && (by_self ? best[pos - 1]->self : best[pos - 1]->total) < v)
			pos--;
		if (pos >= 3)
			continue;
		for (size_t j = (n < 3 ? n : 2); j > pos; j--)
			best[j] = best[j - 1];
		best[pos] = e;
		if (n < 3)
			n++;
	}
	for (size_t i = 0; i < n && used < sizeof(f->evidence); i++) {
		int w = snprintf(f->evidence + used, sizeof(f->evidence) - used, "%s%s %.2f%% %s",
				 i ? ", " : "", best[i]->name,
				 sc_pct(by_self ? best[i]->self : best[i]->total, t->grand_total),
				 by_self ? "self" : "total");
		if (w < 0)
			break;
		used += (size_t)w;
	}
	free(best);
}

struct pair {
	uint32_t inl, host; /* function ids */
	int64_t self;
};

/* The heaviest (inlined function, host) pair by self cost. */
static int inlined_rule(const sc_profile *p, const int64_t *self, sc_advice_finding *f,
			int64_t grand)
{
	SC_VEC(struct pair) pairs = {0};
	for (size_t n = 1; n < p->nodes.len; n++) {
		if (!self[n])
			continue;
		const sc_location *l = sc_profile_location(p, p->nodes.data[n].location);
		if (!l || l->nlines < 2)
			continue;
		const sc_line *lines = sc_profile_location_lines(p, l);
		struct pair pr = {lines[0].function, lines[l->nlines - 1].function, self[n]};
		size_t i = 0;
		while (i < pairs.len &&
		       (pairs.data[i].inl != pr.inl || pairs.data[i].host != pr.host))
			i++;
		if (i < pairs.len)
			pairs.data[i].self = sc_sat_add(pairs.data[i].self, pr.self);
		else if (sc_vec_push(&pairs, pr) < 0) {
			sc_vec_release(&pairs);
			return -ENOMEM;
		}
	}
	const struct pair *best = NULL;
	for (size_t i = 0; i < pairs.len; i++)
		if (!best || pairs.data[i].self > best->self)
			best = &pairs.data[i];
	if (best) {
		const sc_function *fi = sc_profile_function(p, best->inl);
		const sc_function *fh = sc_profile_function(p, best->host);
		f->pct = sc_pct(best->self, grand);
		snprintf(f->evidence, sizeof(f->evidence), "%s inlined into %s: %.2f%% self",
			 fi ? sc_profile_str(p, fi->name) : "?",
			 fh ? sc_profile_str(p, fh->name) : "?", f->pct);
	}
	sc_vec_release(&pairs);
	return 0;
}

static int cmp_finding(const void *x, const void *y)
{
	const sc_advice_finding *a = x, *b = y;
	if (a->pct != b->pct)
		return a->pct > b->pct ? -1 : 1;
	return strcmp(a->rule, b->rule);
}

int sc_advice_compute(const sc_profile *p, int type, sc_advice *a)
{
	*a = (sc_advice){0};
	if (type < 0 || (size_t)type >= p->nsample_types)
		return -EINVAL;
	regex_t re[NRULES];
	bool compiled[NRULES] = {0};
	sc_fkeys keys = {0};
	sc_top top = {0};
	int64_t *self = NULL;
	uint16_t *kmask = NULL, *nmask = NULL, *lmask = NULL;
	uint32_t cap = sc_fkeys_max_lines(p), *fk = malloc(cap * sizeof(*fk));
	int r = -ENOMEM;
	for (size_t i = 0; i < NRULES; i++)
		if (rules[i].regex) {
			int c = regcomp(&re[i], rules[i].regex, REG_EXTENDED | REG_NOSUB);
			if (c == REG_ESPACE)
				goto out;
			compiled[i] = c == 0; /* our own table: a typo would fail the unit test */
		}
	if (!fk || sc_fkeys_init(&keys, p) < 0 || sc_node_values(p, type, &self, NULL) < 0 ||
	    sc_top_compute(p, type, &top) < 0)
		goto out;
	kmask = key_masks(&keys, re, compiled);
	nmask = calloc(p->nodes.len ? p->nodes.len : 1, sizeof(*nmask));
	lmask = calloc(p->nodes.len ? p->nodes.len : 1, sizeof(*lmask));
	a->all = calloc(NRULES, sizeof(*a->all));
	a->items = calloc(NRULES, sizeof(*a->items));
	if (!kmask || !nmask || !lmask || !a->all || !a->items)
		goto out;
	int64_t grand = top.grand_total, sums[NRULES] = {0};
	for (size_t n = 1; n < p->nodes.len; n++) {
		const sc_stack_node *sn = &p->nodes.data[n];
		uint32_t nf = sc_fkeys_location(&keys, p, sn->location, fk, cap);
		uint16_t m = nmask[sn->parent];
		for (uint32_t i = 0; i < nf; i++)
			m |= kmask[fk[i]];
		nmask[n] = m;
		lmask[n] = nf ? kmask[fk[nf - 1]] : 0;
		if (!self[n])
			continue;
		for (size_t i = 0; i < NRULES; i++)
			if ((rules[i].kind == ON_STACK ? nmask[n] : lmask[n]) & (1u << i))
				sums[i] = sc_sat_add(sums[i], self[n]);
	}
	for (size_t i = 0; i < NRULES; i++) {
		sc_advice_finding *f = &a->all[i];
		f->rule = rules[i].id;
		f->title = rules[i].title;
		f->advice = rules[i].advice;
		f->threshold = rules[i].threshold;
		if (rules[i].kind == HOT) {
			if (top.len) {
				f->pct = sc_pct(top.entries[0].self, grand);
				snprintf(f->evidence, sizeof(f->evidence), "%s %.2f%% self",
					 top.entries[0].name, f->pct);
			}
		} else if (rules[i].kind == INLINED) {
			if ((r = inlined_rule(p, self, f, grand)) < 0)
				goto out;
		} else {
			f->pct = sc_pct(sums[i], grand);
			add_evidence(f, &top, &re[i], compiled[i], rules[i].kind == LEAF,
				     rules[i].kind == LEAF);
		}
		a->nall++;
		if (grand > 0 && f->pct >= f->threshold)
			a->items[a->len++] = *f;
	}
	qsort(a->items, a->len, sizeof(*a->items), cmp_finding);
	r = 0;
out:
	for (size_t i = 0; i < NRULES; i++)
		if (compiled[i])
			regfree(&re[i]);
	free(fk);
	free(self);
	free(kmask);
	free(nmask);
	free(lmask);
	sc_top_release(&top);
	sc_fkeys_release(&keys);
	if (r < 0)
		sc_advice_release(a);
	return r;
}

void sc_advice_release(sc_advice *a)
{
	if (!a)
		return;
	free(a->items);
	free(a->all);
	*a = (sc_advice){0};
}

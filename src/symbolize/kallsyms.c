/*
 * kallsyms.c: parsing and searching /proc/kallsyms (see kallsyms.h).
 *
 * Lines look like "ffffffff81000000 T _stext" or "ffffffffc0a01000 t ext4_fill_super\t[ext4]".
 * The whole file (about 200k lines on a distribution kernel) is read at once and cut in place, so
 * names cost no allocation. Without privilege the kernel prints every address as zero; the table
 * is then empty and callers fall back to raw addresses.
 */
#include "symbolize/kallsyms.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"
#include "util/vec.h"
#include "util/search.h"

/* Sort key beyond the address: prefer global names, then names with fewer leading '_', then the
 * file's order, so that of aliases at one address the most readable one wins. */
struct ent {
	sc_ksym sym;
	uint32_t rank, order;
};

static uint32_t rank_of(char type, const char *name)
{
	uint32_t r = (type == 't' || type == 'w') ? 100 : 0;
	while (*name == '_' && r % 100 < 99) {
		r++;
		name++;
	}
	return r;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	if (x->sym.addr != y->sym.addr)
		return x->sym.addr < y->sym.addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int sc_ksyms_load(sc_ksyms *k, const char *path)
{
	SC_VEC(struct ent) ents = {0};
	size_t len = 0;
	bool nonzero = false;
	int r;

	*k = (sc_ksyms){0};
	r = sc_read_file(path, &k->buf, &len);
	if (r < 0)
		return r;
	char *p = k->buf, *end = k->buf + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eol = nl ? nl : end;
		*eol = '\0';
		char *q;
		errno = 0;
		unsigned long long addr = strtoull(p, &q, 16);
		if (q != p && !errno && q[0] == ' ' && q[1] && q[2] == ' ') {
			char type = q[1];
			char *name = q + 3, *tab = strchr(name, '\t'), *module = eol;
			if (tab) {
				*tab = '\0';
				module = tab + 1;
				if (*module == '[')
					module++;
				char *close = strchr(module, ']');
				if (close)
					*close = '\0';
			}
			if (addr)
				nonzero = true;
			if (*name && strchr("tTwW", type)) {
				struct ent e = {
				    {addr, name, module}, rank_of(type, name), (uint32_t)ents.len};
				if (sc_vec_push(&ents, e) < 0) {
					r = -ENOMEM;
					goto fail;
				}
			}
		}
		p = eol + 1;
	}
	if (!nonzero || !ents.len) {
		sc_vec_release(&ents);
		return 0;
	}
	qsort(ents.data, ents.len, sizeof(*ents.data), ent_cmp);
	k->syms = malloc(ents.len * sizeof(*k->syms));
	if (!k->syms) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < ents.len; i++)
		if (!k->n || k->syms[k->n - 1].addr != ents.data[i].sym.addr)
			k->syms[k->n++] = ents.data[i].sym;
	sc_vec_release(&ents);
	return 0;
fail:
	sc_vec_release(&ents);
	sc_ksyms_release(k);
	return r;
}

const sc_ksym *sc_ksyms_find(const sc_ksyms *k, uint64_t addr)
{
	size_t lo = SC_UPPER_BOUND(k->syms, k->n, addr, addr);
	return lo ? &k->syms[lo - 1] : NULL;
}

void sc_ksyms_release(sc_ksyms *k)
{
	if (!k)
		return;
	free(k->buf);
	free(k->syms);
	*k = (sc_ksyms){0};
}

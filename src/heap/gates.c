/*
 * gates.c: --fail-on, thresholds on a heap run's totals for CI (see heap.h for the syntax).
 *
 *     leaks>1K,peak>=1G,largest>64M,count>1M
 *
 * Each part is NAME, then ">" or ">=", then LIMIT; blanks anywhere are ignored. Sizes are
 * 1024-based (1K = 1024), the suffix in either case, optionally followed by "B" or "iB"
 * ("64MiB", "1kb"). Every error names the part that is wrong, so that a long expression in a CI
 * file is fixed at a glance. Evaluation only compares totals: the CLI prints the failed ones and
 * exits with status 3. "definite" is the bytes the exit scan found definitely lost (heap.h); when
 * no scan classified the leaks it is every leaked byte, so that a CI gate never passes for want
 * of a scan.
 */
#include "heap/heap.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

static const struct {
	const char *name;
	sc_heap_metric metric;
} metrics[] = {
    {"leaks", SC_HEAP_GATE_LEAKS},	 {"leaked_blocks", SC_HEAP_GATE_LEAKED_BLOCKS},
    {"peak", SC_HEAP_GATE_PEAK},	 {"largest", SC_HEAP_GATE_LARGEST},
    {"count", SC_HEAP_GATE_COUNT},	 {"bytes", SC_HEAP_GATE_BYTES},
    {"definite", SC_HEAP_GATE_DEFINITE},
};

#define NAMES "leaks, leaked_blocks, peak, largest, count, bytes, definite"

const char *sc_heap_metric_name(sc_heap_metric m)
{
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++)
		if (metrics[i].metric == m)
			return metrics[i].name;
	return "?";
}

/* Parses LIMIT (no blanks). Returns 0 or -EINVAL. */
static int parse_limit(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *c = s;
	if (!isdigit((unsigned char)*c))
		return -EINVAL;
	for (; isdigit((unsigned char)*c); c++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *c - '0', &v))
			return -EINVAL;
	unsigned shift = 0;
	switch (tolower((unsigned char)*c)) {
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case 't':
		shift = 40;
		break;
	}
	if (shift) {
		c++;
		if (tolower((unsigned char)*c) == 'i' && tolower((unsigned char)c[1]) == 'b')
			c += 2;
		else if (tolower((unsigned char)*c) == 'b')
			c++;
	} else if (tolower((unsigned char)*c) == 'b') {
		c++;
	}
	if (*c)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

/* One part, blanks already removed. */
static int parse_gate(const char *part, sc_heap_gate *g, sc_diag *d)
{
	const char *op = strchr(part, '>');
	if (!op)
		return sc_diag_error(
		    d, 0, 0, -1, "gate '%s' has no '>' (write NAME>LIMIT, e.g. leaks>1K)", part);
	size_t nlen = (size_t)(op - part);
	bool found = false;
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++)
		if (strlen(metrics[i].name) == nlen && !strncmp(metrics[i].name, part, nlen)) {
			g->metric = metrics[i].metric;
			found = true;
		}
	if (!found)
		return sc_diag_error(d, 0, 0, -1, "unknown gate name '%.*s' in '%s' (names: %s)",
				     (int)nlen, part, part, NAMES);
	const char *lim = op + 1;
	if (*lim == '=') {
		g->or_equal = true;
		lim++;
	}
	if (!*lim)
		return sc_diag_error(d, 0, 0, -1, "gate '%s' has no limit", part);
	if (parse_limit(lim, &g->limit) < 0)
		return sc_diag_error(d, 0, 0, -1,
				     "bad limit '%s' in '%s' (a whole number, optionally with K, M "
				     "or G: 1024-based)",
				     lim, part);
	return 0;
}

int sc_heap_gates_parse(const char *expr, sc_heap_gates *g, sc_diag *d)
{
	memset(g, 0, sizeof(*g));
	const char *s = expr;
	for (;;) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		char part[sizeof(g->gate[0].text)];
		size_t n = 0;
		for (size_t i = 0; i < len; i++) {
			if (isspace((unsigned char)s[i]))
				continue;
			if (n + 1 >= sizeof(part))
				return sc_diag_error(d, 0, 0, -1, "gate '%.*s' is too long",
						     (int)len, s);
			part[n++] = s[i];
		}
		part[n] = 0;
		if (!n)
			return sc_diag_error(d, 0, 0, -1, "empty gate in '%s'", expr);
		if (g->n == SC_HEAP_MAX_GATES)
			return sc_diag_error(d, 0, 0, -1, "too many gates in '%s' (at most %d)",
					     expr, SC_HEAP_MAX_GATES);
		sc_heap_gate *gate = &g->gate[g->n];
		int r = parse_gate(part, gate, d);
		if (r < 0)
			return r;
		memcpy(gate->text, part, n + 1);
		g->n++;
		if (!end)
			break;
		s = end + 1;
	}
	return 0;
}

size_t sc_heap_gates_eval(sc_heap_gates *g, const sc_heap_totals *t)
{
	size_t failed = 0;
	for (size_t i = 0; i < g->n; i++) {
		sc_heap_gate *x = &g->gate[i];
		switch (x->metric) {
		case SC_HEAP_GATE_LEAKS:
			x->value = t->leaked_bytes;
			break;
		case SC_HEAP_GATE_LEAKED_BLOCKS:
			x->value = t->leaked_blocks;
			break;
		case SC_HEAP_GATE_PEAK:
			x->value = t->peak_bytes;
			break;
		case SC_HEAP_GATE_LARGEST:
			x->value = t->largest;
			break;
		case SC_HEAP_GATE_COUNT:
			x->value = t->allocs;
			break;
		case SC_HEAP_GATE_BYTES:
			x->value = t->bytes_allocated;
			break;
		case SC_HEAP_GATE_DEFINITE: /* unproven leaks count as definite */
			x->value =
			    t->classified ? t->kind_bytes[SC_HEAP_DEFINITE] : t->leaked_bytes;
			break;
		}
		x->failed = x->or_equal ? x->value >= x->limit : x->value > x->limit;
		failed += x->failed;
	}
	return failed;
}

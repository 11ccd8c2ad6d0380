/*
 * memgraph.c: the memory graph of memgraph.h, in the order the header lists it: the PRNG, the
 * graph and its CSR build, the text embedding, then the three hot paths.
 *
 * The hot paths are noinline on purpose (a profile must show cosine_similarity, find_similar,
 * spread_activation and apply_decay under those names), and their loops are written plainly:
 * this is a workload to be measured, not a tuned kernel. Floating point sums run in a fixed
 * order so results, and the driver's checksum, never depend on anything but the inputs.
 */
#include "memgraph.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

/* Nodes whose fresh activation is below this stop spreading (otherwise the work would be
 * bounded only by the iteration count). */
#define ACTIVATION_THRESHOLD 1e-6f
/* Edge weights fade with a time constant of this many seconds, stretched by target strength. */
#define EDGE_TAU (3.0 * 86400.0)

/* --- PRNG --- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void mg_rng_seed(mg_rng *rng, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&seed);
}

uint64_t mg_rng_next(mg_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double mg_rng_uniform(mg_rng *rng)
{
	return (double)(mg_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint32_t mg_rng_below(mg_rng *rng, uint32_t n)
{
	/* Multiply-shift: the bias is below 2^-32 for the sizes we use. */
	return (uint32_t)(((mg_rng_next(rng) >> 32) * (uint64_t)n) >> 32);
}

double mg_rng_gaussian(mg_rng *rng)
{
	/* Box-Muller without the cached second value: one state, one answer per call, so the
	 * sequence never depends on how calls interleave. */
	double u1 = mg_rng_uniform(rng), u2 = mg_rng_uniform(rng);

	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* --- The graph --- */

struct mg_graph {
	uint32_t dim, count, cap;
	float *emb; /* count * dim */
	mg_memory *mem;
	char *labels;
	size_t labels_len, labels_cap;

	/* Edges as added, until finalize turns them into CSR. */
	uint32_t *esrc, *edst;
	float *ew;
	size_t nedges, edges_cap;

	bool final;
	uint32_t *row; /* count + 1 offsets into col/weight */
	uint32_t *col; /* targets, grouped by source */
	float *weight; /* edge weights, parallel to col */
	float *outsum; /* per node: sum of its out-edge weights */

	/* Scratch for spread_activation, allocated by finalize. */
	float *pending, *incoming, *total;
	uint32_t *frontier, *next, *touched;
};

mg_graph *mg_graph_new(uint32_t dim)
{
	mg_graph *g;

	if (dim == 0)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (g)
		g->dim = dim;
	return g;
}

void mg_graph_free(mg_graph *g)
{
	if (!g)
		return;
	free(g->emb);
	free(g->mem);
	free(g->labels);
	free(g->esrc);
	free(g->edst);
	free(g->ew);
	free(g->row);
	free(g->col);
	free(g->weight);
	free(g->outsum);
	free(g->pending);
	free(g->incoming);
	free(g->total);
	free(g->frontier);
	free(g->next);
	free(g->touched);
	free(g);
}

uint32_t mg_graph_dim(const mg_graph *g)
{
	return g->dim;
}

uint32_t mg_graph_count(const mg_graph *g)
{
	return g->count;
}

size_t mg_graph_edge_count(const mg_graph *g)
{
	return g->nedges;
}

const mg_memory *mg_graph_memory(const mg_graph *g, uint32_t id)
{
	return id < g->count ? &g->mem[id] : NULL;
}

const char *mg_graph_label(const mg_graph *g, uint32_t id)
{
	return id < g->count ? g->labels + g->mem[id].label : NULL;
}

const float *mg_graph_embedding(const mg_graph *g, uint32_t id)
{
	return id < g->count ? g->emb + (size_t)id * g->dim : NULL;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

int64_t mg_graph_add_memory(mg_graph *g, const char *label, const float *embedding, double age)
{
	size_t len = strlen(label) + 1, cap = g->cap;
	mg_memory *m;

	if (g->final)
		return -EBUSY;
	if (g->count == UINT32_MAX || g->labels_len + len > UINT32_MAX)
		return -ENOMEM;
	if (g->count == g->cap) {
		/* mem and emb grow together: both are sized by cap. */
		size_t ecap = cap;
		if (grow((void **)&g->mem, &cap, g->count + 1, sizeof(*g->mem)) < 0 ||
		    grow((void **)&g->emb, &ecap, g->count + 1, (size_t)g->dim * sizeof(float)) < 0)
			return -ENOMEM;
		g->cap = (uint32_t)(cap < ecap ? cap : ecap);
	}
	if (grow((void **)&g->labels, &g->labels_cap, g->labels_len + len, 1) < 0)
		return -ENOMEM;

	memcpy(g->labels + g->labels_len, label, len);
	memcpy(g->emb + (size_t)g->count * g->dim, embedding, (size_t)g->dim * sizeof(float));
	m = &g->mem[g->count];
	m->label = (uint32_t)g->labels_len;
	m->accesses = 0;
	m->strength = 1.0f;
	/* Memories that have survived longer are more stable: two days, plus one per week of age.
	 */
	m->stability = (float)(2.0 * 86400.0 * (1.0 + age / (7.0 * 86400.0)));
	m->age = age;
	g->labels_len += len;
	return g->count++;
}

int mg_graph_add_edge(mg_graph *g, uint32_t src, uint32_t dst, float weight)
{
	size_t c1 = g->edges_cap, c2 = g->edges_cap, c3 = g->edges_cap;

	if (g->final)
		return -EBUSY;
	if (src >= g->count || dst >= g->count || !(weight > 0.0f) || g->nedges >= UINT32_MAX)
		return -EINVAL;
	if (grow((void **)&g->esrc, &c1, g->nedges + 1, sizeof(uint32_t)) < 0 ||
	    grow((void **)&g->edst, &c2, g->nedges + 1, sizeof(uint32_t)) < 0 ||
	    grow((void **)&g->ew, &c3, g->nedges + 1, sizeof(float)) < 0)
		return -ENOMEM;
	g->edges_cap = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
	g->esrc[g->nedges] = src;
	g->edst[g->nedges] = dst;
	g->ew[g->nedges] = weight;
	g->nedges++;
	return 0;
}

int mg_graph_finalize(mg_graph *g)
{
	size_t n = g->count ? g->count : 1, e = g->nedges ? g->nedges : 1;
	uint32_t *fill;

	if (g->final)
		return 0;
	g->row = calloc(n + 1, sizeof(uint32_t));
	g->col = malloc(e * sizeof(uint32_t));
	g->weight = malloc(e * sizeof(float));
	g->outsum = calloc(n, sizeof(float));
	g->pending = calloc(n, sizeof(float));
	g->incoming = calloc(n, sizeof(float));
	g->total = calloc(n, sizeof(float));
	g->frontier = malloc(n * sizeof(uint32_t));
	g->next = malloc(n * sizeof(uint32_t));
	g->touched = malloc(n * sizeof(uint32_t));
	fill = malloc(n * sizeof(uint32_t));
	if (!g->row || !g->col || !g->weight || !g->outsum || !g->pending || !g->incoming ||
	    !g->total || !g->frontier || !g->next || !g->touched || !fill) {
		free(fill);
		return -ENOMEM; /* the partial arrays are freed by mg_graph_free */
	}

	/* Counting sort by source keeps each source's edges in the order they were added. */
	for (size_t i = 0; i < g->nedges; i++)
		g->row[g->esrc[i] + 1]++;
	for (uint32_t u = 0; u < g->count; u++)
		g->row[u + 1] += g->row[u];
	memcpy(fill, g->row, g->count * sizeof(uint32_t));
	for (size_t i = 0; i < g->nedges; i++) {
		uint32_t at = fill[g->esrc[i]]++;
		g->col[at] = g->edst[i];
		g->weight[at] = g->ew[i];
		g->outsum[g->esrc[i]] += g->ew[i];
	}
	free(fill);
	g->final = true;
	return 0;
}

/* --- Text embedding --- */

int mg_vocab_init(mg_vocab *v, uint32_t nwords, uint32_t dim, mg_rng *rng)
{
	v->nwords = nwords;
	v->dim = dim;
	v->vectors = malloc((size_t)nwords * dim * sizeof(float));
	if (!v->vectors)
		return -ENOMEM;
	for (uint32_t w = 0; w < nwords; w++) {
		float *x = v->vectors + (size_t)w * dim;
		double norm = 0;

		for (uint32_t i = 0; i < dim; i++) {
			x[i] = (float)mg_rng_gaussian(rng);
			norm += (double)x[i] * x[i];
		}
		norm = norm > 0 ? 1.0 / sqrt(norm) : 0;
		for (uint32_t i = 0; i < dim; i++)
			x[i] = (float)(x[i] * norm);
	}
	return 0;
}

void mg_vocab_release(mg_vocab *v)
{
	if (!v)
		return;
	free(v->vectors);
	v->vectors = NULL;
}

NOINLINE void embed_text(const mg_vocab *v, const uint32_t *words, size_t n, float *out)
{
	uint32_t dim = v->dim;
	double norm = 0;

	memset(out, 0, dim * sizeof(float));
	for (size_t j = 0; j < n; j++) {
		const float *x = v->vectors + (size_t)(words[j] % v->nwords) * dim;

		/* Later words weigh a little less, as in a recency-weighted bag of words. */
		float wj = 1.0f / (1.0f + 0.05f * (float)j);
		for (uint32_t i = 0; i < dim; i++)
			out[i] += wj * x[i];
	}
	for (uint32_t i = 0; i < dim; i++)
		norm += (double)out[i] * out[i];
	norm = norm > 0 ? 1.0 / sqrt(norm) : 0;
	for (uint32_t i = 0; i < dim; i++)
		out[i] = (float)(out[i] * norm);
}

/* --- Top-k: a min-heap on (score, then lower id wins ties) so results are deterministic. --- */

static bool better(const mg_hit *a, const mg_hit *b)
{
	return a->score > b->score || (a->score == b->score && a->id < b->id);
}

static void heap_down(mg_hit *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		mg_hit t;

		if (l < n && better(&h[w], &h[l]))
			w = l;
		if (r < n && better(&h[w], &h[r]))
			w = r;
		if (w == i)
			return;
		t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

/* Offers (id, score) to a heap of at most k hits holding n; returns the new n. */
static size_t topk_offer(mg_hit *h, size_t n, size_t k, uint32_t id, float score)
{
	mg_hit x = {id, score};

	if (n < k) {
		size_t i = n++;
		h[i] = x;
		while (i > 0 && better(&h[(i - 1) / 2], &h[i])) {
			mg_hit t = h[i];
			h[i] = h[(i - 1) / 2];
			h[(i - 1) / 2] = t;
			i = (i - 1) / 2;
		}
	} else if (k > 0 && better(&x, &h[0])) {
		h[0] = x;
		heap_down(h, n, 0);
	}
	return n;
}

/* Sorts the heap in place, best first (the root is the worst, so pop it to the back). */
static void topk_sort(mg_hit *h, size_t n)
{
	for (size_t m = n; m > 1; m--) {
		mg_hit t = h[0];
		h[0] = h[m - 1];
		h[m - 1] = t;
		heap_down(h, m - 1, 0);
	}
}

/* --- The hot paths --- */

/* Four floats in one SSE register (x86-64's baseline): GCC and clang vector extensions, so the
 * kernel is vectorized at -O2 without -ffast-math and still sums in a fixed order. aligned(4)
 * allows unaligned loads (rows start anywhere when dim is not a multiple of 4). No helper
 * functions here on purpose: inlined helpers would show in profiles as frames of their own and
 * split cosine_similarity's self time. */
typedef float v4f __attribute__((vector_size(16), aligned(4), may_alias));

#define HSUM(v) (((v)[0] + (v)[1]) + ((v)[2] + (v)[3]))

NOINLINE float cosine_similarity(const float *a, const float *b, uint32_t dim)
{
	/* Two vector accumulators per quantity: independent chains instead of one long one. */
	v4f dot0 = {0}, dot1 = {0}, na0 = {0}, na1 = {0}, nb0 = {0}, nb1 = {0};
	uint32_t i = 0;
	float d, x, y;

	for (; i + 8 <= dim; i += 8) {
		v4f a0 = *(const v4f *)(a + i), a1 = *(const v4f *)(a + i + 4);
		v4f b0 = *(const v4f *)(b + i), b1 = *(const v4f *)(b + i + 4);

		dot0 += a0 * b0;
		dot1 += a1 * b1;
		na0 += a0 * a0;
		na1 += a1 * a1;
		nb0 += b0 * b0;
		nb1 += b1 * b1;
	}
	dot0 += dot1;
	na0 += na1;
	nb0 += nb1;
	d = HSUM(dot0);
	x = HSUM(na0);
	y = HSUM(nb0);
	for (; i < dim; i++) {
		d += a[i] * b[i];
		x += a[i] * a[i];
		y += b[i] * b[i];
	}
	if (x == 0.0f || y == 0.0f)
		return 0.0f;
	return d / sqrtf(x * y);
}

NOINLINE size_t find_similar(mg_graph *g, const float *query, size_t k, mg_hit *out)
{
	size_t n = 0;

	for (uint32_t id = 0; id < g->count; id++) {
		float s = cosine_similarity(query, g->emb + (size_t)id * g->dim, g->dim);
		n = topk_offer(out, n, k, id, s);
	}
	topk_sort(out, n);
	for (size_t i = 0; i < n; i++)
		g->mem[out[i].id].accesses++;
	return n;
}

NOINLINE size_t spread_activation(mg_graph *g, uint32_t source, unsigned iterations, float decay,
				  size_t k, mg_hit *out)
{
	uint32_t nfront = 1, ntouched = 1;
	size_t n = 0;

	if (!g->final || source >= g->count)
		return 0;
	g->pending[source] = 1.0f;
	g->total[source] = 1.0f;
	g->frontier[0] = source;
	g->touched[0] = source;

	for (unsigned it = 0; it < iterations && nfront > 0; it++) {
		uint32_t nnext = 0;

		for (uint32_t f = 0; f < nfront; f++) {
			uint32_t u = g->frontier[f];
			float a = g->pending[u], share;

			g->pending[u] = 0.0f;
			if (a < ACTIVATION_THRESHOLD || g->outsum[u] == 0.0f)
				continue;
			share = a * decay / g->outsum[u];
			for (uint32_t e = g->row[u]; e < g->row[u + 1]; e++) {
				uint32_t v = g->col[e];

				if (g->incoming[v] == 0.0f)
					g->next[nnext++] = v;
				g->incoming[v] += share * g->weight[e];
			}
		}
		/* The fresh activation becomes the next frontier; total keeps the sum over hops. */
		for (uint32_t f = 0; f < nnext; f++) {
			uint32_t v = g->next[f];

			if (g->total[v] == 0.0f)
				g->touched[ntouched++] = v;
			g->pending[v] = g->incoming[v];
			g->total[v] += g->incoming[v];
			g->incoming[v] = 0.0f;
		}
		uint32_t *t = g->frontier;
		g->frontier = g->next;
		g->next = t;
		nfront = nnext;
	}

	for (uint32_t i = 0; i < ntouched; i++) {
		uint32_t v = g->touched[i];

		if (v != source)
			n = topk_offer(out, n, k, v, g->total[v]);
		g->total[v] = 0.0f;
		g->pending[v] = 0.0f;
	}
	topk_sort(out, n);
	for (size_t i = 0; i < n; i++)
		g->mem[out[i].id].accesses++;
	return n;
}

NOINLINE double apply_decay(mg_graph *g, double delta_seconds)
{
	double sum = 0;

	for (uint32_t id = 0; id < g->count; id++) {
		mg_memory *m = &g->mem[id];
		/* Rehearsal: each access stretches stability, with diminishing returns. */
		double stability = m->stability * (1.0 + 0.5 * log1p((double)m->accesses));

		m->age += delta_seconds;
		m->strength = (float)(m->strength * exp(-delta_seconds / stability));
		sum += m->strength;
	}
	if (!g->final)
		return sum;
	for (uint32_t u = 0; u < g->count; u++) {
		float s = 0.0f;

		for (uint32_t e = g->row[u]; e < g->row[u + 1]; e++) {
			float target = g->mem[g->col[e]].strength;

			/* An edge into a fading memory fades faster. */
			g->weight[e] *= expf((float)(-delta_seconds / EDGE_TAU) / (0.5f + target));
			s += g->weight[e];
		}
		g->outsum[u] = s;
	}
	return sum;
}

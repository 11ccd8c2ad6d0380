/*
 * bench_memgraph.c: the baseline micro-benchmarks of the memgraph workload (libscorch-bench).
 *
 * Three benchmarks, one per hot path of memgraph.h:
 *   memgraph/similarity/N   find_similar: one query against N candidates (dim 768, top 10);
 *                           N = 250, 1000, 4000 so the report fits the complexity (O(N) expected)
 *   memgraph/activation     spread_activation: 100 hops with decay 0.85 over 10k memories and
 *                           50k edges, from a different source each iteration
 *   memgraph/decay          apply_decay over 10k memories (one simulated minute per iteration);
 *                           the graph is rebuilt before every batch by an untimed setup, so
 *                           strengths never drift towards denormals across batches
 * The graphs are deterministic (seeded); the first two are built once, at registration.
 *
 * Run: build/examples/memgraph/bench/bench_memgraph --help (e.g. --quick, --save-baseline main,
 * --baseline main). Not a test: nothing here asserts a time.
 */
#include "memgraph.h"

#include <scorch/bench.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#define DIM  768
#define TOPK 10

/* Graphs shared by all batches of a benchmark; freed at exit. */
static struct {
	mg_graph *sim[3];
	mg_graph *act;
	float query[DIM];
} shared;

static const int64_t sim_sizes[] = {250, 1000, 4000};

static void unit_vector(mg_rng *rng, float *v, uint32_t dim)
{
	double n = 0;
	for (uint32_t i = 0; i < dim; i++) {
		v[i] = (float)mg_rng_gaussian(rng);
		n += (double)v[i] * v[i];
	}
	for (uint32_t i = 0; i < dim; i++)
		v[i] = (float)(v[i] / sqrt(n));
}

/* count memories with random unit embeddings and `edges` random edges; NULL on failure. */
static mg_graph *build(uint32_t count, uint32_t dim, uint32_t edges, uint64_t seed)
{
	mg_rng rng;
	mg_rng_seed(&rng, seed);
	mg_graph *g = mg_graph_new(dim);
	float *v = malloc(dim * sizeof(*v));
	if (!g || !v)
		goto fail;
	for (uint32_t i = 0; i < count; i++) {
		unit_vector(&rng, v, dim);
		if (mg_graph_add_memory(g, "m", v, mg_rng_uniform(&rng) * 30 * 86400.0) < 0)
			goto fail;
	}
	for (uint32_t i = 0; i < edges; i++) {
		uint32_t a = mg_rng_below(&rng, count), b = mg_rng_below(&rng, count);
		if (mg_graph_add_edge(g, a, b, (float)(0.05 + 0.95 * mg_rng_uniform(&rng))) < 0)
			goto fail;
	}
	if (mg_graph_finalize(g) < 0)
		goto fail;
	free(v);
	return g;
fail:
	free(v);
	mg_graph_free(g);
	return NULL;
}

static void bench_similarity(scorch_bench_ctx *ctx, uint64_t iters)
{
	mg_graph *g = scorch_bench_fixture(ctx);
	mg_hit hits[TOPK];
	for (uint64_t i = 0; i < iters; i++) {
		size_t n = find_similar(g, shared.query, TOPK, hits);
		SCORCH_DO_NOT_OPTIMIZE(n);
		scorch_do_not_optimize(hits);
	}
}

/* Picks the prebuilt graph of this argument (untimed, but trivial). */
static void *similarity_graph(scorch_bench_ctx *ctx)
{
	for (int i = 0; i < 3; i++)
		if (sim_sizes[i] == scorch_bench_arg(ctx))
			return shared.sim[i];
	scorch_bench_fail(ctx, -EINVAL);
	return NULL;
}

static void bench_activation(scorch_bench_ctx *ctx, uint64_t iters)
{
	mg_graph *g = scorch_bench_fixture(ctx);
	mg_rng rng;
	mg_rng_seed(&rng, 7);
	mg_hit hits[TOPK];
	uint32_t count = mg_graph_count(g);
	for (uint64_t i = 0; i < iters; i++) {
		size_t n = spread_activation(g, mg_rng_below(&rng, count), 100, 0.85f, TOPK, hits);
		SCORCH_DO_NOT_OPTIMIZE(n);
		scorch_do_not_optimize(hits);
	}
}

static void *activation_graph(scorch_bench_ctx *ctx)
{
	(void)ctx;
	return shared.act;
}

static void bench_decay(scorch_bench_ctx *ctx, uint64_t iters)
{
	mg_graph *g = scorch_bench_fixture(ctx);
	for (uint64_t i = 0; i < iters; i++) {
		double s = apply_decay(g, 60.0);
		SCORCH_DO_NOT_OPTIMIZE(s);
	}
}

/* A fresh 10k-memory graph per batch: its cost (tens of ms) is excluded from the timing. */
static void *decay_setup(scorch_bench_ctx *ctx)
{
	mg_graph *g = build(10000, 16, 50000, 3);
	if (!g)
		scorch_bench_fail(ctx, -ENOMEM);
	return g;
}

static void decay_teardown(scorch_bench_ctx *ctx, void *g)
{
	(void)ctx;
	mg_graph_free(g);
}

static void free_shared(void)
{
	for (int i = 0; i < 3; i++)
		mg_graph_free(shared.sim[i]);
	mg_graph_free(shared.act);
}

static int register_benches(scorch_bench_suite *s)
{
	mg_rng rng;
	mg_rng_seed(&rng, 11);
	unit_vector(&rng, shared.query, DIM);
	atexit(free_shared);
	for (int i = 0; i < 3; i++)
		if (!(shared.sim[i] = build((uint32_t)sim_sizes[i], DIM, 0, 100 + (uint64_t)i)))
			return -ENOMEM;
	if (!(shared.act = build(10000, 16, 50000, 2)))
		return -ENOMEM;

	int r;
	scorch_bench_def sim = {.group = "memgraph",
				.name = "similarity",
				.fn = bench_similarity,
				.setup = similarity_graph,
				.args = sim_sizes,
				.nargs = 3,
				.throughput_kind = SCORCH_BENCH_TP_ELEMENTS};
	scorch_bench_def act = {.group = "memgraph",
				.name = "activation",
				.fn = bench_activation,
				.setup = activation_graph};
	scorch_bench_def dec = {.group = "memgraph",
				.name = "decay",
				.fn = bench_decay,
				.setup = decay_setup,
				.teardown = decay_teardown,
				.throughput_kind = SCORCH_BENCH_TP_ELEMENTS,
				.throughput = 10000};
	if ((r = scorch_bench_add(s, &sim)) < 0 || (r = scorch_bench_add(s, &act)) < 0 ||
	    (r = scorch_bench_add(s, &dec)) < 0)
		return r;
	return 0;
}

SCORCH_BENCH_MAIN(register_benches)

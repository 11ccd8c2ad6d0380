/*
 * memgraph.h: a small associative-memory graph, the reproducible workload scorch profiles.
 *
 * What it is for: `make demo` and the benchmarks run examples/memgraph/memgraph, a driver over
 * this library, so that scorch has a real program whose hot spots we know in advance. A memory
 * is an embedding (dim floats, 768 by default) plus a label, a strength and an age; memories are
 * linked by weighted directed edges. Three operations are the hot paths, each a noinline
 * function with a stable name so that profiles show it under that name:
 *
 *   find_similar       cosine_similarity() of a query against every memory, top k by a heap
 *   spread_activation  spreading activation from one memory along edges, decaying per hop
 *   apply_decay        exponential forgetting of every memory's strength and edge weight
 *
 * Everything is deterministic: the PRNG (xoshiro256**, seeded by splitmix64) is our own, the
 * loops run in a fixed order, and no time or address influences a result, so a seed and a set
 * of sizes always produce the same checksum (main.c prints it; tests compare two runs).
 *
 * What it is not: a vector database. There is no index; the linear scan is the point.
 *
 * Lifetime: mg_graph_new/mg_graph_free. Add memories and edges, then mg_graph_finalize() once
 * (it builds the CSR adjacency the queries read); adding after finalize returns -EBUSY.
 * Functions returning int return 0 or an id on success and -Exxx on failure. Not thread-safe.
 *
 * Read next: memgraph.c (the implementation, in the order above), main.c (the workload).
 */
#ifndef MEMGRAPH_H
#define MEMGRAPH_H

#include <stddef.h>
#include <stdint.h>

/* --- Deterministic PRNG: xoshiro256** with a splitmix64 seeder. --- */

typedef struct mg_rng {
	uint64_t s[4];
} mg_rng;

void mg_rng_seed(mg_rng *rng, uint64_t seed);
uint64_t mg_rng_next(mg_rng *rng);
/* Uniform in [0, 1). */
double mg_rng_uniform(mg_rng *rng);
/* Uniform in [0, n); n > 0. */
uint32_t mg_rng_below(mg_rng *rng, uint32_t n);
/* Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
double mg_rng_gaussian(mg_rng *rng);

/* --- The graph --- */

typedef struct mg_memory {
	uint32_t label;	   /* offset of the NUL-terminated label in the graph's label arena */
	uint32_t accesses; /* times returned by a query: rehearsal slows forgetting */
	float strength;	   /* 1.0 when created, decays by apply_decay() */
	float stability;   /* seconds; retention over dt is exp(-dt / stability) */
	double age;	   /* seconds since creation */
} mg_memory;

typedef struct mg_hit {
	uint32_t id;
	float score;
} mg_hit;

typedef struct mg_graph mg_graph;

/* A graph of dim-float embeddings; NULL on allocation failure or dim == 0. */
mg_graph *mg_graph_new(uint32_t dim);
void mg_graph_free(mg_graph *g);

uint32_t mg_graph_dim(const mg_graph *g);
uint32_t mg_graph_count(const mg_graph *g);
size_t mg_graph_edge_count(const mg_graph *g);
const mg_memory *mg_graph_memory(const mg_graph *g, uint32_t id);
const char *mg_graph_label(const mg_graph *g, uint32_t id);
const float *mg_graph_embedding(const mg_graph *g, uint32_t id);

/* Copies label and embedding; returns the new memory's id (>= 0) or -ENOMEM / -EBUSY. */
int64_t mg_graph_add_memory(mg_graph *g, const char *label, const float *embedding, double age);
/* A directed edge src -> dst with weight > 0. Returns 0, -EINVAL (bad id or weight), -ENOMEM,
 * -EBUSY (after finalize). Parallel edges are allowed and simply add up. */
int mg_graph_add_edge(mg_graph *g, uint32_t src, uint32_t dst, float weight);
/* Builds the CSR adjacency and the scratch the queries use. Returns 0 or -ENOMEM. */
int mg_graph_finalize(mg_graph *g);

/* --- Text embedding: a bag-of-words model, how the driver turns generated text into vectors. ---
 */

typedef struct mg_vocab {
	uint32_t nwords, dim;
	float *vectors; /* nwords * dim, one random unit vector per word */
} mg_vocab;

int mg_vocab_init(mg_vocab *v, uint32_t nwords, uint32_t dim, mg_rng *rng);
void mg_vocab_release(mg_vocab *v);
/* out = normalized sum of the vectors of words[0..n). */
void embed_text(const mg_vocab *v, const uint32_t *words, size_t n, float *out);

/* --- The hot paths --- */

/* Cosine of the angle between a and b (0 if either is the zero vector). */
float cosine_similarity(const float *a, const float *b, uint32_t dim);

/* The k memories most similar to query (dim floats), best first, into out[k]. Returns how
 * many were written: min(k, count). Counts an access on each hit. Requires finalize. */
size_t find_similar(mg_graph *g, const float *query, size_t k, mg_hit *out);

/* Spreads activation 1.0 from source along out-edges for at most `iterations` hops: each hop a
 * node passes decay * its activation to its successors in proportion to the edge weights, and
 * nodes whose fresh activation falls below 1e-6 stop spreading. Writes the k most activated
 * nodes other than the source, best first, into out[k]; returns how many. Counts an access on
 * each. Requires finalize; source must be a valid id (else returns 0). */
size_t spread_activation(mg_graph *g, uint32_t source, unsigned iterations, float decay, size_t k,
			 mg_hit *out);

/* Ages every memory by delta_seconds: strength *= exp(-delta / stability'), where rehearsed
 * memories (more accesses) have a longer stability'; edges fade with their target's strength.
 * Returns the sum of all strengths afterwards. */
double apply_decay(mg_graph *g, double delta_seconds);

#endif

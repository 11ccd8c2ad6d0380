/*
 * main.c: `memgraph`, the reproducible workload that `make demo` and the benchmarks profile.
 *
 * One run does, in order (every step seeded from --seed, so the checksum is reproducible):
 *
 *   1. build     generate a vocabulary of word vectors, then --memories memories whose text is
 *                --words words biased towards one of 64 topics, embedded by embed_text();
 *                add --edges random weighted edges and build the CSR adjacency
 *   2. activate  --activation-queries spread_activation() calls from random memories,
 *                --iterations hops each, decay 0.8, top 10
 *   3. similar   --similarity-queries find_similar() calls for freshly embedded query texts
 *   4. decay     --decay-passes apply_decay() calls that together age the graph by one day
 *
 * It prints the phase times (which vary) and then one line that does not:
 *
 *   checksum: 0x1234abcd5678ef90
 *
 * a hash of every query's result ids and scores and of the final strengths; two runs with the
 * same options must print the same line (tests/cli checks it).
 *
 * The defaults follow the seed task (10k memories, 50k edges, 1000 activation and 1000
 * similarity queries, 768-float embeddings); --words, --iterations and --decay-passes are tuned
 * so that a profile splits as the seed task expects. Measured with perf record -g at -O2 on the
 * 2-core EPYC VM we develop on (a run takes about 5 s), self time by function:
 *
 *   similarity  22%  cosine_similarity, find_similar, topk_offer
 *   activation  25%  spread_activation
 *   decay       12%  apply_decay and the exp/expf/log1p it calls
 *   build       41%  embed_text (also embeds the query texts), vocabulary, CSR
 *
 * Note that cosine_similarity and libm's exp are leaf functions without a frame pointer even
 * at -fno-omit-frame-pointer, so a frame-pointer unwinder that does not handle leaves loses
 * find_similar and apply_decay from their stacks: the demo exercises scorch's leaf fix.
 */
#include "memgraph.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NTOPICS		 64
#define TOPIC_WORDS	 64
#define VOCAB_WORDS	 4096
#define TOPK		 10
#define ACTIVATION_DECAY 0.8f

struct options {
	uint64_t seed;
	uint32_t memories, dim, words;
	uint64_t edges;
	uint32_t activation_queries, iterations, similarity_queries, decay_passes;
	int quiet;
};

static const char usage[] =
    "usage: memgraph [options]\n"
    "  -s, --seed N                 PRNG seed (42)\n"
    "  -n, --memories N             number of memories (10000)\n"
    "  -e, --edges N                number of edges (50000)\n"
    "  -d, --dim N                  embedding dimension (768)\n"
    "  -w, --words N                words of generated text per memory (480)\n"
    "  -a, --activation-queries N   spreading activation queries (1000)\n"
    "  -i, --iterations N           hops per activation query (10)\n"
    "  -q, --similarity-queries N   similarity queries (1000)\n"
    "  -D, --decay-passes N         decay passes, together one day (1900)\n"
    "  -Q, --quiet                  print only the checksum line\n"
    "  -h, --help                   this text\n";

/* A 64-bit FNV-1a style mixer over 32-bit words: order-sensitive, cheap, ours. */
static void mix(uint64_t *h, uint32_t x)
{
	*h ^= x;
	*h *= 0x100000001b3ull;
	*h ^= *h >> 29;
}

static uint32_t float_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Words of one text: mostly from the topic's slice of the vocabulary, some from anywhere. */
static void gen_text(mg_rng *rng, uint32_t topic, uint32_t *words, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (mg_rng_uniform(rng) < 0.75)
			words[i] =
			    (topic * TOPIC_WORDS + mg_rng_below(rng, TOPIC_WORDS)) % VOCAB_WORDS;
		else
			words[i] = mg_rng_below(rng, VOCAB_WORDS);
	}
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"seed", required_argument, NULL, 's'},
	    {"memories", required_argument, NULL, 'n'},
	    {"edges", required_argument, NULL, 'e'},
	    {"dim", required_argument, NULL, 'd'},
	    {"words", required_argument, NULL, 'w'},
	    {"activation-queries", required_argument, NULL, 'a'},
	    {"iterations", required_argument, NULL, 'i'},
	    {"similarity-queries", required_argument, NULL, 'q'},
	    {"decay-passes", required_argument, NULL, 'D'},
	    {"quiet", no_argument, NULL, 'Q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "s:n:e:d:w:a:i:q:D:Qh", longopts, NULL)) != -1) {
		uint64_t v = 0;
		int rc = 0;

		switch (c) {
		case 's':
			rc = parse_u64(optarg, UINT64_MAX, &o->seed);
			break;
		case 'n':
			rc = parse_u64(optarg, 1u << 26, &v);
			o->memories = (uint32_t)v;
			rc = rc ? rc : (v == 0 ? -EINVAL : 0);
			break;
		case 'e':
			rc = parse_u64(optarg, UINT32_MAX, &o->edges);
			break;
		case 'd':
			rc = parse_u64(optarg, 1u << 16, &v);
			o->dim = (uint32_t)v;
			rc = rc ? rc : (v == 0 ? -EINVAL : 0);
			break;
		case 'w':
			rc = parse_u64(optarg, 1u << 16, &v);
			o->words = (uint32_t)v;
			break;
		case 'a':
			rc = parse_u64(optarg, UINT32_MAX, &v);
			o->activation_queries = (uint32_t)v;
			break;
		case 'i':
			rc = parse_u64(optarg, UINT32_MAX, &v);
			o->iterations = (uint32_t)v;
			break;
		case 'q':
			rc = parse_u64(optarg, UINT32_MAX, &v);
			o->similarity_queries = (uint32_t)v;
			break;
		case 'D':
			rc = parse_u64(optarg, UINT32_MAX, &v);
			o->decay_passes = (uint32_t)v;
			break;
		case 'Q':
			o->quiet = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			return 2;
		}
		if (rc) {
			fprintf(stderr, "memgraph: bad value '%s' for -%c\n", optarg, c);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "memgraph: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {
	    .seed = 42,
	    .memories = 10000,
	    .dim = 768,
	    .words = 480,
	    .edges = 50000,
	    .activation_queries = 1000,
	    .iterations = 10,
	    .similarity_queries = 1000,
	    .decay_passes = 1900,
	};
	mg_vocab vocab = {0};
	mg_graph *g = NULL;
	uint32_t *words = NULL;
	float *vec = NULL;
	mg_hit hits[TOPK];
	uint64_t h = 0xcbf29ce484222325ull;
	double t0, t1, t2, t3, t4, strength = 0;
	char label[32];
	mg_rng rng;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	rc = 1;
	t0 = now();
	mg_rng_seed(&rng, o.seed);
	g = mg_graph_new(o.dim);
	words = malloc((o.words ? o.words : 1) * sizeof(*words));
	vec = malloc(o.dim * sizeof(*vec));
	if (!g || !words || !vec || mg_vocab_init(&vocab, VOCAB_WORDS, o.dim, &rng) < 0)
		goto out_of_memory;

	/* 1. Build (the vocabulary above counts as part of it). */
	for (uint32_t i = 0; i < o.memories; i++) {
		gen_text(&rng, mg_rng_below(&rng, NTOPICS), words, o.words);
		embed_text(&vocab, words, o.words, vec);
		snprintf(label, sizeof(label), "memory_%" PRIu32, i);
		if (mg_graph_add_memory(g, label, vec, mg_rng_uniform(&rng) * 30 * 86400.0) < 0)
			goto out_of_memory;
	}
	for (uint64_t i = 0; i < o.edges; i++) {
		uint32_t src = mg_rng_below(&rng, o.memories), dst = mg_rng_below(&rng, o.memories);
		float w = (float)(0.05 + 0.95 * mg_rng_uniform(&rng));

		if (mg_graph_add_edge(g, src, dst, w) < 0)
			goto out_of_memory;
	}
	if (mg_graph_finalize(g) < 0)
		goto out_of_memory;

	/* 2. Activation queries. */
	t1 = now();
	for (uint32_t q = 0; q < o.activation_queries; q++) {
		uint32_t src = mg_rng_below(&rng, o.memories);
		size_t n = spread_activation(g, src, o.iterations, ACTIVATION_DECAY, TOPK, hits);

		for (size_t i = 0; i < n; i++) {
			mix(&h, hits[i].id);
			mix(&h, float_bits(hits[i].score));
		}
	}

	/* 3. Similarity queries. */
	t2 = now();
	for (uint32_t q = 0; q < o.similarity_queries; q++) {
		gen_text(&rng, mg_rng_below(&rng, NTOPICS), words, o.words);
		embed_text(&vocab, words, o.words, vec);
		size_t n = find_similar(g, vec, TOPK, hits);

		for (size_t i = 0; i < n; i++) {
			mix(&h, hits[i].id);
			mix(&h, float_bits(hits[i].score));
		}
	}

	/* 4. Decay: one simulated day in decay_passes steps. */
	t3 = now();
	for (uint32_t p = 0; p < o.decay_passes; p++)
		strength = apply_decay(g, 86400.0 / o.decay_passes);
	t4 = now();
	for (uint32_t id = 0; id < o.memories; id++)
		mix(&h, float_bits(mg_graph_memory(g, id)->strength));

	if (!o.quiet) {
		printf("memgraph: %" PRIu32 " memories x %" PRIu32
		       " floats, %zu edges, seed %" PRIu64 "\n",
		       mg_graph_count(g), o.dim, mg_graph_edge_count(g), o.seed);
		printf("build:      %7.3f s\n", t1 - t0);
		printf("activation: %7.3f s  (%" PRIu32 " queries x %" PRIu32 " hops)\n", t2 - t1,
		       o.activation_queries, o.iterations);
		printf("similarity: %7.3f s  (%" PRIu32 " queries)\n", t3 - t2,
		       o.similarity_queries);
		printf("decay:      %7.3f s  (%" PRIu32 " passes, mean strength %.4f)\n", t4 - t3,
		       o.decay_passes, o.memories ? strength / o.memories : 0.0);
	}
	printf("checksum: 0x%016" PRIx64 "\n", h);
	rc = 0;
	goto out;

out_of_memory:
	fprintf(stderr, "memgraph: out of memory\n");
out:
	mg_vocab_release(&vocab);
	mg_graph_free(g);
	free(words);
	free(vec);
	return rc;
}

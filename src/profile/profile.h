/*
 * profile.h: sc_profile, the one in-memory model every source fills and every view reads.
 *
 * Shaped like pprof's profile.proto so that reading and writing pprof is a field-by-field copy:
 *
 *   strings    interned once; id 0 is always "".
 *   sample     value types: (type, unit) pairs, e.g. (samples, count) + (cpu, nanoseconds); a
 *              heap profile would use (alloc_space, bytes) etc. Every sample carries one value per
 *              type, so the model holds any kind of cost, not just CPU samples.
 *   mappings   address ranges of loaded files (start, limit, file offset, path, build-id).
 *   functions  (name, system name, file, start line), deduplicated.
 *   locations  an address in a mapping plus a chain of (function, line) for inlined frames.
 *              As in pprof, lines[0] is the innermost (inlined) frame and the last line is the
 *              function that the address really belongs to. A location may have no lines yet
 *              (recorded but not symbolized).
 *   stacks     interned as nodes of one prefix tree of locations. Node 0 is the root (the empty
 *              stack); a node's path from the root is outermost caller first, so the node id of a
 *              sample is its leaf frame. Equal stacks are stored once, and call trees,
 *              flamegraphs and butterflies are walks over the tree.
 *   samples    (stack, values[], pid, tid, time) plus optional labels.
 *   metadata   period type and period, start time, duration, comments (command line, host,
 *              scorch version...), drop/keep frame regexes as pprof has them.
 *
 * All ids are 1-based indexes into the arrays below (0 means "none"), except string ids (0 = "")
 * and stack node ids (0 = root). Ids are stable for the life of the profile.
 *
 * Ownership: the profile owns everything in it; pointers returned by accessors stay valid until
 * the next call that adds to the same table. Functions returning int return 0 (or an id) on
 * success and -ENOMEM/-EINVAL on failure, leaving the profile unchanged. Not thread-safe.
 */
#ifndef SC_PROFILE_PROFILE_H
#define SC_PROFILE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hashmap.h"
#include "util/vec.h"

typedef uint32_t sc_str;
typedef uint32_t sc_stack_id;

#define SC_MAX_SAMPLE_TYPES 8

typedef struct sc_value_type {
	sc_str type, unit;
} sc_value_type;

typedef struct sc_mapping {
	uint64_t start, limit, offset;
	sc_str file, build_id;
	/* Set once the symbolizer has looked at the mapping's locations (pprof's has_functions,
	 * has_filenames, has_line_numbers, has_inline_frames are derived from it). */
	bool symbolized;
	/* A kernel mapping: addresses are absolute kernel addresses. */
	bool kernel;
} sc_mapping;

typedef struct sc_function {
	sc_str name;	    /* demangled, what people read: "ns::Matrix<float>::mul" */
	sc_str system_name; /* as in the symbol table: "_ZN2ns6MatrixIfE3mulEv" */
	sc_str filename;
	int64_t start_line;
} sc_function;

typedef struct sc_line {
	uint32_t function; /* function id */
	int64_t line;	   /* 0 when unknown */
	int64_t column;
} sc_line;

typedef struct sc_location {
	uint32_t mapping; /* mapping id or 0 */
	uint64_t address;
	uint32_t first_line, nlines; /* into the profile's line array */
} sc_location;

typedef struct sc_stack_node {
	sc_stack_id parent;
	uint32_t location; /* location id; 0 only for the root */
	uint32_t depth;	   /* root 0, outermost frame 1 */
	sc_stack_id first_child, next_sibling;
} sc_stack_node;

typedef struct sc_label {
	sc_str key;
	sc_str str; /* 0 for a numeric label */
	int64_t num;
	sc_str num_unit;
} sc_label;

typedef struct sc_sample {
	sc_stack_id stack;
	uint32_t pid, tid;
	uint64_t time_ns;	       /* 0 when unknown; CLOCK_MONOTONIC for recorded profiles */
	uint32_t first_label, nlabels; /* into the profile's label array */
} sc_sample;

/* An interval of a thread's time: a span of instrumented code (scorch record --trace), drawn on
 * the thread's timeline track. Not part of pprof: written files do not keep them. */
typedef struct sc_interval {
	uint32_t pid, tid;
	uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC, as the samples' times */
	uint32_t depth;		   /* 0: outermost on its thread */
	sc_str name;
	sc_str thread_name; /* 0 when unknown */
} sc_interval;

/* A counter's value at a time (scorch record --gpu: a GPU metric), drawn on flamegraph.html's
 * timeline as a track of its own per series (its name, an interned string). Not part of pprof:
 * written files do not keep them. */
typedef struct sc_counter_point {
	sc_str series;
	uint64_t time_ns; /* CLOCK_MONOTONIC, as the samples' times */
	double value;
} sc_counter_point;

typedef struct sc_profile {
	SC_VEC(char *) strings;
	size_t string_bytes; /* what the strings themselves hold, NULs included */
	sc_hashmap string_index;

	sc_value_type sample_types[SC_MAX_SAMPLE_TYPES];
	size_t nsample_types;
	sc_str default_sample_type;

	SC_VEC(sc_mapping) mappings;   /* mappings.data[id - 1] */
	SC_VEC(sc_function) functions; /* functions.data[id - 1] */
	sc_hashmap function_index;
	SC_VEC(sc_location) locations; /* locations.data[id - 1] */
	sc_hashmap location_index;     /* (mapping, address) of locations added unsymbolized */
	SC_VEC(sc_line) lines;

	SC_VEC(sc_stack_node) nodes; /* nodes.data[0] is the root */
	sc_hashmap node_index;

	SC_VEC(sc_sample) samples;
	SC_VEC(int64_t) values; /* samples.len * nsample_types, sample-major */
	SC_VEC(sc_label) labels;

	/* Metadata, as in profile.proto. */
	sc_value_type period_type;
	int64_t period;
	int64_t time_nanos;	/* start, wall clock (ns since the epoch) */
	int64_t duration_nanos; /* wall-clock length of the recording */
	SC_VEC(sc_str) comments;
	sc_str drop_frames, keep_frames;

	SC_VEC(sc_interval) intervals;	   /* spans beside the samples; usually none */
	SC_VEC(sc_counter_point) counters; /* in the order added; usually none */
} sc_profile;

sc_profile *sc_profile_new(void);
void sc_profile_free(sc_profile *p);
/* The bytes the profile holds on the heap, from its arrays' and tables' capacities (an estimate
 * within allocator overhead): for readers that cap what an input may cost. */
size_t sc_profile_memory(const sc_profile *p);

/* Strings. intern returns the id (>= 0) or -ENOMEM. str() of an invalid id returns "". */
int64_t sc_profile_intern(sc_profile *p, const char *s);
int64_t sc_profile_intern_n(sc_profile *p, const char *s, size_t n);
const char *sc_profile_str(const sc_profile *p, sc_str id);

/* Appends a sample type; returns its index or -EINVAL (too many) / -ENOMEM. Sample types must be
 * added before the first sample. */
int sc_profile_add_sample_type(sc_profile *p, const char *type, const char *unit);
/* Index of the sample type named `type`, or -1. */
int sc_profile_find_sample_type(const sc_profile *p, const char *type);

/* Appends a mapping (not deduplicated); returns its id or -ENOMEM. */
int64_t sc_profile_add_mapping(sc_profile *p, const sc_mapping *m);
static inline sc_mapping *sc_profile_mapping(const sc_profile *p, uint32_t id)
{
	return id && id <= p->mappings.len ? &p->mappings.data[id - 1] : NULL;
}

/* Returns the id of the function with these four fields, adding it if new; or -ENOMEM. */
int64_t sc_profile_add_function(sc_profile *p, const sc_function *f);
static inline sc_function *sc_profile_function(const sc_profile *p, uint32_t id)
{
	return id && id <= p->functions.len ? &p->functions.data[id - 1] : NULL;
}

/* Returns the id of the unsymbolized location (mapping, address), adding it if new; or -ENOMEM.
 * Recorders call this for every raw address. */
int64_t sc_profile_location_for_address(sc_profile *p, uint32_t mapping, uint64_t address);
/* Appends a location with its inline chain (lines[0] innermost), not deduplicated; for readers
 * of formats that have their own location ids. Returns the id or -ENOMEM. */
int64_t sc_profile_add_location(sc_profile *p, uint32_t mapping, uint64_t address,
				const sc_line *lines, size_t nlines);
/* Replaces a location's inline chain (the symbolizer's output). Returns 0 or -ENOMEM. */
int sc_profile_set_location_lines(sc_profile *p, uint32_t location, const sc_line *lines,
				  size_t nlines);
static inline sc_location *sc_profile_location(const sc_profile *p, uint32_t id)
{
	return id && id <= p->locations.len ? &p->locations.data[id - 1] : NULL;
}
static inline const sc_line *sc_profile_location_lines(const sc_profile *p, const sc_location *l)
{
	return l->nlines ? &p->lines.data[l->first_line] : NULL;
}

/* The child of `parent` for `location`, added if new. Returns the node id or -ENOMEM. */
int64_t sc_profile_stack_child(sc_profile *p, sc_stack_id parent, uint32_t location);
/* Interns a whole stack given leaf first (as perf and pprof order frames). Returns the leaf's
 * node id (0 for an empty stack) or -ENOMEM. */
int64_t sc_profile_intern_stack(sc_profile *p, const uint32_t *locations_leaf_first, size_t n);
static inline const sc_stack_node *sc_profile_node(const sc_profile *p, sc_stack_id id)
{
	return &p->nodes.data[id];
}

/* Appends a sample with one value per sample type. Returns its index or -ENOMEM. */
int64_t sc_profile_add_sample(sc_profile *p, sc_stack_id stack, const int64_t *values, uint32_t pid,
			      uint32_t tid, uint64_t time_ns);
/* Adds a label to the most recently added sample. */
int sc_profile_add_label(sc_profile *p, const char *key, const char *str, int64_t num,
			 const char *num_unit);
/* a + b saturated at INT64_MAX (or INT64_MIN): every sum of sample values goes through it, so a
 * total never wraps (two folded lines of 2^63-1 once made "total: -2 samples") and a part never
 * exceeds its whole (saturation keeps sums of non-negative values monotone, so shares stay within
 * 0..100%). */
static inline int64_t sc_sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static inline const int64_t *sc_profile_sample_values(const sc_profile *p, size_t i)
{
	return &p->values.data[i * p->nsample_types];
}

/* Appends an interval (sc_interval above); thread_name may be NULL. 0 or -ENOMEM. */
int sc_profile_add_interval(sc_profile *p, uint32_t pid, uint32_t tid, uint64_t start_ns,
			    uint64_t end_ns, uint32_t depth, const char *name,
			    const char *thread_name);

/* Appends a counter's value (sc_counter_point above). 0 or -ENOMEM. */
int sc_profile_add_counter(sc_profile *p, const char *series, uint64_t time_ns, double value);

/* The intervals' indices in the order of their threads (pid, then tid), then of their start,
 * an outer span before the inner ones that start with it (depth). malloc'ed (free it), NULL when
 * out of memory. */
size_t *sc_profile_intervals_by_thread(const sc_profile *p);

int sc_profile_add_comment(sc_profile *p, const char *s);
/* The comments every recording carries: "command: ARGV joined by spaces" and "host: HOSTNAME"
 * (none when the name cannot be read). 0 or -ENOMEM. */
int sc_profile_add_command_comment(sc_profile *p, char *const *argv);
int sc_profile_add_host_comment(sc_profile *p);

/* Sum of each sample type's values over all samples. `out` has nsample_types entries. */
void sc_profile_totals(const sc_profile *p, int64_t *out);

/*
 * Frames: a stack expanded through inline chains into the list of function frames a person
 * reads, outermost first. Each frame is a (location, index into its lines) pair; a location
 * without lines is one frame named after its address.
 */
typedef struct sc_frame {
	uint32_t location;
	uint32_t line;	   /* index into the location's lines, or UINT32_MAX when it has none */
	uint32_t function; /* function id, 0 when unsymbolized */
	bool inlined;	   /* true for every line of a location but its last */
} sc_frame;

/* Fills `out` (capacity `cap`) with the frames of stack `id`, outermost first. Returns the number
 * of frames the stack has (which may exceed cap; only cap are written). */
size_t sc_profile_stack_frames(const sc_profile *p, sc_stack_id id, sc_frame *out, size_t cap);

/* Writes a frame's display name into `sb`-like buffer: the function's name, or for an
 * unsymbolized frame "module+0xoffset" (module is the mapping file's basename), or "0xaddress"
 * without a mapping. Returns a pointer valid until the next call (a static per-thread buffer). */
const char *sc_profile_frame_name(const sc_profile *p, const sc_frame *f);

/* The short module name (basename of the mapping's file, "[kernel]" for kernel mappings, "?"
 * without a mapping) of a location. */
const char *sc_profile_location_module(const sc_profile *p, uint32_t location);

#endif

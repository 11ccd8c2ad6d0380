/*
 * sample.h: decoding the perf records of a recording into the profile: SAMPLE records become
 * stacks of locations (with the leaf fix), MMAP/MMAP2, COMM (exec) and FORK records update the
 * address space (addrspace.h), COMM records name threads. Records come in time order from the rings
 * (ring.h).
 *
 * Stacks. Kernel frames go to the kernel mapping, user frames to the mapping that holds them in
 * the sampled process (0 when none does); caller frames are stored as return address - 1 (inside
 * the call instruction) so they symbolize to the call's line; at most max_depth frames are kept.
 *
 * User frames. With `cfi` set (DWARF/AUTO recordings) the kernel's callchain holds kernel frames
 * only, and the user frames come from sc_unwind_stack over the sample's registers
 * (PERF_SAMPLE_REGS_USER, `regs_mask`) and stack copy (PERF_SAMPLE_STACK_USER), in `unwind_mode`,
 * answering its `find` callback from the address space; the copy is dropped afterwards. Without
 * `cfi` (FP recordings) the user frames are the kernel's frame-pointer callchain, with the leaf
 * fix.
 *
 * Leaf fix (FP). When the sampled user function had no frame of its own (see src/unwind/unwind.h),
 * the return address derived from its CFI over the sample's copy of the user stack differs from
 * the chain's first caller; it is inserted as the missing caller when it lands in a known mapping.
 * Needs PERF_SAMPLE_REGS_USER with (bp, sp, ip) and PERF_SAMPLE_STACK_USER (x86-64).
 *
 * Junk hygiene (every mode). A user stack ends at the first caller address that no executable
 * mapping of the process holds: nothing beyond it is trusted. `cuts` counts those stacks, and the
 * other early stops of the unwinder, and where they happened (see sc_record_cuts in record.h).
 *
 * Off-CPU time (offcpu_state_off set: --mode offcpu and wall). A sample whose raw data is a
 * sched:sched_switch record (PERF_SAMPLE_RAW, longer than the field prev_state at
 * offcpu_state_off) is not stored at once: its stack, with a leaf pseudo-frame naming the
 * blocking state ("[off-cpu: sleeping]", "[off-cpu: disk I/O]", "[off-cpu: runnable]" when
 * preempted, "[off-cpu: stopped]", "[off-cpu: other]") in the pseudo-module "[off-cpu]", waits
 * for the thread's next PERF_RECORD_SWITCH switching it in; then it is stored with the values
 * (1, ns off the CPU). A thread that exits while off the CPU leaves that interval out; one still
 * off the CPU when the recording ends is stored by sc_sample_offcpu_end. Samples of other events
 * (raw data of 4 bytes) are stored as usual.
 *
 * Errors: out of memory (or an unwinder failure) sets the sticky d->err and the record is
 * dropped; sc_sample_err() is the first error of the decoder or its address space. Not
 * thread-safe.
 */
#ifndef SC_RECORD_SAMPLE_H
#define SC_RECORD_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"
#include "record/addrspace.h"
#include "unwind/unwind.h"
#include "util/hashmap.h"
#include "util/vec.h"

/* A frame of a call chain as sampled: an address, and whether it is the kernel's. */
typedef struct sc_raw_frame {
	uint64_t addr;
	bool kernel;
} sc_raw_frame;

/* A thread's name, as the views show it. */
typedef struct sc_thread_name {
	uint32_t tid;
	sc_str name;
} sc_thread_name;

/* A thread switched out, waiting to be switched in (off-CPU time). */
typedef struct sc_offcpu_pending {
	uint64_t time; /* switched out at; 0 when none pending */
	sc_stack_id stack;
	uint32_t pid, tid;
} sc_offcpu_pending;

typedef struct sc_sample_decoder {
	sc_profile *p;	      /* borrowed */
	sc_addrspace *as;     /* borrowed */
	uint64_t sample_type; /* the events' attr.sample_type: which fields samples carry */
	uint32_t only_pid;    /* when not 0: records of other processes are ignored */
	size_t max_depth;     /* frames kept per stack */
	bool cfi;	      /* user frames by sc_unwind_stack, not from the callchain */
	sc_unwind_mode unwind_mode;
	uint64_t regs_mask; /* the events' attr.sample_regs_user */

	sc_unwind *unwind;
	SC_VEC(int) unwind_files; /* by mapping id - 1: sc_unwind handle, -errno, or INT_MIN */
	sc_hashmap pids, tids;	  /* sets, for the counts below */
	SC_VEC(sc_raw_frame) frames;
	SC_VEC(uint32_t) locs;
	SC_VEC(uint64_t) pcs; /* the unwinder's output */
	/* Cuts at an address no mapping holds, per model mapping of the frame above the cut. */
	SC_VEC(uint64_t) cut_at;

	size_t
	    offcpu_state_off; /* offset of sched_switch's prev_state in raw data; 0 = no off-CPU */
	sc_hashmap offcpu_tids; /* tid -> index + 1 in offcpu_pending */
	SC_VEC(sc_offcpu_pending) offcpu_pending;
	uint32_t offcpu_mapping;   /* the "[off-cpu]" pseudo-module, 0 until needed */
	uint32_t offcpu_locs[5];   /* its locations by state, 0 until needed */
	uint64_t offcpu_dropped;   /* switch-out samples never matched by a switch-in */
	uint64_t offcpu_intervals; /* off-CPU samples stored */

	/* Thread names: tid -> index + 1 in `names` (the latest name a COMM record, the signal
	 * agent or /proc gave; name 0 when none could be found). */
	sc_hashmap name_index;
	SC_VEC(sc_thread_name) names;
	sc_str name_keys[2]; /* "thread_name", "process_name"; 0 until the first named sample */

	uint64_t samples;    /* samples stored */
	uint64_t leaf_fixed; /* stacks whose frameless leaf's caller was restored */
	sc_record_cuts cuts; /* `below` is filled by sc_sample_cuts() */
	uint64_t processes, threads;
	int err; /* sticky */
} sc_sample_decoder;

/* Sets up `d` for profile `p` and address space `as` (both borrowed). Returns 0 or -ENOMEM;
 * release `d` in any case. */
int sc_sample_init(sc_sample_decoder *d, sc_profile *p, sc_addrspace *as, size_t max_depth);
/* NULL-safe, idempotent. */
void sc_sample_release(sc_sample_decoder *d);

/* Processes one record of the ring, in time order. */
void sc_sample_process(sc_sample_decoder *d, const unsigned char *rec, size_t len);
/* An MMAP or MMAP2 record as soon as it is read: opens its file (sc_addrspace_keep_file). */
void sc_sample_on_read(sc_sample_decoder *d, const unsigned char *rec, size_t len);
/* Counts a process or thread that exists from the start (before any FORK record). */
void sc_sample_count_process(sc_sample_decoder *d, uint32_t pid);
void sc_sample_count_thread(sc_sample_decoder *d, uint32_t tid);
/* The counts of cut stacks, with `below` filled in. */
void sc_sample_cuts(const sc_sample_decoder *d, sc_record_cuts *out);
/* At the end of a recording, stores the pending off-CPU intervals of the threads `alive` says
 * still exist, as ending at `end` (the recording's clock): a thread blocked until the end (an
 * attached server waiting for requests) counts the time it was seen blocked. */
void sc_sample_offcpu_end(sc_sample_decoder *d, uint64_t end,
			  bool (*alive)(uint32_t pid, uint32_t tid));
/* Why an in-process walk ended (the signal backend's samples). */
typedef enum sc_sample_stop {
	SC_SAMPLE_STOP_COMPLETE,     /* outermost frame, or the depth limit */
	SC_SAMPLE_STOP_END_OF_STACK, /* counted as cuts.end_of_copy */
	SC_SAMPLE_STOP_NO_MAPPING,   /* counted as cuts.no_mapping, below the last frame */
	SC_SAMPLE_STOP_NO_RULE,	     /* counted as cuts.no_rule */
} sc_sample_stop;

/* Stores a user stack walked elsewhere (the signal backend's agent): pcs[0] the sampled pc, then
 * return addresses, innermost first, attributed with the address-space table `space` (the key the
 * caller gave sc_addrspace_map), as a sample of thread `tid` of process `pid` with the values
 * (1, weight). */
void sc_sample_store_pcs(sc_sample_decoder *d, uint32_t space, uint32_t pid, uint32_t tid,
			 uint64_t time, const uint64_t *pcs, size_t n, uint64_t weight,
			 sc_sample_stop stop);
/* Thread `tid` is named `name` from now on (a COMM record, the signal agent's COMM record).
 * Stored samples carry string labels "thread_name" (their thread's) and "process_name" (the name
 * of the thread whose tid is the pid); a thread with no name given is looked up once in
 * /proc/PID/task/TID/comm (attached threads, threads that kept their parent's name). */
void sc_sample_set_name(sc_sample_decoder *d, uint32_t tid, const char *name, size_t len);
/* The first error (-ENOMEM, ...) of the decoder or its address space, else 0. */
int sc_sample_err(const sc_sample_decoder *d);

/* A set of ids in an sc_hashmap: adds `id`, counting it in *count when new. 0 or -ENOMEM. */
int sc_idset_add(sc_hashmap *m, uint32_t id, uint64_t *count);
bool sc_idset_has(const sc_hashmap *m, uint32_t id);

#endif

/*
 * stream.h: the shared file between scorch and the agents it preloads into a profiled program
 * (libscorch-cpu.so today), version 1. Both sides include this header; nothing else is shared.
 *
 * scorch creates the file (0600, in /dev/shm or the temporary folder), sizes it, fills the
 * header, and names it to the command in the environment (SC_AGENT_ENV_FILE). Every process of
 * the command that loads the agent (after fork and exec too) opens the file by that name and maps
 * it MAP_SHARED; scorch maps it too and drains it while the command runs and once more after it
 * ends, so whatever a crashed or killed process wrote is kept.
 *
 * Layout: the header (struct sc_agent_header, SC_AGENT_HEADER_BYTES), then `nrings` rings, each a
 * struct sc_agent_ring followed by `ring_bytes` of data (a power of two). A thread that samples
 * claims a ring of its own (state FREE -> CLAIMING -> OWNED by compare-and-swap, then its fields,
 * then OWNED with release order), writes records into it from its signal handler, and marks it
 * CLOSED when it exits. scorch reads OWNED and CLOSED rings, and returns a CLOSED ring that it has
 * drained to FREE (and one whose thread is gone: killed, or lost in an exec). Single producer,
 * single consumer per ring: the producer writes records at `head` and then publishes the new
 * head (release); the consumer reads up to head (acquire) and publishes `tail` when done.
 *
 * A stream is one claim of a ring: `stream` is a number unique in the file. Records of one stream
 * are self-contained: a SAMPLE's addresses are attributed with the MAP records earlier in the same
 * stream (a thread announces each module the first time one of its samples has a frame there), so
 * the order of records across rings never matters.
 *
 * Records: 8-byte aligned, a struct sc_agent_rec followed by its payload, `size` bytes in all (a
 * multiple of 8). A record never wraps around the end of the data: the producer fills the rest
 * with a PAD record and starts again at offset 0 (positions are byte counts that only grow; the
 * offset in the data is position % ring_bytes).
 *
 * Clocks: times are CLOCK_MONOTONIC nanoseconds, the clock scorch's perf recordings use.
 */
#ifndef SC_AGENT_STREAM_H
#define SC_AGENT_STREAM_H

#include <stdint.h>

#define SC_AGENT_ENV_FILE "SCORCH_AGENT_FILE"
#define SC_AGENT_MAGIC	  "SCORCHA\0" /* 8 bytes */
#define SC_AGENT_VERSION  1u
#define SC_AGENT_MINOR                                                                             \
	3u /* 1.1: the exit scan's slots, scorch_pid, sample_seed, MALLINFO;                       \
	      1.2: the TRACE records, a console file's catalogue; 1.3: the GPU records */
#define SC_AGENT_HEADER_BYTES 4096u
#define SC_AGENT_RING_HEADER  64u

/* sc_agent_header.unwind: how the agent walks stacks (as record's --call-graph). */
enum {
	SC_AGENT_UNWIND_AUTO = 0,
	SC_AGENT_UNWIND_DWARF = 1,
	SC_AGENT_UNWIND_FP = 2,
};

/* sc_agent_header.flags */
#define SC_AGENT_NO_INHERIT 1u /* forked children and threads created later are not sampled */
#define SC_AGENT_HEAP_SHORT 2u /* scorch reads ALLOC_SHORT records: the heap agent writes them */

/* The exit scan (leak kinds, src/agent/heap_scan.c): a process of the command that exits
 * normally claims a slot (FREE -> CLAIMING -> ASKED, with instance, pid and seq: the number of
 * its events so far) and waits, a few seconds at most and only while scorch_pid lives. scorch,
 * once it has handed over every event numbered below seq, writes the blocks then live, sorted by
 * address, into a new file (struct sc_agent_scanfile), names it in `path` and sets READY; the
 * agent scans its memory, writes each block's kind (SC_AGENT_KIND_*) and sets DONE; scorch reads
 * the kinds and frees the slot. Either side may give up: the agent by ASKED/READY -> GAVE_UP
 * (compare-and-swap: scorch's READY and the agent's GAVE_UP cannot both win from ASKED). */
#define SC_AGENT_SCANS 8
enum {
	SC_AGENT_SCAN_FREE = 0,
	SC_AGENT_SCAN_CLAIMING = 1,
	SC_AGENT_SCAN_ASKED = 2,
	SC_AGENT_SCAN_READY = 3,
	SC_AGENT_SCAN_DONE = 4,
	SC_AGENT_SCAN_GAVE_UP = 5,
};

/* A block's kind, as valgrind's memcheck and LeakSanitizer name them. */
enum {
	SC_AGENT_KIND_UNKNOWN = 0,
	SC_AGENT_KIND_DEFINITE = 1,  /* no pointer to it (start or interior) from anything live */
	SC_AGENT_KIND_INDIRECT = 2,  /* reachable only from definitely lost blocks */
	SC_AGENT_KIND_POSSIBLE = 3,  /* reachable, but only through pointers into its interior */
	SC_AGENT_KIND_REACHABLE = 4, /* a pointer to its start from a root or a reachable block */
};

#define SC_AGENT_SCAN_MAGIC "SCORCHS\0"
/* The scan file: this header, then `nblocks` struct sc_agent_block sorted by addr, then
 * `nblocks` bytes of kinds (written by the agent), the whole a multiple of 8 bytes. */
typedef struct sc_agent_scanfile {
	char magic[8];
	uint64_t nblocks;
	uint64_t roots_bytes; /* written by the agent: bytes of roots it scanned */
	uint64_t reserved;
} sc_agent_scanfile;

typedef struct sc_agent_block {
	uint64_t addr, size;
} sc_agent_block;

/* sc_agent_ring.state */
enum {
	SC_AGENT_RING_FREE = 0,
	SC_AGENT_RING_CLAIMING = 1,
	SC_AGENT_RING_OWNED = 2,
	SC_AGENT_RING_CLOSED = 3,
};

/* sc_agent_rec.type */
enum {
	SC_AGENT_REC_PAD = 0,	   /* skip: the rest of the data up to its end */
	SC_AGENT_REC_SAMPLE = 1,   /* struct sc_agent_sample + uint64_t pcs[nframes] */
	SC_AGENT_REC_MAP = 2,	   /* struct sc_agent_map + NUL-terminated path, padded */
	SC_AGENT_REC_COMM = 3,	   /* struct sc_agent_comm */
	SC_AGENT_REC_STACK = 4,	   /* struct sc_agent_stack + uint64_t pcs[nframes] */
	SC_AGENT_REC_ALLOC = 5,	   /* struct sc_agent_alloc */
	SC_AGENT_REC_FREE = 6,	   /* struct sc_agent_free */
	SC_AGENT_REC_MALLINFO = 7, /* struct sc_agent_mallinfo (version 1.1) */
	/* The instrumentation runtime (libscorch, include/scorch/trace.h), version 1.2: */
	SC_AGENT_REC_TRACE_LOC = 8,	/* struct sc_agent_trace_loc + 3 NUL-terminated strings */
	SC_AGENT_REC_TRACE = 9,		/* struct sc_agent_trace_ev */
	SC_AGENT_REC_TRACE_THREAD = 10, /* struct sc_agent_trace_thread + NUL-terminated name */
	/* The CUPTI injection library (libscorch-cupti.so, src/gpu/cupti/inject.c), version 1.3: */
	SC_AGENT_REC_GPU_API = 16,    /* struct sc_agent_gpu_api + NUL-terminated name */
	SC_AGENT_REC_GPU_STACK = 17,  /* struct sc_agent_gpu_stack + uint64_t pcs[nframes] */
	SC_AGENT_REC_GPU_KERNEL = 18, /* struct sc_agent_gpu_kernel + NUL-terminated name */
	SC_AGENT_REC_GPU_COPY = 19,   /* struct sc_agent_gpu_copy (memcpy and memset) */
	SC_AGENT_REC_GPU_SYNC = 20,   /* struct sc_agent_gpu_sync */
	SC_AGENT_REC_GPU_STATUS = 21, /* struct sc_agent_gpu_status + NUL-terminated text */
};

typedef struct sc_agent_header {
	char magic[8];
	uint32_t version;
	uint32_t header_bytes; /* offset of the first ring: SC_AGENT_HEADER_BYTES */
	uint32_t nrings;
	uint32_t ring_bytes;  /* data bytes per ring, a power of two */
	uint64_t interval_ns; /* CPU time of a thread between two of its samples */
	uint32_t max_depth;   /* frames per sample at most; 0 in a file for the instrumentation
				 runtime (libscorch), which writes only into such a file */
	uint32_t unwind;      /* SC_AGENT_UNWIND_* */
	uint32_t flags;	      /* SC_AGENT_NO_INHERIT */
	uint32_t root_pid;    /* the launched command: with SC_AGENT_NO_INHERIT, the only process
				 sampled (its exec'd images included) */
	/* Written by the agents (atomically): */
	uint32_t next_stream;	    /* the last stream number handed out */
	uint32_t processes;	    /* agent instances started (a process, or an exec'd image) */
	uint64_t lost_no_ring;	    /* samples dropped because no ring was free for their thread */
	uint64_t threads_unsampled; /* threads that could not get a timer (timer_create failed) */
	uint32_t error_set;	    /* 0, then 1 once `error` holds the first agent error */
	uint32_t signo;		    /* the signal the agents sample with */
	char error[256];	    /* NUL-terminated: what went wrong in an agent */
	/* The heap agent (libscorch-heap.so): */
	uint64_t sample_bytes; /* 0: every allocation; else one sampled per this many bytes */
	uint64_t heap_waits;   /* times a thread waited for room in its ring (atomic) */
	/* Version 1.1 (minor): the heap agent's exit scan (src/agent/heap_scan.c) and the
	 * sampler's seed. */
	uint32_t minor;	     /* SC_AGENT_MINOR */
	uint32_t scorch_pid; /* scorch, which answers exit scans: agents wait only while it lives */
	uint64_t sample_seed; /* 0: random; else the sampler's seed (tests: reproducible samples) */
	uint32_t
	    scan_on; /* 1: scorch answers exit scans (not when sampling); 0 after its last round */
	uint32_t reserved1;
	struct sc_agent_scan {
		uint32_t state;	   /* SC_AGENT_SCAN_* (atomic) */
		uint32_t instance; /* the process image asking */
		uint32_t pid;
		uint32_t reserved;
		uint64_t seq;	  /* events numbered below this make the live set scanned */
		uint64_t nblocks; /* blocks in the scan file (scorch) */
		char path[96];	  /* the scan file (scorch), NUL-terminated */
	} scan[SC_AGENT_SCANS];
	/* Version 1.2 (minor): the catalogue of a console's event file (src/trace/server.c makes
	 * it; scorch's own files have none: catalog_bytes 0). The instrumentation runtime keeps
	 * there a copy of every TRACE_LOC and TRACE_THREAD record it writes, which a ring's
	 * consumer takes away, so that a console attached later can still name the sites and
	 * threads of the events it reads. Entries (struct sc_agent_catalog_entry, then the record)
	 * are appended from catalog_offset: a writer reserves room by adding its size to
	 * catalog_end (atomic), writes the entry and then sets its `ready` (release). A reader
	 * reads entries up to min(catalog_end, catalog_bytes) and stops at the first not ready. */
	uint64_t catalog_offset; /* from the start of the file */
	uint64_t catalog_bytes;	 /* 0: no catalogue */
	uint64_t catalog_end;	 /* bytes reserved so far (atomic; may pass catalog_bytes) */
} sc_agent_header;

/* An entry of the catalogue: the process image whose record follows (`size` bytes, 8-aligned,
 * a struct sc_agent_rec and its payload). */
typedef struct sc_agent_catalog_entry {
	uint32_t ready; /* 0 until the entry is complete (atomic, release) */
	uint32_t instance, pid;
	uint32_t size; /* of the record that follows */
} sc_agent_catalog_entry;

typedef struct sc_agent_ring {
	uint32_t state;	 /* SC_AGENT_RING_* (atomic) */
	uint32_t stream; /* this claim's stream number */
	uint32_t pid, tid;
	uint64_t head;	   /* bytes written (producer; atomic, release) */
	uint64_t tail;	   /* bytes consumed (consumer; atomic, release) */
	uint64_t lost;	   /* records dropped: the ring was full (producer; atomic) */
	uint32_t instance; /* the process image that claimed it (sc_agent_header.processes) */
	uint32_t reserved0;
	uint8_t reserved[SC_AGENT_RING_HEADER - 48];
	/* then ring_bytes of data */
} sc_agent_ring;

typedef struct sc_agent_rec {
	uint16_t type;
	uint16_t reserved;
	uint32_t size; /* of the whole record, header included; a multiple of 8 */
} sc_agent_rec;

/* Why a walk ended (sc_agent_sample.stop). */
enum {
	SC_AGENT_STOP_OUTERMOST = 0, /* the chain is complete */
	SC_AGENT_STOP_END_OF_STACK,  /* a read beyond the thread's stack */
	SC_AGENT_STOP_NO_MAPPING,    /* a pc no loaded module holds */
	SC_AGENT_STOP_NO_RULE,	     /* a frame the unwinder could not step, or a CFA not growing */
	SC_AGENT_STOP_MAX_FRAMES,    /* max_depth reached */
};

typedef struct sc_agent_sample {
	uint64_t time;	 /* CLOCK_MONOTONIC ns */
	uint64_t weight; /* thread CPU ns this sample stands for (interval x (1 + overruns)) */
	uint32_t nframes;
	uint8_t stop; /* SC_AGENT_STOP_* */
	uint8_t reserved[3];
	/* then uint64_t pcs[nframes]: the interrupted pc, then return addresses, innermost first */
} sc_agent_sample;

/* An executable segment of a module, as the loader mapped it: [start, end) holds the bytes of
 * the file from offset pgoff (what an MMAP record of perf says). */
typedef struct sc_agent_map {
	uint64_t start, end, pgoff;
	/* then the file's path, NUL-terminated, padded to 8 */
} sc_agent_map;

typedef struct sc_agent_comm {
	char name[16]; /* the thread's name (prctl PR_GET_NAME), NUL-terminated */
} sc_agent_comm;

/* The heap agent's records. Events of one process image (one `instance`) are numbered by `seq`
 * without gaps, in the order they happened (a counter of the process), whichever thread's ring
 * holds them: the reader merges the rings of an instance by seq. A STACK record names a call
 * stack (pcs innermost first: the caller of the allocation function first) with a number of its
 * stream, before the stream's first ALLOC that uses it. */
typedef struct sc_agent_stack {
	uint32_t id; /* 1-based, per stream */
	uint32_t nframes;
	/* then uint64_t pcs[nframes] */
} sc_agent_stack;

#define SC_AGENT_ALLOC_REALLOC                                                                     \
	1u			  /* the new block of a realloc: a FREE of the old came just       \
				     before (seq - 1) */
#define SC_AGENT_ALLOC_SAMPLED 2u /* sampled (--sample): stands for `weight` bytes */

typedef struct sc_agent_alloc {
	uint64_t seq, time;	     /* CLOCK_MONOTONIC ns */
	uint64_t addr, size, usable; /* requested size, malloc_usable_size */
	uint64_t weight;	     /* bytes it stands for (size, or the sampling's estimate) */
	uint32_t stack;		     /* STACK id of the stream, 0 = unknown */
	uint32_t flags;		     /* SC_AGENT_ALLOC_* */
} sc_agent_alloc;

/* An allocation in 48 bytes instead of ALLOC's 72 (sc_agent_header.flags has SC_AGENT_HEAP_SHORT):
 * not sampled (its weight is its size), size and usable - size below 2^32. rec.reserved holds its
 * SC_AGENT_ALLOC_* flags. Heap records added later take numbers from 32 (16-31: the GPU's). */
#define SC_AGENT_REC_ALLOC_SHORT 32u
typedef struct sc_agent_alloc_short {
	uint64_t seq, time;
	uint64_t addr;
	uint32_t size, slack; /* requested; usable - requested */
	uint32_t stack;	      /* STACK id of the stream, 0 = unknown */
	uint32_t reserved;
} sc_agent_alloc_short;

typedef struct sc_agent_free {
	uint64_t seq, time;
	uint64_t addr;
} sc_agent_free;

/* The allocator's own statistics (glibc's mallinfo2), taken by the heap agent from an allocating
 * thread at its first recorded allocation, then every SC_AGENT_MALLINFO_NS of the process or
 * every SC_AGENT_MALLINFO_ALLOCS recorded allocations of the thread, whichever comes first; past
 * its SC_AGENT_MALLINFO_LATE-th recorded allocation, every SC_AGENT_MALLINFO_LATE instead (each
 * call walks the allocator's free lists: at the early pace, 3% of an allocation-bound run); and by
 * time, after a call that took d > SC_AGENT_MALLINFO_NS / 1000, no sooner than 1000 d. */
#define SC_AGENT_MALLINFO_NS	 50000000ull
#define SC_AGENT_MALLINFO_ALLOCS 4096u
#define SC_AGENT_MALLINFO_LATE	 65536u
typedef struct sc_agent_mallinfo {
	uint64_t time;	   /* CLOCK_MONOTONIC ns */
	uint64_t arena;	   /* bytes of the heap segments the allocator took from the system */
	uint64_t hblkhd;   /* bytes of its mmapped blocks */
	uint64_t uordblks; /* bytes of the chunks in use in the heap segments */
	uint64_t fordblks; /* bytes of the free chunks in the heap segments */
} sc_agent_mallinfo;

/* The instrumentation runtime's records (libscorch, include/scorch/trace.h), version 1.2. A
 * thread claims a ring at its first event. Call sites are numbered per process image (`instance`)
 * from 1: the thread that numbers a site first writes its TRACE_LOC record, publishes it, and only
 * then stores the number in the site, so a TRACE event of any ring that names a site was
 * published after that site's TRACE_LOC (a reader that drained every ring of a round and still
 * lacks a site's LOC looks again in the next round). Events carry CLOCK_MONOTONIC ns. */
enum {
	SC_AGENT_LOC_SPAN = 1,
	SC_AGENT_LOC_COUNTER = 2,
	SC_AGENT_LOC_MARK = 3,
	SC_AGENT_LOC_FRAME = 4,
	SC_AGENT_LOC_ASYNC = 5,
	SC_AGENT_LOC_LOOP = 6,
};

typedef struct sc_agent_trace_loc {
	uint32_t id;			       /* the site's number in its process image */
	uint32_t line;			       /* 0: unknown */
	uint32_t kind;			       /* SC_AGENT_LOC_* */
	uint16_t name_len, file_len, func_len; /* string lengths, NULs not counted */
	uint16_t reserved;
	/* then name, file and function, each NUL-terminated, padded to 8 in all */
} sc_agent_trace_loc;

/* sc_agent_trace_ev.kind, and what `loc` and `arg` are for each. */
enum {
	SC_AGENT_EV_BEGIN = 1,	     /* a span opens on this thread; arg 0 */
	SC_AGENT_EV_END = 2,	     /* the innermost open span closes; loc: its site, or 0 */
	SC_AGENT_EV_COUNTER = 3,     /* arg: the value, a double's bits */
	SC_AGENT_EV_MARK = 4,	     /* an instant */
	SC_AGENT_EV_FRAME = 5,	     /* a frame ends */
	SC_AGENT_EV_ASYNC_BEGIN = 6, /* arg: the request id */
	SC_AGENT_EV_ASYNC_END = 7,   /* arg: the request id (any thread) */
	SC_AGENT_EV_LOOP_WAIT = 8, /* loc: the loop; arg: the wait's timeout ns, UINT64_MAX none */
	SC_AGENT_EV_LOOP_WAKE = 9, /* loc: the loop */
};

typedef struct sc_agent_trace_ev {
	uint64_t time; /* CLOCK_MONOTONIC ns */
	uint32_t loc;  /* the site's number (TRACE_LOC), 0 only where the kind allows it */
	uint32_t kind; /* SC_AGENT_EV_* */
	uint64_t arg;
} sc_agent_trace_ev;

/* The thread's name (scorch_thread_name, or the kernel's at the ring's claim). */
typedef struct sc_agent_trace_thread {
	uint64_t time;
	uint32_t tid;
	uint32_t len; /* NUL not counted */
		      /* then the name, NUL-terminated, padded to 8 */
} sc_agent_trace_thread;

/* The CUPTI injection library's records (src/gpu/cupti/inject.c), version 1.3. Times are
 * CLOCK_MONOTONIC ns: API calls are timed by the calling thread, GPU work by CUPTI through the
 * timestamp callback the library registers (or CUPTI's clock moved by an offset measured once).
 * A correlation id is CUPTI's: unique in a process, it joins an API call (GPU_API, and the
 * GPU_STACK written at its entry) to the GPU work it launched (GPU_KERNEL, GPU_COPY). API calls
 * and stacks go into the calling thread's ring; the GPU work into the ring of the thread CUPTI
 * hands its buffers to, so the reader joins them by (pid, correlation) across rings. */
enum {
	SC_AGENT_GPU_DRIVER = 1,  /* sc_agent_gpu_api.domain: the driver API (cu*) */
	SC_AGENT_GPU_RUNTIME = 2, /* the runtime API (cuda*) */
};

typedef struct sc_agent_gpu_api {
	uint64_t start, end;  /* the call's entry and exit */
	uint32_t correlation; /* CUPTI's correlation id */
	uint32_t cbid;	      /* CUPTI's callback id in its domain */
	uint32_t domain;      /* SC_AGENT_GPU_DRIVER, SC_AGENT_GPU_RUNTIME */
	uint32_t depth;	      /* API calls of the thread open around it (a runtime call's driver
				 calls: 1) */
			      /* then the function's name, NUL-terminated, padded to 8 */
} sc_agent_gpu_api;

/* The calling thread's stack at the entry of an API call that launches GPU work (kernels,
 * copies, memsets): pcs innermost first (the caller of the API function first), as SAMPLE's. A
 * driver call inside a runtime call gets the runtime call's stack under its own id too. MAP
 * records of the same stream announce the modules. nframes 0: the frames of the previous
 * GPU_STACK of the same stream (launches in a loop; never after one that was dropped). */
typedef struct sc_agent_gpu_stack {
	uint32_t correlation;
	uint32_t nframes;
	/* then uint64_t pcs[nframes] */
} sc_agent_gpu_stack;

typedef struct sc_agent_gpu_kernel {
	uint64_t start, end;
	uint32_t device, context, stream, correlation;
	int32_t grid[3], block[3];
	uint32_t static_shared, dynamic_shared; /* bytes per block */
	uint32_t registers;			/* per thread */
	uint32_t name_len;			/* NUL not counted */
	/* then the kernel's name as CUPTI gives it (mangled for C++), NUL-terminated, padded */
} sc_agent_gpu_kernel;

/* sc_agent_gpu_copy.op */
enum {
	SC_AGENT_GPU_MEMCPY = 1,
	SC_AGENT_GPU_MEMSET = 2,
};

typedef struct sc_agent_gpu_copy {
	uint64_t start, end, bytes;
	uint32_t device, context, stream, correlation;
	uint8_t op;	  /* SC_AGENT_GPU_MEMCPY, SC_AGENT_GPU_MEMSET */
	uint8_t kind;	  /* a memcpy's CUpti_ActivityMemcpyKind (1 HtoD, 2 DtoH, 8 DtoD...) */
	uint8_t src, dst; /* CUpti_ActivityMemoryKind of each side (a memset: dst only) */
	uint32_t value;	  /* a memset's value */
} sc_agent_gpu_copy;

typedef struct sc_agent_gpu_sync {
	uint64_t start, end;
	uint32_t type; /* CUpti_ActivitySynchronizationType (1 event, 2 stream wait event, 3 stream,
			  4 context) */
	uint32_t context, stream, correlation;
	uint32_t reserved;
} sc_agent_gpu_sync;

/* What the library has to say: its start, or why it records less than asked. */
enum {
	SC_AGENT_GPU_STARTED = 1,     /* text: the CUPTI library loaded; value: its version */
	SC_AGENT_GPU_NO_CUPTI = 2,    /* text: the paths tried and dlerror's last words */
	SC_AGENT_GPU_CUPTI_ERROR = 3, /* value: a CUptiResult; text: the call and its string */
	SC_AGENT_GPU_DROPPED = 4,     /* value: activity records CUPTI dropped (buffers full) */
	SC_AGENT_GPU_LOST = 5,	      /* value: records this library could not write (ring full) */
	SC_AGENT_GPU_FLUSHED = 6,     /* the last flush at exit is done */
};

typedef struct sc_agent_gpu_status {
	uint64_t time;
	uint64_t value;
	uint32_t what; /* SC_AGENT_GPU_* above */
	uint32_t len;  /* of the text, NUL not counted */
		       /* then the text, NUL-terminated, padded to 8 */
} sc_agent_gpu_status;

#endif

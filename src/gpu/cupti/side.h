/*
 * side.h: the kernel trace beside another recorder (`scorch record --gpu`): the agent file of
 * libscorch-cupti.so drained by a thread of its own while the recorder runs the command.
 *
 * sc_cupti_side_start creates the file (session.h's size), names it and the library to commands
 * launched next through scorch's own environment (SCORCH_CUPTI_FILE, which the library prefers
 * to SCORCH_AGENT_FILE so that record's own agents keep theirs, and CUDA_INJECTION64_PATH), and
 * drains it every 20 ms from a thread with every signal blocked; the decoder belongs to that
 * thread until sc_cupti_side_stop, which stops it, drains once more (the rings of gone threads
 * too), removes the variables and the file, symbolizes the launch stacks and adds the samples of
 * gpu.pb.gz (session.h's finish). Prints nothing: notes and warnings are strings.
 */
#ifndef SC_GPU_CUPTI_SIDE_H
#define SC_GPU_CUPTI_SIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "gpu/cupti/session.h"
#include "util/strbuf.h"

#define SC_CUPTI_ENV_FILE "SCORCH_CUPTI_FILE"

typedef struct sc_cupti_side sc_cupti_side;

/* 0 with *out set; 0 with *out NULL and `note` saying why when the library is missing (no kernel
 * trace); -errno with `err` filled when the file or the thread cannot be had. `argv`: the
 * command, for the profile's comment (may be NULL: attached). */
int sc_cupti_side_start(sc_cupti_side **out, char *const *argv, char *note, size_t notesize,
			char *err, size_t errsize);
/* After the recording (`exited`: the command exited normally). 0, the drain's first error, or
 * -ENOMEM. The warnings are then in sc_cupti_side_session(s)->warnings. */
int sc_cupti_side_stop(sc_cupti_side *s, bool exited);
/* The session (decoder, profile, warnings): after stop. */
sc_cupti_session *sc_cupti_side_session(sc_cupti_side *s);
/* The kernel trace's Chrome events (chrome.h's `more`; ctx: the sc_cupti_side, after stop). */
int sc_cupti_side_more(void *ctx, sc_strbuf *out, size_t *nevents);
/* Stops if needed and frees. NULL-safe. */
void sc_cupti_side_free(sc_cupti_side *s);

#endif

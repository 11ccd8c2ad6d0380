/*
 * session.h: the GPU activity part of `scorch gpu` (src/cli/gpu.c) in five calls, so the command
 * only adds them to its run: start (find libscorch-cupti.so, fill the agent file's header, the
 * environment entry CUDA_INJECTION64_PATH), round (drain the rings), finish (symbolize the launch
 * stacks, join them to the kernels, the warnings), write (kernels.txt, kernels.json, gpu.pb.gz,
 * one at a time for the command's set of files) and release.
 *
 * The agent file is the command's (record/agentfile.h), created with SC_CUPTI_NRINGS rings of
 * SC_CUPTI_RING_BYTES: one ring per thread that calls CUDA, one for the thread CUPTI hands its
 * buffers on. Prints nothing: the notes and warnings are strings for the command to print.
 */
#ifndef SC_GPU_CUPTI_SESSION_H
#define SC_GPU_CUPTI_SESSION_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "gpu/cupti/activity.h"
#include "profile/profile.h"
#include "record/agentfile.h"

#define SC_CUPTI_NRINGS	    64u
#define SC_CUPTI_RING_BYTES (4u << 20)
#define SC_CUPTI_DEPTH	    64u /* frames of a launch stack */
#define SC_CUPTI_LIB	    "libscorch-cupti.so"

/* The files sc_cupti_session_write writes, by index. */
#define SC_CUPTI_FILES 3
extern const char *const sc_cupti_file_names[SC_CUPTI_FILES];

typedef struct sc_cupti_session {
	sc_cupti dec;
	sc_profile *p; /* gpu.pb.gz: GPU time by launching call site */
	bool on;       /* the library was found: the command gets CUDA_INJECTION64_PATH */
	char env_inj[PATH_MAX + 32];
	char *env[2];		   /* {env_inj, NULL} or {NULL} */
	char note[PATH_MAX + 256]; /* after start: why there is no kernel trace, or "" */
	char warnings[4096];	   /* after finish: one line each, or "" */
} sc_cupti_session;

/* Finds the library (sc_agentfile_lib), fills f's header (depth, unwinding: the launch stacks).
 * 0 or -ENOMEM; without the library 0 with `note` saying so and `on` false. */
int sc_cupti_session_start(sc_cupti_session *s, sc_agentfile *f, char *const *argv);
/* The environment entries for sc_agentfile_run.extra_env (NULL-terminated; empty when off). */
static inline char *const *sc_cupti_session_env(const sc_cupti_session *s)
{
	return s->env;
}
/* Drains the rings (the run's round callback). 0 or -ENOMEM. */
int sc_cupti_session_round(sc_cupti_session *s, sc_agentfile *f, bool last);
/* After the run: symbolizes the launch stacks (failures are not fatal: addresses stay), adds
 * the samples, fills `warnings` (`exited`: the command exited normally). 0 or -ENOMEM. */
int sc_cupti_session_finish(sc_cupti_session *s, bool exited);
/* Writes file `i` of sc_cupti_file_names to `f`. 0 or -errno. */
int sc_cupti_session_write(const sc_cupti_session *s, size_t i, FILE *f);
/* Frees what `s` holds. NULL-safe. */
void sc_cupti_session_release(sc_cupti_session *s);

#endif

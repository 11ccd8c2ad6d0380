/*
 * trace_runtime_run.h: the parent's side of the libscorch tests (test_trace_runtime*.c): runs the
 * test program again as "--child MODE" with an agent file of its own in the environment (the
 * runtime maps it at start-up, so the instrumented part must be a new process), collects its
 * stdout, and reads every ring's records into arrays once it has exited. Header-only (static
 * functions): each test program includes it once.
 */
#ifndef TRACE_RUNTIME_RUN_H
#define TRACE_RUNTIME_RUN_H

#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/stream.h"
#include "record/agentfile.h"

extern char **environ;

#ifndef MAX_RECS
#define MAX_RECS 16384
#endif
#define MAX_RINGS 8

/* ---- the parent: run the child, read its rings -------------------------------------------- */

typedef struct rec {
	uint16_t type;
	sc_agent_trace_ev ev;
	sc_agent_trace_loc loc;
	sc_agent_trace_thread th;
	char s[3][64]; /* name, file, function (or the thread's name) */
} rec;

typedef struct ring_recs {
	uint32_t state, pid, tid, instance;
	uint64_t lost;
	size_t n;
	rec *r;
} ring_recs;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void copy_str(char *dst, const char *src, size_t len)
{
	size_t n = len < 63 ? len : 63;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static int on_record(void *ctx, uint32_t ring, const sc_agent_ring *r, const sc_agent_rec *raw)
{
	ring_recs *rr = (ring_recs *)ctx + ring;
	(void)r;
	assert_true(rr->n < MAX_RECS);
	rec *x = &rr->r[rr->n++];
	memset(x, 0, sizeof(*x));
	x->type = raw->type;
	const unsigned char *p = (const unsigned char *)(raw + 1);
	switch (raw->type) {
	case SC_AGENT_REC_TRACE:
		assert_int_equal(raw->size, 32);
		memcpy(&x->ev, p, sizeof(x->ev));
		break;
	case SC_AGENT_REC_TRACE_LOC: {
		memcpy(&x->loc, p, sizeof(x->loc));
		const char *s = (const char *)(p + sizeof(x->loc));
		size_t need = sizeof(*raw) + sizeof(x->loc) + x->loc.name_len + x->loc.file_len +
			      x->loc.func_len + 3;
		assert_true(raw->size >= need && raw->size < need + 8);
		assert_int_equal(s[x->loc.name_len], 0);
		copy_str(x->s[0], s, x->loc.name_len);
		s += x->loc.name_len + 1;
		assert_int_equal(s[x->loc.file_len], 0);
		copy_str(x->s[1], s, x->loc.file_len);
		s += x->loc.file_len + 1;
		assert_int_equal(s[x->loc.func_len], 0);
		copy_str(x->s[2], s, x->loc.func_len);
		break;
	}
	case SC_AGENT_REC_TRACE_THREAD:
		memcpy(&x->th, p, sizeof(x->th));
		assert_int_equal(((const char *)p)[sizeof(x->th) + x->th.len], 0);
		copy_str(x->s[0], (const char *)p + sizeof(x->th), x->th.len);
		break;
	default:
		fail_msg("unexpected record type %u", raw->type);
	}
	return 0;
}

/* The header's max_depth for the next run_child (nonzero: a sampler's file). */
static uint32_t run_max_depth;

typedef struct run {
	sc_agentfile f;
	ring_recs rings[MAX_RINGS];
	int status;
	uint64_t t0, t1;
	char out[256];
} run;

/* Runs this program with `mode`, with an agent file of `nrings` x `ring_bytes` in its
 * environment (none when nrings is 0), and reads every ring afterwards. */
static void run_child(run *r, const char *mode, uint32_t nrings, uint32_t ring_bytes)
{
	memset(r, 0, sizeof(*r));
	r->f.fd = -1;
	char err[256];
	char *env[64];
	size_t ne = 0;
	char envfile[PATH_MAX + 32];
	for (char **e = environ; *e && ne < 60; e++)
		if (strncmp(*e, SC_AGENT_ENV_FILE "=", strlen(SC_AGENT_ENV_FILE) + 1) &&
		    strncmp(*e, "SCORCH_CONSOLE=", 15))
			env[ne++] = *e;
	if (nrings) {
		assert_int_equal(sc_agentfile_create(&r->f, nrings, ring_bytes, err, sizeof(err)),
				 0);
		r->f.hdr->minor = SC_AGENT_MINOR;
		r->f.hdr->max_depth = run_max_depth;
		snprintf(envfile, sizeof(envfile), "%s=%s", SC_AGENT_ENV_FILE, r->f.path);
		env[ne++] = envfile;
	}
	env[ne] = NULL;
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	char *argv[] = {"test_trace_runtime", "--child", (char *)mode, NULL};
	pid_t pid;
	r->t0 = now_ns();
	assert_int_equal(posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, env), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	ssize_t got = 0, n;
	while ((n = read(pipefd[0], r->out + got, sizeof(r->out) - 1 - (size_t)got)) > 0)
		got += n;
	r->out[got] = 0;
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &r->status, 0), pid);
	r->t1 = now_ns();
	for (uint32_t i = 0; i < nrings; i++) {
		sc_agent_ring *ring = sc_agentfile_ring(&r->f, i);
		ring_recs *rr = &r->rings[i];
		rr->state = ring->state;
		rr->pid = ring->pid;
		rr->tid = ring->tid;
		rr->instance = ring->instance;
		rr->lost = ring->lost;
		rr->r = calloc(MAX_RECS, sizeof(rec));
		assert_non_null(rr->r);
		assert_int_equal(sc_agentfile_drain(&r->f, i, false, on_record, r->rings), 0);
	}
	assert_int_equal(r->f.corrupt, 0);
}

static void run_free(run *r)
{
	for (size_t i = 0; i < MAX_RINGS; i++)
		free(r->rings[i].r);
	sc_agentfile_close(&r->f);
}

/* The LOC record of site `id` of process image `instance`, in any ring of r. */
static const rec *find_loc(const run *r, uint32_t instance, uint32_t id)
{
	for (size_t i = 0; i < MAX_RINGS; i++) {
		if (r->rings[i].instance != instance)
			continue;
		for (size_t j = 0; j < r->rings[i].n; j++)
			if (r->rings[i].r[j].type == SC_AGENT_REC_TRACE_LOC &&
			    r->rings[i].r[j].loc.id == id)
				return &r->rings[i].r[j];
	}
	return NULL;
}

#endif

/*
 * side.c: the kernel trace beside another recorder (side.h).
 */
#include "gpu/cupti/side.h"
#include "gpu/cupti/outputs.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct sc_cupti_side {
	sc_agentfile f;
	sc_cupti_session sess;
	pthread_t thread;
	bool running, stopped;
	_Atomic int stop;
	int err; /* the drain's first error (the thread stops draining then) */
};

static void *side_main(void *arg)
{
	sc_cupti_side *s = arg;
	while (!atomic_load(&s->stop)) {
		int r = s->err ? 0 : sc_cupti_session_round(&s->sess, &s->f, false);
		if (r < 0)
			s->err = r;
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void unset_env(void)
{
	unsetenv(SC_CUPTI_ENV_FILE);
	unsetenv("CUDA_INJECTION64_PATH");
}

int sc_cupti_side_start(sc_cupti_side **out, char *const *argv, char *note, size_t notesize,
			char *err, size_t errsize)
{
	*out = NULL;
	note[0] = 0;
	char *const none[] = {"(attached)", NULL};
	sc_cupti_side *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errsize, "out of memory");
		return -ENOMEM;
	}
	s->f.fd = -1;
	int r = sc_agentfile_create(&s->f, SC_CUPTI_NRINGS, SC_CUPTI_RING_BYTES, err, errsize);
	if (r < 0)
		goto fail;
	s->f.hdr->scorch_pid = (uint32_t)getpid();
	if ((r = sc_cupti_session_start(&s->sess, &s->f, argv ? argv : none)) < 0) {
		snprintf(err, errsize, "out of memory");
		goto fail;
	}
	if (!s->sess.on) {
		snprintf(note, notesize, "%s", s->sess.note);
		r = 0;
		goto fail;
	}
	/* s->sess.env[0] is "CUDA_INJECTION64_PATH=LIB". */
	if (setenv(SC_CUPTI_ENV_FILE, s->f.path, 1) < 0 ||
	    setenv("CUDA_INJECTION64_PATH", strchr(s->sess.env[0], '=') + 1, 1) < 0) {
		r = -errno;
		snprintf(err, errsize, "cannot set %s: %s", SC_CUPTI_ENV_FILE, strerror(errno));
		unset_env();
		goto fail;
	}
	/* Signals are the main thread's business (the recorder's stopping policy). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&s->thread, NULL, side_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		snprintf(err, errsize, "cannot start the thread that reads GPU records: %s",
			 strerror(-r));
		unset_env();
		goto fail;
	}
	s->running = true;
	*out = s;
	return 0;
fail:
	sc_cupti_session_release(&s->sess);
	sc_agentfile_close(&s->f);
	free(s);
	return r;
}

int sc_cupti_side_stop(sc_cupti_side *s, bool exited)
{
	if (!s || s->stopped)
		return 0;
	s->stopped = true;
	atomic_store(&s->stop, 1);
	if (s->running)
		pthread_join(s->thread, NULL);
	s->running = false;
	unset_env();
	int r = s->err ? s->err : sc_cupti_session_round(&s->sess, &s->f, true);
	sc_agentfile_close(&s->f);
	int f = sc_cupti_session_finish(&s->sess, exited);
	return r < 0 ? r : f;
}

sc_cupti_session *sc_cupti_side_session(sc_cupti_side *s)
{
	return &s->sess;
}

int sc_cupti_side_more(void *ctx, sc_strbuf *out, size_t *nevents)
{
	sc_cupti_side *s = ctx;
	return s && s->stopped ? sc_cupti_chrome_events(&s->sess.dec, out, nevents) : 0;
}

void sc_cupti_side_free(sc_cupti_side *s)
{
	if (!s)
		return;
	if (!s->stopped) {
		atomic_store(&s->stop, 1);
		if (s->running)
			pthread_join(s->thread, NULL);
		unset_env();
		sc_agentfile_close(&s->f);
	}
	sc_cupti_session_release(&s->sess);
	free(s);
}

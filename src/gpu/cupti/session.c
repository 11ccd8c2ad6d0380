/*
 * session.c: the GPU activity part of `scorch gpu` (session.h).
 */
#include "gpu/cupti/session.h"
#include "formats/pprof.h"
#include "gpu/cupti/outputs.h"
#include "symbolize/symbolize.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether the CUDA driver's library is where the loader would find it: LD_LIBRARY_PATH, then
 * the folders distributions and NVIDIA's installers put it in (the loader's cache is not read:
 * a library only it knows is missed, and the note then blames the command instead). */
static bool driver_present(void)
{
	char path[PATH_MAX];
	const char *env = getenv("LD_LIBRARY_PATH");
	for (const char *d = env; d && *d;) {
		const char *colon = strchr(d, ':');
		int len = colon ? (int)(colon - d) : (int)strlen(d);
		snprintf(path, sizeof(path), "%.*s/libcuda.so.1", len, d);
		if (len && access(path, R_OK) == 0)
			return true;
		d += len + (colon ? 1 : 0);
	}
	static const char *const dirs[] = {
	    "/usr/lib/x86_64-linux-gnu", "/usr/lib64",	   "/usr/lib",
	    "/lib/x86_64-linux-gnu",	 "/lib64",	   "/usr/lib/wsl/lib",
	    "/usr/local/nvidia/lib64",	 "/usr/lib/nvidia"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/libcuda.so.1", dirs[i]);
		if (access(path, R_OK) == 0)
			return true;
	}
	return false;
}

const char *const sc_cupti_file_names[SC_CUPTI_FILES] = {"kernels.txt", "kernels.json",
							 "gpu.pb.gz"};

int sc_cupti_session_start(sc_cupti_session *s, sc_agentfile *f, char *const *argv)
{
	memset(s, 0, sizeof(*s));
	if (!(s->p = sc_profile_new()) || sc_cupti_init(&s->dec, s->p) < 0 ||
	    sc_profile_add_command_comment(s->p, argv) < 0 || sc_profile_add_host_comment(s->p) < 0)
		return -ENOMEM;
	f->hdr->max_depth = SC_CUPTI_DEPTH;
	f->hdr->unwind = SC_AGENT_UNWIND_AUTO;
	f->hdr->minor = SC_AGENT_MINOR;
	char lib[PATH_MAX];
	if (sc_agentfile_lib(SC_CUPTI_LIB, lib, sizeof(lib)) < 0) {
		snprintf(s->note, sizeof(s->note),
			 "%s not found (looked at %s; scorch is built without it when the CUDA "
			 "toolkit's headers are missing): no kernel trace",
			 SC_CUPTI_LIB, lib);
		return 0;
	}
	snprintf(s->env_inj, sizeof(s->env_inj), "CUDA_INJECTION64_PATH=%s", lib);
	s->env[0] = s->env_inj;
	s->on = true;
	return 0;
}

int sc_cupti_session_round(sc_cupti_session *s, sc_agentfile *f, bool last)
{
	return s->on ? sc_cupti_drain(&s->dec, f, last) : 0;
}

int sc_cupti_session_finish(sc_cupti_session *s, bool exited)
{
	sc_sym_options so = {0};
	sc_sym_stats st = {0};
	if (s->dec.launches.len)
		sc_symbolize_profile(s->p, &so,
				     &st); /* unsymbolized addresses are still a profile */
	int r = sc_cupti_finish(&s->dec);
	sc_cupti_warnings(&s->dec, exited, s->warnings, sizeof(s->warnings));
	const sc_cupti *d = &s->dec;
	if (s->on && !d->started && !d->no_cupti[0] && !d->cupti_error[0] && !s->warnings[0]) {
		if (!driver_present())
			snprintf(s->warnings, sizeof(s->warnings),
				 "no CUDA driver (libcuda.so.1) on this machine, and no process of "
				 "the command started CUDA: no kernel trace");
		else
			snprintf(s->warnings, sizeof(s->warnings),
				 "no process of the command started CUDA with %s (no cuInit, or a "
				 "CUDA_INJECTION64_PATH of its own): no kernel trace",
				 SC_CUPTI_LIB);
	}
	return r;
}

int sc_cupti_session_write(const sc_cupti_session *s, size_t i, FILE *f)
{
	switch (i) {
	case 0:
		return sc_cupti_write_text(&s->dec, f);
	case 1:
		return sc_cupti_write_json(&s->dec, s->warnings, f);
	default:
		return sc_pprof_write_stream(s->p, f);
	}
}

void sc_cupti_session_release(sc_cupti_session *s)
{
	if (!s)
		return;
	sc_cupti_release(&s->dec);
	sc_profile_free(s->p);
	s->p = NULL;
}

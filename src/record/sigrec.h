/*
 * sigrec.h: CPU sampling without perf events: the signal backend (`record --backend signal`).
 *
 * sc_record_signal_run() launches the command with the agent library preloaded (LD_PRELOAD,
 * ahead of any the user set) and a shared file named in its environment (src/agent/stream.h),
 * then drains the file's rings while the command runs and once more when it has ended: every
 * thread of every process of the command that loads the agent is sampled on its own CPU-time
 * clock every 1/frequency seconds (or every `count` ns), with its user stack walked in the
 * process by the agent (o->callgraph: AUTO and DWARF by CFI, FP by frame pointers). No privilege
 * is needed; no kernel frames are seen. Children forked or exec'd are followed unless
 * o->inherit is off (then the launched process alone, its exec'd images included).
 *
 * The profile is the one sc_record_run() makes for cpu-clock (sample types samples/count and
 * cpu/nanoseconds, period 1/frequency s, comments command/event/host), with an event comment
 * naming the backend. The result fills the same fields (samples, lost, processes, threads, cuts,
 * duration, exit status, gone files), and `agent_note` with what the agents reported.
 *
 * Only a launched command (no -p/-t/-a: nothing can be preloaded into a running process), only
 * --mode cpu with cpu-clock or task-clock (the agents' clock is the thread's CPU time). Otherwise
 * -EINVAL with r->err saying so. -ENOENT when the agent library is not found.
 */
#ifndef SC_RECORD_SIGREC_H
#define SC_RECORD_SIGREC_H

#include <stddef.h>

#include "profile/profile.h"
#include "record/record.h"

/* The agent library: in src/agent/ of the scorch executable's folder (a build tree), or in
 * ../lib/scorch from its folder (an installed scorch). Writes its path to buf; 0, or -ENOENT with
 * the path looked at first in buf. */
int sc_record_signal_agent(char *buf, size_t size);

/* Records o->argv with the agent `agent` (a path) into `p`. Returns 0 when the recording
 * completed (whatever the command's exit status), or -errno with r->err filled. */
int sc_record_signal_run(const sc_record_options *o, const char *agent, sc_profile *p,
			 sc_record_result *r);

#endif

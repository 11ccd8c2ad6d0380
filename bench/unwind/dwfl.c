/*
 * dwfl.c: the reference point for unwind-bench: the same stacks through elfutils' libdwfl
 * unwinder, the one perf uses for --call-graph dwarf when built with libdw. See bench.h.
 */
#include "bench.h"

#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct ctx {
	const struct sample *s;
	pid_t tid;
	uint64_t frames, depth; /* all stacks, this stack */
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	(void)dwfl;
	struct ctx *c = arg;
	if (*thread_argp)
		return 0;
	*thread_argp = arg;
	return c->tid;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	(void)dwfl;
	const struct sample *s = ((struct ctx *)arg)->s;
	if (addr < s->regs.sp || addr - s->regs.sp > s->size || s->size - (addr - s->regs.sp) < 8)
		return false;
	memcpy(result, s->stack + (addr - s->regs.sp), 8);
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	const sc_unwind_regs *r = &((struct ctx *)arg)->s->regs;
	/* DWARF order: rax rdx rcx rbx rsi rdi rbp rsp r8-r15 rip */
	Dwarf_Word regs[17] = {0};
	regs[3] = r->bx;
	regs[6] = r->bp;
	regs[7] = r->sp;
	regs[12] = r->r12;
	regs[13] = r->r13;
	regs[14] = r->r14;
	regs[15] = r->r15;
	regs[16] = r->ip;
	return dwfl_thread_state_registers(thread, 0, 17, regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
    .next_thread = next_thread,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct ctx *c = arg;
	Dwarf_Addr pc;
	if (!dwfl_frame_pc(state, &pc, NULL))
		return DWARF_CB_ABORT;
	c->frames++;
	return ++c->depth >= 512 ? DWARF_CB_ABORT : DWARF_CB_OK;
}

/* A Dwfl with every file-backed executable mapping of `maps` reported at start - pgoff. */
static Dwfl *open_dwfl(const char *maps, struct ctx *c)
{
	Dwfl *d = dwfl_begin(&callbacks);
	FILE *f = fopen(maps, "r");
	char line[4096], last[4096] = "";
	while (d && f && fgets(line, sizeof(line), f)) {
		uint64_t start, end, off;
		char perms[8];
		int at = 0;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n", &start, &end,
			   perms, &off, &at) < 4 ||
		    perms[2] != 'x' || !at || line[at] != '/')
			continue;
		char *name = line + at;
		name[strcspn(name, "\n")] = 0;
		if (!strcmp(name, last))
			continue;
		snprintf(last, sizeof(last), "%s", name);
		dwfl_report_elf(d, name, name, -1, start - off, false);
	}
	if (f)
		fclose(f);
	if (!d || dwfl_report_end(d, NULL, NULL) != 0 ||
	    !dwfl_attach_state(d, NULL, c->tid, &thread_callbacks, c)) {
		fprintf(stderr, "dwfl: %s\n", dwfl_errmsg(-1));
		if (d)
			dwfl_end(d);
		return NULL;
	}
	return d;
}

int dwfl_pass(const char *maps, const struct sample *s, size_t n, int rounds, bool per_stack,
	      struct pass *p)
{
	struct ctx c = {.tid = 4242};
	*p = (struct pass){0};
	double t0 = bench_now();
	Dwfl *d = per_stack ? NULL : open_dwfl(maps, &c);
	if (!per_stack && !d)
		return -1;
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++) {
			if (per_stack && !(d = open_dwfl(maps, &c)))
				return -1;
			c.s = &s[i];
			c.depth = 0;
			uint64_t before = c.frames;
			int rc = dwfl_getthread_frames(d, c.tid, frame_cb, &c);
			/* libdwfl reports the end of the chain as an error on some systems */
			p->complete += rc == 0 || (rc == -1 && c.frames - before > 1);
			p->stacks++;
			if (per_stack) {
				dwfl_end(d);
				d = NULL;
			}
		}
	if (d)
		dwfl_end(d);
	p->frames = c.frames;
	p->seconds = bench_now() - t0;
	return 0;
}

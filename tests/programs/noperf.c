/*
 * noperf.c: run a command in which perf_event_open(2) fails, as in a sandbox or a container that
 * refuses it (tests/cli/noperf.sh). Not profiled itself; a test helper, as libfailwrite.so is.
 *
 *   noperf [--errno NAME] -- CMD ARGS...
 *
 * installs a seccomp filter that makes perf_event_open return -1 with errno NAME (EACCES by
 * default, or EPERM, ENOSYS) and lets every other system call through, then execs CMD. The filter
 * is inherited: CMD and everything it forks or execs see the same refusal, and nothing can
 * remove it. PR_SET_NO_NEW_PRIVS comes first, so no privilege is needed (and a set-user-ID
 * program run under it gains none).
 *
 * The filter is classic BPF written by hand (no libseccomp). A system call number only means
 * something for one ABI, so the filter reads the architecture first: on x86_64 it refuses the
 * native call (298), the x32 one (298 with __X32_SYSCALL_BIT) and the i386 compat one (336); on
 * aarch64 the native one; any other architecture kills the process rather than let a call whose
 * number it cannot read through.
 *
 * Exit status: CMD's (it replaces noperf); 2 for a usage error; 1 when the filter cannot be
 * installed; as env(1), 127 when CMD is not found and 126 when it cannot be run (each with a
 * message on stderr).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define NR_NATIVE   __NR_perf_event_open /* 298 */
#define NR_X32	    (0x40000000u | 298u) /* the same call through the x32 ABI */
#define COMPAT_ARCH AUDIT_ARCH_I386
#define NR_COMPAT   336u /* i386 __NR_perf_event_open */
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define NR_NATIVE   __NR_perf_event_open /* 241 */
#endif

static const struct {
	const char *name;
	int value;
} errnos[] = {
    {"EACCES", EACCES},
    {"EPERM", EPERM},
    {"ENOSYS", ENOSYS},
};

static int usage(const char *why)
{
	fprintf(stderr,
		"noperf: %s\n"
		"usage: noperf [--errno EACCES|EPERM|ENOSYS] -- CMD ARGS...\n"
		"  runs CMD with perf_event_open failing with that errno (default EACCES)\n",
		why);
	return 2;
}

#ifdef NATIVE_ARCH
/* Loads the system call number or the architecture from struct seccomp_data. */
#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
/* if (A == k) skip t instructions else skip f. */
#define JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define RET(v)	     BPF_STMT(BPF_RET | BPF_K, (v))

static int install(int err)
{
	const __u32 refuse = SECCOMP_RET_ERRNO | ((__u32)err & SECCOMP_RET_DATA);
	struct sock_filter code[] = {
	    LOAD(arch),
#ifdef COMPAT_ARCH
	    JEQ(NATIVE_ARCH, 0, 4),
	    LOAD(nr),
	    JEQ(NR_NATIVE, 7, 0), /* -> refuse */
	    JEQ(NR_X32, 6, 0),	  /* -> refuse */
	    RET(SECCOMP_RET_ALLOW),
	    /* not native: the compat ABI, or an ABI this filter cannot read */
	    JEQ(COMPAT_ARCH, 1, 0),
	    RET(SECCOMP_RET_KILL_PROCESS),
	    LOAD(nr),
	    JEQ(NR_COMPAT, 1, 0), /* -> refuse */
	    RET(SECCOMP_RET_ALLOW),
#else
	    JEQ(NATIVE_ARCH, 1, 0),
	    RET(SECCOMP_RET_KILL_PROCESS),
	    LOAD(nr),
	    JEQ(NR_NATIVE, 1, 0), /* -> refuse */
	    RET(SECCOMP_RET_ALLOW),
#endif
	    RET(refuse),
	};
	struct sock_fprog prog = {.len = (unsigned short)(sizeof(code) / sizeof(code[0])),
				  .filter = code};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return -errno;
	return 0;
}
#else
static int install(int err)
{
	(void)err;
	return -EAFNOSUPPORT; /* no system call numbers known for this architecture */
}
#endif

int main(int argc, char **argv)
{
	int err = EACCES, i = 1;
	if (i < argc && !strcmp(argv[i], "--errno")) {
		if (i + 1 >= argc)
			return usage("--errno needs a value: EACCES, EPERM or ENOSYS");
		size_t k;
		for (k = 0; k < sizeof(errnos) / sizeof(errnos[0]); k++)
			if (!strcmp(argv[i + 1], errnos[k].name))
				break;
		if (k == sizeof(errnos) / sizeof(errnos[0])) {
			char why[160];
			snprintf(why, sizeof(why),
				 "unknown errno '%.64s': use EACCES, EPERM or ENOSYS", argv[i + 1]);
			return usage(why);
		}
		err = errnos[k].value;
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--"))
		return usage(i < argc ? "expected -- before the command" : "no command given");
	i++;
	if (i >= argc)
		return usage("no command after --");
	int r = install(err);
	if (r < 0) {
		fprintf(stderr, "noperf: cannot install the seccomp filter: %s\n",
			r == -EAFNOSUPPORT ? "not built for this architecture" : strerror(-r));
		return 1;
	}
	execvp(argv[i], argv + i);
	int e = errno;
	fprintf(stderr, "noperf: cannot run '%s': %s\n", argv[i], strerror(e));
	return e == ENOENT ? 127 : 126;
}

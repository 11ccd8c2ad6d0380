/*
 * load.c: loading a profile of any format and picking its sample type, for the commands (see
 * load.h). The format is told from the first 64 KiB, never from the file name: gzip magic or
 * raw protobuf -> pprof; gperftools' header -> its CPU profile (symbolized here from the files
 * its maps text names); other binary data -> refused at once; text -> `perf script` when
 * sc_perfscript_sniff says so (streamed), else folded stacks. Only pprof and folded stacks are
 * held in memory whole, so only they meet the --max-input cap (pprof twice: the file and what it
 * decompresses to).
 */
#include "cli/load.h"

#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "formats/folded.h"
#include "formats/gperftools.h"
#include "formats/perfscript.h"
#include "formats/pprof.h"
#include "symbolize/symbolize.h"
#include "util/diag.h"
#include "util/fileio.h"
#include "util/strbuf.h"

/* How much of the input is looked at to tell its format. */
#define HEAD_BYTES 65536
#define FORMATS                                                                                    \
	"pprof (gzip-compressed or not), gperftools CPU profiles, perf script text or folded "     \
	"stacks"

int sc_cli_load_profile(const char *cmd, const char *path, sc_profile **out)
{
	return sc_cli_load_profile_opts(cmd, path, NULL, out);
}

int sc_cli_load_profile_times(const char *cmd, const char *path, bool keep_times, sc_profile **out)
{
	sc_cli_load_options o = {.keep_times = keep_times};
	return sc_cli_load_profile_opts(cmd, path, &o, out);
}

/* How a load ended, in the command's voice: the parser's diagnostic for -EINVAL, the error for
 * others. Returns 0 when r is 0, else 1 (the commands' exit status). */
static int loaded(const char *cmd, const char *path, int r, const sc_diag *d)
{
	if (r == -EINVAL) {
		char buf[1024];
		sc_cli_error(cmd, 0, "%s", sc_diag_format(d, buf, sizeof(buf)));
		return 1;
	}
	if (r < 0) {
		sc_cli_error(cmd, r, "cannot load '%s'", path);
		return 1;
	}
	return 0;
}

/* A byte count as --max-input takes it: "1G", "512M", "64K" when exact, else the bytes. */
static const char *format_size(uint64_t v, char *buf, size_t size)
{
	static const char units[] = "KMG";
	int u = -1;
	while (u < 2 && v && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%" PRIu64 " bytes", v);
	else
		snprintf(buf, size, "%" PRIu64 "%c", v, units[u]);
	return buf;
}

/* Says that `path` is over the --max-input cap: `what` holds one %s, for the cap. Returns 1 (the
 * commands' exit status). */
static int over_cap(const char *cmd, const char *path, const char *what, uint64_t max)
{
	char size[32], why[256];
	snprintf(why, sizeof(why), what, format_size(max, size, sizeof(size)));
	sc_cli_error(cmd, 0,
		     "'%s' %s, the cap on an input held in memory (raise it with --max-input SIZE)",
		     path, why);
	return 1;
}

int sc_cli_parse_max_input(const char *cmd, const char *arg, uint64_t *out)
{
	const char *why = NULL;
	char *end;
	errno = 0;
	if (!arg[0] || arg[0] < '0' || arg[0] > '9') {
		why = "expected a number of bytes with an optional K, M or G suffix";
	} else {
		uint64_t v = strtoull(arg, &end, 10), mul = 1;
		if (*end == 'K' || *end == 'k')
			mul = (uint64_t)1 << 10, end++;
		else if (*end == 'M' || *end == 'm')
			mul = (uint64_t)1 << 20, end++;
		else if (*end == 'G' || *end == 'g')
			mul = (uint64_t)1 << 30, end++;
		if (*end)
			why = "expected a number of bytes with an optional K, M or G suffix";
		else if (errno == ERANGE || v > UINT64_MAX / mul ||
			 v * mul > (uint64_t)SIZE_MAX / 2)
			why = "too large";
		else if (v == 0)
			why = "must be at least 1 byte";
		else
			*out = v * mul;
	}
	if (why) {
		sc_cli_error(cmd, 0, "bad value '%s' for --max-input: %s", arg, why);
		return 2;
	}
	return 0;
}

/* Text, or binary data? A NUL byte (which pprof, perf.data, executables and /dev/zero all have
 * early, and no text format does), or mostly control characters, make it binary. Names in a text
 * profile may hold any other byte, control characters included (a hostile program's symbols), so
 * a few of them do not. */
static bool is_text(const unsigned char *b, size_t n)
{
	size_t ctl = 0;
	for (size_t i = 0; i < n; i++) {
		if (b[i] == 0)
			return false;
		if (b[i] < 0x20 && !strchr("\t\n\r\f\v\x1b", b[i]))
			ctl++;
	}
	return ctl * 10 <= n * 3;
}

/* Does the text start like one of the legacy text profiles of gperftools, Go and Java that pprof
 * reads ("heap profile: ...", "--- contentionz 1 ---", "threadcreate profile: total 7")? */
static bool legacy_text(const char *s, size_t n)
{
	static const char *const heads[] = {"heap profile:",	     "--- contention",
					    "--- threadz",	     "--- heapz",
					    "threadcreate profile:", "goroutine profile:"};
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		if (n >= strlen(heads[i]) && memcmp(s, heads[i], strlen(heads[i])) == 0)
			return true;
	return false;
}

/* Reads the rest of f after the head[0..nh) already read, into one malloc'd buffer (NUL-terminated)
 * of at most `max` bytes. Returns 0, -EFBIG past max, -ENOMEM or -errno. */
static int read_rest(FILE *f, const char *head, size_t nh, uint64_t max, char **data, size_t *n)
{
	sc_strbuf all = {0};
	char chunk[65536];
	size_t got;
	int r = nh > max ? -EFBIG : sc_strbuf_add(&all, head, nh);
	while (r == 0 && (got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (all.len + got > max)
			r = -EFBIG;
		else
			r = sc_strbuf_add(&all, chunk, got);
	}
	if (r == 0 && ferror(f))
		r = errno ? -errno : -EIO;
	*n = all.len;
	*data = sc_strbuf_detach(&all);
	if (r == 0 && !*data && !(*data = calloc(1, 1)))
		r = -ENOMEM;
	if (r < 0) {
		free(*data);
		*data = NULL;
	}
	return r;
}

/* How many threads read a big `perf script` file: SCORCH_THREADS when it is a number from 1 to
 * 64 (1: one thread, the reference the tests compare with), else the CPUs the machine leaves idle
 * (online CPUs less the 1-minute load average, as make -l judges it), at least 1 and at most 8:
 * on a busy machine a second part only costs CPU (it parses again the callchains the first part
 * already knew) and gains no time. The profile is the same whatever the count
 * (src/formats/perfscript_split.c). */
static int parse_threads(void)
{
	const char *e = getenv("SCORCH_THREADS");
	char *end;
	long n = e && *e ? strtol(e, &end, 10) : 0;
	if (e && *e && !*end && n >= 1 && n <= 64)
		return (int)n;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double load = 0;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &load) != 1)
			load = 0;
		fclose(f);
	}
	long idle = cpus - (long)(load + 0.5);
	return idle < 1 ? 1 : idle > 8 ? 8 : (int)idle;
}

int sc_cli_load_profile_opts(const char *cmd, const char *path, const sc_cli_load_options *o,
			     sc_profile **out)
{
	static char head[HEAD_BYTES];
	char *data = NULL;
	size_t n = 0, nh;
	bool in = strcmp(path, "-") == 0, keep_times = o && o->keep_times;
	uint64_t max = o && o->max_input ? o->max_input : SC_CLI_MAX_INPUT_DEFAULT;
	struct stat st;
	int r;
	sc_diag d;
	*out = NULL;
	sc_diag_clear(&d);
	sc_diag_set_file(&d, in ? "<stdin>" : path);
	FILE *f = in ? stdin : fopen(path, "r");
	if (!f) {
		sc_cli_error(cmd, -errno, "cannot read '%s'", path);
		return 1;
	}
	/* fopen() opens a directory, and reading it then fails with EIO from stdio. A recording's
	 * folder (scorch record's, scorch heap's) stands for its profile. */
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		static const char *const inside[] = {"profile.pb.gz", "heap.pb.gz"};
		fclose(f);
		for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
			char sub[PATH_MAX];
			int w = snprintf(sub, sizeof(sub), "%s/%s", path, inside[i]);
			if (w > 0 && (size_t)w < sizeof(sub) && access(sub, F_OK) == 0)
				return sc_cli_load_profile_opts(cmd, sub, o, out);
		}
		sc_cli_error(cmd, -EISDIR,
			     "cannot read '%s': a folder without profile.pb.gz or heap.pb.gz (the "
			     "profile of a scorch record or scorch heap output folder)",
			     path);
		return 1;
	}
	nh = fread(head, 1, sizeof(head), f);
	if (ferror(f)) {
		r = errno ? -errno : -EIO;
		goto read_failed;
	}
	const unsigned char *b = (const unsigned char *)head;
	bool text = is_text(b, nh);
	/* gzip (pprof's usual form; its decompressed size is capped inside the decoder) or raw
	 * protobuf. */
	bool pprof =
	    (nh >= 2 && b[0] == 0x1f && b[1] == 0x8b) || (!text && sc_pprof_sniff(head, nh));
	bool gperf = !pprof && !text && sc_gperftools_sniff(head, nh);
	if (nh >= 8 && !memcmp(head, "PERFILE2", 8)) {
		sc_cli_error(cmd, 0,
			     "'%s' is a perf.data file: scorch reads perf's samples as text; run: "
			     "perf script -i '%s' | scorch %s -",
			     path, path, cmd);
		r = 1;
		goto close;
	}
	if (pprof || gperf) {
		/* Read whole below. */
	} else if (!text) {
		sc_cli_error(cmd, 0,
			     "'%s' is not a profile scorch reads (" FORMATS
			     "): it starts with binary data",
			     path);
		r = 1;
		goto close;
	} else if (legacy_text(head, nh)) {
		sc_cli_error(cmd, 0,
			     "'%s' is a legacy pprof text profile (heap, growth, contention or "
			     "threads), which scorch does not read: convert it with "
			     "'go tool pprof -proto FILE > FILE.pb.gz'",
			     path);
		r = 1;
		goto close;
	} else if (sc_perfscript_sniff(head, nh)) {
		/* perf script text can be GiBs: streamed; what it builds (distinct stacks, or
		 * every sample when times are kept) is what meets the cap. */
		sc_perfscript_stream_options so = {.flags = keep_times ? SC_PERFSCRIPT_TIMES : 0,
						   .max_memory = max,
						   .threads = parse_threads()};
		r = sc_perfscript_read_stream_opts(f, head, nh, &so, out, &d);
		if (r == -EFBIG) {
			r = over_cap(cmd, path,
				     keep_times
					 ? "needs more than %s of memory (its distinct "
					   "stacks and every sample's time)"
					 : "needs more than %s of memory (its distinct stacks)",
				     max);
			goto close;
		}
		if (r < 0 && r != -EINVAL && r != -ENOMEM)
			goto read_failed;
		r = loaded(cmd, path, r, &d);
		goto close;
	}
	/* pprof or folded stacks: the whole file, head first, up to the cap. */
	r = read_rest(f, head, nh, max, &data, &n);
	if (r == -EFBIG) {
		r = over_cap(cmd, path, "is larger than %s", max);
		goto close;
	}
	if (r < 0)
		goto read_failed;
	if (gperf) {
		/* Its addresses are raw: name them from the files its maps text lists (those
		 * missing get "module+0xoffset" names). */
		if ((r = loaded(cmd, path, sc_gperftools_parse(data, n, out, &d), &d)) == 0 &&
		    (r = sc_symbolize_profile(*out, NULL, NULL)) < 0) {
			sc_cli_error(cmd, r, "cannot symbolize '%s'", path);
			sc_profile_free(*out);
			*out = NULL;
			r = 1;
		}
		goto close;
	}
	if (!pprof) {
		r = loaded(cmd, path, sc_folded_parse(data, n, out, &d), &d);
		goto close;
	}
	r = sc_pprof_decode_max(data, n, max, out, &d);
	if (r == -EFBIG) {
		r = over_cap(cmd, path, "decompresses to more than %s", max);
		goto close;
	}
	r = loaded(cmd, path, r, &d);
	goto close;
read_failed:
	sc_cli_error(cmd, r, "cannot read '%s'", path);
	r = 1;
close:
	free(data);
	if (!in)
		fclose(f);
	return r;
}

int sc_cli_pick_sample_type(const char *cmd, const sc_profile *p, const char *name)
{
	if (!p->nsample_types) {
		sc_cli_error(cmd, 0, "the profile has no sample types");
		return -1;
	}
	if (!name) {
		int t =
		    p->default_sample_type
			? sc_profile_find_sample_type(p, sc_profile_str(p, p->default_sample_type))
			: -1;
		return t >= 0 ? t : (int)p->nsample_types - 1;
	}
	int t = sc_profile_find_sample_type(p, name);
	if (t >= 0)
		return t;
	/* The names come from the file: sc_cli_error shows the message escaped. */
	sc_strbuf valid = {0};
	for (size_t i = 0; i < p->nsample_types; i++)
		sc_strbuf_addf(&valid, "%s%s", i ? ", " : "",
			       sc_profile_str(p, p->sample_types[i].type));
	sc_cli_error(cmd, 0, "unknown sample type '%s' (this profile has: %s)", name,
		     sc_strbuf_cstr(&valid));
	sc_strbuf_release(&valid);
	return -1;
}

int sc_cli_check_output(const char *cmd, const char *flag, const char *path, bool folder,
			const char *hint)
{
	struct stat st;
	if (!path || strcmp(path, "-") == 0 || stat(path, &st) != 0)
		return 0; /* not there yet (or unreadable: the write says why) */
	if (folder && !S_ISDIR(st.st_mode)) {
		sc_cli_error(cmd, 0, "%s '%s' is a file, and %s names a folder to write into%s%s",
			     flag, path, flag, hint ? ": " : "", hint ? hint : "");
		return 2;
	}
	if (!folder && S_ISDIR(st.st_mode)) {
		sc_cli_error(cmd, 0, "%s '%s' is a folder, and %s names the one file to write%s%s",
			     flag, path, flag, hint ? ": " : "", hint ? hint : "");
		return 2;
	}
	return 0;
}

const char *sc_cli_title(const char *path, char *buf, unsigned long size)
{
	const char *base = strcmp(path, "-") == 0 ? "stdin" : path;
	const char *slash = strrchr(base, '/');
	snprintf(buf, size, "scorch: %s", slash && slash[1] ? slash + 1 : base);
	return buf;
}

/*
 * load.c: loading a profile of any format and picking its sample type, for the commands (see
 * load.h). The format is told from the content, never from the file name.
 */
#include "cli/load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "formats/folded.h"
#include "formats/perfscript.h"
#include "formats/pprof.h"
#include "util/diag.h"
#include "util/fileio.h"
#include "util/strbuf.h"

int sc_cli_load_profile(const char *cmd, const char *path, sc_profile **out)
{
	return sc_cli_load_profile_times(cmd, path, false, out);
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

int sc_cli_load_profile_times(const char *cmd, const char *path, bool keep_times, sc_profile **out)
{
	char *data = NULL;
	size_t n = 0;
	*out = NULL;
	int r;
	bool in = strcmp(path, "-") == 0;
	sc_diag d;
	sc_diag_clear(&d);
	sc_diag_set_file(&d, in ? "<stdin>" : path);
	/* perf script text can be GiBs: look at its head, then stream it (memory grows with
	 * distinct stacks, not with the text). */
	{
		FILE *f = in ? stdin : fopen(path, "r");
		if (!f) {
			sc_cli_error(cmd, -errno, "cannot read '%s'", path);
			return 1;
		}
		static char head[65536];
		size_t nh = fread(head, 1, sizeof(head), f);
		if (sc_perfscript_sniff(head, nh)) {
			r = sc_perfscript_read_stream(
			    f, head, nh, keep_times ? SC_PERFSCRIPT_TIMES : 0, out, &d);
			if (!in)
				fclose(f);
			return loaded(cmd, path, r, &d);
		}
		/* Not perf script: the whole file, head first. */
		sc_strbuf all = {0};
		char chunk[65536];
		size_t got;
		r = sc_strbuf_add(&all, head, nh);
		while (r == 0 && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
			r = sc_strbuf_add(&all, chunk, got);
		if (r == 0 && ferror(f))
			r = -EIO;
		if (!in)
			fclose(f);
		n = all.len;
		data = sc_strbuf_detach(&all);
		if (r == 0 && !data)
			data = calloc(1, 1);
	}
	if (r < 0) {
		sc_cli_error(cmd, r, "cannot read '%s'", path);
		return 1;
	}
	if (sc_pprof_sniff(data, n))
		r = sc_pprof_decode(data, n, out, &d);
	else
		r = sc_folded_parse(data, n, out, &d);
	free(data);
	return loaded(cmd, path, r, &d);
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
	sc_strbuf valid = {0};
	for (size_t i = 0; i < p->nsample_types; i++)
		sc_strbuf_addf(&valid, "%s%s", i ? ", " : "",
			       sc_profile_str(p, p->sample_types[i].type));
	sc_cli_error(cmd, 0, "unknown sample type '%s' (this profile has: %s)", name,
		     sc_strbuf_cstr(&valid));
	sc_strbuf_release(&valid);
	return -1;
}

const char *sc_cli_title(const char *path, char *buf, unsigned long size)
{
	const char *base = strcmp(path, "-") == 0 ? "stdin" : path;
	const char *slash = strrchr(base, '/');
	snprintf(buf, size, "scorch: %s", slash && slash[1] ? slash + 1 : base);
	return buf;
}

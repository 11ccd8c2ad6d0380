/*
 * report_all.c: `scorch report --all -o OUT FOLDER`, a folder of recordings into a folder of
 * report sets: every profile found under FOLDER (any mix of `scorch run` session folders,
 * `record`/`heap`/`trace` output folders and loose files) gets the report set of
 * report/reportset.h in OUT/<its path under FOLDER, without .pb.gz>/, and OUT/index.html links
 * them all with each profile's sample type and total.
 *
 * What counts as a recording: files ending in .pb.gz (profile.pb.gz, heap.pb.gz, peak.pb.gz,
 * spans.pb.gz...) and .folded files that have no profile.pb.gz beside them (record writes both).
 * Symbolic links are not followed (a session folder's `latest` would count a session twice), and
 * neither is OUT when it lies inside FOLDER. A file that cannot be read is reported and skipped;
 * the others are still written. report's filters do not apply here (each set is of the whole
 * profile, as `scorch report --all FILE` without them).
 */
#include "cli/commands.h"
#include "cli/load.h"
#include "cli/report_all.h"
#include "report/reportset.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 8

typedef struct found {
	char **rel; /* paths under the input folder */
	size_t len, cap;
} found;

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int add(found *f, const char *rel)
{
	if (f->len == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;
		char **nr = realloc(f->rel, cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		f->rel = nr;
		f->cap = cap;
	}
	if (!(f->rel[f->len] = strdup(rel)))
		return -ENOMEM;
	f->len++;
	return 0;
}

static int walk(const char *root, const char *rel, const struct stat *skip, int depth, found *f)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s%s%s", root, rel[0] ? "/" : "", rel);
	DIR *d = opendir(path);
	if (!d)
		return depth ? 0 : -errno;
	struct dirent *e;
	bool has_pprof = false;
	char sub[PATH_MAX], full[2 * PATH_MAX + 2];
	int r = 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, "profile.pb.gz") == 0)
			has_pprof = true;
	rewinddir(d);
	while (r == 0 && (e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
		snprintf(full, sizeof(full), "%s/%s", root, sub);
		if (lstat(full, &st) < 0 || S_ISLNK(st.st_mode))
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < MAX_DEPTH &&
			    !(skip && st.st_dev == skip->st_dev && st.st_ino == skip->st_ino))
				r = walk(root, sub, skip, depth + 1, f);
		} else if (S_ISREG(st.st_mode) &&
			   (ends_with(e->d_name, ".pb.gz") ||
			    (ends_with(e->d_name, ".folded") && !has_pprof))) {
			r = add(f, sub);
		}
	}
	closedir(d);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* OUT/<rel without .pb.gz or .folded>. */
static void set_dir(const char *out, const char *rel, char *buf, size_t size)
{
	size_t n = strlen(rel);
	size_t cut = ends_with(rel, ".pb.gz") ? 6 : ends_with(rel, ".folded") ? 7 : 0;
	snprintf(buf, size, "%s/%.*s", out, (int)(n - cut), rel);
}

int sc_cli_report_folder(const char *in, const char *out, size_t top)
{
	found f = {0};
	struct stat out_st;
	bool have_out = stat(out, &out_st) == 0;
	int r = walk(in, "", have_out ? &out_st : NULL, 0, &f), rc = 0;
	if (r < 0) {
		sc_cli_error("report", r, "cannot read the folder '%s'", in);
		rc = 1;
		goto out;
	}
	if (!f.len) {
		sc_cli_error("report", 0, "no recordings (.pb.gz or .folded files) under '%s'", in);
		rc = 1;
		goto out;
	}
	qsort(f.rel, f.len, sizeof(*f.rel), cmp_str);
	if ((r = sc_mkdir_p(out)) < 0) {
		sc_cli_error("report", r, "cannot create the folder '%s'", out);
		rc = 1;
		goto out;
	}
	sc_strbuf idx = {0};
	size_t written = 0;
	sc_strbuf_adds(&idx, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
			     "<title>scorch report: ");
	sc_strbuf_add_html(&idx, in);
	sc_strbuf_adds(&idx, "</title>\n<style>body{font:14px sans-serif;margin:2em}"
			     "td,th{padding:.2em .8em;text-align:left}</style></head><body>\n"
			     "<h1>scorch report: ");
	sc_strbuf_add_html(&idx, in);
	sc_strbuf_adds(&idx, "</h1>\n<table>\n<tr><th>recording</th><th>sample type</th>"
			     "<th>total</th><th>views</th></tr>\n");
	for (size_t i = 0; i < f.len; i++) {
		char path[2 * PATH_MAX + 2], dir[2 * PATH_MAX + 2];
		snprintf(path, sizeof(path), "%s/%s", in, f.rel[i]);
		set_dir(out, f.rel[i], dir, sizeof(dir));
		sc_profile *p = NULL;
		int type;
		if (sc_cli_load_profile("report", path, &p) != 0 ||
		    (type = sc_cli_pick_sample_type("report", p, NULL)) < 0) {
			sc_profile_free(p);
			rc = 1;
			continue;
		}
		sc_reportset_options ro = {
		    .type = type, .top = top, .title = f.rel[i], .source = f.rel[i]};
		sc_diag d;
		sc_diag_clear(&d);
		if ((r = sc_reportset_write(p, &ro, dir, &d)) < 0) {
			char buf[1024];
			sc_cli_error("report", d.message[0] ? 0 : r, "%s: %s", path,
				     d.message[0] ? sc_diag_format(&d, buf, sizeof(buf))
						  : "cannot write the report set");
			sc_profile_free(p);
			rc = 1;
			continue;
		}
		int64_t totals[SC_MAX_SAMPLE_TYPES] = {0};
		sc_profile_totals(p, totals);
		const char *link = dir + strlen(out) + 1;
		sc_strbuf_adds(&idx, "<tr><td>");
		sc_strbuf_add_html(&idx, f.rel[i]);
		sc_strbuf_adds(&idx, "</td><td>");
		sc_strbuf_add_html(&idx, sc_profile_str(p, p->sample_types[type].type));
		sc_strbuf_addf(&idx, "</td><td>%lld ", (long long)totals[type]);
		sc_strbuf_add_html(&idx, sc_profile_str(p, p->sample_types[type].unit));
		sc_strbuf_adds(&idx, "</td><td>");
		static const char *const views[] = {"report.md", "flamegraph.html",
						    "butterfly.html", "summary.txt",
						    "hotspots.json"};
		for (size_t v = 0; v < sizeof(views) / sizeof(views[0]); v++) {
			sc_strbuf_adds(&idx, "<a href=\"");
			sc_strbuf_add_html(&idx, link);
			sc_strbuf_addf(&idx, "/%s\">%s</a> ", views[v], views[v]);
		}
		sc_strbuf_adds(&idx, "</td></tr>\n");
		sc_profile_free(p);
		written++;
	}
	sc_strbuf_adds(&idx, "</table>\n</body></html>\n");
	char ipath[PATH_MAX + 16];
	snprintf(ipath, sizeof(ipath), "%s/index.html", out);
	if (!idx.buf || (r = sc_write_file(ipath, idx.buf, idx.len)) < 0) {
		sc_cli_error("report", idx.buf ? r : -ENOMEM, "cannot write '%s'", ipath);
		rc = 1;
	}
	sc_strbuf_release(&idx);
	fprintf(stderr,
		"scorch report: wrote %zu report set%s of %zu recording%s into %s (index.html)\n",
		written, written == 1 ? "" : "s", f.len, f.len == 1 ? "" : "s", out);
out:
	for (size_t i = 0; i < f.len; i++)
		free(f.rel[i]);
	free(f.rel);
	return rc;
}

/*
 * config.c: `scorch config check FILE...`, `scorch config init [FILE]` and `scorch config keys`:
 * the settings file of `scorch run` (scorch.toml), checked, written with its defaults, listed.
 *
 * The keys, their defaults, ranges and help come from one table (config/schema.h); this file only
 * parses options, prints and writes. `check` prints "FILE: ok" and the notes (keys that have no
 * effect on Linux) on stdout, or every error as "scorch config: FILE:LINE:COL: MESSAGE" on stderr.
 * `init` writes through util/fileio.h (a temporary renamed into place), never over an existing
 * file without --force; "-" is standard output. `keys` prints the Markdown table of
 * docs/config.md.
 *
 * Exit status: 0; 1 when a file has errors or cannot be read or written; 2 for bad usage.
 */
#include "cli/commands.h"
#include "cli/options.h"
#include "config/schema.h"
#include "util/fileio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef SCORCH_VERSION
#define SCORCH_VERSION "0.1.0"
#endif

static const char *const usage[] = {
    "scorch config check FILE...",
    "scorch config init [--force] [FILE]",
    "scorch config keys",
    NULL,
};

static const char *const examples[] = {
    "scorch config init              # writes scorch.toml with every key at its default",
    "scorch config check scorch.toml",
    "scorch config init - | less",
    NULL,
};

static int check(char **files, int n)
{
	int rc = 0;
	for (int i = 0; i < n; i++) {
		sc_config cfg;
		sc_config_report rep = {0};
		int r = sc_config_load(files[i], &cfg, &rep);
		char buf[1024];
		if (r < 0 && r != -EINVAL && !rep.len) {
			sc_cli_error("config", r, "cannot read '%s'", files[i]);
			rc = 1;
		}
		for (size_t k = 0; k < rep.len; k++) {
			const char *msg = sc_diag_format(&rep.items[k].d, buf, sizeof(buf));
			if (rep.items[k].error)
				sc_cli_error("config", 0, "%s", msg);
		}
		if (rep.truncated)
			sc_cli_error("config", 0,
				     "%s: more than %d problems; the rest are not shown", files[i],
				     SC_CONFIG_MAX_NOTES);
		if (r == 0) {
			printf("%s: ok\n", files[i]);
			for (size_t k = 0; k < rep.len; k++)
				if (!rep.items[k].error)
					printf("%s\n",
					       sc_diag_format(&rep.items[k].d, buf, sizeof(buf)));
		} else if (rep.errors) {
			sc_cli_error("config", 0, "%s: %zu error%s", files[i], rep.errors,
				     rep.errors == 1 ? "" : "s");
			rc = 1;
		}
		sc_config_report_release(&rep);
		sc_config_release(&cfg);
	}
	return rc;
}

static const char *type_name(enum sc_config_type t)
{
	static const char *const names[] = {"boolean", "integer", "number", "string",
					    "array of strings"};
	return names[t];
}

/* "1 to 100000", "one of a, b", or "" */
static const char *range_text(const sc_config_key *k, char *buf, size_t size)
{
	buf[0] = '\0';
	if (k->type == SC_CONFIG_INT)
		snprintf(buf, size, "%.0f to %.0f", k->min, k->max);
	else if (k->type == SC_CONFIG_FLOAT)
		snprintf(buf, size, "%g to %g", k->min, k->max);
	else if (k->choices)
		snprintf(buf, size, "one of %s", k->choices);
	return buf;
}

static int write_init(FILE *f)
{
	fprintf(f,
		"# scorch.toml: the settings of `scorch run`, written by `scorch config init` "
		"(scorch %s).\n"
		"# Every key is here with its default: change what you need, delete the rest.\n"
		"# Command-line flags override this file. Check it with: scorch config check "
		"FILE\n"
		"# The keys, their types and ranges: docs/config.md (or: scorch config keys).\n",
		SCORCH_VERSION);
	const char *section = "";
	for (size_t i = 0; i < sc_config_nkeys; i++) {
		const sc_config_key *k = &sc_config_keys[i];
		if (k->no_effect)
			continue;
		if (strcmp(section, k->section))
			fprintf(f, "\n[%s]\n", k->section);
		section = k->section;
		char range[256];
		range_text(k, range, sizeof(range));
		fprintf(f, "# %s%s%s\n%s = %s\n", k->help, range[0] ? "; " : "", range, k->name,
			k->def);
	}
	return ferror(f) ? -EIO : 0;
}

static int init(const char *path, bool force)
{
	struct stat st;
	/* A file or a link to one is never replaced unasked; devices and FIFOs (/dev/stdout,
	 * /dev/null) are written into. */
	bool system = !strncmp(path, "/dev/", 5) || !strncmp(path, "/proc/", 6);
	if (strcmp(path, "-") && !force && !system && lstat(path, &st) == 0 &&
	    (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
		sc_cli_error("config", 0, "'%s' exists; use --force to replace it", path);
		return 1;
	}
	sc_afile f;
	int r = sc_afile_open(&f, path);
	if (r < 0) {
		sc_cli_error("config", r, "cannot write '%s'", path);
		return 1;
	}
	r = write_init(f.fp);
	r = r < 0 ? sc_afile_fail(&f, r) : sc_afile_commit(&f);
	if (r < 0) {
		sc_cli_error("config", r, "cannot write '%s'", path);
		return 1;
	}
	if (strcmp(path, "-"))
		fprintf(stderr, "scorch config: wrote %s\n", path);
	return 0;
}

static void keys(void)
{
	printf("| key | type | default | range | meaning |\n| --- | --- | --- | --- | --- |\n");
	for (size_t i = 0; i < sc_config_nkeys; i++) {
		const sc_config_key *k = &sc_config_keys[i];
		char range[256];
		printf("| `%s.%s` | %s | `%s` | %s | %s |\n", k->section, k->name,
		       type_name(k->type), k->def, range_text(k, range, sizeof(range)), k->help);
	}
}

int cmd_config(int argc, char **argv)
{
	bool force = false;
	sc_option opts[] = {
	    SC_OPT_FLAG(0, "force", &force, "init: replace an existing FILE"),
	    SC_OPT_END(),
	};
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args) {
		sc_cli_error("config", -ENOMEM, "cannot start");
		return 1;
	}
	int rc = 2;
	int nargs = sc_options_parse_args("config", usage, opts, examples, argc, argv, args);
	if (nargs == SC_OPTIONS_HELP) {
		rc = 0;
		goto out;
	}
	if (nargs < 0)
		goto out;
	const char *sub = nargs ? args[0] : NULL;
	if (!sub) {
		sc_cli_error("config", 0,
			     "no subcommand: check, init or keys (see scorch config "
			     "--help)");
	} else if (!strcmp(sub, "check")) {
		if (nargs < 2)
			sc_cli_error("config", 0, "check wants a FILE: %s", usage[0]);
		else
			rc = check(args + 1, nargs - 1);
	} else if (!strcmp(sub, "init")) {
		if (nargs > 2)
			sc_cli_error("config", 0, "init takes at most one FILE: %s", usage[1]);
		else
			rc = init(nargs == 2 ? args[1] : "scorch.toml", force);
	} else if (!strcmp(sub, "keys")) {
		if (nargs > 1) {
			sc_cli_error("config", 0, "keys takes no argument: %s", usage[2]);
		} else {
			keys();
			rc = 0;
		}
	} else {
		sc_cli_error("config", 0, "unknown subcommand '%s': check, init or keys", sub);
	}
out:
	free(args);
	return rc;
}

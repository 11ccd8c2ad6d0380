/*
 * options.c: the option-table parser and help generator (see options.h).
 *
 * Hand-rolled rather than getopt_long so that "--opt=value", "--opt value", "-Fvalue", "-F value"
 * and the help text all come from one table, and so that parsing never reorders argv (getopt's
 * permutation would steal the profiled command's options).
 */
#include "cli/options.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes the unit of `o` for a message: its argname in lower case when that is a word of four
 * or more capitals (SECONDS -> " of seconds"), else nothing (N, PID, HZ are not units). */
static void unit_of(const sc_option *o, char *buf, size_t size)
{
	const char *a = o->argname;
	size_t n = a ? strlen(a) : 0;
	buf[0] = '\0';
	if (n < 4 || n + 5 > size)
		return;
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)a[i]))
			return;
	memcpy(buf, " of ", 4);
	for (size_t i = 0; i < n; i++)
		buf[4 + i] = (char)tolower((unsigned char)a[i]);
	buf[4 + n] = '\0';
}

/* Says that `arg` is not a valid value for `o`, naming the range when it has one. */
static void bad_number(const char *cmd, const sc_option *o, const char *arg)
{
	char unit[64];
	unit_of(o, unit, sizeof(unit));
	const char *kind;
	if (o->type != SC_OPTION_INT)
		kind = o->ranged ? "a number" : "a finite number";
	else
		kind = unit[0] ? "a whole number" : "an integer";
	if (o->ranged)
		fprintf(stderr, "scorch %s: --%s must be %s%s between %.15g and %.15g, not '%s'\n",
			cmd, o->long_name, kind, unit, o->min, o->max, arg);
	else
		fprintf(stderr, "scorch %s: --%s must be %s%s, not '%s'\n", cmd, o->long_name, kind,
			unit, arg);
}

static int set_value(const char *cmd, const sc_option *o, const char *arg)
{
	char *end;
	switch (o->type) {
	case SC_OPTION_INT: {
		errno = 0;
		long v = strtol(arg, &end, 10);
		if (errno || end == arg || *end || v < INT_MIN || v > INT_MAX ||
		    (o->ranged && ((double)v < o->min || (double)v > o->max))) {
			bad_number(cmd, o, arg);
			return -1;
		}
		*(int *)o->value = (int)v;
		return 0;
	}
	case SC_OPTION_DOUBLE: {
		errno = 0;
		double v = strtod(arg, &end);
		/* inf and nan parse, but no option means them: nan fails every comparison, so a
		 * gate or a window given nan would silently switch off. */
		if (errno || end == arg || *end || !isfinite(v) ||
		    (o->ranged && (v < o->min || v > o->max))) {
			bad_number(cmd, o, arg);
			return -1;
		}
		*(double *)o->value = v;
		return 0;
	}
	case SC_OPTION_STR:
		*(const char **)o->value = arg;
		return 0;
	case SC_OPTION_LIST: {
		sc_option_list *l = o->value;
		const char **items = realloc(l->items, (size_t)(l->len + 1) * sizeof(*items));
		if (!items) {
			fprintf(stderr, "scorch %s: out of memory\n", cmd);
			return -1;
		}
		items[l->len++] = arg;
		l->items = items;
		return 0;
	}
	default:
		return -1;
	}
}

static bool takes_arg(const sc_option *o)
{
	return o->type != SC_OPTION_FLAG && o->type != SC_OPTION_NFLAG;
}

static int parse_from(const char *cmd, const char *const *usage, const sc_option *opts,
		      const char *const *examples, int argc, char **argv, int i)
{
	while (i < argc) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			return i + 1;
		if (a[0] != '-' || a[1] == '\0')
			return i;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			sc_options_help(cmd, usage, opts, examples);
			return SC_OPTIONS_HELP;
		}
		const sc_option *o = NULL;
		const char *inline_arg = NULL;
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t n = eq ? (size_t)(eq - name) : strlen(name);
			for (const sc_option *p = opts; p->type != SC_OPTION_END; p++)
				if (p->long_name && strlen(p->long_name) == n &&
				    strncmp(p->long_name, name, n) == 0)
					o = p;
			if (o && eq) {
				if (!takes_arg(o)) {
					fprintf(stderr, "scorch %s: --%s takes no value\n", cmd,
						o->long_name);
					return -1;
				}
				inline_arg = eq + 1;
			}
		} else {
			for (const sc_option *p = opts; p->type != SC_OPTION_END; p++)
				if (p->short_name && p->short_name == a[1])
					o = p;
			if (o && a[2]) {
				if (!takes_arg(o)) {
					fprintf(stderr, "scorch %s: unknown option '%s'\n", cmd, a);
					return -1;
				}
				inline_arg = a + 2;
			}
		}
		if (!o) {
			fprintf(stderr, "scorch %s: unknown option '%s' (see 'scorch %s --help')\n",
				cmd, a, cmd);
			return -1;
		}
		i++;
		if (o->type == SC_OPTION_FLAG || o->type == SC_OPTION_NFLAG) {
			*(bool *)o->value = o->type == SC_OPTION_FLAG;
			continue;
		}
		if (!inline_arg) {
			if (i >= argc) {
				fprintf(stderr, "scorch %s: option '%s' needs a value (%s)\n", cmd,
					a, o->argname ? o->argname : "ARG");
				return -1;
			}
			inline_arg = argv[i++];
		}
		if (set_value(cmd, o, inline_arg) < 0)
			return -1;
	}
	return i;
}

int sc_options_parse(const char *cmd, const char *const *usage, const sc_option *opts,
		     const char *const *examples, int argc, char **argv)
{
	return parse_from(cmd, usage, opts, examples, argc, argv, 1);
}

int sc_options_parse_args(const char *cmd, const char *const *usage, const sc_option *opts,
			  const char *const *examples, int argc, char **argv, char **args)
{
	int nargs = 0, i = 1;
	bool dashdash = false;
	while (i < argc) {
		if (!dashdash) {
			int r = parse_from(cmd, usage, opts, examples, argc, argv, i);
			if (r < 0)
				return r;
			dashdash = r > 1 && strcmp(argv[r - 1], "--") == 0 && r - 1 >= i;
			i = r;
			if (i >= argc)
				break;
		}
		args[nargs++] = argv[i++];
	}
	return nargs;
}

void sc_options_help(const char *cmd, const char *const *usage, const sc_option *opts,
		     const char *const *examples)
{
	(void)cmd;
	for (int i = 0; usage && usage[i]; i++)
		printf("%s %s\n", i == 0 ? "usage:" : "      ", usage[i]);
	printf("\noptions:\n");
	for (const sc_option *o = opts; o->type != SC_OPTION_END; o++) {
		char left[80];
		char s[8] = "    ";
		if (o->short_name)
			snprintf(s, sizeof(s), "-%c, ", o->short_name);
		if (!o->long_name) /* a short option alone, such as perf's -g */
			snprintf(left, sizeof(left), "-%c%s%s", o->short_name,
				 takes_arg(o) ? " " : "",
				 takes_arg(o) ? (o->argname ? o->argname : "ARG") : "");
		else if (takes_arg(o))
			snprintf(left, sizeof(left), "%s--%s %s", s, o->long_name,
				 o->argname ? o->argname : "ARG");
		else
			snprintf(left, sizeof(left), "%s--%s", s, o->long_name);
		printf("  %-28s %s\n", left, o->help);
	}
	printf("  %-28s %s\n", "-h, --help", "show this help");
	if (examples && examples[0]) {
		printf("\nEXAMPLES\n");
		for (int i = 0; examples[i]; i++)
			printf("  %s\n", examples[i]);
	}
}

void sc_option_list_release(sc_option_list *l)
{
	if (!l)
		return;
	free(l->items);
	l->items = NULL;
	l->len = 0;
}

/*
 * options.h: command-line options as data.
 *
 * Each command declares a table of sc_option and a usage string; sc_options_parse() parses argv
 * with it and `--help`/`-h` prints help generated from the same table, so the help can never
 * disagree with what is parsed. A test compares this help with docs/cmd/<name>.md.
 *
 *     static const char *const usage[] = {"scorch report [options] FILE", NULL};
 *     int top = 10; const char *format = "text";
 *     sc_option opts[] = {
 *         SC_OPT_INT_RANGE('n', "top", &top, "N", 0, 1000, "show the N hottest functions"),
 *         SC_OPT_STR(0, "format", &format, "FMT", "text, json, folded or html"),
 *         SC_OPT_END(),
 *     };
 *     int argi = sc_options_parse("report", usage, opts, examples, argc, argv);
 *     if (argi < 0) return argi == SC_OPTIONS_HELP ? 0 : 2;
 *
 * Parsing stops at the first non-option argument or at "--" (which is consumed), so
 * `scorch record -F 99 -- ./prog -x` leaves "./prog -x" to the caller. Errors are printed as
 * "scorch CMD: ..." on stderr.
 *
 * Numbers: a double option never accepts inf or nan (they would silently turn gates and windows
 * off). An option declared with a range (SC_OPT_INT_RANGE, SC_OPT_DOUBLE_RANGE; bounds inclusive)
 * is refused outside it with a message that names the option and the range, e.g.
 * "scorch report: --from must be a number of seconds between 0 and 1000000000, not 'inf'"; the
 * unit ("seconds") is the argname in lower case when it is a word, as in SECONDS or POINTS.
 * A variable's initial value is not checked, so a default outside the range (e.g. -1 for
 * "not given") stays distinguishable from every value the user can type.
 */
#ifndef SC_CLI_OPTIONS_H
#define SC_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

enum sc_option_type {
	SC_OPTION_END,
	SC_OPTION_FLAG,	  /* bool, set to true */
	SC_OPTION_NFLAG,  /* bool, set to false (for --no-xxx) */
	SC_OPTION_INT,	  /* int, decimal; within [min, max] when `ranged` */
	SC_OPTION_STR,	  /* const char *, borrowed from argv */
	SC_OPTION_LIST,	  /* sc_option_list, each occurrence appended */
	SC_OPTION_DOUBLE, /* double, finite; within [min, max] when `ranged` */
};

typedef struct sc_option_list {
	const char **items;
	int len;
} sc_option_list;

typedef struct sc_option {
	enum sc_option_type type;
	char short_name;
	const char *long_name;
	void *value;
	const char *argname;
	const char *help;
	bool ranged;	 /* SC_OPT_*_RANGE: check min <= value <= max */
	double min, max; /* inclusive bounds (an int's are whole numbers) */
} sc_option;

#define SC_OPT_FLAG(s, l, v, h)                                                                    \
	{                                                                                          \
		SC_OPTION_FLAG, s, l, v, NULL, h, false, 0, 0                                      \
	}
#define SC_OPT_NFLAG(s, l, v, h)                                                                   \
	{                                                                                          \
		SC_OPTION_NFLAG, s, l, v, NULL, h, false, 0, 0                                     \
	}
#define SC_OPT_INT(s, l, v, a, h)                                                                  \
	{                                                                                          \
		SC_OPTION_INT, s, l, v, a, h, false, 0, 0                                          \
	}
#define SC_OPT_DOUBLE(s, l, v, a, h)                                                               \
	{                                                                                          \
		SC_OPTION_DOUBLE, s, l, v, a, h, false, 0, 0                                       \
	}
#define SC_OPT_INT_RANGE(s, l, v, a, lo, hi, h)                                                    \
	{                                                                                          \
		SC_OPTION_INT, s, l, v, a, h, true, lo, hi                                         \
	}
#define SC_OPT_DOUBLE_RANGE(s, l, v, a, lo, hi, h)                                                 \
	{                                                                                          \
		SC_OPTION_DOUBLE, s, l, v, a, h, true, lo, hi                                      \
	}
#define SC_OPT_STR(s, l, v, a, h)                                                                  \
	{                                                                                          \
		SC_OPTION_STR, s, l, v, a, h, false, 0, 0                                          \
	}
#define SC_OPT_LIST(s, l, v, a, h)                                                                 \
	{                                                                                          \
		SC_OPTION_LIST, s, l, v, a, h, false, 0, 0                                         \
	}
#define SC_OPT_END()                                                                               \
	{                                                                                          \
		SC_OPTION_END, 0, NULL, NULL, NULL, NULL, false, 0, 0                              \
	}

#define SC_OPTIONS_HELP (-1000)

/* Returns the index of the first argument that is not an option, SC_OPTIONS_HELP after printing
 * help to stdout, or -1 after printing an error. `examples` may be NULL. */
int sc_options_parse(const char *cmd, const char *const *usage, const sc_option *opts,
		     const char *const *examples, int argc, char **argv);
/* Like sc_options_parse, but options may come before or after the positional arguments (which
 * keep their order): these are stored in `args` (room for argc entries). Everything after "--"
 * is positional. Returns the number of positional arguments, SC_OPTIONS_HELP or -1. */
int sc_options_parse_args(const char *cmd, const char *const *usage, const sc_option *opts,
			  const char *const *examples, int argc, char **argv, char **args);
void sc_options_help(const char *cmd, const char *const *usage, const sc_option *opts,
		     const char *const *examples);
void sc_option_list_release(sc_option_list *l);

#endif

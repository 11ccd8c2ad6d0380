/*
 * modules.h: time by module, i.e. by shared object, executable or kernel ("libfoo.so 44%,
 * [kernel] 31%"): which binary the CPU was executing, and which binaries were on the stack.
 *
 * A module is what sc_profile_location_module names: the basename of a mapping's file,
 * "[kernel]" for kernel mappings, "?" when the location has no mapping (folded input has none).
 * Self = samples whose leaf frame is in the module; total = samples with a frame of the module
 * anywhere on the stack, counted once per sample. Computed by one walk over the stack tree.
 *
 * Read top.h for the same numbers per function.
 */
#ifndef SC_REPORT_MODULES_H
#define SC_REPORT_MODULES_H

#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"

typedef struct sc_module_row {
	const char *name; /* borrowed from the profile (or a static string) */
	const char *path; /* the first mapping's full file name, borrowed; "" when none */
	int64_t self, total;
} sc_module_row;

typedef struct sc_modules {
	sc_module_row *rows; /* sorted by self descending, ties by total then name */
	size_t len;
	int64_t grand_total;
	int type;
} sc_modules;

/* Computes the table for sample type `type`. Returns 0, -EINVAL for a bad type, or -ENOMEM. */
int sc_modules_compute(const sc_profile *p, int type, sc_modules *m);
void sc_modules_release(sc_modules *m);
/* Text table of the n first rows (0: all): self and total, as shares and values, and the module.
 * Returns 0, -ENOMEM or -EIO. */
int sc_modules_print_text(const sc_profile *p, const sc_modules *m, size_t n, FILE *f);
/* JSON: {"schema":"scorch.modules","version":1,"sample_type":..,"unit":..,"total":..,
 * "modules":[{"name":..,"path":..,"self":..,"self_pct":..,"total":..,"total_pct":..}]} */
int sc_modules_print_json(const sc_profile *p, const sc_modules *m, size_t n, FILE *f);

#endif

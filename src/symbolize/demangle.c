/*
 * demangle.c: sc_demangle, symbol names as people read them.
 *
 * A thin wrapper over libiberty's cplus_demangle, which knows C++ (Itanium ABI, "_Z..."), Rust
 * legacy ("_ZN...17h<hash>E", printed without the hash as perf does) and Rust v0 ("_R...").
 * Only names with those prefixes are handed to it: libiberty's automatic mode would also try
 * D and Ada rules on plain C names. See symbolize.c for where names come from.
 */
#include "symbolize/symbolize.h"

#include <libiberty/demangle.h>
#include <stdlib.h>
#include <string.h>

char *sc_demangle(const char *sym)
{
	if (!sym)
		return NULL;
	/* Itanium C++ and Rust legacy both start with _Z; global constructors are _GLOBAL__sub_I_.
	 */
	if (strncmp(sym, "_Z", 2) != 0 && strncmp(sym, "_R", 2) != 0 &&
	    strncmp(sym, "_GLOBAL_", 8) != 0)
		return NULL;
	/* DMGL_AUTO recognizes Rust legacy symbols after parsing them as C++ and drops the
	 * "::h<hash>" suffix unless DMGL_VERBOSE is given; v0 symbols go to the Rust demangler. */
	return cplus_demangle(sym, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
}

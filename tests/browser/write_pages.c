/*
 * write_pages.c: writes the report set of a folded or pprof file (sc_reportset_write), for the
 * browser test to load its butterfly page while `scorch report --all` is not available.
 *
 *   write_pages PROFILE DIR
 */
#include <stdio.h>
#include <stdlib.h>

#include "formats/folded.h"
#include "formats/pprof.h"
#include "report/reportset.h"
#include "util/fileio.h"

int main(int argc, char **argv)
{
	char *data = NULL, buf[1024];
	size_t n = 0;
	sc_profile *p = NULL;
	sc_diag d;
	sc_diag_clear(&d);
	if (argc != 3) {
		fprintf(stderr, "usage: write_pages PROFILE DIR\n");
		return 2;
	}
	int r = sc_read_file(argv[1], &data, &n);
	if (!r)
		r = sc_pprof_sniff(data, n) ? sc_pprof_decode(data, n, &p, &d)
					    : sc_folded_parse(data, n, &p, &d);
	free(data);
	if (!r) {
		sc_reportset_options o = {.type = (int)p->nsample_types - 1, .source = argv[1]};
		r = sc_reportset_write(p, &o, argv[2], &d);
	}
	sc_profile_free(p);
	if (r)
		fprintf(stderr, "write_pages: %s (%d)\n", sc_diag_format(&d, buf, sizeof(buf)), r);
	return r ? 1 : 0;
}

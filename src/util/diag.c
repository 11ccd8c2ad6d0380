/* diag.c: see diag.h. */
#include "util/diag.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sc_diag_clear(sc_diag *d)
{
	if (!d)
		return;
	memset(d, 0, sizeof(*d));
	d->offset = -1;
}

void sc_diag_set_file(sc_diag *d, const char *file)
{
	if (d)
		snprintf(d->file, sizeof(d->file), "%s", file ? file : "");
}

int sc_diag_error(sc_diag *d, int64_t line, int64_t column, int64_t offset, const char *fmt, ...)
{
	if (!d)
		return -EINVAL;
	d->line = line;
	d->column = column;
	d->offset = offset;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *sc_diag_format(const sc_diag *d, char *buf, unsigned long size)
{
	const char *file = d->file[0] ? d->file : NULL;
	if (file && d->line && d->column)
		snprintf(buf, size, "%s:%" PRId64 ":%" PRId64 ": %s", file, d->line, d->column,
			 d->message);
	else if (file && d->line)
		snprintf(buf, size, "%s:%" PRId64 ": %s", file, d->line, d->message);
	else if (file && d->offset >= 0)
		snprintf(buf, size, "%s: at byte %" PRId64 ": %s", file, d->offset, d->message);
	else if (file)
		snprintf(buf, size, "%s: %s", file, d->message);
	else
		snprintf(buf, size, "%s", d->message);
	return buf;
}

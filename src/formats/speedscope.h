/*
 * speedscope.h: speedscope's JSON file format (https://www.speedscope.app), written.
 *
 * The file opens in speedscope with its three views (time order, left heavy, sandwich). It
 * follows https://www.speedscope.app/file-format-schema.json: one "sampled" profile per thread
 * (pid, tid), frames shared between them. speedscope.c has an annotated example; the version is
 * the "$schema" URL plus our "exporter" string. Not read back by scorch.
 */
#ifndef SC_FORMATS_SPEEDSCOPE_H
#define SC_FORMATS_SPEEDSCOPE_H

#include <stdio.h>

#include "profile/profile.h"

typedef struct sc_speedscope_options {
	int type;	  /* sample type index whose values are the weights */
	const char *name; /* the file's profile group name; NULL for "scorch" */
} sc_speedscope_options;

/*
 * Writes `p` to `f`. Frames are functions (name, file, start line; unsymbolized frames by their
 * display name), inline frames expanded. Each thread's samples are in time order (recording
 * order when times are unknown) with the chosen type's values as weights; samples with a value
 * <= 0 are left out (speedscope cannot draw them), and so are threads left with none. Profiles
 * are sorted by (pid, tid) and named "NAME (pid N tid M)" after the thread's name when known; the
 * heaviest is the active one. A profile whose samples carry no
 * pid/tid is one profile named after the group. Returns 0, -EINVAL for a bad type, -ENOMEM or -EIO.
 */
int sc_speedscope_write(const sc_profile *p, const sc_speedscope_options *o, FILE *f);

#endif

/*
 * bytes.h: reading the native-endian integers of perf records at any alignment (records copied out
 * of a ring are 8-byte aligned, their fields not always). Header-only; shared by ring.c and
 * sample.c.
 */
#ifndef SC_RECORD_BYTES_H
#define SC_RECORD_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint64_t sc_get64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t sc_get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

#endif

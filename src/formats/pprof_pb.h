/*
 * pprof_pb.h: the short names of the generated protobuf-c types, shared by pprof_write.c and
 * pprof_read.c (the pprof format's two halves; pprof.h is their contract).
 */
#ifndef SC_FORMATS_PPROF_PB_H
#define SC_FORMATS_PPROF_PB_H

#include "formats/profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

#endif

/*
 * server.c: the console server inside an instrumented program (proto.h), started by
 * SCORCH_CONSOLE=1 without SCORCH_AGENT_FILE.
 */
#include "trace/runtime.h"

void sc_rt_console_start(void)
{
}

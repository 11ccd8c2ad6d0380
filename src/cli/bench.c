/* bench.c: `scorch bench` (being written). */
#include "cli/commands.h"

int cmd_bench(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sc_cli_error("bench", 0, "not built yet");
	return 1;
}

/* diff.c: `scorch diff` (being written). */
#include "cli/commands.h"

int cmd_diff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sc_cli_error("diff", 0, "not built yet");
	return 1;
}

/* report.c: `scorch report` (being written). */
#include "cli/commands.h"

int cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sc_cli_error("report", 0, "not built yet");
	return 1;
}

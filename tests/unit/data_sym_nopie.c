/*
 * data_sym_nopie.c: a fixed-address (non-PIE) executable for test_symbolize, which reads it from
 * disk and never runs it. Its code is mapped at its ELF virtual addresses, the case where
 * symbolize.c's address translation has no load bias. Found next to the test programs.
 */
static volatile int sink;

/* test_symbolize expects this function's name, file and declaration line (the next line). */
__attribute__((noinline)) int sym_nopie_func(int x)
{
	return x * 5 + sink;
}

int main(int argc, char **argv)
{
	(void)argv;
	return sym_nopie_func(argc);
}

/* Linked into the TSan build only: the first race report ends the run with a failure. */
const char *__tsan_default_options(void);

const char *__tsan_default_options(void)
{
	return "halt_on_error=1 exitcode=66";
}

/* Loading the configuration at boot: every problem becomes one error line, then Keel refuses to
 * start (the caller decides how). */
#include <keel/config.h>
#include <keel/printk.h>

int config_boot_load(struct keel_config *c, const void *text, size_t len,
		     const struct config_machine *m)
{
	static struct config_problems pr;
	int rc = config_load(c, &pr, text, len, m);

	for (u32 i = 0; i < pr.n; i++) {
		if (pr.p[i].line)
			pr_err("config:%u: %s", pr.p[i].line, pr.p[i].msg);
		else
			pr_err("config: %s", pr.p[i].msg);
	}
	if (pr.dropped)
		pr_err("config: %u more problems not shown", pr.dropped);
	return rc;
}

/* Loading the configuration at boot: every problem becomes one error line, then Keel refuses to
 * start (the caller decides how). Placed RAM is claimed from the page allocator at once, so
 * nothing Keel allocates later can take it. */
#include <keel/config.h>
#include <keel/errno.h>
#include <keel/pmm.h>
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

int config_boot_claim(const struct keel_config *c)
{
	int rc = 0;

	for (u32 i = 0; i < c->npartitions; i++) {
		const struct config_partition *p = &c->part[i];
		if (!p->ram_size || p->ram_hpa == CONFIG_HPA_ANY)
			continue;
		if (pmm_alloc_in(p->ram_size / PAGE_SIZE, CONFIG_RAM_ALIGN, p->ram_hpa,
				 p->ram_hpa + p->ram_size) == p->ram_hpa)
			continue;
		pr_err("config:%u: partition '%s': memory: hpa %#llx+%#llx is not free: Keel's own "
		       "memory (page tables, the allocator's bitmap) lies there", p->line.memory, p->name,
		       (unsigned long long)p->ram_hpa, (unsigned long long)p->ram_size);
		rc = -EBUSY;
	}
	return rc;
}

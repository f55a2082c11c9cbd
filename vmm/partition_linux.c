/* `entry linux` partitions (docs/linux.md): the bzImage and initrd modules loaded by the 64-bit
 * boot protocol (vmm/linux.c) with Keel's default command line before the configuration's
 * `args`, and loaded again when the partition restarts. */
#include <keel/partition.h>
#include <keel/boot.h>
#include <keel/config.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/linux.h>
#include <keel/phys.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/time.h>
#include <arch/vcpu.h>

static const u8 *linux_module(const char *name, u64 *len)
{
	const struct bi_module *m = name[0] ? bootinfo_module(boot_info(), name) : NULL;
	*len = m ? m->end - m->start : 0;
	return m ? phys_map(m->start, *len) : NULL;
}

/* Copies the kernel and initrd into the partition's RAM and builds the zero page, command
 * line, page tables and GDT; vCPU 0's entry state goes to *r and *s. */
int partition_linux_load(struct partition *p, struct vcpu_regs *r, struct vcpu_sregs *s)
{
	static char cmdline[LINUX_CMDLINE_MAX];
	const struct config_partition *c = p->cfg;
	u8 *ram = (u8 *)(uintptr_t)p->mem.hpa;
	u64 len, rdlen;
	const u8 *bz = linux_module(c->image, &len), *rd = linux_module(c->initrd, &rdlen);
	struct linux_image img;
	const char *why = "the command line is longer than 2047 bytes";

	if (!bz || (c->initrd[0] && !rd)) {
		pr_err("partition %s: %s: module '%s' was not loaded", p->name, bz ? "initrd" : "image",
		       bz ? c->initrd : c->image);
		return -ENOENT;
	}
	int rc = linux_cmdline(cmdline, sizeof(cmdline), tsc_khz(), c->args);
	if (!rc)
		rc = linux_load(ram, p->mem.ram_size, bz, len, rd, rdlen, cmdline, &img, &why);
	if (rc) {
		pr_err("partition %s: image '%s': %s", p->name, c->image, why);
		return rc;
	}
	p->entry = img.entry;
	p->image_start = img.kernel_start;
	p->image_end = img.kernel_end;
	linux_entry_state(&img, r, s);
	if (!p->restarts)
		pr_info("partition %s: linux '%s' (boot protocol %u.%02u) at %#llx, initrd %s "
			"[%#llx-%#llx), command line: %s", p->name, c->image, img.version >> 8,
			img.version & 0xff, (unsigned long long)img.kernel_start,
			c->initrd[0] ? c->initrd : "none", (unsigned long long)img.initrd_start,
			(unsigned long long)img.initrd_end, cmdline);
	return 0;
}

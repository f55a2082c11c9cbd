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
#include <keel/virq.h>
#include <keel/vlapic.h>
#include <keel/vuart.h>
#include <arch/virt.h>
#include <arch/vcpu.h>

static const u8 *linux_module(const char *name, u64 *len)
{
	const struct bi_module *m = name[0] ? bootinfo_module(boot_info(), name) : NULL;
	*len = m ? m->end - m->start : 0;
	return m ? phys_map(m->start, *len) : NULL;
}

/* vCPU 0's entry state per partition, kept for restarts. */
static struct linux_entry {
	struct vcpu_regs regs;
	struct vcpu_sregs sregs;
} linux_entry[PARTITION_MAX];

void partition_linux_entry(const struct partition *p, struct vcpu_regs *r, struct vcpu_sregs *s)
{
	*r = linux_entry[p->id].regs;
	*s = linux_entry[p->id].sregs;
}

/* Copies the kernel and initrd into the partition's RAM and builds the zero page, command
 * line, page tables and GDT, and vCPU 0's entry state. */
int partition_linux_load(struct partition *p)
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
	int rc = linux_cmdline(cmdline, sizeof(cmdline), tsc_khz(), c->args, p->restarts);
	if (!rc)
		rc = linux_load(ram, p->mem.ram_size, bz, len, rd, rdlen, cmdline, &img, &why);
	if (rc) {
		pr_err("partition %s: image '%s': %s", p->name, c->image, why);
		return rc;
	}
	p->entry = img.entry;
	p->image_start = img.kernel_start;
	p->image_end = img.kernel_end;
	linux_entry_state(&img, &linux_entry[p->id].regs, &linux_entry[p->id].sregs);
	if (!p->restarts)
		pr_info("partition %s: linux '%s' (boot protocol %u.%02u) at %#llx, initrd %s "
			"[%#llx-%#llx), command line: %s", p->name, c->image, img.version >> 8,
			img.version & 0xff, (unsigned long long)img.kernel_start,
			c->initrd[0] ? c->initrd : "none", (unsigned long long)img.initrd_start,
			(unsigned long long)img.initrd_end, cmdline);
	return 0;
}

bool partition_restart_request(struct vcpu *v, const char *why)
{
	struct partition *p = v->part;
	struct apic_msg init = { .mode = DM_INIT, .shorthand = 2 }; /* all, including self */
	if (p->entry_mode != CONFIG_ENTRY_LINUX)
		return false;
	if (!__atomic_exchange_n(&p->restarting, true, __ATOMIC_ACQ_REL)) {
		pr_info("partition %s: vcpu %u: %s: the partition restarts", p->name, v->id, why);
		vlapic_send(p, v, &init, "restart from vcpu", (int)v->id);
	}
	return true;
}

/* Every other vCPU has taken its INIT when none runs guest code (its `entered` bit clear). */
static bool partition_others_parked(struct vcpu *bsp)
{
	struct partition *p = bsp->part;
	while (__atomic_load_n(&p->entered, __ATOMIC_ACQUIRE) & ~1u) {
		if (READ_ONCE(bsp->stopped))
			return false;
		__builtin_ia32_pause();
	}
	return true;
}

bool partition_restart(struct vcpu *bsp)
{
	struct partition *p = bsp->part;
	if (!__atomic_load_n(&p->restarting, __ATOMIC_ACQUIRE) || !partition_others_parked(bsp))
		return false;
	p->restarts++;
	memset((u8 *)(uintptr_t)p->mem.hpa, 0, LINUX_LOW_RAM_END);
	if (partition_linux_load(p)) {
		__atomic_store_n(&p->restarting, false, __ATOMIC_RELEASE);
		return false;
	}
	virq_partition_reset(p);
	if (p->console)
		vuart_reset(p->console);
	for (u32 i = 0; i < p->nr_vcpus; i++)
		p->vcpu[i]->mtrr_def = VCPU_MTRR_DEF_RESET;
	vlapic_reset(bsp->lapic);
	bsp->lapic->window = false;
	vlapic_lc_running(bsp->lapic);
	virt->vcpu_start_at(bsp, 0); /* the INIT state, running */
	virt->vcpu_set_sregs(bsp, &linux_entry[p->id].sregs);
	bsp->regs = linux_entry[p->id].regs;
	bsp->dirty = VCPU_DIRTY_RIP | VCPU_DIRTY_RSP | VCPU_DIRTY_RFLAGS | VCPU_DIRTY_RAX;
	p->stop_reason[0] = 0;
	pr_info("partition %s: restart %u: kernel and initrd loaded again", p->name, p->restarts);
	__atomic_store_n(&p->restarting, false, __ATOMIC_RELEASE);
	partition_vcpu_started(bsp);
	return true;
}

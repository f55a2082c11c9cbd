/* CPU identification and feature switches common to every CPU. */
#include <arch/cpu.h>
#include <keel/printk.h>
#include <keel/string.h>

void cpu_report(void)
{
	struct cpuid_regs r = cpuid(0, 0);
	char vendor[13];
	memcpy(vendor, &r.b, 4);
	memcpy(vendor + 4, &r.d, 4);
	memcpy(vendor + 8, &r.c, 4);
	vendor[12] = 0;
	struct cpuid_regs l1 = r.a >= 1 ? cpuid(1, 0) : (struct cpuid_regs){ 0 };
	/* Display family/model (SDM Vol. 2A CPUID, figure 3-6): the extended fields count only for
	 * base family 0xF (family) and 0x6/0xF (model). */
	u32 fam = (l1.a >> 8) & 0xf, model = (l1.a >> 4) & 0xf;
	if (fam == 0xf)
		fam += (l1.a >> 20) & 0xff;
	if (fam == 0x6 || fam >= 0xf)
		model |= ((l1.a >> 16) & 0xf) << 4;
	pr_info("cpu: vendor %s family 0x%x model 0x%x hypervisor-bit %u", vendor, fam, model, l1.c >> 31);
}

/* EFER.NXE makes bit 63 of page-table entries mean no-execute (SDM Vol. 3A 4.1.3). */
void cpu_enable_nx(void)
{
	if (cpu_has_ext_edx(20))
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
}

/* Firmware leaves different bits behind (the Bochs BIOS even leaves CR0.CD/NW set on the boot
 * CPU, OVMF leaves OSFXSR and friends): caching on, write protection, native FPU error
 * reporting, machine-check exceptions on (SDM Vol. 3A 2.5). OSFXSR because the emulator moves
 * a guest's XMM registers for the SSE forms on the MMIO path (emul/vecreg.S); without it every
 * SSE instruction is #UD (SDM Vol. 3A 2.5, 13.1.3). The core itself never uses them. */
void cpu_state_init(void)
{
	write_cr0(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG);
	write_cr4(CR4_PAE | CR4_MCE | CR4_OSFXSR | CR4_OSXMMEXCPT);
	cpu_enable_nx();
}


/* The CPUID a guest sees: the host's leaves with the virtualization extensions hidden, the
 * hypervisor bit set, OS-controlled bits taken from the guest's own CR4, and Keel's leaves at
 * 0x40000000. */
#include <arch/exit.h>
#include <arch/virt.h>
#include <keel/partition.h>
#include <keel/printk.h>

enum { EAX, EBX, ECX, EDX };

#define KEEL_CPUID_BASE 0x40000000u
#define CPUID1_ECX_VMX        (1u << 5)
#define CPUID1_ECX_OSXSAVE    (1u << 27)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID7_ECX_OSPKE      (1u << 4)
#define EXT1_ECX_SVM          (1u << 2)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_PKE     (1ull << 22)

static void cpuid_host(u32 leaf, u32 sub, u32 out[4])
{
	__asm__ volatile("cpuid" : "=a"(out[EAX]), "=b"(out[EBX]), "=c"(out[ECX]), "=d"(out[EDX])
			 : "a"(leaf), "c"(sub));
}

/* Keel's own leaves: the signature "KeelKeelKeel", then the ABI version and which instruction
 * is the hypercall (0 = VMCALL, 1 = VMMCALL). */
static void cpuid_keel(u32 leaf, u32 out[4])
{
	static const char sig[12] = "KeelKeelKeel";
	out[EAX] = out[EBX] = out[ECX] = out[EDX] = 0;
	if (leaf == KEEL_CPUID_BASE) {
		out[EAX] = KEEL_CPUID_BASE + 1;
		__builtin_memcpy(&out[EBX], sig, 4);
		__builtin_memcpy(&out[ECX], sig + 4, 4);
		__builtin_memcpy(&out[EDX], sig + 8, 4);
	} else if (leaf == KEEL_CPUID_BASE + 1) {
		out[EAX] = KEEL_ABI_VERSION;
		out[EBX] = virt->hypercall_insn[2] == 0xd9; /* 0f 01 d9 = VMMCALL */
	}
}

void cpuid_emulate(struct vcpu *v, u32 leaf, u32 sub, u32 out[4])
{
	if ((leaf & 0xffff0000u) == KEEL_CPUID_BASE) {
		cpuid_keel(leaf, out);
		return;
	}
	cpuid_host(leaf, sub, out);
	/* The raw values, so a test can hold the guest's view against the CPU's (loglevel=debug). */
	pr_debug("%s: cpuid %08x.%08x host %08x %08x %08x %08x", v->part->name, leaf, sub, out[EAX],
		 out[EBX], out[ECX], out[EDX]);
	switch (leaf) {
	case 1: {
		struct vcpu_sregs s;
		virt->vcpu_get_sregs(v, &s);
		out[ECX] &= ~(CPUID1_ECX_VMX | CPUID1_ECX_OSXSAVE);
		out[ECX] |= CPUID1_ECX_HYPERVISOR;
		if (s.cr4 & CR4_OSXSAVE) /* reflects CR4.OSXSAVE (SDM Vol. 2A CPUID, ECX bit 27) */
			out[ECX] |= CPUID1_ECX_OSXSAVE;
		out[EBX] = (out[EBX] & 0x00ffffffu) | (v->id << 24); /* initial APIC ID */
		break;
	}
	case 7:
		if (sub == 0) {
			struct vcpu_sregs s;
			virt->vcpu_get_sregs(v, &s);
			out[ECX] &= ~CPUID7_ECX_OSPKE;
			if (s.cr4 & CR4_PKE)
				out[ECX] |= CPUID7_ECX_OSPKE;
		}
		break;
	case 0x80000001:
		out[ECX] &= ~EXT1_ECX_SVM;
		break;
	case 0x8000000a: /* SVM features: none for the guest */
		out[EAX] = out[EBX] = out[ECX] = out[EDX] = 0;
		break;
	}
}

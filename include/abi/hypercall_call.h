/* Calling Keel from a guest (the service VM and test payloads): finding Keel and the instruction
 * to use, and the call itself, following include/abi/hypercall.h. Inline: each program has
 * its own runtime and none links the others' code. */
#ifndef ABI_HYPERCALL_CALL_H
#define ABI_HYPERCALL_CALL_H

#include <stdbool.h>
#include <stdint.h>

#define KEEL_CPUID_SIGNATURE 0x6c65654bu /* "Keel" in EBX, ECX and EDX of leaf 0x40000000 */

/* A call's RAX (status), RBX, RCX and RDX afterwards, at the caller's register width. */
struct keel_hc_regs {
	uintptr_t status, rbx, rcx, rdx;
};

static inline void keel_cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* True when running under Keel (the hypervisor bit, then Keel's signature); *amd says whether
 * the call is VMMCALL (leaf 0x40000001 EBX = 1) rather than VMCALL. */
static inline bool keel_hc_probe(bool *amd)
{
	uint32_t r[4];
	keel_cpuid(1, r);
	if (!(r[2] & (1u << 31)))
		return false;
	keel_cpuid(0x40000000, r);
	if (r[1] != KEEL_CPUID_SIGNATURE || r[2] != KEEL_CPUID_SIGNATURE || r[3] != KEEL_CPUID_SIGNATURE)
		return false;
	keel_cpuid(0x40000001, r);
	*amd = r[1] == 1;
	return true;
}

static inline struct keel_hc_regs keel_hc_call(bool amd, uintptr_t nr, uintptr_t a, uintptr_t b,
					       uintptr_t c)
{
	struct keel_hc_regs r;
	if (amd)
		__asm__ volatile("vmmcall" : "=a"(r.status), "=b"(r.rbx), "=c"(r.rcx), "=d"(r.rdx)
				 : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	else
		__asm__ volatile("vmcall" : "=a"(r.status), "=b"(r.rbx), "=c"(r.rcx), "=d"(r.rdx)
				 : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

#endif

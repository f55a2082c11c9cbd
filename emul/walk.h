/* Guest linear → guest-physical translation and segment checks (emul/walk.c, emul/seg.c).
 * Pure library: reads guest page tables only through struct emul_mem, which refuses any address
 * outside guest RAM. Shared by the instruction fetcher, the emulator and the core's exit code. */
#ifndef EMUL_WALK_H
#define EMUL_WALK_H

#include <stdbool.h>
#include <stdint.h>

/* Guest RAM accessor supplied by the caller (the core, or a host test's fake memory).
 * Every function returns 0, or -1 when any byte lies outside guest RAM (nothing is done then). */
struct emul_mem {
	void *ctx;
	int (*read)(void *ctx, uint64_t gpa, void *buf, uint32_t len);
	int (*write)(void *ctx, uint64_t gpa, const void *buf, uint32_t len);
	/* Atomic compare-exchange of a 4- or 8-byte page-table entry (A/D bit updates):
	 * returns 0 and stores `new` if the entry equals `old`, 1 if it differed, -1 outside RAM. */
	int (*cmpxchg)(void *ctx, uint64_t gpa, uint64_t old, uint64_t new, uint32_t size);
};

/* The guest control state a walk depends on. efer must include LMA (as the VMCS/VMCB hold it). */
struct walk_ctl {
	uint64_t cr0, cr3, cr4, efer, rflags;
	unsigned cpl;
	/* Guest MAXPHYADDR (CPUID 80000008H:EAX[7:0]): physical-address bits at or above it are
	 * reserved in paging-structure entries. 0 means 52 (no such bits); clamped to [32, 52]. */
	unsigned maxphyaddr;
	/* Protection keys (4-/5-level paging with CR4.PKE / CR4.PKS): PKRU and IA32_PKRS. */
	uint32_t pkru, pkrs;
	/* PAE paging: the PDPTEs the CPU loaded at the last CR3 write (VMX with EPT keeps them in
	 * the VMCS). With pdpte_valid false they are read from guest memory at walk time, which is
	 * what AMD CPUs do under nested paging. */
	bool pdpte_valid;
	uint64_t pdpte[4];
};

/* Access kinds for emul_walk (bit flags). */
#define WALK_WRITE    0x1u /* data write */
#define WALK_FETCH    0x2u /* instruction fetch */
#define WALK_IMPLICIT 0x4u /* implicit supervisor access (descriptor tables): SMAP ignores AC */

/* A fault to inject into the guest. */
struct emul_fault {
	uint8_t vector;     /* 14 = #PF, 13 = #GP, 12 = #SS, 6 = #UD ... */
	bool has_error;
	uint32_t error;
	bool has_cr2;
	uint64_t cr2;
};

/* #PF error-code bits (SDM Vol. 3A 4.7). */
#define WALK_PF_P    0x01u /* 0: not present; 1: protection or reserved-bit violation */
#define WALK_PF_W    0x02u /* the access was a write */
#define WALK_PF_U    0x04u /* user-mode access (CPL 3 and not implicit) */
#define WALK_PF_RSVD 0x08u /* a reserved bit was set in a paging-structure entry */
#define WALK_PF_I    0x10u /* instruction fetch (only with CR4.SMEP, or CR4.PAE and EFER.NXE) */
#define WALK_PF_PK   0x20u /* protection-key violation */

/* Negative returns of emul_walk (values of include/keel/errno.h, which emul/ cannot include). */
#define WALK_EFAULT 14 /* a paging-structure entry lies outside guest RAM; *gpa = its address */
#define WALK_EAGAIN 11 /* an entry kept changing under the A/D cmpxchg; retry the instruction */

/* Translate linear address `la` for an access of kind `access`. Returns 0 with *gpa set,
 * 1 with *fault set (the fault the CPU would raise: #PF with CR2 = la, or #GP(0) for an
 * address that is not canonical for the paging mode), -WALK_EFAULT with *gpa set to the
 * address of the paging-structure entry outside guest RAM (the core stops the vCPU: no
 * architectural fault fits), or -WALK_EAGAIN (the core re-enters the guest without advancing
 * RIP). Outside long mode only la[31:0] is used. See docs/pagewalk.md. */
int emul_walk(const struct walk_ctl *ctl, const struct emul_mem *mem, uint64_t la,
	      unsigned access, uint64_t *gpa, struct emul_fault *fault);

#endif

/* Layout of the AP trampoline page (boot/trampoline.S): code from offset 0, then a handoff area
 * the BSP fills in before each INIT-SIPI-SIPI. Shared by the assembly and arch/x86/smp.c. */
#ifndef ARCH_TRAMPOLINE_H
#define ARCH_TRAMPOLINE_H

#define TR_DATA 0xe00     /* code must end before this */
#define TR_GDTR 0xe00     /* u16 limit, u32 base */
#define TR_PM32 0xe08     /* far pointer: u32 offset, u16 selector */
#define TR_LM64 0xe10     /* far pointer: u32 offset, u16 selector */
#define TR_CR3 0xe18      /* u32: the PML4 lies below 4 GiB */
#define TR_EFER 0xe1c     /* u32: EFER bits to set (LME, NXE) */
#define TR_STACK 0xe20    /* u64 */
#define TR_PERCPU 0xe28   /* u64 */
#define TR_ENTRY 0xe30    /* u64: void entry(struct percpu *) */
#define TR_STARTED 0xe38  /* u32: the AP sets 1 once it has read the fields above */
#define TR_GDT 0xe40      /* 4 descriptors: null, code32, data, code64 */
#define TR_SEL_CODE32 0x08
#define TR_SEL_DATA 0x10
#define TR_SEL_CODE64 0x18

#endif

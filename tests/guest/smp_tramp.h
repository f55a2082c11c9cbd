/* The trampoline page's data, at these offsets from its start (smp_tramp.S fills the first
 * four, the BSP the last two). */
#ifndef SMP_TRAMP_H
#define SMP_TRAMP_H

#define TR_COUNT 0x100 /* u32: starts through this page */
#define TR_CS    0x104 /* u16: CS at start */
#define TR_IP    0x106 /* u16: IP of smp_tramp_ip as the CPU saw it */
#define TR_MSW   0x108 /* u16: CR0[15:0] at start */
#define TR_GDTR  0x110 /* limit, base: Keel's guest GDT */
#define TR_PM32  0x118 /* offset32, selector: smp_ap_pm32 in 32-bit code */

#define SMP_MAX_CPUS 16
#define SMP_STACK_SHIFT 13 /* 8 KiB per AP */

#endif

/* Per-CPU data, reached through the GS base: %gs:0 holds the struct's own address. */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <keel/types.h>

#define KEEL_MAX_CPUS 64
#define STACK_PAGES 4 /* main kernel stack: 16 KiB */
#define IST_PAGES 2   /* each IST stack: 8 KiB */
#define IST_DF 1
#define IST_NMI 2
#define IST_MC 3
#define NR_IST 3
#define STOP_PANIC 256 /* stop_vector of a CPU stopped by panic() */

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

struct percpu {
	struct percpu *self; /* must stay first: this_cpu() reads %gs:0 */
	u32 index, apic_id;
	u64 stack_base, stack_top;
	u64 ist_base[NR_IST], ist_top[NR_IST];
	u64 gdt[5] __aligned(16);
	struct tss tss __aligned(16);
	volatile u32 online, stopped, started;
	volatile u32 stop_vector;
	u32 trap_depth;
	u32 nmi_kicks; /* NMIs sent by trap_nmi_kick and not yet taken */
	u64 cr0, cr4, efer; /* as the CPU came online (boot/ap-state compares them) */
	void (*volatile call_fn)(void *);
	void *volatile call_arg;
};

extern struct percpu percpu_area[KEEL_MAX_CPUS];

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

/* this_cpu() if GS is set up on this CPU, else NULL (safe on any path, e.g. a fault at boot). */
struct percpu *this_cpu_or_null(void);
unsigned percpu_count(void);
struct percpu *percpu_get(unsigned index);
/* Claims the next free slot (BSP only, while starting APs). */
struct percpu *percpu_claim(u32 apic_id);

/* Loads this CPU's GDT, TSS (with IST stacks), IDT and GS base. */
void cpu_tables_load(struct percpu *c);
/* Sets up CPU 0 on the boot stack with static IST stacks; first thing in kmain. */
void cpu_bsp_early(void);

#endif

/* CPUID, MSRs, control registers and the TSC. */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <keel/types.h>

#define MSR_APIC_BASE 0x1b
#define MSR_EFER 0xc0000080
#define MSR_GS_BASE 0xc0000101
#define EFER_LME BIT(8)
#define EFER_NXE BIT(11)
#define CR0_PE BIT(0)
#define CR0_MP BIT(1)
#define CR0_ET BIT(4)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_PG BIT(31)
#define CR4_PAE BIT(5)
#define CR4_MCE BIT(6)
#define CR4_OSFXSR BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_OSXSAVE BIT(18)

struct cpuid_regs {
	u32 a, b, c, d;
};

static inline struct cpuid_regs cpuid(u32 leaf, u32 sub)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(sub));
	return r;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

#define CR_ACCESSORS(n)                                                                    \
	static inline u64 read_cr##n(void)                                                 \
	{                                                                                  \
		u64 v;                                                                     \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                          \
		return v;                                                                  \
	}                                                                                  \
	static inline void write_cr##n(u64 v) { __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); }
CR_ACCESSORS(0)
CR_ACCESSORS(2)
CR_ACCESSORS(3)
CR_ACCESSORS(4)
#undef CR_ACCESSORS

static inline u64 read_rflags(void)
{
	u64 v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

static inline void invlpg(u64 va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }

/* CPUID.80000001h:EDX bit (SDM Vol. 2A CPUID): NX is bit 20. */
static inline bool cpu_has_ext_edx(unsigned bit)
{
	if (cpuid(0x80000000, 0).a < 0x80000001)
		return false;
	return cpuid(0x80000001, 0).d >> bit & 1;
}

void cpu_report(void);
void cpu_enable_nx(void);
/* Puts this CPU's CR0, CR4 and EFER.NXE in Keel's one defined state, whatever firmware or INIT
 * left there. */
void cpu_state_init(void);

#endif

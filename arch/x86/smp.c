/* AP start-up: INIT-SIPI-SIPI with the SDM Vol. 3A 8.4.4.1 delays (10 ms after INIT, 200 us after
 * each SIPI), one AP at a time through a trampoline page below 1 MiB, then park with HLT. */
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/paging.h>
#include <keel/errno.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/trampoline.h>
#include <arch/trap.h>
#include <keel/acpi.h>
#include <keel/printk.h>
#include <keel/pmm.h>
#include <keel/string.h>
#include <keel/time.h>
#include <keel/verdict.h>

#define AP_START_TIMEOUT_US 500000
#define AP_ONLINE_TIMEOUT_US 2000000
#define AP_STACK_PAGES (1 + STACK_PAGES + NR_IST * (1 + IST_PAGES)) /* with a guard page each */
#define CALL_BUSY ((void (*)(void *))1)

extern char tramp_start[], tramp_end[], tramp_pm32[], tramp_lm64[];
static u8 *tramp;

static void smp_park(struct percpu *c)
{
	for (;;) {
		void (*fn)(void *) = __atomic_load_n(&c->call_fn, __ATOMIC_ACQUIRE);
		if (fn && fn != CALL_BUSY) {
			void *arg = c->call_arg;
			__atomic_store_n(&c->call_fn, NULL, __ATOMIC_RELEASE);
			fn(arg);
			continue;
		}
		__asm__ volatile("sti; hlt; cli" ::: "memory"); /* STI's shadow covers HLT: no lost wake-up */
	}
}

static void smp_record_state(struct percpu *c)
{
	c->cr0 = read_cr0();
	c->cr4 = read_cr4();
	c->efer = rdmsr(MSR_EFER);
}

static void smp_ap_entry(struct percpu *c)
{
	cpu_tables_load(c);
	cpu_state_init();
	smp_record_state(c);
	lapic_enable();
	u32 id = lapic_id();
	if (id != c->apic_id)
		pr_warn("smp: cpu %u reports apic id %u, the MADT said %u", c->index, id, c->apic_id);
	c->apic_id = id;
	pr_info("cpu %u online apic %u", c->index, id);
	__atomic_store_n(&c->online, 1, __ATOMIC_RELEASE);
	smp_park(c);
}

/* An AP that answers after its start-up timed out: it has a stack but no slot; it just halts. */
static void smp_ap_late(struct percpu *c)
{
	cpu_tables_load(c);
	pr_warn("smp: the cpu started as index %u came up late; it stays halted", c->index);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void tramp_put(unsigned off, u64 v, unsigned bytes) { memcpy(tramp + off, &v, bytes); }

static int tramp_setup(void)
{
	u64 pa = pmm_alloc_in(1, PAGE_SIZE, PAGE_SIZE, PMM_LOW_LIMIT);
	if (!pa)
		return -ENOMEM;
	tramp = (u8 *)pa;
	memset(tramp, 0, PAGE_SIZE);
	memcpy(tramp, tramp_start, (size_t)(tramp_end - tramp_start));
	static const u64 gdt[4] = { 0, 0x00cf9a000000ffffULL, 0x00cf92000000ffffULL, 0x00af9a000000ffffULL };
	memcpy(tramp + TR_GDT, gdt, sizeof(gdt));
	tramp_put(TR_GDTR, sizeof(gdt) - 1, 2);
	tramp_put(TR_GDTR + 2, pa + TR_GDT, 4);
	tramp_put(TR_PM32, pa + (u64)(tramp_pm32 - tramp_start), 4);
	tramp_put(TR_PM32 + 4, TR_SEL_CODE32, 2);
	tramp_put(TR_LM64, pa + (u64)(tramp_lm64 - tramp_start), 4);
	tramp_put(TR_LM64 + 4, TR_SEL_CODE64, 2);
	tramp_put(TR_CR3, paging_cr3(), 4);
	tramp_put(TR_EFER, rdmsr(MSR_EFER) & (EFER_LME | EFER_NXE), 4);
	tramp_put(TR_ENTRY, (u64)smp_ap_entry, 8);
	return 0;
}

/* Guard | stack | guard | IST1 | guard | IST2 | guard | IST3: overflows fault instead of
 * silently corrupting a neighbour. */
static int smp_alloc_stacks(struct percpu *c)
{
	u64 pa = pmm_alloc(AP_STACK_PAGES, PAGE_SIZE);
	if (!pa)
		return -ENOMEM;
	paging_unmap(pa, PAGE_SIZE);
	c->stack_base = pa + PAGE_SIZE;
	c->stack_top = c->stack_base + STACK_PAGES * PAGE_SIZE;
	u64 p = c->stack_top;
	for (int i = 0; i < NR_IST; i++) {
		paging_unmap(p, PAGE_SIZE);
		c->ist_base[i] = p + PAGE_SIZE;
		c->ist_top[i] = c->ist_base[i] + IST_PAGES * PAGE_SIZE;
		p = c->ist_top[i];
	}
	return 0;
}

static bool flag_set(void *p) { return __atomic_load_n((volatile u32 *)p, __ATOMIC_ACQUIRE) != 0; }

/* SDM Vol. 3A 8.4.4.1: INIT, 10 ms, SIPI, 200 us, SIPI, 200 us. */
static bool smp_start_one(struct percpu *c)
{
	u32 vec = (u32)((u64)tramp >> 12);
	volatile u32 *started = (volatile u32 *)(tramp + TR_STARTED);
	*started = 0;
	tramp_put(TR_STACK, c->stack_top, 8);
	tramp_put(TR_PERCPU, (u64)c, 8);
	int err = lapic_send_ipi(c->apic_id, ICR_INIT | ICR_ASSERT);
	udelay(10000);
	for (int i = 0; i < 2 && !err && !*started; i++) {
		err = lapic_send_ipi(c->apic_id, ICR_STARTUP | vec);
		udelay(200);
	}
	if (err)
		pr_warn("smp: the IPI to apic %u was never delivered", c->apic_id);
	if (!time_wait_us(flag_set, (void *)started, AP_START_TIMEOUT_US))
		return false;
	return time_wait_us(flag_set, (void *)&c->online, AP_ONLINE_TIMEOUT_US);
}

static void smp_try_cpu(u32 apic_id)
{
	struct percpu *c = percpu_claim(apic_id);
	if (!c) {
		pr_warn("smp: more than %d cpus; apic %u not started", KEEL_MAX_CPUS, apic_id);
		return;
	}
	if (smp_alloc_stacks(c)) {
		pr_warn("smp: no memory for the stacks of apic %u", apic_id);
		return;
	}
	if (smp_start_one(c))
		return;
	pr_warn("smp: cpu apic %u did not come up (no answer to INIT-SIPI-SIPI)", apic_id);
	/* Leave this trampoline page to a late riser and start the next AP from a fresh one. */
	tramp_put(TR_ENTRY, (u64)smp_ap_late, 8);
	if (tramp_setup())
		tramp = NULL;
}

unsigned smp_online(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < percpu_count(); i++)
		n += percpu_get(i)->online;
	return n;
}

unsigned smp_boot(const struct acpi_madt *madt)
{
	struct percpu *bsp = this_cpu();
	smp_record_state(bsp);
	bsp->apic_id = lapic_id();
	lapic_enable();
	pr_info("cpu 0 online apic %u", bsp->apic_id);
	bsp->online = 1;
	unsigned want = madt && madt->valid ? madt->nenabled : 1;
	if (want > 1 && tramp_setup())
		pr_warn("smp: no free page below 1 MiB for the AP trampoline; only the boot cpu runs");
	for (unsigned i = 0; tramp && madt && madt->valid && i < madt->ncpus; i++) {
		const struct acpi_cpu *cpu = &madt->cpus[i];
		if ((cpu->flags & ACPI_CPU_ENABLED) && cpu->apic_id != bsp->apic_id)
			smp_try_cpu(cpu->apic_id);
	}
	unsigned n = smp_online();
	pr_info("smp: %u of %u cpus online", n, want);
	return n;
}

int smp_call(unsigned cpu, void (*fn)(void *), void *arg)
{
	struct percpu *c = percpu_get(cpu);
	void (*expect)(void *) = NULL;
	if (!c || !c->online || c == this_cpu())
		return -ENODEV;
	if (!__atomic_compare_exchange_n(&c->call_fn, &expect, CALL_BUSY, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return -EBUSY;
	c->call_arg = arg;
	__atomic_store_n(&c->call_fn, fn, __ATOMIC_RELEASE);
	return lapic_send_ipi(c->apic_id, ICR_FIXED | ICR_ASSERT | VEC_WAKE);
}

/* boot/ap-state: every AP runs with the boot CPU's CR0, CR4 and EFER (INIT leaves CR0.CD/NW set,
 * SDM Vol. 3A 9.1.1; the trampoline must have cleared them and set NXE like the BSP). */
void smp_selftest(void)
{
	const struct percpu *b = percpu_get(0);
	for (unsigned i = 1; i < percpu_count(); i++) {
		const struct percpu *c = percpu_get(i);
		if (c->online && (c->cr0 != b->cr0 || c->cr4 != b->cr4 || c->efer != b->efer)) {
			verdict_fail("boot/ap-state", "cpu %u cr0 %#llx cr4 %#llx efer %#llx; cpu 0 %#llx %#llx %#llx", i,
				     (unsigned long long)c->cr0, (unsigned long long)c->cr4, (unsigned long long)c->efer,
				     (unsigned long long)b->cr0, (unsigned long long)b->cr4, (unsigned long long)b->efer);
			return;
		}
	}
	verdict_pass("boot/ap-state");
}


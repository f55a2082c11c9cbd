/* Local APIC registers, priorities and EOI, IPIs to itself (SDM Vol. 3A ch. 10). */
#include "irq.h"

static unsigned my_id;

/* Reset state (10.4.7.1): DFR all ones, SVR 0xff, TPR 0, every LVT masked; the BSP's LINT0 in
 * ExtINT mode as firmware leaves it for the 8259 (MP spec 3.6.2.2). */
static void t_reset_state(const struct keel_start_info *si)
{
	uint32_t r[4], ver = lapic_read(APIC_VER);
	cpuid(1, 0, r);
	my_id = lapic_read(APIC_ID) >> 24;
	verdict_check(S, "lapic-id", my_id == si->vcpu && my_id == r[1] >> 24,
		      "APIC ID %u, CPUID initial APIC ID %u, vCPU %u", my_id, r[1] >> 24, si->vcpu);
	verdict_check(S, "lapic-version", (ver & 0xf0) == 0x10 && ((ver >> 16) & 0xff) >= 4,
		      "version register %x", ver);
	bool masked = true, clear = true;
	static const uint32_t lvts[] = { APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PERF,
					 APIC_LVT_LINT1, APIC_LVT_ERROR };
	for (unsigned i = 0; i < sizeof(lvts) / sizeof(lvts[0]); i++)
		masked &= (lapic_read(lvts[i]) & LVT_MASK) != 0;
	for (unsigned i = 0; i < 8; i++)
		clear &= !lapic_read(APIC_ISR + 0x10 * i) && !lapic_read(APIC_IRR + 0x10 * i);
	verdict_check(S, "lapic-reset-state", masked && clear && lapic_read(APIC_DFR) == 0xffffffffu &&
		      lapic_read(APIC_SVR) == 0xff && lapic_read(APIC_TPR) == 0 &&
		      lapic_read(APIC_LVT_LINT0) == 0x700, "masked %u clear %u dfr %x svr %x lint0 %x",
		      masked, clear, lapic_read(APIC_DFR), lapic_read(APIC_SVR),
		      lapic_read(APIC_LVT_LINT0));
}

static void t_cpuid(const struct keel_start_info *si)
{
	uint32_t r1[4], r6[4], t[4];
	cpuid(1, 0, r1);
	cpuid(6, 0, r6);
	verdict_check(S, "cpuid-apic-features", (r1[2] & (1u << 24)) && !(r1[2] & (1u << 21)) &&
		      (r1[3] & (1u << 9)) && (r6[0] & 4), "leaf 1 ecx %x edx %x, leaf 6 eax %x",
		      r1[2], r1[3], r6[0]);
	cpuid(0x40000010, 0, t);
	bool ok = t[0] == si->tsc_khz && t[0] && t[1];
	const char *want = cmdline_get(si, "tsc_khz");
	uint64_t expect = 0;
	for (; want && *want >= '0' && *want <= '9'; want++)
		expect = expect * 10 + (uint64_t)(*want - '0');
	if (expect)
		ok &= t[0] + expect / 100 >= expect && t[0] <= expect + expect / 100;
	if (vendor_intel()) {
		uint32_t c[4], f[4];
		cpuid(0x15, 0, c);
		cpuid(0x16, 0, f);
		ok &= c[0] && (uint64_t)c[2] * c[1] / c[0] / 1000 == t[0] && c[2] / 1000 == t[1] &&
		      f[0] == t[0] / 1000;
	}
	verdict_check(S, "cpuid-tsc-frequency", ok, "leaf 0x40000010 %u/%u kHz, start info %lu, "
		      "expected %lu", t[0], t[1], (unsigned long)si->tsc_khz, (unsigned long)expect);
}

static void t_self_ipi(void)
{
	ilog_reset();
	intr_set(0x41, h_eoi);
	lapic_enable();
	verdict_check(S, "svr-enable", lapic_read(APIC_SVR) == 0x1ff, "svr %x", lapic_read(APIC_SVR));
	sti();
	lapic_ipi(0, ICR_SELF | 0x41);
	ilog_wait(1, 10000);
	cli();
	verdict_check(S, "self-ipi", ilog.n == 1 && ilog.vec[0] == 0x41 && (ilog.isr_seen[0] & 2) &&
		      !lapic_bit(APIC_ISR, 0x41) && !lapic_bit(APIC_IRR, 0x41),
		      "count %u isr in handler %x", ilog.n, ilog.isr_seen[0]);
}

/* A vector is delivered only when its class (bits 7:4) is above the PPR's (10.8.3.1). */
static void t_tpr(void)
{
	ilog_reset();
	intr_set(0x45, h_eoi);
	lapic_write(APIC_TPR, 0x50);
	lapic_ipi(0, ICR_SELF | 0x45);
	bool irr = lapic_bit(APIC_IRR, 0x45);
	uint32_t ppr = lapic_read(APIC_PPR);
	sti();
	delay_us(200);
	unsigned n0 = ilog.n;
	lapic_write(APIC_TPR, 0x40);
	delay_us(200);
	unsigned n1 = ilog.n;
	lapic_write(APIC_TPR, 0x3f);
	ilog_wait(1, 10000);
	cli();
	lapic_write(APIC_TPR, 0);
	verdict_check(S, "tpr-masks", irr && ppr == 0x50 && !n0 && !n1 && ilog.n == 1,
		      "irr %u ppr %x delivered at tpr 0x50: %u, 0x40: %u, 0x3f: %u", irr, ppr, n0,
		      n1, ilog.n);
}

/* Pending vectors go highest first (10.8.3). */
static void t_priority_order(void)
{
	ilog_reset();
	intr_set(0x51, h_eoi);
	intr_set(0x61, h_eoi);
	intr_set(0x71, h_eoi);
	lapic_ipi(0, ICR_SELF | 0x51);
	lapic_ipi(0, ICR_SELF | 0x71);
	lapic_ipi(0, ICR_SELF | 0x61);
	sti();
	ilog_wait(3, 10000);
	cli();
	verdict_check(S, "priority-order", ilog.n == 3 && ilog.vec[0] == 0x71 && ilog.vec[1] == 0x61 &&
		      ilog.vec[2] == 0x51, "%u taken: %x %x %x", ilog.n, ilog.vec[0], ilog.vec[1],
		      ilog.vec[2]);
}

static volatile uint32_t ppr_in_handler;

/* In the 0x52 handler: a higher class nests at once, a lower one waits for the EOI. */
static void h_nest(unsigned v)
{
	h_noeoi(v);
	ppr_in_handler = lapic_read(APIC_PPR);
	sti();
	lapic_ipi(0, ICR_SELF | 0x72);
	lapic_ipi(0, ICR_SELF | 0x42);
	delay_us(100);
	cli();
	h_noeoi(0x01); /* marker: the handler ends */
	lapic_eoi();
}

static void t_nesting(void)
{
	ilog_reset();
	intr_set(0x52, h_nest);
	intr_set(0x72, h_eoi);
	intr_set(0x42, h_eoi);
	lapic_ipi(0, ICR_SELF | 0x52);
	sti();
	ilog_wait(4, 10000);
	cli();
	verdict_check(S, "nested-priority", ilog.n == 4 && ilog.vec[0] == 0x52 && ilog.vec[1] == 0x72 &&
		      ilog.vec[2] == 0x01 && ilog.vec[3] == 0x42 && ppr_in_handler == 0x50,
		      "%u: %x %x %x %x, ppr in handler %x", ilog.n, ilog.vec[0], ilog.vec[1],
		      ilog.vec[2], ilog.vec[3], ppr_in_handler);
}

static volatile bool both_in_service, high_retired, low_retired;

/* EOI retires the highest in-service vector, whichever handler writes it (10.8.5). */
static void h_outer(unsigned v)
{
	h_noeoi(v);
	sti();
	lapic_ipi(0, ICR_SELF | 0x73);
	delay_us(50);
	cli();
	both_in_service = lapic_bit(APIC_ISR, 0x73) && lapic_bit(APIC_ISR, 0x53);
	lapic_eoi();
	high_retired = !lapic_bit(APIC_ISR, 0x73) && lapic_bit(APIC_ISR, 0x53);
	lapic_eoi();
	low_retired = !lapic_bit(APIC_ISR, 0x53);
}

static void t_eoi_highest(void)
{
	ilog_reset();
	intr_set(0x53, h_outer);
	intr_set(0x73, h_noeoi);
	lapic_ipi(0, ICR_SELF | 0x53);
	sti();
	ilog_wait(2, 10000);
	cli();
	verdict_check(S, "eoi-retires-highest", ilog.n == 2 && both_in_service && high_retired &&
		      low_retired, "taken %u, both %u high %u low %u", ilog.n, both_in_service,
		      high_retired, low_retired);
}

/* With IF = 0 the interrupt waits (Keel asks for a window); after STI it comes once the next
 * instruction has run (SDM Vol. 2B STI). */
static void t_if_window(void)
{
	ilog_reset();
	intr_set(0x44, h_eoi);
	lapic_ipi(0, ICR_SELF | 0x44);
	delay_us(200);
	unsigned n0 = ilog.n;
	uint64_t w0 = hc_stat(KEEL_STAT_INTR_WINDOWS);
	__asm__ volatile("sti; nop" ::: "memory");
	unsigned n1 = ilog.n;
	cli();
	verdict_check(S, "interrupt-window", !n0 && n1 == 1 && w0 >= 1,
		      "while IF=0: %u, after sti: %u, windows %lu", n0, n1, (unsigned long)w0);
}

/* ESR: errors are seen after a write to it (10.5.3); an illegal vector to send sets bit 5 and
 * raises the LVT error entry when unmasked. */
static void t_esr(void)
{
	lapic_write(APIC_ESR, 0);
	uint32_t e0 = lapic_read(APIC_ESR);
	lapic_ipi(0, ICR_SELF | 0x05);
	lapic_write(APIC_ESR, 0);
	uint32_t e1 = lapic_read(APIC_ESR);
	lapic_write(APIC_ESR, 0);
	uint32_t e2 = lapic_read(APIC_ESR);
	verdict_check(S, "esr-send-illegal", !e0 && (e1 & 0x20) && !e2, "esr %x, %x, %x", e0, e1, e2);
	ilog_reset();
	intr_set(0x5e, h_eoi);
	lapic_write(APIC_LVT_ERROR, 0x5e);
	sti();
	lapic_ipi(0, ICR_SELF | 0x07);
	ilog_wait(1, 10000);
	cli();
	lapic_write(APIC_LVT_ERROR, LVT_MASK | 0x5e);
	lapic_write(APIC_ESR, 0);
	lapic_write(APIC_ESR, 0);
	verdict_check(S, "lvt-error", ilog.n == 1 && ilog.vec[0] == 0x5e, "taken %u", ilog.n);
}

static void t_nmi(void)
{
	ilog_reset();
	intr_set(2, h_noeoi);
	lapic_ipi((uint8_t)my_id, ICR_NMI);
	ilog_wait(1, 10000);
	verdict_check(S, "nmi-ipi", ilog.n == 1 && ilog.vec[0] == 2, "taken %u", ilog.n);
}

/* Logical destinations: flat model (a bit of LDR[31:24]) and cluster model (cluster in bits
 * 7:4, member bits 3:0); physical 0xff is everyone (10.6.2). */
static void t_destinations(void)
{
	ilog_reset();
	for (unsigned v = 0x47; v <= 0x4a; v++)
		intr_set(v, h_eoi);
	sti();
	lapic_write(APIC_DFR, 0xffffffffu);
	lapic_write(APIC_LDR, 0x01000000u);
	lapic_ipi(0x01, ICR_LOGICAL | 0x47);
	lapic_ipi(0x02, ICR_LOGICAL | 0x48);
	lapic_write(APIC_DFR, 0x0fffffffu);
	lapic_write(APIC_LDR, 0x21000000u);
	lapic_ipi(0x23, ICR_LOGICAL | 0x49);
	lapic_ipi(0x11, ICR_LOGICAL | 0x48);
	lapic_ipi(0xff, 0x4a);
	ilog_wait(3, 10000);
	delay_us(100);
	cli();
	lapic_write(APIC_DFR, 0xffffffffu);
	lapic_write(APIC_LDR, 0x01000000u);
	verdict_check(S, "logical-and-broadcast", ilog.n == 3 && ilog_count(0x47) == 1 &&
		      ilog_count(0x49) == 1 && ilog_count(0x4a) == 1 && !ilog_count(0x48),
		      "taken %u: flat %u cluster %u broadcast %u mismatched %u", ilog.n,
		      ilog_count(0x47), ilog_count(0x49), ilog_count(0x4a), ilog_count(0x48));
	ilog_reset();
	intr_set(0x4b, h_eoi);
	sti();
	lapic_ipi(0x01, ICR_LOGICAL | ICR_LOWPRI | 0x4b);
	ilog_wait(1, 10000);
	cli();
	verdict_check(S, "lowest-priority-self", ilog.n == 1 && ilog.vec[0] == 0x4b, "taken %u", ilog.n);
}

/* Software-disabled (SVR bit 8 clear): no fixed interrupt is accepted and LVT entries stay
 * masked (10.4.7.2). */
static void t_sw_disable(void)
{
	lapic_write(APIC_SVR, 0xff);
	lapic_ipi(0, ICR_SELF | 0x4c);
	bool taken = lapic_bit(APIC_IRR, 0x4c);
	lapic_write(APIC_LVT_PERF, 0x4d);
	uint32_t perf = lapic_read(APIC_LVT_PERF);
	lapic_enable();
	lapic_ipi(0, ICR_SELF | 0x4c);
	bool taken_after = lapic_bit(APIC_IRR, 0x4c);
	intr_set(0x4c, h_eoi);
	sti();
	ilog_wait(1, 10000);
	cli();
	verdict_check(S, "software-disable", !taken && (perf & LVT_MASK) && taken_after,
		      "accepted while disabled %u, lvt %x, accepted after %u", taken, perf, taken_after);
}

static void t_hc_irq(const struct keel_start_info *si)
{
	struct hc_result a = hc(KEEL_HC_IRQ, si->partition, 3, 1);
	struct hc_result b = hc(KEEL_HC_IRQ, si->partition, 3, 7);
	verdict_check(S, "hc-irq-refused", a.status == KEEL_EPERM && b.status == KEEL_EINVAL,
		      "status %lu and %lu", (unsigned long)a.status, (unsigned long)b.status);
}

/* MOV to/from CR8 in 64-bit mode is TPR[7:4] (10.8.6.1). The bytes are the encodings of
 * mov %rax,%cr8 and mov %cr8,%rax (REX.R selects CR8); 32-bit builds never run them. */
static void t_cr8(void)
{
	if (sizeof(ureg) != 8) {
		verdict_skip(S, "cr8-is-tpr", "CR8 exists in 64-bit mode only");
		return;
	}
	ureg in = 5, out;
	__asm__ volatile(".byte 0x44, 0x0f, 0x22, 0xc0" : : "a"(in) : "memory");
	uint32_t tpr = lapic_read(APIC_TPR);
	lapic_write(APIC_TPR, 0x90);
	__asm__ volatile(".byte 0x44, 0x0f, 0x20, 0xc0" : "=a"(out) : : "memory");
	lapic_write(APIC_TPR, 0);
	verdict_check(S, "cr8-is-tpr", tpr == 0x50 && out == 9, "tpr after cr8=5: %x, cr8 at tpr "
		      "0x90: %lx", tpr, (unsigned long)out);
}

/* A self-IPI that CR8 = 15 holds back in the IRR stays there while CR8 drops to 14 (which
 * reads back), and is taken at the instruction boundary right after the MOV that lowers CR8 to
 * 0 (10.8.6.1): VMX exits on every MOV to CR8, SVM on those made while an interrupt waits. */
static void t_cr8_unmask(void)
{
	if (sizeof(ureg) != 8) {
		verdict_skip(S, "cr8-lowered-delivers", "CR8 exists in 64-bit mode only");
		return;
	}
	ilog_reset();
	intr_set(0x43, h_eoi);
	ureg hi = 15, mid = 14, lo = 0, back;
	__asm__ volatile(".byte 0x44, 0x0f, 0x22, 0xc0" : : "a"(hi) : "memory");
	sti();
	lapic_ipi(0, ICR_SELF | 0x43);
	ilog_wait(1, 1000);
	unsigned held = ilog.n;
	bool in_irr = lapic_bit(APIC_IRR, 0x43);
	__asm__ volatile(".byte 0x44, 0x0f, 0x22, 0xc0" : : "a"(mid) : "memory");
	__asm__ volatile(".byte 0x44, 0x0f, 0x20, 0xc0" : "=a"(back) : : "memory");
	unsigned held_mid = *(volatile unsigned *)&ilog.n;
	__asm__ volatile(".byte 0x44, 0x0f, 0x22, 0xc0" : : "a"(lo) : "memory");
	unsigned right_after = *(volatile unsigned *)&ilog.n;
	ilog_wait(1, 10000);
	cli();
	verdict_check(S, "cr8-lowered-delivers", !held && in_irr && back == 14 && !held_mid &&
		      right_after == 1 && ilog.n == 1 && ilog.vec[0] == 0x43 &&
		      !lapic_bit(APIC_IRR, 0x43),
		      "taken at cr8=15: %u, in irr %d, cr8=14 reads %lu, taken at 14: %u, right after "
		      "cr8=0: %u, in all: %u", held, in_irr, (unsigned long)back, held_mid, right_after,
		      ilog.n);
}

void irq_lapic_tests(const struct keel_start_info *si)
{
	t_reset_state(si);
	t_cpuid(si);
	t_self_ipi();
	t_tpr();
	t_priority_order();
	t_nesting();
	t_eoi_highest();
	t_if_window();
	t_esr();
	t_nmi();
	t_destinations();
	t_sw_disable();
	t_hc_irq(si);
	t_cr8();
	t_cr8_unmask();
}

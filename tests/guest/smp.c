/* SMP payload (a 2-vCPU partition): the AP starts parked; INIT-SIPI-SIPI in the SDM's sequence
 * starts it once in real mode at vector × 0x1000; SIPIs without INIT, second SIPIs and IPIs to
 * APIC IDs outside the partition change nothing; INIT stops a running AP and resets its APIC;
 * the MP table lists the APIC IDs the vCPUs read; the TSC is in step across vCPUs. IPIs
 * between the vCPUs are in smp_ipi.c. */
#include "smp.h"

extern const char smp_tramp_start[], smp_tramp_end[], smp_tramp_ip[], smp_ap_pm32[];
uint8_t smp_ap_stacks[SMP_MAX_CPUS << SMP_STACK_SHIFT] __attribute__((aligned(16)));

struct cpu_log logs[SMP_MAX_CPUS];
struct ap_state ap;

unsigned my_apic_id(void) { return (lapic_read(APIC_ID) >> 24) & (SMP_MAX_CPUS - 1); }

void log_reset(unsigned cpu) { logs[cpu].n = 0; }

void h_log_noeoi(unsigned vector)
{
	struct cpu_log *l = &logs[my_apic_id()];
	unsigned i = l->n;
	if (i < LOG_MAX) {
		l->vec[i] = (uint8_t)vector;
		l->tsc[i] = rdtsc();
	}
	l->n = i + 1;
}

void h_log(unsigned vector)
{
	h_log_noeoi(vector);
	lapic_eoi();
}

unsigned log_count(unsigned cpu, uint8_t vector)
{
	unsigned c = 0;
	for (unsigned i = 0; i < logs[cpu].n && i < LOG_MAX; i++)
		c += logs[cpu].vec[i] == vector;
	return c;
}

bool log_wait(unsigned cpu, unsigned n, uint64_t us)
{
	uint64_t t0 = rdtsc(), span = us * tsc_khz() / 1000;
	while (logs[cpu].n < n && rdtsc() - t0 < span)
		pause();
	return logs[cpu].n >= n;
}

static void h_wake(unsigned vector)
{
	(void)vector;
	lapic_eoi();
}

/* An AP halted in its loop sees a call only after an interrupt: vector 0x5f wakes it. */
void ap_wake(void) { lapic_ipi(1, 0x5f); }

bool ap_call(void (*fn)(uintptr_t), uintptr_t arg, uint64_t us)
{
	unsigned done = ap.done;
	ap.arg = arg;
	ap.fn = fn;
	uint64_t t0 = rdtsc(), span = us * tsc_khz() / 1000;
	while (ap.done == done && rdtsc() - t0 < span)
		pause();
	return ap.done != done;
}

static volatile uint8_t *tramp(unsigned page) { return (volatile uint8_t *)(uintptr_t)(page << 12); }

uint32_t tramp_count(unsigned page) { return *(volatile uint32_t *)(tramp(page) + TR_COUNT); }

/* INIT assert, then INIT level de-assert, as the MP spec's start-up sequence sends them. */
void send_init(uint8_t dest)
{
	lapic_ipi(dest, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	lapic_ipi(dest, ICR_INIT | ICR_LEVEL);
}

void smp_ap_main(unsigned id);
void smp_ap_main(unsigned id)
{
	(void)id;
	exc_load();
	ap.svr_at_start = lapic_read(APIC_SVR);
	ap.apic_id = lapic_read(APIC_ID) >> 24;
	lapic_enable();
	ap.starts++;
	sti();
	for (;;) {
		ap.alive++;
		void (*fn)(uintptr_t) = ap.fn;
		if (fn) {
			ap.fn = 0;
			fn(ap.arg);
			ap.done++;
		}
		if (ap.halt)
			sti_hlt();
		else
			pause();
	}
}

static void tramp_install(unsigned page)
{
	volatile uint8_t *t = tramp(page);
	size_t n = (size_t)(smp_tramp_end - smp_tramp_start);
	for (size_t i = 0; i < 0x200; i++)
		t[i] = i < n ? (uint8_t)smp_tramp_start[i] : 0;
	uint16_t limit = 0x2f;
	uint32_t gdt = KEEL_GUEST_GDT, pm32 = (uint32_t)(uintptr_t)smp_ap_pm32;
	uint16_t sel = KEEL_GUEST_SEL_CODE32;
	memcpy((void *)(t + TR_GDTR), &limit, 2);
	memcpy((void *)(t + TR_GDTR + 2), &gdt, 4);
	memcpy((void *)(t + TR_PM32), &pm32, 4);
	memcpy((void *)(t + TR_PM32 + 4), &sel, 2);
}

static uint64_t alive_after(uint64_t us)
{
	uint64_t a = ap.alive;
	delay_us(us);
	return ap.alive - a;
}

/* SDM Vol. 3A 8.4.4.1: INIT, 10 ms, SIPI, 200 us, SIPI. The second SIPI names another page:
 * it must not start the AP again. */
static void t_startup(void)
{
	delay_us(2000);
	verdict_check(S, "ap-parked-before-init", !tramp_count(PAGE_A) && !tramp_count(PAGE_B) &&
		      !ap.starts, "starts %u/%u", tramp_count(PAGE_A), tramp_count(PAGE_B));
	lapic_ipi(1, ICR_SIPI | PAGE_A);
	delay_us(5000);
	verdict_check(S, "sipi-without-init-ignored", !tramp_count(PAGE_A) && !ap.starts,
		      "starts %u", tramp_count(PAGE_A));
	send_init(1);
	delay_us(10000);
	lapic_ipi(1, ICR_SIPI | PAGE_A);
	delay_us(200);
	lapic_ipi(1, ICR_SIPI | PAGE_B);
	uint64_t t0 = rdtsc();
	while (!ap.starts && rdtsc() - t0 < 200 * tsc_khz())
		pause();
	delay_us(2000);
	volatile uint8_t *t = tramp(PAGE_A);
	uint16_t cs = *(volatile uint16_t *)(t + TR_CS), ip = *(volatile uint16_t *)(t + TR_IP);
	uint16_t msw = *(volatile uint16_t *)(t + TR_MSW);
	uint16_t ip_want = (uint16_t)(smp_tramp_ip - smp_tramp_start);
	verdict_check(S, "init-sipi-sipi-starts-once", ap.starts == 1 && tramp_count(PAGE_A) == 1 &&
		      !tramp_count(PAGE_B), "AP starts %u, page A %u, page B %u", ap.starts,
		      tramp_count(PAGE_A), tramp_count(PAGE_B));
	verdict_check(S, "ap-real-mode-at-vector", cs == PAGE_A << 8 && ip == ip_want && !(msw & 1) &&
		      ap.apic_id == 1, "CS %x IP %x (want %x) MSW %x, AP APIC ID %u", cs, ip, ip_want,
		      msw, ap.apic_id);
}

/* The MP table's processor entries: the APIC IDs the vCPUs read themselves, enabled, the BSP
 * flag on the BSP's (MP spec 4.3.1). */
static void t_mptable(unsigned nr_vcpus)
{
	unsigned found = 0, bad = 0;
	for (uintptr_t a = 0x9fc00; a < 0xa0000; a += 16) {
		const uint8_t *fp = (const uint8_t *)a;
		if (memcmp(fp, "_MP_", 4))
			continue;
		uint32_t tp;
		uint16_t n;
		memcpy(&tp, fp + 4, 4);
		const uint8_t *c = (const uint8_t *)(uintptr_t)tp, *e = c + 44;
		memcpy(&n, c + 34, 2);
		for (unsigned i = 0; i < n; i++) {
			if (e[0] == 0) {
				unsigned id = e[1];
				bool bsp = e[3] & 2, en = e[3] & 1;
				found++;
				bad += !en || bsp != (id == my_apic_id()) ||
				       (id != my_apic_id() && id != ap.apic_id);
			}
			e += e[0] == 0 ? 20 : 8;
		}
	}
	verdict_check(S, "mptable-matches-apic-ids", found == nr_vcpus && !bad,
		      "%u processor entries for %u vCPUs, %u mismatched", found, nr_vcpus, bad);
}

/* Alternating reads through shared memory must never go backwards (Linux's warp check). */
static volatile uint64_t tsc_box;
static volatile unsigned tsc_turn, tsc_bad;

static void ap_tsc_pingpong(uintptr_t rounds)
{
	for (uintptr_t i = 0; i < rounds; i++) {
		while (tsc_turn != 1)
			pause();
		uint64_t now = rdtsc();
		tsc_bad += now < tsc_box;
		tsc_box = now;
		tsc_turn = 0;
	}
}

static void t_tsc_sync(void)
{
	const unsigned rounds = 200;
	tsc_turn = 0;
	tsc_bad = 0;
	ap.arg = rounds;
	ap.fn = ap_tsc_pingpong;
	for (unsigned i = 0; i < rounds; i++) {
		uint64_t now = rdtsc();
		tsc_bad += now < tsc_box;
		tsc_box = now;
		tsc_turn = 1;
		uint64_t t0 = rdtsc();
		while (tsc_turn != 0 && rdtsc() - t0 < 100 * tsc_khz())
			pause();
	}
	verdict_check(S, "tsc-in-step", !tsc_bad && tsc_turn == 0, "%u reads went backwards",
		      tsc_bad);
}

/* A SIPI to a running AP is ignored; INIT stops it and resets its APIC (SVR back to 0xff);
 * the next SIPI starts it at its page; one more SIPI is ignored; messages to APIC IDs no vCPU
 * of the partition has (2 is another partition's CPU under a 4-CPU run) are dropped. */
static void t_restart(void)
{
	ap.halt = false;
	lapic_ipi(1, ICR_SIPI | PAGE_B);
	delay_us(2000);
	bool kept = tramp_count(PAGE_B) == 0 && ap.starts == 1 && alive_after(2000) > 0;
	verdict_check(S, "sipi-to-running-ap-ignored", kept, "page B %u, starts %u",
		      tramp_count(PAGE_B), ap.starts);
	send_init(1);
	delay_us(2000);
	uint64_t frozen = alive_after(5000);
	verdict_check(S, "init-stops-running-ap", !frozen, "AP ran %lu loops after INIT",
		      (unsigned long)frozen);
	lapic_ipi(1, ICR_SIPI | PAGE_B);
	uint64_t t0 = rdtsc();
	while (ap.starts < 2 && rdtsc() - t0 < 200 * tsc_khz())
		pause();
	lapic_ipi(1, ICR_SIPI | PAGE_A);
	delay_us(3000);
	verdict_check(S, "sipi-after-init-restarts", ap.starts == 2 && tramp_count(PAGE_B) == 1 &&
		      tramp_count(PAGE_A) == 1 && ap.svr_at_start == 0xff && alive_after(2000),
		      "starts %u, page A %u, page B %u, SVR at start %x", ap.starts,
		      tramp_count(PAGE_A), tramp_count(PAGE_B), ap.svr_at_start);
	lapic_ipi(2, ICR_SIPI | PAGE_A);
	send_init(7);
	lapic_ipi(7, ICR_SIPI | PAGE_A);
	lapic_ipi(5, 0x4f);
	delay_us(3000);
	verdict_check(S, "ipi-outside-partition-dropped", ap.starts == 2 && tramp_count(PAGE_A) == 1 &&
		      alive_after(2000), "starts %u, page A %u", ap.starts, tramp_count(PAGE_A));
}

static void ap_exit(uintptr_t arg)
{
	(void)arg;
	hc(KEEL_HC_EXIT, 0, 0, 0);
}

int guest_main(const struct keel_start_info *si)
{
	g_printf("smp: partition %s, %u vCPUs, %s\n", si->name, si->nr_vcpus,
		 sizeof(ureg) == 8 ? "long mode" : "protected mode");
	if (si->nr_vcpus != 2) {
		verdict_fail(S, "two-vcpus", "the partition has %u vCPUs", si->nr_vcpus);
		return 1;
	}
	lapic_enable();
	intr_set(0x5f, h_wake);
	tramp_install(PAGE_A);
	tramp_install(PAGE_B);
	t_startup();
	if (ap.starts != 1)
		return 1;
	t_mptable(si->nr_vcpus);
	t_tsc_sync();
	smp_ipi_tests();
	t_restart();
	ap_call(ap_exit, 0, 0);
	return 0;
}

/* Basic payload: the boot contract, CPUID filtering, the test device, unbacked addresses and
 * ports, the MSR allow-list, and faults Keel must inject. Runs in long mode and protected mode. */
#include "lib/guest.h"

#define S "basic"
#define UNBACKED_MMIO 0xfe000000u
#define MSR_EFER 0xc0000080u

static volatile uint8_t *const tdev = (volatile uint8_t *)(uintptr_t)KEEL_TESTDEV_GPA;

static void check_start_info(const struct keel_start_info *si)
{
	bool ok = si->size == sizeof(*si) && si->ram_size >= (16u << 20) && si->nr_vcpus >= 1 &&
		  si->image_start >= KEEL_GUEST_IMAGE_MIN && si->image_end <= si->ram_size;
	verdict_check(S, "start-info", ok, "size %u ram %lx image [%lx-%lx)", si->size,
		      (unsigned long)si->ram_size, (unsigned long)si->image_start,
		      (unsigned long)si->image_end);
}

static void check_cpuid(void)
{
	uint32_t r[4], e[4];
	cpuid(1, 0, r);
	verdict_check(S, "cpuid-hypervisor-bit", r[2] & (1u << 31), "ecx %x", r[2]);
	verdict_check(S, "cpuid-vmx-hidden", !(r[2] & (1u << 5)), "ecx %x", r[2]);
	cpuid(0x80000000, 0, e);
	if (e[0] >= 0x80000001) {
		cpuid(0x80000001, 0, e);
		verdict_check(S, "cpuid-svm-hidden", !(e[2] & (1u << 2)), "ecx %x", e[2]);
	} else {
		verdict_skip(S, "cpuid-svm-hidden", "no extended leaf 0x80000001");
	}
	cpuid(0x40000001, 0, r);
	verdict_check(S, "cpuid-keel-abi", r[0] == KEEL_ABI_VERSION, "eax %x", r[0]);
	struct hc_result h = hc(KEEL_HC_VERSION, 0, 0, 0);
	verdict_check(S, "hypercall-version", h.status == KEEL_OK && h.rbx == KEEL_ABI_VERSION,
		      "status %lx abi %lx", (unsigned long)h.status, (unsigned long)h.rbx);
	h = hc(0x7777, 0, 0, 0);
	verdict_check(S, "hypercall-unknown", h.status == KEEL_ENOSYS, "status %lx",
		      (unsigned long)h.status);
}

static void check_testdev(void)
{
	tdev_reset(0);
	tdev_poke(0x10, 0x1122334455667788ull);
	uint32_t v = *(volatile uint32_t *)(tdev + 0x10);
	verdict_check(S, "testdev-read32", v == 0x55667788u, "read %x", v);
	*(volatile uint16_t *)(tdev + 0x20) = 0xbeef;
	verdict_check(S, "testdev-write16", (uint16_t)tdev_peek(0x20) == 0xbeef, "peek %lx",
		      (unsigned long)tdev_peek(0x20));
	uint32_t off;
	uint8_t size, dir;
	uint64_t data;
	bool ok = tdev_log_count() == 2 && tdev_log_entry(0, &off, &size, &dir, &data) &&
		  off == 0x10 && size == 4 && dir == KEEL_TESTDEV_DIR_READ &&
		  tdev_log_entry(1, &off, &size, &dir, &data) && off == 0x20 && size == 2 &&
		  dir == KEEL_TESTDEV_DIR_WRITE && data == 0xbeef;
	verdict_check(S, "testdev-log", ok, "count %lu", (unsigned long)tdev_log_count());
}

static void check_unbacked(void)
{
	uint32_t v = *(volatile uint32_t *)(uintptr_t)UNBACKED_MMIO;
	verdict_check(S, "unbacked-mmio-ones", v == 0xffffffffu, "read %x", v);
	*(volatile uint32_t *)(uintptr_t)UNBACKED_MMIO = 1;
	uint8_t b = inb(0x2e0);
	verdict_check(S, "unbacked-port-ones", b == 0xff, "read %x", b);
}

static void rdmsr_efer(void *arg)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_EFER));
	*(uint64_t *)arg = (uint64_t)hi << 32 | lo;
}

static void rdmsr_bogus(void *arg)
{
	uint32_t lo, hi;
	(void)arg;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x12345678u));
}

static void check_msr(void)
{
	struct guest_exc x;
	uint64_t efer = 0;
	exc_try(rdmsr_efer, &efer, &x);
	bool lm = sizeof(ureg) == 8;
	verdict_check(S, "msr-efer", !x.raised && !!(efer & 0x400) == lm && !(efer & 0x1000),
		      "raised %u vector %u efer %lx", x.raised, x.vector, (unsigned long)efer);
	exc_try(rdmsr_bogus, NULL, &x);
	verdict_check(S, "msr-unknown-gp", x.raised && x.vector == 13 && x.error == 0,
		      "raised %u vector %u error %x", x.raised, x.vector, x.error);
}

static void fetch_mmio(void *arg)
{
	(void)arg;
	((void (*)(void))(uintptr_t)(KEEL_TESTDEV_GPA + 0x100))();
}

static void check_faults(void)
{
	struct guest_exc x;
	uint64_t ud0 = hc_stat(KEEL_STAT_INJECTED_UD);
	exc_try(fetch_mmio, NULL, &x);
	verdict_check(S, "fetch-from-mmio-ud", x.raised && x.vector == 6 &&
		      hc_stat(KEEL_STAT_INJECTED_UD) == ud0 + 1, "raised %u vector %u", x.raised,
		      x.vector);
}

/* With lencheck=1 Keel decodes every exit the hardware measured (port I/O on both vendors,
 * CPUID/RDMSR/HLT/VMCALL on VMX, everything on SVM with nRIP) and compares the lengths. */
static void check_lengths(void)
{
	for (int i = 0; i < 4; i++)
		(void)inb(0x2e0);
	uint64_t checked = hc_stat(KEEL_STAT_LEN_CHECKED), bad = hc_stat(KEEL_STAT_LEN_MISMATCH);
	verdict_check(S, "insn-length-vs-hardware", checked >= 4 && bad == 0,
		      "checked %lu mismatched %lu", (unsigned long)checked, (unsigned long)bad);
}

int guest_main(const struct keel_start_info *si)
{
	g_printf("basic: partition %s vcpu %u of %u, %s\n", si->name, si->vcpu, si->nr_vcpus,
		 sizeof(ureg) == 8 ? "long mode" : "protected mode");
	check_start_info(si);
	check_cpuid();
	check_testdev();
	check_unbacked();
	check_msr();
	check_faults();
	check_lengths();
	return 0;
}

/* Self-test cases around the guest rather than in it: EPT entry encodings, the interrupt
 * shadow, VM-entry failures reported by number, and host interrupts taken on exit. */
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <arch/lapic.h>
#include <arch/trap.h>
#include "vmx.h"
#include "vmx_selftest.h"

#define ULL(x) ((unsigned long long)(x))
#define VST_HOST_VECTOR 0x40

static volatile u32 vst_irqs;

static void vst_irq(struct trap_frame *f)
{
	(void)f;
	vst_irqs++;
	lapic_eoi();
}

/* Expected entries built from the bit layout of SDM Vol. 3C Tables 28-4/28-6 by hand. */
static void vst_ept_encodings(const struct virt_ops *ops)
{
	static const struct {
		u64 hpa;
		unsigned prot, mt, level;
		u64 want;
	} cases[] = {
		{ 0x1234000, NPT_RWX, NPT_MT_WB, 1, 0x1234000 | 0x7 | 6 << 3 | BIT(6) },
		{ 0x200000, NPT_RWX, NPT_MT_WB, 2, 0x200000 | 0x7 | 6 << 3 | BIT(6) | BIT(7) },
		{ 0xfeb00000, NPT_R | NPT_W, NPT_MT_UC, 1, 0xfeb00000 | 0x3 },
		{ 0x5000, NPT_W, NPT_MT_WC, 1, 0x5000 | 0x3 | 1 << 3 },   /* W implies R */
		{ 0x201000, NPT_RWX, NPT_MT_WB, 2, 0 },                    /* misaligned 2 MiB */
		{ 0x1000, 0, NPT_MT_WB, 1, 0 },                            /* no access */
		{ 0x1000, NPT_RWX, 2, 1, 0 },                              /* reserved type */
		{ 0x1000, NPT_RWX, NPT_MT_WB, 4, 0 },                      /* no 512 GiB pages */
	};
	char why[128] = "";
	bool ok = ops->npt_table(0x7000) == (0x7000 | 0x7);

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		u64 got = ops->npt_leaf(cases[i].hpa, cases[i].prot, cases[i].mt, cases[i].level);
		if (got != cases[i].want) {
			snprintf(why, sizeof(why), "case %u: %#llx, expected %#llx", i, ULL(got),
				 ULL(cases[i].want));
			ok = false;
		}
	}
	vst_verdict("vmx", "ept-encodings", ok, why);
}

static void vst_shadow(const struct virt_ops *ops, struct vcpu *v)
{
	struct vcpu_sregs s;

	ops->vcpu_get_sregs(v, &s);
	s.shadow = VCPU_SHADOW_STI;
	ops->vcpu_set_sregs(v, &s);
	ops->vcpu_get_sregs(v, &s);
	bool set = s.shadow == VCPU_SHADOW_STI;
	ops->vcpu_clear_shadow(v);
	ops->vcpu_get_sregs(v, &s);
	vst_verdict("vmx", "shadow-set-clear", set && s.shadow == 0, "STI blocking not kept or cleared");
}

/* A control the CPU forbids: VMLAUNCH fails with VM-instruction error 7; a guest CR0 with PG
 * but not PE: the entry fails with exit reason 33 (SDM Vol. 3C 26.2.1, 26.3.1.1). */
static void vst_entry_failures(const struct virt_ops *ops, struct vcpu *v)
{
	struct vcpu_sregs s;
	char why[128];

	vmcs_write(PIN_CTLS, 0);
	int rc = ops->vcpu_run(v);
	snprintf(why, sizeof(why), "rc %d kind %u raw %llu", rc, v->exit.kind, ULL(v->exit.raw));
	vst_verdict("vmx", "entry-fail-control", rc < 0 && v->exit.kind == VEXIT_ENTRY_FAIL &&
		    v->exit.raw == 7, why);
	vmcs_write(PIN_CTLS, vmx_caps.pin);
	ops->vcpu_get_sregs(v, &s);
	s.cr0 = CR0_PG | CR0_ET;
	ops->vcpu_set_sregs(v, &s);
	rc = ops->vcpu_run(v);
	snprintf(why, sizeof(why), "rc %d kind %u raw %#llx", rc, v->exit.kind, ULL(v->exit.raw));
	vst_verdict("vmx", "entry-fail-guest-state", rc == 0 && v->exit.kind == VEXIT_ENTRY_FAIL &&
		    v->exit.raw == (BIT(31) | 33), why);
}

/* A self-IPI left pending in the local APIC exits before the guest's first instruction; the
 * backend acknowledges it and hands it to the host IDT. The guest runs with IF = 1: Bochs 2.7
 * keeps the host's IF = 0 masking of INTR across VM entry (real CPUs exit regardless). A
 * self-NMI cannot be left pending: it is taken by the host at once. */
static void vst_host_events(const struct virt_ops *ops, struct vcpu *v)
{
	char why[128];
	u32 irqs = vst_irqs;
	int rc;

	trap_register(VST_HOST_VECTOR, vst_irq);
	v->regs.rflags = 0x202;
	v->dirty |= VCPU_DIRTY_RFLAGS;
	rc = lapic_send_ipi(lapic_id(), ICR_FIXED | ICR_ASSERT | VST_HOST_VECTOR);
	ops->vcpu_run(v);
	snprintf(why, sizeof(why), "ipi %d, kind %u raw %llu, handler ran %u times", rc, v->exit.kind,
		 ULL(v->exit.raw), vst_irqs - irqs);
	vst_verdict("vmx", "host-interrupt-exit", v->exit.kind == VEXIT_NONE && v->exit.raw == 1 &&
		    vst_irqs == irqs + 1, why);
	ops->vcpu_run(v);
	snprintf(why, sizeof(why), "kind %u rip %#llx", v->exit.kind, ULL(v->regs.rip));
	vst_verdict("vmx", "guest-runs-after-host-events", v->exit.kind == VEXIT_HYPERCALL, why);
}

/* Requests the bitmaps cannot express, or for MSRs the backend keeps, are refused. */
static void vst_intercept_errors(const struct virt_ops *ops, struct vcpu *v)
{
	int a = ops->vcpu_allow_msr(v, 0xc0000080, true, true);   /* EFER */
	int b = ops->vcpu_allow_msr(v, 0x40000000, true, false);  /* outside both ranges */
	int c = ops->vcpu_allow_io(v, 0xffff, 2);
	int d = ops->vcpu_allow_io(v, 0xfff0, 16);
	char why[96];

	snprintf(why, sizeof(why), "efer %d hv-range %d io-wrap %d io-last %d", a, b, c, d);
	vst_verdict("vmx", "intercept-api-errors", a == -EPERM && b == -ERANGE && c == -ERANGE &&
		    d == 0, why);
}

extern const u8 vst_blob_pae[], vst_pae_read_at[], vst_pae_end[];

/* PAE paging switched on by a CR0 write the backend completes: the PDPTE from guest memory
 * must reach the VMCS, and the read through it must fault on EPT at the identity address. */
static void vst_pae(const struct virt_ops *ops, struct vcpu *v)
{
	const u64 code = 0xa000, pdpt = 0x7000, pdpte0 = 0x6000 | 1;
	struct vcpu_sregs s;
	char why[160];

	memcpy(vst_gpa(code), vst_blob_pae, (size_t)(vst_pae_end - vst_blob_pae));
	memset(vst_gpa(pdpt), 0, 32);
	memcpy(vst_gpa(pdpt), &pdpte0, 8);
	ops->vcpu_get_sregs(v, &s);
	for (unsigned i = 0; i < SEG_COUNT; i++)
		s.seg[i] = (struct emul_seg){ .limit = 0xffffffff, .sel = 0x10, .attr = 0xc093 };
	s.seg[SEG_CS] = (struct emul_seg){ .limit = 0xffffffff, .sel = 0x18, .attr = 0xc09b };
	s.cr0 = CR0_PE | CR0_ET;
	s.cr4 = CR4_PAE;
	s.cr3 = pdpt;
	ops->vcpu_set_sregs(v, &s);
	vcpu_set_rip(v, code);
	do
		ops->vcpu_run(v);
	while (v->exit.kind == VEXIT_NONE && v->regs.rip < code + 16);
	ops->vcpu_get_sregs(v, &s);
	u64 got = vmcs_read(GUEST_PDPTE0);
	snprintf(why, sizeof(why), "exit %u rip %#llx gpa %#llx cr0 %#llx pdpte0 %#llx", v->exit.kind,
		 ULL(v->regs.rip), ULL(v->exit.npf.gpa), ULL(s.cr0), ULL(got));
	vst_verdict("vmx", "pae-pdpte-load", v->exit.kind == VEXIT_NPF &&
		    v->regs.rip == code + (u64)(vst_pae_read_at - vst_blob_pae) &&
		    v->exit.npf.gpa == VST_READ_GPA && s.cr0 == (CR0_PG | CR0_NE | CR0_PE | CR0_ET) &&
		    !(s.efer & EFER_LMA) && got == pdpte0, why);
}

/* Host TSC ticks per CPUID exit round trip (guest CPUID, exit, decode, RIP write, entry);
 * under Bochs the TSC advances once per emulated instruction (platform.md §3). */
static void vst_bench_cpuid(const struct virt_ops *ops, struct vcpu *v)
{
	static const u8 code[] = { 0x0f, 0xa2 }; /* CPUID */
	const u64 at = 0xb000;
	const unsigned n = 1000;
	unsigned ok = 0;

	memcpy(vst_gpa(at), code, sizeof(code));
	u64 t0 = rdtsc();
	for (unsigned i = 0; i < n; i++) {
		vcpu_set_rip(v, at);
		ops->vcpu_run(v);
		ok += v->exit.kind == VEXIT_CPUID;
	}
	u64 t1 = rdtsc();
	vst_verdict("vmx", "cpuid-exit-loop", ok == n, "an iteration did not exit with CPUID");
	printk("bench vmx-cpuid-exit-roundtrip %llu tsc-ticks\n", ULL((t1 - t0) / n));
}

void vst_host_tests(const struct virt_ops *ops, u64 root)
{
	static struct vcpu v;
	static const u8 code[] = { 0x0f, 0x01, 0xc1 }; /* VMCALL */

	vst_ept_encodings(ops);
	v.id = 9;
	if (ops->vcpu_init(&v) < 0) {
		vst_verdict("vmx", "scratch-vcpu", false, "vcpu_init failed");
		return;
	}
	ops->npt_activate(&v, root);
	vst_intercept_errors(ops, &v);
	vst_shadow(ops, &v);
	ops->vcpu_start_at(&v, VST_SIPI_VEC);
	vst_entry_failures(ops, &v);
	memcpy(vst_gpa(VST_SIPI_VEC << 12), code, sizeof(code));
	ops->vcpu_start_at(&v, VST_SIPI_VEC);
	vst_host_events(ops, &v);
	vst_pae(ops, &v);
	vst_bench_cpuid(ops, &v);
}

/* VMX backend self-test, run when Keel's command line has virt_selftest=1: probe, VMXON, then
 * one small guest per CPU mode (real, 32-bit protected, 64-bit long) whose exits must arrive
 * as vmx_selftest_steps.c lists them, plus state round trips, start-up at a SIPI vector and
 * TSC offsetting, host-side cases (vmx_selftest_host.c) and INIT/SIPI exits on another CPU
 * (vmx_selftest_ap.c). Prints VERDICT lines (suite virt/); it only needs the backend. */
#include <keel/format.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <arch/io.h>
#include "vmx.h"
#include "vmx_selftest.h"

extern const u8 vst_blob16[], vst_blob32[], vst_blob64[];
extern const u16 vst_marks16[], vst_marks32[], vst_marks64[];

static u8 *vst_ram[VST_RAM_PAGES], *vst_late;
static u64 *vst_pt;
static u64 vst_root;
static struct vcpu vst_vcpus[VST_MODES];

u64 vst_rip(const struct vst *t, enum vst_mark m) { return VST_CODE + t->marks[m]; }

void *vst_gpa(u64 gpa)
{
	if (gpa < VST_RAM_PAGES * PAGE_SIZE)
		return vst_ram[gpa >> 12] + (gpa & 0xfff);
	if (gpa >> 12 == VST_LATE >> 12)
		return vst_late + (gpa & 0xfff);
	return NULL;
}

void vst_map_late(struct vst *t)
{
	vst_pt[VST_LATE >> 12] = t->ops->npt_leaf(vmx_pa(vst_late), NPT_RWX, NPT_MT_WB, 1);
	t->ops->npt_flush(t->v);
}

/* EPT for GPA 0-2 MiB: RAM pages 0-15 mapped, everything else left not-present. */
static int vst_ept_build(const struct virt_ops *ops)
{
	u64 *pml4 = vmx_page_alloc(), *pdpt = vmx_page_alloc(), *pd = vmx_page_alloc();

	vst_pt = vmx_page_alloc();
	vst_late = vmx_page_alloc();
	if (!pml4 || !pdpt || !pd || !vst_pt || !vst_late)
		return -1;
	pml4[0] = ops->npt_table(vmx_pa(pdpt));
	pdpt[0] = ops->npt_table(vmx_pa(pd));
	pd[0] = ops->npt_table(vmx_pa(vst_pt));
	for (unsigned i = 0; i < VST_RAM_PAGES; i++) {
		vst_ram[i] = vmx_page_alloc();
		if (!vst_ram[i])
			return -1;
		vst_pt[i] = ops->npt_leaf(vmx_pa(vst_ram[i]), NPT_RWX, NPT_MT_WB, 1);
	}
	vst_root = vmx_pa(pml4);
	return 0;
}

static void vst_put(u64 gpa, const void *src, size_t n) { memcpy(vst_gpa(gpa), src, n); }

static void vst_gate(const struct vst *t, u8 vector, u64 target)
{
	if (t->mode == VST_REAL) {
		u16 ivt[2] = { (u16)target, 0 };
		vst_put(vector * 4u, ivt, sizeof(ivt));
	} else if (t->mode == VST_PROT32) {
		u64 g = (target & 0xffff) | (u64)0x18 << 16 | 0x8eull << 40 | (target >> 16) << 48;
		vst_put(VST_IDT + vector * 8u, &g, 8);
	} else {
		u64 g[2] = { (target & 0xffff) | (u64)0x08 << 16 | 0x8eull << 40 |
				     ((target >> 16) & 0xffff) << 48, target >> 32 };
		vst_put(VST_IDT + vector * 16u, g, 16);
	}
}

/* Guest memory for one mode: the blob, IVT or IDT, GDT, and long mode's page tables (an
 * identity 2 MiB page covers all test addresses). */
static void vst_memory(struct vst *t, const u8 *blob)
{
	/* null, code64, data, code32, and a 32-bit TSS at 0x5000 for the task-switch exit */
	static const u64 gdt[5] = { 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull,
				    0x00cf9b000000ffffull, 0x0000890050000067ull };
	static const u8 vectors[] = { 2, 13, 14, 0x40 };

	for (unsigned i = 0; i < VST_RAM_PAGES; i++)
		memset(vst_ram[i], 0, PAGE_SIZE);
	memset(vst_late, 0, PAGE_SIZE);
	vst_pt[VST_LATE >> 12] = 0;
	vst_put(VST_CODE, blob, t->marks[M_BLOB_END]);
	vst_put(VST_GDT, gdt, sizeof(gdt));
	for (unsigned i = 0; i < ARRAY_SIZE(vectors); i++)
		vst_gate(t, vectors[i], vst_rip(t, M_HANDLER));
	u64 pml4e = (VST_PML4 + 0x1000) | 3, pdpte = (VST_PML4 + 0x2000) | 3, pde = 0x83;
	vst_put(VST_PML4, &pml4e, 8);
	vst_put(VST_PML4 + 0x1000, &pdpte, 8);
	vst_put(VST_PML4 + 0x2000, &pde, 8);
}

static void vst_sregs(const struct vst *t, struct vcpu_sregs *s)
{
	static const u32 code_ar[] = { 0x9b, 0xc09b, 0xa09b };
	static const u16 code_sel[] = { 0, 0x18, 0x08 };
	bool flat = t->mode != VST_REAL;

	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < SEG_COUNT; i++)
		s->seg[i] = (struct emul_seg){ .limit = flat ? 0xffffffff : 0xffff,
					       .sel = flat ? 0x10 : 0, .attr = flat ? 0xc093 : 0x93 };
	s->seg[SEG_CS].sel = code_sel[t->mode];
	s->seg[SEG_CS].attr = code_ar[t->mode];
	if (t->mode == VST_LONG64)
		s->seg[SEG_FS].base = VST_FS_BASE;
	s->ldtr = (struct emul_seg){ .attr = SEG_ATTR_UNUSABLE };
	s->tr = (struct emul_seg){ .limit = 0x67, .attr = 0x8b };
	s->gdtr_base = flat ? VST_GDT : 0;
	s->gdtr_limit = flat ? 0x27 : 0xffff;
	s->idtr_base = flat ? VST_IDT : 0;
	s->idtr_limit = t->mode == VST_REAL ? 0x3ff : 0xfff;
	s->cr0 = t->cr0;
	s->cr4 = t->cr4;
	s->cr3 = t->mode == VST_LONG64 ? VST_PML4 : 0;
	s->efer = t->mode == VST_LONG64 ? EFER_LME | EFER_LMA : 0;
	s->pat = 0x0007040600070406ull;
	s->xcr0 = 1;
}

static bool vst_seg_eq(const struct emul_seg *a, const struct emul_seg *b)
{
	return a->base == b->base && a->limit == b->limit && a->sel == b->sel && a->attr == b->attr;
}

/* set_sregs then get_sregs must give back the same state (AR layout, shadows, CPL). */
static void vst_roundtrip(struct vst *t, const struct vcpu_sregs *in, const char *mode)
{
	struct vcpu_sregs out;
	bool ok = true;

	t->ops->vcpu_get_sregs(t->v, &out);
	for (unsigned i = 0; i < SEG_COUNT; i++)
		ok &= vst_seg_eq(&in->seg[i], &out.seg[i]);
	ok &= vst_seg_eq(&in->tr, &out.tr) && (out.ldtr.attr & SEG_ATTR_UNUSABLE);
	ok &= in->cr0 == out.cr0 && in->cr3 == out.cr3 && in->cr4 == out.cr4 &&
	      in->efer == out.efer && in->pat == out.pat && in->gdtr_base == out.gdtr_base &&
	      in->idtr_limit == out.idtr_limit && out.cpl == 0 && out.shadow == 0;
	snprintf(t->why, sizeof(t->why), "read back cr0 %#llx cr4 %#llx efer %#llx cs.ar %#x",
		 (unsigned long long)out.cr0, (unsigned long long)out.cr4,
		 (unsigned long long)out.efer, out.seg[SEG_CS].attr);
	vst_verdict(mode, "sregs-roundtrip", ok, t->why);
}

static void vst_mode(const struct virt_ops *ops, enum vst_mode mode)
{
	static const char *const names[] = { "real", "prot32", "long64" };
	static const u8 *const blobs[] = { vst_blob16, vst_blob32, vst_blob64 };
	static const u16 *const marks[] = { vst_marks16, vst_marks32, vst_marks64 };
	static const u64 cr0[] = { CR0_ET, CR0_ET | CR0_PE, CR0_ET | CR0_PE | CR0_PG };
	struct vst t = { .ops = ops, .v = &vst_vcpus[mode], .mode = mode, .marks = marks[mode],
			 .cr0 = cr0[mode], .cr4 = mode == VST_LONG64 ? CR4_PAE : 0 };
	struct vcpu_sregs s;

	t.v->id = mode;
	if (ops->vcpu_init(t.v) < 0) {
		vst_verdict(names[mode], "vcpu-init", false, "vcpu_init failed");
		return;
	}
	vst_memory(&t, blobs[mode]);
	ops->npt_activate(t.v, vst_root);
	vst_sregs(&t, &s);
	ops->vcpu_set_sregs(t.v, &s);
	vst_roundtrip(&t, &s, names[mode]);
	for (int i = 0; i < 16; i++)
		t.v->regs.gpr[i] = 0x5a5a5a5a00000000ull | (u64)i;
	t.v->regs.gpr[VCPU_RSP] = VST_STACK;
	t.v->regs.rflags = 0x2;
	t.v->dirty |= VCPU_DIRTY_RSP | VCPU_DIRTY_RFLAGS;
	vcpu_set_rip(t.v, VST_CODE);
	vst_run_steps(&t);
}

/* The long-mode vCPU parked for a SIPI, then started at vector 9: real mode at 0900:0000,
 * where `rdtsc; vmcall` also shows the TSC offset. */
static void vst_sipi(const struct virt_ops *ops)
{
	static const u8 code[] = { 0x0f, 0x31, 0x0f, 0x01, 0xc1 };
	struct vcpu *v = &vst_vcpus[VST_LONG64];
	struct vcpu_sregs s;
	char why[160] = "";

	ops->vcpu_wait_sipi(v);
	bool parked = vmcs_read(GUEST_ACTIVITY) == ACTIVITY_WAIT_SIPI;
	vst_verdict("ap", "wait-for-sipi-state", parked || !vmx_caps.wait_sipi,
		    "activity state is not wait-for-SIPI");
	memcpy(vst_gpa(VST_SIPI_VEC << 12), code, sizeof(code));
	ops->vcpu_start_at(v, VST_SIPI_VEC);
	ops->vcpu_set_tsc_offset(v, 1ull << 40);
	u64 t0 = rdtsc();
	ops->vcpu_run(v);
	u64 t1 = rdtsc(), g = (u64)(u32)v->regs.gpr[VCPU_RDX] << 32 | (u32)v->regs.gpr[VCPU_RAX];
	ops->vcpu_get_sregs(v, &s);
	bool ok = v->exit.kind == VEXIT_HYPERCALL && v->regs.rip == 2 &&
		  s.seg[SEG_CS].sel == VST_SIPI_VEC << 8 && s.seg[SEG_CS].base == VST_SIPI_VEC << 12 &&
		  s.efer == 0 && s.cr0 == 0x60000010;
	snprintf(why, sizeof(why), "exit %u rip %#llx cs %#x base %#llx efer %#llx cr0 %#llx",
		 v->exit.kind, (unsigned long long)v->regs.rip, s.seg[SEG_CS].sel,
		 (unsigned long long)s.seg[SEG_CS].base, (unsigned long long)s.efer,
		 (unsigned long long)s.cr0);
	vst_verdict("ap", "start-at-sipi-vector", ok, why);
	snprintf(why, sizeof(why), "guest TSC %#llx outside host [%#llx, %#llx] + 2^40",
		 (unsigned long long)g, (unsigned long long)t0, (unsigned long long)t1);
	vst_verdict("ap", "tsc-offset", g >= t0 + (1ull << 40) && g <= t1 + (1ull << 40), why);
}

static void vst_all(void)
{
	const struct virt_ops *ops = &vmx_ops;
	int rc = ops->probe();

	vst_verdict("vmx", "probe", rc == 0, "probe failed (see the lines above)");
	if (rc == 0) {
		rc = ops->cpu_enable();
		vst_verdict("vmx", "cpu-enable", rc == 0, "VMXON failed");
	}
	if (rc == 0 && vst_ept_build(ops) < 0) {
		vst_verdict("vmx", "memory", false, "the page allocator ran out");
		rc = -1;
	}
	if (rc)
		return;
	for (int m = 0; m < VST_MODES; m++)
		vst_mode(ops, (enum vst_mode)m);
	vst_sipi(ops);
	vst_host_tests(ops, vst_root);
	vst_ap_tests(vst_root);
}

static bool vst_intel(void)
{
	struct cpuid_regs r = cpuid(0, 0);
	return r.b == 0x756e6547 && r.d == 0x49656e69 && r.c == 0x6c65746e; /* GenuineIntel */
}

void vmx_selftest(void)
{
	if (!vst_intel())
		return;
	/* Keel has no use for the legacy PIC; its timer interrupt would only add exits. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	vst_all();
}

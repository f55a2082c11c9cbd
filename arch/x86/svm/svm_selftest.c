/* Backend self-test driver: boot hook, guest memory and nested tables, the step runner,
 * VMRUN-failure cases. The per-mode steps live in selftest_modes.c. */
#include <keel/format.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/verdict.h>
#include <keel/time.h>
#include <arch/io.h>
#include <arch/smp.h>
#include "selftest.h"

#define ST_MAX_ENTRIES 16 /* VEXIT_NONE exits tolerated while waiting for one step */

static struct vcpu st_vcpus[4];
static u64 *st_npt_root;

u64 st_rip(const struct st *t, const u8 *p) { return t->m->rip_base + (u64)(p - t->m->blob); }

int st_fail(struct st *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
	return -1;
}

void st_verdict(struct st *t, const char *suite, const char *name, int rc)
{
	char full[64];

	snprintf(full, sizeof(full), "virt/%s/%s", suite, name);
	if (rc == 0) {
		verdict_pass(full);
		t->passed++;
	} else if (rc > 0) {
		verdict_skip(full, t->why);
	} else {
		verdict_fail(full, "%s", t->why);
		t->failed++;
	}
}

void st_skip_insn(struct st *t, const struct step *s) { vcpu_set_rip(t->v, st_rip(t, s->end)); }

void st_act_none(struct st *t, const struct step *s)
{
	(void)t;
	(void)s;
}

void st_set_gpr(struct st *t, unsigned r, u64 val)
{
	t->v->regs.gpr[r] = val;
	if (r == VCPU_RAX)
		t->v->dirty |= VCPU_DIRTY_RAX;
	if (r == VCPU_RSP)
		t->v->dirty |= VCPU_DIRTY_RSP;
}

bool st_has_nx(void) { return svm_feat.nx; }

/* QEMU TCG (CPUID 4000_0000h "TCGTCGTCGTCG" behind the hypervisor bit) does not implement
 * the task-switch intercept (docs/svm.md). */
bool st_task_switch_exits(void)
{
	if (!(cpuid(1, 0).c & BIT(31)))
		return true;
	struct cpuid_regs r = cpuid(0x40000000, 0);
	return !(r.b == 0x54474354 && r.c == 0x43544743 && r.d == 0x47435447);
}

/* Maps a fresh zeroed page at gpa (below 2 MiB) with prot; returns it. */
u8 *st_map(struct st *t, u64 gpa, unsigned prot)
{
	u8 *page = svm_page_alloc(1);

	if (!page)
		return NULL;
	memset(page, 0, PAGE_SIZE);
	t->npt_pt[gpa >> 12] = t->ops->npt_leaf(svm_pa(page), prot, NPT_MT_WB, 1);
	t->ops->npt_flush(t->v);
	return page;
}

/* Nested tables for GPA [0, 2 MiB): RAM pages RWX, write-back, everything else absent. */
static int st_npt_init(struct st *t)
{
	u64 *pml4 = svm_page_alloc(1), *pdpt = svm_page_alloc(1), *pd = svm_page_alloc(1);
	u64 *pt = svm_page_alloc(1);
	u8 *ram = svm_page_alloc(ST_RAM / PAGE_SIZE);

	if (!pml4 || !pdpt || !pd || !pt || !ram)
		return st_fail(t, "no memory for guest RAM and nested tables");
	pml4[0] = t->ops->npt_table(svm_pa(pdpt));
	pdpt[0] = t->ops->npt_table(svm_pa(pd));
	pd[0] = t->ops->npt_table(svm_pa(pt));
	for (u64 gpa = 0; gpa < ST_RAM; gpa += PAGE_SIZE)
		pt[gpa >> 12] = t->ops->npt_leaf(svm_pa(ram + gpa), NPT_RWX, NPT_MT_WB, 1);
	st_npt_root = pml4;
	t->npt_pt = pt;
	t->ram = ram;
	return 0;
}

/* GDT (null, code32 0x08, data 0x10, code64 0x18), identity guest page tables, code. */
static void st_guest_load(struct st *t, const struct mode *m)
{
	u64 *gdt = (u64 *)(t->ram + ST_GDT), *pml4 = (u64 *)(t->ram + ST_PML4);
	u64 *pdpt = pml4 + 512, *pd = pml4 + 1024;

	memset(t->ram, 0, ST_RAM);
	gdt[1] = 0x00cf9b000000ffffull;
	gdt[2] = 0x00cf93000000ffffull;
	gdt[3] = 0x00af9b000000ffffull;
	pml4[0] = (ST_PML4 + 0x1000) | 3;
	for (u64 i = 0; i < 4; i++)
		pdpt[i] = (ST_PML4 + 0x2000 + i * 0x1000) | 3;
	for (u64 i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83;
	memcpy(t->ram + ST_DATA, "abc", 3);
	memcpy(t->ram + ST_CODE, m->blob, (size_t)(m->blob_end - m->blob));
}

static int st_run(struct st *t)
{
	for (int i = 0; i < ST_MAX_ENTRIES; i++) {
		t->tsc_before = rdtsc();
		int rc = t->ops->vcpu_run(t->v);
		t->tsc_after = rdtsc();
		if (rc)
			return st_fail(t, "vcpu_run returned %d", rc);
		if (t->v->exit.kind != VEXIT_NONE)
			return 0;
	}
	return st_fail(t, "only VEXIT_NONE in %d entries", ST_MAX_ENTRIES);
}

static bool kind_is_insn(u32 k)
{
	return k == VEXIT_CPUID || k == VEXIT_HLT || k == VEXIT_HYPERCALL || k == VEXIT_RDMSR ||
	       k == VEXIT_WRMSR || k == VEXIT_IO || k == VEXIT_XSETBV;
}

/* insn_len comes from nRIP (NRIPS only) or, for IOIO, from EXITINFO2 (always). */
static int st_check_len(struct st *t, const struct step *s)
{
	const struct vexit *x = &t->v->exit;

	if (!s->at || !kind_is_insn(x->kind))
		return 0;
	u32 len = (u32)(s->end - s->at);
	u32 want = (x->kind == VEXIT_IO || svm_feat.nrips) ? len : 0;
	if (x->insn_len != want)
		return st_fail(t, "insn_len %u, expected %u", x->insn_len, want);
	if (x->kind == VEXIT_IO && x->io.next_rip != st_rip(t, s->end))
		return st_fail(t, "io.next_rip %#llx, expected %#llx",
			       (unsigned long long)x->io.next_rip,
			       (unsigned long long)st_rip(t, s->end));
	return 0;
}

/* -2: the guest is not where the script expects it, so later steps cannot run. */
static int st_check(struct st *t, const struct step *s)
{
	const struct vexit *x = &t->v->exit;
	const char *why;

	if (x->kind != s->kind) {
		st_fail(t, "exit kind %u (raw %#llx), expected %u", x->kind,
			(unsigned long long)x->raw, s->kind);
		return -2;
	}
	if (s->at && t->v->regs.rip != st_rip(t, s->at)) {
		st_fail(t, "rip %#llx, expected %#llx", (unsigned long long)t->v->regs.rip,
			(unsigned long long)st_rip(t, s->at));
		return -2;
	}
	why = svm_check_state(&svm_of(t->v)->snap);
	if (why)
		return st_fail(t, "the VMRUN checker flags a state the CPU ran: %s", why);
	if (st_check_len(t, s))
		return -1;
	return s->check ? s->check(t, s) : 0;
}

static void st_run_mode(struct st *t, const struct mode *m, struct vcpu *v)
{
	int rc = t->ops->vcpu_init(v);
	bool alive = rc == 0;

	t->m = m;
	t->v = v;
	if (rc) {
		st_fail(t, "vcpu_init returned %d", rc);
	} else {
		st_guest_load(t, m);
		t->ops->npt_activate(v, svm_pa(st_npt_root));
		m->setup(t);
	}
	for (u32 i = 0; i < m->nsteps; i++) {
		const struct step *s = &m->steps[i];
		if (s->applies && !s->applies()) {
			snprintf(t->why, sizeof(t->why), "%s", s->skip_why);
			st_verdict(t, m->name, s->name, 1);
			continue;
		}
		if (!alive) {
			st_verdict(t, m->name, s->name, -1);
			continue;
		}
		rc = st_run(t);
		if (rc == 0)
			rc = st_check(t, s);
		st_verdict(t, m->name, s->name, rc);
		if (rc == 0 || rc == -1)
			(s->act ? s->act : st_skip_insn)(t, s);
		if (rc != 0 && rc != -1) {
			alive = false;
			snprintf(t->why, sizeof(t->why), "not reached (an earlier step failed)");
		}
	}
}

/* VMRUN refuses these states (APM 15.5.1): the exit must say so and the checker must name
 * the rule; afterwards a valid state must run again. */
static int st_fail_case(struct st *t, u64 cr0, u64 cr4, u64 efer, const char *rule)
{
	struct vcpu_sregs s;
	const char *why;

	st_sregs_real(&s);
	s.cr0 = cr0;
	s.cr4 = cr4;
	s.efer = efer;
	t->ops->vcpu_set_sregs(t->v, &s);
	if (st_run(t))
		return -1;
	if (t->v->exit.kind != VEXIT_ENTRY_FAIL)
		return st_fail(t, "exit kind %u (raw %#llx, rip %#llx), expected VEXIT_ENTRY_FAIL",
			       t->v->exit.kind, (unsigned long long)t->v->exit.raw,
			       (unsigned long long)t->v->regs.rip);
	why = svm_check_state(&svm_of(t->v)->snap);
	if (!why || strcmp(why, rule))
		return st_fail(t, "checker says '%s'", why ? why : "(nothing)");
	return 0;
}

static void st_fail_tests(struct st *t, struct vcpu *v)
{
	extern const u8 g16_cpuid[];
	struct vcpu_sregs s;

	t->m = &st_mode_real;
	t->v = v;
	if (t->ops->vcpu_init(v)) {
		st_fail(t, "vcpu_init failed");
		st_verdict(t, "svm", "vmrun-fail-nw", -1);
		return;
	}
	st_guest_load(t, t->m);
	t->ops->npt_activate(v, svm_pa(st_npt_root));
	vcpu_set_rip(v, 0);
	st_verdict(t, "svm", "vmrun-fail-nw",
		   st_fail_case(t, 0x20000010, 0, 0, "CR0.NW is set while CR0.CD is clear"));
	st_verdict(t, "svm", "vmrun-fail-lme-nopae",
		   st_fail_case(t, 0x80000011, 0, BIT(8),
				"EFER.LME and CR0.PG are set but CR4.PAE is clear"));
	st_sregs_real(&s);
	t->ops->vcpu_set_sregs(v, &s);
	int rc = st_run(t);
	if (!rc && (v->exit.kind != VEXIT_CPUID || v->regs.rip != st_rip(t, g16_cpuid)))
		rc = st_fail(t, "exit kind %u at %#llx, expected CPUID", v->exit.kind,
			     (unsigned long long)v->regs.rip);
	st_verdict(t, "svm", "vmrun-recover", rc);
}

/* Cost of one hypercall round trip through vcpu_run (entry, VMMCALL, exit decode), in TSC
 * ticks: instructions under qemu -icount shift=0 (platform.md section 4). */
static void st_bench(struct st *t, struct vcpu *v)
{
	extern const u8 g64_done[];
	enum { ROUNDS = 1000 };
	u64 start, best = ~0ull;

	t->m = &st_mode_long64;
	t->v = v;
	for (int i = 0; i < ROUNDS; i++) {
		vcpu_set_rip(v, st_rip(t, g64_done));
		start = rdtsc();
		if (t->ops->vcpu_run(v) || v->exit.kind != VEXIT_HYPERCALL) {
			printk("virt: bench: exit kind %u instead of a hypercall\n", v->exit.kind);
			return;
		}
		best = MIN(best, rdtsc() - start);
	}
	printk("bench svm-hypercall-roundtrip %llu tsc-ticks\n", (unsigned long long)best);
}

/* A parked vCPU is not entered; vcpu_start_at starts it in real mode at vector << 12, where a
 * hypercall waits. */
static void st_sipi_tests(struct st *t, struct vcpu *v)
{
	struct vcpu_sregs s;
	int rc;

	if (!v->arch) {
		st_fail(t, "no vCPU (vcpu_init failed)");
		st_verdict(t, "svm", "wait-sipi-parked", -1);
		st_verdict(t, "svm", "start-at-vector", -1);
		return;
	}
	memcpy(t->ram + 0xb000, t->ops->hypercall_insn, sizeof(t->ops->hypercall_insn));
	t->ops->vcpu_wait_sipi(v);
	rc = t->ops->vcpu_run(v);
	if (rc || v->exit.kind != VEXIT_NONE || svm_of(v)->vmcb->save.rip != 0xfff0)
		rc = st_fail(t, "run returned %d, exit kind %u, VMCB rip %#llx", rc, v->exit.kind,
			     (unsigned long long)svm_of(v)->vmcb->save.rip);
	st_verdict(t, "svm", "wait-sipi-parked", rc);
	t->ops->vcpu_start_at(v, 0x0b);
	rc = st_run(t);
	t->ops->vcpu_get_sregs(v, &s);
	if (!rc && (v->exit.kind != VEXIT_HYPERCALL || v->regs.rip != 0 || s.seg[SEG_CS].sel != 0xb00 ||
		    s.seg[SEG_CS].base != 0xb000 || s.cr0 != 0x60000010 || s.efer != 0))
		rc = st_fail(t, "exit kind %u rip %#llx cs %#x/%#llx cr0 %#llx efer %#llx", v->exit.kind,
			     (unsigned long long)v->regs.rip, s.seg[SEG_CS].sel,
			     (unsigned long long)s.seg[SEG_CS].base, (unsigned long long)s.cr0,
			     (unsigned long long)s.efer);
	st_verdict(t, "svm", "start-at-vector", rc);
}

static bool st_is_amd(void)
{
	struct cpuid_regs r = cpuid(0, 0);

	return r.b == 0x68747541 && r.d == 0x69746e65 && r.c == 0x444d4163; /* AuthenticAMD */
}

struct st_enable {
	int rc;
	bool svme, hsave;
	u32 done;
};

static void st_enable_here(void *arg)
{
	struct st_enable *e = arg;

	e->rc = svm_ops.cpu_enable();
	e->svme = rdmsr(MSR_EFER) & EFER_SVME;
	e->hsave = rdmsr(MSR_VM_HSAVE_PA) != 0;
	__atomic_store_n(&e->done, 1, __ATOMIC_RELEASE);
}

static bool st_enable_done(void *arg)
{
	return __atomic_load_n(&((struct st_enable *)arg)->done, __ATOMIC_ACQUIRE);
}

/* cpu_enable on every other online CPU, run there through smp_call; the CPU's own EFER and
 * VM_HSAVE_PA are the evidence. */
static int st_enable_aps(struct st *t)
{
	unsigned n = smp_online();

	if (n < 2) {
		snprintf(t->why, sizeof(t->why), "one CPU online");
		return 1;
	}
	/* Static: a CPU that answers after the timeout must not write into a dead stack frame. */
	static struct st_enable e;

	for (unsigned cpu = 1; cpu < n; cpu++) {
		e = (struct st_enable){ .rc = -1 };
		int rc = smp_call(cpu, st_enable_here, &e);
		if (rc)
			return st_fail(t, "smp_call(cpu %u) returned %d", cpu, rc);
		if (!time_wait_us(st_enable_done, &e, 1000000))
			return st_fail(t, "cpu %u did not answer within 1 s", cpu);
		if (e.rc || !e.svme || !e.hsave)
			return st_fail(t, "cpu %u: cpu_enable %d, EFER.SVME %d, VM_HSAVE_PA set %d", cpu,
				       e.rc, e.svme, e.hsave);
	}
	return 0;
}

/* What CPUID and VM_CR say, read here apart from probe: SVM, not disabled, NPT, 2+ ASIDs. */
static bool st_svm_usable(void)
{
	if (cpuid(0x80000000, 0).a < 0x8000000a || !(cpuid(0x80000001, 0).c & BIT(2)))
		return false;
	struct cpuid_regs r = cpuid(0x8000000a, 0);
	return (r.d & 1) && r.b >= 2 && !(rdmsr(MSR_VM_CR) & VM_CR_SVMDIS);
}

void svm_selftest(void)
{
	struct st t = { .ops = &svm_ops };
	int rc;

	if (!st_is_amd())
		return;
	/* Keel runs this with IF=0: Bochs 2.7 still exits with INTR for a pending 8259 line once
	 * the guest sets IF, although V_INTR_MASKING=1 (docs/svm.md). Nothing here wants it. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	rc = t.ops->probe();
	bool usable = st_svm_usable();
	st_verdict(&t, "svm", "probe",
		   (rc == 0) == usable ? 0
				       : st_fail(&t, "probe returned %d; CPUID/VM_CR say SVM with NPT is %s",
						 rc, usable ? "usable" : "not usable"));
	if (rc)
		return;
	rc = t.ops->cpu_enable();
	if (!rc && !(rdmsr(MSR_EFER) & EFER_SVME))
		rc = st_fail(&t, "EFER.SVME is clear after cpu_enable");
	else if (rc)
		st_fail(&t, "cpu_enable returned %d", rc);
	st_verdict(&t, "svm", "enable", rc);
	st_verdict(&t, "svm", "enable-aps", st_enable_aps(&t));
	for (u32 i = 0; i < ARRAY_SIZE(st_vcpus); i++)
		st_vcpus[i].id = i;
	if (rc || st_npt_init(&t)) {
		st_verdict(&t, "svm", "setup", -1);
		return;
	}
	st_run_mode(&t, &st_mode_real, &st_vcpus[0]);
	st_run_mode(&t, &st_mode_prot32, &st_vcpus[1]);
	st_run_mode(&t, &st_mode_long64, &st_vcpus[2]);
	st_bench(&t, &st_vcpus[2]);
	st_fail_tests(&t, &st_vcpus[3]);
	st_sipi_tests(&t, &st_vcpus[3]);
	printk("virt: svm self-test: %u passed, %u failed\n", t.passed, t.failed);
}

/* Self-test script for 64-bit long mode: guest-owned MSRs through VMLOAD/VMSAVE, EFER hiding,
 * TSC offset, #PF intercept and injection with CR2, NPF fetch/NX/read-only, and re-injection
 * of an interrupt whose delivery faulted on the nested tables. */
#include "selftest.h"

EXT(g64_cpuid); EXT(g64_out); EXT(g64_in); EXT(g64_outs); EXT(g64_npf_read);
EXT(g64_npf_write); EXT(g64_hlt); EXT(g64_sum); EXT(g64_fs); EXT(g64_efer); EXT(g64_kgs);
EXT(g64_tsc); EXT(g64_pf); EXT(g64_injpf); EXT(g64_fetch); EXT(g64_nx); EXT(g64_ro);
EXT(g64_reinj); EXT(g64_done); EXT(g64_h14_err); EXT(g64_h14_cr2); EXT(g64_h41_out);
extern const u8 g64_start[], g64_end[], g64_h14[], g64_h41[];

#define TSC_OFFSET (1ull << 40)
#define GUEST_GS   0x777000ull
#define GUEST_KGS  0x55667788ull
#define NX_PAGE    0x31000ull
#define RO_PAGE    0x32000ull
#define STACK_PAGE 0x30000ull

static u64 host_gs, host_kgs;

static void gate64(struct st *t, u8 vec, const u8 *handler)
{
	u64 *g = (u64 *)(t->ram + ST_IDT + vec * 16u);
	u64 h = st_rip(t, handler);

	g[0] = (h & 0xffff) | 0x18ull << 16 | 0x8eull << 40 | ((h >> 16) & 0xffff) << 48;
	g[1] = h >> 32;
}

static void setup_long64(struct st *t)
{
	st_start(t, st_sregs_long64);
	gate64(t, 14, g64_h14);
	gate64(t, 0x41, g64_h41);
	t->ops->vcpu_set_exc_intercepts(t->v, BIT(14));
	t->ops->vcpu_set_tsc_offset(t->v, TSC_OFFSET);
	u8 *nx = st_map(t, NX_PAGE, NPT_R | NPT_W);
	if (nx)
		nx[0] = 0xc3; /* ret, so a CPU without NX comes back */
	st_map(t, RO_PAGE, NPT_R | NPT_X);
	host_gs = rdmsr(MSR_GS_BASE);
	host_kgs = rdmsr(MSR_KERNEL_GS);
}

/* The guest read FS_BASE with RDMSR (not intercepted): VMLOAD gave it the VMCB's value. */
static int chk_fs(struct st *t, const struct step *s)
{
	(void)s;
	if (st_io_is(t, 0x80, 4, false, false, false))
		return -1;
	return st_gpr32(t, VCPU_RAX) != ST_GUEST_FS ? st_fail(t, "guest FS_BASE %#x, expected %#llx", st_gpr32(t, VCPU_RAX), ST_GUEST_FS) : 0;
}

static int chk_efer(struct st *t, const struct step *s)
{
	struct vcpu_sregs sr;

	(void)s;
	t->ops->vcpu_get_sregs(t->v, &sr);
	if (st_gpr32(t, VCPU_RCX) != 0xc0000080)
		return st_fail(t, "ecx %#x, expected EFER", st_gpr32(t, VCPU_RCX));
	if (sr.efer != 0x500 || !(svm_of(t->v)->vmcb->save.efer & EFER_SVME))
		return st_fail(t, "guest-visible EFER %#llx (want 0x500), VMCB EFER %#llx (want SVME)",
			       (unsigned long long)sr.efer,
			       (unsigned long long)svm_of(t->v)->vmcb->save.efer);
	return 0;
}

static void act_efer(struct st *t, const struct step *s)
{
	struct vcpu_sregs sr;

	t->ops->vcpu_get_sregs(t->v, &sr);
	st_set_gpr(t, VCPU_RAX, (u32)sr.efer);
	st_set_gpr(t, VCPU_RDX, sr.efer >> 32);
	st_skip_insn(t, s);
}

/* The host's GS bases (GS: its per-CPU pointer) survived the guest's; the guest's
 * KERNEL_GS_BASE write went to the VMCB. */
static int chk_kgs(struct st *t, const struct step *s)
{
	const struct vmcb_save *st = &svm_of(t->v)->vmcb->save;
	u64 gs = rdmsr(MSR_GS_BASE), kgs = rdmsr(MSR_KERNEL_GS);

	(void)s;
	if (gs != host_gs || kgs != host_kgs)
		return st_fail(t, "host GS_BASE %#llx KERNEL_GS_BASE %#llx, were %#llx %#llx",
			       (unsigned long long)gs, (unsigned long long)kgs,
			       (unsigned long long)host_gs, (unsigned long long)host_kgs);
	if (st->kernel_gs_base != GUEST_KGS || st->gs.base != GUEST_GS)
		return st_fail(t, "VMCB KERNEL_GS_BASE %#llx GS %#llx, expected %#llx %#llx",
			       (unsigned long long)st->kernel_gs_base,
			       (unsigned long long)st->gs.base, GUEST_KGS, GUEST_GS);
	return 0;
}

static int chk_tsc(struct st *t, const struct step *s)
{
	u64 g = st_gpr32(t, VCPU_RAX) | (u64)st_gpr32(t, VCPU_RDX) << 32;

	(void)s;
	if (g - TSC_OFFSET < t->tsc_before || g - TSC_OFFSET > t->tsc_after)
		return st_fail(t, "guest TSC %#llx - offset is outside host [%#llx, %#llx]",
			       (unsigned long long)g, (unsigned long long)t->tsc_before,
			       (unsigned long long)t->tsc_after);
	return 0;
}

/* 0x100000000 is beyond the guest's 4 GiB identity map: not-present read at CPL 0. */
static int chk_pf(struct st *t, const struct step *s)
{
	(void)s;
	return st_exc_is(t, 14, true, 0, 0x100000000ull);
}

static void act_pf(struct st *t, const struct step *s)
{
	t->ops->vcpu_set_exc_intercepts(t->v, 0);
	st_skip_insn(t, s);
}

static void act_injpf(struct st *t, const struct step *s)
{
	struct vevent e = { .type = VEVENT_EXCEPTION, .vector = 14, .has_error = true, .error = 2,
			    .has_cr2 = true, .cr2 = 0xdead0000 };
	t->ops->vcpu_inject(t->v, &e);
	st_skip_insn(t, s);
}

static int chk_h14_err(struct st *t, const struct step *s)
{
	(void)s;
	if (st_io_is(t, 0x85, 4, false, false, false))
		return -1;
	return st_gpr32(t, VCPU_RAX) != 2 ? st_fail(t, "handler popped %#x, expected 2", st_gpr32(t, VCPU_RAX)) : 0;
}

static int chk_h14_cr2(struct st *t, const struct step *s)
{
	(void)s;
	if (st_io_is(t, 0x86, 4, false, false, false))
		return -1;
	return st_gpr32(t, VCPU_RAX) != 0xdead0000 ? st_fail(t, "guest CR2 %#x, expected 0xdead0000", st_gpr32(t, VCPU_RAX)) : 0;
}

static int rip_is(struct st *t, u64 want)
{
	if (t->v->regs.rip != want)
		return st_fail(t, "rip %#llx, expected %#llx", (unsigned long long)t->v->regs.rip,
			       (unsigned long long)want);
	return 0;
}

static int chk_fetch(struct st *t, const struct step *s)
{
	(void)s;
	return rip_is(t, 0xfeb01000) ?: st_npf_is(t, 0xfeb01000, false, true, false);
}

static int chk_nx(struct st *t, const struct step *s)
{
	(void)s;
	return rip_is(t, NX_PAGE) ?: st_npf_is(t, NX_PAGE, false, true, true);
}

/* Return from the call that faulted: RIP and RSP written back through v->dirty. */
static void act_ret(struct st *t, const struct step *s)
{
	vcpu_set_rip(t->v, st_rip(t, s->end));
	st_set_gpr(t, VCPU_RSP, st_gpr(t, VCPU_RSP) + 8);
}

static int chk_ro(struct st *t, const struct step *s)
{
	(void)s;
	return st_npf_is(t, RO_PAGE, true, false, true);
}

static void act_reinj(struct st *t, const struct step *s)
{
	st_inject(t, VEVENT_EXTINT, 0x41, false, 0);
	st_skip_insn(t, s);
}

/* Delivering vector 0x41 pushed onto an unmapped stack page: NPF during delivery. */
static int chk_reinj_npf(struct st *t, const struct step *s)
{
	const struct vexit *x = &t->v->exit;

	(void)s;
	if (!x->vectoring)
		return st_fail(t, "exit does not say it interrupted an event delivery");
	if (x->npf.gpa < STACK_PAGE || x->npf.gpa >= STACK_PAGE + 0x100)
		return st_fail(t, "npf gpa %#llx outside the stack", (unsigned long long)x->npf.gpa);
	return st_npf_is(t, x->npf.gpa, true, false, false);
}

static void act_reinj_npf(struct st *t, const struct step *s)
{
	(void)s;
	st_map(t, STACK_PAGE, NPT_RWX);
}

static int chk_h41(struct st *t, const struct step *s)
{
	(void)s;
	return st_io_is(t, 0x83, 1, false, false, false);
}

static const struct step long64_steps[] = {
	BASE_STEPS(g64),
	STEP("guest-fs-base", g64_fs, VEXIT_IO, .check = chk_fs),
	STEP("efer-hides-svme", g64_efer, VEXIT_RDMSR, .check = chk_efer, .act = act_efer),
	STEP("vmload-vmsave", g64_kgs, VEXIT_HYPERCALL, .check = chk_kgs),
	STEP("tsc-offset", g64_tsc, VEXIT_HYPERCALL, .check = chk_tsc),
	STEP("exc-pf", g64_pf, VEXIT_EXCEPTION, .check = chk_pf, .act = act_pf),
	STEP("inject-pf", g64_injpf, VEXIT_HYPERCALL, .act = act_injpf),
	STEP("pf-error-delivered", g64_h14_err, VEXIT_IO, .check = chk_h14_err),
	STEP("pf-cr2-delivered", g64_h14_cr2, VEXIT_IO, .check = chk_h14_cr2),
	{ .name = "npf-fetch", .end = g64_fetch_end, .kind = VEXIT_NPF, .check = chk_fetch,
	  .act = act_ret },
	{ .name = "npf-nx", .end = g64_nx_end, .kind = VEXIT_NPF, .applies = st_has_nx,
	  .skip_why = "the CPU has no NX",
	  .check = chk_nx, .act = act_ret },
	STEP("npf-readonly", g64_ro, VEXIT_NPF, .check = chk_ro),
	STEP("reinject-request", g64_reinj, VEXIT_HYPERCALL, .act = act_reinj),
	{ .name = "reinject-npf", .at = g64_reinj_end, .end = g64_reinj_end, .kind = VEXIT_NPF,
	  .check = chk_reinj_npf, .act = act_reinj_npf },
	STEP("reinject-delivered", g64_h41_out, VEXIT_IO, .check = chk_h41),
	STEP("done", g64_done, VEXIT_HYPERCALL),
};

const struct mode st_mode_long64 = {
	.name = "long64", .blob = g64_start, .blob_end = g64_end, .rip_base = ST_CODE,
	.sp = ST_STACK, .npf_gpa = 0xfeb00000, .gpr_sum = 105, .setup = setup_long64,
	.steps = long64_steps, .nsteps = ARRAY_SIZE(long64_steps),
};

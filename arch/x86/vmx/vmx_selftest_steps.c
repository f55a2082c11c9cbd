/* The self-test's expected exits, in guest order. Each step names the exit kind, where the
 * guest must be (an assembler label), the instruction length the hardware must report (from
 * two labels), extra checks, and how the test resumes the guest. */
#include <keel/format.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/verdict.h>
#include "vmx.h"
#include "vmx_selftest.h"

#define NOLEN 0xff          /* the exit defines no instruction length: expect 0 */
#define ALL 0x7u
#define REAL_ONLY (1u << VST_REAL)
#define PROT_ONLY (1u << VST_PROT32)
#define LONG_ONLY (1u << VST_LONG64)

struct vst_step {
	const char *name;
	u8 kind;
	u8 at, end;             /* RIP at the exit; end - at = insn_len (NOLEN: 0) */
	u8 modes;
	bool (*check)(struct vst *t);
	void (*next)(struct vst *t); /* NULL: resume at `end` */
};

static const char *const vst_mode_names[] = { "real", "prot32", "long64" };

#define FAIL(...) (snprintf(t->why, sizeof(t->why), __VA_ARGS__), false)
#define ULL(x) ((unsigned long long)(x))

void vst_verdict(const char *mode, const char *name, bool ok, const char *why)
{
	char full[64];

	snprintf(full, sizeof(full), "virt/%s/%s", mode, name);
	if (ok)
		verdict_pass(full);
	else
		verdict_fail(full, "%s", why);
}

static u64 vst_reg(const struct vst *t, int n)
{
	u64 r = t->v->regs.gpr[n];
	return t->mode == VST_LONG64 ? r : (u32)r;
}

static void vst_resume(struct vst *t, enum vst_mark m) { vcpu_set_rip(t->v, vst_rip(t, m)); }

static void vst_save(struct vst *t)
{
	t->saved_rsp = t->v->regs.gpr[VCPU_RSP];
	t->saved_rflags = t->v->regs.rflags;
}

static void vst_restore(struct vst *t, enum vst_mark m)
{
	t->v->regs.gpr[VCPU_RSP] = t->saved_rsp;
	t->v->regs.rflags = t->saved_rflags;
	t->v->dirty |= VCPU_DIRTY_RSP | VCPU_DIRTY_RFLAGS;
	vst_resume(t, m);
}

/* Slot n of the guest stack at SS:RSP, 2, 4 or 8 bytes wide by mode. */
static u64 vst_stack(struct vst *t, unsigned n)
{
	static const unsigned width[] = { 2, 4, 8 };
	struct vcpu_sregs s;
	u64 val = 0;

	t->ops->vcpu_get_sregs(t->v, &s);
	u64 sp = t->v->regs.gpr[VCPU_RSP] & (t->mode == VST_REAL ? 0xffff : ~0ull);
	const u8 *p = vst_gpa(s.seg[SEG_SS].base + sp + n * width[t->mode]);
	if (!p)
		return ~0ull;
	memcpy(&val, p, width[t->mode]);
	return val;
}

/* The frame the event pushed: the return address and, outside real mode, the error code. */
static bool vst_frame(struct vst *t, bool has_error, u32 error, enum vst_mark ret)
{
	bool pushed = has_error && t->mode != VST_REAL;
	u64 ip = vst_stack(t, pushed ? 1 : 0);

	if (ip != vst_rip(t, ret))
		return FAIL("return address %#llx on the stack, expected %#llx", ULL(ip),
			    ULL(vst_rip(t, ret)));
	if (pushed && vst_stack(t, 0) != error)
		return FAIL("error code %#llx on the stack, expected %#x", ULL(vst_stack(t, 0)), error);
	return true;
}

static bool vst_check_cpuid(struct vst *t)
{
	return (u32)t->v->regs.gpr[VCPU_RAX] == 0 ? true : FAIL("RAX %#llx, expected leaf 0",
		ULL(t->v->regs.gpr[VCPU_RAX]));
}

static bool vst_check_io(struct vst *t, u16 port, u8 size, bool in, bool str, enum vst_mark end)
{
	const struct vexit *e = &t->v->exit;

	if (e->io.port != port || e->io.size != size || e->io.in != in || e->io.string != str ||
	    e->io.rep != str || e->io.next_rip != vst_rip(t, end))
		return FAIL("port %#x size %u in %d string %d rep %d next_rip %#llx", e->io.port,
			    e->io.size, e->io.in, e->io.string, e->io.rep, ULL(e->io.next_rip));
	return true;
}

static bool vst_check_out(struct vst *t)
{
	if ((t->v->regs.gpr[VCPU_RAX] & 0xff) != 0x5a)
		return FAIL("AL %#llx, expected 0x5a", ULL(t->v->regs.gpr[VCPU_RAX] & 0xff));
	return vst_check_io(t, 0x80, 1, false, false, M_OUT_END);
}

static bool vst_check_in(struct vst *t) { return vst_check_io(t, 0x1f0, 2, true, false, M_IN_END); }
static bool vst_check_outs(struct vst *t) { return vst_check_io(t, 0x2f8, 1, false, true, M_OUTS_END); }

static bool vst_check_npf(struct vst *t, u64 gpa, bool write)
{
	const struct vexit *e = &t->v->exit;

	if (e->npf.gpa != gpa || !e->npf.gla_valid || e->npf.gla != gpa || e->npf.write != write ||
	    e->npf.fetch || e->npf.present || e->vectoring)
		return FAIL("gpa %#llx gla %#llx (valid %d) write %d fetch %d present %d delivery %d",
			    ULL(e->npf.gpa), ULL(e->npf.gla), e->npf.gla_valid, e->npf.write,
			    e->npf.fetch, e->npf.present, e->vectoring);
	return true;
}

static bool vst_check_read(struct vst *t) { return vst_check_npf(t, VST_READ_GPA, false); }
static bool vst_check_write(struct vst *t) { return vst_check_npf(t, VST_WRITE_GPA, true); }
static void vst_next_read(struct vst *t) { vst_resume(t, M_READ_END); }
static void vst_next_write(struct vst *t) { vst_resume(t, M_WRITE_END); }

/* The guest read CR0 (RBX), set NE and read it (RCX), cleared it and read it (RDX), read CR4
 * (RSI): it must see its own values while VMX keeps NE and VMXE set underneath. */
static bool vst_check_cr(struct vst *t)
{
	u64 cr0 = vmcs_read(GUEST_CR0), cr4 = vmcs_read(GUEST_CR4);

	if (vst_reg(t, VCPU_RBX) != t->cr0 || vst_reg(t, VCPU_RCX) != (t->cr0 | CR0_NE) ||
	    vst_reg(t, VCPU_RDX) != t->cr0 || vst_reg(t, VCPU_RSI) != t->cr4)
		return FAIL("guest read cr0 %#llx/%#llx/%#llx cr4 %#llx; started with cr0 %#llx cr4 %#llx",
			    ULL(vst_reg(t, VCPU_RBX)), ULL(vst_reg(t, VCPU_RCX)),
			    ULL(vst_reg(t, VCPU_RDX)), ULL(vst_reg(t, VCPU_RSI)), ULL(t->cr0), ULL(t->cr4));
	if (!(cr0 & CR0_NE) || !(cr4 & CR4_VMXE))
		return FAIL("real cr0 %#llx cr4 %#llx lost NE or VMXE", ULL(cr0), ULL(cr4));
	return true;
}

static void vst_next_cr(struct vst *t)
{
	vst_save(t);
	vst_resume(t, M_CRCALL_END);
}

static bool vst_check_gp(struct vst *t) { return vst_frame(t, true, 0, M_VMXE_AT); }
static void vst_next_gp(struct vst *t) { vst_restore(t, M_VMXE_END); }

static bool vst_check_hlt(struct vst *t)
{
	return !t->ops->vcpu_can_take_intr(t->v) ? true : FAIL("can_take_intr with RFLAGS.IF = 0");
}

static void vst_next_hlt(struct vst *t)
{
	t->ops->vcpu_window(t->v, true, false);
	vst_resume(t, M_HLT_END);
}

static bool vst_check_window(struct vst *t)
{
	return t->ops->vcpu_can_take_intr(t->v) ? true : FAIL("window open but can_take_intr false");
}

static void vst_next_window(struct vst *t)
{
	struct vevent e = { .type = VEVENT_EXTINT, .vector = 0x40 };
	vst_save(t);
	t->ops->vcpu_inject(t->v, &e);
}

/* Delivering the interrupt onto the unmapped stack page exits mid-delivery. */
static bool vst_check_delivery(struct vst *t)
{
	const struct vexit *e = &t->v->exit;

	if (!e->vectoring || !e->npf.write || e->npf.gpa >> 12 != VST_LATE >> 12)
		return FAIL("delivery %d write %d gpa %#llx", e->vectoring, e->npf.write,
			    ULL(e->npf.gpa));
	return true;
}

static void vst_next_delivery(struct vst *t) { vst_map_late(t); }

static bool vst_check_extint(struct vst *t)
{
	if (t->mode == VST_REAL && !(vst_stack(t, 2) & RFLAGS_IF))
		return FAIL("pushed FLAGS %#llx without IF", ULL(vst_stack(t, 2)));
	return vst_frame(t, false, 0, M_WIN_AT);
}

static void vst_next_extint(struct vst *t) { vst_restore(t, M_WIN_AT); }

static void vst_next_hlt2(struct vst *t)
{
	struct vevent pf = { .type = VEVENT_EXCEPTION, .vector = 14, .has_error = true,
			     .error = 2, .has_cr2 = true, .cr2 = 0xdead000 };
	vst_save(t);
	t->ops->vcpu_inject(t->v, &pf);
	vst_resume(t, M_HLT2_END);
}

static bool vst_check_pf(struct vst *t)
{
	struct vcpu_sregs s;

	t->ops->vcpu_get_sregs(t->v, &s);
	if (s.cr2 != 0xdead000)
		return FAIL("guest CR2 %#llx, expected 0xdead000", ULL(s.cr2));
	return vst_frame(t, true, 2, M_HLT2_END);
}

static void vst_next_pf(struct vst *t)
{
	vst_restore(t, M_HLT2_END);
	t->ops->vcpu_window(t->v, false, true);
}

static void vst_next_nmi_window(struct vst *t)
{
	struct vevent nmi = { .type = VEVENT_NMI, .vector = 2 };
	t->ops->vcpu_inject(t->v, &nmi);
}

static bool vst_check_nmi(struct vst *t) { return vst_frame(t, false, 0, M_HLT2_END); }
/* IRET out of the NMI handler ends virtual-NMI blocking (SDM Vol. 3C 25.3). Bochs 2.7 also
 * needs it: its VM entry never clears a blocking left by another VMCS (Bochs bug #1456). */
static void vst_next_nmi(struct vst *t)
{
	t->ops->vcpu_window(t->v, false, true);
	vst_resume(t, M_IRET);
}

static bool vst_check_iret(struct vst *t)
{
	if (t->v->regs.gpr[VCPU_RSP] != t->saved_rsp)
		return FAIL("rsp %#llx after IRET, expected %#llx", ULL(t->v->regs.gpr[VCPU_RSP]),
			    ULL(t->saved_rsp));
	return true;
}

static void vst_next_iret(struct vst *t) { vst_resume(t, M_HLT2_END); }

/* Patterns from the guest blobs; R8-R15 keep the values the test started with outside
 * 64-bit mode, where the guest cannot reach them. */
static bool vst_check_regs(struct vst *t)
{
	static const u64 want32[8] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444, 0xeff0,
				       0x66666666, 0x77777777, 0x88888888 };
	for (int i = 0; i < 16; i++) {
		u64 want = i < 8 ? want32[i] : 0x5a5a5a5a00000000ull | (u64)i;
		if (t->mode == VST_LONG64)
			want = i == VCPU_RSP ? 0xeff0 : 0x1111111111111111ull * (u64)(i + 1);
		if (t->mode == VST_LONG64 && i >= 14)
			want = i == 14 ? 0xf0f0f0f0f0f0f0f0ull : 0x0f0f0f0f0f0f0f0full;
		u64 got = i < 8 ? vst_reg(t, i) : t->v->regs.gpr[i];
		if (got != want)
			return FAIL("gpr %d = %#llx, expected %#llx", i, ULL(got), ULL(want));
	}
	return true;
}

static void vst_next_regs(struct vst *t)
{
	if (t->mode == VST_LONG64)
		t->ops->vcpu_allow_io(t->v, 0x80, 1);
	if (t->mode == VST_REAL)
		t->ops->vcpu_set_exc_intercepts(t->v, BIT(3));
	vst_resume(t, M_EXTRA_START);
}

/* INT3 with #BP intercepted: a software exception, so the length is reported. */
static bool vst_check_int3(struct vst *t)
{
	const struct vexit *e = &t->v->exit;

	if (e->exc.vector != 3 || e->exc.has_error || e->vectoring)
		return FAIL("vector %u error %d delivery %d", e->exc.vector, e->exc.has_error,
			    e->vectoring);
	return true;
}

/* JMP FAR to a TSS selector always exits (SDM Vol. 3C 25.2). */
static bool vst_check_task(struct vst *t)
{
	const struct vexit *e = &t->v->exit;

	if (e->task.sel != 0x20 || e->task.source != VTASK_JMP || e->task.idt_event)
		return FAIL("selector %#x source %u idt %d", e->task.sel, e->task.source,
			    e->task.idt_event);
	return true;
}

/* RDMSR of FS_BASE and OUT to port 0x80 passed through; RDMSR of APIC_BASE exits. */
static bool vst_check_passthrough(struct vst *t)
{
	const u64 *r = t->v->regs.gpr;

	if ((u32)r[VCPU_RCX] != 0x1b || r[8] != (u32)VST_FS_BASE || r[9] != VST_FS_BASE >> 32)
		return FAIL("ecx %#llx, guest read FS_BASE %#llx:%#llx", ULL(r[VCPU_RCX]), ULL(r[9]),
			    ULL(r[8]));
	return true;
}

static const struct vst_step vst_steps[] = {
	{ "cpuid", VEXIT_CPUID, M_CPUID_AT, M_CPUID_END, ALL, vst_check_cpuid, NULL },
	{ "io-out", VEXIT_IO, M_OUT_AT, M_OUT_END, ALL, vst_check_out, NULL },
	{ "io-in", VEXIT_IO, M_IN_AT, M_IN_END, ALL, vst_check_in, NULL },
	{ "io-rep-outs", VEXIT_IO, M_OUTS_AT, M_OUTS_END, ALL, vst_check_outs, NULL },
	{ "npf-read", VEXIT_NPF, M_READ_AT, NOLEN, ALL, vst_check_read, vst_next_read },
	{ "npf-write", VEXIT_NPF, M_WRITE_AT, NOLEN, ALL, vst_check_write, vst_next_write },
	{ "cr-shadow", VEXIT_HYPERCALL, M_CRCALL_AT, M_CRCALL_END, ALL, vst_check_cr, vst_next_cr },
	{ "cr4-vmxe-gp", VEXIT_HYPERCALL, M_HANDLER, M_HANDLER_END, ALL, vst_check_gp, vst_next_gp },
	{ "hlt", VEXIT_HLT, M_HLT_AT, M_HLT_END, ALL, vst_check_hlt, vst_next_hlt },
	{ "intr-window", VEXIT_INTR_WINDOW, M_WIN_AT, NOLEN, ALL, vst_check_window, vst_next_window },
	{ "npf-in-delivery", VEXIT_NPF, M_WIN_AT, NOLEN, ALL, vst_check_delivery, vst_next_delivery },
	{ "extint-reinjected", VEXIT_HYPERCALL, M_HANDLER, M_HANDLER_END, ALL, vst_check_extint,
	  vst_next_extint },
	{ "hlt-again", VEXIT_HLT, M_HLT2_AT, M_HLT2_END, ALL, NULL, vst_next_hlt2 },
	{ "inject-pf", VEXIT_HYPERCALL, M_HANDLER, M_HANDLER_END, ALL, vst_check_pf, vst_next_pf },
	{ "nmi-window", VEXIT_NMI_WINDOW, M_HLT2_END, NOLEN, ALL, NULL, vst_next_nmi_window },
	{ "inject-nmi", VEXIT_HYPERCALL, M_HANDLER, M_HANDLER_END, ALL, vst_check_nmi, vst_next_nmi },
	{ "iret-unblocks-nmi", VEXIT_NMI_WINDOW, M_HLT2_END, NOLEN, ALL, vst_check_iret,
	  vst_next_iret },
	{ "hypercall-regs", VEXIT_HYPERCALL, M_FINAL_AT, M_FINAL_END, ALL, vst_check_regs,
	  vst_next_regs },
	{ "exception-intercept", VEXIT_EXCEPTION, M_EXTRA_AT, M_EXTRA_END, REAL_ONLY, vst_check_int3,
	  NULL },
	{ "task-switch", VEXIT_TASK_SWITCH, M_EXTRA_AT, M_EXTRA_END, PROT_ONLY, vst_check_task, NULL },
	{ "passthrough-io-msr", VEXIT_RDMSR, M_EXTRA_AT, M_EXTRA_END, LONG_ONLY, vst_check_passthrough,
	  NULL },
};

/* Run until an exit the common code would see (the backend absorbs CR writes itself). */
static void vst_run_one(struct vst *t)
{
	for (int i = 0; i < 16; i++) {
		if (t->ops->vcpu_run(t->v) < 0 || t->v->exit.kind != VEXIT_NONE)
			return;
	}
}

static bool vst_step_ok(struct vst *t, const struct vst_step *s)
{
	const struct vexit *e = &t->v->exit;
	u32 len = s->end == NOLEN ? 0 : (u32)(vst_rip(t, s->end) - vst_rip(t, s->at));

	if (e->kind != s->kind)
		return FAIL("exit kind %u (raw %#llx) at rip %#llx, expected kind %u at %#llx", e->kind,
			    ULL(e->raw), ULL(t->v->regs.rip), s->kind, ULL(vst_rip(t, s->at)));
	if (t->v->regs.rip != vst_rip(t, s->at))
		return FAIL("rip %#llx, expected %#llx", ULL(t->v->regs.rip), ULL(vst_rip(t, s->at)));
	if (e->insn_len != len)
		return FAIL("insn_len %u, expected %u", e->insn_len, len);
	return !s->check || s->check(t);
}

int vst_run_steps(struct vst *t)
{
	const char *mode = vst_mode_names[t->mode];
	bool alive = true;

	for (unsigned i = 0; i < ARRAY_SIZE(vst_steps); i++) {
		const struct vst_step *s = &vst_steps[i];
		if (!(s->modes & (1u << t->mode)))
			continue;
		if (!alive) {
			vst_verdict(mode, s->name, false, "not reached");
			continue;
		}
		vst_run_one(t);
		t->why[0] = 0;
		bool ok = vst_step_ok(t, s);
		vst_verdict(mode, s->name, ok, t->why);
			if (t->v->exit.kind != s->kind) {
			alive = false;
			continue;
		}
		if (s->next)
			s->next(t);
		else
			vst_resume(t, s->end);
	}
	return alive ? 0 : -1;
}

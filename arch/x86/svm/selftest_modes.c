/* Self-test scripts for real mode and 32-bit protected mode: the exits each guest blob must
 * produce, in order, the checks on each and what the host does before resuming. */
#include "selftest.h"

EXT(g16_cpuid); EXT(g16_out); EXT(g16_in); EXT(g16_outs); EXT(g16_npf_read);
EXT(g16_npf_write); EXT(g16_hlt); EXT(g16_sum); EXT(g16_nmi); EXT(g16_win); EXT(g16_done);
EXT(g16_h_nmi); EXT(g16_h40_out); EXT(g16_park);
extern const u8 g16_start[], g16_end[], g16_after_sti[], g16_h40[];
EXT(g32_cpuid); EXT(g32_out); EXT(g32_in); EXT(g32_outs); EXT(g32_npf_read);
EXT(g32_npf_write); EXT(g32_hlt); EXT(g32_sum); EXT(g32_io80); EXT(g32_ud); EXT(g32_gp);
EXT(g32_inj); EXT(g32_tss_go); EXT(g32_tss); EXT(g32_done); EXT(g32_h13_out);
extern const u8 g32_start[], g32_end[], g32_h13[];

/* Real mode: NMI injection and the NMI window after its IRET, interrupt window after STI. */
static void setup_real(struct st *t)
{
	u32 *ivt = (u32 *)t->ram;

	st_start(t, st_sregs_real);
	ivt[2] = (u32)(ST_CODE >> 4) << 16 | (u32)(g16_h_nmi - g16_start);
	ivt[0x40] = (u32)(ST_CODE >> 4) << 16 | (u32)(g16_h40 - g16_start);
}

static void act_nmi(struct st *t, const struct step *s)
{
	st_inject(t, VEVENT_NMI, 2, false, 0);
	t->ops->vcpu_window(t->v, false, true);
	st_skip_insn(t, s);
}

static int chk_h_nmi(struct st *t, const struct step *s)
{
	(void)s;
	return st_io_is(t, 0x82, 1, false, false, false);
}

static int chk_no_intr(struct st *t, const struct step *s)
{
	(void)s;
	return t->ops->vcpu_can_take_intr(t->v) ? st_fail(t, "can_take_intr with IF=0") : 0;
}

static void act_win(struct st *t, const struct step *s)
{
	t->ops->vcpu_window(t->v, true, false);
	st_skip_insn(t, s);
}

static int chk_intr_window(struct st *t, const struct step *s)
{
	(void)s;
	return t->ops->vcpu_can_take_intr(t->v) ? 0 : st_fail(t, "window open but !can_take_intr");
}

static void act_intr_window(struct st *t, const struct step *s)
{
	(void)s;
	st_inject(t, VEVENT_EXTINT, 0x40, false, 0);
	t->ops->vcpu_window(t->v, false, false);
}

static int chk_h40(struct st *t, const struct step *s)
{
	(void)s;
	return st_io_is(t, 0x83, 1, false, false, false);
}

/* An INT n the common code emulated: RIP is at the instruction, the return address past it. */
static void act_softint(struct st *t, const struct step *s)
{
	struct vevent e = { .type = VEVENT_SOFTINT, .vector = 0x40,
			    .insn_len = (u8)(s->end - s->at) };
	t->ops->vcpu_inject(t->v, &e);
}

static const struct step real_steps[] = {
	BASE_STEPS(g16),
	STEP("nmi-inject", g16_nmi, VEXIT_HYPERCALL, .act = act_nmi),
	STEP("nmi-delivered", g16_h_nmi, VEXIT_IO, .check = chk_h_nmi),
	{ .name = "nmi-window-after-iret", .at = g16_win, .end = g16_win, .kind = VEXIT_NMI_WINDOW,
	  .act = st_act_none },
	STEP("intr-window-request", g16_win, VEXIT_HYPERCALL, .check = chk_no_intr, .act = act_win),
	{ .name = "intr-window-after-sti", .at = g16_after_sti, .end = g16_after_sti,
	  .kind = VEXIT_INTR_WINDOW, .check = chk_intr_window, .act = act_intr_window },
	STEP("extint-delivered", g16_h40_out, VEXIT_IO, .check = chk_h40),
	STEP("softint-inject", g16_done, VEXIT_HYPERCALL, .act = act_softint),
	STEP("softint-delivered", g16_h40_out, VEXIT_IO, .check = chk_h40),
	STEP("softint-returns-past-insn", g16_park, VEXIT_HLT, .act = st_act_none),
};

const struct mode st_mode_real = {
	.name = "real", .blob = g16_start, .blob_end = g16_end, .rip_base = 0, .sp = 0xfff0,
	.npf_gpa = 0x20010, .gpr_sum = 21, .setup = setup_real,
	.steps = real_steps, .nsteps = ARRAY_SIZE(real_steps),
};

/* 32-bit: a passthrough port, exception intercepts with and without error code, injection
 * of #GP with an error code through the IDT. */
static void setup_prot32(struct st *t)
{
	u64 *idt = (u64 *)(t->ram + ST_IDT);
	u64 h = ST_CODE + (u64)(g32_h13 - g32_start);

	st_start(t, st_sregs_prot32);
	idt[13] = (h & 0xffff) | 0x08ull << 16 | 0x8eull << 40 | (h >> 16) << 48;
	((u64 *)(t->ram + ST_GDT))[4] = 0x0000890098000067ull; /* 0x20: 32-bit TSS at 0x9800 */
	t->ops->vcpu_allow_io(t->v, 0x88, 1);
	t->ops->vcpu_set_exc_intercepts(t->v, BIT(6) | BIT(13));
}

static int chk_io80(struct st *t, const struct step *s)
{
	(void)s;
	return st_io_is(t, 0x80, 1, false, false, false);
}

static int chk_ud(struct st *t, const struct step *s)
{
	(void)s;
	return st_exc_is(t, 6, false, 0, 0);
}

/* Selector 0x5b is past the GDT limit: #GP with the selector's index as error code. */
static int chk_gp(struct st *t, const struct step *s)
{
	(void)s;
	return st_exc_is(t, 13, true, 0x58, 0);
}

static void act_inj_gp(struct st *t, const struct step *s)
{
	t->ops->vcpu_set_exc_intercepts(t->v, 0);
	st_inject(t, VEVENT_EXCEPTION, 13, true, 0x1234);
	st_skip_insn(t, s);
}

static int chk_h13(struct st *t, const struct step *s)
{
	(void)s;
	if (st_io_is(t, 0x84, 4, false, false, false))
		return -1;
	return st_gpr32(t, VCPU_RAX) != 0x1234 ? st_fail(t, "handler popped error code %#x, expected 0x1234", st_gpr32(t, VCPU_RAX)) : 0;
}

static int chk_tss(struct st *t, const struct step *s)
{
	const struct vexit *x = &t->v->exit;

	(void)s;
	if (x->task.sel != 0x20 || x->task.source != VTASK_JMP || x->task.idt_event ||
	    x->task.has_error)
		return st_fail(t, "task sel %#x source %u idt %d err %d, expected 0x20 JMP 0 0",
			       x->task.sel, x->task.source, x->task.idt_event, x->task.has_error);
	return 0;
}

/* QEMU TCG has no task-switch intercept (the switch would run in the guest): skip the JMP. */
static void act_tss_go(struct st *t, const struct step *s)
{
	vcpu_set_rip(t->v, st_rip(t, st_task_switch_exits() ? s->end : g32_tss_end));
}

static const struct step prot32_steps[] = {
	BASE_STEPS(g32),
	STEP("io-allow", g32_io80, VEXIT_IO, .check = chk_io80),
	STEP("exc-ud", g32_ud, VEXIT_EXCEPTION, .check = chk_ud),
	STEP("exc-gp-error", g32_gp, VEXIT_EXCEPTION, .check = chk_gp),
	STEP("inject-gp", g32_inj, VEXIT_HYPERCALL, .act = act_inj_gp),
	STEP("gp-delivered", g32_h13_out, VEXIT_IO, .check = chk_h13),
	STEP("task-switch-request", g32_tss_go, VEXIT_HYPERCALL, .act = act_tss_go),
	STEP("task-switch-jmp", g32_tss, VEXIT_TASK_SWITCH, .applies = st_task_switch_exits,
	     .skip_why = "QEMU TCG has no task-switch intercept", .check = chk_tss),
	STEP("done", g32_done, VEXIT_HYPERCALL),
};

const struct mode st_mode_prot32 = {
	.name = "prot32", .blob = g32_start, .blob_end = g32_end, .rip_base = ST_CODE,
	.sp = ST_STACK, .npf_gpa = 0xfeb00000, .gpr_sum = 21, .setup = setup_prot32,
	.steps = prot32_steps, .nsteps = ARRAY_SIZE(prot32_steps),
};

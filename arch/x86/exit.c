/* Exit dispatch common to VMX and SVM: one handler per normalised exit kind. */
#include <arch/exit.h>
#include <arch/virt.h>
#include <keel/format.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include <arch/insn.h>
#include <keel/virq.h>

#define RFLAGS_IF 0x200ull

typedef enum exit_action (*exit_fn)(struct vcpu *v);

void exit_inject_exc(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	v->pending = (struct vevent){ .type = VEVENT_EXCEPTION, .vector = vector,
				      .has_error = has_error, .error = error };
}

void exit_inject_ud(struct vcpu *v)
{
	v->stat[KEEL_STAT_INJECTED_UD]++;
	exit_inject_exc(v, 6, false, 0);
}

void exit_inject_gp0(struct vcpu *v)
{
	v->stat[KEEL_STAT_INJECTED_GP]++;
	exit_inject_exc(v, 13, true, 0);
}

/* The last state of a vCPU that stops, so a crash can be diagnosed from the console alone. */
static void exit_dump(struct vcpu *v)
{
	struct vcpu_sregs s;
	const u64 *g = v->regs.gpr;
	virt->vcpu_get_sregs(v, &s);
	pr_info("%s: vcpu %u: rip %#llx rsp %#llx rflags %#llx cr0 %#llx cr3 %#llx cr4 %#llx "
		"efer %#llx cs %#x/%#x ss %#x", v->part->name, v->id,
		(unsigned long long)v->regs.rip, (unsigned long long)g[VCPU_RSP],
		(unsigned long long)v->regs.rflags, (unsigned long long)s.cr0,
		(unsigned long long)s.cr3, (unsigned long long)s.cr4, (unsigned long long)s.efer,
		s.seg[SEG_CS].sel, s.seg[SEG_CS].attr, s.seg[SEG_SS].sel);
	pr_info("%s: vcpu %u: rax %#llx rbx %#llx rcx %#llx rdx %#llx rsi %#llx rdi %#llx "
		"exits %llu last exit %u (%s %#llx)", v->part->name, v->id,
		(unsigned long long)g[VCPU_RAX], (unsigned long long)g[VCPU_RBX],
		(unsigned long long)g[VCPU_RCX], (unsigned long long)g[VCPU_RDX],
		(unsigned long long)g[VCPU_RSI], (unsigned long long)g[VCPU_RDI],
		(unsigned long long)v->stat[KEEL_STAT_EXITS], v->exit.kind, virt->name,
		(unsigned long long)v->exit.raw);
}

static void exit_vstop(struct vcpu *v, bool fatal, const char *fmt, va_list ap)
{
	char why[sizeof(v->part->stop_reason)];
	vsnprintf(why, sizeof(why), fmt, ap);
	pr_info("%s: vcpu %u stops%s: %s", v->part->name, v->id, fatal ? " the partition" : "", why);
	partition_set_reason(v->part, why);
	exit_dump(v);
	v->dumped = true;
	v->stopped = true;
}

enum exit_action exit_stop(struct vcpu *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	exit_vstop(v, false, fmt, ap);
	va_end(ap);
	return EXIT_STOP;
}

enum exit_action exit_fatal(struct vcpu *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	exit_vstop(v, true, fmt, ap);
	va_end(ap);
	partition_stop(v->part, NULL);
	return EXIT_STOP;
}

static enum exit_action exit_none(struct vcpu *v)
{
	(void)v;
	return EXIT_RESUME;
}

static u32 exit_msr_index(struct vcpu *v) { return (u32)v->regs.gpr[VCPU_RCX]; }

static enum exit_action exit_rdmsr(struct vcpu *v)
{
	u64 val;
	if (msr_read(v, exit_msr_index(v), &val)) {
		pr_debug("%s: rdmsr %#x → #GP", v->part->name, exit_msr_index(v));
		exit_inject_gp0(v);
		return EXIT_RESUME;
	}
	if (exit_skip_insn(v))
		return EXIT_RESUME;
	v->regs.gpr[VCPU_RAX] = (u32)val;
	v->regs.gpr[VCPU_RDX] = val >> 32;
	v->dirty |= VCPU_DIRTY_RAX;
	return EXIT_RESUME;
}

static enum exit_action exit_wrmsr(struct vcpu *v)
{
	u64 val = (v->regs.gpr[VCPU_RDX] << 32) | (u32)v->regs.gpr[VCPU_RAX];
	if (msr_write(v, exit_msr_index(v), val)) {
		pr_debug("%s: wrmsr %#x ← %#llx → #GP", v->part->name, exit_msr_index(v),
			 (unsigned long long)val);
		exit_inject_gp0(v);
		return EXIT_RESUME;
	}
	exit_skip_insn(v);
	return EXIT_RESUME;
}

/* HLT with interrupts disabled waits for an NMI, INIT or a stop; when every vCPU of the
 * partition does, nothing can wake them and the partition stops (how `poweroff -f` ends a
 * Linux guest without ACPI). */
static enum exit_action exit_hlt(struct vcpu *v)
{
	if (exit_skip_insn(v))
		return EXIT_RESUME;
	if (v->regs.rflags & RFLAGS_IF)
		return vcpu_block(v);
	pr_info("%s: vcpu %u stops: halted with interrupts disabled", v->part->name, v->id);
	return virq_halt_off(v) ? EXIT_RESUME : EXIT_STOP;
}

static enum exit_action exit_hypercall(struct vcpu *v)
{
	if (exit_skip_insn(v))
		return EXIT_RESUME;
	return hypercall_dispatch(v);
}

static enum exit_action exit_virt_insn(struct vcpu *v)
{
	exit_inject_ud(v);
	return EXIT_RESUME;
}

/* INVD would throw away dirty lines the partition does not own: do nothing and go on. */
static enum exit_action exit_invd(struct vcpu *v)
{
	exit_skip_insn(v);
	return EXIT_RESUME;
}

/* A shutdown resets the whole machine (SDM Vol. 3A 6.15, #DF): here, the whole partition. A
 * Linux partition restarts (docs/linux.md); others stop. */
static enum exit_action exit_shutdown(struct vcpu *v)
{
	char why[64];
	snprintf(why, sizeof(why), "triple fault at rip %#llx", (unsigned long long)v->regs.rip);
	if (partition_restart_request(v, why))
		return EXIT_RESUME;
	return exit_fatal(v, "triple fault (shutdown) at rip %#llx", (unsigned long long)v->regs.rip);
}

static enum exit_action exit_entry_fail(struct vcpu *v)
{
	return exit_fatal(v, "VM entry failed (%s exit %#llx, qualification %#llx)", virt->name,
			 (unsigned long long)v->exit.raw, (unsigned long long)v->exit.fail.qual);
}

static enum exit_action exit_unknown(struct vcpu *v)
{
	return exit_fatal(v, "unexpected %s exit %#llx at rip %#llx", virt->name,
			 (unsigned long long)v->exit.raw, (unsigned long long)v->regs.rip);
}

static const exit_fn exit_table[VEXIT_KINDS] = {
	[VEXIT_NONE] = exit_none,
	[VEXIT_CPUID] = exit_cpuid,
	[VEXIT_RDMSR] = exit_rdmsr,
	[VEXIT_WRMSR] = exit_wrmsr,
	[VEXIT_IO] = exit_io,
	[VEXIT_NPF] = exit_npf,
	[VEXIT_HLT] = exit_hlt,
	[VEXIT_HYPERCALL] = exit_hypercall,
	[VEXIT_XSETBV] = exit_xsetbv,
	[VEXIT_EXCEPTION] = exit_exception,
	[VEXIT_INTR_WINDOW] = exit_none,
	[VEXIT_NMI_WINDOW] = exit_nmi_window,
	[VEXIT_SHUTDOWN] = exit_shutdown,
	[VEXIT_ENTRY_FAIL] = exit_entry_fail,
	[VEXIT_INIT] = exit_unknown,
	[VEXIT_SIPI] = exit_unknown,
	[VEXIT_TASK_SWITCH] = exit_unknown,
	[VEXIT_CR_ACCESS] = exit_cr_access,
	[VEXIT_VIRT_INSN] = exit_virt_insn,
	[VEXIT_INVD] = exit_invd,
	[VEXIT_UNKNOWN] = exit_unknown,
};

enum exit_action exit_handle(struct vcpu *v)
{
	v->stat[KEEL_STAT_EXITS]++;
	u32 k = v->exit.kind;
	if (k >= VEXIT_KINDS || !exit_table[k])
		return exit_unknown(v);
	return exit_table[k](v);
}

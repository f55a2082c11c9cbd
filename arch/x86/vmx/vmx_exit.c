/* vcpu_run: enter the guest and decode the exit into struct vexit (SDM Vol. 3C 27.2 and
 * Appendix C for the basic exit reasons). */
#include <keel/errno.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "vmx.h"

typedef u32 (*vmx_exit_fn)(struct vcpu *v, u64 qual);

struct vmx_exit_desc {
	u8 kind;     /* enum vexit_kind when fn is NULL */
	bool len;    /* the VM-exit instruction length is defined (SDM Vol. 3C 27.2.4) */
	bool known;
	vmx_exit_fn fn;
};

static u32 vmx_exit_exception(struct vcpu *v, u64 qual)
{
	u32 info = (u32)vmcs_read(EXIT_INTR_INFO), type = (info >> INTR_TYPE_SHIFT) & 7;

	vmx_nmi_unblock_fixup(v, (info & INTR_INFO_NMI_UNBLOCK) && (info & 0xff) != 8);
	if (type == INTR_NMI) {
		vmx_host_vector(2);
		return VEXIT_NONE;
	}
	v->exit.exc.vector = (u8)info;
	v->exit.exc.has_error = info & INTR_INFO_ERR;
	v->exit.exc.error = v->exit.exc.has_error ? (u32)vmcs_read(EXIT_INTR_ERR) : 0;
	v->exit.exc.info = qual; /* #PF: linear address; #DB: DR6-format bits (Table 27-1) */
	if (type == INTR_SWEXC)
		v->exit.insn_len = (u32)vmcs_read(EXIT_INSN_LEN);
	return VEXIT_EXCEPTION;
}

static u32 vmx_exit_extint(struct vcpu *v, u64 qual)
{
	(void)v, (void)qual;
	/* "Acknowledge interrupt on exit" put the vector here (SDM Vol. 3C 27.2.2). */
	vmx_host_vector((u8)vmcs_read(EXIT_INTR_INFO));
	return VEXIT_NONE;
}

static u32 vmx_exit_sipi(struct vcpu *v, u64 qual)
{
	v->exit.sipi.vector = (u8)qual;
	return VEXIT_SIPI;
}

static u32 vmx_exit_intr_window(struct vcpu *v, u64 qual)
{
	(void)qual;
	return vmx_window_exit(v, false);
}

static u32 vmx_exit_nmi_window(struct vcpu *v, u64 qual)
{
	(void)qual;
	return vmx_window_exit(v, true);
}

/* Task-switch qualification: selector 15:0, source 31:30 (SDM Vol. 3C Table 27-2). */
static u32 vmx_exit_task(struct vcpu *v, u64 qual)
{
	u32 idt = (u32)vmcs_read(IDT_VEC_INFO), type = (idt >> INTR_TYPE_SHIFT) & 7;

	v->exit.task = (__typeof__(v->exit.task)){ .sel = (u16)qual, .source = (u8)((qual >> 30) & 3) };
	if (v->exit.task.source == VTASK_IDT && (idt & INTR_INFO_VALID)) {
		v->exit.task.idt_event = true;
		v->exit.task.vector = (u8)idt;
		v->exit.task.has_error = idt & INTR_INFO_ERR;
		v->exit.task.error = v->exit.task.has_error ? (u32)vmcs_read(IDT_VEC_ERR) : 0;
	}
	if (v->exit.task.source != VTASK_IDT || (v->exit.task.idt_event && type >= INTR_SOFTINT))
		v->exit.insn_len = (u32)vmcs_read(EXIT_INSN_LEN);
	return VEXIT_TASK_SWITCH;
}

static u32 vmx_exit_cr(struct vcpu *v, u64 qual) { return vmx_cr_access(v, qual); }

/* I/O qualification: size-1 in 2:0, IN 3, string 4, REP 5, port 31:16 (Table 27-5). */
static u32 vmx_exit_io(struct vcpu *v, u64 qual)
{
	v->exit.io.port = (u16)(qual >> 16);
	v->exit.io.size = (u8)((qual & 7) + 1);
	v->exit.io.in = qual & BIT(3);
	v->exit.io.string = qual & BIT(4);
	v->exit.io.rep = qual & BIT(5);
	v->exit.io.next_rip = v->regs.rip + v->exit.insn_len;
	return VEXIT_IO;
}

/* EPT-violation qualification: access R/W/X in 2:0, what the entry allowed in 5:3, linear
 * address valid 7, the access's own translation (not a paging-structure access) 8, NMI
 * unblocking 12 (Table 27-7). */
static u32 vmx_exit_ept(struct vcpu *v, u64 qual)
{
	v->exit.npf.gpa = vmcs_read(GUEST_PHYS_ADDR);
	v->exit.npf.gla_valid = qual & BIT(7);
	v->exit.npf.final = (qual & BIT(7)) && (qual & BIT(8));
	v->exit.npf.gla = v->exit.npf.gla_valid ? vmcs_read(GUEST_LINEAR_ADDR) : 0;
	v->exit.npf.write = qual & BIT(1);
	v->exit.npf.fetch = qual & BIT(2);
	v->exit.npf.present = qual & 0x38;
	vmx_nmi_unblock_fixup(v, qual & BIT(12));
	return VEXIT_NPF;
}

static u32 vmx_exit_ept_misconfig(struct vcpu *v, u64 qual)
{
	(void)qual;
	pr_err("vmx: vCPU %u: EPT misconfiguration at GPA %#llx (a bad entry in Keel's tables)",
	       v->id, (unsigned long long)vmcs_read(GUEST_PHYS_ADDR));
	return VEXIT_UNKNOWN;
}

#define K(k) { .kind = (k), .known = true }
#define KL(k) { .kind = (k), .len = true, .known = true }
#define F(f) { .fn = (f), .known = true }
#define FL(f) { .fn = (f), .len = true, .known = true }

static const struct vmx_exit_desc vmx_exits[] = {
	[0] = F(vmx_exit_exception),   [1] = F(vmx_exit_extint),     [2] = K(VEXIT_SHUTDOWN),
	[3] = K(VEXIT_INIT),           [4] = F(vmx_exit_sipi),       [5] = K(VEXIT_NONE),
	[6] = K(VEXIT_NONE),           [7] = F(vmx_exit_intr_window), [8] = F(vmx_exit_nmi_window),
	[9] = F(vmx_exit_task),        [10] = KL(VEXIT_CPUID),       [11] = KL(VEXIT_VIRT_INSN),
	[12] = KL(VEXIT_HLT),          [13] = KL(VEXIT_INVD),        [18] = KL(VEXIT_HYPERCALL),
	[19] = KL(VEXIT_VIRT_INSN),    [20] = KL(VEXIT_VIRT_INSN),   [21] = KL(VEXIT_VIRT_INSN),
	[22] = KL(VEXIT_VIRT_INSN),    [23] = KL(VEXIT_VIRT_INSN),   [24] = KL(VEXIT_VIRT_INSN),
	[25] = KL(VEXIT_VIRT_INSN),    [26] = KL(VEXIT_VIRT_INSN),   [27] = KL(VEXIT_VIRT_INSN),
	[28] = FL(vmx_exit_cr),        [30] = FL(vmx_exit_io),       [31] = KL(VEXIT_RDMSR),
	[32] = KL(VEXIT_WRMSR),        [37] = K(VEXIT_NONE),         [43] = K(VEXIT_NONE),
	[48] = F(vmx_exit_ept),        [49] = F(vmx_exit_ept_misconfig),
	[50] = KL(VEXIT_VIRT_INSN),    [52] = K(VEXIT_NONE),         [53] = KL(VEXIT_VIRT_INSN),
	[55] = KL(VEXIT_XSETBV),       [59] = KL(VEXIT_VIRT_INSN),
};

static const char *vmx_entry_fail_str(u32 basic, u64 qual)
{
	if (basic == 34)
		return "loading an MSR from the VM-entry MSR-load list (qualification = entry index)";
	if (basic == 41)
		return "machine-check event during VM entry";
	if (basic != 33)
		return "unknown entry failure";
	/* Qualifications of reason 33 (SDM Vol. 3C 26.8). */
	switch (qual) {
	case 2: return "invalid guest state: PDPTE loading failed";
	case 3: return "invalid guest state: NMI injection with blocking by NMI";
	case 4: return "invalid guest state: invalid VMCS link pointer";
	default: return "invalid guest state (a guest-state check of SDM Vol. 3C 26.3.1)";
	}
}

/* Exit reason bit 31: the VM entry failed after its control/host checks (SDM 26.8). */
static u32 vmx_entry_fail(struct vcpu *v, u32 reason)
{
	u64 qual = vmcs_read(EXIT_QUAL);

	pr_err("vmx: vCPU %u: VM entry failed: exit reason %u, qualification %llu: %s", v->id,
	       reason & 0xffff, (unsigned long long)qual, vmx_entry_fail_str(reason & 0xffff, qual));
	vmx_dump_guest();
	v->exit.fail.qual = qual;
	return VEXIT_ENTRY_FAIL;
}

/* VMLAUNCH/VMRESUME itself failed: VMfailValid carries an error number (SDM Vol. 3C 30.4). */
static int vmx_insn_fail(struct vcpu *v, int rc)
{
	const char *insn = vmx_of(v)->launched ? "VMRESUME" : "VMLAUNCH";

	v->exit.kind = VEXIT_ENTRY_FAIL;
	if (rc == 1) {
		pr_err("vmx: vCPU %u: %s failed: VMfailInvalid (no current VMCS)", v->id, insn);
		return -EIO;
	}
	u32 err = (u32)vmcs_read(VM_INSN_ERROR);
	v->exit.raw = err;
	pr_err("vmx: vCPU %u: %s failed: VM-instruction error %u: %s", v->id, insn, err,
	       vmx_insn_error_str(err));
	return -EIO;
}

static void vmx_entry_state(struct vcpu *v, struct vmx_vcpu *x)
{
	if (v->dirty & VCPU_DIRTY_RIP)
		vmcs_write(GUEST_RIP, v->regs.rip);
	if (v->dirty & VCPU_DIRTY_RSP)
		vmcs_write(GUEST_RSP, v->regs.gpr[VCPU_RSP]);
	if (v->dirty & VCPU_DIRTY_RFLAGS)
		vmcs_write(GUEST_RFLAGS, v->regs.rflags);
	v->dirty = 0;
	if (x->pdpte_load) {
		/* PAE paging under EPT takes the PDPTEs from the VMCS (SDM Vol. 3C 26.3.2.4). */
		u64 pdpte[4] = { 0 };
		vmx_gpa_read(x, vmcs_read(GUEST_CR3) & ~0x1full, pdpte, sizeof(pdpte));
		for (unsigned i = 0; i < 4; i++)
			vmcs_write(GUEST_PDPTE0 + 2 * i, pdpte[i]);
		x->pdpte_load = false;
	}
	if (x->cr2_load) {
		write_cr2(x->cr2);
		x->cr2_load = false;
	}
	if (x->xcr0_load) {
		__asm__ volatile("xsetbv" : : "c"(0), "a"((u32)x->xcr0), "d"((u32)(x->xcr0 >> 32)));
		x->xcr0_load = false;
	}
}

static u32 vmx_decode(struct vcpu *v, u32 reason)
{
	u64 qual = vmcs_read(EXIT_QUAL);
	const struct vmx_exit_desc *d = reason < ARRAY_SIZE(vmx_exits) ? &vmx_exits[reason] : NULL;

	vmx_events_exit(v, reason, qual);
	if (!d || !d->known) {
		pr_warn("vmx: vCPU %u: unexpected exit reason %u, qualification %#llx", v->id, reason,
			(unsigned long long)qual);
		return VEXIT_UNKNOWN;
	}
	if (d->len)
		v->exit.insn_len = (u32)vmcs_read(EXIT_INSN_LEN);
	return d->fn ? d->fn(v, qual) : d->kind;
}

static u64 vmx_save_flags(void)
{
	u64 f;
	__asm__ volatile("pushfq; pop %0" : "=r"(f));
	return f;
}

int vmx_vcpu_run(struct vcpu *v)
{
	struct vmx_vcpu *x = vmx_of(v);
	struct vmx_dtr gdt, idt;
	u64 host_flags = vmx_save_flags();

	/* Each decoder fills its own union member; memset here would cost a byte loop per exit. */
	v->exit.kind = VEXIT_NONE;
	v->exit.raw = 0;
	v->exit.insn_len = 0;
	v->exit.vectoring = false;
	if (x->triple) {
		v->exit.kind = VEXIT_SHUTDOWN;
		return 0;
	}
	vmx_load(x);
	vmx_entry_state(v, x);
	vmx_events_entry(v);
	__asm__ volatile("sgdt %0; sidt %1" : "=m"(gdt), "=m"(idt));
	int rc = vmx_enter(&v->regs, x->launched);
	/* VM exits leave the GDTR and IDTR limits at FFFFh (SDM Vol. 3C 27.5.2). */
	__asm__ volatile("lgdt %0; lidt %1" : : "m"(gdt), "m"(idt));
	if (rc)
		return vmx_insn_fail(v, rc);
	u32 reason = (u32)vmcs_read(EXIT_REASON);
	v->exit.raw = reason;
	if (reason & BIT(31)) {
		v->exit.kind = vmx_entry_fail(v, reason);
		return 0;
	}
	x->launched = true;
	v->regs.rip = vmcs_read(GUEST_RIP);
	v->regs.gpr[VCPU_RSP] = vmcs_read(GUEST_RSP);
	v->regs.rflags = vmcs_read(GUEST_RFLAGS);
	v->exit.kind = vmx_decode(v, reason & 0xffff);
	/* A VM exit clears RFLAGS.IF (SDM Vol. 3C 27.5.3); host interrupts were taken above. */
	if (host_flags & RFLAGS_IF)
		__asm__ volatile("sti");
	return 0;
}

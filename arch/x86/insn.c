/* Instruction length at the guest's RIP for intercepted instructions (CPUID, RDMSR, HLT,
 * VMMCALL...) when the hardware reports none: QEMU's SVM has no nRIP save (APM Vol. 2 15.7.1),
 * so Keel fetches the bytes through the guest's segments and page tables and decodes them. */
#include <arch/exit.h>
#include <arch/insn.h>
#include <arch/virt.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include "emul/emul.h"

static bool insn_check_on;

bool insn_check_enabled(void) { return insn_check_on; }
void insn_check_set(bool on) { insn_check_on = on; }

static void insn_fault(struct vcpu *v, const struct emul_fault *f)
{
	v->pending = (struct vevent){ .type = VEVENT_EXCEPTION, .vector = f->vector,
				      .has_error = f->has_error, .error = f->error,
				      .has_cr2 = f->has_cr2, .cr2 = f->cr2 };
}

enum { INSN_OK, INSN_FAULT, INSN_RETRY, INSN_STOP };

/* Fetches and measures the instruction at RIP. INSN_FAULT sets *f to what the CPU would raise:
 * the fault on the page where the bytes ran out, or #GP(0) past 15 bytes. */
static int insn_decode_len(struct vcpu *v, u32 *len, struct emul_fault *f)
{
	struct emul_regs r;
	struct emul_insn in;
	u8 buf[EMUL_INSN_MAX];
	unsigned n = 0;
	vcpu_to_emul(v, &r);
	*f = (struct emul_fault){ .vector = 13, .has_error = true };
	int rc = emul_fetch(&v->part->mem.mem, &r, buf, &n, f);
	if (rc == EMUL_EAGAIN)
		return INSN_RETRY;
	if (rc < 0)
		return INSN_STOP;
	if (rc > 0)
		return INSN_FAULT;
	rc = emul_decode_length(buf, n, emul_mode_of(r.cr0, r.efer, r.rflags, &r.seg[SEG_CS]), &in);
	if (rc == EMUL_DEC_OK) {
		*len = in.len;
		return INSN_OK;
	}
	return rc == EMUL_DEC_SHORT || rc == EMUL_DEC_GP ? INSN_FAULT : INSN_STOP;
}

/* The vCPU is stopped when its instruction cannot be measured: it would loop on the exit. */
int insn_length(struct vcpu *v, u32 *len)
{
	struct emul_fault f;
	switch (insn_decode_len(v, len, &f)) {
	case INSN_OK:
		return 0;
	case INSN_FAULT:
		insn_fault(v, &f);
		return 1;
	case INSN_RETRY:
		return 1;
	default:
		exit_fatal(v, "cannot fetch or measure the intercepted instruction at rip %#llx",
			  (unsigned long long)v->regs.rip);
		return 1;
	}
}

void insn_check_length(struct vcpu *v, u32 hw_len)
{
	u32 len;
	struct emul_fault f;
	if (!hw_len || insn_decode_len(v, &len, &f) != INSN_OK)
		return;
	v->stat[KEEL_STAT_LEN_CHECKED]++;
	if (len != hw_len) {
		v->stat[KEEL_STAT_LEN_MISMATCH]++;
		pr_err("%s: instruction length at rip %#llx: Keel %u, hardware %u", v->part->name,
		       (unsigned long long)v->regs.rip, len, hw_len);
	}
}

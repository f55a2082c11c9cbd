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

/* 0 with the length, 1 with *f set to the fault the fetch raises, -1 when the bytes are not an
 * instruction Keel knows how to measure. */
static int insn_decode_len(struct vcpu *v, u32 *len, struct emul_fault *f)
{
	struct emul_regs r;
	u8 buf[EMUL_INSN_MAX];
	unsigned n;
	vcpu_to_emul(v, &r);
	if (emul_fetch(&v->part->mem.mem, &r, buf, &n, f))
		return 1;
	struct emul_insn in;
	enum emul_mode mode = emul_mode_of(r.cr0, r.efer, r.rflags, &r.seg[SEG_CS]);
	int rc = emul_decode_length(buf, n, mode, &in);
	if (rc == EMUL_DEC_OK) {
		*len = in.len;
		return 0;
	}
	if (rc == EMUL_DEC_SHORT || rc == EMUL_DEC_GP) {
		*f = (struct emul_fault){ .vector = 13, .has_error = true };
		return 1;
	}
	return -1;
}

/* The vCPU is stopped when its instruction cannot be measured: it would loop on the exit. */
int insn_length(struct vcpu *v, u32 *len)
{
	struct emul_fault f;
	int rc = insn_decode_len(v, len, &f);
	if (rc > 0)
		insn_fault(v, &f);
	if (rc < 0) {
		exit_stop(v, "cannot measure the intercepted instruction at rip %#llx",
			  (unsigned long long)v->regs.rip);
		return 1;
	}
	return rc;
}

void insn_check_length(struct vcpu *v, u32 hw_len)
{
	u32 len;
	struct emul_fault f;
	if (!hw_len || insn_decode_len(v, &len, &f))
		return;
	v->stat[KEEL_STAT_LEN_CHECKED]++;
	if (len != hw_len) {
		v->stat[KEEL_STAT_LEN_MISMATCH]++;
		pr_err("%s: instruction length at rip %#llx: Keel %u, hardware %u", v->part->name,
		       (unsigned long long)v->regs.rip, len, hw_len);
	}
}

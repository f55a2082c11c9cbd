/* Port I/O exits. IN/OUT without a string prefix are finished from the exit information alone;
 * INS/OUTS go through the emulator (arch/x86/mmio.c), which iterates and batches them. */
#include <arch/exit.h>
#include <arch/insn.h>
#include <arch/virt.h>
#include <keel/access.h>
#include <keel/partition.h>

static u64 pio_mask(unsigned size) { return size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1; }

/* IN to EAX zero-extends into RAX; IN to AL/AX leaves the other bits (SDM Vol. 1 3.4.1.1). */
static void pio_set_rax(struct vcpu *v, unsigned size, u64 val)
{
	u64 *rax = &v->regs.gpr[VCPU_RAX];
	if (size == 4)
		*rax = (u32)val;
	else
		*rax = (*rax & ~pio_mask(size)) | (val & pio_mask(size));
	v->dirty |= VCPU_DIRTY_RAX;
}

static int pio_advance(struct vcpu *v)
{
	u64 next = v->exit.io.next_rip;
	if (insn_check_enabled())
		insn_check_length(v, next ? (u32)(next - v->regs.rip) : v->exit.insn_len);
	if (!next)
		return exit_skip_insn(v);
	vcpu_set_rip(v, next);
	virt->vcpu_clear_shadow(v);
	return 0;
}

enum exit_action exit_io(struct vcpu *v)
{
	v->stat[KEEL_STAT_PIO_EXITS]++;
	if (v->exit.io.string)
		return exit_emulate(v);
	unsigned size = v->exit.io.size;
	u64 val = v->regs.gpr[VCPU_RAX] & pio_mask(size);
	enum access_result r = access_one(v, REGION_PIO, v->exit.io.port, size, !v->exit.io.in, &val);
	if (r == ACCESS_GP) {
		exit_inject_gp0(v);
		return EXIT_RESUME;
	}
	if (r == ACCESS_STOP)
		return EXIT_STOP; /* partition_stop stopped every vCPU of the partition */
	if (v->exit.io.in)
		pio_set_rax(v, size, val);
	pio_advance(v);
	return EXIT_RESUME;
}

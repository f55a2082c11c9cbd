/* Instruction fetch at CS:RIP through the segment checks and the page walk: shared by
 * emul_start() and the core's length decoding of intercepted instructions (emul_fetch). */
#include "emul_internal.h"

/* Bytes from `ip` up to the CS limit (SDM Vol. 3A 5.3: every byte of an instruction must be
 * within it; code segments are never expand-down). 64-bit mode has no limit. */
static uint64_t fetch_room(const struct emul_regs *r, enum emul_mode mode, uint64_t ip)
{
	uint32_t lim = r->seg[SEG_CS].limit;

	if (mode == EMUL_MODE_LONG64)
		return EMUL_INSN_MAX;
	return ip > lim ? 1 : (uint64_t)lim - ip + 1; /* ip > lim: emul_seg_linear faulted */
}

int emul_fetch_run(const struct emul_mem *mem, const struct emul_regs *r, enum emul_mode mode,
		   uint8_t *buf, unsigned *len, struct emul_fault *fault)
{
	struct walk_ctl ctl;
	unsigned n = 0, chunk;
	uint64_t ip, la, gpa, room;
	int st = 0, w;

	emul_walk_ctl(r, &ctl);
	while (n < EMUL_INSN_MAX) {
		ip = r->rip + n;
		if (mode != EMUL_MODE_LONG64)
			ip &= 0xffffffffu;
		if (emul_seg_linear(r->seg, mode, SEG_CS, ip, 1, WALK_FETCH | emul_seg_width(r->cr4),
				    &la, fault)) {
			st = EMUL_FAULT;
			break;
		}
		w = emul_walk(&ctl, mem, la, WALK_FETCH, &gpa, fault);
		if (w) {
			st = w > 0 ? EMUL_FAULT : w == -WALK_EAGAIN ? EMUL_RETRY : EMUL_BAD_TABLES;
			break;
		}
		room = fetch_room(r, mode, ip);
		chunk = 0x1000 - (unsigned)(la & 0xfff);
		chunk = chunk < EMUL_INSN_MAX - n ? chunk : EMUL_INSN_MAX - n;
		chunk = chunk < room ? chunk : (unsigned)room;
		if (mem->read(mem->ctx, gpa, buf + n, chunk)) {
			st = EMUL_UNSUPPORTED; /* code outside guest RAM */
			break;
		}
		n += chunk;
	}
	*len = n;
	return st;
}

int emul_fetch(const struct emul_mem *mem, const struct emul_regs *r, uint8_t buf[EMUL_INSN_MAX],
	       unsigned *len, struct emul_fault *fault)
{
	enum emul_mode mode = emul_mode_of(r->cr0, r->efer, r->rflags, &r->seg[SEG_CS]);
	int st = emul_fetch_run(mem, r, mode, buf, len, fault);

	if (*len)
		return 0;
	return st == EMUL_FAULT ? 1 : st == EMUL_RETRY ? EMUL_EAGAIN : EMUL_EFAULT;
}

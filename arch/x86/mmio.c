/* MMIO (nested page faults outside RAM) and string port I/O: Keel fetches and decodes the
 * guest's instruction, answers each access it needs (an in-core device, or later the ring),
 * and finishes the instruction itself. */
#include <arch/cpu.h>
#include <arch/exit.h>
#include <arch/insn.h>
#include <arch/virt.h>
#include <keel/access.h>
#include <keel/partition.h>
#include <keel/errno.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "emul/emul.h"

#define VEC_DB 1
#define DR6_BS (1u << 14)

struct vcpu_emul {
	struct emul e;
	struct emul_regs regs;
	struct emul_env env;
};

static enum emul_gpa_class mmio_classify(void *ctx, u64 gpa, u32 len)
{
	return gmem_ptr(ctx, gpa, len) ? EMUL_GPA_RAM : EMUL_GPA_DEVICE;
}

void vcpu_to_emul(struct vcpu *v, struct emul_regs *r)
{
	struct vcpu_sregs s;
	virt->vcpu_get_sregs(v, &s);
	memset(r, 0, sizeof(*r));
	memcpy(r->gpr, v->regs.gpr, sizeof(r->gpr));
	r->rip = v->regs.rip;
	r->rflags = v->regs.rflags;
	r->cr0 = s.cr0;
	r->cr2 = s.cr2;
	r->cr3 = s.cr3;
	r->cr4 = s.cr4;
	r->efer = s.efer;
	r->xcr0 = s.xcr0;
	memcpy(r->seg, s.seg, sizeof(r->seg));
	r->cpl = s.cpl;
}

void vcpu_from_emul(struct vcpu *v, const struct emul_regs *r)
{
	memcpy(v->regs.gpr, r->gpr, sizeof(r->gpr));
	v->regs.rip = r->rip;
	v->regs.rflags = r->rflags;
	v->dirty |= VCPU_DIRTY_RIP | VCPU_DIRTY_RSP | VCPU_DIRTY_RFLAGS | VCPU_DIRTY_RAX;
}

static void mmio_inject_fault(struct vcpu *v, const struct emul_fault *f)
{
	v->pending = (struct vevent){ .type = VEVENT_EXCEPTION, .vector = f->vector,
				      .has_error = f->has_error, .error = f->error,
				      .has_cr2 = f->has_cr2, .cr2 = f->cr2 };
	if (f->vector == 13)
		v->stat[KEEL_STAT_INJECTED_GP]++;
	if (f->vector == 6)
		v->stat[KEEL_STAT_INJECTED_UD]++;
}

/* Answers every element of a (possibly batched) access, in order. */
static void mmio_answer(struct vcpu *v, struct emul_access *a)
{
	enum region_space space = a->kind == EMUL_KIND_PIO ? REGION_PIO : REGION_MMIO;
	for (u32 i = 0; i < a->count; i++) {
		u64 val = 0;
		u8 *d = a->data + i * a->size;
		u64 addr = a->addr + (s64)i * a->stride;
		if (a->dir == EMUL_DIR_WRITE)
			memcpy(&val, d, a->size);
		access_one(v, space, addr, a->size, a->dir == EMUL_DIR_WRITE, &val);
		if (a->dir == EMUL_DIR_READ)
			memcpy(d, &val, a->size);
	}
}

/* VEX moves and YMM need CR4.OSXSAVE (SDM Vol. 1 14.3); the guest's XCR0, which let it run the
 * instruction, is live in the CPU. A backend sets the host's OSXSAVE once it loads a guest XCR0
 * other than 1, but a guest can change XCR0 without an exit where XSETBV is not intercepted
 * (QEMU 7.2), so the emulator makes sure before it touches them. */
static void mmio_vec_osxsave(unsigned len, unsigned zero_to)
{
	if ((len == 32 || zero_to == 32) && !(read_cr4() & CR4_OSXSAVE))
		write_cr4(read_cr4() | CR4_OSXSAVE);
}

static void mmio_vec_read(void *ctx, unsigned reg, void *buf, unsigned len)
{
	mmio_vec_osxsave(len, 0);
	emul_vec_read_live(ctx, reg, buf, len);
}

static void mmio_vec_write(void *ctx, unsigned reg, const void *buf, unsigned len, unsigned zero_to)
{
	mmio_vec_osxsave(len, zero_to);
	emul_vec_write_live(ctx, reg, buf, len, zero_to);
}

static struct vcpu_emul *mmio_state(struct vcpu *v)
{
	struct vcpu_emul *ve = v->emul;
	ve->env = (struct emul_env){ .mem = v->part->mem.mem, .ctx = &v->part->mem,
				     .classify = mmio_classify,
				     .vec_read = mmio_vec_read,
				     .vec_write = mmio_vec_write };
	return ve;
}

static enum exit_action mmio_finish(struct vcpu *v, struct vcpu_emul *ve)
{
	vcpu_from_emul(v, &ve->regs);
	v->stat[KEEL_STAT_EMULATED]++;
	if (ve->e.shadow_clear)
		virt->vcpu_clear_shadow(v);
	if (ve->e.single_step) /* TF after the instruction: a #DB trap (SDM Vol. 3B 17.3.1.4) */
		v->pending = (struct vevent){ .type = VEVENT_EXCEPTION, .vector = VEC_DB };
	return EXIT_RESUME;
}

static enum exit_action mmio_run(struct vcpu *v, const struct emul_exit *ex)
{
	struct vcpu_emul *ve = mmio_state(v);
	vcpu_to_emul(v, &ve->regs);
	int rc = emul_start(&ve->e, &ve->env, &ve->regs, ex);
	while (rc == EMUL_ACCESS) {
		mmio_answer(v, &ve->e.access);
		u32 len = ve->e.access.dir == EMUL_DIR_READ ? ve->e.access.count * ve->e.access.size : 0;
		rc = emul_complete(&ve->e, len ? ve->e.access.data : NULL, len);
	}
	switch (rc) {
	case EMUL_DONE:
		return mmio_finish(v, ve);
	case EMUL_FAULT:
		mmio_inject_fault(v, &ve->e.fault);
		return EXIT_RESUME;
	case EMUL_UNSUPPORTED:
		exit_inject_ud(v);
		return EXIT_RESUME;
	case EMUL_RETRY:
		return EXIT_RESUME;
	case EMUL_BAD_TABLES:
		return exit_stop(v, "its page tables lie outside its RAM (instruction at rip %#llx)",
				 (unsigned long long)v->regs.rip);
	default:
		return exit_stop(v, "emulator returned %d at rip %#llx", rc,
				 (unsigned long long)v->regs.rip);
	}
}

enum exit_action exit_emulate(struct vcpu *v)
{
	struct emul_exit ex = { .kind = EMUL_EXIT_PIO, .write = !v->exit.io.in,
				.port = v->exit.io.port };
	return mmio_run(v, &ex);
}

/* An instruction fetch from a device page cannot be emulated: #UD, as bhyve and KVM do. */
enum exit_action exit_npf(struct vcpu *v)
{
	v->stat[KEEL_STAT_MMIO_EXITS]++;
	if (v->exit.npf.fetch) {
		exit_inject_ud(v);
		return EXIT_RESUME;
	}
	struct emul_exit ex = { .kind = EMUL_EXIT_MMIO, .write = v->exit.npf.write,
				.gpa = v->exit.npf.gpa };
	return mmio_run(v, &ex);
}

int mmio_vcpu_init(struct vcpu *v)
{
	u64 pages = (sizeof(struct vcpu_emul) + PAGE_SIZE - 1) / PAGE_SIZE;
	u64 hpa = pmm_alloc(pages, PAGE_SIZE);
	if (!hpa)
		return -ENOMEM;
	memset((void *)(uintptr_t)hpa, 0, pages * PAGE_SIZE);
	v->emul = (void *)(uintptr_t)hpa;
	return 0;
}

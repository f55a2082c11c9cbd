/* MMIO (nested page faults outside RAM) and string port I/O: Keel fetches and decodes the
 * guest's instruction, answers each access it needs (an in-core device, or later the ring),
 * and finishes the instruction itself. */
#include <arch/exit.h>
#include <arch/insn.h>
#include <arch/virt.h>
#include <keel/access.h>
#include <keel/partition.h>
#include <keel/errno.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "vcpu_emul.h"

#define VEC_DB 1
#define DR6_BS (1u << 14)

static enum emul_gpa_class mmio_classify(void *ctx, u64 gpa, u32 len)
{
	return gmem_ptr(ctx, gpa, len) ? EMUL_GPA_RAM : EMUL_GPA_DEVICE;
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

/* One element of an access's data (1, 2, 4 or 8 bytes, little-endian) as a value and back. */
static inline u64 mmio_get(const u8 *d, unsigned size)
{
	u64 v = 0;
	switch (size) {
	case 1: return *d;
	case 2: { u16 x; __builtin_memcpy(&x, d, 2); return x; }
	case 4: { u32 x; __builtin_memcpy(&x, d, 4); return x; }
	default: __builtin_memcpy(&v, d, 8); return v;
	}
}

static inline void mmio_put(u8 *d, unsigned size, u64 v)
{
	switch (size) {
	case 1: *d = (u8)v; break;
	case 2: { u16 x = (u16)v; __builtin_memcpy(d, &x, 2); break; }
	case 4: { u32 x = (u32)v; __builtin_memcpy(d, &x, 4); break; }
	default: __builtin_memcpy(d, &v, 8); break;
	}
}

/* Answers every element of a (possibly batched) access, in order. */
static void mmio_answer(struct vcpu *v, struct emul_access *a)
{
	enum region_space space = a->kind == EMUL_KIND_PIO ? REGION_PIO : REGION_MMIO;
	bool write = a->dir == EMUL_DIR_WRITE;
	for (u32 i = 0; i < a->count; i++) {
		u8 *d = a->data + i * a->size;
		u64 val = write ? mmio_get(d, a->size) : 0;
		access_one(v, space, a->addr + (s64)i * a->stride, a->size, write, &val);
		if (!write)
			mmio_put(d, a->size, val);
	}
}

/* The emulator committed into v->regs in place; RSP and RAX may live in the VMCB. */
static enum exit_action mmio_finish(struct vcpu *v, struct vcpu_emul *ve)
{
	v->dirty |= VCPU_DIRTY_RIP | VCPU_DIRTY_RSP | VCPU_DIRTY_RFLAGS | VCPU_DIRTY_RAX;
	v->stat[KEEL_STAT_EMULATED]++;
	if (ve->e.shadow_clear)
		virt->vcpu_clear_shadow(v);
	if (ve->e.single_step) /* TF after the instruction: a #DB trap (SDM Vol. 3B 17.3.1.4) */
		v->pending = (struct vevent){ .type = VEVENT_EXCEPTION, .vector = VEC_DB };
	return EXIT_RESUME;
}

static enum exit_action mmio_run(struct vcpu *v, const struct emul_exit *ex)
{
	struct vcpu_emul *ve = vcpu_emul_of(v);
	const u8 *bytes;
	u32 len;
	int rc;

	virt->vcpu_get_emul_state(v);
	if (__builtin_expect(!insn_bytes(v, &bytes, &len), 1))
		rc = emul_start_bytes(&ve->e, &ve->env, &v->eregs, ex, bytes, len);
	else
		rc = emul_start(&ve->e, &ve->env, &v->eregs, ex);
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
	/* An exit during event delivery reports the delivery's access, not the instruction's. */
	bool final = v->exit.npf.final && !v->exit.vectoring;
	struct emul_exit ex = { .kind = EMUL_EXIT_MMIO, .write = v->exit.npf.write,
				.gpa = v->exit.npf.gpa, .la = v->exit.npf.gla,
				.la_valid = final && v->exit.npf.gla_valid,
				.gpa_final = final && !v->exit.npf.gla_valid };
	return mmio_run(v, &ex);
}

int mmio_vcpu_init(struct vcpu *v)
{
	u64 pages = (sizeof(struct vcpu_emul) + PAGE_SIZE - 1) / PAGE_SIZE;
	u64 hpa = pmm_alloc(pages, PAGE_SIZE);
	if (!hpa)
		return -ENOMEM;
	memset((void *)(uintptr_t)hpa, 0, pages * PAGE_SIZE);
	struct vcpu_emul *ve = (void *)(uintptr_t)hpa;
	ve->env = (struct emul_env){ .mem = v->part->mem.mem, .ctx = &v->part->mem,
				     .classify = mmio_classify, .vec_read = emul_vec_read_live,
				     .vec_write = emul_vec_write_live };
	v->emul = ve;
	return 0;
}

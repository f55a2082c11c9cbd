/* MMIO (nested page faults outside RAM) and string port I/O: Keel fetches and decodes the
 * guest's instruction, answers each access it needs (an in-core device or the ring to the
 * service VM, vmm/access.c), and finishes the instruction itself. */
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
#include <keel/unaligned.h>
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

_Static_assert(sizeof(((struct emul_access *)0)->data) >= 8, "an element's value fits the buffer");

static enum region_space mmio_space(const struct emul_access *a)
{
	return a->kind == EMUL_KIND_PIO ? REGION_PIO : REGION_MMIO;
}

/* Answers one (possibly batched) access; a forwarded batch is one ring request. */
static enum access_result mmio_answer(struct vcpu *v, struct emul_access *a)
{
	struct access_req r = { .space = mmio_space(a), .write = a->dir == EMUL_DIR_WRITE,
				.rmw = a->flags & EMUL_ACCESS_RMW, .size = a->size, .count = a->count,
				.stride = a->stride, .addr = a->addr, .data = a->data };
	return access_batch(v, &r);
}

/* The unbacked policy stopped the access: #GP(0) or the partition stops; nothing commits. */
static enum exit_action mmio_refused(struct vcpu *v, struct vcpu_emul *ve, enum access_result r)
{
	emul_abort(&ve->e);
	if (r == ACCESS_GP) {
		exit_inject_gp0(v);
		return EXIT_RESUME;
	}
	return EXIT_STOP; /* partition_stop stopped every vCPU of the partition */
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
	struct insn_memo *m;
	int rc;

	virt->vcpu_get_emul_state(v);
	if (__builtin_expect((m = insn_bytes(v)) != NULL, 1))
		rc = emul_start_bytes(&ve->e, &ve->env, &v->eregs, ex, m->bytes, m->len);
	else
		rc = emul_start(&ve->e, &ve->env, &v->eregs, ex);
	bool rmw_failed = false;
	while (rc == EMUL_ACCESS) {
		struct emul_access *a = &ve->e.access;
		bool rmw = a->flags & EMUL_ACCESS_RMW;
		enum access_result r = ACCESS_DONE;
		/* one element outside a read-modify-write (the common case): by value; a write's
		 * value is the buffer's first eight bytes, of which access_one keeps `size` */
		if (__builtin_expect(a->count == 1 && !rmw, 1)) {
			bool read = a->dir == EMUL_DIR_READ;
			u64 val = 0;
			if (!read)
				__builtin_memcpy(&val, a->data, sizeof(val));
			r = access_one(v, mmio_space(a), a->addr, a->size, !read, &val);
			if (r == ACCESS_GP || r == ACCESS_STOP)
				return mmio_refused(v, ve, r);
			rc = emul_complete_value(&ve->e, val); /* a read's low a->size bytes */
			continue;
		}
		/* the read half of a read-modify-write failed: the write is not sent (docs/ring.md §4) */
		if (!(rmw && rmw_failed && a->dir == EMUL_DIR_WRITE))
			r = mmio_answer(v, a);
		if (r == ACCESS_GP || r == ACCESS_STOP)
			return mmio_refused(v, ve, r);
		rmw_failed |= rmw && r == ACCESS_FAILED && a->dir == EMUL_DIR_READ;
		u32 len = a->dir == EMUL_DIR_READ ? a->count * a->size : 0;
		rc = emul_complete(&ve->e, len ? a->data : NULL, len);
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
		return exit_fatal(v, "its page tables lie outside its RAM (instruction at rip %#llx)",
				 (unsigned long long)v->regs.rip);
	default:
		return exit_fatal(v, "emulator returned %d at rip %#llx", rc,
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
	/* A not-present fault: the nested tables map all of RAM, so the page holds none. */
	struct emul_exit ex = { .kind = EMUL_EXIT_MMIO, .write = v->exit.npf.write,
				.gpa = v->exit.npf.gpa, .la = v->exit.npf.gla,
				.la_valid = final && v->exit.npf.gla_valid,
				.gpa_final = final && !v->exit.npf.gla_valid,
				.dev = !v->exit.npf.present };
	return mmio_run(v, &ex);
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

int mmio_vcpu_init(struct vcpu *v)
{
	u64 pages = (sizeof(struct vcpu_emul) + PAGE_SIZE - 1) / PAGE_SIZE;
	u64 hpa = pmm_alloc(pages, PAGE_SIZE);
	if (!hpa)
		return -ENOMEM;
	memset((void *)(uintptr_t)hpa, 0, pages * PAGE_SIZE);
	struct vcpu_emul *ve = (void *)(uintptr_t)hpa;
	for (unsigned i = 0; i < INSN_MEMO_SLOTS; i++)
		ve->memo[i].rip = INSN_RIP_NONE;
	ve->env = (struct emul_env){ .mem = v->part->mem.mem, .ctx = &v->part->mem,
				     .classify = mmio_classify, .vec_read = mmio_vec_read,
				     .vec_write = mmio_vec_write };
	v->emul = ve;
	return 0;
}

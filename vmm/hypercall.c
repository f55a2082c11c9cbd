/* Keel's hypercalls (include/abi/hypercall.h): a table indexed by call number. */
#include <arch/exit.h>
#include <arch/virt.h>
#include <keel/partition.h>
#include <keel/format.h>
#include <keel/printk.h>
#include <keel/virq.h>
#include <abi/hypercall.h>
#include "hypercall_int.h"

static u64 hc_version(struct vcpu *v, struct hc_args *h)
{
	h->out[0] = KEEL_ABI_VERSION;
	h->out[1] = v->part->id;
	h->out[2] = v->id;
	return KEEL_OK;
}

static u64 hc_exit(struct vcpu *v, struct hc_args *h)
{
	char why[32];
	snprintf(why, sizeof(why), "exit code %llu", (unsigned long long)h->a);
	partition_set_reason(v->part, why);
	v->dumped = true;
	v->stopped = true;
	return KEEL_OK;
}

static u64 hc_stat(struct vcpu *v, struct hc_args *h)
{
	if (h->a >= KEEL_STAT_COUNT)
		return KEEL_ERANGE;
	h->out[0] = v->stat[h->a];
	return KEEL_OK;
}

static u64 hc_verdicts(struct vcpu *v, struct hc_args *h)
{
	v->part->verdicts_failed += (u32)h->a;
	v->part->verdicts_passed += (u32)h->b;
	return KEEL_OK;
}

/* A service-VM device model drives its interrupt line in a partition (docs/ring.md §7): only
 * for a pin of a device it owns there; anything else is refused without a hint of what exists. */
static u64 hc_irq(struct vcpu *v, struct hc_args *h)
{
	struct partition *t = h->a < 0x10000 ? partition_get((u32)h->a) : NULL;
	if (h->c > VIRQ_PULSE)
		return KEEL_EINVAL;
	if (!t || h->b >= VIRQ_IOAPIC_PINS || !virq_service_owns_pin(v->part, t, (u32)h->b))
		return KEEL_EPERM;
	virq_set_pin(t, (u32)h->b, (enum virq_level)h->c);
	return KEEL_OK;
}

static const hc_fn hc_table[] = {
	[KEEL_HC_VERSION] = hc_version,
	[KEEL_HC_EXIT] = hc_exit,
	[KEEL_HC_STAT] = hc_stat,
	[KEEL_HC_VERDICTS] = hc_verdicts,
	[KEEL_HC_RING_KICK] = hc_ring_kick,
	[KEEL_HC_CONSOLE_WRITE] = hc_console_write,
	[KEEL_HC_CONSOLE_READ] = hc_console_read,
	[KEEL_HC_IRQ] = hc_irq,
};

/* Arguments are 64-bit in 64-bit mode and the low halves otherwise. */
static u64 hc_arg_mask(struct vcpu *v)
{
	return virt->vcpu_get_mode(v) == EMUL_MODE_LONG64 ? ~0ull : 0xffffffffull;
}

/* VMCALL and VMMCALL exit at every CPL (SDM Vol. 3C 26.1.2, APM Vol. 3 VMMCALL): only the
 * guest's kernel may call, so a user process cannot stop its vCPU or forge its verdicts. */
static bool hc_allowed(struct vcpu *v, u64 nr)
{
	u32 cpl = virt->vcpu_get_cpl(v);
	if (cpl == 0)
		return true;
	if (!v->hc_user_logged) {
		v->hc_user_logged = true;
		pr_warn("%s: vcpu %u: hypercall %#llx from CPL %u refused (KEEL_EPERM; logged once per vCPU)",
			v->part->name, v->id, (unsigned long long)nr, cpl);
	}
	return false;
}

enum exit_action hypercall_dispatch(struct vcpu *v)
{
	u64 *g = v->regs.gpr, mask = hc_arg_mask(v);
	u64 nr = g[VCPU_RAX] & mask;
	struct hc_args h = { g[VCPU_RBX] & mask, g[VCPU_RCX] & mask, g[VCPU_RDX] & mask, { 0 } };
	u64 st = KEEL_ENOSYS;

	if (!hc_allowed(v, nr))
		st = KEEL_EPERM;
	else if (nr < ARRAY_SIZE(hc_table) && hc_table[nr]) {
		h.out[0] = g[VCPU_RBX];
		h.out[1] = g[VCPU_RCX];
		h.out[2] = g[VCPU_RDX];
		st = hc_table[nr](v, &h);
		g[VCPU_RBX] = h.out[0];
		g[VCPU_RCX] = h.out[1];
		g[VCPU_RDX] = h.out[2];
	}
	g[VCPU_RAX] = st;
	v->dirty |= VCPU_DIRTY_RAX;
	return v->stopped ? EXIT_STOP : EXIT_RESUME;
}

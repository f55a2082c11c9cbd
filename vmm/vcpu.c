/* The vCPU loop: deliver what is pending, enter the guest, handle the exit. It runs with host
 * interrupts masked; vmm/virq.c opens a window for them before each entry and sleeps in HLT
 * when the vCPU waits (HLT, start-up). */
#include <keel/vcpu_run.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include <keel/virq.h>
#include <keel/vlapic.h>
#include <arch/exit.h>
#include <arch/io.h>
#include <arch/lapic.h>
#include <arch/percpu.h>
#include <arch/trap.h>
#include <arch/virt.h>

static void vcpu_deliver(struct vcpu *v)
{
	if (v->pending.type == VEVENT_NONE)
		return;
	if (v->pending.type == VEVENT_EXCEPTION && v->pending.vector == 14)
		v->stat[KEEL_STAT_INJECTED_PF]++;
	virt->vcpu_inject(v, &v->pending);
	v->pending.type = VEVENT_NONE;
}

void vcpu_kick(struct vcpu *v)
{
	WRITE_ONCE(v->kick, true);
	if (v->lapic)
		vlapic_touch(v->lapic);
	struct percpu *c = percpu_get(v->pcpu);
	/* a fixed IPI makes a CPU in guest mode exit (external-interrupt exiting, SVM INTR) and
	 * wakes one halted in virq_halt or a start-up wait */
	if (c && c != this_cpu() && c->online)
		lapic_send_ipi(c->apic_id, ICR_FIXED | ICR_ASSERT | VEC_WAKE);
}

/* A stop must reach a vCPU spinning with IF = 0, which a fixed IPI may not make exit under Bochs
 * VMX (docs/vmx.md): an NMI follows it, which exits on both backends (NMI exiting, SVM's NMI
 * intercept) whatever the guest's IF. */
void vcpu_kick_stop(struct vcpu *v)
{
	struct percpu *c = percpu_get(v->pcpu);
	vcpu_kick(v);
	if (c && c != this_cpu() && c->online)
		trap_nmi_kick(c);
}

/* HLT with interrupts enabled: the CPU sleeps until the vCPU has an interrupt it can take. */
enum exit_action vcpu_block(struct vcpu *v)
{
	return virq_halt(v) ? EXIT_RESUME : EXIT_STOP;
}

bool vcpu_wait_start(struct vcpu *v)
{
	__asm__ volatile("cli" ::: "memory");
	virq_vcpu_begin(v);
	return virq_wait_first_start(v);
}

void vcpu_loop(struct vcpu *v)
{
	__asm__ volatile("cli" ::: "memory");
	partition_vcpu_started(v);
	while (!READ_ONCE(v->stopped)) {
		if (__builtin_expect(virq_quiet(v), 1)) {
			vcpu_deliver(v);
		} else {
			if (!virq_before_entry(v))
				continue;
			vcpu_deliver(v);
			virq_inject(v);
		}
		if (v->tsc_dirty) {
			virt->vcpu_set_tsc_offset(v, v->part->tsc_offset);
			v->tsc_dirty = false;
		}
		int rc = virt->vcpu_run(v);
		if (rc) {
			exit_fatal(v, "could not enter the guest (error %d)", rc);
			break;
		}
		exit_handle(v);
	}
	if (!v->dumped)
		pr_info("%s: vcpu %u: stopped with its partition at rip %#llx", v->part->name, v->id,
			(unsigned long long)v->regs.rip);
	virq_vcpu_end(v);
}

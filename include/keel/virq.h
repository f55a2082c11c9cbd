/* Interrupts for partitions (docs/interrupts.md). The first part is the API other parts of the
 * core call to raise interrupts: in-core devices, the ring's irq notification mode (a vector
 * made pending in the service VM) and KEEL_HC_IRQ (a service-VM device model's IOAPIC pin).
 * Every call may come from any CPU; the target vCPU's CPU is woken with an IPI. */
#ifndef KEEL_VIRQ_H
#define KEEL_VIRQ_H

#include <keel/types.h>
#include <keel/vlapic.h>
#include <arch/cpu.h>
#include <arch/vcpu.h>

struct vcpu;
struct partition;

enum virq_level { VIRQ_LOW = 0, VIRQ_HIGH = 1, VIRQ_PULSE = 2 };

#define VIRQ_IOAPIC_BASE 0xfec00000ull
#define VIRQ_IOAPIC_PINS 24u

/* Makes `vector` pending in v's local APIC as a fixed, edge-triggered interrupt and wakes v's
 * CPU; v takes it when its priority and IF allow. -EINVAL for vectors 0-15 (illegal, SDM
 * Vol. 3A 10.5.3); -EAGAIN when v's APIC is software-disabled (the interrupt is lost, as on
 * hardware). */
int virq_raise(struct vcpu *v, u8 vector);

/* The ring's irq notification mode (docs/ring.md §6): set ring_ops.notify = virq_notify and
 * ring_ops.ctx = a struct virq_notify naming the service VM's vCPU and notify vector. */
struct virq_notify {
	struct vcpu *vcpu;
	u8 vector;
};
void virq_notify(void *ctx);

/* Drives input `pin` (0-23) of p's IOAPIC low, high, or high then low. -ERANGE for a bad pin. */
int virq_set_pin(struct partition *p, u32 pin, enum virq_level level);

/* An ISA interrupt line (0-15): input `irq` of the 8259 pair and the IOAPIC pin it is wired to
 * (ISA IRQ n → pin n, IRQ 0 → pin 2, as the MP table says). */
int virq_set_isa(struct partition *p, u32 irq, enum virq_level level);

/* KEEL_HC_IRQ's permission check: is `svc` the service VM and does a forwarded device of
 * `target` raise that pin (the ring header's device table lists each device's irq)? */
bool virq_service_owns_pin(const struct partition *svc, const struct partition *target, u32 pin);

/* --- The core's side: set-up and the vCPU loop (vmm/virq.c). --- */

/* Creates the partition's IOAPIC, 8259 pair, 8254, platform devices and its MP table. */
int virq_partition_init(struct partition *p, u32 nr_vcpus);
/* Before a vCPU's loop, on its CPU, host interrupts masked: APs are parked until INIT and
 * SIPI; virq_wait_first_start sleeps until then (true) or a stop (false). */
void virq_vcpu_begin(struct vcpu *v);
bool virq_wait_first_start(struct vcpu *v);
void virq_vcpu_end(struct vcpu *v);
/* With host interrupts masked, before each entry: start-up work, timers. Returns false when
 * the vCPU must not be entered (it waited for a start-up IPI, or it stopped). */
bool virq_before_entry(struct vcpu *v);
/* After exceptions were queued: injects the interrupt the vCPU can take, else asks for a
 * window; arms the physical timer. */
void virq_inject(struct vcpu *v);
/* irqcheck=1 (tests): every entry virq_quiet lets through is checked by virq_check. */
extern bool virq_check_on;
void virq_check_set(bool on);
void virq_check(struct vcpu *v, u64 now);
/* HLT with IF = 1: sleeps until the vCPU has an interrupt it can take. Returns false when the
 * vCPU stopped meanwhile. */
bool virq_halt(struct vcpu *v);
/* HLT with IF = 0: sleeps until an NMI (true, the vCPU runs on), INIT or SIPI work (true, for
 * the loop) or a stop (false); meanwhile the vCPU counts as parked (partition_vcpu_halted). */
bool virq_halt_off(struct vcpu *v);
/* A restart: the IOAPIC, 8259 pair, 8254 and platform devices back to their reset state (the
 * input lines keep their levels: devices drive them). */
void virq_partition_reset(struct partition *p);
/* The NMI window the loop asked for opened. */
void virq_nmi_window(struct vcpu *v);
/* EOI of a level-triggered vector: the IOAPIC clears its remote IRR (vmm/vioapic.c). */
void virq_ioapic_eoi(struct partition *p, u8 vector);


/* Whether this entry may skip virq_before_entry and virq_inject: the last full pass found
 * nothing to do, nothing it reads was changed since (vlapic_change_end, vlapic_touch), the
 * physical timer has not fired and no deadline is due. Host interrupts are taken first. */
static inline bool virq_quiet(struct vcpu *v)
{
	struct vlapic *l = v->lapic;
	__asm__ volatile("sti; nop; cli" ::: "memory");
	if (!l->quiet || __atomic_load_n(&l->touched, __ATOMIC_ACQUIRE) || *l->timer_flag)
		return false;
	if (l->next || virq_check_on) {
		u64 now = rdtsc();
		if (l->next && now >= l->next)
			return false;
		if (virq_check_on)
			virq_check(v, now);
	}
	return true;
}

#endif

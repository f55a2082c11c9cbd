/* Self-test cases that need a second CPU: VMXON on every CPU, and on CPU 1 a vCPU parked in
 * the wait-for-SIPI state that a real SIPI from CPU 0 wakes (exit VEXIT_SIPI), then a vCPU
 * spinning in the guest that a real INIT from CPU 0 stops (exit VEXIT_INIT). */
#include <keel/format.h>
#include <keel/string.h>
#include <keel/time.h>
#include <keel/verdict.h>
#include <arch/lapic.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include "vmx.h"
#include "vmx_selftest.h"

#define VST_AP_SIPI 0x0a  /* the vector CPU 0 sends */
#define VST_AP_SPIN 0x0c  /* the vCPU spins at 0c000h */

enum { AP_IDLE, AP_PARKED, AP_SPINNING, AP_DONE };

struct vst_ap {
	u64 root;
	volatile u32 phase;
	volatile int enable_rc;
	u32 sipi_kind, sipi_vector, init_kind;
	struct vcpu v;
};

static struct vst_ap vst_ap;
static volatile u32 vst_enabled[KEEL_MAX_CPUS];

static void vst_ap_enable(void *arg)
{
	(void)arg;
	int rc = vmx_ops.cpu_enable();
	__atomic_store_n(&vst_enabled[this_cpu()->index], rc == 0 ? 1 : 2, __ATOMIC_RELEASE);
}

/* Runs until an exit the common code would see; host interrupts come back as VEXIT_NONE. */
static u32 vst_ap_run(struct vcpu *v)
{
	for (int i = 0; i < 64; i++)
		if (vmx_ops.vcpu_run(v) < 0 || v->exit.kind != VEXIT_NONE)
			break;
	return v->exit.kind;
}

static void vst_ap_main(void *arg)
{
	struct vst_ap *a = arg;
	static const u8 spin[] = { 0xeb, 0xfe }; /* jmp . */

	a->enable_rc = vmx_ops.cpu_enable();
	if (a->enable_rc || vmx_ops.vcpu_init(&a->v) < 0) {
		a->phase = AP_DONE;
		return;
	}
	vmx_ops.npt_activate(&a->v, a->root);
	vmx_ops.vcpu_wait_sipi(&a->v);
	__atomic_store_n(&a->phase, AP_PARKED, __ATOMIC_RELEASE);
	a->sipi_kind = vst_ap_run(&a->v);
	a->sipi_vector = a->v.exit.sipi.vector;
	memcpy(vst_gpa(VST_AP_SPIN << 12), spin, sizeof(spin));
	vmx_ops.vcpu_start_at(&a->v, VST_AP_SPIN);
	__atomic_store_n(&a->phase, AP_SPINNING, __ATOMIC_RELEASE);
	a->init_kind = vst_ap_run(&a->v);
	__atomic_store_n(&a->phase, AP_DONE, __ATOMIC_RELEASE);
}

/* Waits up to ~ms milliseconds for the AP to leave `phase`, resending the IPI every 100 us: a
 * SIPI that arrives before the AP has entered the guest is ignored (SDM Vol. 3A 8.4.4). */
static bool vst_ap_kick(u32 phase, u32 icr, unsigned ms)
{
	u32 apic = percpu_get(1)->apic_id;

	for (unsigned i = 0; i < ms * 10; i++) {
		if (__atomic_load_n(&vst_ap.phase, __ATOMIC_ACQUIRE) != phase)
			return true;
		if (icr && (i == 0 || (icr & 0x700) == ICR_STARTUP))
			lapic_send_ipi(apic, icr);
		udelay(100);
	}
	return false;
}

static void vst_ap_enable_all(void)
{
	char name[32], why[64];

	snprintf(why, sizeof(why), "cpu_enable on cpu 1 returned %d", vst_ap.enable_rc);
	vst_verdict("vmx", "cpu-enable-cpu1", vst_ap.phase == AP_DONE && !vst_ap.enable_rc, why);
	for (unsigned i = 2; i < percpu_count(); i++) {
		if (smp_call(i, vst_ap_enable, NULL) < 0)
			continue;
		for (unsigned t = 0; t < 10000 && !__atomic_load_n(&vst_enabled[i], __ATOMIC_ACQUIRE); t++)
			udelay(100);
		snprintf(name, sizeof(name), "cpu-enable-cpu%u", i);
		snprintf(why, sizeof(why), "state %u (0 no answer, 2 VMXON failed)", vst_enabled[i]);
		vst_verdict("vmx", name, vst_enabled[i] == 1, why);
	}
}

void vst_ap_tests(u64 root)
{
	char why[96];

	if (smp_online() < 2 || !percpu_get(1) || !percpu_get(1)->online) {
		verdict_skip("virt/ap/sipi-exit", "needs a second CPU");
		verdict_skip("virt/ap/init-exit", "needs a second CPU");
		return;
	}
	vst_ap.root = root;
	vst_ap.enable_rc = -1;
	bool called = smp_call(1, vst_ap_main, &vst_ap) == 0;
	bool parked = called && vst_ap_kick(AP_IDLE, 0, 2000);
	bool woke = parked && vst_ap_kick(AP_PARKED, ICR_STARTUP | VST_AP_SIPI, 2000);
	snprintf(why, sizeof(why), "called %d parked %d woke %d kind %u vector %#x", called, parked,
		 woke, vst_ap.sipi_kind, vst_ap.sipi_vector);
	vst_verdict("ap", "sipi-exit", woke && vst_ap.sipi_kind == VEXIT_SIPI &&
		    vst_ap.sipi_vector == VST_AP_SIPI, why);
	bool stopped = woke && vst_ap_kick(AP_SPINNING, ICR_INIT | ICR_ASSERT, 2000);
	snprintf(why, sizeof(why), "stopped %d kind %u", stopped, vst_ap.init_kind);
	vst_verdict("ap", "init-exit", stopped && vst_ap.init_kind == VEXIT_INIT, why);
	vst_ap_enable_all();
}

/* From "all CPUs online" to running partitions. Until the configuration file describes them,
 * Keel's command line asks for guest partitions running the module `guest=`, each with
 * `guest_vcpus=` vCPUs on consecutive CPUs (docs/boot.md, docs/interrupts.md). */
#include <keel/vmm.h>
#include <keel/boot.h>
#include <keel/loader.h>
#include <keel/partition.h>
#include <keel/phys.h>
#include <keel/printk.h>
#include <keel/format.h>
#include <keel/vcpu_run.h>
#include <keel/virq.h>
#include <arch/exit.h>
#include <arch/insn.h>
#include <arch/lapic.h>
#include <arch/io.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/virt.h>

struct cpu_job {
	volatile int done;
	int rc;
	struct vcpu *vcpu;
};

static struct cpu_job jobs[KEEL_MAX_CPUS];
static struct partition *parts[KEEL_MAX_CPUS];

static void run_enable(void *arg)
{
	struct cpu_job *j = arg;
	j->rc = virt->cpu_enable();
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
}

static void run_vcpu(void *arg)
{
	struct cpu_job *j = arg;
	int rc = vcpu_start(j->vcpu);
	if (rc)
		exit_stop(j->vcpu, "could not create the vCPU (%d)", rc);
	else
		vcpu_loop(j->vcpu);
	partition_vcpu_stopped(j->vcpu);
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
}

static void run_wait(unsigned ncpu)
{
	for (unsigned i = 0; i < ncpu; i++)
		while (!__atomic_load_n(&jobs[i].done, __ATOMIC_ACQUIRE))
			cpu_relax();
}

/* Runs fn on every online CPU (the BSP last, itself) and waits for all of them. */
static void run_everywhere(void (*fn)(void *), unsigned ncpu)
{
	for (unsigned i = 1; i < ncpu; i++)
		if (smp_call(i, fn, &jobs[i]))
			jobs[i] = (struct cpu_job){ .done = 1, .rc = -1 };
	fn(&jobs[0]);
	run_wait(ncpu);
}

static int run_enable_all(unsigned ncpu)
{
	int bad = 0;
	run_everywhere(run_enable, ncpu);
	for (unsigned i = 0; i < ncpu; i++) {
		if (jobs[i].rc) {
			pr_err("virt: cpu %u: could not enable %s (%d)", i, virt->name, jobs[i].rc);
			bad++;
		}
		jobs[i] = (struct cpu_job){ 0 };
	}
	return bad;
}

static struct partition *run_create(unsigned index, const struct bi_module *m)
{
	char name[PARTITION_NAME_MAX];
	enum keel_entry_mode mode;
	const struct keel_opts *o = boot_opts();
	snprintf(name, sizeof(name), "guest%u", index);
	loader_mode_parse(o->guest_mode, &mode);
	struct partition_spec s = {
		.name = name,
		.ram_size = (u64)o->guest_mem_mib << 20,
		.image = phys_map(m->start, m->end - m->start),
		.image_len = m->end - m->start,
		.image_name = m->name,
		.entry_mode = mode,
		.cmdline = m->args,
		.nr_vcpus = o->guest_vcpus,
		.testdev = true,
		.console = true,
	};
	return partition_create(&s);
}

unsigned vmm_run(void)
{
	const struct keel_opts *o = boot_opts();
	unsigned ncpu = smp_online(), failed = 0;
	if (!o->guest[0])
		return 0;
	const struct bi_module *m = bootinfo_module(boot_info(), o->guest);
	if (!m) {
		pr_err("module '%s' (guest=) was not loaded", o->guest);
		return 1;
	}
	unsigned per = o->guest_vcpus, nparts = ncpu / per;
	if (!nparts) {
		pr_err("guest_vcpus=%u needs %u CPUs; %u are online", per, per, ncpu);
		return 1;
	}
	if (ncpu % per)
		pr_warn("guest_vcpus=%u: %u CPUs stay idle", per, ncpu % per);
	if (virt_select() || run_enable_all(ncpu))
		return 1;
	insn_check_set(o->lencheck);
	lapic_timer_calibrate();
	for (unsigned i = 0; i < nparts; i++) {
		parts[i] = run_create(i, m);
		if (!parts[i])
			return failed + 1;
		for (unsigned k = 0; k < per; k++) {
			parts[i]->vcpu[k]->pcpu = i * per + k;
			jobs[i * per + k].vcpu = parts[i]->vcpu[k];
		}
	}
	for (unsigned i = nparts * per; i < ncpu; i++)
		jobs[i].done = 1;
	run_everywhere(run_vcpu, nparts * per);
	for (unsigned i = 0; i < nparts; i++) {
		partition_report(parts[i]);
		failed += parts[i]->verdicts_failed;
	}
	return failed;
}

/* From "all CPUs online" to running partitions (docs/partitions.md): the partitions of the
 * configuration (or of Keel's command line, vmm/run_cmdline.c), the ring to the service VM, the
 * console-input router, then every vCPU on its own CPU. CPUs no partition lists stay parked.
 * When every guest partition has stopped, the service VM is stopped too. */
#include <keel/vmm.h>
#include <keel/boot.h>
#include <keel/config.h>
#include <keel/console_in.h>
#include <keel/fwd.h>
#include <keel/isolation.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include <keel/vcpu_run.h>
#include <keel/virq.h>
#include <arch/exit.h>
#include <arch/insn.h>
#include <arch/io.h>
#include <arch/lapic.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/virt.h>

struct cpu_job {
	volatile int done;
	int rc;
	struct vcpu *vcpu;
};

static struct cpu_job jobs[KEEL_MAX_CPUS];
static struct keel_config cmdline_cfg;
static u32 guests_live;
static struct partition *service;

static void run_enable(void *arg)
{
	struct cpu_job *j = arg;
	j->rc = virt->cpu_enable();
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
}

static void run_partition_stopped(struct partition *p)
{
	if (!p->service && !__atomic_sub_fetch(&guests_live, 1, __ATOMIC_ACQ_REL) && service)
		partition_stop(service, "every guest partition has stopped");
}

/* The vCPU runs with host interrupts masked: the loop takes them in windows of its own, and a
 * kick (an IPI) still makes the vCPU leave the guest (docs/interrupts.md, docs/svm.md). */
static void run_vcpu(void *arg)
{
	struct cpu_job *j = arg;
	struct vcpu *v = j->vcpu;
	int rc = vcpu_start(v);
	if (rc) {
		exit_stop(v, "could not create the vCPU (%d)", rc);
		partition_stop(v->part, NULL);
	} else if (vcpu_wait_start(v)) {
		fwd_wait_ready(v->part);
		vcpu_loop(v);
	}
	__asm__ volatile("cli" ::: "memory");
	if (partition_vcpu_stopped(v))
		run_partition_stopped(v->part);
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
}

static void run_wait(unsigned ncpu)
{
	for (unsigned i = 0; i < ncpu; i++)
		while (!__atomic_load_n(&jobs[i].done, __ATOMIC_ACQUIRE))
			cpu_relax();
}

/* A vCPU whose CPU could not take it never runs: it counts as stopped. */
static void run_lost(struct cpu_job *j, unsigned cpu)
{
	if (j->vcpu) {
		exit_stop(j->vcpu, "cpu %u did not take the vCPU", cpu);
		if (partition_vcpu_stopped(j->vcpu))
			run_partition_stopped(j->vcpu->part);
	}
	j->rc = -1;
	j->done = 1;
}

/* Runs fn on every online CPU that has a job (the BSP last, itself) and waits for all. */
static void run_everywhere(void (*fn)(void *), unsigned ncpu, bool all)
{
	for (unsigned i = 0; i < ncpu; i++)
		jobs[i].done = !all && !jobs[i].vcpu;
	for (unsigned i = 1; i < ncpu; i++)
		if (!jobs[i].done && smp_call(i, fn, &jobs[i]))
			run_lost(&jobs[i], i);
	if (!jobs[0].done)
		fn(&jobs[0]);
	run_wait(ncpu);
}

static int run_enable_all(unsigned ncpu)
{
	int bad = 0;
	run_everywhere(run_enable, ncpu, true);
	for (unsigned i = 0; i < ncpu; i++) {
		if (jobs[i].rc) {
			pr_err("virt: cpu %u: could not enable %s (%d)", i, virt->name, jobs[i].rc);
			bad++;
		}
		jobs[i] = (struct cpu_job){ 0 };
	}
	return bad;
}

/* A partition whose CPUs are not all online does not start. */
static bool run_cpus_online(const struct config_partition *c, unsigned ncpu)
{
	for (unsigned cpu = 0; cpu < 64; cpu++) {
		if (!(c->cpus & (1ull << cpu)))
			continue;
		const struct percpu *pc = cpu < ncpu ? percpu_get(cpu) : NULL;
		if (!pc || !pc->online) {
			pr_err("partition %s: cpu %u is not online; the partition does not start",
			       c->name, cpu);
			return false;
		}
	}
	return true;
}

/* Creates every partition; returns how many could not be created. */
static unsigned run_create(const struct keel_config *c, unsigned ncpu)
{
	unsigned failed = 0;
	for (u32 i = 0; i < c->npartitions; i++) {
		const struct config_partition *cp = &c->part[i];
		struct partition *p = run_cpus_online(cp, ncpu) ? partition_create(i, cp) : NULL;
		if (!p) {
			failed++;
			continue;
		}
		if (p->service)
			service = p;
		else
			guests_live++;
		for (u32 k = 0; k < p->nr_vcpus; k++)
			jobs[p->vcpu[k]->pcpu].vcpu = p->vcpu[k];
	}
	return failed;
}

static void run_console_in(const struct keel_config *c)
{
	const char *names[CONSOLE_IN_PARTS] = { 0 };
	for (u32 i = 0; i < c->npartitions && i < CONSOLE_IN_PARTS; i++) {
		struct partition *p = partition_get(i);
		if (p && c->part[i].console != CONFIG_CONSOLE_NONE)
			names[i] = p->name;
	}
	console_in_init(c->console_escape, names, c->console_first, NULL);
}

static const struct keel_config *run_config(const struct keel_config *boot_cfg, unsigned ncpu,
					    bool *bad)
{
	const struct keel_opts *o = boot_opts();
	if (boot_cfg)
		return boot_cfg;
	if (!o->guest[0])
		return NULL;
	const struct bi_module *m = bootinfo_module(boot_info(), o->guest);
	if (!m) {
		pr_err("module '%s' (guest=) was not loaded", o->guest);
		*bad = true;
		return NULL;
	}
	cmdline_config(&cmdline_cfg, ncpu, m);
	if (!cmdline_cfg.npartitions) {
		*bad = true;
		return NULL;
	}
	return &cmdline_cfg;
}

unsigned vmm_run(const struct keel_config *boot_cfg)
{
	unsigned ncpu = smp_online(), failed = 0;
	bool bad = false;
	const struct keel_config *c = run_config(boot_cfg, ncpu, &bad);
	if (!c)
		return bad;
	if (virt_select() || run_enable_all(ncpu))
		return 1;
	insn_check_set(boot_opts()->lencheck);
	virq_check_set(boot_opts()->irqcheck);
	lapic_timer_calibrate();
	failed = run_create(c, ncpu);
	if (fwd_setup(c))
		failed++;
	isolation_plant(c);
	run_console_in(c);
	if (!guests_live && service)
		pr_info("run: no guest partition; the service VM runs alone");
	run_everywhere(run_vcpu, ncpu, false);
	for (u32 i = 0; i < c->npartitions; i++) {
		struct partition *p = partition_get(i);
		if (p) {
			partition_report(p);
			failed += p->verdicts_failed;
		} else {
			pr_info("partition %s: not started, verdicts 0 passed 0 failed, 0 exits: it could "
				"not be made (the errors are above)", c->part[i].name);
		}
	}
	return failed;
}

/* Keel's C entry on the bootstrap CPU: from the boot loader's hand-off to all CPUs online. */
#include <arch/cpu.h>
#include <arch/io.h>
#include <arch/lapic.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/virt.h>
#include <keel/acpi.h>
#include <keel/boot.h>
#include <keel/bootinfo.h>
#include <keel/cmdline.h>
#include <keel/config.h>
#include <keel/console.h>
#include <keel/format.h>
#include <keel/isolation.h>
#include <keel/panic.h>
#include <keel/phys.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/selftest.h>
#include <keel/time.h>
#include <keel/unaligned.h>
#include <keel/verdict.h>
#include <keel/vmm.h>

void kmain(u32 magic, u32 info);

extern char _load_start[], _text_end[], _bss_end[];
static struct bootinfo bi;
static struct acpi_info acpi;
static struct keel_opts opts;
static struct pmm_resv resv[PMM_MAX_RESV];
static unsigned nresv;
static bool have_acpi;
static struct keel_config config;
static bool have_config;

const struct bootinfo *boot_info(void) { return &bi; }
const struct acpi_info *boot_acpi(void) { return have_acpi ? &acpi : NULL; }
const struct keel_opts *boot_opts(void) { return &opts; }

static void resv_add(u64 base, u64 end, const char *what)
{
	if (end <= base)
		return;
	if (nresv == PMM_MAX_RESV)
		fatal("more than %d reserved ranges (%s at %#llx)", PMM_MAX_RESV, what, (unsigned long long)base);
	resv[nresv++] = (struct pmm_resv){ base, end, what };
}

/* The EBDA starts where the BIOS data area word 0x40E says (ACPI 6.5 §5.2.5.1); everything from
 * there to 1 MiB is BIOS territory. A missing or absurd value reserves from 512 KiB. */
static u64 ebda_base(void)
{
	const u8 *bda = phys_map(0x40e, 2);
	u64 e = bda ? (u64)get_le16(bda) << 4 : 0;
	return e >= 0x80000 && e < 0xa0000 ? ALIGN_DOWN(e, PAGE_SIZE) : 0x80000;
}

static void resv_build(void)
{
	resv_add((u64)_load_start, (u64)_bss_end, "keel image");
	resv_add(bi.mbi_pa, bi.mbi_pa + bi.mbi_len, "boot information");
	resv_add(ebda_base(), PMM_LOW_LIMIT, "EBDA and BIOS area");
	for (unsigned i = 0; i < bi.nmods; i++)
		resv_add(bi.mods[i].start, bi.mods[i].end, "module");
	if (bi.rsdp_src == BI_RSDP_SCAN)
		resv_add(bi.rsdp_pa, bi.rsdp_pa + bi.rsdp_len, "ACPI RSDP");
	for (unsigned i = 0; have_acpi && i < acpi.ntables; i++)
		resv_add(acpi.tables[i].pa, acpi.tables[i].pa + acpi.tables[i].len, "ACPI table");
}

static void acpi_setup(void)
{
	static const char *const src[] = { "none", "from tag 14", "from tag 15", "by scan" };
	if (!bi.rsdp_len) {
		pr_warn("acpi: no RSDP (%s); one cpu, no power-off",
			bi.firmware == BI_FW_UEFI ? "the boot loader passed none" : "none passed and none found by scan");
		return;
	}
	have_acpi = acpi_parse(&acpi, bi.rsdp, bi.rsdp_len) == 0;
	if (have_acpi)
		pr_info("acpi: rsdp v%u at %#llx (%s)", acpi.rsdp_rev, (unsigned long long)bi.rsdp_pa, src[bi.rsdp_src]);
}

static void mem_setup(void)
{
	const char *why;
	u64 bytes = 0;
	unsigned ranges = 0;
	resv_build();
	if (pmm_init(bi.mmap, bi.nmmap, resv, nresv, &why))
		fatal("page allocator: %s", why);
	for (unsigned i = 0; i < bi.nmmap; i++)
		if (bi.mmap[i].type == BI_MEM_RAM && bi.mmap[i].len) {
			bytes += bi.mmap[i].len;
			ranges++;
		}
	pr_info("mem: %llu MiB usable in %u ranges; allocator has %llu free pages", (unsigned long long)(bytes >> 20),
		ranges, (unsigned long long)pmm_free_pages());
	for (unsigned i = 0; i < bi.nmods; i++) {
		const struct bi_module *m = &bi.mods[i];
		pr_info("module %u '%s' [%#llx-%#llx) %llu bytes", i, m->name, (unsigned long long)m->start,
			(unsigned long long)m->end, (unsigned long long)(m->end - m->start));
		pr_debug("module %u '%s' args '%s'", i, m->name, m->args);
	}
	if (paging_init(pmm_top(), (u64)_text_end))
		fatal("no memory for page tables");
}

/* The ACPI ports Keel drives itself (drivers/timer.c, drivers/acpi_power.c): a partition that
 * had them could power the machine off or confuse Keel's clock. */
static unsigned config_acpi_ports(struct config_range *r)
{
	const struct acpi_fadt *f = &acpi.fadt;
	const struct {
		u32 port, size;
		const char *what;
	} ports[] = {
		{ f->pm1a_cnt, 2, "Keel's ACPI PM1a control port" },
		{ f->pm1b_cnt, 2, "Keel's ACPI PM1b control port" },
		{ f->pm_tmr, 4, "Keel's ACPI PM timer" },
		{ f->smi_cmd <= 0xffff ? f->smi_cmd : 0, 1, "Keel's ACPI SMI command port" },
	};
	unsigned n = 0;
	for (unsigned i = 0; have_acpi && f->valid && i < ARRAY_SIZE(ports); i++)
		if (ports[i].port)
			r[n++] = (struct config_range){ ports[i].port, ports[i].size, CONFIG_PIO,
							ports[i].what };
	return n;
}

/* What the configuration is checked against: the machine's CPUs (MADT), the loaded modules,
 * the memory map's RAM, and what no partition may be placed over (Keel's image, the boot
 * information, the modules, Keel's console UART and ACPI ports). */
static void config_machine(struct config_machine *m, const char **names, struct config_range *r,
			   struct config_range *ram)
{
	unsigned n = 0, nram = 0;
	for (unsigned i = 0; i < bi.nmmap; i++)
		if (bi.mmap[i].type == BI_MEM_RAM && bi.mmap[i].len)
			ram[nram++] = (struct config_range){ bi.mmap[i].base, bi.mmap[i].len, CONFIG_MMIO,
							     "RAM" };
	for (unsigned i = 0; i < bi.nmods; i++) {
		names[i] = bi.mods[i].name;
		r[n++] = (struct config_range){ bi.mods[i].start, bi.mods[i].end - bi.mods[i].start,
						CONFIG_MMIO, "a module" };
	}
	r[n++] = (struct config_range){ (u64)_load_start, (u64)_bss_end - (u64)_load_start, CONFIG_MMIO,
					"Keel's image" };
	r[n++] = (struct config_range){ bi.mbi_pa, bi.mbi_len, CONFIG_MMIO, "the boot information" };
	r[n++] = (struct config_range){ CONFIG_CONSOLE_PORT, CONFIG_CONSOLE_SIZE, CONFIG_PIO,
					"Keel's console UART" };
	n += config_acpi_ports(r + n);
	*m = (struct config_machine){ .ncpus = have_acpi && acpi.madt.valid ? acpi.madt.nenabled : 1,
				      .modules = names, .nmodules = bi.nmods, .reserved = r,
				      .nreserved = n, .ram = ram, .nram = nram };
}

static void config_check(void)
{
	static const char *names[BI_MAX_MODULES];
	static struct config_range ranges[BI_MAX_MODULES + 7], ram[BI_MAX_MMAP];
	struct config_machine mach;
	if (!opts.config[0])
		return;
	const struct bi_module *m = bootinfo_module(&bi, opts.config);
	if (!m)
		fatal("module '%s' (config=) was not loaded; check the module2 lines in grub.cfg", opts.config);
	const u8 *p = phys_map(m->start, m->end - m->start);
	if (!p || config_header_check(p, m->end - m->start))
		fatal("module '%s' is not a Keel configuration (first line must be \"keel-config 1\")", opts.config);
	config_machine(&mach, names, ranges, ram);
	if (config_boot_load(&config, p, m->end - m->start, &mach) || config_boot_claim(&config))
		fatal("configuration '%s' has the problems listed above; Keel does not start", opts.config);
	have_config = true;
}

static void platform_report(void)
{
	char ids[400];
	int n = 0;
	if (have_acpi && acpi.madt.valid) {
		for (unsigned i = 0; i < acpi.madt.ncpus && n < (int)sizeof(ids) - 12; i++)
			if (acpi.madt.cpus[i].flags & ACPI_CPU_ENABLED)
				n += snprintf(ids + n, sizeof(ids) - (size_t)n, " %u", acpi.madt.cpus[i].apic_id);
		ids[n] = 0;
		pr_info("acpi: madt: %u cpus, apic ids%s", acpi.madt.nenabled, ids);
	} else {
		pr_warn("acpi: no usable MADT; only the boot cpu will run");
	}
	if (have_acpi && acpi.s5.valid && acpi.fadt.pm1a_cnt)
		pr_info("acpi: s5: pm1a_cnt %#x slp_typa %u", acpi.fadt.pm1a_cnt, acpi.s5.slp_typa);
	else
		pr_warn("acpi: s5: power-off will halt instead: %s",
			!have_acpi ? "no ACPI" : !acpi.fadt.pm1a_cnt ? "no PM1a control block" : acpi.s5.why);
}

static void uncache_mmio(u64 lapic_pa)
{
	paging_set_uncached(lapic_pa, PAGE_SIZE);
	for (unsigned i = 0; have_acpi && i < acpi.madt.nioapics; i++)
		paging_set_uncached(acpi.madt.ioapics[i].addr, PAGE_SIZE);
}

/* Bochs' shutdown port (0x8900, "Shutdown"): the test-mode fallback when ACPI did not work. */
static void bochs_shutdown(void)
{
	for (const char *s = "Shutdown"; *s; s++)
		outb(0x8900, (u8)*s);
}

static __noreturn void test_finish(unsigned online, unsigned want, unsigned guest_failed)
{
	if (online == want)
		verdict_pass("boot/smp");
	else
		verdict_fail("boot/smp", "%u of %u cpus online", online, want);
	smp_selftest();
	selftest_pmm(resv, nresv);
	selftest_map_high();
	isolation_check();
	if (opts.fault[0])
		selftest_fault(opts.fault);
	printk("KEEL EXIT %u\n", verdict_failures() + guest_failed);
	console_flush();
	if (have_acpi)
		acpi_poweroff(&acpi);
	bochs_shutdown();
	pr_warn("power-off failed; halting");
	console_flush();
	cpu_halt_forever();
}

void kmain(u32 magic, u32 info)
{
	console_init();
	cpu_bsp_early();
	if (bootinfo_parse(&bi, magic, info, (u64)_load_start, (u64)_bss_end))
		fatal("%s", bi.err);
	cmdline_parse(&opts, bi.cmdline);
	log_set_level(opts.loglevel);
	pr_info("boot: loader %s firmware %s bootloader '%s'", bi.loader == BI_LOADER_MB2 ? "mb2" : "mb1",
		bi.firmware == BI_FW_UEFI ? "uefi" : "bios", bi.loader_name);
	isolation_boot();
	cpu_report();
	acpi_setup();
	mem_setup();
	config_check();
	u64 lapic_pa = lapic_init();
	uncache_mmio(lapic_pa);
	time_init(have_acpi ? &acpi.fadt : NULL);
	platform_report();
	unsigned online = smp_boot(have_acpi ? &acpi.madt : NULL);
	unsigned want = have_acpi && acpi.madt.valid ? acpi.madt.nenabled : 1;
	unsigned guest_failed = vmm_run(have_config ? &config : NULL);
	if (opts.virt_selftest) {
		vmx_selftest();
		svm_selftest();
	}
	if (opts.test)
		test_finish(online, want, guest_failed);
	if (opts.fault[0])
		selftest_fault(opts.fault);
	pr_info("boot: done; nothing else to run yet");
	console_flush();
	cpu_halt_forever();
}

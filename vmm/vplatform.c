/* Small platform devices answered in the core, so guests do not spin on all-ones or send their
 * polling to the service VM (docs/interrupts.md): a read-only CMOS RTC, PCI configuration
 * mechanism #1 with no device behind it, an absent i8042 that still takes the reset command,
 * and the POST port 0x80. Also the partition's interrupt set-up: regions, MP table. */
#include <keel/vplatform.h>
#include <keel/vlapic.h>
#include <keel/errno.h>
#include <keel/partition.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/rtc.h>
#include <keel/string.h>
#include <keel/time.h>
#include <arch/cpu.h>
#include <arch/exit.h>

#define RTC_FALLBACK_UNIX 946684800ull /* 2000-01-01 00:00:00, when the hardware clock fails */
#define NO_DEV 0xffffffffu

static u64 rtc_boot_unix, rtc_boot_tsc;

/* The hardware clock is read once, at the first partition's creation (on the BSP). */
static void vrtc_boot_time(void)
{
	struct rtc_time t;
	if (rtc_boot_tsc)
		return;
	rtc_boot_tsc = rdtsc() | 1;
	if (rtc_read_hw(&t) == 0) {
		rtc_boot_unix = (u64)rtc_to_unix(&t);
	} else {
		rtc_boot_unix = RTC_FALLBACK_UNIX;
		rtc_from_unix(rtc_boot_unix, &t);
		pr_warn("time: the CMOS clock reads as absent or invalid; partitions start at a fixed date");
	}
	pr_info("time: rtc %04u-%02u-%02u %02u:%02u:%02u", t.year, t.month, t.day, t.hour, t.min,
		t.sec);
}

static u8 bcd(u32 v) { return (u8)((v / 10 % 10) << 4 | v % 10); }

/* MC146818 registers in BCD, 24-hour mode; UIP never set, VRT set (registers A-D). The time
 * runs on from the boot reading with the TSC. Alarms, NVRAM and CMOS settings read 0. */
static u8 vrtc_reg(u8 reg)
{
	struct rtc_time t;
	u64 khz = tsc_khz() ? tsc_khz() : 1;
	rtc_from_unix(rtc_boot_unix + (rdtsc() - rtc_boot_tsc) / (khz * 1000), &t);
	switch (reg) {
	case 0x00: return bcd(t.sec);
	case 0x02: return bcd(t.min);
	case 0x04: return bcd(t.hour);
	case 0x06: return t.wday;
	case 0x07: return bcd(t.day);
	case 0x08: return bcd(t.month);
	case 0x09: return bcd(t.year % 100);
	case 0x0a: return 0x26; /* 32.768 kHz time base, 1024 Hz rate */
	case 0x0b: return 0x02; /* 24-hour, BCD, no interrupts */
	case 0x0d: return 0x80; /* valid RAM and time */
	case 0x32: return bcd(t.year / 100);
	default: return 0;
	}
}

static u64 vrtc_read(void *dev, struct vcpu *v, u64 off, unsigned size)
{
	struct vplatform *pl = dev;
	(void)v;
	(void)size;
	return off ? vrtc_reg(READ_ONCE(pl->rtc_index) & 0x7f) : 0xff;
}

/* Port 0x70 selects (bit 7 is the NMI mask: kept, no effect); writes to 0x71 are dropped. */
static void vrtc_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	struct vplatform *pl = dev;
	(void)v;
	(void)size;
	if (!off)
		WRITE_ONCE(pl->rtc_index, (u8)val);
}

static const struct region_ops vrtc_ops = { vrtc_read, vrtc_write };

/* Configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2): 0xcf8 latches a dword address;
 * 0xcfc-0xcff read all-ones, which is "no device" for every vendor ID. Other accesses to
 * 0xcf8-0xcfb pass to the bus: nothing there. */
static u64 vpci_read(void *dev, struct vcpu *v, u64 off, unsigned size)
{
	struct vplatform *pl = dev;
	(void)v;
	if (off == 0 && size == 4)
		return READ_ONCE(pl->pci_addr);
	return ~0ull;
}

static void vpci_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	struct vplatform *pl = dev;
	(void)v;
	if (off == 0 && size == 4)
		WRITE_ONCE(pl->pci_addr, (u32)val & 0x80fffffcu);
}

static const struct region_ops vpci_ops = { vpci_read, vpci_write };

/* Ports answered without a device: reads all-ones, writes vanish (the POST port 0x80, the
 * DMA page registers, the i8042 data port, Super I/O configuration ports with no chip behind
 * them, which Linux's serial drivers probe). */
static u64 vnull_read(void *dev, struct vcpu *v, u64 off, unsigned size)
{
	(void)dev;
	(void)v;
	(void)off;
	(void)size;
	return ~0ull;
}

static void vnull_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	(void)dev;
	(void)v;
	(void)off;
	(void)size;
	(void)val;
}

static const struct region_ops vnull_ops = { vnull_read, vnull_write };

/* No keyboard controller: status and data read all-ones, so Linux's i8042 probe gives up at
 * once; 0xfe to the command port (pulse the reset line) is a reset request: a Linux partition
 * restarts, any other's vCPU stops. */
static void vkbc_cmd_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	(void)dev;
	(void)off;
	(void)size;
	if ((u8)val == 0xfe &&
	    !partition_restart_request(v, "reset requested through the i8042 (0xfe to port 0x64)"))
		exit_fatal(v, "reset requested through the i8042 (0xfe to port 0x64)");
}

static const struct region_ops vkbc_ops = { vnull_read, vkbc_cmd_write };

struct virq_region {
	u64 base, size;
	u8 space;
	const struct region_ops *ops;
	u32 dev;            /* offset of the device in struct virq_part, or NO_DEV */
	const char *name;
};

#define AT(m) ((u32)__builtin_offsetof(struct virq_part, m))

static const struct virq_region virq_regions[] = {
	{ VLAPIC_BASE, 0x1000, REGION_MMIO, &vlapic_ops, NO_DEV, "lapic" },
	{ VIRQ_IOAPIC_BASE, 0x1000, REGION_MMIO, &vioapic_ops, AT(ioapic), "ioapic" },
	{ 0x20, 2, REGION_PIO, &vpic_ops, AT(pic.chip[0]), "pic-master" },
	{ 0xa0, 2, REGION_PIO, &vpic_ops, AT(pic.chip[1]), "pic-slave" },
	{ 0x4d0, 2, REGION_PIO, &vpic_elcr_ops, AT(pic), "elcr" },
	{ 0x40, 4, REGION_PIO, &vpit_ops, AT(pit), "pit" },
	{ 0x61, 1, REGION_PIO, &vpit_port61_ops, AT(pit), "port61" },
	{ 0x70, 2, REGION_PIO, &vrtc_ops, AT(plat), "rtc" },
	{ 0xcf8, 8, REGION_PIO, &vpci_ops, AT(plat), "pci" },
	{ 0x60, 1, REGION_PIO, &vnull_ops, NO_DEV, "i8042-data" },
	{ 0x64, 1, REGION_PIO, &vkbc_ops, NO_DEV, "i8042-cmd" },
	{ 0x80, 1, REGION_PIO, &vnull_ops, NO_DEV, "post" },
	{ 0x81, 15, REGION_PIO, &vnull_ops, NO_DEV, "dma-page" },
	{ 0x2e, 2, REGION_PIO, &vnull_ops, NO_DEV, "superio-2e" },
	{ 0x4e, 2, REGION_PIO, &vnull_ops, NO_DEV, "superio-4e" },
};

static int virq_regions_add(struct partition *p)
{
	for (u32 i = 0; i < ARRAY_SIZE(virq_regions); i++) {
		const struct virq_region *d = &virq_regions[i];
		struct region r = { .base = d->base, .size = d->size, .space = d->space,
				    .kind = REGION_INCORE, .ops = d->ops, .name = d->name,
				    .dev = d->dev == NO_DEV ? NULL : (u8 *)p->irq + d->dev };
		int rc = region_add(&p->regions, &r);
		if (rc == -EEXIST && d->space == REGION_PIO) {
			pr_info("partition %s: the configured region on port %#llx replaces the "
				"in-core %s", p->name, (unsigned long long)d->base, d->name);
			continue;
		}
		if (rc) {
			pr_err("partition %s: cannot add the in-core %s at %#llx (%s)", p->name, d->name,
			       (unsigned long long)d->base,
			       rc == -EEXIST ? "a configured region covers it" : "too many regions");
			return rc;
		}
	}
	return 0;
}

/* The MP table goes where Linux looks (the last KiB of base memory) unless the image is there. */
static void virq_mptable(struct partition *p, u32 nr_vcpus)
{
	if (p->image_start < MPTABLE_GPA + 1024 && p->image_end > MPTABLE_GPA) {
		pr_warn("partition %s: the image covers %#llx: no MP table", p->name,
			(unsigned long long)MPTABLE_GPA);
		return;
	}
	struct cpuid_regs r = cpuid(1, 0);
	if (mptable_build((u8 *)(uintptr_t)p->mem.hpa, p->mem.ram_size, nr_vcpus, (u8)nr_vcpus,
			  r.a, r.d))
		pr_warn("partition %s: RAM too small for an MP table", p->name);
}

/* Reset state; the input lines keep their levels (devices drive them). */
void virq_partition_reset(struct partition *p)
{
	struct virq_part *q = p->irq;
	vioapic_reset(&q->ioapic, (u8)p->nr_vcpus);
	vpic_reset(&q->pic);
	vpit_reset(&q->pit);
	WRITE_ONCE(q->plat.rtc_index, 0);
	WRITE_ONCE(q->plat.pci_addr, 0);
}

int virq_partition_init(struct partition *p, u32 nr_vcpus)
{
	if (p->mem.ram_size > VIRQ_IOAPIC_BASE) {
		pr_err("partition %s: RAM above %#llx would cover the IOAPIC and local APIC pages",
		       p->name, (unsigned long long)VIRQ_IOAPIC_BASE);
		return -EINVAL;
	}
	u64 pages = (sizeof(struct virq_part) + PAGE_SIZE - 1) / PAGE_SIZE;
	u64 pa = pmm_alloc(pages, PAGE_SIZE);
	if (!pa)
		return -ENOMEM;
	p->irq = (struct virq_part *)(uintptr_t)pa;
	memset(p->irq, 0, pages * PAGE_SIZE);
	vrtc_boot_time();
	vioapic_init(&p->irq->ioapic, p, (u8)nr_vcpus);
	vpic_init(&p->irq->pic, p);
	vpit_init(&p->irq->pit, p);
	virq_mptable(p, nr_vcpus);
	return virq_regions_add(p);
}

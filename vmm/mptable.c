/* The MP table of a partition (Intel MultiProcessor Specification 1.4, chapter 4): the floating
 * pointer and the configuration table in the last KiB of base memory, where Linux's mpparse
 * looks. Processor entries carry the vLAPIC IDs (0..n-1, the BSP first); one ISA bus; the
 * IOAPIC; ISA IRQ n on pin n, IRQ 0 on pin 2 and the 8259 (ExtINT) on pin 0, as on PCs; the
 * local interrupts ExtINT on LINT0 and NMI on LINT1. Plain C: host tests build it too. */
#include <keel/vplatform.h>
#include <keel/string.h>
#include <keel/vlapic.h>

enum { MP_PROC = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_IOINT = 3, MP_LINT = 4 };
enum { INT_INT = 0, INT_NMI = 1, INT_EXTINT = 3 };

#define MP_TABLE_OFF 16
#define MP_CPU_EN 0x01
#define MP_CPU_BP 0x02

struct mp_writer {
	u8 *p;
	u32 len, cap;
	u16 entries;
};

static void put(struct mp_writer *w, const void *src, u32 n)
{
	if (w->len + n <= w->cap)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void put8(struct mp_writer *w, u8 v) { put(w, &v, 1); }
static void put16(struct mp_writer *w, u16 v) { put(w, &v, 2); }
static void put32(struct mp_writer *w, u32 v) { put(w, &v, 4); }

static u8 checksum(const u8 *p, u32 n)
{
	u8 sum = 0;
	for (u32 i = 0; i < n; i++)
		sum = (u8)(sum + p[i]);
	return (u8)-sum;
}

static void mp_cpu(struct mp_writer *w, u8 id, u32 sig, u32 features)
{
	put8(w, MP_PROC);
	put8(w, id);
	put8(w, (u8)VLAPIC_VERSION);
	put8(w, (u8)(MP_CPU_EN | (id == 0 ? MP_CPU_BP : 0)));
	put32(w, sig);
	put32(w, features);
	put32(w, 0);
	put32(w, 0);
	w->entries++;
}

/* I/O (type 3) and local (type 4) interrupt assignments; flags 0 = conforms to the bus. */
static void mp_int(struct mp_writer *w, u8 type, u8 kind, u8 src_irq, u8 dst, u8 pin)
{
	put8(w, type);
	put8(w, kind);
	put16(w, 0);
	put8(w, 0); /* source bus: ISA, bus 0 */
	put8(w, src_irq);
	put8(w, dst);
	put8(w, pin);
	w->entries++;
}

static void mp_entries(struct mp_writer *w, u32 nr_cpus, u8 ioapic_id, u32 sig, u32 features)
{
	for (u32 i = 0; i < nr_cpus; i++)
		mp_cpu(w, (u8)i, sig, features);
	put8(w, MP_BUS);
	put8(w, 0);
	put(w, "ISA   ", 6);
	w->entries++;
	put8(w, MP_IOAPIC);
	put8(w, ioapic_id);
	put8(w, 0x11);
	put8(w, 1); /* enabled */
	put32(w, (u32)VIRQ_IOAPIC_BASE);
	w->entries++;
	mp_int(w, MP_IOINT, INT_EXTINT, 0, ioapic_id, 0);
	for (u8 irq = 0; irq < 16; irq++)
		if (irq != 2)
			mp_int(w, MP_IOINT, INT_INT, irq, ioapic_id, irq ? irq : 2);
	mp_int(w, MP_LINT, INT_EXTINT, 0, 0xff, 0);
	mp_int(w, MP_LINT, INT_NMI, 0, 0xff, 1);
}

/* Header (MP spec Table 4-2) then entries; the checksum covers the base table. */
static u32 mp_config(u8 *p, u32 cap, u32 nr_cpus, u8 ioapic_id, u32 sig, u32 features)
{
	struct mp_writer w = { p, 0, cap, 0 };
	put(&w, "PCMP", 4);
	put16(&w, 0);           /* base table length, below */
	put8(&w, 4);            /* spec revision 1.4 */
	put8(&w, 0);            /* checksum, below */
	put(&w, "KEEL    ", 8);
	put(&w, "PARTITION   ", 12);
	put32(&w, 0);           /* no OEM table */
	put16(&w, 0);
	put16(&w, 0);           /* entry count, below */
	put32(&w, (u32)VLAPIC_BASE);
	put16(&w, 0);           /* no extended table */
	put8(&w, 0);
	put8(&w, 0);
	mp_entries(&w, nr_cpus, ioapic_id, sig, features);
	if (w.len > cap)
		return 0;
	memcpy(p + 4, &(u16){ (u16)w.len }, 2);
	memcpy(p + 34, &w.entries, 2);
	p[7] = checksum(p, w.len);
	return w.len;
}

int mptable_build(u8 *ram, u64 ram_size, u32 nr_cpus, u8 ioapic_id, u32 cpu_signature,
		  u32 cpu_features)
{
	if (ram_size < MPTABLE_GPA + 1024 || !nr_cpus || nr_cpus > 32)
		return -1;
	u8 *fp = ram + MPTABLE_GPA;
	memset(fp, 0, 1024);
	if (!mp_config(fp + MP_TABLE_OFF, 1024 - MP_TABLE_OFF, nr_cpus, ioapic_id, cpu_signature,
		       cpu_features))
		return -1;
	/* Floating pointer (Table 4-1): address, length 1 paragraph, revision 4, no default
	 * configuration, IMCR absent (virtual wire). */
	memcpy(fp, "_MP_", 4);
	u32 table = (u32)MPTABLE_GPA + MP_TABLE_OFF;
	memcpy(fp + 4, &table, 4);
	fp[8] = 1;
	fp[9] = 4;
	fp[10] = checksum(fp, 16);
	return 0;
}

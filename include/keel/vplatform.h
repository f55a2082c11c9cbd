/* The interrupt controllers and platform devices a partition gets in the core (vmm/vioapic.c,
 * vpic.c, vpit.c, vplatform.c); docs/interrupts.md describes them. */
#ifndef KEEL_VPLATFORM_H
#define KEEL_VPLATFORM_H

#include <keel/types.h>
#include <keel/region.h>
#include <keel/spinlock.h>
#include <keel/virq.h>

struct partition;

/* IOAPIC (82093AA, version 11h: no EOI register). */
struct vioapic {
	struct spinlock lock;
	struct partition *p;
	u32 id;               /* bits 27:24 of the ID register */
	u32 sel;              /* IOREGSEL */
	u32 level;            /* input levels, bit per pin */
	u64 rte[VIRQ_IOAPIC_PINS];
};

struct vpic;

/* One 8259A. */
struct vpic_chip {
	struct vpic *pic;
	u8 irr, isr, imr, elcr;
	u8 lines;             /* input levels */
	u8 base;              /* ICW2 vector base */
	u8 prio;              /* the lowest-priority line + 1, mod 8 (rotation) */
	u8 icw_step;          /* 0 = operational; 2..4 = waiting for that ICW */
	bool icw4, single, auto_eoi, rotate_aeoi, read_isr, poll, special_mask;
};

struct vpic {
	struct spinlock lock;
	struct partition *p;
	struct vpic_chip chip[2];
};

/* One 8254 channel, counting at 1.193182 MHz derived from the host TSC. */
struct vpit_channel {
	u64 start;            /* host TSC when the count was loaded (0 = not counting) */
	u32 reload;           /* 1..65536 */
	u8 mode, rw;          /* mode 0-5; access 1 = lsb, 2 = msb, 3 = lsb then msb */
	bool write_msb, read_msb, latched, status_latched, null_count;
	u16 latch, frozen;    /* the latched count; the count when gate 2 went low */
	u8 status, write_lsb;
	u64 next_irq;         /* channel 0: host TSC of the next output edge, 0 = none */
};

struct vpit {
	struct spinlock lock;
	struct partition *p;
	struct vpit_channel ch[3];
	u8 port61;            /* gate 2 (bit 0), speaker data (bit 1), bits 2-3 */
};

struct vplatform {
	u64 rtc_base_unix;    /* seconds at rtc_base_tsc */
	u64 rtc_base_tsc;
	u8 rtc_index;
	u32 pci_addr;         /* 0xcf8 latch */
};

struct virq_part {
	struct vioapic ioapic;
	struct vpic pic;
	struct vpit pit;
	struct vplatform plat;
};

void vioapic_init(struct vioapic *io, struct partition *p, u8 id);
void vioapic_reset(struct vioapic *io, u8 id);
void vioapic_set_level(struct vioapic *io, u32 pin, bool high);
void vioapic_eoi(struct vioapic *io, u8 vector);
extern const struct region_ops vioapic_ops;

void vpic_init(struct vpic *pic, struct partition *p);
void vpic_reset(struct vpic *pic);
void vpic_set_irq(struct vpic *pic, u32 irq, bool high);
/* INTA: the vector of the highest-priority request, or -1 when INTR is low. */
int vpic_ack(struct vpic *pic);
bool vpic_output(struct vpic *pic);
/* Whether the master has an unmasked request at all, read without the lock: without one INTR is
 * low, and a request raised after the check kicks the BSP (virq_set_isa) as it would after the
 * lock. vpic_output then decides (priorities, in-service). */
static inline bool vpic_requesting(const struct vpic *pic)
{
	return READ_ONCE(pic->chip[0].irr) & ~READ_ONCE(pic->chip[0].imr);
}
extern const struct region_ops vpic_ops, vpic_elcr_ops;

void vpit_init(struct vpit *pit, struct partition *p);
void vpit_reset(struct vpit *pit);
/* Channel 0 edges due by `now` (raised on IRQ 0); returns the next one (0 = none). */
u64 vpit_check(struct vpit *pit, u64 now);
/* Channel 0's next edge (0 = none), changing nothing. */
u64 vpit_next(struct vpit *pit);
/* Whether channel 0 has an edge to come (vpit_check has work); read without the lock. */
static inline bool vpit_counting(const struct vpit *pit) { return READ_ONCE(pit->ch[0].next_irq) != 0; }
extern const struct region_ops vpit_ops, vpit_port61_ops;

/* The partition's MP table in its RAM (MP spec 1.4), in the last KiB of base memory. */
#define MPTABLE_GPA 0x9fc00ull
int mptable_build(u8 *ram, u64 ram_size, u32 nr_cpus, u8 ioapic_id, u32 cpu_signature,
		  u32 cpu_features);

int vplatform_init(struct partition *p);

#endif

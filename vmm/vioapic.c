/* The virtual IOAPIC at 0xfec00000: 24 pins, a redirection entry each, edge and level inputs
 * with remote IRR (82093AA data sheet, IOAPIC version 11h). Any CPU drives pins; one lock
 * per IOAPIC orders them against register accesses and EOIs. */
#include <keel/vplatform.h>
#include <keel/vlapic.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include <arch/vcpu.h>

#define IOAPIC_VERSION 0x00170011u /* 24 entries (max index 17h), version 11h */
#define RTE_DEST_LOGICAL BIT(11)
#define RTE_STATUS BIT(12)
#define RTE_REMOTE_IRR BIT(14)
#define RTE_LEVEL BIT(15)
#define RTE_MASKED BIT(16)
/* Writable: vector, delivery mode, destination mode, polarity, trigger, mask; destination. */
#define RTE_WRITABLE (0x0001afffull | 0xff00000000000000ull)

enum { IOREGSEL = 0x00, IOWIN = 0x10 };

void vioapic_init(struct vioapic *io, struct partition *p, u8 id)
{
	io->p = p;
	io->id = id;
	for (u32 i = 0; i < VIRQ_IOAPIC_PINS; i++)
		io->rte[i] = RTE_MASKED;
}

void vioapic_reset(struct vioapic *io, u8 id)
{
	spin_lock(&io->lock);
	io->id = id;
	io->sel = 0;
	for (u32 i = 0; i < VIRQ_IOAPIC_PINS; i++)
		io->rte[i] = RTE_MASKED;
	spin_unlock(&io->lock);
}

/* Sends pin's message; a level-triggered one stays in service (remote IRR) until its EOI. */
static void vioapic_deliver(struct vioapic *io, u32 pin)
{
	u64 rte = io->rte[pin];
	struct apic_msg m = { .vector = (u8)rte, .mode = (rte >> 8) & 7, .dest = (u8)(rte >> 56),
			      .logical = rte & RTE_DEST_LOGICAL, .level = rte & RTE_LEVEL };
	if (m.mode == DM_EXTINT || m.mode == DM_SMI || m.mode == DM_INIT || m.mode == DM_SIPI) {
		pr_debug("%s: IOAPIC pin %u: delivery mode %u not routed", io->p->name, pin, m.mode);
		return;
	}
	if (m.level)
		io->rte[pin] |= RTE_REMOTE_IRR;
	vlapic_send(io->p, NULL, &m, "IOAPIC pin", (int)pin);
}

static bool vioapic_level_due(const struct vioapic *io, u32 pin)
{
	u64 rte = io->rte[pin];
	return (rte & RTE_LEVEL) && !(rte & (RTE_MASKED | RTE_REMOTE_IRR)) && (io->level >> pin & 1);
}

/* Edge pins fire on a rising edge while unmasked (an edge while masked is lost); level pins
 * fire while high and unmasked with no remote IRR. */
void vioapic_set_level(struct vioapic *io, u32 pin, bool high)
{
	spin_lock(&io->lock);
	bool was = io->level >> pin & 1;
	io->level = (io->level & ~(1u << pin)) | (u32)high << pin;
	u64 rte = io->rte[pin];
	if (vioapic_level_due(io, pin) || (!(rte & (RTE_LEVEL | RTE_MASKED)) && high && !was))
		vioapic_deliver(io, pin);
	spin_unlock(&io->lock);
}

/* A local APIC's EOI for a level-triggered vector clears remote IRR on the pins using it; a pin
 * still high fires again. */
void vioapic_eoi(struct vioapic *io, u8 vector)
{
	spin_lock(&io->lock);
	for (u32 pin = 0; pin < VIRQ_IOAPIC_PINS; pin++) {
		u64 rte = io->rte[pin];
		if ((u8)rte != vector || !(rte & RTE_REMOTE_IRR))
			continue;
		io->rte[pin] &= ~RTE_REMOTE_IRR;
		if (vioapic_level_due(io, pin))
			vioapic_deliver(io, pin);
	}
	spin_unlock(&io->lock);
}

static u32 vioapic_reg_read(struct vioapic *io, u32 reg)
{
	if (reg == 0x00)
		return io->id << 24;
	if (reg == 0x01)
		return IOAPIC_VERSION;
	if (reg == 0x02)
		return io->id << 24; /* arbitration ID */
	if (reg >= 0x10 && reg < 0x10 + 2 * VIRQ_IOAPIC_PINS) {
		u64 rte = io->rte[(reg - 0x10) / 2];
		return reg & 1 ? (u32)(rte >> 32) : (u32)rte & ~(u32)RTE_STATUS;
	}
	return 0;
}

/* Writing an entry may unmask a level pin that is high; turning a pin edge-triggered clears
 * its remote IRR. */
static void vioapic_reg_write(struct vioapic *io, u32 reg, u32 val)
{
	if (reg == 0x00) {
		io->id = (val >> 24) & 0xf;
		return;
	}
	if (reg < 0x10 || reg >= 0x10 + 2 * VIRQ_IOAPIC_PINS)
		return;
	u32 pin = (reg - 0x10) / 2;
	u64 rte = io->rte[pin];
	u64 mask = reg & 1 ? 0xffffffff00000000ull : 0xffffffffull;
	u64 v64 = reg & 1 ? (u64)val << 32 : val;
	rte = (rte & ~(mask & RTE_WRITABLE)) | (v64 & mask & RTE_WRITABLE);
	if (!(rte & RTE_LEVEL))
		rte &= ~RTE_REMOTE_IRR;
	io->rte[pin] = rte;
	if (vioapic_level_due(io, pin))
		vioapic_deliver(io, pin);
}

/* IOREGSEL at 0x00 and IOWIN at 0x10, 32-bit accesses (82093AA 3.0). */
static u64 vioapic_mmio_read(void *dev, struct vcpu *v, u64 off, unsigned size)
{
	struct vioapic *io = dev;
	u64 val = ~0ull;
	(void)v;
	if (size != 4)
		return val;
	spin_lock(&io->lock);
	if (off == IOREGSEL)
		val = io->sel;
	else if (off == IOWIN)
		val = vioapic_reg_read(io, io->sel);
	spin_unlock(&io->lock);
	return val;
}

static void vioapic_mmio_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	struct vioapic *io = dev;
	(void)v;
	if (size != 4)
		return;
	spin_lock(&io->lock);
	if (off == IOREGSEL)
		io->sel = (u32)val & 0xff;
	else if (off == IOWIN)
		vioapic_reg_write(io, io->sel, (u32)val);
	spin_unlock(&io->lock);
}

const struct region_ops vioapic_ops = { vioapic_mmio_read, vioapic_mmio_write };

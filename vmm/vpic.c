/* The 8259A pair at 0x20/0x21 and 0xa0/0xa1, the slave on master input 2, with the ELCR at
 * 0x4d0/0x4d1 (Intel 8259A data sheet; PIIX ELCR). Its output reaches vCPU 0 through LINT0 in
 * ExtINT mode (vmm/virq.c). One lock guards both chips. */
#include <keel/vplatform.h>
#include <keel/partition.h>
#include <keel/vlapic.h>
#include <arch/vcpu.h>

#define ICW1_IC4 0x01
#define ICW1_SNGL 0x02
#define ICW1_LTIM 0x08
#define ICW1 0x10
#define OCW3 0x08
#define ICW4_AEOI 0x02
#define SPURIOUS_IRQ 7

static const u8 elcr_writable[2] = { 0xf8, 0xde }; /* IRQ 0, 1, 2, 8 and 13 are edge-only */

void vpic_init(struct vpic *pic, struct partition *p)
{
	pic->p = p;
	for (int i = 0; i < 2; i++) {
		pic->chip[i].pic = pic;
		pic->chip[i].imr = 0xff; /* masked, as firmware leaves it */
	}
}

/* The 8259's output is vCPU 0's to take: its entry passes read the chips (vmm/virq.c). */
static struct vlapic *vpic_reader(const struct vpic *pic) { return pic->p->vcpu[0]->lapic; }

void vpic_reset(struct vpic *pic)
{
	vlapic_change_begin(vpic_reader(pic));
	spin_lock(&pic->lock);
	for (int i = 0; i < 2; i++) {
		struct vpic_chip *c = &pic->chip[i];
		*c = (struct vpic_chip){ .pic = pic, .imr = 0xff, .lines = c->lines };
	}
	spin_unlock(&pic->lock);
	vlapic_change_end(vpic_reader(pic));
}

/* Priority order starts at `prio` (IR0 first until a rotation). */
static int chip_first(const struct vpic_chip *c, u8 bits)
{
	if (!bits)
		return -1;
	for (int i = 0; i < 8; i++) {
		int irq = (c->prio + i) & 7;
		if (bits & (1u << irq))
			return irq;
	}
	return -1;
}

static int chip_rank(const struct vpic_chip *c, int irq) { return (irq - c->prio) & 7; }

/* The request the chip would signal: the highest-priority unmasked one above everything in
 * service (special mask mode: above the unmasked in-service ones only). */
static int chip_request(const struct vpic_chip *c)
{
	int irq = chip_first(c, c->irr & ~c->imr);
	if (irq < 0)
		return -1;
	u8 busy = c->special_mask ? c->isr & ~c->imr : c->isr;
	int cur = chip_first(c, busy);
	return cur >= 0 && chip_rank(c, cur) <= chip_rank(c, irq) ? -1 : irq;
}

/* Edge-triggered inputs latch IRR on a rising edge and keep it until INTA; level-triggered
 * ones follow the line (8259A "Edge and Level Triggered Modes"; ELCR per line). */
static void chip_line(struct vpic_chip *c, int irq, bool high)
{
	u8 b = (u8)(1u << irq);
	bool level = c->elcr & b;
	if (high && (level || !(c->lines & b)))
		c->irr |= b;
	else if (!high && level)
		c->irr &= (u8)~b;
	c->lines = high ? (c->lines | b) : (c->lines & (u8)~b);
}

/* The slave's INT drives master input 2; each request re-latches it, as in QEMU's model. */
static void vpic_cascade(struct vpic *pic)
{
	if (chip_request(&pic->chip[1]) >= 0)
		pic->chip[0].irr |= 1u << 2;
}

void vpic_set_irq(struct vpic *pic, u32 irq, bool high)
{
	vlapic_change_begin(vpic_reader(pic));
	spin_lock(&pic->lock);
	chip_line(&pic->chip[irq >> 3], irq & 7, high);
	vpic_cascade(pic);
	spin_unlock(&pic->lock);
	vlapic_change_end(vpic_reader(pic));
}

bool vpic_output(struct vpic *pic)
{
	if (!vpic_requesting(pic))
		return false;
	spin_lock(&pic->lock);
	bool out = chip_request(&pic->chip[0]) >= 0;
	spin_unlock(&pic->lock);
	return out;
}

/* INTA for one chip: the request goes in service (not with automatic EOI); an edge request is
 * consumed. No request: the spurious IRQ 7, not put in service. */
static int chip_ack(struct vpic_chip *c)
{
	int irq = chip_request(c);
	if (irq < 0)
		return c->base + SPURIOUS_IRQ;
	u8 b = (u8)(1u << irq);
	if (!(c->elcr & b))
		c->irr &= (u8)~b;
	if (!c->auto_eoi)
		c->isr |= b;
	else if (c->rotate_aeoi)
		c->prio = (u8)((irq + 1) & 7);
	return c->base + irq;
}

int vpic_ack(struct vpic *pic)
{
	spin_lock(&pic->lock);
	int irq = chip_request(&pic->chip[0]), vector = -1;
	if (irq >= 0) {
		vector = chip_ack(&pic->chip[0]);
		if (irq == 2)
			vector = chip_ack(&pic->chip[1]);
		vpic_cascade(pic);
	}
	spin_unlock(&pic->lock);
	return vector;
}

/* ICW1 resets the chip's state and starts the ICW sequence (8259A "Initialization Command
 * Words"). */
static void chip_icw1(struct vpic_chip *c, u8 val)
{
	c->imr = c->isr = c->irr = 0;
	c->prio = 0;
	c->special_mask = c->read_isr = c->poll = false;
	c->auto_eoi = c->rotate_aeoi = false;
	c->icw4 = val & ICW1_IC4;
	c->single = val & ICW1_SNGL;
	if (val & ICW1_LTIM)
		c->elcr = 0xff;
	c->lines = 0;
	c->icw_step = 2;
}

/* OCW2: bits 7:5 = R, SL, EOI; bits 2:0 the level for the specific forms. */
static void chip_ocw2(struct vpic_chip *c, u8 val)
{
	unsigned cmd = val >> 5, level = val & 7;
	int irq = cmd & 2 ? (int)level : chip_first(c, c->isr);
	switch (cmd) {
	case 0: c->rotate_aeoi = false; return;
	case 4: c->rotate_aeoi = true; return;
	case 6: c->prio = (u8)((level + 1) & 7); return;
	case 1: case 3: case 5: case 7:
		if (irq < 0)
			return;
		c->isr &= (u8)~(1u << irq);
		if (cmd & 4)
			c->prio = (u8)((irq + 1) & 7);
		return;
	default:
		return;
	}
}

static void chip_ocw3(struct vpic_chip *c, u8 val)
{
	if (val & 0x04)
		c->poll = true;
	if ((val & 0x03) == 0x02)
		c->read_isr = false;
	else if ((val & 0x03) == 0x03)
		c->read_isr = true;
	if ((val & 0x60) == 0x40)
		c->special_mask = false;
	else if ((val & 0x60) == 0x60)
		c->special_mask = true;
}

static void chip_write_data(struct vpic_chip *c, u8 val)
{
	switch (c->icw_step) {
	case 2:
		c->base = val & 0xf8;
		c->icw_step = c->single ? (c->icw4 ? 4 : 0) : 3;
		return;
	case 3:
		c->icw_step = c->icw4 ? 4 : 0;
		return;
	case 4:
		c->auto_eoi = val & ICW4_AEOI;
		c->icw_step = 0;
		return;
	default:
		c->imr = val;
	}
}

/* Poll (OCW3 bit 2): the next read is an INTA returning 0x80 | level, or 0 (8259A "The Poll
 * Command"). */
static u8 chip_poll(struct vpic *pic, struct vpic_chip *c)
{
	c->poll = false;
	int irq = chip_request(c);
	if (irq < 0)
		return 0;
	chip_ack(c);
	if (c == &pic->chip[0] && irq == 2)
		chip_ack(&pic->chip[1]);
	return (u8)(0x80 | irq);
}

/* Each chip is its own region: dev is the chip. */
static u64 vpic_read(void *dev, struct vcpu *v, u64 off, unsigned size)
{
	struct vpic_chip *c = dev;
	struct vpic *pic = c->pic;
	u8 val;
	(void)v;
	(void)size;
	vlapic_change_begin(vpic_reader(pic));
	spin_lock(&pic->lock);
	if (c->poll && !off)
		val = chip_poll(pic, c);
	else if (off)
		val = c->imr;
	else
		val = c->read_isr ? c->isr : c->irr;
	vpic_cascade(pic);
	spin_unlock(&pic->lock);
	vlapic_change_end(vpic_reader(pic));
	return val;
}

static void vpic_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	struct vpic_chip *c = dev;
	struct vpic *pic = c->pic;
	u8 b = (u8)val;
	(void)v;
	(void)size;
	vlapic_change_begin(vpic_reader(pic));
	spin_lock(&pic->lock);
	if (off & 1)
		chip_write_data(c, b);
	else if (b & ICW1)
		chip_icw1(c, b);
	else if (b & OCW3)
		chip_ocw3(c, b);
	else
		chip_ocw2(c, b);
	vpic_cascade(pic);
	bool out = chip_request(&pic->chip[0]) >= 0;
	spin_unlock(&pic->lock);
	vlapic_change_end(vpic_reader(pic));
	if (out)
		vlapic_kick(pic->p->vcpu[0]);
}

const struct region_ops vpic_ops = { vpic_read, vpic_write };

static u64 vpic_elcr_read(void *dev, struct vcpu *v, u64 off, unsigned size)
{
	struct vpic *pic = dev;
	(void)v;
	(void)size;
	return pic->chip[off & 1].elcr;
}

static void vpic_elcr_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	struct vpic *pic = dev;
	(void)v;
	(void)size;
	vlapic_change_begin(vpic_reader(pic));
	spin_lock(&pic->lock);
	pic->chip[off & 1].elcr = (u8)val & elcr_writable[off & 1];
	spin_unlock(&pic->lock);
	vlapic_change_end(vpic_reader(pic));
}

const struct region_ops vpic_elcr_ops = { vpic_elcr_read, vpic_elcr_write };

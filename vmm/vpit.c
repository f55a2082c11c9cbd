/* The 8254 at 0x40-0x43 and port 0x61 (Intel 8254 data sheet; PC/AT port B). Counts follow the
 * host TSC at 1.193182 MHz. Channel 0's output edges raise ISA IRQ 0 (8259 input 0, IOAPIC
 * pin 2) from vCPU 0's loop; channel 2's gate and output are port 0x61 bits 0 and 5, as Linux's
 * TSC calibration uses them. Mode 3 counts down by one per clock like mode 2 (its output
 * still changes at half and full period). BCD counting is not offered: the bit is ignored. */
#include <keel/vplatform.h>
#include <keel/partition.h>
#include <keel/string.h>
#include <keel/time.h>
#include <keel/vlapic.h>
#include <arch/cpu.h>
#include <arch/vcpu.h>

#define PIT_HZ 1193182ull
#define REFRESH_NS 15085 /* port 0x61 bit 4 toggles every 15.085 us */

static u64 muldiv(u64 a, u64 mul, u64 div) { return (u64)((unsigned __int128)a * mul / div); }
static u64 tsc_hz(void) { return tsc_khz() ? tsc_khz() * 1000 : 1000; }
static u64 ticks_to_tsc(u64 t) { return muldiv(t, tsc_hz(), PIT_HZ); }

void vpit_init(struct vpit *pit, struct partition *p)
{
	pit->p = p;
	for (int i = 0; i < 3; i++) {
		pit->ch[i].reload = 0x10000;
		pit->ch[i].rw = 3;
	}
}

void vpit_reset(struct vpit *pit)
{
	struct vlapic *reader = pit->p->vcpu[0]->lapic; /* vCPU 0's passes fire channel 0 */
	vlapic_change_begin(reader);
	spin_lock(&pit->lock);
	memset(pit->ch, 0, sizeof(pit->ch));
	pit->port61 = 0;
	for (int i = 0; i < 3; i++) {
		pit->ch[i].reload = 0x10000;
		pit->ch[i].rw = 3;
	}
	spin_unlock(&pit->lock);
	vlapic_change_end(reader);
}

static bool pit_gate(const struct vpit *pit, int i) { return i != 2 || (pit->port61 & 1); }

/* Clock ticks since the count was loaded, 0 while the channel does not count. */
static u64 pit_elapsed(const struct vpit_channel *c, u64 now)
{
	return c->start && now > c->start ? muldiv(now - c->start, PIT_HZ, tsc_hz()) : 0;
}

static bool pit_periodic(const struct vpit_channel *c) { return c->mode == 2 || c->mode == 3; }

static u16 pit_count(const struct vpit_channel *c, u64 now)
{
	u64 e = pit_elapsed(c, now);
	if (!c->start)
		return (u16)c->reload;
	if (pit_periodic(c))
		return (u16)(c->reload - e % c->reload);
	return (u16)(c->reload - e); /* modes 0, 1, 4, 5 wrap past 0 and go on counting */
}

/* OUT: modes 0/1 go high at terminal count; 2 is low for the last clock of each period; 3 is
 * high for the first half; 4/5 strobe low for one clock at terminal count. */
static bool pit_out(const struct vpit_channel *c, u64 now)
{
	if (!c->start)
		return c->mode != 0;
	u64 e = pit_elapsed(c, now);
	switch (c->mode) {
	case 0: case 1: return e >= c->reload;
	case 2: return e % c->reload != c->reload - 1;
	case 3: return e % c->reload < (c->reload + 1) / 2;
	default: return e != c->reload;
	}
}

static void pit_start(struct vpit *pit, int i, u64 now)
{
	struct vpit_channel *c = &pit->ch[i];
	c->null_count = false;
	c->start = pit_gate(pit, i) ? now | 1 : 0;
	c->next_irq = i == 0 && c->start ? c->start + ticks_to_tsc(c->reload) : 0;
}

/* Control word (8254 "Control Word Format"): SC, RW, mode, BCD; RW = 0 latches the count. */
static void pit_control(struct vpit *pit, u8 val, u64 now)
{
	unsigned sc = val >> 6, rw = (val >> 4) & 3, mode = (val >> 1) & 7;
	if (sc == 3) {
		for (int i = 0; i < 3; i++) {
			struct vpit_channel *c = &pit->ch[i];
			if (!(val & (2u << i)))
				continue;
			if (!(val & 0x20) && !c->latched) {
				c->latch = pit_count(c, now);
				c->latched = true;
				c->read_msb = false;
			}
			if (!(val & 0x10) && !c->status_latched) {
				c->status = (u8)(pit_out(c, now) << 7 | c->null_count << 6 | c->rw << 4 |
						 c->mode << 1);
				c->status_latched = true;
			}
		}
		return;
	}
	struct vpit_channel *c = &pit->ch[sc];
	if (!rw) {
		if (!c->latched) {
			c->latch = pit_count(c, now);
			c->latched = true;
			c->read_msb = false;
		}
		return;
	}
	c->rw = (u8)rw;
	c->mode = (u8)(mode > 5 ? mode - 4 : mode);
	c->write_msb = c->read_msb = c->latched = false;
	c->start = 0;
	c->next_irq = 0;
	c->null_count = true;
}

static void pit_write_count(struct vpit *pit, int i, u8 val, u64 now)
{
	struct vpit_channel *c = &pit->ch[i];
	u32 count;
	if (c->rw == 1) {
		count = val;
	} else if (c->rw == 2) {
		count = (u32)val << 8;
	} else if (!c->write_msb) {
		c->write_lsb = val;
		c->write_msb = true;
		if (c->mode == 0)
			c->start = 0; /* mode 0 stops counting after the first byte */
		return;
	} else {
		count = c->write_lsb | (u32)val << 8;
		c->write_msb = false;
	}
	c->reload = count ? count : 0x10000;
	pit_start(pit, i, now);
}

static u8 pit_read_count(struct vpit *pit, int i, u64 now)
{
	struct vpit_channel *c = &pit->ch[i];
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	u16 v = c->latched ? c->latch : pit_count(c, now);
	bool msb = c->rw == 2 || (c->rw == 3 && c->read_msb);
	if (c->rw == 3)
		c->read_msb = !c->read_msb;
	if (c->latched && (c->rw != 3 || !c->read_msb))
		c->latched = false;
	return msb ? (u8)(v >> 8) : (u8)v;
}

static u64 vpit_read(void *dev, struct vcpu *v, u64 off, unsigned size)
{
	struct vpit *pit = dev;
	(void)v;
	(void)size;
	if (off == 3)
		return 0xff; /* the control word is write-only */
	spin_lock(&pit->lock);
	u8 val = pit_read_count(pit, (int)off, rdtsc());
	spin_unlock(&pit->lock);
	return val;
}

static void vpit_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	struct vpit *pit = dev;
	struct vlapic *reader = pit->p->vcpu[0]->lapic; /* vCPU 0's passes fire channel 0 */
	(void)v;
	(void)size;
	vlapic_change_begin(reader);
	spin_lock(&pit->lock);
	if (off == 3)
		pit_control(pit, (u8)val, rdtsc());
	else
		pit_write_count(pit, (int)off, (u8)val, rdtsc());
	spin_unlock(&pit->lock);
	vlapic_change_end(reader);
}

const struct region_ops vpit_ops = { vpit_read, vpit_write };

static u64 vpit_port61_read(void *dev, struct vcpu *v, u64 off, unsigned size)
{
	struct vpit *pit = dev;
	(void)v;
	(void)off;
	(void)size;
	u64 now = rdtsc();
	spin_lock(&pit->lock);
	u8 val = pit->port61 & 0x0f;
	if (muldiv(now, 1000000000, tsc_hz()) / REFRESH_NS & 1)
		val |= 0x10;
	if (pit_out(&pit->ch[2], now))
		val |= 0x20;
	spin_unlock(&pit->lock);
	return val;
}

/* Gate 2 low stops channel 2; its rising edge restarts the count in modes 1, 2, 3 and 5 and
 * resumes it in modes 0 and 4 (8254 "Gate" table). */
static void vpit_port61_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	struct vpit *pit = dev;
	struct vpit_channel *c = &pit->ch[2];
	(void)v;
	(void)off;
	(void)size;
	u64 now = rdtsc();
	spin_lock(&pit->lock);
	bool was = pit->port61 & 1, gate = val & 1;
	if (was && !gate && c->start) {
		c->frozen = pit_count(c, now);
		c->start = 0;
	} else if (!was && gate && !c->null_count) {
		if (c->mode == 0 || c->mode == 4)
			c->start = (now - ticks_to_tsc(c->reload - c->frozen)) | 1;
		else
			c->start = now | 1;
	}
	pit->port61 = (u8)(val & 0x0f);
	spin_unlock(&pit->lock);
}

const struct region_ops vpit_port61_ops = { vpit_port61_read, vpit_port61_write };

u64 vpit_next(struct vpit *pit)
{
	spin_lock(&pit->lock);
	u64 next = pit->ch[0].next_irq;
	spin_unlock(&pit->lock);
	return next;
}

/* Channel 0's rising edges: one per period in modes 2 and 3, one at terminal count otherwise.
 * Edges missed while nobody looked are not queued: one IRQ 0 stands for them. */
u64 vpit_check(struct vpit *pit, u64 now)
{
	struct vpit_channel *c = &pit->ch[0];
	bool fire = false;
	spin_lock(&pit->lock);
	if (c->next_irq && now >= c->next_irq) {
		fire = true;
		if (pit_periodic(c)) {
			u64 k = pit_elapsed(c, now) / c->reload + 1;
			c->next_irq = c->start + ticks_to_tsc(k * c->reload);
		} else {
			c->next_irq = 0;
		}
	}
	u64 next = c->next_irq;
	spin_unlock(&pit->lock);
	if (fire)
		virq_set_isa(pit->p, 0, VIRQ_PULSE);
	return next;
}

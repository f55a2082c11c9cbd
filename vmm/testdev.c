/* The in-core test device: guest payloads compare an instruction run against this MMIO window
 * with the same instruction run on RAM, and read the access log back through the control page. */
#include <keel/testdev.h>
#include <keel/string.h>
#include <keel/unaligned.h>
#include <keel/virq.h>
#include <arch/vcpu.h>
#include <keel/partition.h>

static void testdev_log(struct testdev *t, u64 off, unsigned size, u8 dir, u64 data)
{
	if (t->count < KEEL_TESTDEV_LOG_MAX)
		t->log[t->count] = (struct testdev_entry){ (u32)off, (u8)size, dir, data };
	t->count++;
}

static const struct testdev_entry *testdev_entry(const struct testdev *t)
{
	return t->log_index < MIN(t->count, (u64)KEEL_TESTDEV_LOG_MAX) ? &t->log[t->log_index] : NULL;
}

static u32 testdev_ctrl_read(struct testdev *t, u64 off)
{
	const struct testdev_entry *e = testdev_entry(t);
	u32 v;
	switch (off) {
	case KEEL_TESTDEV_ADDR: return t->addr;
	case KEEL_TESTDEV_DATA_PORT: memcpy(&v, t->mem + t->addr, 4); return v;
	case KEEL_TESTDEV_LOG_COUNT: return (u32)MIN(t->count, 0xffffffffull);
	case KEEL_TESTDEV_LOG_INDEX: return t->log_index;
	case KEEL_TESTDEV_LOG_INFO: return e ? e->offset | (u32)e->size << 16 | (u32)e->dir << 24 : ~0u;
	case KEEL_TESTDEV_LOG_LO: return e ? (u32)e->data : ~0u;
	case KEEL_TESTDEV_LOG_HI: return e ? (u32)(e->data >> 32) : ~0u;
	default: return ~0u;
	}
}

static void testdev_ctrl_write(struct testdev *t, u64 off, u32 v)
{
	switch (off) {
	case KEEL_TESTDEV_RESET:
		memset(t->mem, (u8)v, sizeof(t->mem));
		t->count = 0;
		break;
	case KEEL_TESTDEV_ADDR:
		if (v <= KEEL_TESTDEV_DATA - 4 && !(v & 3))
			t->addr = v;
		break;
	case KEEL_TESTDEV_DATA_PORT: memcpy(t->mem + t->addr, &v, 4); break;
	case KEEL_TESTDEV_LOG_INDEX: t->log_index = v; break;
	default: break;
	}
}

/* Data accesses lie wholly in the window; control accesses are aligned 32-bit registers.
 * Anything else (a straddle, an odd size) reads all-ones and is dropped. */
static bool testdev_is_data(u64 off, unsigned size) { return off + size <= KEEL_TESTDEV_DATA; }
static bool testdev_is_reg(u64 off, unsigned size) { return off >= KEEL_TESTDEV_DATA && size == 4 && !(off & 3); }

static u64 testdev_read(void *dev, struct vcpu *v, u64 off, unsigned size)
{
	struct testdev *t = dev;
	u64 val = 0;
	(void)v;
	if (!testdev_is_data(off, size))
		return testdev_is_reg(off, size) ? testdev_ctrl_read(t, off) : ~0ull;
	val = get_le(t->mem + off, size); /* size is 1, 2, 4 or 8 (struct region_ops) */
	testdev_log(t, off, size, KEEL_TESTDEV_DIR_READ, val);
	return val;
}

/* The interrupt register (abi/testdev.h): a bad pin, vector or vCPU is ignored. */
static void testdev_irq(struct vcpu *v, u32 val)
{
	u32 pin = val & 0xff, op = (val >> 8) & 3, target = (val >> 16) & 0x1f;
	if (op == KEEL_TESTDEV_IRQ_MSI) {
		if (target < v->part->nr_vcpus)
			virq_raise(v->part->vcpu[target], (u8)pin);
		return;
	}
	if (val & KEEL_TESTDEV_IRQ_ISA)
		virq_set_isa(v->part, pin, (enum virq_level)op);
	else
		virq_set_pin(v->part, pin, (enum virq_level)op);
}

static void testdev_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	struct testdev *t = dev;
	if (off == KEEL_TESTDEV_IRQ && size == 4) {
		testdev_irq(v, (u32)val);
		return;
	}
	if (!testdev_is_data(off, size)) {
		if (testdev_is_reg(off, size))
			testdev_ctrl_write(t, off, (u32)val);
		return;
	}
	put_le(t->mem + off, size, val);
	testdev_log(t, off, size, KEEL_TESTDEV_DIR_WRITE, val);
}

const struct region_ops testdev_ops = { testdev_read, testdev_write };

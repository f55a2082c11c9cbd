/* The in-core test device: guest payloads compare an instruction run against this MMIO window
 * with the same instruction run on RAM, and read the access log back through the control page
 * or the port block (include/abi/testdev.h). */
#include <keel/testdev.h>
#include <keel/string.h>
#include <keel/unaligned.h>
#include <keel/virq.h>
#include <arch/vcpu.h>
#include <keel/partition.h>

static void testdev_log(struct testdev *t, u32 info, u64 data)
{
	if (t->count < KEEL_TESTDEV_LOG_MAX)
		t->log[t->count] = (struct testdev_entry){ info, data };
	t->count++;
}

static u32 testdev_info(u64 off, unsigned size, u8 dir)
{
	return (u32)off | (u32)size << 16 | (u32)dir << 24;
}

static const struct testdev_entry *testdev_entry(const struct testdev *t, u64 i)
{
	return i < MIN(t->count, (u64)KEEL_TESTDEV_LOG_MAX) ? &t->log[i] : NULL;
}

static void testdev_log_clear(struct testdev *t)
{
	t->count = 0;
	t->log_read = 0;
}

static u32 testdev_ctrl_read(struct testdev *t, u64 off)
{
	const struct testdev_entry *e = testdev_entry(t, t->log_index);
	u32 v;
	switch (off) {
	case KEEL_TESTDEV_ADDR: return t->addr;
	case KEEL_TESTDEV_DATA_PORT: memcpy(&v, t->mem + t->addr, 4); return v;
	case KEEL_TESTDEV_LOG_COUNT: return (u32)MIN(t->count, 0xffffffffull);
	case KEEL_TESTDEV_LOG_INDEX: return t->log_index;
	case KEEL_TESTDEV_LOG_INFO: return e ? e->info : ~0u;
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
		testdev_log_clear(t);
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
	testdev_log(t, testdev_info(off, size, KEEL_TESTDEV_DIR_READ), val);
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
	testdev_log(t, testdev_info(off, size, KEEL_TESTDEV_DIR_WRITE), val);
}

const struct region_ops testdev_ops = { testdev_read, testdev_write };

/* The port block: cursor accesses stream the window byte by byte, wrapping at its end. */
static u64 testdev_cursor_read(struct testdev *t, unsigned size)
{
	u64 val = 0;
	for (unsigned i = 0; i < size; i++) {
		val |= (u64)t->mem[t->cursor] << (8 * i);
		t->cursor = (t->cursor + 1) % KEEL_TESTDEV_DATA;
	}
	return val;
}

static void testdev_cursor_write(struct testdev *t, unsigned size, u64 val)
{
	for (unsigned i = 0; i < size; i++) {
		t->mem[t->cursor] = (u8)(val >> (8 * i));
		t->cursor = (t->cursor + 1) % KEEL_TESTDEV_DATA;
	}
}

static u32 testdev_log_stream(struct testdev *t)
{
	const struct testdev_entry *e = testdev_entry(t, t->log_read / 3);
	u32 part = t->log_read % 3;
	if (!e)
		return ~0u;
	t->log_read++;
	return part == 0 ? e->info : part == 1 ? (u32)e->data : (u32)(e->data >> 32);
}

static bool testdev_port_is_data(u64 off, unsigned size)
{
	return off + size <= KEEL_TESTDEV_P_DATA_END && size <= 4;
}

static u64 testdev_port_read(void *dev, struct vcpu *v, u64 off, unsigned size)
{
	struct testdev *t = dev;
	(void)v;
	if (testdev_port_is_data(off, size)) {
		u64 val = testdev_cursor_read(t, size);
		testdev_log(t, testdev_info(off, size, KEEL_TESTDEV_DIR_READ) | KEEL_TESTDEV_INFO_PORT, val);
		return val;
	}
	if (off == KEEL_TESTDEV_P_BULK && size <= 4)
		return testdev_cursor_read(t, size);
	if (size != 4)
		return ~0ull;
	switch (off) {
	case KEEL_TESTDEV_P_CURSOR: return t->cursor;
	case KEEL_TESTDEV_P_LOG: return (u32)MIN(t->count, 0xffffffffull);
	case KEEL_TESTDEV_P_LOG_READ: return testdev_log_stream(t);
	default: return ~0ull;
	}
}

static void testdev_port_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	struct testdev *t = dev;
	(void)v;
	if (testdev_port_is_data(off, size)) {
		testdev_cursor_write(t, size, val);
		testdev_log(t, testdev_info(off, size, KEEL_TESTDEV_DIR_WRITE) | KEEL_TESTDEV_INFO_PORT, val);
		return;
	}
	if (off == KEEL_TESTDEV_P_BULK && size <= 4) {
		testdev_cursor_write(t, size, val);
		return;
	}
	if (size != 4)
		return;
	switch (off) {
	case KEEL_TESTDEV_P_CURSOR: t->cursor = (u32)val % KEEL_TESTDEV_DATA; break;
	case KEEL_TESTDEV_P_LOG: testdev_log_clear(t); break;
	case KEEL_TESTDEV_P_LOG_READ: t->log_read = 0; break;
	default: break;
	}
}

const struct region_ops testdev_port_ops = { testdev_port_read, testdev_port_write };

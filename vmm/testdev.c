/* The in-core test device: guest payloads compare an instruction run against this MMIO window
 * with the same instruction run on RAM, and read back the access log to check order and count. */
#include <keel/testdev.h>
#include <keel/string.h>
#include <abi/hypercall.h>

static void testdev_log(struct testdev *t, u64 off, unsigned size, u8 dir, u64 data)
{
	if (t->count < KEEL_TESTDEV_LOG_MAX)
		t->log[t->count] = (struct testdev_entry){ (u32)off, (u8)size, dir, data };
	t->count++;
}

static u64 testdev_read(void *dev, struct vcpu *v, u64 off, unsigned size)
{
	struct testdev *t = dev;
	u64 val = 0;
	(void)v;
	memcpy(&val, t->mem + off, size);
	testdev_log(t, off, size, KEEL_TESTDEV_DIR_READ, val);
	return val;
}

static void testdev_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	struct testdev *t = dev;
	(void)v;
	memcpy(t->mem + off, &val, size);
	testdev_log(t, off, size, KEEL_TESTDEV_DIR_WRITE, val);
}

const struct region_ops testdev_ops = { testdev_read, testdev_write };

int testdev_hypercall(struct testdev *t, u64 op, u64 a, u64 b, u64 out[3])
{
	switch (op) {
	case KEEL_TESTDEV_RESET:
		memset(t->mem, (u8)a, sizeof(t->mem));
		t->count = 0;
		return KEEL_OK;
	case KEEL_TESTDEV_POKE: {
		u32 v = (u32)b;
		if (a > KEEL_TESTDEV_SIZE - 4)
			return KEEL_ERANGE;
		memcpy(t->mem + a, &v, 4);
		return KEEL_OK;
	}
	case KEEL_TESTDEV_PEEK: {
		u32 v;
		if (a > KEEL_TESTDEV_SIZE - 4)
			return KEEL_ERANGE;
		memcpy(&v, t->mem + a, 4);
		out[0] = v;
		return KEEL_OK;
	}
	case KEEL_TESTDEV_LOG_COUNT:
		out[0] = t->count;
		return KEEL_OK;
	case KEEL_TESTDEV_LOG_ENTRY: {
		if (a >= MIN(t->count, (u64)KEEL_TESTDEV_LOG_MAX))
			return KEEL_ERANGE;
		const struct testdev_entry *e = &t->log[a];
		out[0] = e->offset | (u64)e->size << 16 | (u64)e->dir << 24;
		out[1] = (u32)e->data;
		out[2] = e->data >> 32;
		return KEEL_OK;
	}
	}
	return KEEL_EINVAL;
}

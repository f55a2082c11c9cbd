/* The `testdev` model: include/abi/testdev.h's register interface, the same the in-core model
 * serves, so one guest payload tests both paths. Bytes [0, KEEL_TESTDEV_DATA) are the logged
 * window; the control page above it holds aligned 32-bit registers. */
#include <stdlib.h>
#include <string.h>
#include <abi/testdev.h>
#include "svc.h"

struct tdev_entry {
	uint32_t info;   /* offset | size << 16 | dir << 24, as LOG_INFO shows it */
	uint64_t data;
};

struct tdev {
	uint8_t mem[KEEL_TESTDEV_DATA];
	struct tdev_entry log[KEEL_TESTDEV_LOG_MAX];
	uint64_t count;
	uint32_t addr, index;
	bool irq_warned;
};

static int tdev_init(struct svc_dev *d)
{
	d->state = calloc(1, sizeof(struct tdev));
	return d->state ? 0 : -1;
}

static void tdev_log(struct tdev *t, uint64_t off, unsigned size, uint32_t dir, uint64_t data)
{
	if (t->count < KEEL_TESTDEV_LOG_MAX)
		t->log[t->count] = (struct tdev_entry){ (uint32_t)off | size << 16 | dir << 24, data };
	t->count++;
}

static const struct tdev_entry *tdev_entry(const struct tdev *t)
{
	uint64_t kept = t->count < KEEL_TESTDEV_LOG_MAX ? t->count : KEEL_TESTDEV_LOG_MAX;

	return t->index < kept ? &t->log[t->index] : NULL;
}

static uint32_t tdev_reg_read(struct tdev *t, uint64_t off)
{
	const struct tdev_entry *e = tdev_entry(t);
	uint32_t v;

	switch (off) {
	case KEEL_TESTDEV_ADDR:
		return t->addr;
	case KEEL_TESTDEV_DATA_PORT:
		memcpy(&v, t->mem + t->addr, 4);
		return v;
	case KEEL_TESTDEV_LOG_COUNT:
		return t->count > UINT32_MAX ? UINT32_MAX : (uint32_t)t->count;
	case KEEL_TESTDEV_LOG_INDEX:
		return t->index;
	case KEEL_TESTDEV_LOG_INFO:
		return e ? e->info : UINT32_MAX;
	case KEEL_TESTDEV_LOG_LO:
		return e ? (uint32_t)e->data : UINT32_MAX;
	case KEEL_TESTDEV_LOG_HI:
		return e ? (uint32_t)(e->data >> 32) : UINT32_MAX;
	default:
		return UINT32_MAX;
	}
}

/* KEEL_TESTDEV_IRQ: a line op on one of the partition's IOAPIC pins becomes KEEL_HC_IRQ; ISA
 * lines and message-signalled interrupts are the in-core model's only (abi/testdev.h). */
static void tdev_irq(struct svc_dev *d, uint32_t v)
{
	uint32_t op = (v >> 8) & 3;
	struct svc_hc r;

	if ((v & KEEL_TESTDEV_IRQ_ISA) || op == KEEL_TESTDEV_IRQ_MSI)
		return;
	r = svc_hcall(d->svc, KEEL_HC_IRQ, d->desc.partition, v & 0xff, op);
	if (r.status != KEEL_OK && !((struct tdev *)d->state)->irq_warned) {
		((struct tdev *)d->state)->irq_warned = true;
		svc_log(d->svc, "svc: testdev of partition %u: KEEL_HC_IRQ pin %u refused (status %llu)",
			d->desc.partition, v & 0xff, (unsigned long long)r.status);
	}
}

static void tdev_reg_write(struct svc_dev *d, uint64_t off, uint32_t v)
{
	struct tdev *t = d->state;

	switch (off) {
	case KEEL_TESTDEV_RESET:
		memset(t->mem, (uint8_t)v, sizeof(t->mem));
		t->count = 0;
		break;
	case KEEL_TESTDEV_ADDR:
		if (!(v & 3) && v <= KEEL_TESTDEV_DATA - 4)
			t->addr = v;
		break;
	case KEEL_TESTDEV_DATA_PORT:
		memcpy(t->mem + t->addr, &v, 4);
		break;
	case KEEL_TESTDEV_LOG_INDEX:
		t->index = v;
		break;
	case KEEL_TESTDEV_IRQ:
		tdev_irq(d, v);
		break;
	default:
		break;
	}
}

static bool tdev_in_window(uint64_t off, unsigned size) { return off + size <= KEEL_TESTDEV_DATA; }

static bool tdev_is_reg(uint64_t off, unsigned size)
{
	return off >= KEEL_TESTDEV_DATA && size == 4 && !(off & 3);
}

static uint64_t tdev_read(struct svc_dev *d, uint64_t off, unsigned size)
{
	struct tdev *t = d->state;
	uint64_t v = 0;

	if (!tdev_in_window(off, size))
		return tdev_is_reg(off, size) ? tdev_reg_read(t, off) : UINT64_MAX;
	memcpy(&v, t->mem + off, size);
	tdev_log(t, off, size, KEEL_TESTDEV_DIR_READ, v);
	return v;
}

static void tdev_write(struct svc_dev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct tdev *t = d->state;

	if (!tdev_in_window(off, size)) {
		if (tdev_is_reg(off, size))
			tdev_reg_write(d, off, (uint32_t)val);
		return;
	}
	if (size < 8)
		val &= (1ull << (8 * size)) - 1;
	memcpy(t->mem + off, &val, size);
	tdev_log(t, off, size, KEEL_TESTDEV_DIR_WRITE, val);
}

const struct svc_model svc_model_testdev = {
	.name = "testdev",
	.init = tdev_init,
	.read = tdev_read,
	.write = tdev_write,
};

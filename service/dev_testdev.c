/* The `testdev` model: include/abi/testdev.h's register interface, the same the in-core model
 * serves, so one guest payload tests both paths. Bytes [0, KEEL_TESTDEV_DATA) are the logged
 * window; the control page above it holds aligned 32-bit registers. A port region of the model
 * is the port block onto the window of the partition's MMIO testdev listed before it. */
#include <stdlib.h>
#include <string.h>
#include <abi/testdev.h>
#include "svc.h"

struct tdev_entry {
	uint32_t info;   /* offset | size << 16 | dir << 24 | port flag, as LOG_INFO shows it */
	uint64_t data;
};

struct tdev {
	uint8_t mem[KEEL_TESTDEV_DATA];
	struct tdev_entry log[KEEL_TESTDEV_LOG_MAX];
	uint64_t count;
	uint32_t addr, index;
	uint32_t cursor;    /* port block: window offset of the next cursor access */
	uint32_t log_read;  /* port block: next dword of the log stream */
	bool irq_warned;
};

/* The window a port block reaches: the same partition's MMIO testdev before it, if any. */
static struct tdev *tdev_window_of(const struct svc_dev *d)
{
	for (uint16_t i = 0; d->desc.kind == KEEL_RING_PIO && i < d->index; i++) {
		const struct svc_dev *o = &d->svc->dev[i];
		if (o->model == &svc_model_testdev && o->desc.kind == KEEL_RING_MMIO &&
		    o->desc.partition == d->desc.partition)
			return o->state;
	}
	return NULL;
}

static int tdev_init(struct svc_dev *d)
{
	d->state = tdev_window_of(d);
	if (!d->state)
		d->state = calloc(1, sizeof(struct tdev));
	return d->state ? 0 : -1;
}

static uint32_t tdev_info(uint64_t off, unsigned size, uint32_t dir)
{
	return (uint32_t)off | size << 16 | dir << 24;
}

static void tdev_log(struct tdev *t, uint32_t info, uint64_t data)
{
	if (t->count < KEEL_TESTDEV_LOG_MAX)
		t->log[t->count] = (struct tdev_entry){ info, data };
	t->count++;
}

static void tdev_log_clear(struct tdev *t)
{
	t->count = 0;
	t->log_read = 0;
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
		tdev_log_clear(t);
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

static uint64_t tdev_port_read(struct tdev *t, uint64_t off, unsigned size);
static void tdev_port_write(struct tdev *t, uint64_t off, unsigned size, uint64_t val);

static uint64_t tdev_read(struct svc_dev *d, uint64_t off, unsigned size)
{
	struct tdev *t = d->state;
	uint64_t v;

	if (d->desc.kind == KEEL_RING_PIO)
		return tdev_port_read(t, off, size);
	if (!tdev_in_window(off, size))
		return tdev_is_reg(off, size) ? tdev_reg_read(t, off) : UINT64_MAX;
	v = svc_load(t->mem + off, size);
	tdev_log(t, tdev_info(off, size, KEEL_TESTDEV_DIR_READ), v);
	return v;
}

static void tdev_write(struct svc_dev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct tdev *t = d->state;

	if (d->desc.kind == KEEL_RING_PIO) {
		tdev_port_write(t, off, size, val);
		return;
	}
	if (!tdev_in_window(off, size)) {
		if (tdev_is_reg(off, size))
			tdev_reg_write(d, off, (uint32_t)val);
		return;
	}
	if (size < 8)
		val &= (1ull << (8 * size)) - 1;
	svc_store(t->mem + off, size, val);
	tdev_log(t, tdev_info(off, size, KEEL_TESTDEV_DIR_WRITE), val);
}

/* The port block: cursor accesses stream the window byte by byte, wrapping at its end. */
static uint64_t tdev_cursor_read(struct tdev *t, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++) {
		v |= (uint64_t)t->mem[t->cursor] << (8 * i);
		t->cursor = (t->cursor + 1) % KEEL_TESTDEV_DATA;
	}
	return v;
}

static void tdev_cursor_write(struct tdev *t, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++) {
		t->mem[t->cursor] = (uint8_t)(v >> (8 * i));
		t->cursor = (t->cursor + 1) % KEEL_TESTDEV_DATA;
	}
}

/* LOG_READ: three dwords per entry (INFO, data low, data high), all-ones past the end. */
static uint32_t tdev_log_stream(struct tdev *t)
{
	uint64_t kept = t->count < KEEL_TESTDEV_LOG_MAX ? t->count : KEEL_TESTDEV_LOG_MAX;
	uint32_t i = t->log_read / 3, part = t->log_read % 3;

	if (i >= kept)
		return UINT32_MAX;
	t->log_read++;
	return part == 0 ? t->log[i].info : part == 1 ? (uint32_t)t->log[i].data :
							(uint32_t)(t->log[i].data >> 32);
}

static bool tdev_port_is_data(uint64_t off, unsigned size)
{
	return off + size <= KEEL_TESTDEV_P_DATA_END && size <= 4;
}

static uint64_t tdev_port_read(struct tdev *t, uint64_t off, unsigned size)
{
	uint64_t v;

	if (tdev_port_is_data(off, size)) {
		v = tdev_cursor_read(t, size);
		tdev_log(t, tdev_info(off, size, KEEL_TESTDEV_DIR_READ) | KEEL_TESTDEV_INFO_PORT, v);
		return v;
	}
	if (off == KEEL_TESTDEV_P_BULK && size <= 4)
		return tdev_cursor_read(t, size);
	if (size != 4)
		return UINT64_MAX;
	switch (off) {
	case KEEL_TESTDEV_P_CURSOR:
		return t->cursor;
	case KEEL_TESTDEV_P_LOG:
		return t->count > UINT32_MAX ? UINT32_MAX : (uint32_t)t->count;
	case KEEL_TESTDEV_P_LOG_READ:
		return tdev_log_stream(t);
	default:
		return UINT64_MAX;
	}
}

static void tdev_port_write(struct tdev *t, uint64_t off, unsigned size, uint64_t val)
{
	if (tdev_port_is_data(off, size)) {
		val &= (1ull << (8 * size)) - 1;
		tdev_cursor_write(t, size, val);
		tdev_log(t, tdev_info(off, size, KEEL_TESTDEV_DIR_WRITE) | KEEL_TESTDEV_INFO_PORT, val);
		return;
	}
	if (off == KEEL_TESTDEV_P_BULK && size <= 4) {
		tdev_cursor_write(t, size, val);
		return;
	}
	if (size != 4)
		return;
	switch (off) {
	case KEEL_TESTDEV_P_CURSOR:
		t->cursor = (uint32_t)val % KEEL_TESTDEV_DATA;
		break;
	case KEEL_TESTDEV_P_LOG:
		tdev_log_clear(t);
		break;
	case KEEL_TESTDEV_P_LOG_READ:
		t->log_read = 0;
		break;
	default:
		break;
	}
}

const struct svc_model svc_model_testdev = {
	.name = "testdev",
	.init = tdev_init,
	.read = tdev_read,
	.write = tdev_write,
};

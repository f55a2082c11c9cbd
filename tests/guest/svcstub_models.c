/* The stand-in service VM's device models: testdev (include/abi/testdev.h, as Keel's in-core
 * model), a 16550 for a forwarded console (output and polled input through Keel's console
 * hypercalls), counter (reads return how many accesses came before) and silent (never answers). */
#include "svcstub.h"

#define TDEV_MAX 4
#define UART_MAX 4
#define COUNTER_MAX 8

struct tdev {
	uint8_t mem[KEEL_TESTDEV_DATA];
	struct {
		uint32_t off;
		uint8_t size, dir;
		uint64_t data;
	} log[KEEL_TESTDEV_LOG_MAX];
	uint64_t count;
	uint32_t addr, log_index;
	uint16_t partition;
};

struct uart {
	uint16_t partition;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	unsigned n, rxn, rxi;
	char out[128];
	uint8_t rx[8];
};

static struct tdev tdevs[TDEV_MAX];
static struct uart uarts[UART_MAX];
static uint64_t counters[COUNTER_MAX];
static unsigned ntdev, nuart, ncounter;

static bool name_is(const struct keel_ring_device *d, const char *s)
{
	for (unsigned i = 0; i < sizeof(d->model); i++) {
		if (d->model[i] != s[i])
			return false;
		if (!s[i])
			return true;
	}
	return false;
}

bool stub_model_init(struct stub_dev *dev)
{
	const struct keel_ring_device *d = dev->d;
	if (name_is(d, "testdev") && ntdev < TDEV_MAX) {
		dev->model = STUB_TESTDEV;
		dev->state = &tdevs[ntdev];
		tdevs[ntdev++].partition = d->partition;
	} else if (name_is(d, "uart16550") && nuart < UART_MAX) {
		dev->model = STUB_UART;
		dev->state = &uarts[nuart];
		uarts[nuart++].partition = d->partition;
	} else if (name_is(d, "counter") && ncounter < COUNTER_MAX) {
		dev->model = STUB_COUNTER;
		dev->state = &counters[ncounter++];
	} else if (name_is(d, "silent")) {
		dev->model = STUB_SILENT;
	} else {
		dev->model = STUB_NONE;
		return false;
	}
	return true;
}

/* testdev: the same register interface as Keel's in-core model. */
static uint32_t tdev_ctrl_read(struct tdev *t, uint64_t off)
{
	bool have = t->log_index < t->count && t->log_index < KEEL_TESTDEV_LOG_MAX;
	uint32_t v;
	switch (off) {
	case KEEL_TESTDEV_ADDR: return t->addr;
	case KEEL_TESTDEV_DATA_PORT: memcpy(&v, t->mem + t->addr, 4); return v;
	case KEEL_TESTDEV_LOG_COUNT: return t->count > 0xffffffffu ? 0xffffffffu : (uint32_t)t->count;
	case KEEL_TESTDEV_LOG_INDEX: return t->log_index;
	case KEEL_TESTDEV_LOG_INFO:
		return have ? t->log[t->log_index].off | (uint32_t)t->log[t->log_index].size << 16 |
			      (uint32_t)t->log[t->log_index].dir << 24 : 0xffffffffu;
	case KEEL_TESTDEV_LOG_LO: return have ? (uint32_t)t->log[t->log_index].data : 0xffffffffu;
	case KEEL_TESTDEV_LOG_HI: return have ? (uint32_t)(t->log[t->log_index].data >> 32) : 0xffffffffu;
	default: return 0xffffffffu;
	}
}

static void tdev_ctrl_write(struct tdev *t, uint64_t off, uint32_t v)
{
	switch (off) {
	case KEEL_TESTDEV_RESET:
		memset(t->mem, (uint8_t)v, sizeof(t->mem));
		t->count = 0;
		break;
	case KEEL_TESTDEV_ADDR:
		if (v <= KEEL_TESTDEV_DATA - 4 && !(v & 3))
			t->addr = v;
		break;
	case KEEL_TESTDEV_DATA_PORT: memcpy(t->mem + t->addr, &v, 4); break;
	case KEEL_TESTDEV_LOG_INDEX: t->log_index = v; break;
	case KEEL_TESTDEV_IRQ:
		/* the line ops on an IOAPIC pin reach Keel as KEEL_HC_IRQ; ISA lines and
		 * message-signalled interrupts are the in-core model's only */
		if (!(v & KEEL_TESTDEV_IRQ_ISA) && ((v >> 8) & 3) != KEEL_TESTDEV_IRQ_MSI)
			hc(KEEL_HC_IRQ, t->partition, v & 0xff, (v >> 8) & 3);
		break;
	default: break;
	}
}

static void tdev_access(struct tdev *t, uint64_t off, bool write, unsigned size, uint64_t *val)
{
	if (off + size > KEEL_TESTDEV_DATA) {
		bool reg = off < KEEL_TESTDEV_SIZE && size == 4 && !(off & 3);
		if (write && reg)
			tdev_ctrl_write(t, off, (uint32_t)*val);
		else if (!write)
			*val = reg ? tdev_ctrl_read(t, off) : ~0ull;
		return;
	}
	if (write)
		memcpy(t->mem + off, val, size);
	else
		memcpy(val, t->mem + off, size);
	if (t->count < KEEL_TESTDEV_LOG_MAX) {
		t->log[t->count].off = (uint32_t)off;
		t->log[t->count].size = (uint8_t)size;
		t->log[t->count].dir = write ? KEEL_TESTDEV_DIR_WRITE : KEEL_TESTDEV_DIR_READ;
		t->log[t->count].data = 0;
		memcpy(&t->log[t->count].data, write ? (const void *)val : (const void *)(t->mem + off),
		       size);
	}
	t->count++;
}

/* 16550 (PC16550D register map): output a line at a time to Keel, polled input from Keel. */
enum { RBR_THR, IER, IIR_FCR, LCR, MCR, LSR, MSR, SCR };

static void uart_flush(struct uart *u)
{
	if (u->n)
		hc(KEEL_HC_CONSOLE_WRITE, u->partition, (ureg)(uintptr_t)u->out, u->n);
	u->n = 0;
}

static bool uart_rx(struct uart *u)
{
	if (u->rxi == u->rxn) {
		struct hc_result r = hc(KEEL_HC_CONSOLE_READ, u->partition, 0, 0);
		u->rxi = 0;
		u->rxn = r.status == KEEL_OK && r.rcx <= 8 ? (unsigned)r.rcx : 0;
		for (unsigned i = 0; i < u->rxn; i++)
			u->rx[i] = (uint8_t)(r.rbx >> (8 * i));
	}
	return u->rxi < u->rxn;
}

static uint8_t uart_read(struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & 0x80;
	switch (reg) {
	case RBR_THR: return dlab ? u->dll : uart_rx(u) ? u->rx[u->rxi++] : 0;
	case IER: return dlab ? u->dlm : u->ier;
	case IIR_FCR: return 0xc1;
	case LCR: return u->lcr;
	case MCR: return u->mcr;
	case LSR: return 0x60 | (uart_rx(u) ? 0x01 : 0);
	case MSR: return 0xb0;
	default: return u->scr;
	}
}

static void uart_write(struct uart *u, unsigned reg, uint8_t b)
{
	bool dlab = u->lcr & 0x80;
	switch (reg) {
	case RBR_THR:
		if (dlab) {
			u->dll = b;
			break;
		}
		u->out[u->n++] = (char)b;
		if (b == '\n' || u->n == sizeof(u->out))
			uart_flush(u);
		break;
	case IER:
		if (dlab)
			u->dlm = b;
		else
			u->ier = b & 0x0f;
		break;
	case LCR: u->lcr = b; break;
	case MCR: u->mcr = b & 0x1f; break;
	case SCR: u->scr = b; break;
	default: break;
	}
}

bool stub_model_access(struct stub_dev *dev, const struct keel_ring_req *q, uint64_t addr,
		       bool write, unsigned size, uint64_t *val)
{
	uint64_t off = addr - dev->d->base;
	(void)q;
	switch (dev->model) {
	case STUB_TESTDEV:
		tdev_access(dev->state, off, write, size, val);
		return true;
	case STUB_UART:
		if (write)
			uart_write(dev->state, (unsigned)off & 7, (uint8_t)*val);
		else
			*val = uart_read(dev->state, (unsigned)off & 7);
		return true;
	case STUB_COUNTER:
		if (!write)
			*val = *(uint64_t *)dev->state;
		++*(uint64_t *)dev->state;
		return true;
	default:
		return false;
	}
}

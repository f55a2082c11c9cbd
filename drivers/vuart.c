/* In-core 16550 model (PC16550D data sheet: register map, Table IV interrupt priorities).
 * Transmission is instantaneous: output goes a line at a time to Keel's console; input is
 * polled from the console-input router (LSR.DR, RBR). The interrupt output (IIR) drives the
 * UART's ISA IRQ line through the 8259 and the IOAPIC while MCR.OUT2 is set, as on a PC. */
#include <keel/vuart.h>
#include <keel/console_in.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/virq.h>

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
#define LCR_DLAB   0x80
#define LSR_IDLE   0x60 /* THRE | TEMT: always ready to send */
#define LSR_DR     0x01 /* a received byte waits in RBR */
#define MSR_IDLE   0xb0 /* DCD | DSR | CTS */
#define IER_RDI    0x01
#define IER_THRI   0x02
#define IIR_NONE   0x01
#define IIR_THRE   0x02
#define IIR_RDA    0x04
#define IIR_FIFOS  0xc0 /* FIFOs enabled (FCR bit 0) */
#define FCR_ENABLE 0x01
#define FCR_KEPT   0xc9 /* enable, DMA mode, receiver trigger */
#define MCR_OUT2   0x08
#define MCR_LOOP   0x10

static void vuart_count(struct vuart *u)
{
	static const char pass[] = "VERDICT PASS ", fail[] = "VERDICT FAIL ";
	if (u->len >= sizeof(pass) && !strncmp(u->line, pass, sizeof(pass) - 1))
		__atomic_add_fetch(&u->part->verdicts_passed, 1, __ATOMIC_RELAXED);
	else if (u->len >= sizeof(fail) && !strncmp(u->line, fail, sizeof(fail) - 1))
		__atomic_add_fetch(&u->part->verdicts_failed, 1, __ATOMIC_RELAXED);
}

void vuart_flush(struct vuart *u)
{
	if (!u->len)
		return;
	if (u->verdicts && u->part)
		vuart_count(u);
	printk("[%s] %.*s\n", u->name, (int)u->len, u->line);
	u->len = 0;
}

static void vuart_putc(struct vuart *u, char c)
{
	if (c == '\r')
		return;
	if (c == '\n' || u->len == VUART_LINE_MAX) {
		vuart_flush(u);
		if (c == '\n')
			return;
	}
	u->line[u->len++] = c;
}

void vuart_output(struct vuart *u, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vuart_putc(u, s[i]);
}

static bool vuart_rx_ready(struct vuart *u)
{
	return u->input && console_in_pending(u->partition);
}

/* The pending interrupt of highest priority (Table IV); line and modem status never occur. */
static u8 vuart_iir_id(struct vuart *u)
{
	if ((u->ier & IER_RDI) && vuart_rx_ready(u))
		return IIR_RDA;
	if ((u->ier & IER_THRI) && u->thri)
		return IIR_THRE;
	return IIR_NONE;
}

/* INTR reaches the interrupt controller through OUT2; loopback holds it inactive. */
static void vuart_sync(struct vuart *u)
{
	bool want = vuart_iir_id(u) != IIR_NONE && (u->mcr & MCR_OUT2) && !(u->mcr & MCR_LOOP);
	if (want == u->level || u->irq == VUART_NO_IRQ || !u->part)
		return;
	u->level = want;
	virq_set_isa(u->part, u->irq, want ? VIRQ_HIGH : VIRQ_LOW);
}

static u8 vuart_rbr(struct vuart *u)
{
	int c = u->input ? console_in_getc(u->partition) : -1;
	return c < 0 ? 0 : (u8)c;
}

/* Reading IIR while THRE is the source clears it (Table IV). */
static u8 vuart_iir(struct vuart *u)
{
	u8 id = vuart_iir_id(u);
	if (id == IIR_THRE)
		u->thri = false;
	return id | (u->fcr & FCR_ENABLE ? IIR_FIFOS : 0);
}

static u8 vuart_reg_read(struct vuart *u, u64 off)
{
	bool dlab = u->lcr & LCR_DLAB;
	switch (off) {
	case RBR_THR: return dlab ? u->dll : vuart_rbr(u);
	case IER: return dlab ? u->dlm : u->ier;
	case IIR_FCR: return vuart_iir(u);
	case LCR: return u->lcr;
	case MCR: return u->mcr;
	case LSR: return LSR_IDLE | (vuart_rx_ready(u) ? LSR_DR : 0);
	case MSR: return MSR_IDLE;
	default: return u->scr;
	}
}

/* A THR write clears the THRE interrupt and, the byte gone at once, sets it again: the line
 * drops and rises, an edge for an edge-triggered pin. */
static void vuart_thr(struct vuart *u, u8 b)
{
	u->thri = false;
	vuart_sync(u);
	vuart_putc(u, (char)b);
	u->thri = true;
}

static void vuart_reg_write(struct vuart *u, u64 off, u8 b)
{
	bool dlab = u->lcr & LCR_DLAB;
	switch (off) {
	case RBR_THR:
		if (dlab)
			u->dll = b;
		else
			vuart_thr(u, b);
		break;
	case IER:
		if (dlab) {
			u->dlm = b;
			break;
		}
		if (b & ~u->ier & IER_THRI)
			u->thri = true; /* enabling ETBEI with THR empty raises the interrupt */
		u->ier = b & 0x0f;
		break;
	case IIR_FCR: u->fcr = b & FCR_ENABLE ? b & FCR_KEPT : 0; break;
	case LCR: u->lcr = b; break;
	case MCR: u->mcr = b & 0x1f; break;
	case SCR: u->scr = b; break;
	default: break;
	}
}

static u64 vuart_read(void *dev, struct vcpu *v, u64 off, unsigned size)
{
	struct vuart *u = dev;
	(void)v;
	(void)size;
	u8 val = vuart_reg_read(u, off);
	vuart_sync(u);
	return val;
}

static void vuart_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	struct vuart *u = dev;
	(void)v;
	(void)size;
	vuart_reg_write(u, off, (u8)val);
	vuart_sync(u);
}

const struct region_ops vuart_ops = { vuart_read, vuart_write };

void vuart_reset(struct vuart *u)
{
	u->ier = u->lcr = u->mcr = u->scr = u->dll = u->dlm = u->fcr = 0;
	u->thri = false;
	vuart_sync(u);
}

/* In-core 16550 model: registers as a guest's polled driver uses them (PC16550D data sheet
 * register map). Output a line at a time on Keel's console; input polled from the console-input
 * router (LSR.DR, RBR); no interrupts yet. */
#include <keel/vuart.h>
#include <keel/console_in.h>
#include <keel/printk.h>

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
#define LCR_DLAB 0x80
#define LSR_IDLE 0x60 /* THRE | TEMT: always ready to send */
#define LSR_DR 0x01   /* a received byte waits in RBR */
#define MSR_IDLE 0xb0 /* DCD | DSR | CTS */
#define IIR_NONE 0xc1 /* FIFOs on, no interrupt pending */

void vuart_flush(struct vuart *u)
{
	if (!u->len)
		return;
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

static u8 vuart_rbr(struct vuart *u)
{
	int c = u->input ? console_in_getc(u->partition) : -1;
	return c < 0 ? 0 : (u8)c;
}

static u8 vuart_lsr(struct vuart *u)
{
	return LSR_IDLE | (u->input && console_in_pending(u->partition) ? LSR_DR : 0);
}

static u64 vuart_read(void *dev, struct vcpu *v, u64 off, unsigned size)
{
	struct vuart *u = dev;
	bool dlab = u->lcr & LCR_DLAB;
	(void)v;
	(void)size;
	switch (off) {
	case RBR_THR: return dlab ? u->dll : vuart_rbr(u);
	case IER: return dlab ? u->dlm : u->ier;
	case IIR_FCR: return IIR_NONE;
	case LCR: return u->lcr;
	case MCR: return u->mcr;
	case LSR: return vuart_lsr(u);
	case MSR: return MSR_IDLE;
	default: return u->scr;
	}
}

static void vuart_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	struct vuart *u = dev;
	bool dlab = u->lcr & LCR_DLAB;
	u8 b = (u8)val;
	(void)v;
	(void)size;
	switch (off) {
	case RBR_THR:
		if (dlab)
			u->dll = b;
		else
			vuart_putc(u, (char)b);
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

const struct region_ops vuart_ops = { vuart_read, vuart_write };

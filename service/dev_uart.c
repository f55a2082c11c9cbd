/* The `uart16550` model: a PC16550D with 16-byte FIFOs (register descriptions from the National
 * PC16550D data sheet, register descriptions). Transmission is instantaneous: THR bytes go to Keel's console
 * with KEEL_HC_CONSOLE_WRITE, batched; received bytes come from KEEL_HC_CONSOLE_READ; the
 * interrupt output drives the device's IOAPIC pin with KEEL_HC_IRQ, as a level. */
#include <stdlib.h>
#include <string.h>
#include "svc.h"
#include "uart.h"

struct uart {
	struct svc_dev *dev;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t fcr;        /* FIFO enable, DMA mode and trigger bits as last programmed */
	uint8_t lsr_err;    /* OE/PE/FE/BI, until LSR is read */
	uint8_t msr_delta;  /* DCTS/DDSR/TERI/DDCD, until MSR is read */
	uint8_t rx[UART_FIFO_SIZE];
	uint8_t rx_head, rx_len;
	uint8_t pend[UART_RX_CHUNK]; /* console input not yet "on the wire" into the FIFO */
	uint8_t pend_head, pend_len;
	bool thri;          /* THRE interrupt pending (cleared by an IIR read or a THR write) */
	bool timeout;       /* character timeout indication (FIFO mode) */
	bool level;         /* the pin level last sent with KEEL_HC_IRQ */
	bool rx_off;        /* not the console's UART, or Keel refused KEEL_HC_CONSOLE_READ */
	bool tx_warned, irq_warned;
	uint8_t tx[UART_TX_BATCH];
	uint32_t tx_len, tx_age, idle_count, lsr_polls;
	struct uart_stats st;
};

static int uart_init(struct svc_dev *d)
{
	struct uart *u = calloc(1, sizeof(*u));

	if (!u)
		return -1;
	u->dev = d;
	u->rx_off = d->desc.kind != KEEL_RING_PIO || d->desc.base != UART_CONSOLE_PORT;
	d->state = u;
	return 0;
}

const struct uart_stats *uart_stats(const struct svc_dev *d)
{
	return &((const struct uart *)d->state)->st;
}

static bool uart_fifo_on(const struct uart *u) { return u->fcr & UART_FCR_ENABLE; }
static bool uart_loop(const struct uart *u) { return u->mcr & UART_MCR_LOOP; }

/* RCVR FIFO trigger levels, FCR bits 7:6. */
static unsigned uart_trigger(const struct uart *u)
{
	static const uint8_t level[4] = { 1, 4, 8, 14 };

	return uart_fifo_on(u) ? level[u->fcr >> 6] : 1;
}

static unsigned uart_rx_cap(const struct uart *u)
{
	return uart_fifo_on(u) ? UART_FIFO_SIZE : 1; /* 16450 mode: one holding register */
}

/* Modem inputs: a connected terminal (CTS, DSR, DCD) or, in loopback, the outputs (MCR bit 4). */
static uint8_t uart_msr_lines(const struct uart *u)
{
	uint8_t m = u->mcr;

	if (!uart_loop(u))
		return UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	return (uint8_t)((m & UART_MCR_RTS ? UART_MSR_CTS : 0) | (m & UART_MCR_DTR ? UART_MSR_DSR : 0) |
			 (m & UART_MCR_OUT1 ? UART_MSR_RI : 0) | (m & UART_MCR_OUT2 ? UART_MSR_DCD : 0));
}

static void uart_rx_push(struct uart *u, uint8_t b)
{
	if (u->rx_len == uart_rx_cap(u)) {
		/* Overrun (LSR bit 1): a full FIFO keeps its bytes and loses the new one; the
		 * 16450-mode holding register is overwritten. */
		u->lsr_err |= UART_LSR_OE;
		u->st.rx_overrun++;
		if (!uart_fifo_on(u))
			u->rx[u->rx_head] = b;
		return;
	}
	u->rx[(u->rx_head + u->rx_len) % UART_FIFO_SIZE] = b;
	u->rx_len++;
	u->timeout = false;
}

/* The highest-priority pending interrupt (Table IV), without side effects. */
static uint8_t uart_iir_id(const struct uart *u)
{
	if ((u->ier & UART_IER_RLSI) && (u->lsr_err & UART_LSR_ERRORS))
		return UART_IIR_RLS;
	if ((u->ier & UART_IER_RDI) && u->rx_len >= uart_trigger(u))
		return UART_IIR_RDA;
	if ((u->ier & UART_IER_RDI) && uart_fifo_on(u) && u->timeout && u->rx_len)
		return UART_IIR_CTI;
	if ((u->ier & UART_IER_THRI) && u->thri)
		return UART_IIR_THRE;
	if ((u->ier & UART_IER_MSI) && u->msr_delta)
		return UART_IIR_MS;
	return UART_IIR_NONE;
}

/* On a PC the INTR output reaches the interrupt controller only while OUT2 is set, and loopback
 * holds OUT2's pin inactive (MCR bit 4). */
static void uart_irq_sync(struct uart *u)
{
	struct svc_dev *d = u->dev;
	bool want = uart_iir_id(u) != UART_IIR_NONE && (u->mcr & UART_MCR_OUT2) && !uart_loop(u);
	struct svc_hc r;

	if (want == u->level || d->desc.irq == UART_NO_IRQ)
		return;
	u->level = want;
	u->st.irq_changes++;
	r = svc_hcall(d->svc, KEEL_HC_IRQ, d->desc.partition, d->desc.irq, want);
	if (r.status != KEEL_OK && !u->irq_warned) {
		u->irq_warned = true;
		svc_log(d->svc, "svc: uart of partition %u: KEEL_HC_IRQ pin %u refused (status %llu)",
			d->desc.partition, d->desc.irq, (unsigned long long)r.status);
	}
}

static void uart_tx_flush(struct uart *u)
{
	struct svc_dev *d = u->dev;
	struct svc_hc r;

	if (!u->tx_len)
		return;
	r = svc_hcall(d->svc, KEEL_HC_CONSOLE_WRITE, d->desc.partition, (uintptr_t)u->tx, u->tx_len);
	u->st.tx_calls++;
	if (r.status != KEEL_OK) {
		u->st.tx_dropped += u->tx_len;
		if (!u->tx_warned)
			svc_log(d->svc, "svc: uart of partition %u: KEEL_HC_CONSOLE_WRITE refused "
				"(status %llu): its output is dropped", d->desc.partition,
				(unsigned long long)r.status);
		u->tx_warned = true;
	}
	u->tx_len = 0;
	u->tx_age = 0;
}

static void uart_tx_byte(struct uart *u, uint8_t b)
{
	u->tx[u->tx_len++] = b;
	u->tx_age = 0;
	u->st.tx_bytes++;
	if (b == '\n' || u->tx_len == UART_TX_BATCH)
		uart_tx_flush(u);
}

/* Console input arrives over the line as the RCVR FIFO (or holding register) has room, so it
 * never overruns. */
static void uart_rx_feed(struct uart *u)
{
	while (u->pend_len && u->rx_len < uart_rx_cap(u)) {
		uart_rx_push(u, u->pend[u->pend_head++]);
		u->pend_len--;
	}
}

/* Asks Keel for console input when none is pending; a poll that brings nothing while bytes wait
 * in the FIFO is the character timeout (IIR: no input for four character times). */
static void uart_rx_poll(struct uart *u)
{
	struct svc_dev *d = u->dev;
	struct svc_hc r;
	unsigned n;

	if (u->rx_off || uart_loop(u))
		return;
	if (!u->pend_len) {
		r = svc_hcall(d->svc, KEEL_HC_CONSOLE_READ, d->desc.partition, 0, 0);
		u->st.rx_calls++;
		if (r.status != KEEL_OK) {
			u->rx_off = true;
			svc_log(d->svc, "svc: uart of partition %u: KEEL_HC_CONSOLE_READ refused "
				"(status %llu): no console input", d->desc.partition,
				(unsigned long long)r.status);
			return;
		}
		n = r.rcx < UART_RX_CHUNK ? (unsigned)r.rcx : UART_RX_CHUNK;
		for (unsigned i = 0; i < n; i++)
			u->pend[i] = (uint8_t)(r.rbx >> (8 * i));
		u->pend_head = 0;
		u->pend_len = (uint8_t)n;
		u->st.rx_bytes += n;
		if (!n && u->rx_len)
			u->timeout = true;
	}
	uart_rx_feed(u);
}

static uint8_t uart_rbr_read(struct uart *u)
{
	uint8_t b;

	if (!u->rx_len)
		return 0;
	b = u->rx[u->rx_head];
	u->rx_head = (uint8_t)((u->rx_head + 1) % UART_FIFO_SIZE);
	u->rx_len--;
	u->timeout = false; /* reading a character restarts the timeout (IIR) */
	uart_rx_feed(u);
	return b;
}

static uint8_t uart_iir_read(struct uart *u)
{
	uint8_t id = uart_iir_id(u);

	if (id == UART_IIR_THRE)
		u->thri = false;
	return (uint8_t)(id | (uart_fifo_on(u) ? UART_IIR_FIFO_ON : 0));
}

static uint8_t uart_lsr_read(struct uart *u)
{
	uint8_t v;

	if (!u->rx_len && (u->pend_len || ++u->lsr_polls >= UART_RX_POLL_LSR)) {
		u->lsr_polls = 0;
		uart_rx_poll(u);
	}
	v = (uint8_t)(u->lsr_err | UART_LSR_THRE | UART_LSR_TEMT | (u->rx_len ? UART_LSR_DR : 0));
	u->lsr_err = 0;
	return v;
}

static uint8_t uart_msr_read(struct uart *u)
{
	uint8_t v = (uint8_t)(uart_msr_lines(u) | u->msr_delta);

	u->msr_delta = 0;
	return v;
}

static uint8_t uart_reg_read(struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR: return dlab ? u->dll : uart_rbr_read(u);
	case UART_IER: return dlab ? u->dlm : u->ier;
	case UART_IIR: return uart_iir_read(u);
	case UART_LCR: return u->lcr;
	case UART_MCR: return u->mcr;
	case UART_LSR: return uart_lsr_read(u);
	case UART_MSR: return uart_msr_read(u);
	default: return u->scr;
	}
}

/* A THR write empties into the shift register and out at once: the THRE interrupt clears on
 * the write and sets again when the transmitter is empty (IIR), so an edge reaches the pin. */
static void uart_thr_write(struct uart *u, uint8_t b)
{
	u->thri = false;
	uart_irq_sync(u);
	if (uart_loop(u))
		uart_rx_push(u, b);
	else
		uart_tx_byte(u, b);
	u->thri = true;
}

static void uart_ier_write(struct uart *u, uint8_t v)
{
	v &= UART_IER_MASK;
	if ((v & ~u->ier & UART_IER_THRI))
		u->thri = true; /* enabling ETBEI while THR is empty raises the interrupt */
	u->ier = v;
}

/* FCR: bit 0 must be set for the other bits to be written; changing it clears both
 * FIFOs; bits 1 and 2 reset the RCVR and XMIT FIFOs and clear themselves. */
static void uart_fcr_write(struct uart *u, uint8_t v)
{
	if ((v ^ u->fcr) & UART_FCR_ENABLE) {
		u->rx_len = 0;
		u->timeout = false;
	}
	if (!(v & UART_FCR_ENABLE)) {
		u->fcr = 0;
		return;
	}
	if (v & UART_FCR_CLEAR_RX) {
		u->rx_len = 0;
		u->timeout = false;
	}
	u->fcr = v & UART_FCR_KEPT;
}

static void uart_mcr_write(struct uart *u, uint8_t v)
{
	uint8_t old = uart_msr_lines(u), now;

	u->mcr = v & UART_MCR_MASK;
	now = uart_msr_lines(u);
	if ((old ^ now) & UART_MSR_CTS)
		u->msr_delta |= UART_MSR_DCTS;
	if ((old ^ now) & UART_MSR_DSR)
		u->msr_delta |= UART_MSR_DDSR;
	if ((old & ~now) & UART_MSR_RI)
		u->msr_delta |= UART_MSR_TERI;
	if ((old ^ now) & UART_MSR_DCD)
		u->msr_delta |= UART_MSR_DDCD;
}

static void uart_reg_write(struct uart *u, unsigned reg, uint8_t v)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_THR:
		if (dlab)
			u->dll = v;
		else
			uart_thr_write(u, v);
		break;
	case UART_IER:
		if (dlab)
			u->dlm = v;
		else
			uart_ier_write(u, v);
		break;
	case UART_FCR: uart_fcr_write(u, v); break;
	case UART_LCR: u->lcr = v; break;
	case UART_MCR: uart_mcr_write(u, v); break;
	case UART_SCR: u->scr = v; break;
	default: break; /* LSR and MSR are read-only here */
	}
}

/* An 8-bit part on a byte-wide bus: wider accesses are consecutive byte accesses; offsets
 * past the eight registers float (read all-ones). */
static uint64_t uart_read(struct svc_dev *d, uint64_t off, unsigned size)
{
	struct uart *u = d->state;
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++) {
		uint64_t b = off + i < UART_NREGS ? uart_reg_read(u, (unsigned)(off + i)) : 0xff;

		v |= b << (8 * i);
		uart_irq_sync(u);
	}
	return v;
}

static void uart_write(struct svc_dev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct uart *u = d->state;

	for (unsigned i = 0; i < size && off + i < UART_NREGS; i++) {
		uart_reg_write(u, (unsigned)(off + i), (uint8_t)(val >> (8 * i)));
		uart_irq_sync(u);
	}
}

/* Output waits at most UART_TX_AGE idle passes (or until the loop sleeps); input is polled every
 * UART_RX_POLL_IDLE passes while the guest takes receive interrupts. */
static void uart_idle(struct svc_dev *d, enum svc_idle how)
{
	struct uart *u = d->state;

	if (how == SVC_IDLE_SLEEP || ++u->tx_age >= UART_TX_AGE)
		uart_tx_flush(u);
	if (!(u->ier & UART_IER_RDI))
		return;
	if (how == SVC_IDLE_SLEEP || ++u->idle_count >= UART_RX_POLL_IDLE) {
		u->idle_count = 0;
		uart_rx_poll(u);
		uart_irq_sync(u);
	}
}

/* A guest waiting for receive interrupts needs input polled: the loop must not halt. */
static bool uart_busy(struct svc_dev *d)
{
	struct uart *u = d->state;

	return (u->ier & UART_IER_RDI) && !u->rx_off;
}

const struct svc_model svc_model_uart16550 = {
	.name = "uart16550",
	.init = uart_init,
	.read = uart_read,
	.write = uart_write,
	.idle = uart_idle,
	.busy = uart_busy,
};

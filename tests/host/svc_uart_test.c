/* The uart16550 model (service/dev_uart.c) against the PC16550D data sheet's register
 * descriptions (National Semiconductor: Tables II-IV and each register's description). Expected values
 * are the data sheet's bit definitions, not the model's code. Two facts come from elsewhere: the
 * PC wiring (INTR reaches the interrupt controller only with MCR.OUT2) and Linux's 8250 probe,
 * which expects MSR & 0xf0 == 0x90 with MCR = LOOP | RTS | OUT2. */
#include <stdlib.h>
#include <string.h>
#include "svc_fake.h"
#include "service/uart.h"

static const char *suite = "svc_uart";

struct ut {
	struct fake f;
	struct svc_dev d;
	struct tc t;
};

static struct ut U;

#define PART 1
#define PIN 4

static struct ut *ut_setup(const char *name, uint8_t irq)
{
	struct ut *u = &U;

	fk_init(&u->f);
	tc_begin(&u->t, suite, name);
	if (fk_dev(&u->f, &u->d, "uart16550", PART, KEEL_RING_PIO, 0x3f8, 8, irq))
		tc_fail(&u->t, __FILE__, __LINE__, "no uart16550 model");
	return u;
}

static int ut_done(struct ut *u)
{
	free(u->d.state);
	return tc_end(&u->t);
}

static uint8_t rd(struct ut *u, unsigned reg) { return (uint8_t)u->d.model->read(&u->d, reg, 1); }
static void wr(struct ut *u, unsigned reg, uint8_t v) { u->d.model->write(&u->d, reg, 1, v); }
static void idle(struct ut *u, enum svc_idle how) { u->d.model->idle(&u->d, how); }
static void put(struct ut *u, const char *s)
{
	while (*s)
		wr(u, UART_THR, (uint8_t)*s++);
}

/* The IRQ levels sent so far, as a string of '0'/'1'; every call must name our pin. */
static const char *irqs(struct ut *u)
{
	static char s[FK_IRQS + 1];

	for (unsigned i = 0; i < u->f.nirq && i < FK_IRQS; i++) {
		s[i] = (char)('0' + u->f.irq[i].level);
		if (u->f.irq[i].partition != PART || u->f.irq[i].pin != PIN)
			s[i] = '?';
	}
	s[u->f.nirq < FK_IRQS ? u->f.nirq : FK_IRQS] = 0;
	return s;
}

/* Reads LSR until DR shows (the model asks Keel for input every few empty reads). */
static uint8_t lsr_wait_dr(struct ut *u)
{
	uint8_t lsr = 0;

	for (int i = 0; i < 64 && !(lsr & UART_LSR_DR); i++)
		lsr = rd(u, UART_LSR);
	return lsr;
}

/* Table III reset values: IER 0, IIR 1 (no interrupt, no FIFOs), LCR 0, MCR 0, LSR 0x60
 * (THRE and TEMT); MSR bits 3:0 clear. */
static int case_reset(void)
{
	struct ut *u = ut_setup("reset-values", PIN);
	uint8_t ier = rd(u, UART_IER), iir = rd(u, UART_IIR), lcr = rd(u, UART_LCR);
	uint8_t mcr = rd(u, UART_MCR), lsr = rd(u, UART_LSR), msr = rd(u, UART_MSR);

	TC_CHECK(&u->t, ier == 0 && iir == 0x01 && lcr == 0 && mcr == 0 && lsr == 0x60 && !(msr & 0x0f),
		 "ier %#x iir %#x lcr %#x mcr %#x lsr %#x msr %#x", ier, iir, lcr, mcr, lsr, msr);
	TC_CHECK(&u->t, u->f.nirq == 0, "IRQ calls at reset: %s", irqs(u));
	return ut_done(u);
}

/* LCR bit 7 (DLAB) switches offsets 0 and 1 to the divisor latch (Table II). */
static int case_dlab(void)
{
	struct ut *u = ut_setup("dlab-divisor-latch", PIN);
	uint8_t dll, dlm, ier;

	wr(u, UART_IER, 0x05);
	wr(u, UART_LCR, 0x83);
	wr(u, UART_DLL, 0x0c);
	wr(u, UART_DLM, 0x01);
	dll = rd(u, UART_DLL);
	dlm = rd(u, UART_DLM);
	TC_CHECK(&u->t, rd(u, UART_LCR) == 0x83, "LCR does not read back");
	wr(u, UART_LCR, 0x03);
	ier = rd(u, UART_IER);
	TC_CHECK(&u->t, dll == 0x0c && dlm == 0x01 && ier == 0x05, "dll %#x dlm %#x ier %#x", dll,
		 dlm, ier);
	TC_CHECK(&u->t, u->f.write_calls == 0 && u->f.out_len[PART] == 0, "a DLL write was sent");
	wr(u, UART_LCR, 0x80);
	TC_CHECK(&u->t, rd(u, UART_DLL) == 0x0c, "divisor lost");
	return ut_done(u);
}

/* The scratch register holds any byte; IER bits 7:4 are always 0. */
static int case_scratch_ier(void)
{
	struct ut *u = ut_setup("scratch-and-ier-bits", PIN);

	for (unsigned v = 0; v < 256; v++) {
		wr(u, UART_SCR, (uint8_t)v);
		TC_CHECK(&u->t, rd(u, UART_SCR) == v, "scratch %#x reads %#x", v, rd(u, UART_SCR));
	}
	wr(u, UART_IER, 0xf0);
	TC_CHECK(&u->t, rd(u, UART_IER) == 0, "IER 0xf0 reads %#x", rd(u, UART_IER));
	return ut_done(u);
}

/* FCR bit 0 enables the FIFOs; IIR bits 7:6 are set while they are on (Table IV). */
static int case_fifo_iir(void)
{
	struct ut *u = ut_setup("fcr-fifo-enable-iir", PIN);
	uint8_t on, off;

	wr(u, UART_FCR, 0x01);
	on = rd(u, UART_IIR);
	wr(u, UART_FCR, 0x00);
	off = rd(u, UART_IIR);
	TC_CHECK(&u->t, on == 0xc1 && off == 0x01, "iir with FIFOs %#x without %#x", on, off);
	return ut_done(u);
}

/* THR bytes reach Keel's console: a line per call, a partial line when the loop sleeps, long
 * output in batches. LSR keeps THRE and TEMT (transmission is instantaneous). */
static int case_tx(void)
{
	struct ut *u = ut_setup("tx-to-console", PIN);
	char big[200];

	wr(u, UART_LCR, 0x03);
	put(u, "hello\n");
	TC_CHECK(&u->t, u->f.write_calls == 1 && u->f.out_len[PART] == 6 &&
		 !memcmp(u->f.out[PART], "hello\n", 6), "calls %llu out '%.*s'",
		 (unsigned long long)u->f.write_calls, (int)u->f.out_len[PART], u->f.out[PART]);
	put(u, "abc");
	TC_CHECK(&u->t, u->f.out_len[PART] == 6, "a partial line went out before the loop idled");
	TC_CHECK(&u->t, (rd(u, UART_LSR) & 0x60) == 0x60, "THRE/TEMT not set after writes");
	idle(u, SVC_IDLE_SLEEP);
	TC_CHECK(&u->t, u->f.out_len[PART] == 9 && !memcmp(u->f.out[PART] + 6, "abc", 3),
		 "partial line not flushed on sleep");
	memset(big, 'x', sizeof(big));
	for (size_t i = 0; i < sizeof(big); i++)
		wr(u, UART_THR, (uint8_t)big[i]);
	idle(u, SVC_IDLE_SLEEP);
	TC_CHECK(&u->t, u->f.out_len[PART] == 209 && !memcmp(u->f.out[PART] + 9, big, sizeof(big)),
		 "out %zu bytes", u->f.out_len[PART]);
	TC_CHECK(&u->t, u->f.write_max <= 256 && u->f.write_calls <= 2 + sizeof(big) / 16,
		 "%llu calls for %zu bytes, longest %llu", (unsigned long long)u->f.write_calls,
		 u->f.out_len[PART], (unsigned long long)u->f.write_max);
	return ut_done(u);
}

/* A partial line also goes out after enough idle passes of a spinning loop. */
static int case_tx_age(void)
{
	struct ut *u = ut_setup("tx-partial-line-ages-out", PIN);
	int passes = 0;

	put(u, "$ ");
	while (u->f.out_len[PART] == 0 && passes < 100000) {
		idle(u, SVC_IDLE_SPIN);
		passes++;
	}
	TC_CHECK(&u->t, u->f.out_len[PART] == 2 && passes > 1, "after %d spins out %zu", passes,
		 u->f.out_len[PART]);
	return ut_done(u);
}

/* Received bytes show as LSR.DR (bit 0) and come out of RBR in order. */
static int case_rx_basic(void)
{
	struct ut *u = ut_setup("rx-lsr-dr-rbr", PIN);
	uint8_t l1, b1, l2, b2, l3;

	fk_input(&u->f, PART, "xy", 2);
	wr(u, UART_FCR, 0x07);
	l1 = lsr_wait_dr(u);
	b1 = rd(u, UART_RBR);
	l2 = rd(u, UART_LSR);
	b2 = rd(u, UART_RBR);
	l3 = rd(u, UART_LSR);
	TC_CHECK(&u->t, (l1 & 1) && b1 == 'x' && (l2 & 1) && b2 == 'y' && !(l3 & 1) &&
		 (l3 & 0x60) == 0x60, "lsr %#x rbr %#x lsr %#x rbr %#x lsr %#x", l1, b1, l2, b2, l3);
	return ut_done(u);
}

/* 16450 mode (FIFOs off): one holding register; nothing is lost, nothing overruns. */
static int case_rx_16450(void)
{
	struct ut *u = ut_setup("rx-16450-mode-in-order", PIN);
	const char *text = "a line of console input\n";
	char got[64] = { 0 };
	size_t n = 0;

	fk_input(&u->f, PART, text, strlen(text));
	while (n < strlen(text) && (lsr_wait_dr(u) & UART_LSR_DR)) {
		uint8_t lsr = rd(u, UART_LSR);

		TC_CHECK(&u->t, !(lsr & UART_LSR_OE), "overrun at byte %zu", n);
		got[n++] = (char)rd(u, UART_RBR);
	}
	TC_CHECK(&u->t, !strcmp(got, text), "got '%s'", got);
	return ut_done(u);
}

/* With FIFOs on, input waits while the FIFO is full and is never lost (no OE). */
static int case_rx_fifo_full(void)
{
	struct ut *u = ut_setup("rx-fifo-full-no-loss", PIN);
	char text[41], got[41] = { 0 };
	size_t n = 0;
	uint8_t lsr = 0;

	for (int i = 0; i < 40; i++)
		text[i] = (char)('A' + i % 26);
	text[40] = 0;
	fk_input(&u->f, PART, text, 40);
	wr(u, UART_FCR, 0x01);
	for (int i = 0; i < 20; i++)
		idle(u, SVC_IDLE_SLEEP);
	wr(u, UART_IER, UART_IER_RDI);
	for (int i = 0; i < 20; i++)
		idle(u, SVC_IDLE_SLEEP);
	while (n < 40 && ((lsr = lsr_wait_dr(u)) & UART_LSR_DR)) {
		TC_CHECK(&u->t, !(lsr & UART_LSR_OE), "overrun at byte %zu", n);
		got[n++] = (char)rd(u, UART_RBR);
	}
	TC_CHECK(&u->t, !strcmp(got, text) && uart_stats(&u->d)->rx_overrun == 0, "got '%s'", got);
	return ut_done(u);
}

/* RDA (IIR 0x04) when the FIFO reaches its trigger level (FCR bits 7:6 = 10 is 8
 * bytes), cleared when it drops below; the pin follows while MCR.OUT2 is set. */
static int case_rda_trigger(void)
{
	struct ut *u = ut_setup("rda-trigger-level-irq", PIN);
	uint8_t iir_full, iir_less;

	fk_input(&u->f, PART, "0123456789", 10);
	u->f.read_chunk = 8;
	wr(u, UART_FCR, 0x81);
	wr(u, UART_MCR, UART_MCR_OUT2);
	wr(u, UART_IER, UART_IER_RDI);
	idle(u, SVC_IDLE_SLEEP);
	iir_full = rd(u, UART_IIR);
	TC_CHECK(&u->t, rd(u, UART_RBR) == '0', "first byte");
	iir_less = rd(u, UART_IIR);
	TC_CHECK(&u->t, iir_full == 0xc4 && iir_less == 0xc1, "iir at 8 bytes %#x at 7 %#x",
		 iir_full, iir_less);
	TC_CHECK(&u->t, !strcmp(irqs(u), "10"), "irq levels %s", irqs(u));
	return ut_done(u);
}

/* Character timeout (IIR 0x0c): bytes below the trigger level and no new input; reading a
 * byte clears it (IIR). */
static int case_timeout(void)
{
	struct ut *u = ut_setup("character-timeout", PIN);
	uint8_t before, after_quiet, after_read;

	fk_input(&u->f, PART, "abc", 3);
	wr(u, UART_FCR, 0xc1);
	wr(u, UART_MCR, UART_MCR_OUT2);
	wr(u, UART_IER, UART_IER_RDI);
	idle(u, SVC_IDLE_SLEEP);
	before = rd(u, UART_IIR);
	idle(u, SVC_IDLE_SLEEP);
	after_quiet = rd(u, UART_IIR);
	TC_CHECK(&u->t, rd(u, UART_RBR) == 'a', "first byte");
	after_read = rd(u, UART_IIR);
	TC_CHECK(&u->t, before == 0xc1 && after_quiet == 0xcc && after_read == 0xc1,
		 "iir %#x then %#x then %#x", before, after_quiet, after_read);
	TC_CHECK(&u->t, !strcmp(irqs(u), "10"), "irq levels %s", irqs(u));
	return ut_done(u);
}

/* THRE (IIR 0x02): raised when ETBEI is enabled with THR empty, cleared by reading IIR, raised
 * again after each THR write; a write drops INTR until the transmitter is empty again, which
 * makes the edge an edge-triggered pin needs. */
static int case_thre(void)
{
	struct ut *u = ut_setup("thre-interrupt", PIN);
	uint8_t i1, i2, i3;

	wr(u, UART_MCR, UART_MCR_OUT2);
	wr(u, UART_IER, UART_IER_THRI);
	i1 = rd(u, UART_IIR);
	i2 = rd(u, UART_IIR);
	wr(u, UART_THR, 'z');
	i3 = rd(u, UART_IIR);
	TC_CHECK(&u->t, i1 == 0x02 && i2 == 0x01 && i3 == 0x02, "iir %#x %#x %#x", i1, i2, i3);
	wr(u, UART_THR, 'y');
	wr(u, UART_THR, 'x');
	TC_CHECK(&u->t, !strcmp(irqs(u), "1010101"), "irq levels %s", irqs(u));
	return ut_done(u);
}

/* On a PC, INTR reaches the interrupt controller only while MCR.OUT2 is set. */
static int case_out2(void)
{
	struct ut *u = ut_setup("out2-gates-the-pin", PIN);

	wr(u, UART_IER, UART_IER_THRI);
	TC_CHECK(&u->t, rd(u, UART_IIR) == 0x02 && u->f.nirq == 0, "interrupt without OUT2: %s",
		 irqs(u));
	wr(u, UART_IER, 0);
	wr(u, UART_MCR, UART_MCR_OUT2);
	wr(u, UART_IER, UART_IER_THRI);
	wr(u, UART_MCR, 0);
	TC_CHECK(&u->t, !strcmp(irqs(u), "10"), "irq levels %s", irqs(u));
	return ut_done(u);
}

/* A device without a pin (0xff) never calls KEEL_HC_IRQ. */
static int case_no_pin(void)
{
	struct ut *u = ut_setup("no-pin-no-irq-calls", UART_NO_IRQ);

	wr(u, UART_MCR, UART_MCR_OUT2);
	wr(u, UART_IER, 0x0f);
	put(u, "x\n");
	TC_CHECK(&u->t, u->f.calls[KEEL_HC_IRQ] == 0, "%llu IRQ calls",
		 (unsigned long long)u->f.calls[KEEL_HC_IRQ]);
	return ut_done(u);
}

/* Loopback (MCR bit 4): MSR's inputs follow MCR (CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2) with their
 * delta bits (TERI on RI's trailing edge); THR goes to RBR, not to the console; the pin stays
 * quiet. */
static int case_loopback(void)
{
	struct ut *u = ut_setup("loopback-msr-and-data", PIN);
	uint8_t m1, m2, m3, m4;

	wr(u, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT2);
	m1 = rd(u, UART_MSR);
	m2 = rd(u, UART_MSR);
	wr(u, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
	m3 = rd(u, UART_MSR);
	wr(u, UART_MCR, UART_MCR_LOOP);
	m4 = rd(u, UART_MSR);
	TC_CHECK(&u->t, (m1 & 0xf0) == 0x90 && m1 == 0x92 && m2 == 0x90 && m3 == 0x6b && m4 == 0x06,
		 "msr %#x %#x %#x %#x", m1, m2, m3, m4);
	wr(u, UART_IER, UART_IER_RDI | UART_IER_THRI);
	wr(u, UART_THR, 'Q');
	TC_CHECK(&u->t, (rd(u, UART_LSR) & 1) && rd(u, UART_RBR) == 'Q' && u->f.out_len[PART] == 0,
		 "loopback byte did not come back");
	TC_CHECK(&u->t, u->f.nirq == 0, "irq in loopback: %s", irqs(u));
	return ut_done(u);
}

/* Overrun in 16450 mode: the holding register is overwritten, LSR.OE set until LSR is read,
 * and the receiver line status interrupt (IIR 0x06) shows it. */
static int case_overrun(void)
{
	struct ut *u = ut_setup("overrun-lsr-oe-rls", PIN);
	uint8_t iir, lsr1, lsr2, rbr;

	wr(u, UART_MCR, UART_MCR_LOOP);
	wr(u, UART_IER, UART_IER_RLSI);
	wr(u, UART_THR, '1');
	wr(u, UART_THR, '2');
	iir = rd(u, UART_IIR);
	lsr1 = rd(u, UART_LSR);
	lsr2 = rd(u, UART_LSR);
	rbr = rd(u, UART_RBR);
	TC_CHECK(&u->t, iir == 0x06 && lsr1 == 0x63 && lsr2 == 0x61 && rbr == '2' &&
		 rd(u, UART_IIR) == 0x01, "iir %#x lsr %#x then %#x rbr %#x", iir, lsr1, lsr2, rbr);
	return ut_done(u);
}

/* Table IV's priorities with all four sources pending: line status, received data, THRE,
 * modem status; each cleared by its own action. */
static int case_priority(void)
{
	struct ut *u = ut_setup("interrupt-priorities", PIN);
	uint8_t seq[6];

	wr(u, UART_FCR, 0x01);
	wr(u, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS);
	for (int i = 0; i < 17; i++)
		wr(u, UART_THR, (uint8_t)i);
	wr(u, UART_IER, 0x0f);
	seq[0] = rd(u, UART_IIR);
	(void)rd(u, UART_LSR);
	seq[1] = rd(u, UART_IIR);
	for (int i = 0; i < 16; i++)
		(void)rd(u, UART_RBR);
	seq[2] = rd(u, UART_IIR);
	seq[3] = rd(u, UART_IIR);
	(void)rd(u, UART_MSR);
	seq[4] = rd(u, UART_IIR);
	TC_CHECK(&u->t, seq[0] == 0xc6 && seq[1] == 0xc4 && seq[2] == 0xc2 && seq[3] == 0xc0 &&
		 seq[4] == 0xc1, "iir %#x %#x %#x %#x %#x", seq[0], seq[1], seq[2], seq[3], seq[4]);
	return ut_done(u);
}

/* FCR bit 1 clears the RCVR FIFO; switching FIFOs off clears it too (FCR). */
static int case_fcr_clear(void)
{
	struct ut *u = ut_setup("fcr-clears-rx-fifo", PIN);
	uint8_t a, b;

	wr(u, UART_FCR, 0x01);
	wr(u, UART_MCR, UART_MCR_LOOP);
	put(u, "ab");
	a = rd(u, UART_LSR);
	wr(u, UART_FCR, 0x03);
	b = rd(u, UART_LSR);
	put(u, "c");
	wr(u, UART_FCR, 0x00);
	TC_CHECK(&u->t, (a & 1) && !(b & 1) && !(rd(u, UART_LSR) & 1), "lsr %#x %#x", a, b);
	return ut_done(u);
}

/* An 8-bit part on a byte-wide bus: a wider access is consecutive bytes; past offset 7 floats. */
static int case_wide(void)
{
	struct ut *u = ut_setup("wide-access-bytewise", PIN);
	uint64_t w, l;

	wr(u, UART_LCR, 0x03);
	wr(u, UART_MCR, 0x03);
	wr(u, UART_SCR, 0x5a);
	w = u->d.model->read(&u->d, UART_LCR, 2);
	l = u->d.model->read(&u->d, UART_MSR, 4);
	u->d.model->write(&u->d, UART_SCR, 2, 0x77a5);
	TC_CHECK(&u->t, w == 0x0303 && l == 0xffff5ab0 && rd(u, UART_SCR) == 0xa5,
		 "lcr|mcr %#llx msr.. %#llx scr %#x", (unsigned long long)w, (unsigned long long)l,
		 rd(u, UART_SCR));
	return ut_done(u);
}

/* Keel refusing the console calls: output is dropped and counted with one log line; input
 * stops being asked for. */
static int case_refused(void)
{
	struct ut *u = ut_setup("console-calls-refused", PIN);
	uint64_t reads;

	u->f.status[KEEL_HC_CONSOLE_WRITE] = KEEL_EPERM;
	u->f.status[KEEL_HC_CONSOLE_READ] = KEEL_ENOSYS;
	put(u, "one\ntwo\n");
	for (int i = 0; i < 16; i++)
		(void)rd(u, UART_LSR);
	reads = u->f.calls[KEEL_HC_CONSOLE_READ];
	for (int i = 0; i < 64; i++)
		(void)rd(u, UART_LSR);
	TC_CHECK(&u->t, uart_stats(&u->d)->tx_dropped == 8 && fk_logged(&u->f, "CONSOLE_WRITE") == 1,
		 "dropped %llu, %u log lines", (unsigned long long)uart_stats(&u->d)->tx_dropped,
		 fk_logged(&u->f, "CONSOLE_WRITE"));
	TC_CHECK(&u->t, reads == 1 && u->f.calls[KEEL_HC_CONSOLE_READ] == 1 &&
		 fk_logged(&u->f, "CONSOLE_READ") == 1, "console reads %llu then %llu",
		 (unsigned long long)reads, (unsigned long long)u->f.calls[KEEL_HC_CONSOLE_READ]);
	return ut_done(u);
}

/* Only the console's UART (COM1) takes the partition's console input; another one (COM2 here)
 * still sends its output there. */
static int case_com2(void)
{
	struct ut *u = &U;
	struct tc *t = &u->t;

	fk_init(&u->f);
	tc_begin(t, suite, "com2-output-only");
	if (fk_dev(&u->f, &u->d, "uart16550", PART, KEEL_RING_PIO, 0x2f8, 8, 3))
		tc_fail(t, __FILE__, __LINE__, "no uart16550 model");
	fk_input(&u->f, PART, "in", 2);
	wr(u, UART_IER, UART_IER_RDI);
	for (int i = 0; i < 64; i++) {
		(void)rd(u, UART_LSR);
		idle(u, SVC_IDLE_SLEEP);
	}
	put(u, "out\n");
	TC_CHECK(t, u->f.calls[KEEL_HC_CONSOLE_READ] == 0 && !u->d.model->busy(&u->d) &&
		 u->f.out_len[PART] == 4, "console reads %llu busy %d output %zu",
		 (unsigned long long)u->f.calls[KEEL_HC_CONSOLE_READ], u->d.model->busy(&u->d),
		 u->f.out_len[PART]);
	return ut_done(u);
}

/* A loop that waits for receive interrupts must keep polling; one that does not may sleep. */
static int case_busy(void)
{
	struct ut *u = ut_setup("busy-while-rx-interrupts", PIN);
	bool before = u->d.model->busy(&u->d), during, after;

	wr(u, UART_IER, UART_IER_RDI);
	during = u->d.model->busy(&u->d);
	wr(u, UART_IER, UART_IER_THRI);
	after = u->d.model->busy(&u->d);
	TC_CHECK(&u->t, !before && during && !after, "busy %d %d %d", before, during, after);
	return ut_done(u);
}

int main(void)
{
	int (*const cases[])(void) = {
		case_reset, case_dlab, case_scratch_ier, case_fifo_iir, case_tx, case_tx_age,
		case_rx_basic, case_rx_16450, case_rx_fifo_full, case_rda_trigger, case_timeout,
		case_thre, case_out2, case_no_pin, case_loopback, case_overrun, case_priority,
		case_fcr_clear, case_wide, case_refused, case_busy, case_com2,
	};
	int failed = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		failed += cases[i]();
	return failed ? 1 : 0;
}

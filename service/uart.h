/* The uart16550 model's registers (PC16550D data sheet, Table II) and tunables; host tests
 * include it to name registers and read the model's counters. */
#ifndef SERVICE_UART_H
#define SERVICE_UART_H

#include <stdint.h>

struct svc_dev;

enum uart_reg {
	UART_RBR = 0, UART_THR = 0, UART_DLL = 0,
	UART_IER = 1, UART_DLM = 1,
	UART_IIR = 2, UART_FCR = 2,
	UART_LCR = 3, UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
	UART_NREGS = 8,
};

#define UART_IER_RDI   0x01 /* ERBFI: received data available (and character timeout) */
#define UART_IER_THRI  0x02 /* ETBEI: transmitter holding register empty */
#define UART_IER_RLSI  0x04 /* ELSI: receiver line status */
#define UART_IER_MSI   0x08 /* EDSSI: modem status */
#define UART_IER_MASK  0x0f

#define UART_IIR_NONE    0x01
#define UART_IIR_MS      0x00
#define UART_IIR_THRE    0x02
#define UART_IIR_RDA     0x04
#define UART_IIR_RLS     0x06
#define UART_IIR_CTI     0x0c
#define UART_IIR_FIFO_ON 0xc0

#define UART_FCR_ENABLE   0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04
#define UART_FCR_KEPT     0xc9 /* enable, DMA mode, trigger level */

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_MCR_MASK 0x1f

#define UART_LSR_DR     0x01
#define UART_LSR_OE     0x02
#define UART_LSR_ERRORS 0x1e /* OE PE FE BI */
#define UART_LSR_THRE   0x20
#define UART_LSR_TEMT   0x40

#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS  0x10
#define UART_MSR_DSR  0x20
#define UART_MSR_RI   0x40
#define UART_MSR_DCD  0x80

#define UART_FIFO_SIZE    16
#define UART_CONSOLE_PORT 0x3f8 /* the partition's console: the one UART that takes its input */
#define UART_NO_IRQ       0xff
#define UART_TX_BATCH     64   /* bytes per KEEL_HC_CONSOLE_WRITE at most */
#define UART_RX_CHUNK     8    /* bytes per KEEL_HC_CONSOLE_READ at most (the ABI's) */
#define UART_TX_AGE       256  /* idle passes a partial line waits before it is sent */
#define UART_RX_POLL_IDLE 64   /* idle passes between console polls (receive interrupts on) */
#define UART_RX_POLL_LSR  4    /* LSR reads with nothing received between console polls */

struct uart_stats {
	uint64_t tx_bytes, tx_calls, tx_dropped;
	uint64_t rx_bytes, rx_calls, rx_overrun;
	uint64_t irq_changes;
};

const struct uart_stats *uart_stats(const struct svc_dev *d);

#endif

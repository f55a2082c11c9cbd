/* 16550 UART, polled. LCR is programmed before the first byte: Bochs' UART resets to 5-bit
 * characters (platform.md pitfall 5). */
#include <keel/uart.h>
#include <arch/io.h>

enum { THR = 0, RBR = 0, DLL = 0, IER = 1, DLM = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5 };
enum { LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40 };

void uart_init(u16 port)
{
	outb(port + IER, 0x00);
	outb(port + LCR, 0x80); /* DLAB: divisor 1 = 115200 baud */
	outb(port + DLL, 0x01);
	outb(port + DLM, 0x00);
	outb(port + LCR, 0x03); /* 8N1 */
	outb(port + FCR, 0xc7); /* FIFO on, cleared, 14-byte threshold */
	outb(port + MCR, 0x03); /* DTR, RTS */
}

void uart_putc(u16 port, char c)
{
	for (unsigned spin = 0; !(inb(port + LSR) & LSR_THRE) && spin < 1000000; spin++)
		__asm__ volatile("pause");
	outb(port + THR, (u8)c);
}

/* Waits until the transmitter is empty (TEMT), so nothing is lost at power-off (pitfall 6). */
void uart_flush(u16 port)
{
	for (unsigned spin = 0; !(inb(port + LSR) & LSR_TEMT) && spin < 1000000; spin++)
		__asm__ volatile("pause");
}

int uart_getc(u16 port)
{
	if (!(inb(port + LSR) & LSR_DR))
		return -1;
	return inb(port + RBR);
}

/* 16550 UART driver (drivers/uart16550.c). */
#ifndef KEEL_UART_H
#define KEEL_UART_H

#include <keel/types.h>

void uart_init(u16 port);
void uart_putc(u16 port, char c);
void uart_flush(u16 port);
int uart_getc(u16 port); /* -1 when no byte waits */

#endif

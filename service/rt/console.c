/* The service VM's own console: the 16550 at 0x3f8 of its partition, polled. */
#include "rt.h"

#define COM1 0x3f8
#define LSR_THRE 0x20
#define FIFO_BYTES 16

static inline void rt_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t rt_inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* 115200 8N1, FIFOs on and cleared, no interrupts. */
void rt_console_init(void)
{
	static const uint8_t init[][2] = {
		{ 1, 0x00 }, { 3, 0x80 }, { 0, 0x01 }, { 1, 0x00 }, { 3, 0x03 }, { 2, 0xc7 },
	};

	for (size_t i = 0; i < sizeof(init) / sizeof(init[0]); i++)
		rt_outb(COM1 + init[i][0], init[i][1]);
}

/* THRE with FIFOs on means the 16-byte transmit FIFO is empty (PC16550D, LSR bit 5): a burst of
 * 16 bytes per check, so each byte costs one exit, not two. */
void rt_console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i % FIFO_BYTES == 0)
			while (!(rt_inb(COM1 + 5) & LSR_THRE))
				__builtin_ia32_pause();
		rt_outb(COM1, (uint8_t)s[i]);
	}
}

void rt_console_puts(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	rt_console_write(s, n);
}

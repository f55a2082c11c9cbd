/* The test device's port block (abi/testdev.h): the window's bytes in and out in bulk with string
 * I/O (one exit per batch), and the access log as a dword stream. */
#include "guest.h"

#define P(r) ((uint16_t)(KEEL_TESTDEV_PORT + (r)))

void tdev_cursor(uint32_t off) { outl(P(KEEL_TESTDEV_P_CURSOR), off); }

/* String I/O with a zero count would still exit: only issued for bytes there are. */
void tdev_bulk_write(uint32_t off, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	size_t dw = n / 4, b = n % 4;
	tdev_cursor(off);
	if (dw)
		__asm__ volatile("rep outsl" : "+S"(p), "+c"(dw) : "d"(P(KEEL_TESTDEV_P_BULK)) : "memory");
	if (b)
		__asm__ volatile("rep outsb" : "+S"(p), "+c"(b) : "d"(P(KEEL_TESTDEV_P_BULK)) : "memory");
}

void tdev_bulk_read(uint32_t off, void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t dw = n / 4, b = n % 4;
	tdev_cursor(off);
	if (dw)
		__asm__ volatile("rep insl" : "+D"(p), "+c"(dw) : "d"(P(KEEL_TESTDEV_P_BULK)) : "memory");
	if (b)
		__asm__ volatile("rep insb" : "+D"(p), "+c"(b) : "d"(P(KEEL_TESTDEV_P_BULK)) : "memory");
}

void tdev_log_clear(void) { outl(P(KEEL_TESTDEV_P_LOG), 0); }

uint32_t tdev_log_total(void) { return inl(P(KEEL_TESTDEV_P_LOG)); }

uint32_t tdev_log_fetch(struct tdev_entry *e, uint32_t total, uint32_t max)
{
	static uint32_t raw[3 * 64];
	uint32_t n = total < max ? total : max, got = 0;
	if (n > KEEL_TESTDEV_LOG_MAX)
		n = KEEL_TESTDEV_LOG_MAX;
	while (got < n) {
		uint32_t k = n - got < 64 ? n - got : 64;
		uint32_t *p = raw;
		size_t c = 3 * k;
		__asm__ volatile("rep insl" : "+D"(p), "+c"(c) : "d"(P(KEEL_TESTDEV_P_LOG_READ)) : "memory");
		for (uint32_t i = 0; i < k; i++, got++)
			e[got] = (struct tdev_entry){ raw[3 * i], raw[3 * i + 1] | (uint64_t)raw[3 * i + 2] << 32 };
	}
	return n;
}

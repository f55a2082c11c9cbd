/* The console-input router: bytes from Keel's physical console go to one partition at a time;
 * an escape sequence switches (include/keel/console_in.h, docs/config.md). */
#include <keel/console_in.h>
#include <keel/printk.h>
#include <keel/uart.h>

#define COM1 0x3f8
#define POLL_MAX 64 /* bytes taken from the device per poll */

struct queue {
	u8 buf[CONSOLE_IN_QUEUE];
	u32 head, tail;
};

static struct {
	const char *name[CONSOLE_IN_PARTS];
	struct queue q[CONSOLE_IN_PARTS];
	u32 target;
	u8 escape;
	bool escaped;
	bool up;
	u32 lock;
	int (*getc)(void);
} in;

static int console_in_com1(void) { return uart_getc(COM1); }

void console_in_init(u8 escape, const char *const names[CONSOLE_IN_PARTS], u32 first,
		     int (*getc)(void))
{
	for (u32 i = 0; i < CONSOLE_IN_PARTS; i++) {
		in.name[i] = names[i];
		in.q[i].head = in.q[i].tail = 0;
	}
	in.escape = escape;
	in.escaped = false;
	in.target = first < CONSOLE_IN_PARTS && names[first] ? first : CONSOLE_IN_NONE;
	in.getc = getc ? getc : console_in_com1;
	in.up = true;
}

static void console_in_push(u32 part, u8 c)
{
	if (part >= CONSOLE_IN_PARTS)
		return;
	struct queue *q = &in.q[part];
	if (q->tail - q->head < CONSOLE_IN_QUEUE)
		q->buf[q->tail++ % CONSOLE_IN_QUEUE] = c;
}

static void console_in_switch(u32 part)
{
	in.target = part;
	pr_info("console: input goes to partition %s", in.name[part]);
}

static u32 console_in_next(void)
{
	for (u32 k = 1; k <= CONSOLE_IN_PARTS; k++) {
		u32 i = (in.target == CONSOLE_IN_NONE ? k - 1 : in.target + k) % CONSOLE_IN_PARTS;
		if (in.name[i])
			return i;
	}
	return CONSOLE_IN_NONE;
}

static int console_in_digit(u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The byte after the escape key. */
static void console_in_command(u8 c)
{
	int d = console_in_digit(c);
	if (c == in.escape) {
		console_in_push(in.target, c);
	} else if (c == 'n') {
		u32 next = console_in_next();
		if (next != CONSOLE_IN_NONE)
			console_in_switch(next);
	} else if (d >= 0 && in.name[d]) {
		console_in_switch((u32)d);
	} else if (d >= 0) {
		pr_info("console: partition %d has no console; input stays where it was", d);
	}
}

static void console_in_route(u8 c)
{
	if (in.escaped) {
		in.escaped = false;
		console_in_command(c);
	} else if (c == in.escape) {
		in.escaped = true;
	} else {
		console_in_push(in.target, c);
	}
}

static bool console_in_lock(void)
{
	if (!in.up || __atomic_exchange_n(&in.lock, 1, __ATOMIC_ACQUIRE))
		return false; /* another CPU is polling: its bytes are routed just the same */
	for (int n = 0, c; n < POLL_MAX && (c = in.getc()) >= 0; n++)
		console_in_route((u8)c);
	return true;
}

static void console_in_unlock(void) { __atomic_store_n(&in.lock, 0, __ATOMIC_RELEASE); }

int console_in_getc(u32 part)
{
	int c = -1;
	if (part >= CONSOLE_IN_PARTS || !console_in_lock())
		return -1;
	struct queue *q = &in.q[part];
	if (q->head != q->tail)
		c = q->buf[q->head++ % CONSOLE_IN_QUEUE];
	console_in_unlock();
	return c;
}

bool console_in_pending(u32 part)
{
	bool any;
	if (!console_in_lock())
		return false;
	any = part < CONSOLE_IN_PARTS && in.q[part].head != in.q[part].tail;
	console_in_unlock();
	return any;
}

u32 console_in_target(void) { return in.target; }

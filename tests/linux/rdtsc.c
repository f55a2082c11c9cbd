/* /bin/rdtsc of the test initramfs: prints the time-stamp counter in decimal. Under QEMU's
 * -icount shift=0 the TSC counts guest instructions since the machine started (one per ns), the
 * same under Keel (a partition's TSC offset starts at 0) as on QEMU alone, so the benchmark
 * compares the two boots by it. Freestanding: a static binary without a C library. */
typedef unsigned long u64;

static long sys_write(int fd, const void *buf, u64 n)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(1), "D"(fd), "S"(buf), "d"(n) : "rcx", "r11", "memory");
	return r;
}

static void sys_exit(int code)
{
	__asm__ volatile("syscall" : : "a"(60), "D"(code) : "rcx", "r11", "memory");
	__builtin_unreachable();
}

void _start(void)
{
	unsigned lo, hi;
	char buf[24];
	int i = sizeof(buf);

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	u64 v = (u64)hi << 32 | lo;
	buf[--i] = '\n';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sys_write(1, buf + i, sizeof(buf) - (u64)i);
	sys_exit(0);
}

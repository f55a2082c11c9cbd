/* The service VM's runtime checks under Keel: start information, SSE, newlib's stdio and malloc
 * over sbrk, the system call stubs, exception capture and reports, the hypercall path. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "selftest.h"

extern char _end[];
extern const char st_ud_site[];

bool st_check(struct st_ctx *t, const char *name, bool ok, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	if (ok) {
		printf("VERDICT PASS service/%s\n", name);
		t->passed++;
		return true;
	}
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("VERDICT FAIL service/%s %s\n", name, why);
	t->failed++;
	return false;
}

static uint64_t st_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static uint64_t st_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/* The loader's view of the image must match the linker's: loaded at 0x200000, ending at _end. */
static void st_start_info(struct st_ctx *t)
{
	const struct keel_start_info *si = t->si;

	st_check(t, "start-info",
		 si->entry_mode == KEEL_ENTRY_LONG64 && si->nr_vcpus >= 1 &&
			 si->image_start == 0x200000 && si->image_end == (uintptr_t)_end &&
			 si->nr_regions >= 1 && si->region[0].kind == KEEL_REGION_RAM &&
			 si->region[0].base == 0 && si->region[0].size == si->ram_size,
		 "mode %u vcpus %u image [%#llx-%#llx) _end %p regions %u", si->entry_mode,
		 si->nr_vcpus, (unsigned long long)si->image_start,
		 (unsigned long long)si->image_end, (void *)_end, si->nr_regions);
}

/* CR0.EM = 0, MP = 1, TS = 0, CR4.OSFXSR and OSXMMEXCPT (SDM Vol. 3A 13.1.3); MXCSR at its
 * default; a double multiply that is exact in binary. */
static void st_sse(struct st_ctx *t)
{
	uint64_t cr0 = st_cr0(), cr4 = st_cr4();
	uint32_t mxcsr;
	volatile double a = 1.5, b = 2.25;
	double p;

	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	p = a * b;
	st_check(t, "sse-state",
		 (cr0 & 0xe) == 0x2 && (cr4 & 0x600) == 0x600 && mxcsr == 0x1f80 && p == 3.375,
		 "cr0 %#llx cr4 %#llx mxcsr %#x product %s", (unsigned long long)cr0,
		 (unsigned long long)cr4, mxcsr, p == 3.375 ? "ok" : "wrong");
}

/* C's printf conversions; the expected text follows from the standard's rules (%.3f rounds,
 * %e has six digits and a two-digit exponent, %g drops trailing zeros). */
static void st_printf(struct st_ctx *t)
{
	static const char want[] = "0.333 1.234568e+04 0.1 beef -42 ok";
	char buf[64];
	double d = strtod("2.5e-3", NULL);

	snprintf(buf, sizeof(buf), "%.3f %e %g %x %d %s", 1.0 / 3.0, 12345.678, 0.1, 0xbeef, -42,
		 "ok");
	st_check(t, "newlib-printf", !strcmp(buf, want) && d == 0.0025, "got '%s', strtod %s", buf,
		 d == 0.0025 ? "ok" : "wrong");
}

static bool st_inside(const void *p, size_t n, uintptr_t lo, uintptr_t hi)
{
	uintptr_t a = (uintptr_t)p;

	return p && a >= lo && a <= hi && n <= hi - a;
}

/* Blocks come from [end of image, end of RAM); a request larger than the heap fails cleanly. */
static void st_malloc(struct st_ctx *t)
{
	uintptr_t lo, hi;
	uint8_t *p, *q;
	void *big;
	bool ok;

	rt_heap_bounds(&lo, &hi);
	p = malloc(1 << 20);
	q = malloc(2 << 20);
	ok = st_inside(p, 1 << 20, lo, hi) && st_inside(q, 2 << 20, lo, hi) &&
	     ((uintptr_t)p + (1 << 20) <= (uintptr_t)q || (uintptr_t)q + (2 << 20) <= (uintptr_t)p);
	if (ok) {
		memset(p, 0xa5, 1 << 20);
		memset(q, 0x5a, 2 << 20);
		ok = p[0] == 0xa5 && p[(1 << 20) - 1] == 0xa5 && q[0] == 0x5a;
	}
	free(q);
	free(p);
	errno = 0;
	big = malloc(hi - lo + 4096);
	st_check(t, "malloc-heap",
		 ok && lo >= (uintptr_t)_end && hi <= t->si->ram_size && !big && errno == ENOMEM,
		 "heap [%#lx-%#lx) p %p q %p big %p errno %d", (unsigned long)lo,
		 (unsigned long)hi, (void *)p, (void *)q, big, errno);
	free(big);
}

static void st_syscalls(struct st_ctx *t)
{
	char c;
	int bad_write, bad_seek, no_open, seek_errno, open_errno, write_errno;

	errno = 0;
	bad_write = (int)write(7, "x", 1);
	write_errno = errno;
	bad_seek = (int)lseek(1, 0, SEEK_SET);
	seek_errno = errno;
	no_open = open("/etc/passwd", O_RDONLY);
	open_errno = errno;
	st_check(t, "syscall-stubs",
		 write(1, "", 0) == 0 && bad_write == -1 && write_errno == EBADF && isatty(1) == 1 &&
			 bad_seek == -1 && seek_errno == ESPIPE && read(0, &c, 1) == 0 &&
			 no_open == -1 && open_errno == ENOENT,
		 "write %d/%d lseek %d/%d open %d/%d", bad_write, write_errno, bad_seek, seek_errno,
		 no_open, open_errno);
}

static void st_ud(void)
{
	__asm__ volatile(".global st_ud_site\nst_ud_site: ud2");
}

/* #UD at a known address, then a not-present read at 4 GiB (Keel maps 0-4 GiB): the error code
 * of a supervisor data read of a not-present page is 0 (SDM Vol. 3A 4.7). */
static void st_exceptions(struct st_ctx *t)
{
	static struct rt_catch c;
	char report[512], want[64];
	volatile bool ud = false, pf = false;

	if (!rt_catch_begin(&c))
		st_ud();
	else
		ud = c.frame.vector == 6 && c.frame.rip == (uintptr_t)st_ud_site;
	rt_catch_end();
	rt_trap_format(&c.frame, c.cr2, report, sizeof(report));
	snprintf(want, sizeof(want), "#UD vector 0x6 error 0x0 rip %#lx", (unsigned long)st_ud_site);
	st_check(t, "exception-ud", ud && strstr(report, want), "vector %llu rip %#llx report '%.80s'",
		 (unsigned long long)c.frame.vector, (unsigned long long)c.frame.rip, report);

	if (!rt_catch_begin(&c))
		(void)*(volatile uint64_t *)0x100000000ull;
	else
		pf = c.frame.vector == 14 && c.frame.error == 0 && c.cr2 == 0x100000000ull;
	rt_catch_end();
	st_check(t, "exception-pf", pf, "vector %llu error %#llx cr2 %#llx",
		 (unsigned long long)c.frame.vector, (unsigned long long)c.frame.error,
		 (unsigned long long)c.cr2);
}

static void st_hypercall(struct st_ctx *t)
{
	struct svc_hc r = rt_hcall(KEEL_HC_VERSION, 0, 0, 0);

	st_check(t, "hypercall-version",
		 r.status == KEEL_OK && r.rbx == KEEL_ABI_VERSION && r.rcx == t->si->partition &&
			 r.rdx == t->si->vcpu,
		 "status %llu version %llu partition %llu vcpu %llu", (unsigned long long)r.status,
		 (unsigned long long)r.rbx, (unsigned long long)r.rcx, (unsigned long long)r.rdx);
}

void st_runtime(struct st_ctx *t)
{
	st_start_info(t);
	st_sse(t);
	st_printf(t);
	st_malloc(t);
	st_syscalls(t);
	st_exceptions(t);
	st_hypercall(t);
}

int svc_selftest(const struct keel_start_info *si)
{
	struct st_ctx t = { .si = si };

	printf("svc: self-test in partition %u (%.31s), %llu MiB\n", si->partition, si->name,
	       (unsigned long long)(si->ram_size >> 20));
	st_runtime(&t);
	st_ring(&t);
	printf("svc: self-test: %u passed, %u failed\n", t.passed, t.failed);
	rt_verdicts(t.failed, t.passed);
	return t.failed ? 1 : 0;
}

/* newlib's system calls (built with MISSING_SYSCALL_NAMES: it calls write, sbrk, ...). Output
 * goes to the service VM's console, the heap is a span of its RAM, everything else fails. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/times.h>
#include <sys/time.h>
#include <unistd.h>
#include "rt.h"

static uintptr_t rt_heap_lo, rt_heap_cur, rt_heap_hi;

void rt_heap_init(uintptr_t lo, uintptr_t hi)
{
	rt_heap_lo = rt_heap_cur = lo;
	rt_heap_hi = hi > lo ? hi : lo;
}

void rt_heap_bounds(uintptr_t *lo, uintptr_t *hi)
{
	*lo = rt_heap_lo;
	*hi = rt_heap_hi;
}

void *sbrk(ptrdiff_t incr)
{
	uintptr_t old = rt_heap_cur;

	if (incr < 0 ? (uintptr_t)-incr > rt_heap_cur - rt_heap_lo
		     : (uintptr_t)incr > rt_heap_hi - rt_heap_cur) {
		errno = ENOMEM;
		return (void *)-1;
	}
	rt_heap_cur += (uintptr_t)incr;
	return (void *)old;
}

static bool rt_is_console(int fd) { return fd >= 0 && fd <= 2; }

_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t n)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	rt_console_write(buf, n);
	return (_READ_WRITE_RETURN_TYPE)n;
}

/* The service VM's console takes no input: standard input is at its end. */
_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t n)
{
	(void)buf;
	(void)n;
	if (fd != 0) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

int fstat(int fd, struct stat *st)
{
	if (!rt_is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	*st = (struct stat){ .st_mode = S_IFCHR };
	return 0;
}

int isatty(int fd)
{
	if (rt_is_console(fd))
		return 1;
	errno = EBADF;
	return 0;
}

int close(int fd)
{
	errno = rt_is_console(fd) ? EPERM : EBADF;
	return -1;
}

off_t lseek(int fd, off_t off, int whence)
{
	(void)off;
	(void)whence;
	errno = rt_is_console(fd) ? ESPIPE : EBADF;
	return -1;
}

int open(const char *path, int flags, ...)
{
	(void)path;
	(void)flags;
	errno = ENOENT;
	return -1;
}

pid_t getpid(void) { return 1; }

int kill(pid_t pid, int sig)
{
	(void)pid;
	(void)sig;
	errno = EPERM;
	return -1;
}

int gettimeofday(struct timeval *tv, void *tz)
{
	(void)tv;
	(void)tz;
	errno = ENOSYS;
	return -1;
}

clock_t times(struct tms *t)
{
	(void)t;
	errno = ENOSYS;
	return (clock_t)-1;
}

void _exit(int code)
{
	rt_exit((unsigned)code);
}

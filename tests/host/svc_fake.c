/* The fake platform of the service's host tests (tests/host/svc_fake.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "svc_fake.h"

static void fk_console_write(struct fake *f, uint64_t part, uint64_t gpa, uint64_t len)
{
	if (part >= FK_PARTS || len > 256 || f->out_len[part] + len > FK_OUT) {
		f->status[KEEL_HC_CONSOLE_WRITE] = KEEL_EINVAL;
		return;
	}
	memcpy(f->out[part] + f->out_len[part], (const void *)(uintptr_t)gpa, len);
	f->out_len[part] += len;
	f->write_calls++;
	if (len > f->write_max)
		f->write_max = len;
}

static void fk_console_read(struct fake *f, uint64_t part, struct svc_hc *r)
{
	size_t n = 0;

	f->read_calls++;
	if (part >= FK_PARTS)
		return;
	while (n < f->read_chunk && f->in_pos[part] < f->in_len[part]) {
		r->rbx |= (uint64_t)f->in[part][f->in_pos[part]++] << (8 * n);
		n++;
	}
	r->rcx = n;
}

static struct svc_hc fk_hcall(void *ctx, uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	struct fake *f = ctx;
	struct svc_hc r = { KEEL_ENOSYS, 0, 0, 0 };

	pthread_mutex_lock(&f->lock);
	if (nr < 16) {
		f->calls[nr]++;
		r.status = f->status[nr];
	}
	if (r.status == KEEL_OK) {
		if (nr == KEEL_HC_CONSOLE_WRITE)
			fk_console_write(f, a, b, c);
		else if (nr == KEEL_HC_CONSOLE_READ)
			fk_console_read(f, a, &r);
		else if (nr == KEEL_HC_IRQ && f->nirq++ < FK_IRQS)
			f->irq[f->nirq - 1] = (struct fk_irq){ (uint16_t)a, (uint8_t)b, (uint8_t)c };
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

static void fk_pause(void *ctx)
{
	struct fake *f = ctx;

	f->pauses++;
	__builtin_ia32_pause();
	if (f->pauses % 64 == 0)
		sched_yield();
}

static uint64_t fk_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void fk_sleep(void *ctx, bool (*ready)(struct svc *s), struct svc *s, uint32_t max_us)
{
	struct fake *f = ctx;
	struct timespec ts;
	uint64_t end = fk_now_us() + max_us;

	pthread_mutex_lock(&f->lock);
	f->sleeps++;
	if (max_us)
		f->timed_sleeps++;
	while (!ready(s) && !f->notified && (!max_us || fk_now_us() < end)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&f->wake, &f->lock, &ts);
	}
	f->notified = 0;
	pthread_mutex_unlock(&f->lock);
}

static void fk_log(void *ctx, const char *line)
{
	struct fake *f = ctx;

	if (!f->quiet)
		printf("log: %s\n", line);
	if (f->nlog < FK_LOGS)
		snprintf(f->logs[f->nlog++], sizeof(f->logs[0]), "%s", line);
}

void fk_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	f->read_chunk = 8;
	f->quiet = 1;
	f->plat = (struct svc_platform){ fk_hcall, fk_pause, fk_sleep, fk_log, f };
	f->svc.plat = &f->plat;
}

void fk_notify(struct fake *f)
{
	pthread_mutex_lock(&f->lock);
	f->notified = 1;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
}

void fk_input(struct fake *f, unsigned partition, const char *bytes, size_t n)
{
	memcpy(f->in[partition] + f->in_len[partition], bytes, n);
	f->in_len[partition] += n;
}

int fk_dev(struct fake *f, struct svc_dev *d, const char *model, uint16_t partition, uint8_t kind,
	   uint64_t base, uint64_t size, uint8_t irq)
{
	memset(d, 0, sizeof(*d));
	d->desc = (struct keel_ring_device){ .partition = partition, .kind = kind, .irq = irq,
					     .base = base, .size = size };
	memcpy(d->desc.model, model, strnlen(model, sizeof(d->desc.model)));
	d->svc = &f->svc;
	d->model = svc_model_find(d->desc.model);
	if (!d->model || (d->model->init && d->model->init(d)))
		return -1;
	return 0;
}

unsigned fk_logged(struct fake *f, const char *needle)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->nlog; i++)
		n += strstr(f->logs[i], needle) != NULL;
	return n;
}

void tc_begin(struct tc *t, const char *suite, const char *name)
{
	t->suite = suite;
	t->name = name;
	t->why[0] = 0;
	t->failed = 0;
}

void tc_fail(struct tc *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed++)
		return;
	n = snprintf(t->why, sizeof(t->why), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(t->why + n, sizeof(t->why) - (size_t)n, fmt, ap);
	va_end(ap);
}

int tc_end(struct tc *t)
{
	if (t->failed)
		printf("VERDICT FAIL %s/%s %s\n", t->suite, t->name, t->why);
	else
		printf("VERDICT PASS %s/%s\n", t->suite, t->name);
	fflush(stdout);
	return t->failed != 0;
}

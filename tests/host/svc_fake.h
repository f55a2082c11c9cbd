/* Host tests of the service VM (service/): a fake platform that records hypercalls (console
 * output, IRQ levels, kicks) and serves queued console input, and a verdict helper. */
#ifndef TESTS_SVC_FAKE_H
#define TESTS_SVC_FAKE_H

#include <pthread.h>
#include <stdio.h>
#include "service/svc.h"

#define FK_PARTS 4
#define FK_OUT 8192
#define FK_IRQS 512
#define FK_LOGS 32

struct fk_irq {
	uint16_t partition;
	uint8_t pin, level;
};

struct fake {
	struct svc svc;                /* devices made by fk_dev point here */
	struct svc_platform plat;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int notified;
	/* Console output per partition, and the calls that carried it. */
	char out[FK_PARTS][FK_OUT];
	size_t out_len[FK_PARTS];
	uint64_t write_calls, write_max;
	/* Console input per partition, served at most `read_chunk` bytes per call (1-8). */
	uint8_t in[FK_PARTS][512];
	size_t in_len[FK_PARTS], in_pos[FK_PARTS];
	unsigned read_chunk;
	uint64_t read_calls;
	/* Status each hypercall number returns (0 = KEEL_OK). */
	uint64_t status[16];
	uint64_t calls[16];
	struct fk_irq irq[FK_IRQS];
	unsigned nirq;                 /* calls made; the first FK_IRQS are kept */
	uint64_t pauses, sleeps, timed_sleeps; /* timed: bounded by max_us */
	char logs[FK_LOGS][200];
	unsigned nlog;
	int quiet;                     /* do not echo log lines */
};

void fk_init(struct fake *f);
void fk_input(struct fake *f, unsigned partition, const char *bytes, size_t n);
/* A device of `model` on its own (no ring); 0 or -1. */
int fk_dev(struct fake *f, struct svc_dev *d, const char *model, uint16_t partition, uint8_t kind,
	   uint64_t base, uint64_t size, uint8_t irq);
/* Wakes a sleeping service (the core's notification). */
void fk_notify(struct fake *f);
/* How many log lines contain `needle`. */
unsigned fk_logged(struct fake *f, const char *needle);

/* One test case: the first failure is kept, tc_end prints the verdict. */
struct tc {
	const char *suite, *name;
	char why[300];
	int failed;
};

void tc_begin(struct tc *t, const char *suite, const char *name);
void tc_fail(struct tc *t, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int tc_end(struct tc *t);

#define TC_CHECK(t, cond, ...) \
	do { if (!(cond)) tc_fail((t), __FILE__, __LINE__, __VA_ARGS__); } while (0)

#endif

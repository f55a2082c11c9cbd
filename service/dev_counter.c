/* The `counter` model (for benchmarks): every element access counts; a read returns how many
 * accesses came before it, truncated to its size. */
#include <stdlib.h>
#include "svc.h"

struct counter {
	uint64_t count;
};

static int counter_init(struct svc_dev *d)
{
	d->state = calloc(1, sizeof(struct counter));
	return d->state ? 0 : -1;
}

static uint64_t counter_read(struct svc_dev *d, uint64_t off, unsigned size)
{
	struct counter *c = d->state;

	(void)off;
	(void)size;
	return c->count++;
}

static void counter_write(struct svc_dev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct counter *c = d->state;

	(void)off;
	(void)size;
	(void)val;
	c->count++;
}

const struct svc_model svc_model_counter = {
	.name = "counter",
	.init = counter_init,
	.read = counter_read,
	.write = counter_write,
};

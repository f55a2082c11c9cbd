/* The core's log hook for the ring (struct ring_ops.log): one warning line per logged event. */
#include <keel/printk.h>
#include <keel/ring.h>

void ring_log_printk(void *ctx, const struct ring_event *ev)
{
	(void)ctx;
	if (ev->device == 0xffff)
		pr_warn("ring: %s (id %#llx, value %#llx)\n", ring_event_text(ev->kind),
			(unsigned long long)ev->id, (unsigned long long)ev->value);
	else
		pr_warn("ring: device %u of partition %u: %s (id %#llx, value %#llx)\n", ev->device,
			ev->partition, ring_event_text(ev->kind), (unsigned long long)ev->id,
			(unsigned long long)ev->value);
}

/* The service VM's hypercalls (include/abi/hypercall.h): the ring kick and the console of a
 * partition whose UART is forwarded. Every argument comes from the service VM: the partition
 * index, the guest-physical range and the length are checked before use. */
#include <keel/console_in.h>
#include <keel/fwd.h>
#include <keel/partition.h>
#include <keel/string.h>
#include <keel/vuart.h>
#include <arch/vcpu.h>
#include <abi/hypercall.h>
#include "hypercall_int.h"

#define CONSOLE_WRITE_MAX 256
#define CONSOLE_READ_MAX 8

/* The partition whose forwarded console the service VM serves, or NULL with *st set. */
static struct partition *hc_console_of(struct vcpu *v, u64 index, u64 *st)
{
	struct partition *p = index < PARTITION_MAX ? partition_get((u32)index) : NULL;
	*st = !v->part->service ? KEEL_EPERM : !p ? KEEL_ERANGE : !p->fconsole ? KEEL_EPERM : KEEL_OK;
	return *st == KEEL_OK ? p : NULL;
}

u64 hc_ring_kick(struct vcpu *v, struct hc_args *h)
{
	(void)h;
	if (!v->part->service)
		return KEEL_EPERM;
	fwd_kick();
	return KEEL_OK;
}

u64 hc_console_write(struct vcpu *v, struct hc_args *h)
{
	char buf[CONSOLE_WRITE_MAX];
	u64 st;
	struct partition *p = hc_console_of(v, h->a, &st);
	if (!p)
		return st;
	if (h->c > CONSOLE_WRITE_MAX)
		return KEEL_EINVAL;
	const void *src = gmem_ptr(&v->part->mem, h->b, h->c);
	if (!src)
		return KEEL_ERANGE;
	memcpy(buf, src, h->c);
	while (__atomic_exchange_n(&p->fconsole_lock, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	vuart_output(p->fconsole, buf, h->c);
	__atomic_store_n(&p->fconsole_lock, 0, __ATOMIC_RELEASE);
	return KEEL_OK;
}

u64 hc_console_read(struct vcpu *v, struct hc_args *h)
{
	u64 st, bytes = 0;
	u32 n = 0;
	struct partition *p = hc_console_of(v, h->a, &st);
	if (!p)
		return st;
	for (int c; n < CONSOLE_READ_MAX && (c = console_in_getc(p->id)) >= 0; n++)
		bytes |= (u64)(u8)c << (8 * n);
	h->out[0] = bytes;
	h->out[1] = n;
	return KEEL_OK;
}

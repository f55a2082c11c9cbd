/* The ring loop inside the service VM, on a ring it produces into itself (no core involved):
 * attach, every model, the malformed and out-of-device paths, answers in request order. The
 * expected values follow from include/abi/ring.h and include/abi/testdev.h. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <abi/testdev.h>
#include "selftest.h"
#include "../uart.h"

enum { D_TDEV, D_COUNTER, D_SILENT, D_BOGUS, D_UART, D_COUNT };

static const struct keel_ring_device st_devices[D_COUNT] = {
	[D_TDEV] = { 0, KEEL_RING_MMIO, 0xff, 0, KEEL_TESTDEV_GPA, KEEL_TESTDEV_SIZE, "testdev" },
	[D_COUNTER] = { 0, KEEL_RING_MMIO, 0xff, 0, 0xfed00000, 0x1000, "counter" },
	[D_SILENT] = { 1, KEEL_RING_MMIO, 0xff, 0, 0xfed00000, 0x1000, "silent" },
	[D_BOGUS] = { 1, KEEL_RING_PIO, 0xff, 0, 0x60, 1, "bogus" },
	[D_UART] = { 1, KEEL_RING_PIO, 0xff, 0, 0x2f8, 8, "uart16550" },
};

struct st_ring {
	struct keel_ring_header *h;
	uint8_t *area;
	uint32_t req_prod, rsp_cons;
	uint64_t next_id;
	struct svc svc;
};

static void st_ring_header(struct st_ring *r)
{
	struct keel_ring_header *h = r->h;

	memset(r->area, 0, KEEL_RING_AREA_SIZE);
	h->magic = KEEL_RING_MAGIC;
	h->version_major = KEEL_RING_VERSION_MAJOR;
	h->version_minor = KEEL_RING_VERSION_MINOR;
	h->header_size = sizeof(*h);
	h->slots = KEEL_RING_SLOTS;
	h->req_offset = KEEL_RING_REQ_OFFSET;
	h->rsp_offset = KEEL_RING_RSP_OFFSET;
	h->req_size = sizeof(struct keel_ring_req);
	h->rsp_size = sizeof(struct keel_ring_rsp);
	h->ndevices = D_COUNT;
	memcpy(h->device, st_devices, sizeof(st_devices));
}

/* One request into the next slot; returns its id. */
static uint64_t st_send(struct st_ring *r, uint16_t dev, uint8_t dir, uint8_t size, uint32_t count,
			int32_t stride, uint64_t addr, const void *data)
{
	struct keel_ring_req *q = (struct keel_ring_req *)(r->area + KEEL_RING_REQ_OFFSET) +
				  (r->req_prod & (KEEL_RING_SLOTS - 1));

	memset(q, 0, sizeof(*q));
	q->id = r->next_id += 0x80;
	q->partition = st_devices[dev].partition;
	q->kind = st_devices[dev].kind;
	q->dir = dir;
	q->size = size;
	q->count = count;
	q->stride = stride;
	q->addr = addr;
	q->device = dev;
	if (data)
		memcpy(q->data, data, (size_t)size * count);
	__atomic_store_n(&r->h->req_prod.value, ++r->req_prod, __ATOMIC_RELEASE);
	return q->id;
}

static bool st_take(struct st_ring *r, struct keel_ring_rsp *out)
{
	uint32_t prod = __atomic_load_n(&r->h->rsp_prod.value, __ATOMIC_ACQUIRE);

	if (prod == r->rsp_cons)
		return false;
	memcpy(out, (struct keel_ring_rsp *)(r->area + KEEL_RING_RSP_OFFSET) +
			    (r->rsp_cons & (KEEL_RING_SLOTS - 1)), sizeof(*out));
	__atomic_store_n(&r->h->rsp_cons.value, ++r->rsp_cons, __ATOMIC_RELEASE);
	return true;
}

/* Sends one request, drains, and expects exactly one answer to it. */
static bool st_round(struct st_ring *r, struct keel_ring_rsp *a, uint16_t dev, uint8_t dir,
		     uint8_t size, uint32_t count, int32_t stride, uint64_t addr, const void *data)
{
	uint64_t id = st_send(r, dev, dir, size, count, stride, addr, data);
	struct keel_ring_rsp extra;

	return svc_drain(&r->svc) == 1 && st_take(r, a) && a->id == id && !st_take(r, &extra);
}

static void st_ring_testdev(struct st_ctx *t, struct st_ring *r)
{
	static const uint8_t w[8] = { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };
	uint64_t base = KEEL_TESTDEV_GPA;
	struct keel_ring_rsp a = { 0 }, b = { 0 }, c = { 0 };
	bool ok = st_round(r, &a, D_TDEV, KEEL_RING_WRITE, 8, 1, 8, base + 0x10, w) &&
		  a.status == KEEL_RING_OK && a.len == 0;

	ok = ok && st_round(r, &b, D_TDEV, KEEL_RING_READ, 1, 4, -1, base + 0x17, NULL) &&
	     b.status == KEEL_RING_OK && b.len == 4 && !memcmp(b.data, "\x11\x22\x33\x44", 4);
	ok = ok && st_round(r, &c, D_TDEV, KEEL_RING_READ, 4, 1, 4, base + KEEL_TESTDEV_LOG_COUNT,
			    NULL) &&
	     c.len == 4 && svc_get(c.data, 0, 4) == 5; /* one write + four logged reads */
	st_check(t, "ring-testdev", ok, "write %u/%u read %u/%u %02x%02x%02x%02x log count %llu",
		 a.status, a.len, b.status, b.len, b.data[0], b.data[1], b.data[2], b.data[3],
		 (unsigned long long)svc_get(c.data, 0, 4));
}

static void st_ring_counter(struct st_ctx *t, struct st_ring *r)
{
	static const uint8_t zero[8];
	struct keel_ring_rsp a = { 0 }, b = { 0 }, c = { 0 };
	bool ok = st_round(r, &a, D_COUNTER, KEEL_RING_READ, 8, 1, 8, 0xfed00000, NULL) &&
		  st_round(r, &b, D_COUNTER, KEEL_RING_WRITE, 4, 2, 0, 0xfed00010, zero) &&
		  st_round(r, &c, D_COUNTER, KEEL_RING_READ, 4, 2, 0, 0xfed00010, NULL);

	st_check(t, "ring-counter",
		 ok && svc_get(a.data, 0, 8) == 0 && svc_get(c.data, 0, 4) == 3 &&
			 svc_get(c.data, 1, 4) == 4,
		 "reads %llu, %llu %llu", (unsigned long long)svc_get(a.data, 0, 8),
		 (unsigned long long)svc_get(c.data, 0, 4), (unsigned long long)svc_get(c.data, 1, 4));
}

static void st_ring_errors(struct st_ctx *t, struct st_ring *r)
{
	struct keel_ring_rsp a = { 0 }, b = { 0 }, c = { 0 };
	uint64_t silent_id, mal_id, good_id;
	bool silent, nodev, eio, mal;

	silent_id = st_send(r, D_SILENT, KEEL_RING_READ, 4, 1, 4, 0xfed00000, NULL);
	silent = svc_drain(&r->svc) == 1 && !st_take(r, &a) && r->svc.st.unanswered == 1;
	st_check(t, "ring-silent", silent, "request %#llx was answered or not taken",
		 (unsigned long long)silent_id);

	silent_id = st_send(r, D_SILENT, KEEL_RING_READ, 2, 1, 2, 0xfed00000 + SVC_SILENT_LATE, NULL);
	silent = svc_drain(&r->svc) == 1 && !st_take(r, &a);
	good_id = st_send(r, D_COUNTER, KEEL_RING_READ, 1, 1, 1, 0xfed00000, NULL);
	silent = silent && svc_drain(&r->svc) == 1 && st_take(r, &a) && st_take(r, &b) &&
		 !st_take(r, &c) && a.id == silent_id && a.status == KEEL_RING_OK && a.len == 2 &&
		 a.data[0] == 0x5a && a.data[1] == 0x5a && b.id == good_id;
	st_check(t, "ring-silent-late", silent, "answers %#llx %#llx for %#llx then %#llx",
		 (unsigned long long)a.id, (unsigned long long)b.id,
		 (unsigned long long)silent_id, (unsigned long long)good_id);

	nodev = st_round(r, &a, D_BOGUS, KEEL_RING_READ, 2, 1, 0, 0x60, NULL) &&
		a.status == KEEL_RING_ENODEV && a.len == 2 && a.data[0] == 0xff && a.data[1] == 0xff;
	st_check(t, "ring-enodev", nodev, "status %u len %u", a.status, a.len);

	eio = st_round(r, &b, D_COUNTER, KEEL_RING_READ, 4, 2, 4, 0xfed00ffc, NULL) &&
	      b.status == KEEL_RING_EIO && b.len == 8;
	st_check(t, "ring-outside-device", eio, "status %u len %u", b.status, b.len);

	mal_id = st_send(r, D_COUNTER, KEEL_RING_READ, 3, 1, 3, 0xfed00000, NULL);
	good_id = st_send(r, D_COUNTER, KEEL_RING_READ, 1, 1, 1, 0xfed00000, NULL);
	mal = svc_drain(&r->svc) == 2 && st_take(r, &c) && c.id == good_id && !st_take(r, &a) &&
	      r->svc.st.malformed == 1;
	st_check(t, "ring-malformed", mal, "malformed %#llx: answer %#llx, %llu dropped",
		 (unsigned long long)mal_id, (unsigned long long)c.id,
		 (unsigned long long)r->svc.st.malformed);
}

static void st_ring_uart(struct st_ctx *t, struct st_ring *r)
{
	static const uint8_t scr = 0x5a;
	struct keel_ring_rsp a = { 0 }, b = { 0 }, c = { 0 };
	bool ok = st_round(r, &a, D_UART, KEEL_RING_WRITE, 1, 1, 0, 0x2f8 + UART_SCR, &scr) &&
		  st_round(r, &b, D_UART, KEEL_RING_READ, 1, 1, 0, 0x2f8 + UART_SCR, NULL) &&
		  st_round(r, &c, D_UART, KEEL_RING_READ, 1, 1, 0, 0x2f8 + UART_LSR, NULL);

	st_check(t, "ring-uart", ok && b.data[0] == 0x5a && c.data[0] == 0x60,
		 "scratch %#x lsr %#x", b.data[0], c.data[0]);
}

void st_ring(struct st_ctx *t)
{
	static struct st_ring r;
	struct keel_ring_header *h;
	int err;

	r.area = memalign(4096, KEEL_RING_AREA_SIZE);
	if (!r.area) {
		st_check(t, "ring-attach", false, "no memory for a ring");
		return;
	}
	h = r.h = (struct keel_ring_header *)r.area;
	st_ring_header(&r);
	err = svc_init(&r.svc, r.area, KEEL_RING_AREA_SIZE, &svc_vm_platform);
	if (!st_check(t, "ring-attach",
		      !err && h->svc_ready == 1 && h->svc_version_major == 1 && r.svc.ndev == D_COUNT &&
			      r.svc.dev[D_TDEV].model == &svc_model_testdev &&
			      !r.svc.dev[D_BOGUS].model && r.svc.notify_vector == 0,
		      "err %d ready %u version %u devices %u", err, h->svc_ready,
		      h->svc_version_major, r.svc.ndev))
		return;
	st_ring_testdev(t, &r);
	st_ring_counter(t, &r);
	st_ring_errors(t, &r);
	st_ring_uart(t, &r);
}

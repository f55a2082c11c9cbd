/* The service VM's end of the ring (docs/ring.md). The core is the only other writer; its
 * indices are still range-checked, since a wild index would send this side outside the area. */
#include "ring_svc.h"

#define SVC_MASK (KEEL_RING_SLOTS - 1u)

static uint32_t svc_load_acq(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void svc_store_rel(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

static int svc_fail(struct ring_svc *s, int err)
{
	if (!s->error)
		s->error = err;
	return s->error;
}

static bool svc_geometry_ok(const struct keel_ring_header *h)
{
	return h->header_size == sizeof(*h) && h->slots == KEEL_RING_SLOTS &&
	       h->req_offset == KEEL_RING_REQ_OFFSET && h->rsp_offset == KEEL_RING_RSP_OFFSET &&
	       h->req_size == sizeof(struct keel_ring_req) &&
	       h->rsp_size == sizeof(struct keel_ring_rsp) && h->ndevices <= KEEL_RING_DEVICES_MAX;
}

int ring_svc_attach(struct ring_svc *s, void *area, size_t size)
{
	struct keel_ring_header *h = area;

	*s = (struct ring_svc){ 0 };
	if (!area || size < KEEL_RING_AREA_SIZE)
		return -KEEL_EINVAL;
	if (h->magic != KEEL_RING_MAGIC || h->version_major != KEEL_RING_VERSION_MAJOR)
		return -KEEL_EVERSION;
	if (!svc_geometry_ok(h))
		return -KEEL_ERANGE;
	s->hdr = h;
	s->req_base = (uint8_t *)area + KEEL_RING_REQ_OFFSET;
	s->rsp_base = (uint8_t *)area + KEEL_RING_RSP_OFFSET;
	s->ndevices = h->ndevices;
	s->req_cons = s->req_prod_seen = svc_load_acq(&h->req_cons.value);
	s->rsp_prod = s->rsp_cons_seen = svc_load_acq(&h->rsp_prod.value);
	if (svc_load_acq(&h->req_prod.value) - s->req_cons > KEEL_RING_SLOTS ||
	    s->rsp_prod - svc_load_acq(&h->rsp_cons.value) > KEEL_RING_SLOTS)
		return -KEEL_ERANGE;
	h->svc_version_major = KEEL_RING_VERSION_MAJOR;
	h->svc_version_minor = KEEL_RING_VERSION_MINOR;
	svc_store_rel(&h->svc_ready, 1);
	return 0;
}

/* req_prod never moves backwards and is never more than `slots` ahead of req_cons. */
static int svc_req_prod(struct ring_svc *s, uint32_t *prod)
{
	uint32_t p = svc_load_acq(&s->hdr->req_prod.value);

	if (p - s->req_cons > KEEL_RING_SLOTS || p - s->req_cons < s->req_prod_seen - s->req_cons)
		return svc_fail(s, -KEEL_ERANGE);
	s->req_prod_seen = p;
	*prod = p;
	return 0;
}

static bool svc_req_ok(const struct ring_svc *s, const struct keel_ring_req *q)
{
	int32_t size = q->size;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	if (q->count == 0 || (uint64_t)q->count * (uint32_t)size > KEEL_RING_DATA_MAX)
		return false;
	if (q->stride != 0 && q->stride != size && q->stride != -size)
		return false;
	return q->id != 0 && q->kind <= KEEL_RING_PIO && q->dir <= KEEL_RING_WRITE &&
	       q->device < s->ndevices;
}

/* Out of line, so that taking a read needs no stack frame. */
static __attribute__((noinline)) void svc_copy_data(struct keel_ring_req *out,
						    const struct keel_ring_req *slot)
{
	__builtin_memcpy(out->data, slot->data, out->count * out->size);
}

/* The fixed part of a request, then a write's data once its length is known to be sane: a
 * read's data bytes are never copied (they carry nothing). */
int ring_svc_next(struct ring_svc *s, struct keel_ring_req *out)
{
	uint32_t prod = 0;
	const struct keel_ring_req *slot;
	bool ok;

	if (!s->hdr || s->error)
		return s->hdr ? s->error : -KEEL_EINVAL;
	if (svc_req_prod(s, &prod))
		return s->error;
	if (prod == s->req_cons)
		return 0;
	slot = (const struct keel_ring_req *)(s->req_base +
					      (s->req_cons & SVC_MASK) * sizeof(*slot));
	__builtin_memcpy(out, slot, __builtin_offsetof(struct keel_ring_req, data));
	ok = svc_req_ok(s, out);
	if (ok && out->dir == KEEL_RING_WRITE)
		svc_copy_data(out, slot);
	s->req_cons++;
	svc_store_rel(&s->hdr->req_cons.value, s->req_cons);
	return ok ? 1 : -KEEL_EINVAL;
}

void ring_svc_answer_init(struct keel_ring_rsp *rsp, const struct keel_ring_req *req,
			  uint32_t status)
{
	rsp->id = req->id;
	rsp->status = status;
	rsp->len = req->dir == KEEL_RING_READ ? req->count * req->size : 0;
	for (unsigned i = 0; i < sizeof(rsp->reserved) / sizeof(rsp->reserved[0]); i++)
		rsp->reserved[i] = 0;
}

/* rsp_cons never moves backwards and never passes rsp_prod. */
static int svc_rsp_cons(struct ring_svc *s, uint32_t *cons)
{
	uint32_t c = svc_load_acq(&s->hdr->rsp_cons.value);

	if (c - s->rsp_cons_seen > s->rsp_prod - s->rsp_cons_seen)
		return svc_fail(s, -KEEL_ERANGE);
	s->rsp_cons_seen = c;
	*cons = c;
	return 0;
}

int ring_svc_answer_begin(struct ring_svc *s, const struct keel_ring_req *req, uint32_t status,
			  struct keel_ring_rsp **slot)
{
	uint32_t cons = 0;

	if (!s->hdr || s->error)
		return s->hdr ? s->error : -KEEL_EINVAL;
	if (svc_rsp_cons(s, &cons))
		return s->error;
	if (s->rsp_prod - cons >= KEEL_RING_SLOTS)
		return -KEEL_EBUSY;
	*slot = (struct keel_ring_rsp *)(s->rsp_base + (s->rsp_prod & SVC_MASK) * sizeof(**slot));
	ring_svc_answer_init(*slot, req, status);
	return 0;
}

int ring_svc_answer(struct ring_svc *s, const struct keel_ring_rsp *rsp)
{
	struct keel_ring_rsp *slot;
	uint32_t cons = 0;

	if (!s->hdr || s->error)
		return s->hdr ? s->error : -KEEL_EINVAL;
	if (rsp->len > KEEL_RING_DATA_MAX)
		return -KEEL_EINVAL;
	if (svc_rsp_cons(s, &cons))
		return s->error;
	if (s->rsp_prod - cons >= KEEL_RING_SLOTS)
		return -KEEL_EBUSY;
	slot = (struct keel_ring_rsp *)(s->rsp_base + (s->rsp_prod & SVC_MASK) * sizeof(*slot));
	__builtin_memcpy(slot, rsp, __builtin_offsetof(struct keel_ring_rsp, data) + rsp->len);
	ring_svc_answer_end(s);
	return 0;
}

int ring_svc_answer_wait(struct ring_svc *s, const struct keel_ring_rsp *rsp,
			 void (*pause)(void *ctx), void *ctx)
{
	int err;

	while ((err = ring_svc_answer(s, rsp)) == -KEEL_EBUSY) {
		if (pause)
			pause(ctx);
		else
			__builtin_ia32_pause();
	}
	return err;
}

uint32_t ring_svc_waiting(struct ring_svc *s)
{
	uint32_t prod = 0;

	if (!s->hdr || s->error || svc_req_prod(s, &prod))
		return 0;
	return prod - s->req_cons;
}

const char *ring_svc_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case -KEEL_EINVAL:
		return "bad argument or malformed request";
	case -KEEL_EVERSION:
		return "bad ring magic or major version";
	case -KEEL_ERANGE:
		return "ring index or geometry out of range";
	case -KEEL_EBUSY:
		return "response ring full";
	default:
		return "unknown ring error";
	}
}

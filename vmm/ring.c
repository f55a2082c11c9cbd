/* The core's end of the ring: set-up, submitting requests, waiting for answers (docs/ring.md). */
#include <keel/errno.h>
#include <keel/string.h>
#include "ring_priv.h"

#define RING_AGAIN 1

static int ring_init_check(const struct ring_config *cfg)
{
	if (!cfg->area || !cfg->ops || !cfg->ops->now || cfg->area_size < KEEL_RING_AREA_SIZE ||
	    ((uintptr_t)cfg->area & 63) || cfg->ndevices > KEEL_RING_DEVICES_MAX ||
	    (cfg->ndevices && !cfg->devices))
		return -EINVAL;
	for (u32 i = 0; i < cfg->ndevices; i++)
		if (cfg->devices[i].kind > KEEL_RING_PIO)
			return -EINVAL;
	return 0;
}

static void ring_init_header(struct keel_ring_header *h, const struct ring_config *cfg)
{
	h->magic = KEEL_RING_MAGIC;
	h->version_major = KEEL_RING_VERSION_MAJOR;
	h->version_minor = KEEL_RING_VERSION_MINOR;
	h->header_size = sizeof(*h);
	h->slots = KEEL_RING_SLOTS;
	h->req_offset = KEEL_RING_REQ_OFFSET;
	h->rsp_offset = KEEL_RING_RSP_OFFSET;
	h->req_size = sizeof(struct keel_ring_req);
	h->rsp_size = sizeof(struct keel_ring_rsp);
	h->notify_vector = cfg->notify_vector;
	h->ndevices = cfg->ndevices;
	if (cfg->ndevices)
		memcpy(h->device, cfg->devices, cfg->ndevices * sizeof(h->device[0]));
}

int ring_init(struct ring *r, const struct ring_config *cfg)
{
	int err = ring_init_check(cfg);

	if (err)
		return err;
	memset(r, 0, sizeof(*r));
	memset(cfg->area, 0, KEEL_RING_AREA_SIZE);
	r->hdr = cfg->area;
	r->req_base = (u8 *)cfg->area + KEEL_RING_REQ_OFFSET;
	r->rsp_base = (u8 *)cfg->area + KEEL_RING_RSP_OFFSET;
	r->ops = cfg->ops;
	r->log_interval = cfg->log_interval;
	r->ndevices = cfg->ndevices;
	for (u32 i = 0; i < cfg->ndevices; i++) {
		r->dev_partition[i] = cfg->devices[i].partition;
		r->dev_kind[i] = cfg->devices[i].kind;
		if (cfg->devices[i].flags & KEEL_RING_F_POSTED)
			r->dev_posted |= 1u << i;
	}
	r->next_seq = 1;
	for (u32 i = 0; i < ARRAY_SIZE(r->free_mask); i++)
		r->free_mask[i] = ~0ull;
	ring_init_header(r->hdr, cfg);
	return 0;
}

static inline __attribute__((always_inline)) int ring_access_check(const struct ring *r,
								   const struct ring_access *a)
{
	s32 size = a->size;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	if (a->count == 0 || (u64)a->count * (u32)size > KEEL_RING_DATA_MAX)
		return -EINVAL;
	if (a->stride != 0 && a->stride != size && a->stride != -size)
		return -EINVAL;
	if (a->kind > KEEL_RING_PIO || a->dir > KEEL_RING_WRITE ||
	    (a->flags & ~(KEEL_RING_F_POSTED | KEEL_RING_F_RMW)))
		return -EINVAL;
	if (a->dir == KEEL_RING_WRITE ? !a->data : (a->flags & KEEL_RING_F_POSTED) != 0)
		return -EINVAL;
	if (a->device >= r->ndevices || r->dev_kind[a->device] != a->kind ||
	    r->dev_partition[a->device] != a->partition)
		return -EINVAL;
	if ((a->flags & KEEL_RING_F_POSTED) && !(r->dev_posted & (1u << a->device)))
		return -EINVAL;
	return 0;
}

/* Written field by field: the core never reads a request slot back. */
static void ring_fill_req(struct keel_ring_req *q, const struct ring_access *a, u64 id)
{
	q->id = id;
	q->partition = a->partition;
	q->vcpu = a->vcpu;
	q->kind = a->kind;
	q->dir = a->dir;
	q->size = a->size;
	q->flags = a->flags;
	q->addr = a->addr;
	q->count = a->count;
	q->stride = a->stride;
	q->device = a->device;
	q->reserved0 = 0;
	q->reserved1 = 0;
	q->reserved2[0] = q->reserved2[1] = q->reserved2[2] = 0;
	if (a->dir == KEEL_RING_WRITE)
		memcpy(q->data, a->data, a->count * a->size);
}

static struct ring_pending *ring_pend_get(struct ring *r)
{
	struct ring_pending *p = ring_pend_alloc(r);

	if (p)
		return p;
	ring_poll_locked(r);
	p = ring_pend_alloc(r);
	if (p)
		return p;
	ring_pend_reap_posted(r, ring_now(r));
	return ring_pend_alloc(r);
}

static int ring_submit_locked(struct ring *r, const struct ring_access *a, u64 deadline, u64 *id)
{
	struct ring_pending *p;
	u32 cons;

	if (ring_load_rlx(&r->broken))
		return -EIO;
	if (!r->ready && !ring_check_ready(r))
		return ring_load_rlx(&r->broken) ? -EIO : -EAGAIN;
	if (!ring_check_req_cons(r, &cons))
		return -EIO;
	if (r->req_prod - cons >= KEEL_RING_SLOTS) {
		ring_poll_locked(r);
		return -EBUSY;
	}
	p = ring_pend_get(r);
	if (!p)
		return -ENOSPC;
	p->deadline = deadline;
	p->count = a->count;
	p->device = a->device;
	p->dir = a->dir;
	p->size = a->size;
	p->flags = a->flags;
	__atomic_store_n(&p->state, (u32)RING_PEND_SENT, __ATOMIC_RELEASE);
	ring_fill_req(ring_req_slot(r, r->req_prod), a, p->id);
	r->req_prod++;
	ring_store_rel(&r->hdr->req_prod.value, r->req_prod);
	r->stats.submitted++;
	*id = p->id;
	return 0;
}

static int ring_submit_by(struct ring *r, const struct ring_access *a, u64 deadline, u64 *id)
{
	int err;

	ring_lock(r);
	err = ring_submit_locked(r, a, deadline, id);
	ring_unlock(r);
	if (!err && r->ops->notify)
		r->ops->notify(r->ops->ctx);
	return err;
}

int ring_submit(struct ring *r, const struct ring_access *a, u64 *id)
{
	int err = ring_access_check(r, a);

	if (err)
		return err;
	return ring_submit_by(r, a, ring_deadline(ring_now(r), a->timeout), id);
}

static void ring_all_ones(void *rdata, const struct ring_pending *p)
{
	if (p->dir == KEEL_RING_READ)
		memset(rdata, 0xff, p->count * p->size);
}

/* Finishes `p` if it was answered, or if it expired; else RING_AGAIN. */
static inline __attribute__((always_inline)) int ring_collect(struct ring *r, struct ring_pending *p,
							      void *rdata, bool expired)
{
	bool broken = ring_load_rlx(&r->broken);

	if (p->state == RING_PEND_DONE) {
		u32 status = p->status;

		if (status == KEEL_RING_OK && p->dir == KEEL_RING_READ)
			ring_copy(rdata, p->data, p->count * p->size);
		else
			ring_all_ones(rdata, p);
		r->stats.answered++;
		ring_pend_release(r, p, RING_PEND_ANSWERED);
		return status == KEEL_RING_OK ? 0 : -EIO;
	}
	if (!expired && !broken)
		return RING_AGAIN;
	ring_all_ones(rdata, p);
	r->stats.timed_out++;
	if (!broken)
		ring_event(r, RING_EV_TIMEOUT, p->device, p->id, 0);
	ring_pend_release(r, p, RING_PEND_TIMEDOUT);
	return -ETIMEDOUT;
}

static bool ring_waitable(struct ring *r, u64 id, void *rdata)
{
	struct ring_pending *p = ring_pend_of(r, id);
	bool ok;

	ring_lock(r);
	ok = id && p->id == id && !(p->flags & KEEL_RING_F_POSTED) &&
	     (p->state == RING_PEND_SENT || p->state == RING_PEND_DONE) &&
	     (rdata || p->dir != KEEL_RING_READ);
	ring_unlock(r);
	return ok;
}

static bool ring_answers_waiting(struct ring *r)
{
	return ring_load_acq(&r->hdr->rsp_prod.value) != ring_load_rlx(&r->rsp_cons) ||
	       ring_load_rlx(&r->broken);
}

/* Collects p's answer (trylock only while nothing forces it), or its timeout once the
 * deadline passed: the clock is read every pass, so answers for other requests, however many,
 * never postpone a timeout. */
static int ring_wait_pending(struct ring *r, struct ring_pending *p, void *rdata)
{
	bool first = true; /* the deadline was set a moment ago: no clock read on the first pass */
	int ret;

	for (;; first = false) {
		bool done = ring_pend_state(p) == RING_PEND_DONE;

		if (done || ring_answers_waiting(r)) {
			if (done)
				ring_lock(r);
			else if (!ring_trylock(r))
				goto expiry;
			ring_poll_locked(r);
			ret = ring_collect(r, p, rdata, false);
			ring_unlock(r);
			if (ret != RING_AGAIN)
				return ret;
		}
expiry:
		if (!first && ring_now(r) >= p->deadline) {
			ring_lock(r);
			ring_poll_locked(r);
			ret = ring_collect(r, p, rdata, true);
			ring_unlock(r);
			return ret;
		}
		ring_pause(r);
	}
}

int ring_wait(struct ring *r, u64 id, void *rdata)
{
	if (!ring_waitable(r, id, rdata))
		return -EINVAL;
	return ring_wait_pending(r, ring_pend_of(r, id), rdata);
}

/* The access never got into the ring before its deadline (docs/ring.md §5, §8). */
static void ring_give_up(struct ring *r, const struct ring_access *a, int why)
{
	ring_lock(r);
	r->stats.timed_out++;
	if (why == -EAGAIN)
		ring_event(r, RING_EV_NOT_READY, a->device, 0, 0);
	else if (why == -EBUSY)
		ring_mark_broken(r, RING_EV_STUCK, r->req_prod);
	else if (why == -ENOSPC)
		ring_event(r, RING_EV_TABLE_FULL, a->device, 0, 0);
	ring_unlock(r);
}

int ring_access(struct ring *r, const struct ring_access *a, void *rdata)
{
	int err = ring_access_check(r, a);
	u64 deadline, id;

	if (err)
		return err;
	if (a->dir == KEEL_RING_READ && !rdata)
		return -EINVAL;
	deadline = ring_deadline(a->start ? a->start : ring_now(r), a->timeout);
	while ((err = ring_submit_by(r, a, deadline, &id)) != 0) {
		if (err == -EIO || ring_now(r) >= deadline) {
			ring_give_up(r, a, err);
			if (a->dir == KEEL_RING_READ)
				memset(rdata, 0xff, a->count * a->size);
			return -ETIMEDOUT;
		}
		if (ring_trylock(r)) {
			ring_poll_locked(r);
			ring_unlock(r);
		}
		ring_pause(r);
	}
	if (a->flags & KEEL_RING_F_POSTED)
		return 0;
	/* Only this caller collects or times out the entry it just submitted: no waitable check.
	 * Nobody can have answered it yet: the wait starts with the pause. */
	ring_pause(r);
	return ring_wait_pending(r, ring_pend_of(r, id), rdata);
}

bool ring_is_broken(const struct ring *r)
{
	return ring_load_rlx(&r->broken) != 0;
}

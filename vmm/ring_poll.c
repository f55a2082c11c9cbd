/* Consuming answers: every value the service VM wrote is read once and checked before use
 * (docs/ring.md §3). Everything here runs with the ring lock held. */
#include <keel/string.h>
#include "ring_priv.h"

/* The service VM is ready once svc_ready is 1 and its major version is ours (docs/ring.md §8). */
bool ring_check_ready(struct ring *r)
{
	u16 major;

	if (r->ready)
		return true;
	if (ring_load_acq(&r->hdr->svc_ready) != 1)
		return false;
	major = READ_ONCE(r->hdr->svc_version_major);
	if (major != KEEL_RING_VERSION_MAJOR) {
		ring_mark_broken(r, RING_EV_VERSION, major);
		return false;
	}
	r->ready = 1;
	return true;
}

static u32 ring_expected_len(const struct ring_pending *p)
{
	return p->dir == KEEL_RING_READ ? p->count * p->size : 0;
}

/* Classifies an id that is not outstanding. */
static enum ring_event_kind ring_id_problem(const struct ring *r, u64 id,
					    const struct ring_pending *p, u32 state)
{
	u64 seq = id >> RING_PENDING_SHIFT;

	if (seq == 0 || seq >= r->next_seq)
		return RING_EV_UNKNOWN_ID;
	if (p->id != id)
		return RING_EV_STALE;
	return state == RING_PEND_TIMEDOUT ? RING_EV_LATE : RING_EV_DUPLICATE;
}

static void ring_accept(struct ring *r, const struct keel_ring_rsp *slot)
{
	u64 id = READ_ONCE(slot->id);
	u32 status = READ_ONCE(slot->status);
	u32 len = READ_ONCE(slot->len);
	struct ring_pending *p = ring_pend_of(r, id);
	u32 state = ring_pend_state(p);

	if (p->id != id || state != RING_PEND_SENT) {
		ring_event(r, ring_id_problem(r, id, p, state),
			   p->id == id ? p->device : RING_NO_DEVICE, id, 0);
		return;
	}
	if (status > KEEL_RING_ENODEV) {
		ring_event(r, RING_EV_BAD_STATUS, p->device, id, status);
		return;
	}
	if (len != ring_expected_len(p)) {
		ring_event(r, RING_EV_BAD_LEN, p->device, id, len);
		return;
	}
	if (p->flags & KEEL_RING_F_POSTED) {
		r->stats.posted_acked++;
		ring_pend_release(r, p, RING_PEND_ANSWERED);
		return;
	}
	p->status = status;
	ring_copy(p->data, slot->data, len);
	__atomic_store_n(&p->state, (u32)RING_PEND_DONE, __ATOMIC_RELEASE);
}

void ring_poll_locked(struct ring *r)
{
	u32 prod, cons = r->rsp_cons;

	if (ring_load_rlx(&r->broken))
		return;
	prod = ring_load_acq(&r->hdr->rsp_prod.value);
	if (prod == cons)
		return;
	if (prod - cons > KEEL_RING_SLOTS) {
		ring_mark_broken(r, RING_EV_RSP_INDEX, prod);
		return;
	}
	for (; cons != prod; cons++)
		ring_accept(r, ring_rsp_slot(r, cons));
	ring_store_rlx(&r->rsp_cons, cons);
	ring_store_rel(&r->hdr->rsp_cons.value, cons);
}

int ring_poll(struct ring *r)
{
	u32 before, n;

	ring_lock(r);
	before = r->rsp_cons;
	ring_poll_locked(r);
	n = r->rsp_cons - before;
	ring_unlock(r);
	return (int)n;
}

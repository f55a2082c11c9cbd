/* Shared by vmm/ring*.c only: locking, atomics on the shared area, the pending table, logging. */
#ifndef VMM_RING_PRIV_H
#define VMM_RING_PRIV_H

#include <keel/ring.h>

#define RING_MASK (KEEL_RING_SLOTS - 1u)
#define RING_NO_DEVICE 0xffffu

static inline u32 ring_load_acq(const u32 *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void ring_store_rel(u32 *p, u32 v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline u32 ring_load_rlx(const u32 *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void ring_store_rlx(u32 *p, u32 v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

static inline u64 ring_now(const struct ring *r) { return r->ops->now(r->ops->ctx); }

static inline void ring_pause(const struct ring *r)
{
	if (r->ops->pause)
		r->ops->pause(r->ops->ctx);
	else
		__builtin_ia32_pause();
}

static inline bool ring_trylock(struct ring *r)
{
	return !ring_load_rlx(&r->lock) && !__atomic_exchange_n(&r->lock, 1, __ATOMIC_ACQUIRE);
}

static inline void ring_lock(struct ring *r)
{
	while (!ring_trylock(r))
		ring_pause(r);
}

static inline void ring_unlock(struct ring *r) { ring_store_rel(&r->lock, 0); }

/* Answer data: one element of a read is the common case, copied without a call. */
static inline void ring_copy(void *d, const void *s, u32 n)
{
	if (n == 4)
		__builtin_memcpy(d, s, 4);
	else if (n == 8)
		__builtin_memcpy(d, s, 8);
	else
		__builtin_memcpy(d, s, n);
}

static inline struct keel_ring_req *ring_req_slot(struct ring *r, u32 idx)
{
	return (struct keel_ring_req *)(r->req_base + (idx & RING_MASK) * sizeof(struct keel_ring_req));
}

static inline const struct keel_ring_rsp *ring_rsp_slot(struct ring *r, u32 idx)
{
	return (const struct keel_ring_rsp *)(r->rsp_base +
					       (idx & RING_MASK) * sizeof(struct keel_ring_rsp));
}

static inline struct ring_pending *ring_pend_of(struct ring *r, u64 id)
{
	return &r->pending[id & (RING_PENDING_MAX - 1)];
}

static inline u32 ring_pend_state(const struct ring_pending *p)
{
	return __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
}

/* ring_log.c; called with the lock held. */
void ring_event(struct ring *r, enum ring_event_kind kind, u16 device, u64 id, u64 value);
void ring_mark_broken(struct ring *r, enum ring_event_kind why, u64 value);

/* ring_pending.c; called with the lock held. */
struct ring_pending *ring_pend_alloc_scan(struct ring *r);
void ring_pend_reap_posted(struct ring *r, u64 now);

static inline struct ring_pending *ring_pend_take(struct ring *r, u32 i)
{
	struct ring_pending *p = &r->pending[i];

	r->free_mask[i / 64] &= ~(1ull << (i % 64));
	r->alloc_cursor = (i + 1) % RING_PENDING_MAX;
	p->id = (r->next_seq++ << RING_PENDING_SHIFT) | (u64)i;
	return p;
}

/* Round-robin, so a freed entry keeps its last id (for the late/duplicate diagnosis) longest;
 * the entry at the cursor is usually free. */
static inline struct ring_pending *ring_pend_alloc(struct ring *r)
{
	u32 c = r->alloc_cursor;

	if (r->free_mask[c / 64] & (1ull << (c % 64)))
		return ring_pend_take(r, c);
	return ring_pend_alloc_scan(r);
}

static inline u64 ring_deadline(u64 now, u64 timeout)
{
	return now + timeout < now ? ~0ull : now + timeout;
}

static inline void ring_pend_release(struct ring *r, struct ring_pending *p, enum ring_pend_state how)
{
	u32 i = (u32)(p->id & (RING_PENDING_MAX - 1)); /* the entry's index, as ring_pend_of */

	__atomic_store_n(&p->state, (u32)how, __ATOMIC_RELEASE);
	r->free_mask[i / 64] |= 1ull << (i % 64);
}

/* ring_poll.c; called with the lock held. */
void ring_poll_locked(struct ring *r);
bool ring_check_ready(struct ring *r);

/* req_cons may only move forward and never past req_prod. */
static inline bool ring_check_req_cons(struct ring *r, u32 *req_cons)
{
	u32 cons = ring_load_acq(&r->hdr->req_cons.value);

	if (cons - r->req_cons_seen > r->req_prod - r->req_cons_seen) {
		ring_mark_broken(r, RING_EV_REQ_INDEX, cons);
		return false;
	}
	r->req_cons_seen = cons;
	*req_cons = cons;
	return true;
}

#endif

/* The pending table: the core's copy of every outstanding request. An id is (seq << SHIFT) | entry,
 * so ids increase with seq and an answer finds its entry without a search. */
#include "ring_priv.h"

#define RING_WORDS (RING_PENDING_MAX / 64)

static int ring_pend_find_free(const struct ring *r)
{
	u32 start = r->alloc_cursor;

	for (u32 i = 0; i <= RING_WORDS; i++) {
		u32 w = (start / 64 + i) % RING_WORDS;
		u64 bits = r->free_mask[w];

		if (i == 0)
			bits &= ~0ull << (start % 64);
		if (bits)
			return (int)(w * 64 + (u32)__builtin_ctzll(bits));
	}
	return -1;
}

struct ring_pending *ring_pend_alloc_scan(struct ring *r)
{
	int i = ring_pend_find_free(r);

	return i < 0 ? NULL : ring_pend_take(r, (u32)i);
}

/* Posted writes have no waiter: one past its deadline is dropped here, lazily. */
void ring_pend_reap_posted(struct ring *r, u64 now)
{
	for (u32 i = 0; i < RING_PENDING_MAX; i++) {
		struct ring_pending *p = &r->pending[i];

		if (p->state != RING_PEND_SENT || !(p->flags & KEEL_RING_F_POSTED) ||
		    now < p->deadline)
			continue;
		r->stats.posted_timed_out++;
		ring_event(r, RING_EV_POSTED_TIMEOUT, p->device, p->id, 0);
		ring_pend_release(r, p, RING_PEND_TIMEDOUT);
	}
}

u32 ring_outstanding(const struct ring *r)
{
	u32 n = 0;

	for (u32 i = 0; i < RING_PENDING_MAX; i++) {
		u32 s = ring_pend_state(&r->pending[i]);

		n += s == RING_PEND_SENT || s == RING_PEND_DONE;
	}
	return n;
}

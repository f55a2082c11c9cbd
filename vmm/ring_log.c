/* Ring events: counted always, logged through the hook once, once per device, or rate-limited. */
#include "ring_priv.h"

enum ring_log_policy { RING_LOG_RATE, RING_LOG_ONCE, RING_LOG_PER_DEVICE };

static const struct {
	const char *text;
	u8 policy;
} ring_event_table[RING_EV_COUNT] = {
	[RING_EV_UNKNOWN_ID] = { "answer for an id never sent: dropped", RING_LOG_RATE },
	[RING_EV_STALE] = { "answer for an id not outstanding (old or never sent): dropped", RING_LOG_RATE },
	[RING_EV_DUPLICATE] = { "second answer for one id: dropped", RING_LOG_RATE },
	[RING_EV_LATE] = { "answer after its request timed out: dropped", RING_LOG_RATE },
	[RING_EV_BAD_STATUS] = { "answer with an unknown status: dropped", RING_LOG_RATE },
	[RING_EV_BAD_LEN] = { "answer with a wrong length: dropped", RING_LOG_RATE },
	[RING_EV_RSP_INDEX] = { "rsp_prod out of range: ring broken, forwarded accesses time out",
				RING_LOG_ONCE },
	[RING_EV_REQ_INDEX] = { "req_cons out of range: ring broken, forwarded accesses time out",
				RING_LOG_ONCE },
	[RING_EV_VERSION] = { "service VM has another major version: ring broken", RING_LOG_ONCE },
	[RING_EV_STUCK] = { "request ring full for a whole timeout: ring broken", RING_LOG_ONCE },
	[RING_EV_NOT_READY] = { "service VM not ready: reads return all-ones", RING_LOG_ONCE },
	[RING_EV_TABLE_FULL] = { "too many outstanding requests: access timed out", RING_LOG_RATE },
	[RING_EV_TIMEOUT] = { "device did not answer: reads return all-ones", RING_LOG_PER_DEVICE },
	[RING_EV_POSTED_TIMEOUT] = { "device did not acknowledge posted writes",
				     RING_LOG_PER_DEVICE },
};

const char *ring_event_text(enum ring_event_kind kind)
{
	if ((unsigned)kind >= RING_EV_COUNT)
		return "unknown ring event";
	return ring_event_table[kind].text;
}

static bool ring_log_claim_bit(u32 *mask, unsigned bit)
{
	if (bit >= 32 || (*mask & (1u << bit)))
		return false;
	*mask |= 1u << bit;
	return true;
}

static bool ring_log_due(struct ring *r, enum ring_event_kind kind, u16 device)
{
	u64 now;

	switch (ring_event_table[kind].policy) {
	case RING_LOG_ONCE:
		return ring_log_claim_bit(&r->once_logged, kind);
	case RING_LOG_PER_DEVICE:
		return ring_log_claim_bit(kind == RING_EV_TIMEOUT ? &r->dev_timeout_logged
								  : &r->dev_posted_logged, device);
	default:
		now = ring_now(r);
		if ((r->once_logged & (1u << kind)) && now - r->last_log[kind] < r->log_interval)
			return false;
		r->once_logged |= 1u << kind;
		r->last_log[kind] = now;
		return true;
	}
}

void ring_event(struct ring *r, enum ring_event_kind kind, u16 device, u64 id, u64 value)
{
	struct ring_event ev = { kind, device, RING_NO_DEVICE, id, value };

	r->stats.events[kind]++;
	if (!ring_log_due(r, kind, device) || !r->ops->log)
		return;
	if (device < r->ndevices)
		ev.partition = r->dev_partition[device];
	r->stats.logged++;
	r->ops->log(r->ops->ctx, &ev);
}

void ring_mark_broken(struct ring *r, enum ring_event_kind why, u64 value)
{
	ring_event(r, why, RING_NO_DEVICE, 0, value);
	if (ring_load_rlx(&r->broken))
		return;
	ring_store_rlx(&r->broken, 1);
	r->once_logged |= (1u << RING_EV_RSP_INDEX) | (1u << RING_EV_REQ_INDEX) |
			  (1u << RING_EV_VERSION) | (1u << RING_EV_STUCK);
}

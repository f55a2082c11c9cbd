/* The core's end of the service-VM ring (docs/ring.md): submit requests, validate answers against
 * the core's own pending copy, wait with a deadline, detect a broken ring. Builds freestanding for
 * the core and hosted for the tests; the clock, the pause, the notification and the log are hooks.
 *
 * Concurrency: any number of CPUs may call ring_submit/ring_wait/ring_access/ring_poll at once;
 * one spinlock guards the producer index, the response consumer and the pending table. The log
 * hook (and now()) may be called with that lock held and must not call back into the ring;
 * notify() is called after it is released. */
#ifndef KEEL_RING_H
#define KEEL_RING_H

#include <keel/types.h>
#include <abi/ring.h>

#define RING_PENDING_SHIFT 7
#define RING_PENDING_MAX (1u << RING_PENDING_SHIFT) /* outstanding requests (back-pressure) */

/* What the core logs. Broken-ring kinds are logged once for the ring's life; timeouts once per
 * device; the rest at most once per kind per log_interval. */
enum ring_event_kind {
	RING_EV_UNKNOWN_ID,     /* answer for an id the core never sent */
	RING_EV_STALE,          /* answer for an id not outstanding: an old one, or one never sent */
	RING_EV_DUPLICATE,      /* second answer for an id */
	RING_EV_LATE,           /* answer after the request timed out */
	RING_EV_BAD_STATUS,     /* unknown status value */
	RING_EV_BAD_LEN,        /* len is not count*size (read) or 0 (write) */
	RING_EV_RSP_INDEX,      /* broken: rsp_prod more than `slots` ahead of rsp_cons */
	RING_EV_REQ_INDEX,      /* broken: req_cons outside [last seen req_cons, req_prod] */
	RING_EV_VERSION,        /* broken: the service VM reports another major version */
	RING_EV_STUCK,          /* broken: the request ring stayed full for a whole timeout */
	RING_EV_NOT_READY,      /* an access timed out before the service VM set svc_ready */
	RING_EV_TABLE_FULL,     /* an access timed out waiting for a free pending entry */
	RING_EV_TIMEOUT,        /* a device did not answer: reads return all-ones */
	RING_EV_POSTED_TIMEOUT, /* a device did not acknowledge posted writes */
	RING_EV_COUNT
};

struct ring_event {
	enum ring_event_kind kind;
	u16 device;     /* device table index, or 0xffff when no device is involved */
	u16 partition;  /* that device's partition, or 0xffff */
	u64 id;         /* the answer's or request's id, 0 when none */
	u64 value;      /* the offending value (status, len, index), 0 when none */
};

struct ring_ops {
	u64 (*now)(void *ctx);                                 /* monotonic clock in ticks (required) */
	void (*pause)(void *ctx);                              /* one spin step; NULL = PAUSE */
	void (*notify)(void *ctx);                             /* requests were published; NULL = none */
	void (*log)(void *ctx, const struct ring_event *ev);   /* NULL = silent */
	void *ctx;
};

struct ring_config {
	void *area;                     /* KEEL_RING_AREA_SIZE bytes, 64-byte aligned, core-owned */
	size_t area_size;
	const struct keel_ring_device *devices;
	u32 ndevices;                   /* <= KEEL_RING_DEVICES_MAX */
	u32 notify_vector;              /* 0 = the service VM polls */
	u64 log_interval;               /* ticks between two log lines of one rate-limited kind */
	const struct ring_ops *ops;
};

/* One access the emulator could not answer in the core (docs/ring.md §3). */
struct ring_access {
	u16 partition, vcpu;
	u8 kind;            /* enum keel_ring_kind */
	u8 dir;             /* enum keel_ring_dir */
	u8 size;            /* 1, 2, 4 or 8 */
	u8 flags;           /* KEEL_RING_F_POSTED (writes to a posted device), KEEL_RING_F_RMW */
	u64 addr;
	u32 count;          /* >= 1, count * size <= KEEL_RING_DATA_MAX */
	s32 stride;         /* +size, -size or 0 */
	u16 device;         /* index into the device table */
	const void *data;   /* a write's count*size bytes */
	u64 timeout;        /* ticks, from the first submit attempt */
	u64 start;          /* ring_access: the clock when the access began (0 = read it now) */
};

enum ring_pend_state {
	RING_PEND_ANSWERED,  /* free; its last id was answered */
	RING_PEND_TIMEDOUT,  /* free; its last id timed out */
	RING_PEND_SENT,      /* in the ring or with the service VM */
	RING_PEND_DONE,      /* answered, waiting for ring_wait to collect it */
};

/* The core's own copy of an outstanding request. */
struct ring_pending {
	u64 id;
	u64 deadline;
	u32 state;          /* enum ring_pend_state */
	u32 status;         /* the answer's status once DONE */
	u32 count;
	u16 device;
	u8 dir, size, flags;
	u8 data[KEEL_RING_DATA_MAX]; /* a read answer's data once DONE */
};

struct ring_stats {
	u64 submitted, answered, timed_out, posted_acked, posted_timed_out;
	u64 events[RING_EV_COUNT];   /* every event, logged or not */
	u64 logged;                  /* lines handed to the log hook */
};

struct ring {
	struct keel_ring_header *hdr;
	u8 *req_base, *rsp_base;
	const struct ring_ops *ops;
	u64 log_interval;
	u32 lock;
	u32 req_prod, req_cons_seen, rsp_cons;
	u32 broken, ready;
	u32 ndevices;
	u16 dev_partition[KEEL_RING_DEVICES_MAX];
	u8 dev_kind[KEEL_RING_DEVICES_MAX];
	u32 dev_posted;                              /* one bit per device taking posted writes */
	u32 dev_timeout_logged, dev_posted_logged;   /* one bit per device */
	u32 once_logged;                             /* one bit per event kind */
	u64 last_log[RING_EV_COUNT];
	u64 next_seq;
	u32 alloc_cursor;
	u64 free_mask[RING_PENDING_MAX / 64];
	struct ring_pending pending[RING_PENDING_MAX];
	struct ring_stats stats;
};

/* Zeroes the area and writes the header (magic, version, geometry, devices, vector).
 * -EINVAL: area too small or misaligned, too many devices, a device with an unknown kind. */
int ring_init(struct ring *r, const struct ring_config *cfg);

/* Publishes one request and notifies. *id gets its id (unique, increasing, never 0).
 * -EINVAL bad access, -EAGAIN service VM not ready yet, -EBUSY request ring full,
 * -ENOSPC pending table full, -EIO ring broken. Never waits. */
int ring_submit(struct ring *r, const struct ring_access *a, u64 *id);

/* Waits for the answer to a non-posted request (one waiter per id). Reads fill `rdata` with
 * count*size bytes: the answer, or all-ones. 0 answered OK, -EIO the model answered EIO/ENODEV,
 * -ETIMEDOUT no valid answer before the deadline or the ring is broken, -EINVAL not a waitable id. */
int ring_wait(struct ring *r, u64 id, void *rdata);

/* ring_submit (retrying until the access's timeout) then ring_wait. A posted write returns 0 once
 * it is in the ring. A read that fails fills `rdata` with all-ones. Returns as ring_wait. For a
 * read-modify-write the caller must not send the write half when the read did not return 0. */
int ring_access(struct ring *r, const struct ring_access *a, void *rdata);

/* Consumes and validates the answers the service VM published; returns how many it consumed. */
int ring_poll(struct ring *r);

bool ring_is_broken(const struct ring *r);
/* Requests the core still tracks (sent and not answered, answered and not collected). */
u32 ring_outstanding(const struct ring *r);
const char *ring_event_text(enum ring_event_kind kind);
/* A ready-made log hook for the core (vmm/ring_printk.c): pr_warn, one line per event. */
void ring_log_printk(void *ctx, const struct ring_event *ev);

#endif

/* The service VM's end of the ring (docs/ring.md): attach, take requests in ring order, answer.
 * Needs only <stdint.h>, <stddef.h>, <stdbool.h> and include/abi/. One consumer thread per ring.
 * Errors are negative enum keel_status values; a broken ring (-KEEL_ERANGE) stays broken. */
#ifndef SERVICE_RING_SVC_H
#define SERVICE_RING_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <abi/hypercall.h>
#include <abi/ring.h>

struct ring_svc {
	struct keel_ring_header *hdr;
	uint8_t *req_base, *rsp_base;
	uint32_t req_cons, rsp_prod;         /* the indices this side owns */
	uint32_t req_prod_seen, rsp_cons_seen;
	uint32_t ndevices;
	int error;                           /* 0, or the first index problem (sticky) */
};

/* Checks magic, major version and geometry, then announces this side (svc_ready, release).
 * -KEEL_EINVAL area too small, -KEEL_EVERSION bad magic or major version, -KEEL_ERANGE bad
 * geometry or indices. */
int ring_svc_attach(struct ring_svc *s, void *area, size_t size);

/* Copies the next request into *out and consumes its slot: the fields, and a write's data (a
 * read's data bytes are left alone). 1 one taken, 0 none waiting, -KEEL_EINVAL the request was
 * malformed (consumed; *out holds its fields), -KEEL_ERANGE broken. */
int ring_svc_next(struct ring_svc *s, struct keel_ring_req *out);

/* Fills the fixed part of an answer to `req`: id, status, len (count*size for a read, 0 for a
 * write); the caller fills a read's data. */
void ring_svc_answer_init(struct keel_ring_rsp *rsp, const struct keel_ring_req *req,
			  uint32_t status);

/* Answers in place: the next response slot, its id, status and len filled for `req` (the
 * caller writes a read's data into it), then ring_svc_answer_end publishes it (release). 0,
 * -KEEL_EBUSY response ring full (nothing taken), -KEEL_ERANGE broken. Between the two calls
 * nothing else may answer. */
int ring_svc_answer_begin(struct ring_svc *s, const struct keel_ring_req *req, uint32_t status,
			  struct keel_ring_rsp **slot);
static inline void ring_svc_answer_end(struct ring_svc *s)
{
	s->rsp_prod++;
	__atomic_store_n(&s->hdr->rsp_prod.value, s->rsp_prod, __ATOMIC_RELEASE);
}
/* Publishes one answer (release). 0 done, -KEEL_EBUSY response ring full, -KEEL_EINVAL len over
 * KEEL_RING_DATA_MAX, -KEEL_ERANGE broken. */
int ring_svc_answer(struct ring_svc *s, const struct keel_ring_rsp *rsp);

/* ring_svc_answer, calling pause(ctx) while the response ring is full. */
int ring_svc_answer_wait(struct ring_svc *s, const struct keel_ring_rsp *rsp,
			 void (*pause)(void *ctx), void *ctx);

/* Whether ring_svc_next has something to say: a request published and not taken, or an error
 * (an index that moved backwards is noticed by ring_svc_next once it moves on). */
static inline bool ring_svc_has_work(const struct ring_svc *s)
{
	return !s->hdr || s->error ||
	       __atomic_load_n(&s->hdr->req_prod.value, __ATOMIC_ACQUIRE) != s->req_cons;
}

/* Requests published and not yet taken (0 when the ring is broken). */
uint32_t ring_svc_waiting(struct ring_svc *s);

const char *ring_svc_strerror(int err);

#endif

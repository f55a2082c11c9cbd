/* Forwarding to the service VM (vmm/fwd.c): the ring area, its device table built from every
 * forwarded region of every partition, the mapping into the service VM, and the access path's
 * use of ring_access (docs/ring.md, docs/partitions.md). */
#ifndef KEEL_FWD_H
#define KEEL_FWD_H

#include <keel/access.h>

struct keel_config;
struct region;
struct vcpu;

/* After every partition was created: numbers the forwarded regions (device index = their place
 * in the table, partitions in id order, regions in address order), allocates and initialises
 * the ring, maps it write-back into the service VM at the configured `ring` address and lists
 * it in its start information. Without a service partition there is nothing to do (0).
 * Otherwise 0, or a negative errno after one error line. */
int fwd_setup(const struct keel_config *c);

/* One access (a whole batch) to a forwarded region: one request. Reads wait for the answer
 * (the CPU spins with PAUSE); posted writes do not. ACCESS_FAILED when a read was completed
 * with all-ones (timeout, broken ring, EIO/ENODEV answer) or a write was not answered. */
enum access_result fwd_access(struct vcpu *v, const struct region *r, const struct access_req *a);

struct partition;
/* Before a partition with forwarded regions starts: waits (up to 5 s) until the service VM has
 * attached to the ring, so its first accesses do not spend their timeout on its start-up. */
void fwd_wait_ready(const struct partition *p);

/* Host-physical address of the ring area, 0 when there is none. */
u64 fwd_area(void);

/* Answers the service VM published (KEEL_HC_RING_KICK; waiting CPUs poll anyway). */
void fwd_kick(void);

/* Does a forwarded device of this partition raise this IOAPIC pin (its table entry's irq)? */
bool fwd_owns_pin(u32 partition, u32 pin);

#endif

/* Evidence that nothing a partition does reaches Keel or another partition (vmm/isolation.c,
 * docs/isolation.md): a hash of Keel's text and read-only data taken at
 * boot, and canaries (values derived from their own host-physical address) in Keel's data, in a
 * page of Keel's heap, in the ring's header page and in every partition's RAM. */
#ifndef KEEL_ISOLATION_H
#define KEEL_ISOLATION_H

#include <keel/types.h>

struct keel_config;

/* Guest-physical bytes of every partition's RAM that hold its canary (canaries=1): the end of
 * page 0, which the guest boot contract leaves unused (docs/guest-boot.md). */
#define ISOLATION_GUEST_CANARY 0xf00ull
#define ISOLATION_CANARY_BYTES 0x100ull

/* First thing at boot: hashes [_load_start, _rodata_end) and fills Keel's data canary page. */
void isolation_boot(void);
/* Once every partition and the ring exist, before any vCPU runs (Keel's command line
 * canaries=1): plants the heap, ring and partition canaries. */
void isolation_plant(const struct keel_config *c);
/* After every partition has stopped (test mode): one verdict per hash and canary. */
void isolation_check(void);

#endif

/* Access to physical memory through the identity map. The core implements these in
 * arch/x86/paging.c; host tests supply their own fake physical memory. */
#ifndef KEEL_PHYS_H
#define KEEL_PHYS_H

#include <keel/types.h>

/* A pointer to [pa, pa + len), or NULL unless every byte of it is mapped. */
void *phys_map(u64 pa, u64 len);
/* How many bytes starting at pa are mapped (0 when pa itself is not). */
u64 phys_mapped_bytes(u64 pa);

#endif
